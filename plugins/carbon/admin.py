"""The carbon plugin's admin pages: an overview and four lists, each exportable to XLSX.

Imported only by ``stdpolicy_register_admin_pages`` (Flask stays out of the
plugin otherwise). Mounted under ``/admin/p/carbon/`` for departments that
switched the plugin on; read-only (reference data and parameters are
changed on the admin's own 参考数据 and 参数 pages, by the owning
department). The pages read the current stored outcomes of this plugin
through ``core.stored_outcomes`` and compute the figures here from them:
what the lists show and what the figures count are the same rows.

- 概览 (``index``): compliance rate by industry and county, carbon standards
  per year and topic against the dated target, verification coverage by
  county and sector, the certificates' states;
- 整改名单 (``rectification``): non-compliant energy-quota reports, filtered
  by county, industry and year;
- 证书到期 (``certificates``): certificates expired or expiring within the
  warning period in force today (computed for today, not as last evaluated);
- 碳标准成果 (``achievements``): carbon standards led or taken part in;
- 核算核查 (``accounting``): carbon accounting reports and their verification.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, abort, request, url_for
from werkzeug.wrappers import Response

from core import (
    AdminPage,
    Column,
    Text,
    clause_words,
    date_en,
    date_zh,
    export_xlsx,
    parameter_url,
    reference_url,
    region_of,
    render_page,
    stored_outcomes,
    stored_parameters,
    today,
)

from . import rules
from .decisions import decide_certificate
from .labels import CLAUSE, CLAUSE_TEXT, DOCUMENT, PLANT_TYPES, TOPICS

__all__ = ["WORDS", "admin_pages", "bp"]

bp = Blueprint("carbon_admin", __name__, template_folder="templates")

WORDS = {
    "title": Text("碳达峰碳中和标准", "Carbon standards"),
    "overview": Text("概览", "Overview"),
    "rectification": Text("能耗限额整改名单", "Energy quota rectification list"),
    "certificates": Text("低碳产品认证证书到期提醒", "Low-carbon certificates expiring"),
    "achievements": Text("碳标准制定成果", "Carbon standards drafted"),
    "accounting": Text("碳排放核算与核查", "Carbon accounting and verification"),
    "export": Text("导出 Excel", "Export to Excel"),
    "filter": Text("筛选", "Filter"),
    "all": Text("全部", "All"),
    "none": Text("暂无记录。", "Nothing recorded."),
    "county": Text("县(市、区)", "County"),
    "industry": Text("行业", "Industry"),
    "sector": Text("核算行业", "Sector"),
    "year": Text("年度", "Year"),
    "topic": Text("碳主题", "Carbon topic"),
    "organisation": Text("单位", "Organisation"),
    "credit_code": Text("统一社会信用代码", "Credit code"),
    "product": Text("产品", "Product"),
    "standard": Text("标准", "Standard"),
    "indicator": Text("指标", "Indicator"),
    "value": Text("实测值", "Measured value"),
    "requirement": Text("对照值", "Compared with"),
    "plant": Text("企业类型", "Plant type"),
    "result": Text("结论", "Result"),
    "explanation": Text("说明", "Explanation"),
    "certificate": Text("证书编号", "Certificate"),
    "body": Text("认证机构", "Certification body"),
    "expiry": Text("有效期至", "Valid until"),
    "days_left": Text("剩余天数", "Days left"),
    "state": Text("状态", "State"),
    "role": Text("参与方式", "Role"),
    "date": Text("日期", "Date"),
    "emissions": Text("排放量(吨二氧化碳当量)", "Emissions (tCO2e)"),
    "verifier": Text("核查机构", "Verifier"),
    "verified": Text("已核查", "Verified"),
    "consistent": Text("核算标准一致", "Standard consistent"),
    "reports": Text("报告数", "Reports"),
    "compliant": Text("达标", "Compliant"),
    "rate": Text("达标率", "Compliance rate"),
    "coverage": Text("核查覆盖率", "Verification coverage"),
    "led": Text("牵头", "Led"),
    "participated": Text("参与", "Took part"),
    "total": Text("合计", "Total"),
    "target": Text("年度目标", "Yearly target"),
    "no_target": Text("未设定(参数未登记)", "not set (no parameter version)"),
    "valid": Text("有效", "valid"),
    "expiring": Text("即将到期", "expiring"),
    "expired": Text("已过期", "expired"),
    "warning": Text("提醒期:到期前 {days} 天(参数今日施行值)", "Warning period: {days} days before expiry (parameter in force today)"),
    "as_of": Text("截至{day}", "As of {day}"),
    "by_industry": Text("按行业统计能耗限额达标率", "Energy-quota compliance by industry"),
    "by_county": Text("按县(市、区)统计能耗限额达标率", "Energy-quota compliance by county"),
    "standards_by_year": Text("碳标准制定成果(按年度、主题)", "Carbon standards by year and topic"),
    "coverage_by": Text("核查覆盖率(按县(市、区)、行业)", "Verification coverage by county and sector"),
    "certificate_states": Text("低碳产品认证证书状态(按县(市、区))", "Low-carbon certificates by county"),
    "held": Text("暂缓判定(缺少参考数据)", "held (no reference data)"),
    "source": Text("政策依据", "Policy basis"),
    "reference_note": Text("限额标准、碳标准清单和行业核算标准为带版本的参考数据,由发展和改革委员会在“参考数据”页面登记新版本;"
                           "标注“示例数据”的版本仅供演示。",
                           "Quota standards, the carbon standards list and the sector accounting standards are versioned "
                           "reference data, recorded by the Development and Reform Commission on the Reference data page; "
                           "versions marked sample data are for demonstration only."),
    "not_evaluated": Text("尚未评估", "not evaluated"),
    "data": Text("参考数据与参数", "Reference data and parameters"),
    "data_intro": Text("各表的版本、差异比较和导出见“参考数据”页面;参数的历史版本见“参数”页面。",
                       "Each table's versions, comparisons and exports are on the Reference data page; "
                       "parameter histories on the Parameters page."),
}

#: The plugin's reference tables and parameters, for the overview's links.
TABLES = (
    ("carbon.quota_standards", Text("能耗限额标准", "Energy quota standards")),
    ("carbon.carbon_standards", Text("碳标准清单", "Carbon standards list")),
    ("carbon.accounting_standards", Text("行业核算标准", "Sector accounting standards")),
)
PARAMETERS = (
    ("carbon.expiry_warning_days", Text("低碳产品认证证书到期提醒天数", "Days before expiry a certificate is flagged")),
    ("carbon.standards_target", Text("年度碳标准制修订目标", "Yearly target of carbon standards")),
    ("carbon.bonus.led", Text("牵头制定碳标准的奖励", "Bonus for leading a carbon standard")),
    ("carbon.bonus.participated", Text("参与制定碳标准的奖励", "Bonus for taking part in a carbon standard")),
)

STATES = {"L1": WORDS["valid"], "L2": WORDS["expiring"], "L3": WORDS["expired"]}
ROLES = {"led": WORDS["led"], "participated": WORDS["participated"]}
RULE_LABELS = dict(rules.RULES)


def _pct(part: int, whole: int) -> str:
    return f"{part * 100 / whole:.1f}%" if whole else "—"


@dataclass(frozen=True)
class Listing:
    """One list page: its rows, columns (shared by the HTML table and the XLSX export) and filters."""

    title: Text
    endpoint: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    filters: list[tuple[str, Text, list[tuple[str, Text]]]]
    intro: Text | None = None


def _county(credit_code: str) -> tuple[str, Text]:
    return region_of(credit_code)


def _options(values: Iterable[tuple[str, Text]]) -> list[tuple[str, Text]]:
    return sorted(set(values), key=lambda item: item[0])


def _filtered(rows: list[dict[str, Any]], names: Sequence[str]) -> list[dict[str, Any]]:
    chosen = {name: request.args.get(name, "") for name in names}
    return [row for row in rows if all(not want or str(row[f"_{name}"]) == want for name, want in chosen.items())]


def _render_or_export(listing: Listing, fmt: str | None, filename: str) -> str | Response:
    if fmt == "xlsx":
        return export_xlsx(listing.rows, listing.columns, filename, sheet=listing.title)
    if fmt is not None:
        abort(404)
    args = {k: v for k, v in request.args.items() if v}
    return render_page(
        "carbon/list.html", title=listing.title, breadcrumbs=[(listing.title, None)],
        listing=listing, words=WORDS, nav=_nav(listing.endpoint), chosen=request.args,
        export_url=url_for(f".{listing.endpoint}", fmt="xlsx", **args),
    )


def _nav(current: str) -> list[tuple[Text, str, bool]]:
    pages = (("index", WORDS["overview"]), ("rectification", WORDS["rectification"]),
             ("certificates", WORDS["certificates"]), ("achievements", WORDS["achievements"]),
             ("accounting", WORDS["accounting"]))
    return [(label, url_for(f".{endpoint}"), endpoint == current) for endpoint, label in pages]


def _base(outcome: Any) -> dict[str, Any]:
    activity = outcome.activity
    county_code, county = _county(activity.credit_code)
    return {"organisation": activity.organisation or "", "credit_code": activity.credit_code, "county": county,
            "_county": county_code, "explanation": outcome.explanation, "link": outcome.url}


# ---------------------------------------------------------------------------
# 整改名单
# ---------------------------------------------------------------------------

def quota_rows() -> list[dict[str, Any]]:
    """Every current energy-quota outcome as a row (all statuses: the overview counts them)."""
    rows = []
    for outcome in stored_outcomes(kinds=[rules.ENERGY_QUOTA], plugin="carbon"):
        f, d = outcome.activity.fields, outcome.details or {}
        requirement = d.get("access") if d.get("reason") == "access" and d.get("access") else d.get("limit")
        rows.append({
            **_base(outcome),
            "industry": d.get("industry") or "—", "_industry": d.get("industry") or "",
            "year": f["reporting_year"], "_year": f["reporting_year"],
            "product": f["product"], "standard": f["quota_standard"], "indicator": f["indicator"],
            "value": f"{f['value']} {f['unit']}",
            "requirement": f"{requirement} {d.get('unit', '')}" if requirement else "—",
            "plant": PLANT_TYPES.get(f["plant_type"], Text(f["plant_type"], f["plant_type"])),
            "result": RULE_LABELS.get(outcome.rule, Text(outcome.rule, outcome.rule)),
            "status": outcome.status, "rule": outcome.rule,
        })
    return rows


#: The rectification list's columns: the page, its XLSX export and ``stdpolicy carbon-rectification``.
RECTIFICATION_COLUMNS = [
    Column("organisation", WORDS["organisation"], width=28), Column("credit_code", WORDS["credit_code"], width=22),
    Column("county", WORDS["county"], width=12), Column("industry", WORDS["industry"], width=12),
    Column("year", WORDS["year"], width=8), Column("product", WORDS["product"]),
    Column("standard", WORDS["standard"], width=18), Column("indicator", WORDS["indicator"], width=22),
    Column("value", WORDS["value"]), Column("requirement", WORDS["requirement"]),
    Column("plant", WORDS["plant"]), Column("result", WORDS["result"], width=30),
    Column("explanation", WORDS["explanation"], width=80),
]


@bp.route("/rectification", defaults={"fmt": None})
@bp.route("/rectification.<fmt>")
def rectification(fmt: str | None) -> str | Response:
    everything = [row for row in quota_rows() if row["status"] == "non_compliant"]
    rows = _filtered(everything, ("county", "industry", "year"))
    columns = RECTIFICATION_COLUMNS
    filters = [
        ("county", WORDS["county"], _options((r["_county"], r["county"]) for r in everything)),
        ("industry", WORDS["industry"], _options((r["_industry"], Text(r["industry"], r["industry"])) for r in everything)),
        ("year", WORDS["year"], _options((str(r["_year"]), Text(str(r["_year"]), str(r["_year"]))) for r in everything)),
    ]
    listing = Listing(WORDS["rectification"], "rectification", columns, rows, filters, intro=Text(
        "未达到能耗限额限定值的现有企业和未达到准入值的新建、改扩建企业,依据二(五)1“落实能耗限额……强制性标准要求”列入整改名单。",
        "Existing plants below the limit value and new or expanded plants missing the access value, listed for "
        "rectification under 二(五)1."))
    return _render_or_export(listing, fmt, f"carbon-rectification-{today().isoformat()}.xlsx")


# ---------------------------------------------------------------------------
# 证书到期
# ---------------------------------------------------------------------------

def warning_period() -> int:
    """The warning period in force today (the shipped default if no version is)."""
    value = stored_parameters().value(rules.WARNING_DAYS, today())
    return int(value.value) if value is not None else rules.DEFAULT_WARNING_DAYS


def certificate_rows(on: date, days: int) -> list[dict[str, Any]]:
    rows = []
    for outcome in stored_outcomes(kinds=[rules.CERTIFICATE], plugin="carbon"):
        f = outcome.activity.fields
        expiry = date.fromisoformat(f["expiry_date"])
        decision = decide_certificate(expiry, on, days)
        rows.append({**_base(outcome), "product": f["product"], "certificate": f["certificate_number"],
                     "body": f["certification_body"], "standard": f["standard"], "expiry": expiry,
                     "days_left": decision.days_left, "state": STATES[decision.rule], "_state": decision.rule})
    rows.sort(key=lambda r: r["expiry"])
    return rows


@bp.route("/certificates", defaults={"fmt": None})
@bp.route("/certificates.<fmt>")
def certificates(fmt: str | None) -> str | Response:
    on, days = today(), warning_period()
    everything = [r for r in certificate_rows(on, days) if r["_state"] != "L1"]
    rows = _filtered(everything, ("county", "state"))
    columns = [
        Column("organisation", WORDS["organisation"], width=28), Column("county", WORDS["county"], width=12),
        Column("product", WORDS["product"]), Column("certificate", WORDS["certificate"], width=22),
        Column("body", WORDS["body"], width=24), Column("standard", WORDS["standard"], width=18),
        Column("expiry", WORDS["expiry"], width=12), Column("days_left", WORDS["days_left"], width=10),
        Column("state", WORDS["state"], width=10),
    ]
    filters = [
        ("county", WORDS["county"], _options((r["_county"], r["county"]) for r in everything)),
        ("state", WORDS["state"], [("L2", WORDS["expiring"]), ("L3", WORDS["expired"])]),
    ]
    intro = Text(f"{WORDS['as_of'].zh.format(day=date_zh(on))};{WORDS['warning'].zh.format(days=days)}。"
                 "证书在“有效期至”当日仍有效,次日起失效。",
                 f"{WORDS['as_of'].en.format(day=date_en(on))}; {WORDS['warning'].en.format(days=days)}. "
                 "A certificate is valid through its expiry date and expired from the next day.")
    listing = Listing(WORDS["certificates"], "certificates", columns, rows, filters, intro=intro)
    return _render_or_export(listing, fmt, f"carbon-certificates-{on.isoformat()}.xlsx")


# ---------------------------------------------------------------------------
# 碳标准成果
# ---------------------------------------------------------------------------

def achievement_rows() -> list[dict[str, Any]]:
    rows = []
    for outcome in stored_outcomes(kinds=["standard_drafting"], plugin="carbon"):
        d = outcome.details or {}
        if outcome.rule not in ("S1", "S2"):
            continue
        f = outcome.activity.fields
        rows.append({**_base(outcome), "date": outcome.activity.date, "year": outcome.activity.date.year,
                     "_year": outcome.activity.date.year, "standard": f["standard_code"],
                     "topic": TOPICS.get(d.get("topic", ""), Text("—", "—")), "_topic": d.get("topic", ""),
                     "role": ROLES.get(d.get("role", ""), Text("—", "—")), "_role": d.get("role", "")})
    rows.sort(key=lambda r: r["date"], reverse=True)
    return rows


@bp.route("/achievements", defaults={"fmt": None})
@bp.route("/achievements.<fmt>")
def achievements(fmt: str | None) -> str | Response:
    everything = achievement_rows()
    rows = _filtered(everything, ("year", "topic", "role"))
    columns = [
        Column("date", WORDS["date"], width=12), Column("organisation", WORDS["organisation"], width=28),
        Column("county", WORDS["county"], width=12), Column("standard", WORDS["standard"], width=22),
        Column("topic", WORDS["topic"], width=18), Column("role", WORDS["role"], width=8),
    ]
    filters = [
        ("year", WORDS["year"], _options((str(r["_year"]), Text(str(r["_year"]), str(r["_year"]))) for r in everything)),
        ("topic", WORDS["topic"], list(TOPICS.items())),
        ("role", WORDS["role"], list(ROLES.items())),
    ]
    listing = Listing(WORDS["achievements"], "achievements", columns, rows, filters, intro=Text(
        "依据二(五)1“争取参与制定一批碳标签、碳足迹、碳捕获利用等关键标准”跟踪登记的碳标准制定成果。",
        "Carbon standards drafted, tracked under 二(五)1."))
    return _render_or_export(listing, fmt, f"carbon-standards-{today().isoformat()}.xlsx")


# ---------------------------------------------------------------------------
# 核算核查
# ---------------------------------------------------------------------------

def accounting_rows() -> list[dict[str, Any]]:
    rows = []
    for outcome in stored_outcomes(kinds=[rules.ACCOUNTING], plugin="carbon"):
        f, d = outcome.activity.fields, outcome.details or {}
        rows.append({**_base(outcome), "year": f["reporting_year"], "_year": f["reporting_year"],
                     "sector": Text(**d["sector_name"]) if d.get("sector_name") else Text(f["sector"], f["sector"]),
                     "_sector": f["sector"], "standard": f["accounting_standard"],
                     "emissions": f["emissions_tco2e"], "verifier": f.get("verifier") or "—",
                     "verified": bool(d.get("verified")), "consistent": bool(d.get("consistent")),
                     "result": RULE_LABELS.get(outcome.rule, Text(outcome.rule, outcome.rule)), "rule": outcome.rule})
    return rows


@bp.route("/accounting", defaults={"fmt": None})
@bp.route("/accounting.<fmt>")
def accounting(fmt: str | None) -> str | Response:
    everything = accounting_rows()
    rows = _filtered(everything, ("county", "sector", "year"))
    columns = [
        Column("organisation", WORDS["organisation"], width=28), Column("county", WORDS["county"], width=12),
        Column("year", WORDS["year"], width=8), Column("sector", WORDS["sector"], width=16),
        Column("standard", WORDS["standard"], width=20), Column("emissions", WORDS["emissions"], width=16),
        Column("verifier", WORDS["verifier"], width=24), Column("consistent", WORDS["consistent"], width=10),
        Column("verified", WORDS["verified"], width=8), Column("result", WORDS["result"], width=30),
    ]
    filters = [
        ("county", WORDS["county"], _options((r["_county"], r["county"]) for r in everything)),
        ("sector", WORDS["sector"], _options((r["_sector"], r["sector"]) for r in everything)),
        ("year", WORDS["year"], _options((str(r["_year"]), Text(str(r["_year"]), str(r["_year"]))) for r in everything)),
    ]
    listing = Listing(WORDS["accounting"], "accounting", columns, rows, filters, intro=Text(
        "依据二(五)1“实施全国统一的碳排放核查核算标准”,核对各报告采用的核算标准与本行业全国统一标准是否一致、是否经核查。",
        "Under 二(五)1: whether each report applies its sector's national accounting standard, and whether it was verified."))
    return _render_or_export(listing, fmt, f"carbon-accounting-{today().isoformat()}.xlsx")


# ---------------------------------------------------------------------------
# 概览
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class RateRow:
    label: Text
    reports: int
    compliant: int
    held: int

    @property
    def rate(self) -> str:
        checked = self.reports - self.held
        return _pct(self.compliant, checked)


def _rates(rows: list[dict[str, Any]], key: Callable[[dict[str, Any]], tuple[str, Text]]) -> list[RateRow]:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    labels: dict[str, Text] = {}
    for row in rows:
        code, label = key(row)
        labels[code] = label
        counts[code][0] += 1
        counts[code][1] += row["status"] == "compliant"
        counts[code][2] += row["status"] == "held"
    return [RateRow(labels[c], *counts[c]) for c in sorted(counts)]


@bp.route("/")
def index() -> str:
    on = today()
    quota = quota_rows()
    by_industry = _rates(quota, lambda r: (r["_industry"], Text(r["industry"], r["industry"])))
    by_county = _rates(quota, lambda r: (r["_county"], r["county"]))
    standards = achievement_rows()
    years = sorted({r["year"] for r in standards}, reverse=True)
    per_topic = Counter((r["year"], r["_topic"], r["_role"]) for r in standards)
    params = stored_parameters()
    targets = {year: params.value("carbon.standards_target", date(year, 12, 31)) for year in years}
    table = [{
        "year": year,
        "cells": [(per_topic[year, topic, "led"], per_topic[year, topic, "participated"]) for topic in TOPICS],
        "total": sum(n for (y, _t, _r), n in per_topic.items() if y == year),
        "target": targets[year].value if targets[year] is not None else None,
    } for year in years]
    accounting_all = accounting_rows()
    coverage: dict[tuple[str, str], list[Any]] = {}
    for row in accounting_all:
        entry = coverage.setdefault((row["_county"], row["_sector"]), [row["county"], row["sector"], 0, 0])
        entry[2] += 1
        entry[3] += row["verified"]
    coverage_rows = [(c[0], c[1], c[2], c[3], _pct(c[3], c[2])) for _k, c in sorted(coverage.items())]
    days = warning_period()
    certificates_all = certificate_rows(on, days)
    states = Counter(r["_state"] for r in certificates_all)
    per_county: dict[str, list[Any]] = {}
    for row in certificates_all:
        entry = per_county.setdefault(row["_county"], [row["county"], Counter()])
        entry[1][row["_state"]] += 1
    certificates_by_county = [(label, [counts.get(rule, 0) for rule in ("L1", "L2", "L3")])
                              for _code, (label, counts) in sorted(per_county.items())]
    return render_page(
        "carbon/index.html", title=WORDS["title"], words=WORDS, nav=_nav("index"),
        by_industry=by_industry, by_county=by_county, topics=TOPICS, table=table,
        target_link=parameter_url("carbon.standards_target"), coverage=coverage_rows,
        states=[(STATES[rule], states.get(rule, 0)) for rule in ("L1", "L2", "L3")],
        state_labels=[STATES[rule] for rule in ("L1", "L2", "L3")], certificates_by_county=certificates_by_county,
        clause=CLAUSE, clause_words=clause_words(CLAUSE), clause_text=CLAUSE_TEXT, document=DOCUMENT, today=on,
        days=days,
        data_links=[(label, reference_url(key)) for key, label in TABLES]
        + [(label, parameter_url(key)) for key, label in PARAMETERS],
    )


def admin_pages() -> list[AdminPage]:
    return [AdminPage(bp, WORDS["title"], "index")]
