"""The interchange format: reading activity files, writing evaluation results.

Input: a JSON array of activity records, JSON Lines (one record per line,
``.jsonl``), or CSV (``.csv``, one column per field; cells are converted to
the types the kind's schema expects). Output: the JSON document of
``stdpolicy evaluate`` and ``POST /api/evaluate``::

    {"results": [{"id", "kind", "amount", "outcomes": [...], "errors": [...]}],
     "total_amount": 0, "invalid": 0}
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from marshmallow import fields as mfields

from .activities import Activity, InvalidRecord, ValidationReport
from .evaluation import EvaluationResult
from .gcpause import paused_gc
from .parameters import Money
from .registry import Registry

__all__ = ["InputError", "parse_records", "read_records", "result_items", "results_document", "write_results"]


class InputError(ValueError):
    """The input cannot be read as activity records at all (not JSON, not CSV)."""


def read_records(path: str, registry: Registry | None = None) -> list[Any]:
    """Records from a file path (``-``: standard input, read as JSON or JSON Lines)."""
    if path == "-":
        text = sys.stdin.read()
        name = "<stdin>"
    else:
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read {path}: {exc}") from None
        name = path
    return parse_records(text, name, registry)


def parse_records(text: str, name: str, registry: Registry | None = None) -> list[Any]:
    """Records from text; the format follows the name's suffix (``.jsonl``, ``.csv``, else JSON)."""
    lower = name.lower()
    if lower.endswith(".csv"):
        if registry is None:
            raise InputError("reading CSV needs the registry (to know each field's type)")
        return _csv_records(text, registry)
    if lower.endswith(".jsonl") or (name == "<stdin>" and _looks_like_lines(text)):
        records = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise InputError(f"{name}, line {number}: not JSON ({exc.msg})") from None
            except RecursionError:
                raise InputError(f"{name}, line {number}: nested too deeply") from None
        return records
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name}: not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise InputError(f"{name}: nested too deeply to be activity records") from None
    if not isinstance(data, list):
        raise InputError(f"{name}: expected a JSON array of activity records, got a {type(data).__name__}")
    return data


def _looks_like_lines(text: str) -> bool:
    stripped = text.lstrip()
    return stripped.startswith("{") and "\n{" in stripped


_TRUE = {"true", "1", "yes", "y", "是", "t"}
_FALSE = {"false", "0", "no", "n", "否", "f"}


def _csv_records(text: str, registry: Registry) -> list[dict[str, Any]]:
    """CSV rows as records, each cell converted to the type its kind's field expects.

    An empty cell is a missing field. A cell that does not convert is passed
    on as text, so validation names the field and the problem.
    """
    try:
        reader = csv.DictReader(io.StringIO(text))
        rows = list(reader)
    except csv.Error as exc:
        raise InputError(f"not CSV: {exc}") from None
    if reader.fieldnames is None or "kind" not in reader.fieldnames:
        raise InputError("CSV needs a header row with at least a 'kind' column")
    records = []
    for row in rows:
        kind = (row.get("kind") or "").strip()
        schema = registry.validator.schema_for(kind) if kind in registry.kinds else None
        record: dict[str, Any] = {}
        for key, cell in row.items():
            if key is None or cell is None or cell.strip() == "":
                continue
            cell = cell.strip()
            field = schema.fields.get(key) if schema is not None else None
            record[key] = _convert(field, cell)
        records.append(record)
    return records


def _convert(field: mfields.Field | None, cell: str) -> Any:
    if isinstance(field, mfields.Boolean):
        lowered = cell.lower()
        return True if lowered in _TRUE else False if lowered in _FALSE else cell
    if isinstance(field, (mfields.Integer, Money)):
        digits = cell.replace(",", "")
        if digits.lstrip("-").isdecimal():
            return int(digits)
    return cell


# -- output ----------------------------------------------------------------------

def result_items(report: ValidationReport, result: EvaluationResult) -> Iterator[dict[str, Any]]:
    """One result per input record, in input order."""
    for item in report.items:
        if isinstance(item, Activity):
            outcomes = result.for_activity(item)
            yield {
                "id": item.ref,
                "kind": item.kind,
                "amount": sum(o.amount for o in outcomes),
                "outcomes": [o.to_json() for o in outcomes],
                "errors": [],
            }
        else:
            yield _invalid_item(item)


def _invalid_item(item: InvalidRecord) -> dict[str, Any]:
    return {"id": item.ref, "kind": item.kind, "amount": 0, "outcomes": [],
            "errors": [e.to_json() for e in item.errors]}


def results_document(report: ValidationReport, result: EvaluationResult) -> dict[str, Any]:
    """The whole result document as one dict (the API's response)."""
    return {
        "results": list(result_items(report, result)),
        "total_amount": result.total_amount,
        "invalid": len(report.invalid),
    }


def write_results(report: ValidationReport, result: EvaluationResult, out: IO[str], *, indent: int | None = None) -> None:
    """Write the result document, streamed a chunk of results at a time.

    100,000 results are never held as one JSON string; each chunk is encoded
    by the C encoder in one call. The cyclic GC is paused meanwhile: the
    chunks' dicts would otherwise trigger full collections of a heap that
    holds every activity and outcome (~40 % of the time, core/gcpause.py).
    """
    with paused_gc():
        _write_results(report, result, out, indent)


def _write_results(report: ValidationReport, result: EvaluationResult, out: IO[str], indent: int | None) -> None:
    encoder = json.JSONEncoder(ensure_ascii=False, indent=indent)
    out.write('{"results": [')
    first = True
    chunk: list[dict[str, Any]] = []

    def flush() -> None:
        nonlocal first
        if chunk:
            text = encoder.encode(chunk)
            out.write(("" if first else ",") + text[1:-1])
            first = False
            chunk.clear()

    for item in result_items(report, result):
        chunk.append(item)
        if len(chunk) == 2000:
            flush()
    flush()
    out.write(f'], "total_amount": {result.total_amount}, "invalid": {len(report.invalid)}}}\n')
