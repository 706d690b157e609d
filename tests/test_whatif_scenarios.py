"""Budget what-if scenarios (core.services.whatif): several proposals on the stored register, saved, recorded.

The done-criterion of issue #12: a saved scenario, once recorded, changes
the stored outcomes exactly as the what-if predicted (per activity).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest
from marshmallow import ValidationError
from sqlalchemy import func, select

from core.app import get_registry
from core.db import db
from core.models import ActivityRecord, AuditEntry, Organisation, OutcomeRecord, ParameterVersionRecord, WhatIfScenario
from core.regions import region_of
from core.services import (
    ScenarioExists,
    UnknownScenario,
    evaluate_scenario,
    load_proposals,
    record_scenario,
    save_scenario,
    saved_scenarios,
)
from core.services.whatif import AlreadyRecorded
from core.store import import_records

from test_whatif import RECORDS, X, Y, Z

LEAD = "reward_tiers.lead.national"
SECRETARIAT = "reward_tiers.secretariat.national"


def _import(records: list[dict]) -> None:
    result = import_records(get_registry(), records, source="tests", actor="tests")
    assert result.ok, [(r.ref, r.errors) for r in result.report.invalid]
    db.session.commit()


def _stored_amounts() -> dict[str, int]:
    """Each activity's current amount, by its id in the file (independently of the service)."""
    rows = db.session.execute(
        select(ActivityRecord.external_id, func.coalesce(func.sum(OutcomeRecord.amount), 0))
        .outerjoin(OutcomeRecord, (OutcomeRecord.activity_id == ActivityRecord.id) & OutcomeRecord.superseded_at.is_(None))
        .group_by(ActivityRecord.external_id)
    )
    return {ref: int(amount) for ref, amount in rows}


def _counts() -> tuple[int, int, int, int]:
    return tuple(db.session.scalar(select(func.count(model.id)))
                 for model in (ParameterVersionRecord, AuditEntry, OutcomeRecord, WhatIfScenario))


def _proposals(*items: tuple[str, object, str]):
    return load_proposals(get_registry(), [{"key": k, "value": v, "effective_from": d} for k, v, d in items])


def test_two_proposals_totals_by_year_county_rule_and_the_activities(app):
    with app.app_context():
        _import(RECORDS)
        before = _counts()
        stored = _stored_amounts()
        assert sum(stored.values()) == 300000 * 4 + 150000 + 500000     # A1 (2024) is paid too
        whatif = evaluate_scenario(get_registry(), _proposals((LEAD, "400000", "2025-01-01"),
                                                              (SECRETARIAT, 600000, "2025-06-01")))
        assert _counts() == before                      # nothing stored
        assert whatif.since == date(2025, 1, 1)
        assert whatif.current_total == sum(stored.values())
        # A2, A3, A7 +100,000 each; A6 (2025-04-01) is before the secretariat's date: unchanged.
        assert whatif.difference == 300000
        assert {c.ref: (c.old, c.new) for c in whatif.changes} == {
            "A2": (300000, 400000), "A3": (300000, 400000), "A7": (300000, 400000)}
        years = {line.key: (line.current, line.proposed) for line in whatif.by_year}
        assert years == {"2024": (300000, 300000), "2025": (300000 * 2 + 150000 + 500000, 400000 * 2 + 150000 + 500000),
                         "2026": (300000, 400000)}
        counties = {line.key: line.difference for line in whatif.by_county}
        assert counties[region_of(Y)[0]] == 100000 and counties[region_of(X)[0]] == 100000
        assert counties[region_of(Z)[0]] == 100000
        rules = {line.key: (line.current, line.proposed) for line in whatif.by_rule}
        assert rules["R2"] == (1200000, 1500000) and rules["R8"] == (500000, 500000)
        assert isinstance(whatif.document(get_registry())["difference"], int)


def test_the_secretariat_change_from_its_own_date(app):
    with app.app_context():
        _import(RECORDS)
        whatif = evaluate_scenario(get_registry(), _proposals((SECRETARIAT, 600000, "2025-01-01")))
        assert [(c.ref, c.old, c.new) for c in whatif.changes] == [("A6", 500000, 600000)]
        assert {line.key: line.difference for line in whatif.by_rule if line.difference} == {"R8": 100000}


def test_bad_proposals_name_the_item_and_field(app):
    with app.app_context():
        registry = get_registry()
        with pytest.raises(ValidationError) as bad:
            load_proposals(registry, [{"key": LEAD, "value": "1.5", "effective_from": "2025-01-01"},
                                      {"key": "reward_tiers.nope", "value": 1, "effective_from": "2025-01-01"},
                                      {"key": LEAD, "value": 1, "effective_from": "not a date"}])
        assert set(bad.value.messages) == {0, 1, 2}
        assert "value" in bad.value.messages[0] and "key" in bad.value.messages[1]
        assert "effective_from" in bad.value.messages[2]
        with pytest.raises(ValidationError):
            load_proposals(registry, [])
        with pytest.raises(ValidationError) as foreign:
            load_proposals(registry, [{"key": LEAD, "value": 1, "effective_from": "2025-01-01"}], managed={"carbon"})
        assert "key" in foreign.value.messages[0]


def test_save_list_and_names_are_unique(app):
    with app.app_context():
        registry = get_registry()
        save_scenario(registry, "lead 40万", _proposals((LEAD, 400000, "2025-01-01")), actor="tests")
        with pytest.raises(ScenarioExists):
            save_scenario(registry, "lead 40万", _proposals((LEAD, 500000, "2025-01-01")), actor="tests")
        with pytest.raises(ValidationError):
            save_scenario(registry, "  ", _proposals((LEAD, 500000, "2025-01-01")), actor="tests")
        assert [s.name for s in saved_scenarios()] == ["lead 40万"]
        assert db.session.scalar(select(func.count(ParameterVersionRecord.id))) == \
            db.session.scalar(select(func.count(ParameterVersionRecord.id)).where(ParameterVersionRecord.source == "default"))


def _per_activity(whatif) -> dict[str, int]:
    return {c.ref: c.new for c in whatif.changes}


def test_recording_changes_the_stored_outcomes_exactly_as_predicted(app):
    with app.app_context():
        registry = get_registry()
        _import(RECORDS)
        proposals = _proposals((LEAD, 250000, "2025-03-01"), (SECRETARIAT, 550000, "2025-01-01"))
        save_scenario(registry, "plan", proposals, actor="tests")
        predicted = evaluate_scenario(registry, proposals)
        before = _stored_amounts()
        assert predicted.changes

        recorded = record_scenario(registry, "plan", reason="budget 2025", reference="嘉政办发〔2022〕10号 三(二)",
                                   actor="tests", source="cli")
        assert [v.key for v in recorded.versions] == [LEAD, SECRETARIAT]
        after = _stored_amounts()
        expected = dict(before)
        expected.update(_per_activity(predicted))
        assert after == expected
        assert sum(after.values()) == predicted.proposed_total
        changed = {ref for ref in after if after[ref] != before[ref]}
        assert changed == {c.ref for c in predicted.changes}
        versions = db.session.scalars(select(ParameterVersionRecord).where(ParameterVersionRecord.source == "cli")).all()
        assert {(v.key, v.reason) for v in versions} == {(LEAD, "budget 2025"), (SECRETARIAT, "budget 2025")}
        row = db.session.scalar(select(WhatIfScenario).filter_by(name="plan"))
        assert row.recorded_by == "tests" and len(row.recorded_versions) == 2
        with pytest.raises(AlreadyRecorded):
            record_scenario(registry, "plan", reason="again", reference="x", actor="tests", source="cli")
        # Once recorded, the same what-if predicts no change.
        assert evaluate_scenario(registry, proposals).changes == []


def test_a_bad_recording_stores_nothing(app):
    with app.app_context():
        registry = get_registry()
        _import(RECORDS)
        save_scenario(registry, "plan", _proposals((LEAD, 250000, "2025-03-01")), actor="tests")
        before = (_counts(), _stored_amounts())
        with pytest.raises(ValidationError):
            record_scenario(registry, "plan", reason=" ", reference="x", actor="tests", source="cli")
        with pytest.raises(UnknownScenario):
            record_scenario(registry, "nope", reason="r", reference="x", actor="tests", source="cli")
        with pytest.raises(ValidationError):
            record_scenario(registry, "plan", reason="r", reference="x", actor="tests", source="cli", managed={"carbon"})
        assert (_counts(), _stored_amounts()) == before
        assert db.session.scalar(select(WhatIfScenario).filter_by(name="plan")).recorded_at is None


def test_the_demo_data_what_if_agrees_with_an_independent_count(app, runner):
    """``init --demo``'s register: doubling the national lead reward adds the difference once per paid lead.

    (From 2000-01-01 instead, the shipped version of 2022-08-01 still wins for later activities, and a lead
    dated before the policy gains nothing either: the document is in force from 2022-08-01. Checked in the
    second half.)
    """
    assert runner.invoke(args=["init", "--demo"]).exit_code == 0
    with app.app_context():
        registry = get_registry()
        leads = db.session.execute(
            select(ActivityRecord.id, ActivityRecord.date, Organisation.credit_code, OutcomeRecord.amount)
            .join(OutcomeRecord, OutcomeRecord.activity_id == ActivityRecord.id)
            .join(Organisation, Organisation.id == ActivityRecord.organisation_id)
            .where(OutcomeRecord.superseded_at.is_(None), OutcomeRecord.rule == "R2", OutcomeRecord.amount > 0)
        ).all()
        assert leads, "the demo data has paid national leads"
        # From the shipped version's own date: the proposal replaces it (the later recorded wins).
        whatif = evaluate_scenario(registry, _proposals((LEAD, 600000, "2022-08-01")))
        assert {c.activity_id for c in whatif.changes} == {row[0] for row in leads}
        assert whatif.difference == sum(600000 - int(row[3]) for row in leads)
        by_county: dict[str, int] = defaultdict(int)
        for row in leads:
            by_county[region_of(row[2])[0]] += 600000 - int(row[3])
        assert {line.key: line.difference for line in whatif.by_county if line.difference} == dict(by_county)
        early = evaluate_scenario(registry, _proposals((LEAD, 600000, "2000-01-01")))
        before_policy = db.session.execute(
            select(ActivityRecord.id).join(OutcomeRecord, OutcomeRecord.activity_id == ActivityRecord.id)
            .where(OutcomeRecord.superseded_at.is_(None), OutcomeRecord.rule == "R2", OutcomeRecord.amount == 0,
                   ActivityRecord.date < date(2022, 8, 1))
        ).scalars().all()
        assert before_policy, "the demo data has a national lead dated before the policy"
        assert early.changes == [] and early.difference == 0


def test_a_scenario_whose_parameter_moved_on_since_it_was_saved_is_not_recorded(app):
    """Its effect was computed on older values: recording refuses, stores nothing, and says to save it again."""
    from core.services import record_parameter
    from core.services.whatif import ScenarioOutdated

    with app.app_context():
        registry = get_registry()
        _import(RECORDS)
        save_scenario(registry, "plan", _proposals((LEAD, 250000, "2025-03-01")), actor="tests")
        record_parameter(registry, LEAD, {"value": 320000, "effective_from": "2025-01-01", "reason": "budget",
                                          "reference": "文号"}, actor="tests", source="cli")
        before = (_counts(), _stored_amounts())
        with pytest.raises(ScenarioOutdated, match=f"{LEAD} was at version 1; version 2 was recorded since"):
            record_scenario(registry, "plan", reason="r", reference="x", actor="tests", source="cli")
        assert (_counts(), _stored_amounts()) == before
        # Saved again on the current values, it records.
        save_scenario(registry, "plan again", _proposals((LEAD, 250000, "2025-03-01")), actor="tests")
        recorded = record_scenario(registry, "plan again", reason="r", reference="x", actor="tests", source="cli")
        assert [(v.key, v.sequence) for v in recorded.versions] == [(LEAD, 3)]
