"""Streamed evaluation (core/streaming.py): the bytes the whole input gives, in bounded memory.

``stdpolicy evaluate`` validates the records one at a time, spills them to
parts of whole evaluation groups, evaluates a part at a time and merges the
results back into input order. These tests compare its output, byte for
byte, with evaluating the whole input at once (``Registry.validate`` and
``Registry.evaluate``, then ``write_results``): on the benchmark generator's
records, on fuzzed records (invalid ones, repeated ids, hostile values),
with one part and with many; and the command line's JSON Lines reader, its
errors, ``--format jsonl`` and the default of one process.
"""

from __future__ import annotations

import io
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import EvaluationContext, Registry
from core.interchange import InputError, parse_bytes, write_results
from core.interchange.jsonread import MISS, quick_record
from core.streaming import JsonLinesSource, RecordsSource, evaluate_stream, parts_for

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate  # noqa: E402
from test_fuzz_input import EXAMPLES, raw_record  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DAY = date(2026, 6, 30)


def _context(registry: Registry) -> EvaluationContext:
    return EvaluationContext(parameters=registry.default_parameters(), evaluated_on=DAY,
                             references=registry.default_references(demo=True))


def _whole(registry: Registry, records: list[Any]) -> bytes:
    """What ``stdpolicy evaluate`` wrote before streaming: the whole input validated, evaluated and written."""
    context = _context(registry)
    report = registry.validate(records, context.parameters, references=context.references)
    result = registry.evaluate(report.valid, context)
    out = io.StringIO()
    write_results(report, result, out)
    return out.getvalue().encode("utf-8")


def _streamed(registry: Registry, source: Any, parts: int, fmt: str = "json") -> tuple[bytes, Any]:
    out = io.StringIO()
    found = evaluate_stream(registry, source, out, _context(registry), parts=parts, fmt=fmt)
    return out.getvalue().encode("utf-8"), found


def test_benchmark_records_stream_to_the_same_bytes(registry: Registry) -> None:
    records = generate(4000, seed=5)
    # Invalid records and repeated ids among them (the second of each id is invalid).
    records[10] = dict(records[10], rank="first")
    records[3000] = dict(records[3000], id=records[20]["id"])
    records[3001] = dict(records[3001], id=records[2999]["id"])
    whole = _whole(registry, records)
    for parts in (1, 3, 16):
        streamed, found = _streamed(registry, RecordsSource(list(records)), parts)
        assert streamed == whole, f"{parts} parts"
        assert found.records == 4000 and found.invalid == 3 and found.parts == parts
    document = json.loads(whole)
    assert document["invalid"] == 3
    assert document["results"][3000]["errors"][0]["message"] == "the same id as row 21"


def test_json_lines_output_is_the_documents_results_a_line_each(registry: Registry) -> None:
    records = generate(500, seed=3)
    records[7] = {"kind": "nothing"}
    document = json.loads(_whole(registry, records))
    lines, _ = _streamed(registry, RecordsSource(list(records)), 4, fmt="jsonl")
    *results, summary = lines.decode("utf-8").split("\n")[:-1]
    assert [json.loads(line) for line in results] == document["results"]
    assert json.loads(summary) == {k: document[k] for k in ("total_amount", "held_amount", "invalid")}
    assert lines.endswith(b"\n") and len(results) == 500


def test_the_document_keeps_the_chunk_separators_of_the_whole_input(registry: Registry) -> None:
    # write_results joins 2,000 results at a time with ", " and the chunks with ",": kept byte for byte.
    records = generate(4100, seed=9)
    streamed, _ = _streamed(registry, RecordsSource(list(records)), 5)
    assert streamed == _whole(registry, records)
    assert streamed.count(b'}]}, {"id"') + streamed.count(b'"errors": []}, {"id"') >= 4000
    assert streamed.count(b'"errors": []},{"id"') == 2


FUZZ = settings(max_examples=30, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])


@st.composite
def fuzzed_file(draw: st.DrawFn) -> list[str]:
    count = draw(st.integers(1, 25))
    lines = [draw(raw_record(n)) for n in range(count)]
    for _ in range(draw(st.integers(0, 3))):  # an id given twice, a record of another record's id
        i, j = draw(st.integers(0, count - 1)), draw(st.integers(0, count - 1))
        lines[i] = lines[j]
    return lines


@FUZZ
@given(lines=fuzzed_file(), parts=st.integers(1, 6))
def test_fuzzed_json_lines_stream_to_the_same_bytes(registry: Registry, tmp_path: Path, lines: list[str],
                                                     parts: int) -> None:
    path = tmp_path / "fuzz.jsonl"
    path.write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    records = parse_bytes(path.read_bytes(), str(path))
    whole = _whole(registry, records)
    streamed, found = _streamed(registry, JsonLinesSource(str(path)), parts)
    assert streamed == whole
    assert found.invalid == json.loads(whole)["invalid"]


@pytest.mark.parametrize("content, message", [
    (b'{"kind": "x"}\n{"kind": \n', "line 2: not JSON"),
    (b'{"kind": "x"}\n{"kind": "unterminated\n', "line 2: not JSON"),
    (b'{"kind": "x"}\n{"kind": \n\xff\xfe\n', "not UTF-8 text"),  # the file's encoding first, as when read whole
    (b'\xef\xbb\xbf{"kind": "x"}\n' + b"[" * 100_000 + b"\n", "line 2: nested too deeply"),
])
def test_json_lines_read_a_line_at_a_time_fail_as_when_read_whole(registry: Registry, tmp_path: Path,
                                                                  content: bytes, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    with pytest.raises(InputError) as whole:
        parse_bytes(content, str(path))
    out = io.StringIO()
    with pytest.raises(InputError) as streamed:
        evaluate_stream(registry, JsonLinesSource(str(path)), out, _context(registry), parts=2)
    assert str(streamed.value) == str(whole.value) and message in str(streamed.value)
    assert streamed.value.zh == whole.value.zh and "Expecting" not in whole.value.zh  # Chinese, both ways
    assert out.getvalue() == ""  # nothing written before the whole input was read


def test_parts_grow_with_the_input() -> None:
    assert parts_for(0) == parts_for(1) == parts_for(25_000) == 1
    assert parts_for(100_000) == 4 and parts_for(1_000_000) == 40


# -- the command line ---------------------------------------------------------------------------


@time_machine.travel("2026-06-30T12:00:00+08:00", tick=False)
def test_cli_json_lines_in_and_out(runner, tmp_path: Path) -> None:
    records = EXAMPLES + [{"kind": "standard_drafting", "id": EXAMPLES[0]["id"]}]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    document = runner.invoke(args=["evaluate", str(path)])
    assert document.exit_code == 1
    lines = runner.invoke(args=["evaluate", str(path), "--format", "jsonl"])
    assert lines.exit_code == 1
    *results, summary = lines.stdout.splitlines()
    parsed = json.loads(document.stdout)
    assert [json.loads(line) for line in results] == parsed["results"]
    assert json.loads(summary) == {"total_amount": parsed["total_amount"], "held_amount": parsed["held_amount"],
                                   "invalid": 1}
    # the same result lines as the document's, byte for byte
    assert document.stdout.startswith('{"results": [' + ", ".join(results) + "]")
    # several processes read the whole input and write the same document
    assert runner.invoke(args=["evaluate", str(path), "--workers", "2"]).stdout == document.stdout


def test_cli_default_is_one_process(runner, tmp_path: Path) -> None:
    from core.cli.activities import evaluate_command

    workers = next(p for p in evaluate_command.params if p.name == "workers")
    assert workers.default == 1
    result = runner.invoke(args=["evaluate", str(ROOT / "docs/examples/activities.jsonl"), "--timings"])
    assert result.exit_code == 0
    assert "timings: read=" in result.stderr and " validate=" in result.stderr and "parts)" in result.stderr


def test_a_raising_plugin_gives_the_same_bytes_and_failures_in_parts() -> None:
    from test_cli_plugin_failures import Boom

    from core import load_registry

    registry = load_registry()
    registry.add_plugin("boom", Boom())
    code = "913304007429141869"
    records: list[Any] = generate(300, seed=2)
    records += [{"id": f"B{i}", "kind": "boom_thing", "date": "2025-06-20", "credit_code": code,
                 "note": "boom" if i == 3 else "fine"} for i in range(6)]
    whole = _whole(registry, records)
    context = _context(registry)
    report = registry.validate(records, context.parameters, references=context.references)
    expected = registry.evaluate(report.valid, context)
    for parts in (1, 4):
        streamed, found = _streamed(registry, RecordsSource(list(records)), parts)
        assert streamed == whole
        assert found.failures == expected.failures == {"boom": "ValueError: kaput"}
        assert [o.activity.ref for o in found.result.outcomes] == ["B3"]


def _as_read(value: Any) -> Any:
    """A parsed value with what ``_loads`` marks: repeated keys (RawRecord's problems) and over-long integers."""
    from core.screening import Oversized, RawRecord

    if isinstance(value, RawRecord):
        return ("raw", {k: _as_read(v) for k, v in value.items()}, repr(value.problems))
    if isinstance(value, dict):
        return {k: _as_read(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_read(v) for v in value]
    if isinstance(value, Oversized):
        return ("oversized", value.digits)
    if isinstance(value, float) and value != value:
        return "nan"
    return (type(value).__name__, repr(value))


@settings(max_examples=400, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_a_record_parses_through_orjson_as_through_the_standard_library(data: st.DataObject) -> None:
    from core.interchange.jsonread import _loads, loads_record
    from test_fuzz_input import json_values

    choice = data.draw(st.integers(0, 3))
    if choice == 0:
        text = data.draw(raw_record(data.draw(st.integers(0, 99))))
    elif choice == 1:
        text = json.dumps(data.draw(json_values), ensure_ascii=data.draw(st.booleans()), allow_nan=True)
    elif choice == 2:  # keys repeated, nested, spaced
        keys = data.draw(st.lists(st.sampled_from(["a", "b", ":", '"', "\\", "a\\", "ü", ""]), max_size=6))
        inner = ", ".join(f"{json.dumps(k)} {data.draw(st.sampled_from([':', ' :', ': ']))} "
                          f"{json.dumps(data.draw(json_values), allow_nan=True)}" for k in keys)
        text = "{" + inner + "}" if data.draw(st.booleans()) else '{"x": [{' + inner + "}], \"y\": 1}"
    else:
        text = data.draw(st.text(alphabet='{}[]",:\\ 0123456789.eE-+tfnulrsa', max_size=40))
    try:
        expected: Any = _as_read(_loads(text))
    except (ValueError, RecursionError) as exc:
        expected = (type(exc).__name__, getattr(exc, "msg", str(exc)))
    try:
        found: Any = _as_read(loads_record(text))
    except (ValueError, RecursionError) as exc:
        found = (type(exc).__name__, getattr(exc, "msg", str(exc)))
    assert found == expected, text
    quick = quick_record(text.encode("utf-8", "surrogatepass"))  # a JSON Lines file's line, as bytes
    assert quick is MISS or _as_read(quick) == expected, text


@settings(max_examples=300, derandomize=True, deadline=None, database=None)
@given(data=st.binary(max_size=30), record=st.sampled_from([b'{"a": "%s"}', b'{"%s": 1}', b'%s{"a": 1}', b'["%s"]']))
def test_bytes_orjson_takes_are_utf8_and_parse_alike(data: bytes, record: bytes) -> None:
    from core.interchange.jsonread import _loads

    line = record.replace(b"%s", data)
    quick = quick_record(line)
    if quick is MISS:
        return
    assert _as_read(quick) == _as_read(_loads(line.decode("utf-8"))), line  # decodes: orjson took UTF-8 only


@time_machine.travel("2026-06-30T12:00:00+08:00", tick=False)
def test_cli_json_lines_from_several_processes_are_the_same_lines(runner, tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [*EXAMPLES, {"kind": "x"}]) + "\n",
                    encoding="utf-8")
    one = runner.invoke(args=["evaluate", str(path), "--format", "jsonl"])
    several = runner.invoke(args=["evaluate", str(path), "--format", "jsonl", "--workers", "2"])
    assert one.exit_code == several.exit_code == 1
    assert several.stdout == one.stdout and len(one.stdout.splitlines()) == len(EXAMPLES) + 2
