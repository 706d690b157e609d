"""The plugin's admin pages: campaigns and their progress, results, forerunner lists, adoptions.

Imported only by ``stdpolicy_register_admin_pages`` (Flask lives here, not in
the rules). Mounted under ``/admin/p/benchmarking/`` for departments that
switched the plugin on. Every page reads stored records with their current
outcomes (``core.stored_outcomes``) and the reference data in force
(``core.stored_references``); every list exports to XLSX; the forerunner
list also prints. Words in both languages (``Text``), Chinese first.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, request, url_for

from core import (
    AdminPage,
    Column,
    Text,
    export_xlsx,
    pick,
    region_of,
    render_page,
    status_label,
    stored_outcomes,
    stored_references,
    today,
)

from . import KINDS
from .indicators import DIRECTIONS
from .rules import QUOTAS, RULES, TOP_N
from .schemas import CAMPAIGNS, DEGREES
from .views import (
    adoption_rows,
    by_activity,
    campaign_progress,
    forerunner_lists,
    forerunners_per_year,
    indicator_rows,
    rates,
    result_rows,
)

__all__ = ["WORDS", "admin_pages", "bp"]

bp = Blueprint("benchmarking_admin", __name__, template_folder="templates", static_folder="static")

W = Text
WORDS: dict[str, Text] = {
    "overview": W("对标达标概览", "Benchmarking overview"),
    "results": W("对标结果", "Benchmarking results"),
    "forerunners": W("领跑者榜单", "Forerunner lists"),
    "adoptions": W("采用国际标准", "Adoptions"),
    "campaigns": W("专项行动进度", "Campaign progress"),
    "campaign": W("专项行动", "Campaign"),
    "year": W("年度", "Year"),
    "field": W("重点领域", "Key field"),
    "name": W("名称", "Name"),
    "enterprises": W("参加企业", "Enterprises"),
    "target_enterprises": W("目标企业数", "Target enterprises"),
    "products_met": W("达标产品", "Products meeting the benchmark"),
    "target_products": W("目标产品数", "Target products"),
    "share": W("完成比例", "Progress"),
    "results_count": W("对标结果数", "Results"),
    "no_campaigns": W("今日没有施行的专项行动清单。由本插件主管部门在“参考数据”中登记“对标达标专项行动”。",
                      "No campaign list is in force today. The owning department records one under Reference data."),
    "sample": W("示例数据", "sample data"),
    "list_version": W("专项行动清单第{n}版,自{day}起施行", "campaign list version {n}, in force from {day}"),
    "rate_by_field": W("达标率(按重点领域)", "Compliance rate by key field"),
    "rate_by_county": W("达标率(按县(市、区))", "Compliance rate by county"),
    "judged": W("已评定", "Judged"),
    "per_year": W("领跑者(按年度)", "Forerunners by year"),
    "categories": W("产品类别数", "Categories"),
    "evaluations": W("评价数", "Evaluations"),
    "listed": W("列入榜单", "On the lists"),
    "met": W("达标", "Compliant"),
    "rate": W("达标率", "Rate"),
    "none_yet": W("暂无记录。", "Nothing recorded yet."),
    "outside_campaign": W("未参加专项行动", "outside any campaign"),
    "organisation": W("单位名称", "Organisation"),
    "credit_code": W("统一社会信用代码", "Credit code"),
    "county": W("县(市、区)", "County"),
    "product": W("产品", "Product"),
    "category": W("产品类别", "Product category"),
    "standard": W("对标标准", "Benchmark standard"),
    "status": W("结论", "Outcome"),
    "failing": W("未达标的核心指标", "Core indicators missed"),
    "report": W("检测报告", "Test report"),
    "date": W("日期", "Date"),
    "export": W("导出 Excel", "Export to Excel"),
    "export_indicators": W("按指标逐行导出 Excel", "Export one row per indicator"),
    "place": W("名次", "Place"),
    "own_standard": W("执行标准", "Standard"),
    "evaluator": W("评价机构", "Evaluator"),
    "measure": W("得分或等级", "Score or tier"),
    "reason": W("原因", "Reason"),
    "print": W("打印榜单", "Print the list"),
    "on_list": W("列入榜单", "On the list"),
    "quota": W("榜单名额", "Places on the list"),
    "quota_category": W("本类别名额{n}名(领跑者名额表)", "{n} places (forerunner quota table)"),
    "quota_city": W("全市统一名额{n}名", "{n} places (city-wide)"),
    "quota_none": W("名额尚未设定", "no number of places set"),
    "forerunner_intro": W("按类别和年度列出第三方评价结果:列入榜单的单位在前,其次为符合条件未进入榜单的单位,最后为不符合条件的单位及原因。"
                          "排名依据已保存的评估结论;补充导入同一类别的评价后,请重新评估。",
                          "Per category and year: the list first, then qualifying enterprises outside it, then those that "
                          "do not qualify with the reason. Places are those of the stored outcomes; re-evaluate after "
                          "importing more evaluations of a category."),
    "published": W("{year}年度“{category}”企业标准领跑者榜单", "{year} enterprise-standard forerunners: {category}"),
    "printed_on": W("打印日期:{day}", "Printed {day}"),
    "chinese_standard": W("我国标准", "Chinese standard"),
    "adopted_standard": W("被采用标准", "Standard adopted"),
    "degree": W("一致性程度", "Degree"),
    "counted": W("计入采用数", "Counted as adoption"),
    "title": W("标准名称", "Title"),
    "adoption_totals": W("计入采用{counted}项,非等效{neq}项", "{counted} counted as adoptions, {neq} not equivalent"),
    "yes": W("是", "yes"),
    "no": W("否", "no"),
    "source": W("依据:《中共嘉兴市委 嘉兴市人民政府关于加快推进标准强市建设的实施意见》第二部分第(六)项第1目、第(七)项第1目和第2目",
                "Under part II, item (6) point 1 and item (7) points 1 and 2 of the Implementation Opinions (Jiaxing, 2022)"),
}
TITLE = WORDS["overview"]


def _records() -> list[Any]:
    """The plugin's stored records with their current outcomes: (activity, [outcome]) per activity."""
    return by_activity(stored_outcomes(kinds=KINDS))


def county_of(credit_code: str) -> Text:
    return region_of(credit_code)[1]


def _campaign_table(day: date) -> Any:
    return stored_references().snapshot(CAMPAIGNS, day)


def _status(status: str | None) -> Text:
    return status_label(status) if status else Text("—", "—")


def _crumbs(label: Text) -> list[tuple[Text, str | None]]:
    return [(label, None)]


@bp.route("/")
def index() -> str:
    day = today()
    records = _records()
    snapshot = _campaign_table(day)
    progress = campaign_progress(snapshot.rows if snapshot is not None else [], records)
    by_field = rates(records, lambda a: a.fields.get("campaign_field") or pick(WORDS["outside_campaign"]))
    by_county = rates(records, lambda a: pick(county_of(a.credit_code)))
    per_year = forerunners_per_year(forerunner_lists(records))
    return render_page("benchmarking/index.html", title=TITLE, words=WORDS, snapshot=snapshot, progress=progress,
                       by_field=by_field, by_county=by_county, per_year=per_year, day=day)


@bp.route("/campaigns.xlsx")
def campaigns_xlsx() -> Response:
    day = today()
    snapshot = _campaign_table(day)
    progress = campaign_progress(snapshot.rows if snapshot is not None else [], _records())
    columns = [
        Column("year", WORDS["year"], width=8), Column("field", WORDS["field"]), Column("name", WORDS["name"], width=30),
        Column("enterprises", WORDS["enterprises"], lambda p: len(p.enterprises), width=10),
        Column("target_enterprises", WORDS["target_enterprises"], width=10),
        Column("products_met", WORDS["products_met"], lambda p: len(p.products_met), width=10),
        Column("target_products", WORDS["target_products"], width=10),
        Column("results", WORDS["results_count"], width=10),
    ]
    return export_xlsx(progress, columns, f"benchmarking-campaigns-{day.isoformat()}.xlsx", sheet=WORDS["campaigns"])


@bp.route("/results")
def results() -> str:
    rows = result_rows(_records(), county_of)
    return render_page("benchmarking/results.html", title=WORDS["results"], breadcrumbs=_crumbs(WORDS["results"]),
                       words=WORDS, rows=rows, status=_status)


@bp.route("/results.xlsx")
def results_xlsx() -> Response:
    rows = result_rows(_records(), county_of)
    columns = [
        Column("ref", Text("编号", "ID"), width=12), Column("date", WORDS["date"], width=12),
        Column("organisation", WORDS["organisation"], width=28), Column("credit_code", WORDS["credit_code"], width=20),
        Column("county", WORDS["county"], width=12), Column("product", WORDS["product"], width=24),
        Column("category", WORDS["category"], width=18), Column("standard", WORDS["standard"], width=22),
        Column("campaign", WORDS["campaign"], width=14),
        Column("status", WORDS["status"], lambda r: _status(r.status), width=10),
        Column("failing", WORDS["failing"], width=24), Column("test_report", WORDS["report"], width=18),
    ]
    return export_xlsx(rows, columns, f"benchmarking-results-{today().isoformat()}.xlsx", sheet=WORDS["results"])


@bp.route("/results-indicators.xlsx")
def indicators_xlsx() -> Response:
    """One row per indicator, grouped by the record's id: the layout of the interchange spreadsheets."""
    label = {"higher": DIRECTIONS["higher"], "lower": DIRECTIONS["lower"], "range": DIRECTIONS["range"]}
    columns = [
        Column("id", Text("编号", "ID"), width=12), Column("date", Text("日期", "Date"), width=12),
        Column("credit_code", WORDS["credit_code"], width=20), Column("organisation", WORDS["organisation"], width=28),
        Column("product", WORDS["product"], width=24), Column("product_category", WORDS["category"], width=18),
        Column("benchmark_standard", WORDS["standard"], width=22),
        Column("campaign_year", Text("专项行动年度", "Campaign year"), width=10),
        Column("campaign_field", Text("专项行动领域", "Campaign field"), width=12),
        Column("test_report", Text("检测报告编号", "Test report number"), width=18),
        Column("test_report_date", Text("检测报告日期", "Test report date"), width=12),
        Column("indicator_name", Text("指标名称", "Indicator"), width=18),
        Column("indicator_unit", Text("单位", "Unit"), width=10),
        Column("indicator_direction", Text("方向", "Direction"), lambda r: label.get(r["indicator_direction"]), width=10),
        Column("indicator_value", Text("实测值", "Value"), width=10),
        Column("indicator_target", Text("要求值", "Required value"), width=10),
        Column("indicator_minimum", Text("区间下限", "Range minimum"), width=10),
        Column("indicator_maximum", Text("区间上限", "Range maximum"), width=10),
        Column("indicator_core", Text("核心指标", "Core indicator"), width=8),
    ]
    return export_xlsx(indicator_rows(_records()), columns, f"benchmarking-indicators-{today().isoformat()}.xlsx",
                       sheet=Text("对标指标", "Indicators"))


def _quota_text(category: str, on: date) -> Text:
    snapshot = stored_references().snapshot(QUOTAS, on)
    row = snapshot.get(category) if snapshot is not None else None
    if row is not None:
        t = WORDS["quota_category"]
        return Text(t.zh.format(n=row["top_n"]), t.en.format(n=row["top_n"]))
    from core import stored_parameters

    city = stored_parameters().value(TOP_N, on)
    if city is not None:
        t = WORDS["quota_city"]
        return Text(t.zh.format(n=city.value), t.en.format(n=city.value))
    return WORDS["quota_none"]


def _one_list(year: int, category: str) -> list[Any]:
    rows = forerunner_lists(_records()).get((year, category))
    if rows is None:
        abort(404)
    return rows


def _list_args() -> tuple[int, str]:
    try:
        return int(request.args.get("year", "")), request.args.get("category", "")
    except ValueError:
        abort(404)


@bp.route("/forerunners")
def forerunners() -> str:
    lists = forerunner_lists(_records())
    day = today()
    quotas = {key: _quota_text(key[1], day) for key in lists}
    return render_page("benchmarking/forerunners.html", title=WORDS["forerunners"],
                       breadcrumbs=_crumbs(WORDS["forerunners"]), words=WORDS, lists=lists, quotas=quotas,
                       status=_status, rules=RULES)


def _forerunner_columns() -> list[Column]:
    return [
        Column("place", WORDS["place"], width=6), Column("organisation", WORDS["organisation"], width=28),
        Column("credit_code", WORDS["credit_code"], width=20), Column("standard", WORDS["own_standard"], width=20),
        Column("evaluator", WORDS["evaluator"], width=20), Column("measure", WORDS["measure"], width=10),
        Column("status", WORDS["status"], lambda r: _status(r.status), width=10),
        Column("on_list", WORDS["on_list"], lambda r: r.rule == "F1", width=8),
        Column("reason", WORDS["reason"], width=40),
    ]


@bp.route("/forerunners.xlsx")
def forerunners_xlsx() -> Response:
    year, category = _list_args()
    rows = _one_list(year, category)
    title = WORDS["published"]
    return export_xlsx(rows, _forerunner_columns(), f"forerunners-{year}.xlsx",
                       sheet=Text(title.zh.format(year=year, category=category)[:31], f"{year} forerunners"))


@bp.route("/forerunners/print")
def forerunners_print() -> str:
    year, category = _list_args()
    rows = [r for r in _one_list(year, category) if r.rule == "F1"]
    title = WORDS["published"]
    return render_page("benchmarking/print.html",
                       title=Text(title.zh.format(year=year, category=category), title.en.format(year=year, category=category)),
                       words=WORDS, rows=rows, day=today(), css=url_for(".static", filename="print.css"),
                       lang=pick(Text("zh-CN", "en")))


@bp.route("/adoptions")
def adoptions() -> str:
    rows = adoption_rows(_records())
    counted = sum(1 for r in rows if r.counted)
    neq = sum(1 for r in rows if r.degree == "NEQ")
    return render_page("benchmarking/adoptions.html", title=WORDS["adoptions"], breadcrumbs=_crumbs(WORDS["adoptions"]),
                       words=WORDS, rows=rows, degrees=DEGREES, counted=counted, neq=neq)


@bp.route("/adoptions.xlsx")
def adoptions_xlsx() -> Response:
    columns = [
        Column("date", WORDS["date"], width=12), Column("organisation", WORDS["organisation"], width=28),
        Column("chinese_standard", WORDS["chinese_standard"], width=22),
        Column("adopted_standard", WORDS["adopted_standard"], width=22),
        Column("degree", WORDS["degree"], lambda r: DEGREES.get(r.degree), width=14),
        Column("counted", WORDS["counted"], width=8), Column("title", WORDS["title"], width=30),
    ]
    return export_xlsx(adoption_rows(_records()), columns, f"benchmarking-adoptions-{today().isoformat()}.xlsx",
                       sheet=WORDS["adoptions"])


def admin_pages() -> list[AdminPage]:
    return [AdminPage(bp, TITLE, "index")]
