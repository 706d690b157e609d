"""Reference tables as CSV and XLSX files (and JSON), in the layout offices keep: one row per item.

Columns are the row schema's fields in declaration order. A header names a
field by its label (``限定值`` / ``Limit value``) or its name (``limit``);
full-width forms, case and spacing do not matter. Exports write the labels
in the chosen language, so an exported file reads back.

Cells:

- text, whole numbers (``300,000`` too) and decimals (read exactly: an
  XLSX number cell ``1.1`` is ``Decimal("1.1")``);
- dates as ``2024-08-04``, ``2024/8/4``, ``2024年8月4日`` or real date cells;
- yes/no as ``是/否``, ``true/false``, ``1/0``;
- coded values by code or label (``越低越好`` → ``lower``);
- **a list of single values** (a field ``fields.List(fields.String())``):
  one item per line in the cell (Alt+Enter in Excel), or a JSON array;
- **nested values** — a list of nested rows such as an indicator list
  (``fields.List(fields.Nested(IndicatorSchema))``), a nested row, a
  mapping: JSON in the cell. Exports key each nested field by its label in
  the export's language and name coded values by their labels
  (``[{"指标名称": "工序能耗", "单位": "kgce/t", "方向": "越低越好", "各级限定值": ["45", "50"]}]``);
  reading accepts labels in either language or the fields' names
  (``[{"name": "工序能耗", "unit": "kgce/t", "direction": "lower", …}]``),
  codes or labels. The admin's row editor edits such a cell as this JSON too.

A leading apostrophe before ``=``, ``+``, ``-`` or ``@`` (the exports'
guard against formula injection) is taken off. A workbook's rows are read
from the sheet named like the table (its label in either language) or else
the first sheet; the exports' "版本信息" sheet (version details) is ignored.
Rows are numbered as the spreadsheet shows them (the header is row 1).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from marshmallow import Schema
from marshmallow import fields as mfields

from ..activities import Location
from ..interchange import InputError
from ..interchange import _decode_table as decode_table
from ..interchange.columns import normalise
from ..interchange.jsonread import not_json, not_utf8, too_deep
from ..interchange.tabular import _boolean, _date, _integer, _unprotect
from ..interchange.workbook import open_workbook
from ..messages import Bilingual
from ..paramtypes import to_json
from ..screening import RawRecord, safe_text
from ..text import Text
from .rows import dump_row
from .tables import ReferenceTable

if TYPE_CHECKING:
    from .versions import ReferenceVersion

__all__ = ["FORMATS", "VERSION_SHEET", "cell_text", "cell_value", "read_rows", "stored_rows", "version_details", "write_csv",
           "write_xlsx"]

#: File endings read and written.
FORMATS = ("csv", "xlsx", "json")
#: The exports' sheet of version details (ignored when reading).
VERSION_SHEET = Text("版本信息", "Version")
_HEADER_SEARCH = 10
_MAX_ROWS = 1_048_576


def _names(table: ReferenceTable) -> dict[str, str]:
    """Every way a header may name a field → the field."""
    names: dict[str, str] = {}
    for name in table.columns:
        label = table.field_label(name)
        for alias in (name, label.zh, label.en):
            names.setdefault(normalise(alias), name)
    return names


def read_rows(table: ReferenceTable, data: bytes, filename: str) -> tuple[list[dict[str, Any]], list[Location]]:
    """The rows of a file (by its ending: ``.csv``, ``.xlsx``, ``.json``) and where each was.

    Rows come as written, converted where a cell can be read as the field's
    value; ``core.refdata.load_rows`` validates them. Raises ``InputError``
    when the file cannot be read at all.
    """
    lowered = filename.lower()
    if lowered.endswith(".xls"):
        raise InputError(f"{filename} is an Excel 97–2003 workbook (.xls): save it as .xlsx or CSV and try again",
                         f"{filename} 是旧版 Excel 工作簿(.xls):请另存为 .xlsx 或 CSV 后重试")
    if lowered.endswith(".xlsx"):
        return _xlsx(table, data, filename)
    if lowered.endswith(".csv"):
        return _csv(table, decode_table(data, filename), filename)
    if lowered.endswith(".json"):
        return _json(data, filename)
    raise InputError(f"{filename}: choose a CSV, XLSX or JSON file (.csv, .xlsx or .json)",
                     f"{filename}:请选择 CSV、XLSX 或 JSON 文件(.csv、.xlsx 或 .json)")


def _json(data: bytes, filename: str) -> tuple[list[dict[str, Any]], list[Location]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise not_utf8(filename) from None
    try:
        loaded = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise not_json(filename, exc) from None
    except ValueError:  # an integer of more digits than sys.get_int_max_str_digits(): no table holds one
        raise InputError(f"{filename}: holds a number too long to be a value of this table",
                         f"{filename}:文件中有位数过多的数字,不是本表可以登记的数值") from None
    except RecursionError:  # a 100,000-deep array answered 500
        raise too_deep(filename, what=Bilingual("本表的数据行", "rows of this table")) from None
    if isinstance(loaded, dict) and isinstance(loaded.get("rows"), list):
        loaded = loaded["rows"]
    if not isinstance(loaded, list):
        raise InputError(f"{filename}: expected a JSON array of rows", f"{filename}:应为由各行组成的 JSON 数组")
    return list(loaded), [Location(n) for n in range(1, len(loaded) + 1)]


def _csv(table: ReferenceTable, text: str, filename: str) -> tuple[list[dict[str, Any]], list[Location]]:
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    previous = csv.field_size_limit()
    try:
        csv.field_size_limit(max(previous, 64 * 1024 * 1024))
        return _table(table, csv.reader(io.StringIO(text), delimiter=delimiter), None)
    except csv.Error as exc:
        raise InputError(f"{filename}: not CSV ({exc})", f"{filename}:不是有效的 CSV 文件({exc})") from None
    finally:
        csv.field_size_limit(previous)


def _xlsx(table: ReferenceTable, data: bytes, filename: str) -> tuple[list[dict[str, Any]], list[Location]]:
    with open_workbook(data, filename) as workbook:
        sheet = _sheet(table, workbook.worksheets)
        if sheet is None:
            return [], []
        sheet.reset_dimensions()
        return _table(table, sheet.iter_rows(max_row=_MAX_ROWS, values_only=True), safe_text(sheet.title))


def _sheet(table: ReferenceTable, sheets: Sequence[Any]) -> Any:
    wanted = {normalise(n) for n in (table.label.zh, table.label.en, table.key, _sheet_title(table.label.zh),
                                     _sheet_title(table.label.en))}
    skipped = {normalise(VERSION_SHEET.zh), normalise(VERSION_SHEET.en)}
    for sheet in sheets:
        if normalise(sheet.title) in wanted:
            return sheet
    return next((s for s in sheets if normalise(s.title) not in skipped), None)


def _table(table: ReferenceTable, rows: Iterator[Sequence[Any]] | Any,
           sheet: str | None) -> tuple[list[dict[str, Any]], list[Location]]:
    names = _names(table)
    numbered = enumerate(rows, start=1)
    header: list[str] | None = None
    seen: list[tuple[int, Sequence[Any]]] = []
    for number, cells in numbered:
        if not any(_text(c) for c in cells):
            continue
        seen.append((number, cells))
        known = sum(1 for c in cells if normalise(_text(c)) in names)
        if known >= min(2, len(table.columns)):
            header = [_text(c) for c in cells]
            seen = []
            break
        if len(seen) == _HEADER_SEARCH:
            break
    if header is None:
        if not seen:
            return [], []
        header = [_text(c) for c in seen[0][1]]
        seen = seen[1:]
    while header and not header[-1]:
        header.pop()
    out: list[dict[str, Any]] = []
    where: list[Location] = []

    def rest() -> Iterator[tuple[int, Sequence[Any]]]:
        yield from seen
        yield from numbered

    for number, cells in rest():
        if not any(_text(c) for c in cells):
            continue
        out.append(_row(table, names, header, cells))
        where.append(Location(number, "row", sheet))
    return out, where


def _row(table: ReferenceTable, names: Mapping[str, str], header: Sequence[str], cells: Sequence[Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    problems: dict[str | None, list[Bilingual]] = {}
    for index, cell in enumerate(cells):
        if _empty(cell):
            continue
        if index >= len(header) or not header[index]:
            from ..interchange.tabular import _beyond_header, _no_header

            problem = _no_header(index) if index < len(header) else _beyond_header(index, len(header))
            problems.setdefault(None, []).append(problem)
            continue
        name = names.get(normalise(header[index]), header[index])
        row[name] = cell_value(table, name, cell) if name in table.columns else cell
    return RawRecord(row, problems=problems) if problems else row


def cell_value(table: ReferenceTable, name: str, cell: Any) -> Any:
    """A cell as the value the field expects, when it can be read as one; else as it is (the schema names the problem)."""
    field = table.field(name)
    if isinstance(cell, str):
        cell = _unprotect(cell.strip())
    if table.is_nested(name) or table.is_list(name):
        if isinstance(cell, str) and cell[:1] in "[{":
            try:
                return _from_json(field, json.loads(cell, parse_float=Decimal))
            except ValueError:
                return cell  # the schema says it is not a list
        if table.is_list(name):
            inner = field.inner  # type: ignore[attr-defined]
            parts = [p.strip() for p in str(cell).splitlines() if p.strip()] if isinstance(cell, str) else [cell]
            return [_scalar(table, name, inner, p) for p in parts]
        return cell
    return _scalar(table, name, field, cell)


def _scalar(table: ReferenceTable, name: str, field: mfields.Field, cell: Any) -> Any:
    if isinstance(field, mfields.Date):
        return _date(cell)
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == datetime.min.time() else cell.isoformat(sep=" ")
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(field, mfields.Boolean):
        return _boolean(cell)
    if isinstance(field, mfields.Integer):
        return _integer(cell)
    if isinstance(field, (mfields.Decimal, mfields.Float, mfields.Number)):
        if isinstance(cell, float):
            return repr(cell) if not cell.is_integer() else str(int(cell))
        if isinstance(cell, str):
            return cell.replace(",", "")
        return cell
    if isinstance(cell, float) and cell.is_integer() and abs(cell) < 2**53:
        cell = int(cell)
    if isinstance(cell, str):
        coded = field.metadata.get("values") or {}
        for code, label in coded.items():
            if normalise(cell) in (normalise(code), *(normalise(t) for t in (label if isinstance(label, Text) else ()))):
                return code
        return cell
    if isinstance(cell, (int, float)) and not isinstance(cell, bool) and isinstance(field, mfields.String):
        return str(cell)
    return cell


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    return cell.strip() if isinstance(cell, str) else str(cell)


def _empty(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


# -- writing --------------------------------------------------------------------------


def _schema_fields(field: mfields.Field) -> Mapping[str, mfields.Field] | None:
    """The fields of a nested schema (of ``Nested``, or of a list of ``Nested``)."""
    if isinstance(field, mfields.List):
        field = field.inner
    if not isinstance(field, mfields.Nested):
        return None
    nested = field.nested
    if callable(nested) and not isinstance(nested, type):
        nested = nested()
    if isinstance(nested, type) and issubclass(nested, Schema):
        return nested._declared_fields
    return getattr(nested, "fields", None)


def _to_json(field: mfields.Field, value: Any, language: str) -> Any:
    """A nested value for a cell: keys by label, coded values by label, decimals and dates as text."""
    if isinstance(field, mfields.List) and isinstance(value, (list, tuple)):
        return [_to_json(field.inner, v, language) for v in value]
    inner = _schema_fields(field)
    if inner is not None and isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            sub = inner.get(key)
            if sub is None:
                out[str(key)] = to_json(item)
                continue
            if item is None and not sub.required and sub.load_default is None:
                continue  # absent reads back as the same None: keep the cell short
            label = sub.metadata.get("label")
            out[label.get(language) if isinstance(label, Text) else key] = _to_json(sub, item, language)
        return out
    coded = field.metadata.get("values") or {}
    if isinstance(value, str) and isinstance(coded.get(value), Text):
        return coded[value].get(language)
    return to_json(value)


def _from_json(field: mfields.Field, data: Any) -> Any:
    """Inverse of ``_to_json``: keys by name or label (either language), coded values by code or label."""
    if isinstance(field, mfields.List) and isinstance(data, list):
        return [_from_json(field.inner, v) for v in data]
    inner = _schema_fields(field)
    if inner is not None and isinstance(data, dict):
        names: dict[str, str] = {}
        for key, sub in inner.items():
            label = sub.metadata.get("label")
            for alias in (key, *((label.zh, label.en) if isinstance(label, Text) else ())):
                names.setdefault(normalise(alias), key)
        out: dict[str, Any] = {}
        for key, item in data.items():
            name = names.get(normalise(str(key)), str(key))
            out[name] = _from_json(inner[name], item) if name in inner else item
        return out
    coded = field.metadata.get("values") or {}
    if isinstance(data, str) and coded:
        for code, label in coded.items():
            if normalise(data) in (normalise(code), *(normalise(t) for t in (label if isinstance(label, Text) else ()))):
                return code
    return data


def cell_text(table: ReferenceTable, name: str, value: Any, language: str = "zh") -> str:
    """A value as a cell's text (and as the admin's row editor shows it): the rules of this module's docstring."""
    if value is None:
        return ""
    if table.is_nested(name):
        return json.dumps(_to_json(table.field(name), value, language), ensure_ascii=False)
    if table.is_list(name):
        return "\n".join(cell_text_scalar(table, name, v, language) for v in value)
    return cell_text_scalar(table, name, value, language)


def cell_text_scalar(table: ReferenceTable, name: str, value: Any, language: str = "zh") -> str:
    if isinstance(value, bool):
        if language.startswith("zh"):
            return "是" if value else "否"
        return "yes" if value else "no"
    label = table.value_label(name, value)
    if label is not None:
        return label.get(language)
    return str(to_json(value))


def _cell(table: ReferenceTable, name: str, value: Any, language: str) -> Any:
    """What an XLSX cell holds: numbers and dates as such, the rest as ``cell_text``."""
    if isinstance(value, bool) or value is None:
        return cell_text(table, name, value, language) if value is not None else None
    if isinstance(value, int) and abs(value) < 2**53:
        return value
    if isinstance(value, Decimal) and value.is_finite() and len(value.as_tuple().digits) <= 15:
        return value
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    return cell_text(table, name, value, language)


def _guard(text: Any) -> Any:
    """An apostrophe before text a spreadsheet would run as a formula (taken off again when read)."""
    if isinstance(text, str) and text[:1] in ("=", "+", "-", "@"):
        return "'" + text
    return text


def write_csv(table: ReferenceTable, rows: Sequence[Mapping[str, Any]], language: str = "zh") -> str:
    """The rows as CSV text (UTF-8 with BOM, as Excel opens it), headers in ``language``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([table.field_label(name).get(language) for name in table.columns])
    for row in rows:
        writer.writerow([_guard(cell_text(table, name, row.get(name), language)) for name in table.columns])
    return "\ufeff" + buffer.getvalue()


def write_xlsx(table: ReferenceTable, rows: Sequence[Mapping[str, Any]], language: str = "zh",
               details: Sequence[tuple[Text, Any]] = ()) -> bytes:
    """The rows as an XLSX workbook: a sheet named like the table, and ``details`` (the version's) on a second."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(table.label.get(language)))
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for n, name in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = 50 if table.is_nested(name) else 18
    sheet.freeze_panes = "A2"
    header = []
    for name in table.columns:
        cell = WriteOnlyCell(sheet, value=table.field_label(name).get(language))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        cells = []
        for name in table.columns:
            value = _cell(table, name, row.get(name), language)
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text, never a formula
                if "\n" in value or table.is_nested(name):
                    cell.alignment = wrap
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        sheet.append(cells)
    if details:
        info = workbook.create_sheet(VERSION_SHEET.get(language))
        info.column_dimensions["A"].width = 16
        info.column_dimensions["B"].width = 60
        for label, value in details:
            first = WriteOnlyCell(info, value=label.get(language))
            first.font = bold
            second = WriteOnlyCell(info, value="" if value is None else str(value))
            second.data_type = "s"
            info.append([first, second])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _sheet_title(text: str) -> str:
    """A sheet title Excel accepts: at most 31 characters, none of ``[]:*?/\\``."""
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in text).strip("'") or "rows"
    return cleaned[:31]


def stored_rows(table: ReferenceTable, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Typed rows as their stored JSON (for JSON exports)."""
    return [dump_row(table, row) for row in rows]


def version_details(table: ReferenceTable, version: ReferenceVersion) -> list[tuple[Text, Any]]:
    """A version's details, for an XLSX export's second sheet (both languages; the export picks one)."""
    return [
        (Text("参考数据表", "Table"), f"{table.label.zh} / {table.label.en} ({table.key})"),
        (Text("版本", "Version"), f"第{version.sequence}版 / version {version.sequence}" if version.id is not None
         else "预置 / shipped"),
        (Text("生效日期", "In force from"), version.effective_from.isoformat()),
        (Text("变更理由", "Reason"), version.reason),
        (Text("政策依据", "Reference"), version.reference),
        (Text("来源", "Source"), version.source + (" (示例数据 / sample data)" if version.sample else "")),
        (Text("记录人", "Recorded by"), version.recorded_by),
        (Text("记录时间(UTC)", "Recorded at (UTC)"),
         version.recorded_at.strftime("%Y-%m-%d %H:%M:%S") if version.recorded_at else ""),
    ]
