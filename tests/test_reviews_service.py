"""core.services.reviews.decide: approving and rejecting held outcomes (issue #11), on SQLite and PostgreSQL.

Only a current held outcome, a note required and screened, the owning
department's reviewers or a city administrator, the writer lock, an audit
entry; two reviewers at once; decisions surviving ``stdpolicy reevaluate``
while the held amount stays, and the outcome held again when it changes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date

import pytest
from flask import Flask
from marshmallow import ValidationError
from sqlalchemy import func, select

from core.app import get_registry
from core.db import db
from core.models import ActivityRecord, AuditEntry, OutcomeRecord, ReviewDecisionRecord
from core.registry import Registry
from core.services.reviews import (
    DecidedMeanwhile,
    NotHeld,
    NotReviewer,
    OutcomeSuperseded,
    UnknownOutcome,
    decide,
)
from core.store import effective_decisions, find_department, import_records, payable_outcomes
from review_support import HELD_RECORDS

KEY = "reward_tiers.lead.national"

RECORDS = HELD_RECORDS[:3]


@pytest.fixture
def ctx(app: Flask) -> Iterator[Registry]:
    with app.app_context():
        registry = get_registry()
        assert import_records(registry, RECORDS, source="held.json", actor="tests").ok
        db.session.commit()
        yield registry
        db.session.rollback()


def current(ref: str) -> OutcomeRecord:
    return db.session.scalars(
        select(OutcomeRecord).join(ActivityRecord, OutcomeRecord.activity_id == ActivityRecord.id)
        .where(ActivityRecord.external_id == ref, OutcomeRecord.superseded_at.is_(None))
    ).one()


def market():
    return find_department("market_regulation")


def test_a_reviewer_approves_a_held_outcome_audited_with_the_department(ctx: Registry) -> None:
    x = current("X-1")
    done = decide(x.id, "approved", "  核对了起草单位名单,确认排名第一位  ", actor="mr_admin", department=market())
    assert done.replaced is None
    row = db.session.get(ReviewDecisionRecord, done.decision.id)
    assert (row.decision, row.note, row.held_amount, row.outcome_id, row.rule, row.decided_by) == (
        "approved", "核对了起草单位名单,确认排名第一位", 300_000, x.id, "R2", "mr_admin")
    assert row.department_id == market().id
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("review.%"))).all()
    assert (entry.action, entry.actor, entry.target, entry.department_id) == ("review.approve", "mr_admin", "X-1", market().id)
    assert entry.before == {"decision": None}
    assert entry.after["note"] == row.note and entry.after["held_amount"] == 300_000
    assert entry.after["reasons"] == ["rank_conflict"]

    again = decide(x.id, "rejected", "名单有误", actor="city", department=None, city_admin=True)
    assert again.replaced is not None and again.replaced.id == row.id
    assert effective_decisions([current("X-1")])[x.id].decision == "rejected"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "review.reject")).one()
    # a city administrator without a department: the entry names the plugin's owner
    assert entry.before == {"decision": "approved"} and entry.department_id == market().id


@pytest.mark.parametrize(("decision", "note", "field"), [
    ("approved", "", "note"),
    ("approved", "   \n ", "note"),
    ("approved", "ok\x00", "note"),
    ("approved", "x" * 2001, "note"),
    ("maybe", "note", "decision"),
])
def test_a_bad_note_or_decision_names_the_field_and_stores_nothing(ctx: Registry, decision: str, note: str,
                                                                    field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        decide(current("X-1").id, decision, note, actor="mr_admin", department=market())
    assert list(caught.value.messages) == [field]
    [message] = caught.value.messages[field]
    assert getattr(message, "zh", None), message  # bilingual
    assert db.session.scalar(select(func.count()).select_from(ReviewDecisionRecord)) == 0


def test_only_a_current_held_outcome_of_ones_own_plugin_is_decided(ctx: Registry) -> None:
    x, paid = current("X-1"), current("P-1")
    with pytest.raises(NotHeld):
        decide(paid.id, "approved", "说明", actor="mr_admin", department=market())
    with pytest.raises(UnknownOutcome):
        decide(999_999, "approved", "说明", actor="mr_admin", department=market())
    with pytest.raises(NotReviewer) as caught:
        decide(x.id, "approved", "说明", actor="ca_admin", department=find_department("civil_affairs"))
    assert "民政局" in caught.value.message.zh and "civil_affairs" in str(caught.value)
    with pytest.raises(NotReviewer):
        decide(x.id, "approved", "说明", actor="cli", department=None)
    assert db.session.scalar(select(func.count()).select_from(ReviewDecisionRecord)) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action.like("review.%"))) == 0


def test_a_decision_on_what_the_reviewer_saw_refuses_one_taken_meanwhile(ctx: Registry) -> None:
    x = current("X-1")
    first = decide(x.id, "approved", "核实无误", actor="mr_admin", department=market(), seen=None)
    with pytest.raises(DecidedMeanwhile) as caught:
        decide(x.id, "rejected", "不同意", actor="city", department=market(), city_admin=True, seen=None)
    assert "mr_admin" in caught.value.message.zh
    # having seen the first decision, a reviewer may replace it
    decide(x.id, "rejected", "复核后不予核准", actor="city", department=market(), city_admin=True,
           seen=first.decision.id)
    assert effective_decisions([current("X-1")])[x.id].decision == "rejected"


def test_two_reviewers_at_once_one_decision_stored(app: Flask, ctx: Registry) -> None:
    """Each in its own thread and connection, released together: the writer lock serialises them."""
    outcome_id = current("X-1").id
    db.session.rollback()
    start = threading.Barrier(2)
    results: dict[str, object] = {}

    def review(name: str, decision: str) -> None:
        with app.app_context():
            department = find_department("market_regulation")
            db.session.rollback()
            start.wait(timeout=30)
            try:
                results[name] = decide(outcome_id, decision, f"{name} 的意见", actor=name, department=department,
                                       seen=None).decision.decision
            except DecidedMeanwhile as exc:
                results[name] = exc
            except BaseException as exc:  # noqa: BLE001 - reported below
                results[name] = repr(exc)

    threads = [threading.Thread(target=review, args=("mr_admin", "approved")),
               threading.Thread(target=review, args=("city", "rejected"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    refused = [name for name, value in results.items() if isinstance(value, DecidedMeanwhile)]
    stored = [name for name, value in results.items() if value in ("approved", "rejected")]
    assert len(refused) == 1 and len(stored) == 1, results
    db.session.rollback()
    rows = db.session.scalars(select(ReviewDecisionRecord)).all()
    assert [row.decided_by for row in rows] == stored
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action.like("review.%"))) == 1


def invoke(runner, *args: str):
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result


def test_a_decision_survives_reevaluation_while_the_held_amount_stays(app: Flask, ctx: Registry, runner) -> None:
    x = current("X-1")
    decide(x.id, "approved", "核实无误", actor="mr_admin", department=market())
    decide(current("Y-1").id, "rejected", "排名有误", actor="mr_admin", department=market())
    db.session.commit()
    year = (date(2024, 1, 1), date(2024, 12, 31))

    # a new version of the amount the held outcome reads, same value: a new outcome, the same basis
    invoke(runner, "params", "set", KEY, "300000", "--from", "2024-01-01", "--reason", "重新确认", "--reference", "三(二)")
    invoke(runner, "reevaluate")
    db.session.rollback()
    same = current("X-1")
    assert same.id != x.id and same.details["held_amount"] == 300_000
    assert effective_decisions([same])[same.id].decision == "approved"
    assert {p.activity.external_id: p.amount for p in payable_outcomes("reward_tiers", *year)} == {
        "X-1": 300_000, "P-1": 150_000}

    # the amount changes: held again, pending, not payable; the rejection of Y-1 no longer applies either
    invoke(runner, "params", "set", KEY, "350000", "--from", "2024-01-01", "--reason", "调整", "--reference", "三(二)")
    invoke(runner, "reevaluate")
    db.session.rollback()
    changed, other = current("X-1"), current("Y-1")
    assert changed.details["held_amount"] == 350_000 and changed.status == "held"
    assert effective_decisions([changed, other]) == {}
    assert {p.activity.external_id for p in payable_outcomes("reward_tiers", *year)} == {"P-1"}
    # the outcome decided on is superseded: deciding on it says which one is current now
    with pytest.raises(OutcomeSuperseded) as caught:
        decide(same.id, "approved", "核实无误", actor="mr_admin", department=market())
    assert caught.value.current == changed.id and str(changed.id) in caught.value.message.zh
