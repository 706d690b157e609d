"""An issued approval list as printed: the workbook (XLSX), the PDF and the public notice (公示, PDF).

``printed_list`` turns the stored list and its rows into what every format
prints (groups per county with subtotals, the total in figures and in
capital numerals, the policy document and clause); the writers only lay
it out. Nothing here reads an outcome or a parameter: only the frozen rows.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache

from .. import clock
from ..approvals import capital_yuan, clause_as_printed
from ..interchange.workbook import formulas_as_text
from ..text import date_zh
from ..models import ApprovalListItemRecord, ApprovalListRecord, Department
from ..printing import PRINT_STYLE, pdf_from_html
from ..registry import Registry
from ..regions import region_name

__all__ = ["PrintedList", "PrintedRow", "list_pdf", "list_xlsx", "notice_pdf", "printed_list"]

#: The notice period a 公示 states unless told otherwise (working days).
NOTICE_DAYS = 7


@dataclass(frozen=True)
class PrintedRow:
    position: int
    organisation: str
    credit_code: str
    county: str
    achievement: str
    day: str
    rule: str
    amount: int
    amount_capital: str
    explanation: str


@dataclass
class CountyGroup:
    county: str
    rows: list[PrintedRow] = field(default_factory=list)

    @property
    def subtotal(self) -> int:
        return sum(row.amount for row in self.rows)

    @property
    def subtotal_capital(self) -> str:
        return capital_yuan(self.subtotal)


@dataclass
class PrintedList:
    """What every format of a list prints (Chinese)."""

    number: str
    title: str
    kind: str
    period: str
    document: str
    clause: str
    issued_on: str
    issued_at: datetime
    department: str
    note: str
    supplements: str | None
    groups: list[CountyGroup]

    @property
    def rows(self) -> list[PrintedRow]:
        return [row for group in self.groups for row in group.rows]

    @property
    def total(self) -> int:
        return sum(group.subtotal for group in self.groups)

    @property
    def total_capital(self) -> str:
        return capital_yuan(self.total)

    @property
    def basis(self) -> str:
        """根据《…》第三部分第(二)项."""
        return f"{self.document}{self.clause}"


def _document(registry: Registry, plugin: str) -> str:
    """The policy document the plugin's parameters cite, as its title reads (《…》)."""
    record = registry.plugins.get(plugin)
    for key in (record.parameters if record is not None else []):
        for default in registry.parameters[key].defaults:
            found = re.search(r"《[^》]+》", default.document or "")
            if found:
                return found.group(0)
    return ""


def _rule(registry: Registry, plugin: str, rule: str, clause: str) -> str:
    record = registry.plugins.get(plugin)
    label = record.description.rule_label(rule) if record is not None else None
    return label.zh if label is not None else clause_as_printed(clause)


def printed_list(registry: Registry, record: ApprovalListRecord, items: Sequence[ApprovalListItemRecord],
                 department: Department | None, supplements: ApprovalListRecord | None = None) -> PrintedList:
    """The list as printed, from its frozen rows (in their order: grouped by county when issued)."""
    groups: dict[str, CountyGroup] = {}
    for item in items:
        county = region_name(item.region_code).zh
        groups.setdefault(item.region_code, CountyGroup(county)).rows.append(PrintedRow(
            position=item.position, organisation=item.organisation_name, credit_code=item.credit_code, county=county,
            achievement=item.achievement, day=date_zh(item.achievement_date),
            rule=_rule(registry, record.plugin, item.rule, item.clause), amount=int(item.amount),
            amount_capital=capital_yuan(int(item.amount)), explanation=item.explanation_zh,
        ))
    clauses = sorted({clause_as_printed(item.clause) for item in items})
    issued = clock.local(record.issued_at)
    return PrintedList(
        number=record.number, title=record.title, kind=record.kind,
        period=f"{date_zh(record.period_from)}至{date_zh(record.period_to)}",
        document=_document(registry, record.plugin), clause="、".join(clauses), issued_on=date_zh(issued.date()),
        issued_at=record.issued_at, department=department.name_zh if department is not None else "",
        note=record.note or "", supplements=supplements.number if supplements is not None else None,
        groups=[groups[code] for code in sorted(groups)],
    )


# -- XLSX -----------------------------------------------------------------------

_COLUMNS = [("序号", 6), ("单位名称", 30), ("统一社会信用代码", 22), ("所属县(市、区)", 14), ("奖励事项", 40),
            ("日期", 14), ("适用政策条款", 36), ("金额(元)", 14), ("金额(大写)", 24), ("说明", 60)]


def list_xlsx(printed: PrintedList) -> bytes:
    """The list as an XLSX workbook: header block, numbered rows, county subtotals, total, signature places.

    The same list gives the same bytes: the workbook's dates are the
    list's issue time and the archive's entries carry it too.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties
    from openpyxl.writer.excel import ExcelWriter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = printed.number[:31]
    last = get_column_letter(len(_COLUMNS))
    bold = Font(bold=True)
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")

    def line(text: str, *, size: int | None = None) -> None:
        sheet.append([text])
        row = sheet.max_row
        sheet.merge_cells(f"A{row}:{last}{row}")
        sheet.cell(row, 1).font = Font(bold=size is not None, size=size or 11)
        sheet.cell(row, 1).alignment = Alignment(horizontal="center" if size else "left", wrap_text=True)

    line(printed.title, size=16)
    line(f"清单编号:{printed.number}" + (f"(补充第{printed.supplements}号清单)" if printed.supplements else ""))
    line(f"奖励期间:{printed.period}")
    line(f"政策依据:{printed.document}{printed.clause}")
    line(f"签发部门:{printed.department}    签发日期:{printed.issued_on}")
    if printed.note:
        line(f"备注:{printed.note}")
    sheet.append([name for name, _ in _COLUMNS])
    header = sheet.max_row
    for column, (_, width) in enumerate(_COLUMNS, start=1):
        cell = sheet.cell(header, column)
        cell.font, cell.border, cell.alignment = bold, box, Alignment(horizontal="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.print_title_rows = f"{header}:{header}"
    sheet.freeze_panes = f"A{header + 1}"

    def money_row(values: list[object], *, strong: bool = False) -> None:
        sheet.append(values)
        row = sheet.max_row
        for column in range(1, len(_COLUMNS) + 1):
            cell = sheet.cell(row, column)
            cell.border, cell.alignment = box, wrap
            if strong:
                cell.font = bold
        sheet.cell(row, 8).number_format = "#,##0"

    for group in printed.groups:
        for r in group.rows:
            money_row([r.position, r.organisation, r.credit_code, r.county, r.achievement, r.day, r.rule, r.amount,
                       r.amount_capital, r.explanation])
        money_row(["", f"小计:{group.county}({len(group.rows)}项)", "", group.county, "", "", "", group.subtotal,
                   group.subtotal_capital, ""], strong=True)
    money_row(["", f"合计({len(printed.rows)}项)", "", "", "", "", "", printed.total, printed.total_capital, ""],
              strong=True)
    sheet.append([])
    sheet.append(["", "经办人:", "", "复核人:", "", "审批人:", "", "日期:"])
    formulas_as_text(sheet)  # names and achievements are the applicants' own text
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    if sheet.oddFooter is not None and sheet.oddFooter.center is not None:
        sheet.oddFooter.center.text = "第 &P 页 共 &N 页"

    issued = printed.issued_at.replace(microsecond=0)
    book.properties.creator = "stdpolicy"
    book.properties.created = issued
    book.properties.modified = issued
    book.properties.title = printed.title
    raw = io.BytesIO()
    # openpyxl's ``save`` stamps the workbook "modified now"; its writer keeps the properties set above.
    ExcelWriter(book, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True)).save()
    return _fixed_times(raw.getvalue(), issued)


def _fixed_times(data: bytes, when: datetime) -> bytes:
    """The archive with every entry dated ``when``: the same list, the same bytes."""
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


# -- PDF ------------------------------------------------------------------------

@cache
def _templates():  # type: ignore[no-untyped-def]
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("core.documents", "templates"), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["yuan"] = lambda amount: f"{amount:,}"
    return env


def _pdf(template: str, **context: object) -> bytes:
    return pdf_from_html(_templates().get_template(template).render(style=PRINT_STYLE, **context))


def list_pdf(printed: PrintedList) -> bytes:
    """The list as a printable PDF (A4 landscape, header repeated on every page, page numbers)."""
    return _pdf("approval_list.html", doc=printed, notice=False, notice_days=NOTICE_DAYS, notice_from=None)


def notice_pdf(printed: PrintedList, *, days: int = NOTICE_DAYS, start: date | None = None) -> bytes:
    """The public notice (公示): organisation, county, achievement and amount only, with the notice period.

    No credit codes, explanations or internal fields.
    """
    return _pdf("approval_list.html", doc=printed, notice=True, notice_days=days,
                notice_from=date_zh(start) if start is not None else None)
