"""The interchange format: reading activity files, writing evaluation results.

Input (``read_records``, ``parse_bytes``, ``parse_records``), by the file
name's ending:

- ``.json`` (and anything else): a JSON array of activity records, UTF-8;
- ``.jsonl`` / ``.ndjson``: JSON Lines, one record per line, UTF-8;
- ``.csv``: a header row and one record per row, in UTF-8 (with or without
  BOM), UTF-16 with BOM, or GB18030/GBK (what Excel writes on Chinese
  Windows); comma- or tab-separated;
- ``.xlsx``: every sheet of the workbook is a table like a CSV file's; a
  sheet without a kind column takes its kind from its name (``标准制定``).

Tables are read as ``tabular`` describes (Chinese headers and value labels,
Excel's dates). Every reader returns ``Records``: the records and where
each was, so an error names its row (and sheet). A problem of one record
(a repeated JSON key, an over-long integer, a cell beyond the header) stays
with that record (``core.screening``); only a file that cannot be read at
all raises ``InputError``. Output: ``output``.
"""

from __future__ import annotations

import codecs
import io
import sys
from pathlib import Path

from ..registry import Registry
from ..screening import safe_text
from .columns import COMMON, COMPUTED, field_label, normalise
from .jsonread import json_array, json_lines, looks_like_lines, not_utf8
from .output import result_items, results_document, write_results
from .records import InputError, Records
from .tabular import TableReader
from .workbook import MAX_XLSX_UNCOMPRESSED, open_workbook

__all__ = [
    "COMMON",
    "COMPUTED",
    "FORMATS",
    "InputError",
    "MAX_XLSX_UNCOMPRESSED",
    "Records",
    "field_label",
    "format_of",
    "normalise",
    "parse_bytes",
    "parse_records",
    "read_records",
    "result_items",
    "results_document",
    "write_results",
]

#: File endings read, and the format each means.
FORMATS = {"json": "json", "jsonl": "jsonl", "ndjson": "jsonl", "csv": "csv", "xlsx": "xlsx"}
#: Excel's own limit of rows in a sheet.
MAX_XLSX_ROWS = 1_048_576
#: The largest CSV cell read (the csv module's default is 128 KiB; longer text
#: is then refused by its field, not by the whole file).
_CSV_FIELD_LIMIT = 64 * 1024 * 1024


def format_of(name: str) -> str:
    """``json``, ``jsonl``, ``csv`` or ``xlsx``, by the name's ending (JSON when unknown)."""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return FORMATS.get(ext, "json")


def read_records(path: str, registry: Registry | None = None) -> Records:
    """Records from a file path (``-``: standard input, read as JSON or JSON Lines)."""
    if path == "-":
        data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode("utf-8", "surrogatepass")
        return parse_bytes(data, "<stdin>", registry)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError.unreadable(path, exc) from None
    return parse_bytes(data, path, registry)


def parse_bytes(data: bytes, name: str, registry: Registry | None = None) -> Records:
    """Records from a file's bytes; the format follows the name's ending (``format_of``)."""
    if name.lower().endswith(".xls"):
        raise InputError(f"{name} is an Excel 97–2003 workbook (.xls): save it as .xlsx or CSV and try again",
                         f"{name} 是旧版 Excel 工作簿(.xls):请另存为 .xlsx 或 CSV 后重试")
    fmt = format_of(name)
    if fmt == "xlsx":
        return _xlsx_records(data, name, _needs(registry, "XLSX"))
    if fmt == "csv":
        return _csv_records(_decode_table(data, name), name, _needs(registry, "CSV"))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise not_utf8(name) from None
    return parse_records(text, name, registry)


def parse_records(text: str, name: str, registry: Registry | None = None) -> Records:
    """Records from text; the format follows the name's ending (``.jsonl``, ``.csv``, else JSON)."""
    fmt = format_of(name)
    if fmt == "xlsx":
        raise InputError(f"{name}: a workbook is read from its bytes (parse_bytes)", f"{name}:工作簿须按字节读取")
    if fmt == "csv":
        return _csv_records(text, name, _needs(registry, "CSV"))
    if fmt == "jsonl" or (name == "<stdin>" and looks_like_lines(text)):
        return json_lines(text, name)
    return json_array(text, name)


def _needs(registry: Registry | None, what: str) -> Registry:
    if registry is None:
        raise InputError(f"reading {what} needs the registry (to know each field's type)",
                         f"读取 {what} 需要插件注册表(以确定各字段的类型)")
    return registry


def _decode_table(data: bytes, name: str) -> str:
    """A CSV file's text: UTF-8 (BOM or not), UTF-16 with a BOM, else GB18030 (a superset of GBK)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError(f"{name}: neither UTF-8 nor GB18030 text; save it as CSV UTF-8",
                     f"{name}:既不是 UTF-8 也不是 GB18030 编码的文本;请另存为“CSV UTF-8”格式")


def _csv_records(text: str, name: str, registry: Registry) -> Records:
    import csv

    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    previous = csv.field_size_limit()
    records = Records(unit="row", numbers=[])
    try:
        csv.field_size_limit(max(previous, _CSV_FIELD_LIMIT))
        rows = csv.reader(io.StringIO(text), delimiter=delimiter)
        for number, record in TableReader(registry).records(rows, source=name):
            records.append(record)
            records.numbers.append(number)  # type: ignore[union-attr]
    except csv.Error as exc:
        raise InputError(f"{name}: not CSV ({exc})", f"{name}:不是有效的 CSV 文件({exc})") from None
    finally:
        csv.field_size_limit(previous)
    return records


def _xlsx_records(data: bytes, name: str, registry: Registry) -> Records:
    """Every sheet's rows; a sheet without a kind column takes its kind from its name."""
    reader = TableReader(registry)
    records = Records(unit="row", numbers=[], sheets=[])
    with open_workbook(data, name) as workbook:
        for sheet in workbook.worksheets:
            sheet.reset_dimensions()  # a wrong stored size must not pad or cut rows
            title = safe_text(sheet.title)
            rows = sheet.iter_rows(max_row=MAX_XLSX_ROWS, values_only=True)
            for number, record in reader.records(rows, source=name, sheet=title):
                records.append(record)
                records.numbers.append(number)  # type: ignore[union-attr]
                records.sheets.append(title)  # type: ignore[union-attr]
    return records


