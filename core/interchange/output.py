"""Writing evaluation results: the JSON document of ``stdpolicy evaluate`` and ``POST /api/evaluate``::

    {"results": [{"id", "kind", "amount", "outcomes": [...], "errors": [...]}],
     "total_amount": 0, "held_amount": 0, "invalid": 0}

``amount`` and ``total_amount`` are what is due; outcomes held for review
(status ``held``, 待核实) carry 0 there, and what they would pay once approved
is a result's ``held_amount`` (given when not 0) and the document's
``held_amount``; each held outcome's ``details`` give ``held_amount`` and
``held_reasons``.

An invalid record's result also says where it was in its file: ``"row"``
(a JSON array's n-th record; a CSV or sheet row, the header being row 1)
or ``"line"`` (JSON Lines), and ``"sheet"`` for a workbook.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Iterator
from typing import IO, Any

import orjson

from ..activities import Activity, InvalidRecord, ValidationReport
from ..evaluation import EvaluationResult
from ..gcpause import paused_gc
from ..outcomes import Outcome
from .fastjson import ResultEncoder

__all__ = ["result_item", "result_items", "results_document", "write_result_lines", "write_results"]

def result_items(report: ValidationReport, result: EvaluationResult) -> Iterator[dict[str, Any]]:
    """One result per input record, in input order."""
    for item in report.items:
        yield result_item(item, result.for_activity(item) if isinstance(item, Activity) else None)


def result_item(item: Activity | InvalidRecord, outcomes: list[Outcome] | None) -> dict[str, Any]:
    """The result of one record: an activity with its ``outcomes``, or an invalid record (``outcomes`` ``None``).

    ``fastjson.ResultEncoder.result`` writes the same keys in the same order: change both.
    """
    if outcomes is None:
        assert isinstance(item, InvalidRecord)
        return _invalid_item(item)
    assert isinstance(item, Activity)
    found: dict[str, Any] = {"id": item.ref, "kind": item.kind, "amount": sum(o.amount for o in outcomes)}
    held = sum(o.held_amount for o in outcomes)
    if held:
        found["held_amount"] = held
    found.update(outcomes=[o.to_json() for o in outcomes], errors=[])
    return found


def _invalid_item(item: InvalidRecord) -> dict[str, Any]:
    where = item.location
    found: dict[str, Any] = {"id": item.ref, "kind": item.kind, where.unit: where.number}
    if where.sheet is not None:
        found["sheet"] = where.sheet
    found.update(amount=0, outcomes=[], errors=[e.to_json() for e in item.errors])
    return found


def results_document(report: ValidationReport, result: EvaluationResult) -> dict[str, Any]:
    """The whole result document as one dict (the API's response)."""
    return {
        "results": list(result_items(report, result)),
        "total_amount": result.total_amount,
        "held_amount": result.held_amount,
        "invalid": len(report.invalid),
    }


def write_results(report: ValidationReport, result: EvaluationResult, out: IO[str], *, indent: int | None = None) -> None:
    """Write the result document, streamed a chunk of results at a time.

    100,000 results are never held as one JSON string. Without ``indent``
    (what ``stdpolicy evaluate`` writes) each chunk is encoded through orjson
    (``fastjson``: the same bytes as the standard library, ~5× faster) and,
    when ``out`` is a UTF-8 text stream over a binary one (standard output),
    written to that binary stream without decoding. With ``indent``, the
    standard library's encoder. The cyclic GC is paused meanwhile: the
    chunks' objects would otherwise trigger full collections of a heap that
    holds every activity and outcome (~40 % of the time, core/gcpause.py).
    """
    with paused_gc():
        if indent is None:
            _write_fast(report, result, out)
        else:
            _write_results(report, result, out, indent)


def _binary(out: IO[str]) -> tuple[IO[bytes], str] | None:
    """(binary stream, error handler) under ``out`` if writing UTF-8 bytes there is what writing text to ``out`` does.

    Any error handler will do: bytes that decode as UTF-8 encode back to the
    same bytes under every handler (a C locale gives ``surrogateescape``), and
    text is encoded with the stream's own handler.
    """
    buffer = getattr(out, "buffer", None)
    encoding = getattr(out, "encoding", None)
    if buffer is None or not encoding:
        return None
    try:
        if codecs.lookup(encoding).name != "utf-8":
            return None
    except LookupError:
        return None
    return buffer, getattr(out, "errors", None) or "strict"


#: Bytes gathered before each write to the binary stream: a stream's own buffer (8 KiB) makes one
#: system call per 8 KiB, 0.2 s of kernel time for the 118 MB of 100,000 results (measured 0.28 s → 0.06 s).
_WRITE_BLOCK = 1 << 20


def raw_writer(out: IO[str]) -> tuple[Callable[[bytes | str], None], Callable[[], None]]:
    """(write, flush): write bytes (UTF-8) or text to ``out``, straight to its binary stream when that is the same.

    orjson gives bytes; decoding them only for the text stream to encode them
    again would cost a third of the writing. Bytes are gathered into blocks of
    ``_WRITE_BLOCK`` before they reach the binary stream. ``flush`` writes what
    is gathered and flushes that binary stream: call it at the end (the text
    stream was flushed before the first write).
    """
    found = _binary(out)
    if found is None:
        def write_text(data: bytes | str) -> None:
            out.write(data if isinstance(data, str) else data.decode("utf-8"))

        return write_text, lambda: None

    binary, errors = found
    out.flush()
    pieces: list[bytes] = []
    size = 0

    def drain() -> None:
        nonlocal size
        binary.write(b"".join(pieces))
        pieces.clear()
        size = 0

    def write(data: bytes | str) -> None:
        nonlocal size
        piece = data if isinstance(data, bytes) else data.encode("utf-8", errors)
        pieces.append(piece)
        size += len(piece)
        if size >= _WRITE_BLOCK:
            drain()

    def flush() -> None:
        if pieces:
            drain()
        binary.flush()

    return write, flush


def _write_fast(report: ValidationReport, result: EvaluationResult, out: IO[str]) -> None:
    write, flush_binary = raw_writer(out)
    encoder = ResultEncoder()
    write(b'{"results": [')
    first = True
    chunk: list[tuple[Activity | InvalidRecord, list[Outcome] | None]] = []

    def flush() -> None:
        nonlocal first
        if chunk:
            if not first:
                write(b",")  # between chunks: no space (what the standard library path always wrote)
            write(encoder.results(chunk))
            first = False
            chunk.clear()

    for item in report.items:
        chunk.append((item, result.for_activity(item) if isinstance(item, Activity) else None))
        if len(chunk) == 2000:
            flush()
    flush()
    write(f'], "total_amount": {result.total_amount}, "held_amount": {result.held_amount}, '
          f'"invalid": {len(report.invalid)}}}\n')
    flush_binary()


def write_result_lines(report: ValidationReport, result: EvaluationResult, out: IO[str]) -> None:
    """The results as JSON Lines: each result's JSON as ``write_results`` writes it, one a line, then a line
    ``{"total_amount": …, "held_amount": …, "invalid": …}`` (``stdpolicy evaluate --format jsonl``)."""
    from .fastjson import _STDLIB, _Fallback

    encoder = ResultEncoder()
    write, flush_binary = raw_writer(out)
    with paused_gc():
        for item in report.items:
            outcomes = result.for_activity(item) if isinstance(item, Activity) else None
            try:
                data: bytes | str = encoder.result(item, outcomes)
            except (_Fallback, orjson.JSONEncodeError):
                data = _STDLIB.encode(result_item(item, outcomes))
            write(data)
            write(b"\n")
    write(json.dumps({"total_amount": result.total_amount, "held_amount": result.held_amount,
                      "invalid": len(report.invalid)}) + "\n")
    flush_binary()


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
    out.write(f'], "total_amount": {result.total_amount}, "held_amount": {result.held_amount}, '
              f'"invalid": {len(report.invalid)}}}\n')
