"""core.store.reviews: the basis of a decision, the decision in effect, what is payable (issue #11)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from core.app import get_registry
from core.db import db, utcnow
from core.models import ActivityRecord, OutcomeRecord, ReviewDecisionRecord
from core.registry import Registry
from core.store import (
    decision_basis,
    effective_decisions,
    find_department,
    import_records,
    payable_outcomes,
    record_version,
    reevaluate,
)
from core.store.reviews import outcome_basis
from review_support import CODE_A, CODE_B, CODE_C


FP = "a" * 64


def drafting(ref: str, day: str, code: str, standard: str, rank: int = 1) -> dict:
    return {"id": ref, "kind": "standard_drafting", "date": day, "credit_code": code, "standard_code": standard,
            "rank": rank}


#: Two organisations claiming rank 1 on one standard (both held, 300,000 each), and a plain participant (paid).
RECORDS = [drafting("X-1", "2024-06-28", CODE_A, "GB/T 44101-2024"),
           drafting("Y-1", "2024-07-02", CODE_B, "GB/T 44101-2024"),
           drafting("P-1", "2024-07-02", CODE_C, "GB/T 44102-2024", rank=2)]


@pytest.fixture
def ctx(app: Flask) -> Iterator[Registry]:
    with app.app_context():
        yield get_registry()
        db.session.rollback()


def store(registry: Registry, records: list[dict], department: str | None = None) -> None:
    result = import_records(registry, records, source="test", actor="tester",
                            department=find_department(department) if department else None)
    assert result.ok, [(i.ref, i.errors) for i in result.report.invalid]
    db.session.commit()


def current(ref: str) -> OutcomeRecord:
    return db.session.scalars(
        select(OutcomeRecord).join(ActivityRecord, OutcomeRecord.activity_id == ActivityRecord.id)
        .where(ActivityRecord.external_id == ref, OutcomeRecord.superseded_at.is_(None))
    ).one()


def decide(outcome: OutcomeRecord, decision: str, *, basis: str | None = None, at_offset: int = 0) -> ReviewDecisionRecord:
    """A decision row as the service stores it (the service itself: tests/test_reviews_service.py)."""
    activity = db.session.get(ActivityRecord, outcome.activity_id)
    assert activity is not None
    row = ReviewDecisionRecord(
        activity_id=outcome.activity_id, outcome_id=outcome.id, plugin=outcome.plugin, rule=outcome.rule,
        decision=decision, note="checked", held_amount=outcome.details["held_amount"],
        basis=basis or outcome_basis(outcome, activity.fingerprint), decided_by="mr_admin",
        decided_at=utcnow() + timedelta(seconds=at_offset), department_id=find_department("market_regulation").id,
    )
    db.session.add(row)
    db.session.commit()
    return row


def test_the_basis_changes_with_the_activity_the_amount_and_the_reasons_not_with_their_order() -> None:
    basis = decision_basis(FP, "reward_tiers", "R2", 300_000, ["rank_conflict", "region"])
    assert len(basis) == 64 and int(basis, 16) >= 0
    assert decision_basis(FP, "reward_tiers", "R2", 300_000, ("region", "rank_conflict")) == basis
    assert decision_basis(FP, "reward_tiers", "R2", 400_000, ["rank_conflict", "region"]) != basis
    assert decision_basis(FP, "reward_tiers", "R2", 300_000, ["rank_conflict"]) != basis
    assert decision_basis("b" * 64, "reward_tiers", "R2", 300_000, ["rank_conflict", "region"]) != basis
    assert decision_basis(FP, "reward_tiers", "R3", 300_000, ["rank_conflict", "region"]) != basis
    assert decision_basis(FP, "other", "R2", 300_000, ["rank_conflict", "region"]) != basis


def test_held_outcomes_are_pending_until_decided_and_the_latest_decision_wins(ctx: Registry) -> None:
    store(ctx, RECORDS)
    x, y, p = current("X-1"), current("Y-1"), current("P-1")
    assert (x.status, y.status, p.status) == ("held", "held", "ok")
    assert effective_decisions([x, y, p]) == {}

    first = decide(x, "approved")
    assert {k: v.id for k, v in effective_decisions([x, y, p]).items()} == {x.id: first.id}
    later = decide(x, "rejected", at_offset=5)
    assert {k: v.id for k, v in effective_decisions([x, y, p]).items()} == {x.id: later.id}
    assert effective_decisions([x])[x.id].decision == "rejected"
    # a decision with another basis (another amount, say) is not in effect on this outcome
    decide(y, "approved", basis=decision_basis(FP, "reward_tiers", "R2", 1, ["rank_conflict"]))
    assert y.id not in effective_decisions([x, y])


def test_a_held_outcome_is_payable_only_when_approved(ctx: Registry) -> None:
    store(ctx, RECORDS)
    x, y = current("X-1"), current("Y-1")
    whole_year = (date(2024, 1, 1), date(2024, 12, 31))

    def payable() -> dict[str, tuple[int, int | None]]:
        return {p.activity.external_id: (p.amount, p.decision_id) for p in payable_outcomes("reward_tiers", *whole_year)}

    assert payable() == {"P-1": (150_000, None)}  # both held outcomes are pending
    approved = decide(x, "approved")
    decide(y, "rejected")
    assert payable() == {"X-1": (300_000, approved.id), "P-1": (150_000, None)}
    found = {p.activity.external_id: p for p in payable_outcomes("reward_tiers", *whole_year)}
    assert found["X-1"].organisation.credit_code == CODE_A and found["X-1"].outcome.id == x.id
    # approved, then rejected: the latest decision wins, nothing payable for X-1
    decide(x, "rejected", at_offset=5)
    assert payable() == {"P-1": (150_000, None)}
    assert payable_outcomes("other_plugin", *whole_year) == []


def test_the_period_includes_both_days(ctx: Registry) -> None:
    store(ctx, RECORDS)
    decide(current("X-1"), "approved")
    refs = lambda start, end: [p.activity.external_id for p in payable_outcomes("reward_tiers", start, end)]  # noqa: E731
    assert refs(date(2024, 6, 28), date(2024, 7, 2)) == ["X-1", "P-1"]
    assert refs(date(2024, 6, 29), date(2024, 7, 2)) == ["P-1"]
    assert refs(date(2024, 6, 28), date(2024, 7, 1)) == ["X-1"]


def test_department_scoping_counts_the_activities_a_department_imported(ctx: Registry) -> None:
    store(ctx, RECORDS[:2], department="market_regulation")
    store(ctx, RECORDS[2:], department="civil_affairs")
    decide(current("X-1"), "approved")
    year = (date(2024, 1, 1), date(2024, 12, 31))
    market, civil = find_department("market_regulation").id, find_department("civil_affairs").id
    assert [p.activity.external_id for p in payable_outcomes("reward_tiers", *year, [market])] == ["X-1"]
    assert [p.activity.external_id for p in payable_outcomes("reward_tiers", *year, [civil])] == ["P-1"]
    assert [p.activity.external_id for p in payable_outcomes("reward_tiers", *year, [market, civil])] == ["X-1", "P-1"]
    assert payable_outcomes("reward_tiers", *year, []) == []
    assert len(payable_outcomes("reward_tiers", *year, None)) == 2


def test_a_decision_survives_reevaluation_until_the_held_amount_changes(ctx: Registry) -> None:
    store(ctx, RECORDS)
    x = current("X-1")
    approved = decide(x, "approved")
    # re-evaluation with nothing changed: the same outcome stays, and so does the decision
    reevaluate(ctx, actor="tester")
    db.session.commit()
    assert effective_decisions([current("X-1")])[current("X-1").id].id == approved.id

    # the leading drafter's amount changes (a new dated version): a new held outcome, pending again
    record_version(ctx, "reward_tiers.lead.national", {"value": "400000", "effective_from": "2024-01-01",
                                                                "reason": "测试调整", "reference": "三(二)"},
                   actor="tester", source="test")
    reevaluate(ctx, actor="tester")
    db.session.commit()
    changed = current("X-1")
    assert changed.id != x.id and changed.details["held_amount"] == 400_000
    assert effective_decisions([changed]) == {}
    assert "X-1" not in {p.activity.external_id
                         for p in payable_outcomes("reward_tiers", date(2024, 1, 1), date(2024, 12, 31))}


@pytest.mark.stdpolicy_plugins("reward_tiers", "carbon")
def test_outcomes_held_for_data_without_money_stay_out_of_the_review_queue(app: Flask) -> None:
    """Carbon holds a quota check until the edition's limit values are recorded (Q9, no amount): nothing for a
    reviewer to approve. The queue, the register's review states and a decision all leave it alone."""
    from core.services.reviews import NotHeld, decide
    from core.store.reviews import review_queue, review_states

    with app.app_context():
        registry = get_registry()
        demo = registry.demo_records()["carbon"]  # the shipped quota data has no row for the demo products
        assert import_records(registry, [*demo, *RECORDS], source="t", actor="t").ok
        db.session.commit()
        held = db.session.scalars(select(OutcomeRecord).where(
            OutcomeRecord.plugin == "carbon", OutcomeRecord.status == "held", OutcomeRecord.superseded_at.is_(None))).all()
        assert held and all(o.amount == 0 and not (o.details or {}).get("held_amount") for o in held)
        assert review_queue(["carbon"]) == []
        assert review_states([o.activity_id for o in held], ["carbon"]) == {}
        with pytest.raises(NotHeld):
            decide(held[0].id, "approved", "数据已核", actor="city", department=None, city_admin=True)
        # The money held by reward_tiers still awaits its reviewer.
        assert {item.activity.external_id for item in review_queue(["reward_tiers", "carbon"])} == {"X-1", "Y-1"}
