"""Incremental re-evaluation (core/store/incremental.py) leaves what re-evaluating everything leaves.

The differential test records random parameter versions (amounts, dates
before, inside and after the versions in force, keys no outcome records),
re-evaluates incrementally, then re-evaluates everything: the second run must
find nothing to change. Both databases (``STDPOLICY_DATABASE_URL``).
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from core.app import get_registry
from core.db import db
from core.models import ActivityRecord, OutcomeRecord
from core.registry import Registry
from core.store import import_records, reevaluate, record_version
from core.store.activities import ImportResult, _outcome_row, _signatures
from core.store.incremental import Change, affected_by, fill_group_keys, group_key, proposal_scope

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from generate import generate  # noqa: E402

MONEY_KEYS = [
    "reward_tiers.lead.national", "reward_tiers.lead.industry", "reward_tiers.lead.local",
    "reward_tiers.participate.national", "reward_tiers.secretariat.national", "reward_tiers.secretariat.provincial",
    "reward_tiers.award.first", "reward_tiers.award.third", "reward_tiers.pilot_cap.national",
    "reward_tiers.pilot_cap.provincial", "reward_tiers.lead.zhejiang_made",
]


@pytest.fixture
def ctx(app: Flask) -> Iterator[Registry]:
    with app.app_context():
        yield get_registry()
        db.session.rollback()


def _import(registry: Registry, records: list[dict], *, settle: bool = True) -> None:
    """Import ``records``; with ``settle``, re-evaluate everything after (an import evaluates its records as the
    file gives them, which a re-evaluation may word differently: see ``pending_scope``)."""
    result = import_records(registry, records, source="test", actor="tester")
    assert result.ok, [(i.ref, i.errors) for i in result.report.invalid]
    db.session.commit()
    if settle:
        reevaluate(registry, actor="tester")
        db.session.commit()


def _current() -> list[str]:
    rows = db.session.scalars(select(OutcomeRecord).where(OutcomeRecord.superseded_at.is_(None))).all()
    by_activity: dict[int, list[OutcomeRecord]] = {}
    for row in rows:
        by_activity.setdefault(row.activity_id, []).append(row)
    return sorted(f"{a}:{s}" for a, group in by_activity.items() for s in _signatures(group))


def _reported(result: ImportResult) -> dict[int, list[str]]:
    """The outcomes an import reports for each new record (what its page and summary show), as signatures."""
    assert result.result is not None
    rows: dict[int, list[dict]] = {}
    for outcome in result.result.outcomes:
        rows.setdefault(outcome.activity.stored_id or 0, []).append(_outcome_row(outcome, 0, None))
    return {activity_id: _signatures(group) for activity_id, group in rows.items()}


def _stored(activity_ids: Iterable[int | None]) -> dict[int, list[str]]:
    """The current stored outcomes of these activities, as signatures."""
    ids = [i for i in activity_ids if i is not None]
    rows: dict[int, list[OutcomeRecord]] = {}
    for row in db.session.scalars(select(OutcomeRecord).where(
            OutcomeRecord.superseded_at.is_(None), OutcomeRecord.activity_id.in_(ids))):
        rows.setdefault(row.activity_id, []).append(row)
    return {activity_id: _signatures(group) for activity_id, group in rows.items()}


def _record(registry: Registry, key: str, value: object, day: date) -> None:
    record_version(registry, key, {"value": str(value) if not isinstance(value, list) else value,
                                   "effective_from": day.isoformat(), "reason": "test", "reference": "test"},
                   actor="tester", source="cli")
    db.session.commit()


def _random_day(rng: random.Random) -> date:
    return date(2021, 1, 1) + timedelta(days=rng.randrange(0, 5 * 365 + 180))


def test_incremental_reevaluation_leaves_what_a_full_one_leaves(ctx: Registry) -> None:
    rng = random.Random(13)
    _import(ctx, generate(700, seed=5), settle=False)  # the first re-evaluation recomputes everything
    total = db.session.scalar(select(func.count()).select_from(ActivityRecord))
    partial_rounds = 0
    for round_ in range(12):
        for _ in range(rng.choice([1, 1, 2, 3])):
            pick = rng.random()
            if pick < 0.08:
                _record(ctx, "reward_tiers.eligible_regions", rng.choice([["3304"], ["3304", "3301"]]), _random_day(rng))
            else:
                day = _random_day(rng) if pick < 0.3 else date(2022, 8, 1) + timedelta(days=rng.randrange(0, 4 * 365))
                _record(ctx, rng.choice(MONEY_KEYS), rng.randrange(1, 40) * 25_000, day)
        if round_ == 6:  # a later import between changes: its outcomes already use the versions recorded before it
            _import(ctx, generate(150, seed=77), settle=False)
        if round_ == 8:  # an organisation renamed by an import: the explanations that name it change
            first = generate(700, seed=5)[0]
            renamed = {"id": "RENAMED", "kind": "tc_secretariat", "date": "2025-06-01", "credit_code": first["credit_code"],
                       "organisation": "嘉兴更名后有限公司", "committee_code": "SAC/TC 999", "committee_level": "national"}
            _import(ctx, [renamed], settle=False)
        done = reevaluate(ctx, actor="tester", incremental=True)
        db.session.commit()
        assert done.incremental == (done.everything_because is None)
        if done.incremental:
            partial_rounds += 1
            assert done.activities < total
        after_incremental = _current()

        full = reevaluate(ctx, actor="tester")
        db.session.commit()
        assert (full.run.outcomes_added, full.run.outcomes_superseded) == (0, 0), f"round {round_}"
        assert _current() == after_incremental
    assert partial_rounds >= 4


def test_nothing_recorded_since_recomputes_nothing(ctx: Registry) -> None:
    _import(ctx, generate(120, seed=3))
    done = reevaluate(ctx, actor="tester", incremental=True)
    assert (done.incremental, done.activities, done.run.outcomes_added) == (True, 0, 0)


def _certificate(id_: str, expiry: date) -> dict:
    return {"id": id_, "kind": "low_carbon_certification", "date": "2022-07-01", "credit_code": "91330424MA2CEM016P",
            "organisation": "海盐示例水泥有限公司", "product": "水泥", "certificate_number": f"LC-{id_}",
            "certification_body": "示例认证中心", "standard": "GB/T 24067-2024", "issue_date": "2022-07-01",
            "expiry_date": expiry.isoformat()}


@pytest.mark.stdpolicy_plugins("reward_tiers", "carbon")
def test_outcomes_of_a_daily_kind_computed_on_an_earlier_day_are_recomputed(
        ctx: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    """A certificate's days left change every day with nothing recorded: its kind says ``daily``."""
    from core import clock

    assert ctx.kinds["low_carbon_certification"].daily and not ctx.kinds["standard_drafting"].daily
    start = clock._timestamp()
    monkeypatch.setattr(clock, "_timestamp", lambda: start)  # the day stays put, even across a midnight
    today = clock.today()
    _import(ctx, [*generate(60, seed=3), _certificate("CERT-1", today + timedelta(days=91))])
    assert reevaluate(ctx, actor="tester", incremental=True).activities == 0  # the same day: nothing is stale

    def rule_of_certificate() -> tuple[str, int]:
        row = db.session.execute(
            select(OutcomeRecord.rule, OutcomeRecord.details).join(ActivityRecord)
            .where(ActivityRecord.external_id == "CERT-1", OutcomeRecord.superseded_at.is_(None))).one()
        return row[0], row[1]["days_left"]

    assert rule_of_certificate() == ("L1", 91)
    monkeypatch.setattr(clock, "_timestamp", lambda: start + 2 * 86400)  # two days later
    later = reevaluate(ctx, actor="tester", incremental=True)
    db.session.commit()
    assert later.incremental and later.activities == 1, later.everything_because  # only the certificate
    assert rule_of_certificate() == ("L2", 89)  # within the 90-day warning period now
    # The previews leave the day's change out (it is not a proposal's): nothing is pending for them.
    from core.store.departments import active_plugins
    from core.store.incremental import pending_scope

    assert pending_scope(ctx, active_plugins(ctx), imports=False, days=False).activity_ids == set()
    whole = reevaluate(ctx, actor="tester")
    db.session.commit()
    assert (whole.run.outcomes_added, whole.run.outcomes_superseded) == (0, 0)


def test_a_version_starting_where_none_was_in_force_recomputes_everything(ctx: Registry) -> None:
    """Outcomes dated before the first version read "not in force" and record no read."""
    _import(ctx, generate(120, seed=3))
    _record(ctx, "reward_tiers.lead.national", 100_000, date(2021, 1, 1))
    done = reevaluate(ctx, actor="tester", incremental=True)
    assert not done.incremental
    assert "no version in force on 2021-01-01" in (done.everything_because or "")


def test_a_key_no_outcome_records_recomputes_everything(ctx: Registry) -> None:
    """The region list is read by the hold check without being recorded in the outcome."""
    _import(ctx, generate(120, seed=3))
    _record(ctx, "reward_tiers.eligible_regions", ["3304", "3301"], date(2023, 1, 1))
    done = reevaluate(ctx, actor="tester", incremental=True)
    assert not done.incremental
    assert "no stored outcome records a read of reward_tiers.eligible_regions" in (done.everything_because or "")


def test_the_affected_set_holds_readers_in_span_and_their_whole_groups(ctx: Registry) -> None:
    _import(ctx, generate(400, seed=9))
    key = "reward_tiers.lead.national"
    _record(ctx, key, 250_000, date(2024, 1, 1))
    reevaluate(ctx, actor="tester")
    db.session.commit()
    # A proposal from 2025 on: outcomes that read the 2024 version may change, those that read the 2022 one cannot.
    scope = affected_by(ctx, [Change(key, date(2025, 1, 1))])
    assert scope.activity_ids is not None
    readers = {}
    for activity_id, reads in db.session.execute(
        select(OutcomeRecord.activity_id, OutcomeRecord.parameters).where(OutcomeRecord.superseded_at.is_(None))
    ):
        for read in reads or ():
            if read["key"] == key:
                readers[activity_id] = read["effective_from"]
    assert {a for a, day in readers.items() if day == "2024-01-01"} <= scope.activity_ids
    assert not {a for a, day in readers.items() if day == "2022-08-01"} & scope.activity_ids - _groups_of(
        {a for a, day in readers.items() if day == "2024-01-01"})
    # Every member of an affected activity's group is in the set.
    keys = {(k, g) for k, g in db.session.execute(
        select(ActivityRecord.kind, ActivityRecord.group_key).where(ActivityRecord.id.in_(scope.activity_ids)))}
    members = {i for i, k, g in db.session.execute(select(ActivityRecord.id, ActivityRecord.kind, ActivityRecord.group_key))
               if (k, g) in keys}
    assert members == scope.activity_ids


def _groups_of(ids: set[int]) -> set[int]:
    keys = {(k, g) for k, g in db.session.execute(
        select(ActivityRecord.kind, ActivityRecord.group_key).where(ActivityRecord.id.in_(ids)))}
    return {i for i, k, g in db.session.execute(select(ActivityRecord.id, ActivityRecord.kind, ActivityRecord.group_key))
            if (k, g) in keys}


def test_imports_store_group_keys_and_a_reevaluation_fills_missing_ones(ctx: Registry) -> None:
    _import(ctx, generate(60, seed=4))
    stored = dict(db.session.execute(select(ActivityRecord.id, ActivityRecord.group_key)).all())
    assert all(key is not None for key in stored.values())
    assert any(key for key in stored.values())  # organisations, standard series: not one group per kind
    db.session.execute(update(ActivityRecord).values(group_key=None))
    assert fill_group_keys(ctx) == len(stored)
    assert dict(db.session.execute(select(ActivityRecord.id, ActivityRecord.group_key)).all()) == stored
    assert group_key(ctx.kinds, _first_activity()) == stored[min(stored)]


def _first_activity():
    from core.store.incremental import activities_by_id
    first = db.session.scalar(select(func.min(ActivityRecord.id)))
    return activities_by_id([first])[0]


def test_the_preview_on_the_affected_activities_says_what_evaluating_all_of_them_says(ctx: Registry) -> None:
    from core.services.parameters import preview_parameter

    rng = random.Random(31)
    _import(ctx, generate(500, seed=21))
    _record(ctx, "reward_tiers.lead.national", 260_000, date(2024, 3, 1))
    reevaluate(ctx, actor="tester", incremental=True)
    db.session.commit()
    narrowed = 0
    for _ in range(10):
        key = rng.choice(MONEY_KEYS)
        day = date(2022, 8, 1) + timedelta(days=rng.randrange(0, 4 * 365))
        value = rng.randrange(1, 40) * 25_000
        assert preview_parameter(ctx, key, value, day) == preview_parameter(ctx, key, value, day, incremental=False)
        narrowed += proposal_scope(ctx, [Change(key, day)]) is not None
    assert narrowed == 10
    # Something recorded and not re-evaluated yet: the stored amounts are not the evaluated ones; every activity is.
    _record(ctx, "reward_tiers.lead.industry", 123_000, date(2023, 1, 1))
    assert proposal_scope(ctx, [Change("reward_tiers.lead.national", date(2024, 1, 1))]) is None
    assert preview_parameter(ctx, "reward_tiers.lead.national", 1, date(2024, 1, 1)) == \
        preview_parameter(ctx, "reward_tiers.lead.national", 1, date(2024, 1, 1), incremental=False)


def test_reevaluate_says_why_it_recomputed_everything(app: Flask, runner, tmp_path: Path) -> None:
    import json

    data = tmp_path / "a.json"
    data.write_text(json.dumps(generate(40, seed=2)), encoding="utf-8")
    assert runner.invoke(args=["import", str(data)]).exit_code == 0
    assert runner.invoke(args=["reevaluate", "--full"]).exit_code == 0
    assert runner.invoke(args=["params", "set", "reward_tiers.eligible_regions", "3304,3301", "--from", "2023-01-01",
                               "--reason", "r", "--reference", "x"]).exit_code == 0
    done = runner.invoke(args=["reevaluate"])
    assert done.exit_code == 0, done.output
    assert "every activity recomputed: no stored outcome records a read of reward_tiers.eligible_regions" in done.stdout
    assert "40 activities evaluated" in done.stdout


def test_a_full_reevaluation_in_chunks_of_whole_groups_leaves_what_one_batch_leaves(
        ctx: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    import core.store.activities as store_activities

    rng = random.Random(17)
    _import(ctx, generate(600, seed=8))
    for _ in range(4):
        for _ in range(2):
            _record(ctx, rng.choice(MONEY_KEYS), rng.randrange(1, 40) * 25_000,
                    date(2022, 8, 1) + timedelta(days=rng.randrange(0, 4 * 365)))
        monkeypatch.setattr(store_activities, "REEVALUATION_CHUNK", 7)
        chunked = reevaluate(ctx, actor="tester")
        db.session.commit()
        assert chunked.activities == 600
        monkeypatch.setattr(store_activities, "REEVALUATION_CHUNK", 10**9)
        whole = reevaluate(ctx, actor="tester")
        db.session.commit()
        assert (whole.run.outcomes_added, whole.run.outcomes_superseded) == (0, 0)


def test_a_reevaluation_from_a_date_in_chunks_leaves_what_a_reevaluation_of_everything_leaves(
        ctx: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    # From a date: each chunk holds whole groups' activities from that day, the earlier ones read as
    # history; and an import's joined groups in chunks. Both leave what one batch of everything leaves.
    import core.store.activities as store_activities

    rng = random.Random(23)
    records = generate(700, seed=9)
    _import(ctx, records[:500])
    monkeypatch.setattr(store_activities, "REEVALUATION_CHUNK", 7)
    joined = import_records(ctx, records[500:], source="test", actor="tester")
    db.session.commit()
    assert joined.reevaluated is not None and joined.reevaluated.activities > 7
    assert _reported(joined) == _stored(a.stored_id for a in joined.stored)
    monkeypatch.setattr(store_activities, "REEVALUATION_CHUNK", 10**9)
    settled = reevaluate(ctx, actor="tester")
    db.session.commit()
    assert (settled.run.outcomes_added, settled.run.outcomes_superseded) == (0, 0)
    for _ in range(3):
        day = date(2022, 8, 1) + timedelta(days=rng.randrange(0, 3 * 365))
        _record(ctx, rng.choice(MONEY_KEYS), rng.randrange(1, 40) * 25_000, day)
        monkeypatch.setattr(store_activities, "REEVALUATION_CHUNK", 7)
        since = reevaluate(ctx, actor="tester", since=day)
        db.session.commit()
        assert since.activities == sum(1 for r in records if date.fromisoformat(r["date"]) >= day)
        monkeypatch.setattr(store_activities, "REEVALUATION_CHUNK", 10**9)
        whole = reevaluate(ctx, actor="tester")
        db.session.commit()
        assert (whole.run.outcomes_added, whole.run.outcomes_superseded) == (0, 0)


def test_activities_imported_since_the_last_full_reevaluation_are_recomputed(ctx: Registry) -> None:
    _import(ctx, generate(200, seed=6), settle=False)
    first = reevaluate(ctx, actor="tester", incremental=True)
    db.session.commit()
    assert "never re-evaluated as a whole" in (first.everything_because or "")
    _import(ctx, generate(230, seed=6)[200:], settle=False)
    second = reevaluate(ctx, actor="tester", incremental=True)
    db.session.commit()
    assert second.incremental and 30 <= second.activities < 230


def test_a_what_if_on_the_affected_activities_says_what_evaluating_all_of_them_says(ctx: Registry) -> None:
    from core.services.whatif import Proposal, evaluate_scenario

    rng = random.Random(41)
    _import(ctx, generate(500, seed=23))
    narrowed = 0
    for _ in range(6):
        proposals = [Proposal(key, rng.randrange(1, 40) * 25_000, date(2022, 8, 1) + timedelta(days=rng.randrange(0, 1400)))
                     for key in rng.sample(MONEY_KEYS, rng.choice([1, 2, 3]))]
        assert evaluate_scenario(ctx, proposals) == evaluate_scenario(ctx, proposals, incremental=False)
        narrowed += proposal_scope(ctx, [Change(p.key, p.effective_from) for p in proposals]) is not None
    assert narrowed == 6


# -- telling an unchanged outcome (core.store.activities._unchanged) ----------------------------------


def test_every_unchanged_outcome_is_told_from_its_stored_text(ctx: Registry, monkeypatch) -> None:
    """Re-evaluating an unchanged register compares every stored outcome by its columns and its JSON's stored
    text, on both databases (PostgreSQL's ``json`` keeps the text it was given): no signature is computed."""
    import core.store.activities as activities

    _import(ctx, generate(400, seed=11))

    def no_signatures(rows: Iterable[object]) -> list[str]:
        raise AssertionError("an unchanged outcome went to the signatures")

    monkeypatch.setattr(activities, "_signatures", no_signatures)
    done = reevaluate(ctx, actor="tester", since=date(2000, 1, 1))
    db.session.commit()
    assert done.activities == 400 and done.changed == 0


def _stored_row(row: dict, **text: str | None) -> tuple:
    """``row`` as ``_replace_changed`` reads a current outcome: id, activity, plugin, the columns, the JSON as text."""
    from core.jsontext import dumps
    from core.store.activities import _JSON_FIELDS, _SCALAR_FIELDS

    return (1, row["activity_id"], row["plugin"], *(row[name] for name in _SCALAR_FIELDS),
            *(text[name] if name in text else dumps(row[name]) for name in _JSON_FIELDS))


def test_an_outcome_is_unchanged_exactly_when_its_signature_is(ctx: Registry) -> None:
    """The quick comparison and the signatures agree: the same values stored with another key order, a
    NULL for JSON null, outcomes in another order are unchanged; a changed amount, detail or type is not."""
    from core.store.activities import _unchanged

    from core.store import evaluation_context

    context, plugins = evaluation_context(ctx)
    report = ctx.validate(generate(200, seed=3), context.parameters)
    outcomes = ctx.evaluate(report.valid, context, plugins=plugins).outcomes
    rows = [_outcome_row(o, 0, None) for o in outcomes if o.details and len(o.details) > 1]
    first, second = rows[0], rows[1]
    assert _unchanged([_stored_row(first)], [first])
    reordered = json.dumps(dict(reversed(first["details"].items())))
    assert reordered != json.dumps(first["details"])
    assert _unchanged([_stored_row(first, details=reordered)], [first])
    assert _unchanged([_stored_row(first, reference_data=None)], [{**first, "reference_data": None}])
    assert _unchanged([_stored_row(first), _stored_row(second)], [second, first])
    assert not _unchanged([_stored_row(first)], [{**first, "amount": first["amount"] + 1}])
    assert not _unchanged([_stored_row(first)], [{**first, "details": {**first["details"], "extra": 1}}])
    assert not _unchanged([_stored_row(first)], [{**first, "amount": str(first["amount"])}])
    assert not _unchanged([_stored_row(first)], [first, second])
    assert not _unchanged([], [first]) and not _unchanged([_stored_row(first)], [])
