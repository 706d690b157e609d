"""Evaluating a large input in bounded memory: two passes over temporary partition files.

``stdpolicy evaluate`` of 1,000,000 records used to hold every record, every
``Activity`` and every outcome at once (2.2 GB). Here nothing grows with the
input but an id index (the duplicate-id check covers the whole input):

1. **Pass 1** reads the records one at a time (JSON Lines straight from the
   file; a JSON array, CSV or workbook as their readers give them), validates
   each (``ActivityValidator.validate_one``), checks its id against every id
   before it, and spills it to one of P temporary files: a valid activity to
   the part of its evaluation group (``core.grouping.partition``), an invalid
   record's finished result to a file of its own.
2. **Pass 2** evaluates each part as one batch, through the same
   ``Registry.evaluate`` and ``EvaluationContext`` as the whole input would
   be (``core.grouping``: a batch of whole groups gives every activity the
   outcomes the whole input gives it), and spills each result's JSON with
   its row number.
3. A k-way merge (``heapq.merge``) writes the results in input order, with
   the very bytes ``core.interchange.output.write_results`` writes for the
   whole input (tests/test_streaming.py compares them on the benchmark set
   and on fuzzed input), or as JSON Lines (``--format jsonl``).

Nothing is written to the output before pass 1 has read the whole input,
so a file that cannot be read still fails with exit status 2 and no output.
"""

from __future__ import annotations

import gc
import heapq
import json
import math
import os
import pickle
import tempfile
import time
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO, Protocol

import orjson

from . import activities as _activities
from .activities import Activity, InvalidRecord, Location
from .evaluation import Batch, EvaluationContext, EvaluationResult
from .gcpause import paused_gc
from .grouping import group_of, partition
from .interchange.fastjson import ResultEncoder, _Fallback
from .interchange.jsonread import MISS, _loads, not_json, not_utf8, quick_record, too_deep
from .interchange.records import InputError, Records
from .messages import Bilingual, FieldError
from .outcomes import ERROR_RULE
from .registry import Registry

__all__ = ["JsonLinesSource", "PART_RECORDS", "RecordsSource", "Source", "StreamedEvaluation", "evaluate_stream",
           "parts_for", "parts_for_file"]

#: Activities evaluated together in pass 2, about: the memory of one part.
PART_RECORDS = 25_000
#: Results per chunk of the JSON document: the standard library path wrote
#: ``", "`` between results and ``","`` between chunks of this many.
_CHUNK = 2000
#: Objects pickled to a spill file at a time.
_SPILL = 1000
#: Bytes of JSON Lines a record takes, about (benchmarks/generate.py: ~236): to size the parts.
_BYTES_PER_RECORD = 200



class Source(Protocol):
    """Records in input order, and where the ``row``-th (1-based) was."""

    def __iter__(self) -> Iterator[Any]: ...

    def location(self, row: int) -> Location: ...


@dataclass
class StreamedEvaluation:
    """What a streamed evaluation found, besides the output it wrote."""

    records: int = 0
    invalid: int = 0
    total_amount: int = 0
    held_amount: int = 0
    parts: int = 1
    #: Seconds pass 1 spent reading and parsing (the rest of it validated).
    reading: float = 0.0
    #: The plugins that raised (name → error) and their error outcomes only
    #: (what ``core.cli._common.plugin_failures`` lists).
    result: EvaluationResult = field(default_factory=EvaluationResult)

    @property
    def ok(self) -> bool:
        return not self.invalid

    @property
    def failures(self) -> dict[str, str]:
        return self.result.failures


# -- sources ------------------------------------------------------------------------------------


class RecordsSource:
    """The records of a reader (``core.interchange``): read whole, each dropped from the list once validated."""

    def __init__(self, records: Records | list[Any], *, release: bool = True) -> None:
        self.records = records
        self.release = release

    def __iter__(self) -> Iterator[Any]:
        records, release = self.records, self.release
        for index in range(len(records)):
            record = records[index]
            if release:
                records[index] = None
            yield record

    def location(self, row: int) -> Location:
        """Where the ``row``-th record (1-based) was."""
        locate = getattr(self.records, "location", None)
        return locate(row - 1) if locate is not None else Location(row)


class JsonLinesSource:
    """The records of a JSON Lines file, read a line at a time, with the errors ``json_lines`` gives.

    ``json_lines`` decodes the whole file first: a byte that is not UTF-8
    anywhere refuses the file before any line's JSON error does. So a line
    that is not JSON first checks that the rest of the file is UTF-8.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        #: The line of each record (8 bytes a record: where an invalid record was).
        self.lines = array("q")

    def __iter__(self) -> Iterator[Any]:
        name, lines = self.path, self.lines
        try:
            handle = open(name, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise InputError.unreadable(name, exc) from None
        with handle:
            for number, raw in enumerate(handle, start=1):
                if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                if raw.endswith(b"\n"):
                    raw = raw[:-1]
                if not raw.strip(b" \t\r"):
                    continue
                record = quick_record(raw)  # valid UTF-8 when it is not MISS
                if record is MISS:
                    try:
                        line = raw.decode("utf-8")
                    except UnicodeDecodeError:
                        raise not_utf8(name) from None
                    try:
                        record = _loads(line)
                    except json.JSONDecodeError as exc:
                        _rest_is_utf8(handle, name)
                        raise not_json(name, exc, number) from None
                    except RecursionError:
                        _rest_is_utf8(handle, name)
                        raise too_deep(name, number) from None
                lines.append(number)
                yield record

    def location(self, row: int) -> Location:
        return Location(self.lines[row - 1], "line")


def _rest_is_utf8(handle: BinaryIO, name: str) -> None:
    for raw in handle:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            raise not_utf8(name) from None


def parts_for(records: int) -> int:
    """How many parts ``records`` records are spread over (``PART_RECORDS`` each, about)."""
    return max(1, math.ceil(records / PART_RECORDS))


def parts_for_file(path: str) -> int:
    """Parts for a JSON Lines file, from its size."""
    try:
        size = os.path.getsize(path)
    except OSError:
        return 1
    return parts_for(size // _BYTES_PER_RECORD)


# -- the evaluation -----------------------------------------------------------------------------


@contextmanager
def _validation_context(parameters: Any, references: Any) -> Iterator[None]:
    """What ``ActivityValidator.validate`` sets around its records (the values schemas check against)."""
    token = _activities._parameters.set(parameters)
    reference_token = _activities._references.set(references)
    try:
        yield
    finally:
        _activities._parameters.reset(token)
        _activities._references.reset(reference_token)


def evaluate_stream(
    registry: Registry,
    source: Source,
    out: IO[str],
    context: EvaluationContext,
    *,
    plugins: list[str] | None = None,
    parts: int = 1,
    fmt: str = "json",
    directory: str | None = None,
    lap: Callable[..., None] | None = None,
) -> StreamedEvaluation:
    """Validate and evaluate the records of ``source`` and write the results to ``out``; store nothing.

    :param context: the evaluation context (parameters, history, references,
        department), the same for every part.
    :param parts: how many parts pass 2 evaluates one at a time (``parts_for``).
    :param fmt: ``json`` (the document ``write_results`` writes) or ``jsonl``
        (one result per line, then ``{"total_amount", "held_amount", "invalid"}``).
    :param directory: where the temporary files go (default: the system's).
    :raises InputError: the input cannot be read; nothing was written.
    """
    found = StreamedEvaluation(parts=max(1, parts))
    with tempfile.TemporaryDirectory(prefix="stdpolicy-evaluate-", dir=directory) as tmp, paused_gc():
        # What start-up built stays out of the collections run between parts (the launcher may
        # have frozen it already: then it stays so).
        frozen = gc.get_freeze_count()
        gc.freeze()
        try:
            spills = _pass_one(registry, source, context, found, Path(tmp))
            if lap is not None:
                lap("validate", read=found.reading)
            results = _pass_two(registry, spills, context, plugins, found, Path(tmp))
            if lap is not None:
                lap("evaluate")
            _merge(results, found, out, fmt)
        finally:
            if not frozen:
                gc.unfreeze()
    return found


class _Spill:
    """Objects appended in order and read back in order: pickled to a temporary file a chunk at a time,
    or (``path`` ``None``: the input is one part, all in memory anyway) kept in a list."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.buffer: list[Any] = []
        self._handle: BinaryIO | None = open(path, "wb") if path is not None else None  # noqa: SIM115

    def append(self, item: Any) -> None:
        buffer = self.buffer
        buffer.append(item)
        if len(buffer) == _SPILL and self._handle is not None:
            pickle.dump(buffer, self._handle, pickle.HIGHEST_PROTOCOL)
            buffer.clear()

    def close(self) -> None:
        if self._handle is not None:
            if self.buffer:
                pickle.dump(self.buffer, self._handle, pickle.HIGHEST_PROTOCOL)
                self.buffer = []
            self._handle.close()
            self._handle = None

    def __iter__(self) -> Iterator[Any]:
        """The objects, in order; read once (a file is removed as it is read)."""
        if self.path is None:
            items, self.buffer = self.buffer, []
            yield from items
            return
        with open(self.path, "rb") as handle:
            self.path.unlink()
            while True:
                try:
                    chunk = pickle.load(handle)
                except EOFError:
                    return
                yield from chunk


def _pass_one(registry: Registry, source: Source, context: EvaluationContext, found: StreamedEvaluation,
              tmp: Path) -> list[_Spill]:
    """Validate every record; spill the activities by part and the invalid records' results.

    Returns the parts' spills, then the spill of the invalid records' results (row, JSON).
    """
    parts = found.parts
    kinds = registry.kinds
    validate_one = registry.validator.validate_one
    encoder = ResultEncoder()
    spills = [_Spill(tmp / f"part-{p}" if parts > 1 else None) for p in range(parts)]
    invalid = _Spill(tmp / "invalid" if parts > 1 else None)
    seen: dict[str, int] = {}  # id → row of its first record: the duplicate-id check over the whole input
    reading = 0.0
    clock = time.perf_counter
    try:
        with _validation_context(context.parameters, context.references):
            iterator = iter(source)
            row = 0
            while True:
                started = clock()
                try:
                    record = next(iterator)
                except StopIteration:
                    reading += clock() - started
                    break
                reading += clock() - started
                row += 1
                item = validate_one(record, row)
                if type(item) is Activity:
                    ref = item.ref
                    first = seen.setdefault(ref, row) if not ref.startswith("#") else row
                    if first == row:
                        spills[partition(group_of(kinds, item), parts) if parts > 1 else 0].append(item)
                        continue
                    # ActivityValidator._report's duplicate-id error, word for word
                    text = source.location(first).text
                    item = InvalidRecord(row, ref, item.kind, [FieldError.make(
                        "id", Bilingual(f"编号与{text.zh}重复", f"the same id as {text.en}"),
                    )], record)
                assert isinstance(item, InvalidRecord)
                item.where = source.location(row)
                found.invalid += 1
                invalid.append((row, _encode(encoder, item, None)))
            found.records = row
            found.reading = reading
    finally:
        for spill in (*spills, invalid):
            spill.close()
    return [*spills, invalid]


def _encode(encoder: ResultEncoder, item: Activity | InvalidRecord, outcomes: Any) -> bytes | str:
    """One result's JSON as ``write_results`` writes it (``str`` where the standard library's encoder writes it)."""
    try:
        return encoder.result(item, outcomes)
    except (_Fallback, orjson.JSONEncodeError):
        from .interchange.fastjson import _STDLIB
        from .interchange.output import result_item

        return _STDLIB.encode(result_item(item, outcomes))


def _pass_two(registry: Registry, spills: list[_Spill], context: EvaluationContext, plugins: list[str] | None,
              found: StreamedEvaluation, tmp: Path) -> list[_Spill]:
    """Evaluate each part as one batch; spill (row, result JSON) in row order; return the results' spills."""
    results: list[_Spill] = []
    encoder = ResultEncoder()
    for index, spill in enumerate(spills[:-1]):
        activities = list(spill)
        if not activities:
            continue
        evaluated = registry.evaluate(Batch(activities), context, plugins=plugins)
        for name, error in evaluated.failures.items():
            found.result.failures.setdefault(name, error)
        found.result.extend(o for o in evaluated.outcomes if o.rule == ERROR_RULE)
        for outcome in evaluated.outcomes:
            found.total_amount += outcome.amount
            found.held_amount += outcome.held_amount
        out = _Spill(tmp / f"results-{index}" if spill.path is not None else None)
        for_activity = evaluated.for_activity
        for a in activities:
            out.append((a.row, _encode(encoder, a, for_activity(a))))
        out.close()
        results.append(out)
        del activities, evaluated, for_activity
        # Cycles the part left (rare: an exception kept with its traceback). The young
        # generations only: a full collection would rescan every cache of standard numbers
        # and identities again for each part (0.8 s for 100,000 records).
        gc.collect(1)
    results.append(spills[-1])
    return results


def _merge(results: list[_Spill], found: StreamedEvaluation, out: IO[str], fmt: str) -> None:
    """Write every result in input order (a k-way merge of the result files, each in row order)."""
    from .interchange.output import raw_writer

    write, flush_binary = raw_writer(out)
    streams = [iter(spill) for spill in results]
    merged = heapq.merge(*streams) if len(streams) > 1 else streams[0]
    summary = {"total_amount": found.total_amount, "held_amount": found.held_amount, "invalid": found.invalid}
    if fmt == "jsonl":
        for _, data in merged:
            write(data)
            write(b"\n")
        write(json.dumps(summary) + "\n")
    else:
        write(b'{"results": [')
        pending: list[bytes] = []
        count = 0
        for _, data in merged:
            if count:
                pending.append(b"," if count % _CHUNK == 0 else b", ")
            count += 1
            if isinstance(data, str):
                if pending:
                    write(b"".join(pending))
                    pending.clear()
                write(data)
                continue
            pending.append(data)
            if len(pending) >= 2 * _CHUNK:
                write(b"".join(pending))
                pending.clear()
        if pending:
            write(b"".join(pending))
        write(f'], "total_amount": {found.total_amount}, "held_amount": {found.held_amount}, '
              f'"invalid": {found.invalid}}}\n')
    flush_binary()
