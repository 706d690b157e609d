"""The city's annual report for a year (issue #12, part 4): an XLSX workbook and a printable PDF.

What the leading group's office files each year: progress to the 2025
targets (with the charts of the targets page), the county assessment of
三(三), the rewards paid under reward_tiers by rule and county (held
outcomes, 待核实, apart: what they would pay once approved, never in the
paid totals), and the organisations that received most. ``annual_report``
gathers the figures once (``figures.city_figures`` and the stored outcomes,
through the plugin API); the writers only lay them out, in Chinese, with no
codes or keys. The PDF uses core's print setup (``PRINT_STYLE``,
``pdf_from_html``: WeasyPrint, the CJK font, page numbers).
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

from core import PRINT_STYLE, SHARED_KINDS, current_registry, formulas_as_text, pdf_from_html, region_of, stored_outcomes

from .figures import REWARD_PLUGIN, Assessment, TargetsReport, city_figures

__all__ = ["AnnualReport", "OrganisationLine", "RewardLine", "TOP_ORGANISATIONS", "annual_report", "report_pdf",
           "report_xlsx"]

#: How many organisations the report ranks by paid amount.
TOP_ORGANISATIONS = 20


@dataclass
class RewardLine:
    """Rewards of one rule in one county: outcomes, paid yuan, and held yuan (apart)."""

    rule: str
    rule_name: str
    county: str
    county_name: str
    outcomes: int = 0
    paid: int = 0
    held: int = 0


@dataclass
class OrganisationLine:
    name: str
    county_name: str
    outcomes: int = 0
    paid: int = 0
    held: int = 0


@dataclass
class AnnualReport:
    year: int
    targets: TargetsReport
    assessment: Assessment
    #: By rule, then county (rules in their declared order).
    rewards: list[RewardLine]
    #: Paid and held yuan per county code (every county with a reward line).
    county_totals: dict[str, RewardLine]
    organisations: list[OrganisationLine] = field(default_factory=list)

    @property
    def paid(self) -> int:
        return sum(line.paid for line in self.rewards)

    @property
    def held(self) -> int:
        return sum(line.held for line in self.rewards)


def _rule_names() -> tuple[list[str], dict[str, str]]:
    record = current_registry().plugins.get(REWARD_PLUGIN)
    rules = list(record.description.rules) if record is not None else []
    return [r for r, _ in rules], {r: label.zh for r, label in rules}


def annual_report(year: int) -> AnnualReport:
    """The report's figures for ``year``: reward_tiers' current outcomes on the activities dated in ``year``."""
    figures = city_figures(year)
    order, names = _rule_names()
    lines: dict[tuple[str, str], RewardLine] = {}
    counties: dict[str, RewardLine] = {}
    organisations: dict[str, OrganisationLine] = {}
    for outcome in stored_outcomes(kinds=SHARED_KINDS, plugin=REWARD_PLUGIN, statuses=("ok", "held")):
        activity = outcome.activity
        if activity.date.year != year:
            continue
        paid = int(outcome.amount) if outcome.status == "ok" else 0
        held = int((outcome.details or {}).get("held_amount", 0)) if outcome.status == "held" else 0
        if not paid and not held:
            continue
        code, county_name = region_of(activity.credit_code)
        rule_name = names.get(outcome.rule, outcome.rule)
        for line in (lines.setdefault((outcome.rule, code), RewardLine(outcome.rule, rule_name, code, county_name.zh)),
                     counties.setdefault(code, RewardLine("", "", code, county_name.zh))):
            line.outcomes += 1
            line.paid += paid
            line.held += held
        organisation = organisations.setdefault(
            activity.credit_code, OrganisationLine(activity.organisation or activity.credit_code, county_name.zh))
        organisation.outcomes += 1
        organisation.paid += paid
        organisation.held += held
    position = {rule: n for n, rule in enumerate(order)}
    rewards = sorted(lines.values(), key=lambda l: (position.get(l.rule, len(order)), l.rule, l.county))
    top = sorted((o for o in organisations.values() if o.paid), key=lambda o: (-o.paid, o.name))[:TOP_ORGANISATIONS]
    return AnnualReport(year, figures["targets"], figures["assessment"], rewards,
                        dict(sorted(counties.items())), top)


# -- shared by both formats ----------------------------------------------------------


def _number(value: Decimal | int | None) -> int | Decimal | None:
    if value is None:
        return None
    if isinstance(value, int):
        return value
    return int(value) if value == value.to_integral_value() else value.normalize()


def _target_rows(report: AnnualReport) -> list[list[Any]]:
    return [[f.name.zh, f.goal, f.count, f.cumulative, f"{f.share}%" if f.share is not None else "—"]
            for f in report.targets.figures]


TARGET_HEAD = ["发展目标", "目标值", "本年度新增", "累计完成(截至年底)", "完成比例"]


def _assessment_head(table: Assessment) -> list[str]:
    head = ["排名", "县(市、区)"] + [f"{i.name.zh}({i.unit.zh})" for i in table.indicators]
    return head + (["得分"] if table.weights_version is not None else [])


def _assessment_rows(table: Assessment) -> list[list[Any]]:
    rows = []
    for row in table.rows:
        cells: list[Any] = [row.rank if row.rank is not None else "—", row.name.zh]
        cells += [_number(row.values[i.key]) for i in table.indicators]
        if table.weights_version is not None:
            cells.append(_number(row.score))
        rows.append(cells)
    return rows


REWARD_HEAD = ["适用政策条款", "县(市、区)", "项数", "已拨付金额(元)", "待核实金额(元,另列)"]
COUNTY_HEAD = ["县(市、区)", "项数", "已拨付金额(元)", "待核实金额(元,另列)"]
TOP_HEAD = ["名次", "单位名称", "县(市、区)", "项数", "已拨付金额(元)", "待核实金额(元,另列)"]


def _title(report: AnnualReport) -> str:
    return f"嘉兴市标准化工作{report.year}年度报告"


# -- XLSX ------------------------------------------------------------------------------


def report_xlsx(report: AnnualReport) -> bytes:
    """The report as a workbook: one sheet each for the targets, the assessment, rewards, counties, organisations."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    bold = Font(bold=True)

    def sheet(title: str, head: list[str], rows: list[list[Any]], widths: list[int]) -> Any:
        ws = book.create_sheet(title)
        ws.append([f"{_title(report)}:{title}"])
        ws.cell(1, 1).font = Font(bold=True, size=13)
        ws.append(head)
        for column, width in enumerate(widths, start=1):
            ws.cell(2, column).font = bold
            ws.column_dimensions[ws.cell(2, column).column_letter].width = width
        for row in rows:
            ws.append(row)
        formulas_as_text(ws)  # organisations' names are their own text
        ws.freeze_panes = "A3"
        ws.print_title_rows = "2:2"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        return ws

    book.remove(book.active)
    sheet("发展目标", TARGET_HEAD, _target_rows(report), [36, 10, 12, 20, 12])
    table = report.assessment
    sheet("县域考核", _assessment_head(table), _assessment_rows(table), [8, 14] + [14] * (len(table.indicators) + 1))
    rewards = [[line.rule_name, line.county_name, line.outcomes, line.paid, line.held] for line in report.rewards]
    rewards.append(["合计", "", sum(l.outcomes for l in report.rewards), report.paid, report.held])
    sheet("奖励(按条款和县)", REWARD_HEAD, rewards, [50, 14, 8, 16, 20])
    counties = [[line.county_name, line.outcomes, line.paid, line.held] for line in report.county_totals.values()]
    counties.append(["合计", sum(l.outcomes for l in report.county_totals.values()), report.paid, report.held])
    sheet("奖励(按县)", COUNTY_HEAD, counties, [14, 8, 16, 20])
    top = [[n, o.name, o.county_name, o.outcomes, o.paid, o.held] for n, o in enumerate(report.organisations, start=1)]
    sheet("获奖单位排名", TOP_HEAD, top, [8, 40, 14, 8, 16, 20])
    raw = io.BytesIO()
    book.save(raw)
    return raw.getvalue()


# -- PDF -------------------------------------------------------------------------------


@cache
def _templates() -> Any:
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader(__package__, "templates"), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["yuan"] = lambda amount: f"{amount:,}"
    return env


def _data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def report_pdf(report: AnnualReport) -> bytes:
    """The report as a printable PDF (A4, headers repeated, page numbers), with the targets' and scores' charts."""
    from .charts import assessment_chart, progress_chart, years_chart

    charts = [_data_uri(progress_chart(report.targets)), _data_uri(years_chart(report.targets))]
    if report.assessment.weights_version is not None:
        charts.append(_data_uri(assessment_chart(report.assessment)))
    table = report.assessment
    html = _templates().get_template("city_targets/report.html").render(
        style=PRINT_STYLE, title=_title(report), report=report, charts=charts,
        target_head=TARGET_HEAD, target_rows=_target_rows(report),
        assessment_head=_assessment_head(table), assessment_rows=_assessment_rows(table),
        reward_head=REWARD_HEAD, county_head=COUNTY_HEAD, top_head=TOP_HEAD,
        period=f"{report.targets.start.year}年{report.targets.start.month}月{report.targets.start.day}日至"
               f"{report.targets.end.year}年{report.targets.end.month}月{report.targets.end.day}日",
    )
    return pdf_from_html(html)
