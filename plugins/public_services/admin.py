"""The plugin's admin pages: monitoring by county and aspect, trends, alerts, the lists' checks, pilots.

Imported only by the ``stdpolicy_register_admin_pages`` hook, so the plugin
(and core) work without Flask. Every page reads through the plugin API
(``core``): the monitoring outcomes with ``stored_outcomes``, the lists with
``stored_references``, the review age with ``stored_parameters``. The lists
themselves are edited, versioned, compared, imported and exported on the
platform's 参考数据 pages (``reference_url``), which these pages link to.
Every table exports to XLSX. Rules stay out of the views: they call
``monitoring`` and ``checks``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from flask import Blueprint, abort, request

from core import (
    AdminPage,
    Column,
    ReferenceSnapshot,
    Text,
    current_registry,
    export_xlsx,
    pick,
    reference_url,
    render_page,
    stored_outcomes,
    stored_parameters,
    stored_references,
    today,
)

from . import checks, monitoring
from .rules import KIND
from .schemas import CLASSIFICATION, RESPONSIBILITY_LIST, SERVICE_LIST, STANDARDS_LIST
from .words import CLAUSE, CLAUSE_TEXT, COUNTIES, DIRECTIONS, PLUGIN, county_name

__all__ = ["WORDS", "admin_pages", "bp"]

bp = Blueprint("public_services_admin", __name__, template_folder="templates")

WORDS: dict[str, Text] = {
    "overview": Text("标准实施监测总览", "Monitoring overview"),
    "alerts": Text("低于标准预警", "Below-standard alerts"),
    "trends": Text("服务项目趋势", "Item trends"),
    "lists": Text("三张清单核查", "Checks of the three lists"),
    "pilots": Text("基本公共服务标准化试点", "Basic public service pilots"),
    "intro": Text(
        "各县(市、区)各服务方面监测指标的达标情况(每个指标取最近一期监测)。“达标”指实测值达到服务清单规定的标准值;"
        "无量化标准值的指标予以跟踪登记,不计入达标率。",
        "Per county and aspect, the monitored indicators that meet the standard value of the service list (each "
        "indicator's latest period). Indicators without a quantitative value are tracked and not counted.",
    ),
    "clause": Text("政策依据", "Policy basis"),
    "county": Text("县(市、区)", "County or district"),
    "aspect": Text("服务方面", "Aspect"),
    "met_of": Text("{met}/{total} 达标", "{met} of {total} met"),
    "tracked": Text("跟踪 {n}", "{n} tracked"),
    "none": Text("无监测记录", "no monitoring records"),
    "year": Text("年度", "Year"),
    "all_years": Text("各指标最近一期", "latest period of each indicator"),
    "show": Text("查看", "Show"),
    "export": Text("导出 Excel", "Export to Excel"),
    "item": Text("服务项目", "Service item"),
    "item_code": Text("服务项目编号", "Item code"),
    "indicator": Text("指标", "Indicator"),
    "period": Text("监测期", "Period"),
    "value": Text("实测值", "Measured value"),
    "standard": Text("标准值", "Standard value"),
    "unit": Text("单位", "Unit"),
    "direction": Text("达标方向", "Direction"),
    "status": Text("结论", "Result"),
    "source": Text("数据来源", "Data source"),
    "record": Text("记录", "Record"),
    "list_version": Text("所依据的服务清单", "Service list read"),
    "version_from": Text("{day}起施行", "in force from {day}"),
    "sample": Text("示例数据", "sample data"),
    "no_alerts": Text("最近一期监测中没有低于标准的指标。", "No indicator is below its standard in its latest period."),
    "choose_item": Text("选择服务项目", "Choose an item"),
    "no_trend": Text("该服务项目尚无监测记录。", "No monitoring records for this item."),
    "lists_intro": Text(
        "按今日(或所选日期)施行的服务清单和标准清单核查:地方标准指标低于国家标准、服务项目无现行有效标准支撑(缺口)、"
        "标准发布超过复审年限(待复审)。清单的编辑、版本、比较、导入和导出在“参考数据”页面进行。",
        "Checked against the service and standards lists in force today (or on the date chosen): local standards "
        "lower than national ones, items without a standard in force (gaps), standards older than the review age. "
        "The lists are edited, versioned, compared, imported and exported on the reference-data pages.",
    ),
    "on": Text("核查日期", "Checked on"),
    "the_lists": Text("清单(参考数据)", "The lists (reference data)"),
    "in_force": Text("施行版本", "Version in force"),
    "rows": Text("行数", "Rows"),
    "not_in_force": Text("无施行版本", "no version in force"),
    "open": Text("查看、编辑、比较、导入导出", "view, edit, compare, import, export"),
    "lower": Text("地方标准低于国家标准", "Local standards lower than national"),
    "gaps": Text("缺口:无现行有效标准支撑的服务项目", "Gaps: items without a standard in force"),
    "outdated": Text("待复审:发布超过{years}年的现行标准", "Due for review: standards in force older than {years} years"),
    "local_standard": Text("地方标准", "Local standard"),
    "local_value": Text("地方标准值", "Local value"),
    "national_standard": Text("国家标准", "National standard"),
    "national_value": Text("国家标准值", "National value"),
    "standard_number": Text("标准编号", "Standard"),
    "issued": Text("发布日期", "Issued"),
    "due": Text("复审到期日", "Review due"),
    "gap_reason": Text("原因", "Reason"),
    "gap_none": Text("标准清单中无支撑标准", "no supporting standard in the list"),
    "gap_not_in_force": Text("支撑标准均已被代替或废止", "every supporting standard replaced or withdrawn"),
    "nothing": Text("无", "none"),
    "no_lists": Text("所选日期无施行的服务清单或标准清单,无法核查。",
                     "No service list or standards list is in force on that date: nothing to check."),
    "project": Text("试点项目", "Pilot project"),
    "level": Text("试点级别", "Level"),
    "items_covered": Text("覆盖服务项目", "Items covered"),
    "pilot_status": Text("状态", "Status"),
    "accepted": Text("已通过验收", "accepted"),
    "approved": Text("已立项,未验收", "approved, not yet accepted"),
    "organisation": Text("承担单位", "Organisation"),
    "date": Text("日期", "Date"),
    "no_pilots": Text("尚无登记覆盖服务项目的标准化试点。", "No pilot names the items it covers yet."),
    "bad_date": Text("日期格式应为 2024-08-04", "a date is written 2024-08-04"),
}

STATUS_WORDS = {
    "compliant": Text("达标", "meets the standard"),
    "non_compliant": Text("低于标准", "below the standard"),
    "tracking": Text("无量化标准,跟踪登记", "no quantitative standard: tracked"),
    "not_covered": Text("无法核对", "cannot be checked"),
}
PILOT_LEVELS = {"national": Text("国家级", "national"), "provincial": Text("省级", "provincial")}

PAGES = ("index", "alerts", "trends", "lists", "pilots")
TITLES = {"index": WORDS["overview"], "alerts": WORDS["alerts"], "trends": WORDS["trends"],
          "lists": WORDS["lists"], "pilots": WORDS["pilots"]}


# -- reading -------------------------------------------------------------------------

def monitoring_rows() -> list[monitoring.MonitoringRow]:
    """Every stored monitoring record with this plugin's current outcome."""
    return [
        monitoring.row_of(o.activity.ref, o.activity.date, o.activity.fields, o.status, o.rule, o.explanation,
                          o.details, o.references)
        for o in stored_outcomes(kinds=(KIND,), plugin=PLUGIN)
    ]


def _snapshot(key: str, on: date) -> ReferenceSnapshot | None:
    return stored_references().snapshot(key, on)


def _aspects(on: date) -> list[tuple[str, Text]]:
    snapshot = _snapshot(CLASSIFICATION, on)
    if snapshot is None:
        return []
    return [(row["code"], Text(row["name"], row.get("name_en") or row["name"]))
            for row in snapshot if "." not in row["code"]]


def _day(arg: str) -> date:
    value = request.args.get(arg)
    if not value:
        return today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        abort(400, pick(WORDS["bad_date"]))


def _year() -> int | None:
    value = request.args.get("year", "")
    if not value:
        return None
    if not (value.isdecimal() and len(value) == 4) or not 2000 <= int(value) <= 2100:  # "²", "①": digits int() refuses
        abort(400)
    return int(value)


def _nav() -> list[tuple[str, Text]]:
    return [(name, TITLES[name]) for name in PAGES]


def _render(template: str, page: str, **context: Any) -> str:
    return render_page(template, title=TITLES[page], breadcrumbs=[(TITLES[page], None)],
                       words=WORDS, nav=_nav(), current=page, status_words=STATUS_WORDS,
                       county_name=county_name, clause=CLAUSE, clause_text=CLAUSE_TEXT, **context)


def _wants_xlsx() -> bool:
    return request.args.get("format") == "xlsx"


# -- monitoring ----------------------------------------------------------------------

_MONITORING_COLUMNS = [
    Column("region", WORDS["county"], lambda r: county_name(r.region), 14),
    Column("item_code", WORDS["item_code"], width=10),
    Column("item_name", WORDS["item"], width=28),
    Column("indicator_name", WORDS["indicator"], lambda r: r.indicator_name or r.indicator, 24),
    Column("period", WORDS["period"], lambda r: r.period.label, 14),
    Column("value", WORDS["value"], width=10),
    Column("standard_value", WORDS["standard"], width=10),
    Column("unit", WORDS["unit"], width=10),
    Column("direction", WORDS["direction"], lambda r: DIRECTIONS.get(r.direction or "", ""), 12),
    Column("status", WORDS["status"], lambda r: STATUS_WORDS.get(r.status, Text(r.status, r.status)), 14),
    Column("source", WORDS["source"], width=20),
    Column("ref", WORDS["record"], width=14),
    Column("explanation", Text("说明", "Explanation"), lambda r: r.explanation, 60),
]


@bp.route("/")
def index() -> Any:
    year = _year()
    rows = monitoring.latest(monitoring_rows(), year=year)
    aspects = _aspects(today())
    counties = list(COUNTIES)
    table = monitoring.county_aspect_table(rows, counties, [code for code, _ in aspects])
    if _wants_xlsx():
        cells = [{"county": county_name(c), "aspect": name, "met": table[(c, a)].met,
                  "quantitative": table[(c, a)].quantitative, "tracked": table[(c, a)].tracked}
                 for c in counties for a, name in aspects]
        return export_xlsx(cells, [
            Column("county", WORDS["county"], width=16), Column("aspect", WORDS["aspect"], width=16),
            Column("met", Text("达标指标数", "Indicators met"), width=12),
            Column("quantitative", Text("有量化标准的监测指标数", "Indicators with a standard value"), width=14),
            Column("tracked", Text("跟踪登记指标数", "Indicators tracked"), width=12),
        ], f"public-services-overview-{today().isoformat()}.xlsx", sheet=WORDS["overview"])
    years = sorted({r.period.year for r in monitoring_rows()}, reverse=True)
    return _render("public_services/index.html", "index", rows=rows, aspects=aspects, counties=counties,
                   table=table, year=year, years=years)


@bp.route("/alerts")
def alerts() -> Any:
    rows = monitoring.alerts(monitoring.latest(monitoring_rows(), year=_year()))
    if _wants_xlsx():
        return export_xlsx(rows, _MONITORING_COLUMNS, f"public-services-alerts-{today().isoformat()}.xlsx",
                           sheet=WORDS["alerts"])
    return _render("public_services/alerts.html", "alerts", rows=rows)


@bp.route("/trends")
def trends() -> Any:
    rows = monitoring_rows()
    items = sorted({(r.item_code, r.item_name) for r in rows}, key=lambda i: [int(p) for p in i[0].split(".")])
    chosen = request.args.get("item") or (items[0][0] if items else "")
    periods, lines = monitoring.trends(rows, chosen)
    if _wants_xlsx():
        flat = [point for line in lines for point in line.points]
        return export_xlsx(flat, _MONITORING_COLUMNS, f"public-services-trend-{chosen or 'none'}.xlsx",
                           sheet=WORDS["trends"])
    return _render("public_services/trends.html", "trends", items=items, chosen=chosen, periods=periods,
                   lines=lines)


# -- the lists -----------------------------------------------------------------------

def _list_state(on: date) -> dict[str, Any]:
    service = _snapshot(SERVICE_LIST, on)
    standards = _snapshot(STANDARDS_LIST, on)
    current = stored_parameters().value("public_services.review_years", on)
    years = int(current.value) if current is not None else 5
    if service is None or standards is None:
        return {"service": service, "standards": standards, "years": years, "review": current,
                "lower": [], "gaps": [], "outdated": []}
    return {
        "service": service, "standards": standards, "years": years, "review": current,
        "lower": checks.lower_than_national(service, standards),
        "gaps": checks.gaps(service, standards),
        "outdated": checks.outdated(service, standards, on, years),
    }


def _finding_columns(check: str) -> Sequence[Column]:
    base = [Column("item_code", WORDS["item_code"], width=10), Column("item_name", WORDS["item"], width=28)]
    if check == "lower":
        return base + [
            Column("standard", WORDS["local_standard"], width=20),
            Column("indicator", WORDS["indicator"], lambda f: f.details["indicator"], 14),
            Column("local_value", WORDS["local_value"], lambda f: f.details["local_value"], 10),
            Column("national_standard", WORDS["national_standard"], lambda f: f.details["national_standard"], 20),
            Column("national_value", WORDS["national_value"], lambda f: f.details["national_value"], 10),
        ]
    if check == "outdated":
        return base + [
            Column("standard", WORDS["standard_number"], width=20),
            Column("issued", WORDS["issued"], lambda f: f.details["issued"], 12),
            Column("due", WORDS["due"], lambda f: f.details["due"], 12),
        ]
    return base + [Column("reason", WORDS["gap_reason"], lambda f: WORDS[
        "gap_none" if f.details["reason"] == "none" else "gap_not_in_force"], 30)]


@bp.route("/lists")
def lists() -> Any:
    on = _day("on")
    state = _list_state(on)
    check = request.args.get("check")
    if _wants_xlsx():
        if check not in ("lower", "gaps", "outdated"):
            abort(404)
        title = WORDS[check] if check != "outdated" else Text(
            WORDS["outdated"].zh.format(years=state["years"]), WORDS["outdated"].en.format(years=state["years"]))
        return export_xlsx(state[check], _finding_columns(check),
                           f"public-services-{check}-{on.isoformat()}.xlsx", sheet=title)
    tables = []
    for key in (CLASSIFICATION, SERVICE_LIST, STANDARDS_LIST, RESPONSIBILITY_LIST):
        snapshot = _snapshot(key, on)
        tables.append({"key": key, "label": current_registry().reference_tables[key].label, "snapshot": snapshot,
                       "url": reference_url(key)})
    return _render("public_services/lists.html", "lists", on=on, state=state, tables=tables)


# -- pilots --------------------------------------------------------------------------

def pilot_rows() -> list[dict[str, Any]]:
    """Pilot projects this plugin tracks (those naming the items they cover), with the items' names."""
    service = _snapshot(SERVICE_LIST, today())
    out = []
    for o in stored_outcomes(kinds=("pilot_project",), plugin=PLUGIN):
        if o.rule != "PP1":
            continue
        f = o.activity.fields
        items = [(code, ((service.get(code) or {}).get("name", "") if service is not None else ""))
                 for code in f.get("service_items") or []]
        out.append({"ref": o.activity.ref, "date": o.activity.date, "organisation": o.activity.organisation or "",
                    "project": f.get("project") or "", "level": PILOT_LEVELS.get(f.get("pilot_level", ""), ""),
                    "status": WORDS["accepted"] if f.get("accepted") else WORDS["approved"],
                    "accepted": bool(f.get("accepted")), "items": items,
                    "items_text": "\n".join(f"{code} {name}".strip() for code, name in items)})
    return out


@bp.route("/pilots")
def pilots() -> Any:
    rows = pilot_rows()
    if _wants_xlsx():
        return export_xlsx(rows, [
            Column("project", WORDS["project"], width=28), Column("organisation", WORDS["organisation"], width=24),
            Column("level", WORDS["level"], width=10), Column("status", WORDS["pilot_status"], width=16),
            Column("items_text", WORDS["items_covered"], width=40), Column("date", WORDS["date"], width=12),
            Column("ref", WORDS["record"], width=14),
        ], f"public-services-pilots-{today().isoformat()}.xlsx", sheet=WORDS["pilots"])
    return _render("public_services/pilots.html", "pilots", rows=rows)


def admin_pages() -> list[AdminPage]:
    return [AdminPage(bp, Text("基本公共服务标准化", "Basic public service standards"), "index")]
