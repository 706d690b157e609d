"""The compiled loaders (core/fastcheck.py) give what marshmallow gives (issue #13).

The oracle is the same ``ActivityValidator`` with ``compiled = False``: every
record through marshmallow, as before. For valid records of every kind
(``benchmarks/generate.py`` and the documentation's examples) and for
Hypothesis' mutations of them — a field replaced by a wrong type, a huge or
5,000-digit number, a lone surrogate, a BOM, full-width digits, an empty
string, a date spelt 2024/8/4; a field dropped or added — both give the same
``Activity`` (same fields, same types, same order) or the same errors, in
the same order, in both languages.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, fields, pre_load, validate

from core import fastcheck, load_registry
from core.activities import Activity, ActivityValidator
from core.fields import CreditCodeField, StandardNumberField, YesNo
from core.kinds.schemas import CommitteeCode
from core.paramtypes import Money
from core.screening import Oversized, RawRecord
from core.standards import StandardNumber

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
try:
    from generate import generate  # noqa: E402
finally:
    sys.path.remove(str(ROOT / "benchmarks"))

REGISTRY = load_registry()
PARAMETERS = REGISTRY.default_parameters()
EXAMPLES: list[dict[str, Any]] = [
    r for name in ("activities", "benchmarking", "carbon", "city_targets", "public_services", "with-errors")
    for r in json.loads((ROOT / "docs" / "examples" / f"{name}.json").read_text(encoding="utf-8"))
]
VALID = generate(400, seed=13) + EXAMPLES
FIELDS = sorted({k for r in VALID for k in r} | {"unknown", "level_basis", "service_items", "carbon_topic"})

NASTY: list[Any] = [
    None, True, False, 0, 1, -1, 7, 99, 100, 2**63 - 1, 2**63, -(2**63), 10**5000, Oversized(5000), 1.0, 2.5,
    float("nan"), float("inf"), "", " ", "\ud800", "a\udfff", "\ufeffGB/T 1-2020", "\ufeff2024-08-04", "２０２４-08-04",
    "2024/8/4", "2024-8-4", "20240804", "2024-W31-7", "2024-02-30", "2999-01-01", "１", "1", "true", "yes", "0",
    "national", "provincial", "first", "organization", "GB/T 42587-2023", "ＧＢ／Ｔ　４２５８７－２０２３",
    "GB/T 42587—2023", "SAC/TC 548", "sac/tc548", "ITU-T SG 17", "9" * 5000, "x" * 20000, "a\x00b", "line\nbreak",
    "\u2028", "300000", "300,000", [], ["5.1.2"], ["x"], [1], {}, {"a": 1}, Decimal("1"), date(2024, 8, 4),
    "91330421MAGC481235", "913304007429141869", "91330421MAGC481236", "BM-1",
    # free text as pasted (core.FreeText trims and drops what shows nothing): the compiled path must decline it
    " 项目甲", "项目甲 ", "项目\u200b甲", "\u3000项目甲\u3000", "项目甲\u00ad", "\u202e甲目项", " ", "\u200b",
    "9133040074\u200b29141869", "GB/T\u200b 42587-2023",
]


def _deep(value: Any) -> Any:
    """A value with its types, so that 1 and True, 1 and 1.0, a list and a tuple differ."""
    if isinstance(value, dict):
        return ("dict", type(value).__name__, [(_deep(k), _deep(v)) for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_deep(v) for v in value])
    if isinstance(value, StandardNumber):
        return ("StandardNumber", repr(value))
    return (type(value).__name__, repr(value))


def outcome(item: Any) -> Any:
    if isinstance(item, Activity):
        return ("valid", item.ref, item.kind, _deep(item.date), item.credit_code, _deep(item.organisation), item.row,
                _deep(item.fields))
    return ("invalid", item.row, item.ref, item.kind, [(e.field, e.message, e.message_zh) for e in item.errors],
            item.where)


def marshmallow_only() -> ActivityValidator:
    validator = ActivityValidator(REGISTRY.kinds, REGISTRY.extensions, REGISTRY.failures)
    validator.compiled = False
    return validator


ORACLE = marshmallow_only()


def assert_same(records: list[Any]) -> list[Any]:
    fast = [outcome(i) for i in REGISTRY.validator.validate(records, PARAMETERS).items]
    slow = [outcome(i) for i in ORACLE.validate(records, PARAMETERS).items]
    for record, a, b in zip(records, fast, slow):
        assert a == b, record
    return fast


def test_every_valid_record_is_loaded_as_marshmallow_loads_it() -> None:
    results = assert_same(VALID)
    assert sum(r[0] == "valid" for r in results) > 380


def test_the_benchmark_kinds_are_compiled_and_the_others_fall_back(caplog: pytest.LogCaptureFixture) -> None:
    validator = ActivityValidator(REGISTRY.kinds, REGISTRY.extensions, REGISTRY.failures)
    with caplog.at_level(logging.DEBUG, logger="core.fastcheck"):
        for kind in ("standard_drafting", "tc_secretariat", "innovation_award", "pilot_project", "talent_enterprise"):
            assert validator.loader_for(kind) is not None, kind
        assert validator.loader_for("benchmark_result") is None  # Nested indicators
    assert "BenchmarkResultSchemaWithEnvelope is loaded by marshmallow alone: field type " \
           "marshmallow.fields.Nested is not compiled" in caplog.text
    source = validator.loader_for("standard_drafting").source  # type: ignore[union-attr]
    assert "if type(v) is not int or not 1 <= v <= 99: return None" in source  # rank: Integer, Range inline
    assert "if len(v) > 300: return None" in source  # title: Length inline


def test_valid_records_do_not_reach_marshmallow(monkeypatch: pytest.MonkeyPatch) -> None:
    """The point of it all: a valid record of a compiled kind is loaded without Schema.load."""
    validator = ActivityValidator(REGISTRY.kinds, REGISTRY.extensions, REGISTRY.failures)
    records = generate(200, seed=5)
    for kind in {r["kind"] for r in records}:
        validator.loader_for(kind)

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("Schema.load called for a valid record")

    monkeypatch.setattr(Schema, "load", refuse)
    report = validator.validate(records, PARAMETERS)
    assert len(report.valid) == 200


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    record: Any = dict(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(["replace", "replace", "replace", "drop", "add"]))
        if action == "drop" and record:
            del record[draw(st.sampled_from(sorted(record)))]
        else:
            key = draw(st.sampled_from(sorted(record))) if action == "replace" and record else draw(st.sampled_from(FIELDS))
            record[key] = draw(st.sampled_from(NASTY) | st.integers() | st.text(max_size=12)
                               | st.from_regex(r"\A[0-9０-９]{1,4}[-/][0-9]{1,2}[-/][0-9]{1,2}\Z"))
    if draw(st.booleans()):
        record = RawRecord(record)
    return record


@settings(max_examples=600, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(mutated(), min_size=1, max_size=4))
def test_mutated_records_give_the_same_result_both_ways(records: list[Any]) -> None:
    assert_same(records)


def test_chosen_mutations_give_the_same_result_both_ways() -> None:
    """Each field of each kind's examples, set to each nasty value, dropped, and with an extra field."""
    records: list[Any] = []
    bases = {r["kind"]: r for r in reversed(VALID)}  # one valid record of each kind
    for base in bases.values():
        for key in base:
            records.append({k: v for k, v in base.items() if k != key})
            records.extend({**base, key: value} for value in NASTY)
        records.extend({**base, extra: 1} for extra in ("unknown", "level_basis"))
        records.append(RawRecord(base, problems={"id": []}))
    assert_same(records)


def test_a_duplicate_id_and_a_clash_with_the_envelope_are_the_same_both_ways() -> None:
    base = dict(VALID[0])
    assert_same([base, dict(base), {**base, "id": 12}, {**base, "id": "12"}, {**base, "id": True}])


def test_a_schema_with_what_is_not_compiled_falls_back_whole(caplog: pytest.LogCaptureFixture) -> None:
    class WithPreLoad(Schema):
        name = fields.String()

        @pre_load
        def _strip(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
            return data

    class WithOwnField(Schema):
        amount = fields.Float()

    class Plain(Schema):
        name = fields.String(required=True, validate=validate.Length(max=3))
        count = fields.Integer(load_default=0, validate=validate.Range(min=0, max=9))
        tags = fields.List(fields.String(), load_default=list)
        size = fields.Integer(strict=True)
        flag = fields.Boolean()

    with caplog.at_level(logging.DEBUG, logger="core.fastcheck"):
        assert fastcheck.compile_schema(WithPreLoad()) is None
        assert fastcheck.compile_schema(WithOwnField()) is None
    assert "WithPreLoad is loaded by marshmallow alone: a @pre_load hook is not compiled" in caplog.text
    assert "marshmallow.fields.Float is not compiled" in caplog.text
    load = fastcheck.compile_schema(Plain())
    assert load is not None
    assert load({"name": "abc"}) == Plain().load({"name": "abc"}) == {"name": "abc", "count": 0, "tags": []}
    assert load({"name": "abcd"}) is None  # Length: marshmallow says why
    assert load({"name": "a", "count": 10}) is None
    assert load({"name": "a", "extra": 1}) is None
    assert load({"count": 1}) is None
    assert load({"name": "a", "count": "1"}) is None  # marshmallow converts text: it decides
    assert load({"name": "a", "tags": ["x", 1]}) is None
    assert load({"name": "a", "size": True}) is None  # marshmallow: "Not a valid integer."
    assert load({"name": "a", "size": 1.0}) is None
    assert load({"name": "a", "flag": 1}) is None  # marshmallow takes 1 for True: it decides
    assert load({"name": "a", "size": 5, "flag": False}) == Plain().load({"name": "a", "size": 5, "flag": False})


def test_screening_a_plain_record_makes_no_call_per_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """screen() checks a printable short key inline (the fallback path screens every record)."""
    from core import screening

    def refuse(key: Any) -> None:
        raise AssertionError("a call per key")

    monkeypatch.setattr(screening, "_key_problem", refuse)
    assert screening.screen(dict(VALID[0])) is None
    with pytest.raises(AssertionError):
        screening.screen({"a\x00": 1})


class EveryItem(Schema):
    """A ``List`` of each compiled item type: the loader's item functions against marshmallow's ``List``."""

    names = fields.List(fields.String(validate=validate.Length(min=1, max=4)))
    exact = fields.List(fields.String(validate=validate.Length(equal=2)))
    levels = fields.List(fields.String(validate=validate.OneOf(["national", "provincial"])))
    both = fields.List(fields.String(validate=[validate.Length(max=8), validate.OneOf(["national", "local"])]))
    ranks = fields.List(fields.Integer(validate=validate.Range(min=1, max=99)))
    days = fields.List(fields.Date())
    flags = fields.List(fields.Boolean())
    answers = fields.List(YesNo())
    numbers = fields.List(StandardNumberField())
    parsed = fields.List(StandardNumberField(parsed=True))
    codes = fields.List(CreditCodeField())
    committees = fields.List(CommitteeCode())
    amounts = fields.List(Money(), data_key="amounts-yuan")
    maybe_text = fields.List(fields.String(allow_none=True))
    maybe_money = fields.List(Money(allow_none=True))
    never_date = fields.List(fields.Date(allow_none=False))
    called = fields.List(fields.String(validate=validate.Regexp(r"\A[0-9.]+\Z")))
    nested = fields.List(fields.List(fields.Integer(validate=validate.Range(min=0, max=9))), allow_none=True)


#: Item values the loader must accept (each key of ``EveryItem``, by data key).
GOOD_ITEMS: dict[str, list[Any]] = {
    "names": ["a", "abcd", "标准"], "exact": ["ab", "标准"], "levels": ["national", "provincial"],
    "both": ["national", "local"], "ranks": [1, 50, 99], "days": ["2024-08-04", "2020-02-29"], "flags": [True, False],
    "answers": [True, False],
    "numbers": ["GB/T 42587-2023", "GB/T 1.1-2020", "gb/t42587-2023"], "parsed": ["GB/T 42587-2023", "DB33/T 1-2022"],
    "codes": ["91330421MAGC481235", "913304007429141869"], "committees": ["SAC/TC 548", "sac/tc548", "ITU-T SG 17"],
    "amounts-yuan": [0, 300000, "300000", "300,000", 10**12], "maybe_text": ["x", None], "maybe_money": [5, "5", None],
    "never_date": ["2024-08-04"], "called": ["5.1.2", "1"], "nested": [[], [0, 9]],
}
ITEM_VALUES: list[Any] = NASTY + [None, [0, 10], [[1]], [None], 10**12 + 1, "-5", "1,0,0", "abcde", "a b", "是", "否", "错"]


def assert_items_load_as_marshmallow_loads_them(record: dict[str, Any]) -> Any:
    """The loader's dict is ``EveryItem().load``'s (types and order included); ``None`` where marshmallow may refuse."""
    load = fastcheck.compile_schema(EveryItem())
    assert load is not None
    fast = load(record)
    try:
        slow = EveryItem().load(record)
    except ValidationError:
        assert fast is None, record
        return None
    if fast is not None:
        assert _deep(fast) == _deep(slow), record
    return fast


def test_list_items_of_every_compiled_type_load_as_marshmallow_loads_them() -> None:
    good = {key: list(values) for key, values in GOOD_ITEMS.items()}
    assert assert_items_load_as_marshmallow_loads_them(good) is not None  # all of them at once, and each alone:
    for key, values in GOOD_ITEMS.items():
        for value in values:
            assert assert_items_load_as_marshmallow_loads_them({key: [value]}) is not None, (key, value)
            assert assert_items_load_as_marshmallow_loads_them({key: [value, value]}) is not None, (key, value)
    accepted = 0
    for key, values in GOOD_ITEMS.items():
        for value in ITEM_VALUES:
            for record in ({key: [value]}, {key: [values[0], value]}, {key: value}, {**good, key: [value]}):
                accepted += assert_items_load_as_marshmallow_loads_them(record) is not None
    assert accepted > 100  # the nasty values a field takes as they are (an int for Money, a None item allowed …)


@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_drawn_lists_of_items_load_as_marshmallow_loads_them(data: st.DataObject) -> None:
    record: dict[str, Any] = {}
    for key in data.draw(st.lists(st.sampled_from(sorted(GOOD_ITEMS)), min_size=1, max_size=4, unique=True)):
        item = st.sampled_from(GOOD_ITEMS[key]) | st.sampled_from(ITEM_VALUES) | st.integers() | st.text(max_size=6)
        record[key] = data.draw(st.lists(item, max_size=4) | st.sampled_from([None, "x", ("a",), {"a": 1}]))
    assert_items_load_as_marshmallow_loads_them(record)
