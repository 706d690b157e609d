"""Benchmarking results as offices keep them: one spreadsheet row per indicator, grouped by the record's id.

The interchange format holds a result's indicators as a nested list (JSON);
a CSV or XLSX file holds one row per indicator, the result's own columns
repeated on each row and the rows of one result sharing its ``编号`` (id).
``group_rows`` turns such rows into records (refusing, by row and column, a
result whose repeated columns disagree), ``indicator_rows`` (in ``views``)
writes them back in the same layout, and ``stdpolicy benchmarking
indicators-to-json`` joins them for ``stdpolicy import`` or the admin's import
page. Headers are the field names or their labels in either language, as in
the admin's export.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from core import Text

from .indicators import DIRECTIONS
from .schemas import BenchmarkResultSchema, IndicatorSchema

__all__ = ["GroupedRows", "RowProblem", "group_rows", "read_table"]

_COMMON = {
    "id": ("编号", "ID"),
    "date": ("日期", "Date"),
    "credit_code": ("统一社会信用代码", "Credit code"),
    "organisation": ("单位名称", "Organisation"),
}
_YES = {"是", "true", "1", "yes", "y"}
_NO = {"否", "false", "0", "no", "n"}


def _norm(text: Any) -> str:
    return unicodedata.normalize("NFKC", str(text or "")).strip().casefold()


def _headers() -> dict[str, tuple[str, str]]:
    """Normalised header → (``record`` or ``indicator``, field name)."""
    found: dict[str, tuple[str, str]] = {}
    for name, labels in _COMMON.items():
        for common in (name, *labels):
            found[_norm(common)] = ("record", name)
    for name, f in BenchmarkResultSchema._declared_fields.items():
        if name == "indicators":
            continue
        label: Any = f.metadata.get("label")
        names: tuple[str, ...] = (name, label.zh, label.en) if isinstance(label, Text) else (name,)
        for text in names:
            found.setdefault(_norm(text), ("record", name))
    for name, f in IndicatorSchema._declared_fields.items():
        label = f.metadata.get("label")
        names = (f"indicator_{name}", label.zh, label.en) if isinstance(label, Text) else (f"indicator_{name}",)
        for text in names:
            found[_norm(text)] = ("indicator", name)
    return found


HEADERS = _headers()


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str | None
    message: Text

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message.en} / 第{self.row}行{('“' + self.column + '”列') if self.column else ''}:{self.message.zh}"


@dataclass
class GroupedRows:
    records: list[dict[str, Any]] = field(default_factory=list)
    #: Record id → the spreadsheet row of each of its indicators, in order.
    rows: dict[str, list[int]] = field(default_factory=dict)
    problems: list[RowProblem] = field(default_factory=list)


def _cell(value: Any, kind: str, name: str) -> Any:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool) and kind == "indicator":
        return str(value)  # exact decimals travel as text
    if isinstance(value, float):  # an XLSX number cell: as shown, never 1.1000000000000001
        value = Decimal(repr(value))
        return str(value.to_integral() if value == value.to_integral() else value)
    if isinstance(value, str):
        value = value.strip()
        if value.startswith("'") and value[1:2] in ("=", "+", "-", "@"):
            value = value[1:]
        if value == "":
            return None
        if kind == "indicator" and name == "direction":
            for code, label in DIRECTIONS.items():
                if _norm(value) in (_norm(code), _norm(label.zh), _norm(label.en)):
                    return code
        if name in ("core",):
            if _norm(value) in _YES:
                return True
            if _norm(value) in _NO:
                return False
        if name == "campaign_year" and value.isdecimal() and len(value) <= 4:
            return int(value)
    return value


def group_rows(rows: Iterable[tuple[int, Mapping[str, Any]]]) -> GroupedRows:
    """Rows (number, {header: cell}) → one ``benchmark_result`` record per id, its indicators in row order."""
    out = GroupedRows()
    by_id: dict[str, dict[str, Any]] = {}
    first_row: dict[str, dict[str, int]] = {}
    for number, row in rows:
        record: dict[str, Any] = {}
        indicator: dict[str, Any] = {}
        for header, value in row.items():
            target = HEADERS.get(_norm(header))
            if target is None:
                if value not in (None, ""):
                    out.problems.append(RowProblem(number, str(header), Text("无法识别的列", "unknown column")))
                continue
            kind, name = target
            converted = _cell(value, kind, name)
            if converted is None:
                continue
            (record if kind == "record" else indicator)[name] = converted
        ref = record.get("id")
        if ref is None:
            if record or indicator:
                out.problems.append(RowProblem(number, "编号", Text("缺少编号:同一结果的各行以编号归组", "no id: rows are grouped by id")))
            continue
        ref = str(ref)
        if ref not in by_id:
            by_id[ref] = {**record, "kind": "benchmark_result", "indicators": []}
            first_row[ref] = {k: number for k in record}
            out.rows[ref] = []
            out.records.append(by_id[ref])
        else:
            held = by_id[ref]
            for name, value in record.items():
                if name in held and held[name] != value:
                    out.problems.append(RowProblem(number, name, Text(
                        f"与第{first_row[ref][name]}行(同一编号 {ref})的“{held[name]}”不一致",
                        f"differs from row {first_row[ref][name]} of the same id {ref} ({held[name]!r})")))
                elif name not in held:
                    held[name] = value
                    first_row[ref][name] = number
        if indicator:
            by_id[ref]["indicators"].append(indicator)
            out.rows[ref].append(number)
    return out


def read_table(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """The rows of a CSV (UTF-8, with or without BOM) or XLSX file (its first sheet), numbered as shown; header in row 1."""
    lines: list[list[Any]]
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
        lines = [list(r) for r in sheet.iter_rows(values_only=True)]
    else:
        text = path.read_bytes().decode("utf-8-sig")
        lines = [list(r) for r in csv.reader(io.StringIO(text))]
    if not lines:
        return []
    header = [str(h).strip() if h is not None else "" for h in lines[0]]
    out = []
    for n, cells in enumerate(lines[1:], start=2):
        if all(c in (None, "") for c in cells):
            continue
        out.append((n, {header[i] if i < len(header) else f"#{i + 1}": c for i, c in enumerate(cells)}))
    return out
