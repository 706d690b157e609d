"""The city's pages: progress to the 2025 targets, the achievements behind each count, the county assessment.

Imported only by ``stdpolicy_register_admin_pages``. Mounted under
``/admin/p/city_targets/``; read-only (the goals are parameters, the weights
a reference table: both changed on the admin's own pages by the owning
department). Every figure is computed by ``figures`` from the stored
register; the views only choose and render.

- 发展目标 (``index``): each target's goal, count, share and bar; per year and
  per county, every count a link to its list; two SVG charts;
- 明细 (``items``): the achievements behind one count and their activities;
- 县域考核 (``assessment``): indicators, weighted score, ranking; XLSX;
- 县(市、区) (``county``): how a county's score was made, and its achievements;
- 年度报告 (``report``): the annual report of a year, PDF or XLSX (``report``);
- ``chart/<name>.svg``: the charts (pygal), served with a policy of their own.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, abort, request, url_for

from core import (
    CITY_REGIONS,
    AdminPage,
    Column,
    Text,
    activity_url,
    export_xlsx,
    parameter_url,
    pick,
    reference_url,
    region_of,
    render_page,
)

from .charts import assessment_chart, progress_chart, years_chart
from .counting import TARGET_NAMES, TARGETS
from .figures import (
    ASSESSED_COUNTIES,
    WEIGHTS_TABLE,
    Assessment,
    all_items,
    assessment,
    default_year,
    goal_key,
    period,
    target_items,
    targets_report,
)

__all__ = ["WORDS", "admin_pages", "assessment_columns", "bp"]

bp = Blueprint("city_targets_admin", __name__, template_folder="templates")

WORDS = {
    "title": Text("发展目标与县域考核", "Targets and county assessment"),
    "targets": Text("2025年发展目标", "Targets to 2025"),
    "items": Text("目标明细", "Achievements counted"),
    "assessment": Text("县(市、区)年度考核", "County assessment"),
    "intro": Text("按第一部分第(二)项统计新增成果:同一标准无论几家嘉兴单位参与起草只计一次,修订计入,试点立项即计入,"
                  "奖项含国家级和省级。点击数字查看明细。",
                  "Counted under 一(二): a standard once however many Jiaxing organisations drafted it, revisions "
                  "included, pilots once approved, national and provincial awards. Click a figure for its list."),
    "period": Text("统计期", "Counting period"),
    "year": Text("年度", "Year"),
    "county": Text("县(市、区)", "County"),
    "all": Text("全部", "All"),
    "all_years": Text("全部年度(整个统计期)", "All years (the whole period)"),
    "filter": Text("筛选", "Filter"),
    "target": Text("目标", "Target"),
    "goal": Text("目标值", "Goal"),
    "count": Text("本期新增", "New in the selection"),
    "cumulative": Text("累计完成", "Reached so far"),
    "share": Text("完成比例", "Share of goal"),
    "progress": Text("进度", "Progress"),
    "by_year": Text("各年度新增", "New per year"),
    "by_county": Text("各县(市、区)新增", "New per county"),
    "no_goal": Text("未设定", "not set"),
    "subject": Text("成果", "Achievement"),
    "first_date": Text("首次登记日期", "First recorded"),
    "organisations": Text("登记单位", "Recorded by"),
    "activities": Text("登记记录", "Records"),
    "none": Text("暂无记录。", "Nothing recorded."),
    "export": Text("导出 Excel", "Export to Excel"),
    "rank": Text("排名", "Rank"),
    "score": Text("得分", "Score"),
    "indicator": Text("指标", "Indicator"),
    "value": Text("指标值", "Value"),
    "weight": Text("权重", "Weight"),
    "contribution": Text("得分(权重×指标值)", "Points (weight × value)"),
    "unweighted": Text("未设权重", "no weight"),
    "weights": Text("考核指标权重", "Assessment weights"),
    "weights_version": Text("所用权重版本", "Weights used"),
    "sample": Text("示例数据", "sample data"),
    "no_weights": Text("该年度没有生效的考核指标权重,不计算得分和排名;请由市市场监管局在参考数据中录入权重版本。",
                       "No assessment weights are in force for this year: no score or ranking. The market regulation "
                       "administration records a version of the weights under reference data."),
    "assessment_intro": Text("按第三部分第(三)项将标准化工作纳入县(市、区)政府年度绩效考核:各项指标为该年度新增数量,"
                             "奖励为当年登记成果获得的奖励和补助(万元),其他插件声明的看板指标列示于后。",
                             "Under 三(三) standardisation is part of the counties' annual assessment: each indicator "
                             "is the year's new achievements; rewards are the year's rewards and subsidies "
                             "(10,000 yuan); the figures other plugins declare follow."),
    "county_page": Text("得分构成", "How the score was made"),
    "total": Text("合计", "Total"),
    "chart_progress": Text("发展目标完成进度图", "Progress chart"),
    "chart_years": Text("各年度新增图", "New per year chart"),
    "chart_assessment": Text("考核得分图", "Score chart"),
    "bad_filter": Text("筛选条件无效。", "Invalid filter."),
    "report": Text("年度报告", "Annual report"),
    "report_pdf": Text("下载年度报告(PDF)", "Annual report (PDF)"),
    "report_xlsx": Text("下载年度报告(Excel)", "Annual report (Excel)"),
}


def _lang() -> str:
    return pick(Text("zh", "en"))


def _year_arg(required: bool = False) -> int | None:
    text = request.args.get("year", "").strip()
    if not text:
        if required:
            return default_year()
        return None
    if not (text.isdecimal() and len(text) == 4) or not 2000 <= int(text) <= 2100:  # "²", "①": digits int() refuses
        abort(404)
    return int(text)


def _county_arg() -> str | None:
    code = request.args.get("county", "").strip() or None
    if code is not None and code not in CITY_REGIONS:
        abort(404)
    return code


def _nav(current: str) -> list[tuple[Text, str, bool]]:
    return [(WORDS["targets"], url_for(".index"), current == "index"),
            (WORDS["assessment"], url_for(".assessment_page"), current == "assessment")]


@bp.route("/")
def index() -> str:
    year, county = _year_arg(), _county_arg()
    report = targets_report(year, county)
    return render_page(
        "city_targets/index.html", title=WORDS["targets"], breadcrumbs=[(WORDS["targets"], None)], words=WORDS,
        nav=_nav("index"), report=report, year=year, county=county, counties=CITY_REGIONS,
        report_year=year if year is not None and year in report.years else default_year(),
        goal_urls={t: parameter_url(goal_key(t)) for t in TARGETS},
    )


def item_rows(target: str, year: int | None, county: str | None, items: Any = None) -> list[dict[str, Any]]:
    """The achievements behind one count, one row each, with their activities (links in a request)."""
    rows = []
    for item in target_items(target, year, county, items):
        rows.append({
            "subject": item.subject, "date": item.date,
            "counties": "、".join(pick(CITY_REGIONS[c]) for c in sorted(item.counties)),
            "organisations": "、".join(dict.fromkeys(a.organisation or a.credit_code for a in item.activities)),
            "records": len(item.activities),
            "activities": [{"ref": a.ref, "date": a.date, "organisation": a.organisation or a.credit_code,
                            "county": pick(region_of(a.credit_code)[1]), "url": activity_url(a)}
                           for a in item.activities],
        })
    return rows


ITEM_COLUMNS = [
    Column("subject", WORDS["subject"], width=36), Column("date", WORDS["first_date"], width=14),
    Column("counties", WORDS["county"], width=24), Column("organisations", WORDS["organisations"], width=40),
    Column("records", WORDS["activities"], width=10),
]


@bp.route("/items")
def items() -> Response | str:
    target = request.args.get("target", "")
    if target not in TARGETS:
        abort(404)
    year, county = _year_arg(), _county_arg()
    rows = item_rows(target, year, county)
    if request.args.get("format") == "xlsx":
        return export_xlsx(rows, ITEM_COLUMNS, f"city_targets-{target}.xlsx", sheet=pick(TARGET_NAMES[target])[:31])
    title = TARGET_NAMES[target]
    return render_page(
        "city_targets/items.html", title=title, words=WORDS, nav=_nav("items"),
        breadcrumbs=[(WORDS["targets"], url_for(".index", year=year, county=county)), (title, None)],
        rows=rows, target=target, year=year, county=county, counties=CITY_REGIONS, period=period(),
    )


def assessment_columns(table: Assessment, name: Any = None) -> list[Column]:
    """The assessment table's columns (page export and command line alike); ``name`` writes a county's name."""
    write = name or pick
    columns = [Column("rank", WORDS["rank"], lambda r: r.rank, width=8),
               Column("county", WORDS["county"], lambda r: write(r.name), width=18)]
    for indicator in table.indicators:
        label = Text(f"{indicator.name.zh}({indicator.unit.zh})", f"{indicator.name.en} ({indicator.unit.en})")
        columns.append(Column(indicator.key, label, lambda r, k=indicator.key: _number(r.values[k]), width=14))
    columns.append(Column("score", WORDS["score"], lambda r: _number(r.score), width=12))
    return columns


def _number(value: Decimal | None) -> int | Decimal | None:
    """A figure for a cell: whole numbers as integers, others as exact decimals."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else value.normalize()


@bp.route("/assessment")
def assessment_page() -> Response | str:
    year = _year_arg(required=True)
    assert year is not None
    table = assessment(year)
    if request.args.get("format") == "xlsx":
        return export_xlsx(table.rows, assessment_columns(table), f"city_targets-assessment-{year}.xlsx",
                           sheet=f"{year}")
    start, end = period()
    return render_page(
        "city_targets/assessment.html", title=WORDS["assessment"], words=WORDS, nav=_nav("assessment"),
        breadcrumbs=[(WORDS["assessment"], None)], table=table, year=year, years=list(range(start.year, end.year + 1)),
        number=_number, weights_url=reference_url(WEIGHTS_TABLE),
    )


@bp.route("/county/<code>")
def county(code: str) -> str:
    if code not in ASSESSED_COUNTIES:
        abort(404)
    year = _year_arg(required=True)
    assert year is not None
    table = assessment(year)
    row = table.row(code)
    every = all_items()
    achievements = {t: item_rows(t, year, code, every) for t in TARGETS}
    title = Text(f"{CITY_REGIONS[code].zh} {year}年考核", f"{CITY_REGIONS[code].en}, {year}")
    return render_page(
        "city_targets/county.html", title=title, words=WORDS, nav=_nav("county"),
        breadcrumbs=[(WORDS["assessment"], url_for(".assessment_page", year=year)), (title, None)],
        table=table, row=row, year=year, code=code, achievements=achievements, target_names=TARGET_NAMES,
        number=_number, weights_url=reference_url(WEIGHTS_TABLE),
    )


@bp.route("/report")
def report() -> Response:
    """The annual report of ``year`` (default: as the assessment) as PDF or XLSX, for download."""
    from .report import annual_report, report_pdf, report_xlsx

    year = _year_arg(required=True)
    fmt = request.args.get("format", "pdf")
    if year is None or fmt not in ("pdf", "xlsx"):
        abort(404)
    figures = annual_report(year)
    if fmt == "pdf":
        data, mimetype = report_pdf(figures), "application/pdf"
    else:
        data, mimetype = report_xlsx(figures), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename=city_targets-report-{year}.{fmt}"
    return response


@bp.route("/chart/<name>.svg")
def chart(name: str) -> Response:
    lang = _lang()
    if name == "progress":
        svg = progress_chart(targets_report(_year_arg(), _county_arg()), lang)
    elif name == "years":
        svg = years_chart(targets_report(None, _county_arg()), lang)
    elif name == "assessment":
        table = assessment(_year_arg(required=True) or default_year())
        if table.weights_version is None:
            abort(404)
        svg = assessment_chart(table, lang)
    else:
        abort(404)
    response = Response(svg, mimetype="image/svg+xml")
    # The SVG carries its own <style> (pygal's): allowed inside the picture only; never a script.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


def admin_pages() -> list[AdminPage]:
    return [AdminPage(bp, WORDS["title"], "index")]
