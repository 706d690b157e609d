"""The orjson writer of ``stdpolicy evaluate`` gives the standard library's bytes (issue #13).

``core.interchange.fastjson`` writes the document's skeleton itself and has
orjson encode the strings; here it is compared with ``json.JSONEncoder(
ensure_ascii=False)`` of ``result_items`` — escaping of every code point,
Hypothesis-generated outcomes (any text, nested details, numbers beyond 64
bits, floats and Decimals that go to the standard library), every optional
key of ``Outcome.to_json``, and whole documents over several chunks, on a
binary-backed stream and on a ``StringIO``.
"""

from __future__ import annotations

import io
import json
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.activities import Activity, InvalidRecord, Location, ValidationReport
from core.messages import FieldError
from core.evaluation import EvaluationResult
from core.interchange import output
from core.interchange.fastjson import ResultEncoder
from core.outcomes import Outcome, ParamValue
from core.refdata.versions import ReferenceRead

STDLIB = json.JSONEncoder(ensure_ascii=False)
ROOT = Path(__file__).resolve().parent.parent


def _stdlib(chunk: list[tuple[Any, Any]]) -> str:
    return STDLIB.encode([output.result_item(item, outcomes) for item, outcomes in chunk])[1:-1]


def _fast(chunk: list[tuple[Any, Any]]) -> str:
    found = ResultEncoder().results(chunk)
    return found if isinstance(found, str) else found.decode("utf-8")


def test_orjson_escapes_every_code_point_as_the_standard_library() -> None:
    for start in range(0, 0x110000, 0x8000):
        text = "".join(chr(c) for c in range(start, min(start + 0x8000, 0x110000)) if not 0xD800 <= c < 0xE000)
        assert orjson.dumps(text) == json.dumps(text, ensure_ascii=False).encode("utf-8"), hex(start)


def _activity(ref: str = "A-1", kind: str = "standard_drafting") -> Activity:
    return Activity(kind, date(2024, 5, 1), "91330402MA2B12345X", {"standard_code": "GB/T 1-2024"}, ref=ref, row=1)


json_scalars = st.one_of(st.text(), st.integers(min_value=-(2**70), max_value=2**70), st.booleans(), st.none())
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)
odd_values = st.one_of(st.floats(allow_nan=True), st.decimals(allow_nan=False).map(str), st.just(Decimal("1.10")),
                       st.tuples(st.integers(), st.text(max_size=3)), st.dictionaries(st.integers(), st.text(), max_size=2))


@st.composite
def outcomes(draw: st.DrawFn, odd: bool = False) -> Outcome:
    amount = draw(st.integers(min_value=0, max_value=10**12))
    status = draw(st.sampled_from(["ok", "not_covered", "held", "tracking", "error"]))
    details = draw(st.none() | st.dictionaries(st.text(max_size=10), odd_values if odd else json_values, max_size=4))
    if status == "held" and draw(st.booleans()):
        details = {**(details or {}), "held_amount": draw(st.integers(min_value=1, max_value=10**9)),
                   "held_reasons": [{"zh": draw(st.text(max_size=5)), "en": draw(st.text(max_size=5))}]}
        amount = 0
    params = tuple(ParamValue(draw(st.text(min_size=1, max_size=12)), draw(st.one_of(st.integers(), st.text(max_size=6),
                                                                                   st.lists(st.text(max_size=3), max_size=2))),
                              date(2022, 8, 1), draw(st.none() | st.integers(min_value=1, max_value=99)), "stored",
                              draw(st.none() | st.integers(min_value=1, max_value=9)))
                   for _ in range(draw(st.integers(min_value=0, max_value=2))))
    refs = tuple(ReferenceRead(draw(st.text(min_size=1, max_size=8)), 1, 7, date(2021, 4, 20), "shipped")
                 for _ in range(draw(st.integers(min_value=0, max_value=1))))
    outcome = Outcome(_activity(), draw(st.text(min_size=1, max_size=4)), amount, draw(st.text(max_size=6)),
                      (draw(st.text()), draw(st.text())), params, None, details,
                      (draw(st.text(max_size=8)), draw(st.text(max_size=8))), status, refs)
    outcome.plugin = draw(st.sampled_from(["reward_tiers", "carbon", "插件"]))
    outcome.plugin_version = draw(st.sampled_from(["1.0.0", "0.3.0"]))
    return outcome


@st.composite
def chunks(draw: st.DrawFn, odd: bool = False) -> list[tuple[Any, Any]]:
    chunk: list[tuple[Any, Any]] = []
    for n in range(draw(st.integers(min_value=1, max_value=4))):
        if draw(st.integers(min_value=0, max_value=4)) == 0:
            errors = [FieldError(draw(st.none() | st.text(max_size=5)), draw(st.text(max_size=10)), draw(st.text(max_size=10)))]
            where = Location(n + 1, draw(st.sampled_from(["row", "line"])), draw(st.none() | st.text(max_size=5)))
            chunk.append((InvalidRecord(n + 1, draw(st.text(max_size=8)), draw(st.none() | st.text(max_size=8)), errors,
                                        where=where), None))
        else:
            chunk.append((_activity(draw(st.text(max_size=10))), draw(st.lists(outcomes(odd), max_size=3))))
    return chunk


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(chunks())
def test_results_are_the_standard_librarys_bytes(chunk: list[tuple[Any, Any]]) -> None:
    assert _fast(chunk) == _stdlib(chunk)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(chunks(odd=True))
def test_values_left_to_the_standard_library_are_written_by_it(chunk: list[tuple[Any, Any]]) -> None:
    """Floats, Decimals (stored as text by outcomes), tuples, non-text keys: the standard library's bytes, or its refusal."""
    try:
        expected = _stdlib(chunk)
    except TypeError as exc:
        with pytest.raises(TypeError, match=str(exc).split(" ")[0]):
            _fast(chunk)
    else:
        assert _fast(chunk) == expected


def test_every_optional_key_of_an_outcome_is_written() -> None:
    """An outcome with references, a status, details, parameters and held money: each key in ``to_json``'s order."""
    o = Outcome(_activity(), "R1", 0, "三(二)", ("说明", "explained"), (ParamValue("k", 5, date(2022, 8, 1), 3, "stored", 1),),
                "key", {"held_amount": 10, "held_reasons": [{"zh": "因", "en": "because"}], "n": Decimal("1.5").__str__()},
                ("主体", "subject"), "held", (ReferenceRead("t.x", 2, 4, date(2021, 1, 1), "cli"),))
    o.plugin, o.plugin_version = "p", "1"
    assert set(o.to_json()) == {"plugin", "plugin_version", "rule", "amount", "clause", "explanation", "parameters",
                                "references", "status", "details"}, "a new key: write it in fastjson.ResultEncoder too"
    chunk = [(_activity(), [o, o])]
    assert _fast(chunk) == _stdlib(chunk)
    assert '"held_amount": 20' in _fast(chunk)


def test_a_lone_surrogate_fails_as_before_on_a_utf8_stream_and_passes_into_text() -> None:
    chunk = [(_activity("\ud800"), [])]
    assert ResultEncoder().results(chunk) == _stdlib(chunk)  # handed to the standard library, as text


def _document(report: ValidationReport, result: EvaluationResult, *, binary: bool) -> bytes:
    if binary:
        raw = io.BytesIO()
        stream = io.TextIOWrapper(raw, encoding="utf-8", write_through=True)
        stream.write("")  # a text write pending before: still in order
        output.write_results(report, result, stream)
        stream.flush()
        return raw.getvalue()
    text = io.StringIO()
    output.write_results(report, result, text)
    return text.getvalue().encode("utf-8")


def test_whole_documents_over_several_chunks(registry) -> None:
    """4,500 generated activities and two invalid records: three chunks, the old writer's bytes on both kinds of stream."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from generate import generate
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    from core.evaluation import EvaluationContext

    records = generate(4500, seed=5) + [{"kind": "standard_drafting", "id": "bad"}, {"kind": "no_such_kind"}]
    parameters = registry.default_parameters()
    report = registry.validate(records, parameters)
    assert len(report.invalid) == 2
    result = registry.evaluate(report.valid, EvaluationContext(parameters=parameters))
    old = io.StringIO()
    output._write_results(report, result, old, None)
    expected = old.getvalue().encode("utf-8")
    assert expected.count(b'{"id": ') == 4502 and b'}]}],' not in expected[:10]
    assert _document(report, result, binary=True) == expected
    assert _document(report, result, binary=False) == expected


@pytest.mark.parametrize("errors", ["strict", "surrogateescape", "backslashreplace"])
def test_the_raw_writer_writes_what_the_text_stream_would(errors: str) -> None:
    """Bytes go straight to the binary stream under any error handler (a C locale gives surrogateescape);
    text is encoded with the stream's handler; more than a block arrives whole and in order."""
    pieces: list[bytes | str] = ["前言 ", "预备\udc80" if errors != "strict" else "预备",
                                 *([b'{"id": "\xe5\x90\x8d"}\n'] * 200_000), "结束\n"]
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="utf-8", errors=errors)
    stream.write("before ")  # pending in the text stream: written first
    write, flush = output.raw_writer(stream)
    for piece in pieces:
        write(piece)
    flush()
    expected = io.BytesIO()
    text = io.TextIOWrapper(expected, encoding="utf-8", errors=errors)
    text.write("before " + "".join(p if isinstance(p, str) else p.decode("utf-8") for p in pieces))
    text.flush()
    assert len(raw.getvalue()) > 2 * output._WRITE_BLOCK
    assert raw.getvalue() == expected.getvalue()


def test_the_raw_writer_writes_text_to_a_stream_of_another_encoding() -> None:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="gbk")
    write, flush = output.raw_writer(stream)
    write("标准".encode("utf-8"))
    write("化\n")
    flush()
    stream.flush()
    assert raw.getvalue() == "标准化\n".encode("gbk")
