"""Spreadsheets as activity records: CSV files and XLSX workbooks.

A table has a header row and one activity per row below it. What a clerk
pasting from Excel brings is read as meant:

- headers by field key (``rank``), by the label the kind's schema declares
  (``起草单位排名`` / ``Rank among the drafting units``) or, for the common
  fields, by their usual names (``编号``, ``类型``, ``日期``,
  ``统一社会信用代码``, ``单位名称`` … ``columns.COMMON``); full-width
  forms, case and spacing do not matter. The header is the first row (of the
  first ten) that names at least two known columns, so a title row above it
  is passed over; otherwise the first non-empty row;
- kinds by code or label (``标准制定`` → ``standard_drafting``), coded values
  by code or label (``省级`` → ``provincial``), yes/no as
  ``是/否``, ``true/false``, ``1/0``;
- dates as ``2024-08-04``, ``2024/8/4``, ``2024-8-4``, ``2024.8.4``,
  ``2024年8月4日`` (a time of day after it is dropped), real date cells and,
  in a date field, Excel's serial day numbers;
- integers written with thousands separators (``300,000``) or, in XLSX, as
  numbers Excel stores as floats (``1.0``);
- a field holding a list or nested records (an indicator list) as JSON in its
  cell, as the register's export writes it; a list of single values also one
  item per line.

What cannot be read as meant is passed on as it is, so validation names the
field and the problem. A leading apostrophe before ``=``, ``+``, ``-`` or
``@`` (the exports' guard against formula injection) is taken off. Cells
beyond the header (or under an empty header
cell) are an error of their row, never dropped; two columns naming the same
field with different values too. The register's computed columns
(``columns.COMPUTED``: plugin, rule, amount …) are skipped, so a file it
exported reads back. Rows are numbered as the spreadsheet shows them (the
header is row 1, blank rows count).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from marshmallow import fields as mfields

from ..activities import EnvelopeSchema
from ..messages import Bilingual
from ..parameters import Money
from ..registry import Registry
from ..screening import Oversized, RawRecord
from .columns import COMMON, COMPUTED, normalise
from .records import InputError

__all__ = ["TableReader"]

_TRUE = {"true", "1", "yes", "y", "是", "t", "√", "✓", "对"}
_FALSE = {"false", "0", "no", "n", "否", "f", "×", "✗", "错"}

_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
#: Excel's serial day 1 is 1900-01-01; 60 is the 1900-02-29 that never was.
_EXCEL_EPOCH = date(1899, 12, 30)
_HEADER_SEARCH = 10


@dataclass
class _Column:
    index: int
    header: str  # as written, stripped
    name: str  # normalised
    common: str | None  # the common field it names
    skipped: bool  # a computed column of the register


class TableReader:
    """Reads tables with the kinds, fields and labels of one registry."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.kind_names: dict[str, str] = {}
        self.by_kind: dict[str, dict[str, str]] = {}
        self.any_kind: dict[str, str] = {}
        self.values: dict[tuple[str, str], dict[str, str]] = {}
        self.common: dict[str, str] = {}
        for key, (label, aliases) in COMMON.items():
            for name in (key, label.zh, label.en, *aliases):
                self.common[normalise(name)] = key
        self.computed = {normalise(n) for label in COMPUTED.values() for n in label}
        for name, kind in registry.kinds.items():
            for alias in (name, kind.label.zh, kind.label.en):
                self.kind_names.setdefault(normalise(alias), name)
            own: dict[str, str] = {}
            for key, field in kind.schema._declared_fields.items():
                if field.dump_only:
                    continue
                own[normalise(key)] = key
                caption = kind.field_label(key)
                if caption is not None:
                    own.setdefault(normalise(caption.zh), key)
                    own.setdefault(normalise(caption.en), key)
                coded = field.metadata.get("values") or {}
                if coded:
                    labels: dict[str, str] = {}
                    for code, text in coded.items():
                        labels[normalise(code)] = code
                        if hasattr(text, "zh"):
                            labels.setdefault(normalise(text.zh), code)
                            labels.setdefault(normalise(text.en), code)
                    self.values[name, key] = labels
            self.by_kind[name] = own
            for alias, key in own.items():
                self.any_kind.setdefault(alias, key)
        self._envelope = EnvelopeSchema()

    def kind_of(self, text: str) -> str | None:
        """The kind a name means (code or label, either language)."""
        return self.kind_names.get(normalise(text))

    # -- the header ------------------------------------------------------------------

    def _known(self, name: str) -> bool:
        return name in self.common or name in self.computed or name in self.any_kind

    def _header(self, rows: Iterator[tuple[int, Sequence[Any]]]) -> tuple[int, list[_Column], list[tuple[int, Sequence[Any]]]] | None:
        """(row number of the header, its columns, rows read past it) — ``None`` for an empty table."""
        seen: list[tuple[int, Sequence[Any]]] = []
        for number, cells in rows:
            if any(_text(c) for c in cells):
                seen.append((number, cells))
                names = [normalise(_text(c)) for c in cells]
                if sum(1 for n in names if n and self._known(n)) >= 2:
                    return number, self._columns(cells), []
                if len(seen) == _HEADER_SEARCH:
                    break
        if not seen:
            return None
        number, cells = seen[0]
        return number, self._columns(cells), seen[1:]

    def _columns(self, cells: Sequence[Any]) -> list[_Column]:
        columns = []
        for index, cell in enumerate(cells):
            header = _text(cell)
            name = normalise(header)
            columns.append(_Column(index, header, name, self.common.get(name), name in self.computed))
        while columns and not columns[-1].header:
            columns.pop()
        return columns

    # -- rows -------------------------------------------------------------------------

    def records(self, rows: Iterable[Sequence[Any]], *, source: str, sheet: str | None = None,
                ) -> Iterator[tuple[int, dict[str, Any]]]:
        """(row number, record) of each non-empty row below the header.

        ``sheet``: the workbook sheet, whose name may be a kind's (its rows'
        kind when the table has no kind column).
        """
        numbered = iter(enumerate(rows, start=1))
        found = self._header(numbered)
        if found is None:
            return
        header_row, columns, past = found
        default_kind = self.kind_of(sheet) if sheet else None
        if not any(c.common == "kind" for c in columns) and default_kind is None:
            where_en = f"sheet {sheet}" if sheet else source
            where_zh = f"工作表“{sheet}”" if sheet else source
            raise InputError(
                f"{where_en}: the header (row {header_row}) has no 'kind' column (类型 / 活动类型)"
                + (", and the sheet's name is not an activity kind" if sheet else "")
                + "; each row needs its kind, e.g. standard_drafting or 标准制定",
                f"{where_zh}:表头(第{header_row}行)没有“活动类型”列"
                + (",工作表名称也不是活动类型" if sheet else "")
                + ";每一行都需要注明活动类型,如“标准制定”",
            )
        for number, cells in _chain(past, numbered):
            if not any(_text(c) for c in cells):
                continue
            yield number, self._record(columns, cells, default_kind)

    def _record(self, columns: list[_Column], cells: Sequence[Any], default_kind: str | None) -> dict[str, Any]:
        problems: dict[str | None, list[Bilingual]] = {}
        kind = default_kind
        for column in columns:
            if column.common == "kind" and column.index < len(cells):
                given = _unprotect(_text(cells[column.index]))
                if given:
                    kind = self.kind_of(given) or given
        schema_fields = self._fields(kind)
        own = self.by_kind.get(kind or "", {})
        record: dict[str, Any] = {}
        origin: dict[str, _Column] = {}
        for column in columns:
            if column.index >= len(cells):
                break
            cell = cells[column.index]
            if _empty(cell):
                continue
            if not column.header:
                problems.setdefault(None, []).append(_no_header(column.index))
                continue
            if column.skipped:
                continue
            if column.common == "kind":
                key, value = "kind", kind
            else:
                key = column.common or own.get(column.name) or self.any_kind.get(column.name) or column.header
                field = schema_fields.get(key)
                if _rounded_by_excel(field, cell):
                    problems.setdefault(key, []).append(_ROUNDED)
                    continue
                value = self._convert(kind, key, field, cell)
            if key in record and record[key] != value:
                problems.setdefault(key, []).append(Bilingual(
                    f"列“{origin[key].header}”与列“{column.header}”都给出了该字段,且值不同",
                    f"the columns {origin[key].header!r} and {column.header!r} both give this field, with different values",
                ))
                continue
            record[key] = value
            origin.setdefault(key, column)
        if kind is not None and "kind" not in record:
            record["kind"] = kind  # the sheet's
        for index in range(len(columns), len(cells)):
            if not _empty(cells[index]):
                problems.setdefault(None, []).append(_beyond_header(index, len(columns)))
                break
        return RawRecord(record, problems=problems) if problems else record

    def _fields(self, kind: str | None) -> Mapping[str, mfields.Field]:
        if kind is not None and kind in self.registry.kinds:
            return self.registry.validator.schema_for(kind).fields
        return self._envelope.fields

    def _convert(self, kind: str | None, key: str, field: mfields.Field | None, cell: Any) -> Any:
        """A cell as the value the field expects, when it can be read as one; else as it is."""
        if isinstance(cell, str):
            cell = _unprotect(cell.strip())
        if isinstance(field, mfields.Date) or (field is None and key == "date"):
            return _date(cell)
        if isinstance(cell, datetime):
            return cell.date().isoformat() if cell.time() == time() else cell.isoformat(sep=" ")
        if isinstance(cell, (date, time, timedelta)):
            return cell.isoformat() if not isinstance(cell, timedelta) else str(cell)
        if isinstance(field, mfields.Boolean):
            return _boolean(cell)
        if isinstance(field, (mfields.List, mfields.Nested, mfields.Dict)) and isinstance(cell, str):
            return _nested(field, cell)
        if isinstance(field, (mfields.Integer, Money)):
            return _integer(cell)
        if isinstance(cell, float) and cell.is_integer() and abs(cell) < 2**53:
            cell = int(cell)
        if isinstance(cell, str):
            labels = self.values.get((kind or "", key))
            if labels:
                return labels.get(normalise(cell), cell)
            return cell
        if isinstance(cell, (int, float)) and not isinstance(cell, bool) and isinstance(field, mfields.String):
            return str(cell)
        return cell


def _nested(field: mfields.Field, cell: str) -> Any:
    """A list or nested record in a cell: JSON (what the register's export writes), or one item per line.

    What is not JSON is passed on as it is (validation names the field), except
    a list of single values, which may also be written one item per line.
    """
    if cell.startswith(("[", "{")):
        try:
            return json.loads(cell)
        except ValueError:
            return cell
    if isinstance(field, mfields.List) and not isinstance(field.inner, (mfields.Nested, mfields.Dict, mfields.List)):
        return [line.strip() for line in cell.splitlines() if line.strip()]
    return cell


def _unprotect(text: str) -> str:
    """``'=1+2`` → ``=1+2``: the register's exports put an apostrophe before text a
    spreadsheet would run as a formula; reading the file back takes it off."""
    if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@"):
        return text[1:]
    return text


def _chain(first: list[tuple[int, Sequence[Any]]], rest: Iterator[tuple[int, Sequence[Any]]]) -> Iterator[tuple[int, Sequence[Any]]]:
    yield from first
    yield from rest


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    return cell.strip() if isinstance(cell, str) else str(cell)


def _empty(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def get_column_letter(number: int) -> str:
    """The spreadsheet's name of column ``number`` (1 → A, 27 → AA), as openpyxl spells it.

    openpyxl's own function, imported here only when a table names a column:
    reading a JSON file (``stdpolicy evaluate``) must not import openpyxl (~0.2 s).
    """
    from openpyxl.utils import get_column_letter as letter

    return letter(number)


def _no_header(index: int) -> Bilingual:
    letter = get_column_letter(index + 1)
    return Bilingual(f"第{letter}列没有表头,但本行在该列有值", f"column {letter} has no header, but this row has a value in it")


#: A number cell read for a text field (a credit code typed into a cell formatted as a number).
_ROUNDED = Bilingual(
    "该单元格是数字格式,Excel 只保留15位有效数字,所填的代码已被改变:请将该列设为“文本”格式后重新填写",
    "this cell is a number: Excel keeps only 15 significant digits, so the code typed has been changed; "
    "format the column as Text and type it again",
)


def _rounded_by_excel(field: mfields.Field | None, cell: Any) -> bool:
    """Whether ``cell`` is a number of more than 15 digits read for a text field: Excel stored it rounded
    (``913304007429141869`` → ``9.13304007429142E+17``), and what was typed cannot be told."""
    return (isinstance(field, mfields.String) and isinstance(cell, (int, float)) and not isinstance(cell, bool)
            and abs(cell) >= 10**15)


def _beyond_header(index: int, width: int) -> Bilingual:
    letter = get_column_letter(index + 1)
    return Bilingual(f"本行在表头之外的第{letter}列有值(表头只有{width}列)",
                     f"this row has a value in column {letter}, beyond the header's {width} columns")


def _date(cell: Any) -> Any:
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, (int, float)) and not isinstance(cell, bool) and 1 <= cell < 2958466:
        serial = int(cell)
        return (_EXCEL_EPOCH + timedelta(days=serial + (1 if serial < 60 else 0))).isoformat()
    if isinstance(cell, str):
        import unicodedata

        match = _DATE.match(unicodedata.normalize("NFKC", cell))
        if match:
            try:
                return date(*(int(part) for part in match.groups())).isoformat()
            except ValueError:
                return cell
    return cell


def _boolean(cell: Any) -> Any:
    if isinstance(cell, bool):
        return cell
    if isinstance(cell, (int, float)) and cell in (0, 1):
        return bool(cell)
    if isinstance(cell, str):
        lowered = cell.casefold()
        return True if lowered in _TRUE else False if lowered in _FALSE else cell
    return cell


def _integer(cell: Any) -> Any:
    if isinstance(cell, bool):
        return cell
    if isinstance(cell, float) and cell.is_integer():
        return int(cell)
    if isinstance(cell, str):
        digits = cell.replace(",", "").replace("，", "").replace(" ", "")
        body = digits[1:] if digits.startswith("-") else digits
        if body.isdecimal():
            if len(body) > 4000:
                return Oversized(len(body))
            return int(digits)
    return cell
