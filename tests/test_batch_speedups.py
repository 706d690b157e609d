"""The shortcuts that make 100,000-activity batches fast change no result.

benchmarks/README.md measures them: the cyclic GC paused while validating,
evaluating and writing (core/gcpause.py), and parsed standard numbers
cached per code list (core/standards.py).
"""

from __future__ import annotations

import gc
import io
import json
import types

import pytest
from marshmallow import ValidationError

from core import load_registry
from core.gcpause import paused_gc
from core.interchange import write_results
from core.standards import InvalidStandardNumber, StandardCodes, parse

from conftest import PROJECT_PLUGINS

RECORD = {"id": "S-1", "kind": "standard_drafting", "date": "2023-05-23",
          "credit_code": "91330402MA2BK7Q04U", "standard_code": "GB/T 42587-2023", "rank": 1}


@pytest.fixture(scope="module")
def registry():
    return load_registry(only=PROJECT_PLUGINS)


@pytest.fixture
def gc_enabled():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


# -- the cyclic GC ----------------------------------------------------------------

def test_paused_gc_restores_the_previous_state(gc_enabled) -> None:
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block leaves it off for the outer one
    assert gc.isenabled()
    gc.disable()
    with paused_gc():
        pass
    assert not gc.isenabled()  # it was off before: it stays off
    gc.enable()


def test_paused_gc_restores_it_after_an_exception(gc_enabled) -> None:
    with pytest.raises(ZeroDivisionError), paused_gc():
        1 / 0
    assert gc.isenabled()


def test_validate_evaluate_and_write_leave_the_gc_on(registry, gc_enabled) -> None:
    bad = dict(RECORD, id="S-2", rank=0)
    report = registry.validate([RECORD, bad])
    assert gc.isenabled()
    assert [type(item).__name__ for item in report.items] == ["Activity", "InvalidRecord"]
    result = registry.evaluate(report.valid)
    assert gc.isenabled()
    out = io.StringIO()
    write_results(report, result, out)
    assert gc.isenabled()
    document = json.loads(out.getvalue())
    assert [r["amount"] for r in document["results"]] == [300000, 0]
    assert document["results"][1]["errors"][0]["field"] == "rank"


def test_an_invalid_record_leaves_no_reference_cycle(registry, gc_enabled) -> None:
    # marshmallow's error sits in a frame of its own traceback; validate_one
    # cuts that link, so nothing waits for the (paused) collector.
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        report = registry.validate([dict(RECORD, id=f"B-{i}", rank=0) for i in range(200)])
        assert len(report.invalid) == 200
        del report
        gc.collect()
        left = [o for o in gc.garbage if isinstance(o, (ValidationError, types.FrameType))]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert left == []


# -- parsed standard numbers ---------------------------------------------------------

def test_parse_cache_is_per_code_list() -> None:
    brand = StandardCodes.from_yaml("zhejiang_brands: {zhejiang_made: [ZZB]}\n")
    plain = StandardCodes.from_yaml("zhejiang_brands: {zhejiang_made: [XYZ]}\n")
    assert parse("T/ZZB 3421-2024", brand).level == "zhejiang_made"
    assert parse("T/ZZB 3421-2024", plain).level == "group"
    assert parse("T/ZZB 3421-2024", brand).level == "zhejiang_made"
    assert parse("T/ZZB 3421-2024", brand) is parse("T/ZZB 3421-2024", brand)  # cached


def test_refusals_are_not_cached_and_non_strings_still_refused() -> None:
    for _ in range(2):
        with pytest.raises(InvalidStandardNumber):
            parse("GB/T 1.1-3020")  # implausible year: refused every time
        with pytest.raises(InvalidStandardNumber):
            parse(12345)  # type: ignore[arg-type]
        with pytest.raises(InvalidStandardNumber):
            parse(["GB/T 1-2020"])  # type: ignore[arg-type]  (unhashable)
