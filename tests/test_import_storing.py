"""How an import stores its rows, made cheaper (issue #13) without changing what is stored.

- ``core.jsontext`` writes the text ``json`` writes (fingerprints, JSON columns);
- ``insert_rows`` takes tuples as it takes dicts, and its JSON columns hold what the type's own processor writes;
- outcomes that read the same stored parameter versions share their encoded JSON, never across values
  that are equal but written differently;
- the cyclic GC is paused while the import stores, and on again after;
- the history an import evaluates against leaves out the rows it has just stored.
"""

from __future__ import annotations

import gc
import hashlib
import json
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import JSON, select

import core.store.activities as store_activities
from core.app import get_registry
from core.db import db
from core.models import ActivityRecord, EvaluationRun, Organisation, OutcomeRecord
from core.outcomes import Outcome, ParamValue, _plain_json
from core.registry import Registry
from core.store import StoredHistory, fingerprint, import_records
from core.store import bulk
from core.store.bulk import _bind_processor, insert_rows
from core.jsontext import canonical, dumps, json_problem

from fault_support import credit_code, drafting, write_json

NOW = datetime(2026, 11, 30, 8, 30, 0, 123456)
_OLD_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode

# Every JSON value: text of any code point a UTF-8 database can hold (non-ASCII, controls, U+2028,
# astral), integers beyond 64 bits, floats of every form (exponents, -0.0, NaN, infinities), nesting.
_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_scalars = st.none() | st.booleans() | st.integers(min_value=-(10**30), max_value=10**30) | st.floats() | _text
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
                       max_leaves=20)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_values)
def test_jsontext_writes_what_json_writes(value: Any) -> None:
    assert dumps(value) == json.dumps(value)
    assert canonical(value) == _OLD_CANONICAL(value)


def test_jsontext_refuses_what_json_refuses() -> None:
    for encode, reference in ((dumps, json.dumps), (canonical, _OLD_CANONICAL)):
        for bad in ({"d": Decimal("1.5")}, [date(2024, 1, 1)], {(1, 2): 3}):
            with pytest.raises(TypeError) as ours:
                encode(bad)
            with pytest.raises(TypeError) as theirs:
                reference(bad)
            assert str(ours.value) == str(theirs.value)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_values)
def test_json_problem_is_none_exactly_for_what_json_writes_as_json(value: Any) -> None:
    """``json_problem`` (asked of every outcome's details): what ``json`` writes, but NaN and the infinities."""
    try:
        json.dumps(value, allow_nan=False)
        expected = True
    except ValueError:
        expected = False
    assert (json_problem(value) is None) == expected


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_text, _values, max_size=4) | st.lists(_values, max_size=4))
def test_the_quick_test_of_outcome_details_passes_only_json(value: Any) -> None:
    """``Outcome.problem`` trusts ``_plain_json``'s yes without encoding: it must never pass what JSON cannot hold."""
    if _plain_json(value):
        assert json_problem(value) is None


def test_json_problem_names_what_json_cannot_hold() -> None:
    assert json_problem({"when": date(2024, 1, 1)}) == "TypeError: Object of type date is not JSON serializable"
    assert json_problem({"d": Decimal("1.5")}) == "TypeError: Object of type Decimal is not JSON serializable"
    assert json_problem([float("inf")]).startswith("ValueError: Out of range float values")
    assert json_problem({(1, 2): 3}).startswith("TypeError: keys must be")
    looped: dict[str, Any] = {}
    looped["self"] = looped
    assert json_problem(looped).startswith("RecursionError")
    assert json_problem({"ok": [1, "二", None, True, 2.5, 10**30]}) is None


@pytest.fixture
def ctx(app: Flask) -> Iterator[Registry]:
    with app.app_context():
        yield get_registry()
        db.session.rollback()


def test_fingerprints_are_the_ones_stored_before(ctx: Registry) -> None:
    """A record stored by an earlier version is still found: the same SHA-256 of the same canonical text."""
    records = drafting("FP", 6) + [
        {"id": "名称-1", "kind": "standard_drafting", "date": "2024-05-02", "credit_code": credit_code(7),
         "organisation": "嘉兴“标准”\u2028有限公司", "standard_code": "GB/T 41000-2024", "rank": 2},
        {"kind": "tc_secretariat", "date": "2024-06-01", "credit_code": credit_code(8),
         "committee_code": "SAC/TC 20/SC 3", "committee_level": "national"},
    ]
    report = ctx.validate(records, store_activities.resolver(ctx))
    assert not report.invalid
    for activity in report.valid:
        source_id = None if activity.ref.startswith("#") else activity.ref
        text = _OLD_CANONICAL([activity.kind, activity.date.isoformat(), activity.credit_code, source_id, activity.fields])
        assert fingerprint(activity) == hashlib.sha256(text.encode("utf-8")).hexdigest()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.none() | _values)
def test_bulk_json_columns_hold_what_the_type_writes(ctx: Registry, value: Any) -> None:
    """What the driver sends for each value (SQLite: the text; PostgreSQL: the text COPY writes) is the type's."""
    connection = db.session.connection()
    dialect, sent = connection.dialect, bulk._sent(connection)
    for column in (ActivityRecord.__table__.c.fields, OutcomeRecord.__table__.c.details):
        ours = _bind_processor(column, dialect, sent)
        theirs = column.type.dialect_impl(dialect).bind_processor(dialect)
        assert ours is not None and theirs is not None
        assert sent(ours(value)) == sent(theirs(value))


def test_a_configured_json_serializer_is_left_to_the_type(ctx: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    connection = db.session.connection()
    dialect, sent = connection.dialect, bulk._sent(connection)
    configured = lambda value: "configured"  # noqa: E731
    monkeypatch.setattr(dialect, "_json_serializer", configured, raising=False)
    column = ActivityRecord.__table__.c.fields
    assert isinstance(column.type, JSON)
    theirs = column.type.dialect_impl(dialect).bind_processor(dialect)
    assert sent(_bind_processor(column, dialect, sent)({"a": 1})) == sent(theirs({"a": 1}))
    if dialect.name == "sqlite":
        assert theirs({"a": 1}) == "configured"


def test_tuple_rows_are_stored_as_dict_rows(ctx: Registry) -> None:
    organisation = Organisation(credit_code=credit_code(1), name="测试企业", region_code="330402", created_at=NOW)
    db.session.add(organisation)
    db.session.flush()
    columns = [c.name for c in ActivityRecord.__table__.c if c.name != "id"]

    def row(n: int, prefix: str) -> dict[str, Any]:
        return {"kind": "standard_drafting", "organisation_id": organisation.id, "date": date(2024, 5, n + 1),
                "fields": {"standard_code": f"GB/T {40000 + n}-2024", "名称": "“化”\u2014\U0001F600", "n": [n, None, 0.5]},
                "subject": None if n % 2 else f"GB/T {40000 + n}-2024", "external_id": f"{prefix}-{n}",
                "fingerprint": f"{prefix}-{n}", "source": "s.json", "department_id": None, "created_at": NOW,
                "created_by": "tester", "group_key": None if n % 3 else "k"}

    by_dict = insert_rows(ActivityRecord, [row(n, "d") for n in range(6)], returning_ids=True)
    by_tuple = insert_rows(ActivityRecord, [tuple(row(n, "t")[c] for c in columns) for n in range(6)],
                           columns=columns, returning_ids=True)
    assert min(by_tuple) > max(by_dict)
    read = [c for c in columns if c not in ("external_id", "fingerprint")]
    selected = [getattr(ActivityRecord, c) for c in read]
    stored = {i: tuple(r) for i, *r in db.session.execute(select(ActivityRecord.id, *selected))}
    assert [stored[i] for i in by_tuple] == [stored[i] for i in by_dict]


def _outcome(activity: Any, *params: ParamValue) -> Outcome:
    outcome = Outcome(activity, "R1", 0, "二(一)1", ("说明", "explanation"), params)
    outcome.plugin, outcome.plugin_version = "reward_tiers", "1.0"
    return outcome


def test_outcomes_share_encoded_parameters_only_for_stored_versions(ctx: Registry) -> None:
    """Equal what-if values written differently (1.0, 1.00) are not shared; stored versions are."""
    report = ctx.validate(drafting("SH", 1), store_activities.resolver(ctx))
    result = import_records(ctx, drafting("SH", 1), source="t", actor="tester", report=report)
    [activity] = result.stored
    run = EvaluationRun(trigger="import", actor="tester", plugins=["reward_tiers"], started_at=NOW)
    db.session.add(run)
    db.session.flush()
    day = date(2024, 1, 1)
    stored = ParamValue("k", 300_000, day, 7, "stored", 2)
    outcomes = [
        _outcome(activity, ParamValue("k", Decimal("1.0"), day, None, "what-if")),
        _outcome(activity, ParamValue("k", Decimal("1.00"), day, None, "what-if")),
        _outcome(activity, stored),
        _outcome(activity, ParamValue("k", 300_000, day, 7, "stored", 2)),  # equal, another object
        _outcome(activity, ParamValue("k", ("a", "b"), day, 8, "stored", 1)),
        _outcome(activity, ParamValue("k", ["a", "b"], day, 8, "stored", 1)),  # unhashable: encoded as it is
    ]
    store_activities._store_outcomes(run, outcomes)
    texts = db.session.connection().exec_driver_sql(
        f"SELECT CAST(parameters AS TEXT) FROM outcomes WHERE run_id = {int(run.id)} ORDER BY id").scalars().all()
    values = [json.loads(t)[0]["value"] for t in texts]
    assert values == ["1.0", "1.00", 300_000, 300_000, ["a", "b"], ["a", "b"]]
    assert texts == [json.dumps([p.to_json() for p in o.parameters]) for o in outcomes]


def test_the_import_stores_with_the_collector_paused(app: Flask, runner, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []
    real = store_activities.insert_rows

    def spy(*args: Any, **kwargs: Any) -> list[int]:
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(store_activities, "insert_rows", spy)
    assert gc.isenabled()
    result = runner.invoke(args=["import", write_json(tmp_path / "a.json", drafting("GC", 5))])
    assert result.exit_code == 0, result.output
    assert seen == [False, False]  # activities, outcomes
    assert gc.isenabled()


def test_the_import_history_leaves_out_its_own_rows(ctx: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    first = import_records(ctx, drafting("H1", 3), source="t", actor="tester")
    db.session.commit()
    histories: list[StoredHistory] = []
    real = StoredHistory.activities

    def spy(self: StoredHistory, kind: str, prefixes: Any) -> Any:
        histories.append(self)
        return real(self, kind, prefixes)

    monkeypatch.setattr(StoredHistory, "activities", spy)
    # The same standards again, by other organisations: the drafting rule reads the register's earlier ones.
    second = import_records(ctx, drafting("H2", 3, organisations=[(credit_code(950), "另一企业有限公司")]),
                            source="t", actor="tester")
    assert second.ok and histories
    new_ids = {a.stored_id for a in second.stored}
    old_ids = {a.stored_id for a in first.stored}
    assert histories[0].batch_from == min(new_ids)
    read = {p.activity_id for p in real(histories[0], "standard_drafting", ["GB/T 4"])}
    assert read == old_ids  # the earlier import's rows, none of this one's
    # Unbounded, the history reads both (what plugins had to skip before).
    assert {p.activity_id for p in real(StoredHistory(), "standard_drafting", ["GB/T 4"])} == old_ids | new_ids
    db.session.rollback()


def test_a_batch_gives_each_kind_its_activities_in_input_order() -> None:
    """``Batch.of_kind`` sorts every kind in one pass now: the same lists as filtering for each kind."""
    from core.activities import Activity
    from core.evaluation import Batch

    kinds = ["standard_drafting", "tc_secretariat", "pilot_project", "innovation_award"]
    activities = [Activity(kinds[(n * 7) % 3 if n % 5 else 3], date(2024, 1, 1 + n % 28), credit_code(n), {"n": n},
                           ref=f"A-{n}") for n in range(60)]
    batch = Batch(activities)
    for kind in [*kinds, "no_such_kind"]:
        assert batch.of_kind(kind) == [a for a in activities if a.kind == kind]
        assert batch.of_kind(kind) is batch.of_kind(kind)  # kept, as before
    assert batch.of_kind("pilot_project", "tc_secretariat") == [a for a in activities
                                                                 if a.kind in ("pilot_project", "tc_secretariat")]
    assert Batch([]).of_kind("standard_drafting") == []
