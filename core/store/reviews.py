"""Reviewers' decisions on held outcomes (待核实), and which outcomes are payable.

A held outcome is not paid until a reviewer of the owning department
approves it (issue #11). Decisions are append-only rows of
``review_decisions``; what a decision is *about* is its ``basis``, a digest
of the activity's fingerprint, the plugin, the rule, the amount it would
pay and the held reasons' codes. Re-evaluation supersedes outcomes but
never decisions, so a decision keeps applying to the outcome that replaced
the one decided on as long as the basis is the same; when the inputs, the
amount or the reasons change, no decision matches and the outcome is
pending (待核实) again. The latest matching decision wins.

These functions only read; ``core.services.reviews`` writes decisions.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, or_, select

from ..db import db
from ..models import ActivityRecord, Organisation, OutcomeRecord, ReviewDecisionRecord
from ..reviews import PENDING

__all__ = [
    "APPROVED",
    "DECISIONS",
    "REJECTED",
    "PENDING",
    "Payable",
    "QueueItem",
    "awaits_review",
    "current_successor",
    "decision_basis",
    "decision_history",
    "effective_decisions",
    "held_amount_of",
    "outcome_basis",
    "payable_outcomes",
    "held_activity_ids",
    "reason_codes_of",
    "review_queue",
    "review_state",
    "review_states",
]

APPROVED = "approved"
REJECTED = "rejected"
#: The decisions a reviewer can take.
DECISIONS = (APPROVED, REJECTED)

_CHUNK = 500


def decision_basis(activity_fingerprint: str, plugin: str, rule: str, held_amount: int,
                   reason_codes: Iterable[str]) -> str:
    """SHA-256 hex of what a decision rests on: canonical JSON, the reason codes sorted.

    Two held outcomes with the same basis are the same question to a
    reviewer: the same record, rule, amount and reasons.
    """
    payload = json.dumps(
        {"activity": activity_fingerprint, "plugin": plugin, "rule": rule, "held_amount": int(held_amount),
         "reasons": sorted(str(code) for code in reason_codes)},
        sort_keys=True, ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def held_amount_of(outcome: OutcomeRecord) -> int:
    """What a held outcome would pay (``details["held_amount"]``; 0 if it is not held)."""
    if outcome.status != "held" or not outcome.details:
        return 0
    return int(outcome.details.get("held_amount", 0))


def awaits_review(outcome: OutcomeRecord) -> bool:
    """Whether a reviewer decides on ``outcome``: held, with an amount that approval would pay.

    A plugin also holds outcomes that carry no money (carbon's quota check
    waiting for the edition's limit values, a forerunner ranking waiting for
    one measure): those wait for data, not for a reviewer, and stay out of
    the review queue.
    """
    return outcome.status == "held" and held_amount_of(outcome) > 0


def reason_codes_of(outcome: OutcomeRecord) -> list[str]:
    """The codes of a held outcome's reasons (``details["held_reasons"]``)."""
    if outcome.status != "held" or not outcome.details:
        return []
    return [str(reason.get("code", "")) for reason in outcome.details.get("held_reasons") or []]


def outcome_basis(outcome: OutcomeRecord, activity_fingerprint: str) -> str:
    """The basis of a stored held outcome (its activity's fingerprint given)."""
    return decision_basis(activity_fingerprint, outcome.plugin, outcome.rule, held_amount_of(outcome),
                          reason_codes_of(outcome))


def _decisions(activity_ids: Sequence[int]) -> list[tuple[ReviewDecisionRecord, str]]:
    """Every decision on ``activity_ids`` with its activity's fingerprint, oldest first (one query per chunk)."""
    rows: list[tuple[ReviewDecisionRecord, str]] = []
    for start in range(0, len(activity_ids), _CHUNK):
        rows.extend(db.session.execute(
            select(ReviewDecisionRecord, ActivityRecord.fingerprint)
            .join(ActivityRecord, ReviewDecisionRecord.activity_id == ActivityRecord.id)
            .where(ReviewDecisionRecord.activity_id.in_(activity_ids[start:start + _CHUNK]))
            .order_by(ReviewDecisionRecord.id)
        ).all())
    return rows


def effective_decisions(outcomes: Iterable[OutcomeRecord]) -> dict[int, ReviewDecisionRecord]:
    """Current held outcome id → the decision in effect on it; absent: pending (待核实).

    The decision in effect is the latest one for the outcome's activity,
    plugin and rule whose basis equals the outcome's basis now. Outcomes
    that are not held, or no longer current, get none. One query per batch
    of 500 activities, never one per outcome.
    """
    held = [o for o in outcomes if o.status == "held" and o.superseded_at is None]
    if not held:
        return {}
    found: dict[tuple[int, str, str, str], ReviewDecisionRecord] = {}
    prints: dict[int, str] = {}
    for row, print_ in _decisions(sorted({o.activity_id for o in held})):
        prints[row.activity_id] = print_
        # oldest first: a later decision with the same basis replaces an earlier one
        found[row.activity_id, row.plugin, row.rule, row.basis] = row
    effective: dict[int, ReviewDecisionRecord] = {}
    for outcome in held:
        fingerprint = prints.get(outcome.activity_id)
        if fingerprint is None:
            continue
        match = found.get((outcome.activity_id, outcome.plugin, outcome.rule, outcome_basis(outcome, fingerprint)))
        if match is not None:
            effective[outcome.id] = match
    return effective


def current_successor(outcome: OutcomeRecord) -> int | None:
    """The id of the current outcome of the same activity, plugin and rule as ``outcome``, if there is one."""
    return db.session.scalar(
        select(OutcomeRecord.id).where(OutcomeRecord.activity_id == outcome.activity_id,
                                       OutcomeRecord.plugin == outcome.plugin, OutcomeRecord.rule == outcome.rule,
                                       OutcomeRecord.superseded_at.is_(None)).order_by(OutcomeRecord.id).limit(1))


def decision_history(activity_id: int) -> list[ReviewDecisionRecord]:
    """Every decision on one activity, newest first (the activity page's history)."""
    return list(db.session.scalars(
        select(ReviewDecisionRecord).where(ReviewDecisionRecord.activity_id == activity_id)
        .order_by(ReviewDecisionRecord.id.desc())
    ))


@dataclass(frozen=True)
class Payable:
    """A current outcome that may be paid, with what it pays."""

    outcome: OutcomeRecord
    activity: ActivityRecord
    organisation: Organisation
    #: Integer yuan: ``amount`` of a paid outcome, ``held_amount`` of an approved held one.
    amount: int
    #: The approving decision of a held outcome; ``None`` for a paid outcome.
    decision_id: int | None


def payable_outcomes(plugin: str, period_from: date, period_to: date,
                     department_ids: Collection[int] | None = None) -> list[Payable]:
    """The payable current outcomes of ``plugin`` for activities dated in the period (both days included).

    Payable: a paid outcome (status ok, amount above zero), or a held one
    with an effective *approved* decision (its ``held_amount``). Rejected and
    pending held outcomes are not payable. Oldest activity first.

    :param department_ids: only activities imported by these departments
        (``ActivityRecord.department_id``); ``None``: every activity.
    """
    query = (
        select(OutcomeRecord, ActivityRecord, Organisation)
        .join(ActivityRecord, OutcomeRecord.activity_id == ActivityRecord.id)
        .join(Organisation, ActivityRecord.organisation_id == Organisation.id)
        .where(OutcomeRecord.plugin == plugin, OutcomeRecord.superseded_at.is_(None),
               ActivityRecord.date >= period_from, ActivityRecord.date <= period_to,
               or_(OutcomeRecord.status == "held", (OutcomeRecord.status == "ok") & (OutcomeRecord.amount > 0)))
        .order_by(ActivityRecord.date, ActivityRecord.id, OutcomeRecord.id)
    )
    if department_ids is not None:
        ids = list(department_ids)
        if not ids:
            return []
        query = query.where(ActivityRecord.department_id.in_(ids))
    rows = db.session.execute(query).all()
    decisions = effective_decisions(outcome for outcome, _, _ in rows)
    payable: list[Payable] = []
    for outcome, activity, organisation in rows:
        if outcome.status == "held":
            decision = decisions.get(outcome.id)
            if decision is None or decision.decision != APPROVED:
                continue
            payable.append(Payable(outcome, activity, organisation, held_amount_of(outcome), decision.id))
        else:
            payable.append(Payable(outcome, activity, organisation, int(outcome.amount), None))
    return payable


def review_state(outcome: OutcomeRecord, decisions: dict[int, ReviewDecisionRecord]) -> str | None:
    """``pending``, ``approved`` or ``rejected`` for a held outcome (``effective_decisions``'s answer given); else ``None``."""
    if outcome.status != "held":
        return None
    decision = decisions.get(outcome.id)
    return decision.decision if decision is not None else PENDING


@dataclass(frozen=True)
class QueueItem:
    """A current held outcome in the review queue, with the decision in effect on it (``None``: pending)."""

    outcome: OutcomeRecord
    activity: ActivityRecord
    organisation: Organisation
    decision: ReviewDecisionRecord | None

    @property
    def state(self) -> str:
        return self.decision.decision if self.decision is not None else PENDING

    @property
    def held_amount(self) -> int:
        return held_amount_of(self.outcome)

    @property
    def reasons(self) -> list[dict[str, Any]]:
        """``{"code", "zh", "en", "other"?}`` each (``core.Outcome.held_reasons``)."""
        return list((self.outcome.details or {}).get("held_reasons") or [])


def _held_query(plugins: Collection[str]) -> Select[OutcomeRecord, ActivityRecord, Organisation]:
    # Held outcomes carry amount 0: the current-amount index (plugin, amount, activity) finds them.
    return (
        select(OutcomeRecord, ActivityRecord, Organisation)
        .join(ActivityRecord, OutcomeRecord.activity_id == ActivityRecord.id)
        .join(Organisation, ActivityRecord.organisation_id == Organisation.id)
        .where(OutcomeRecord.superseded_at.is_(None), OutcomeRecord.plugin.in_(list(plugins)),
               OutcomeRecord.amount == 0, OutcomeRecord.status == "held")
    )


def review_queue(plugins: Collection[str], *, reason: str | None = None, county: str | None = None,
                 year: int | None = None, state: str | None = None) -> list[QueueItem]:
    """The current held outcomes of ``plugins``, oldest activity first, narrowed by the filters.

    :param reason: a held reason's code (``Registry.held_reasons``): outcomes held (also) for it.
    :param county: a region code (positions 3–8 of the credit code, ``core.regions``).
    :param year: the year of the activity's date.
    :param state: ``pending``, ``approved`` or ``rejected`` (the decision in effect).
    """
    if not plugins:
        return []
    query = _held_query(plugins).order_by(ActivityRecord.date, ActivityRecord.id, OutcomeRecord.id)
    if county:
        query = query.where(Organisation.region_code == county)
    if year:
        query = query.where(ActivityRecord.date >= date(year, 1, 1), ActivityRecord.date < date(year + 1, 1, 1))
    rows: list[tuple[OutcomeRecord, ActivityRecord, Organisation]] = [
        (outcome, activity, organisation) for outcome, activity, organisation in db.session.execute(query)
        if awaits_review(outcome) and (not reason or reason in reason_codes_of(outcome))]
    decisions = effective_decisions(outcome for outcome, _, _ in rows)
    items = [QueueItem(outcome, activity, organisation, decisions.get(outcome.id)) for outcome, activity, organisation in rows]
    if state:
        items = [item for item in items if item.state == state]
    return items


def held_activity_ids(plugins: Collection[str], state: str) -> list[int]:
    """The activities with a current held outcome of ``plugins`` in review ``state`` (the register's filter)."""
    return sorted({item.activity.id for item in review_queue(plugins, state=state)})


def review_states(activity_ids: Collection[int], plugins: Collection[str]) -> dict[tuple[int, str], str]:
    """(activity id, rule) → the review state of its current held outcome, for a page of activities."""
    ids = list(activity_ids)
    if not ids or not plugins:
        return {}
    # The plugin test is kept off the (plugin, dedup_key) index: SQLite would
    # otherwise walk every outcome of the plugins (16 ms at 100,000
    # activities) instead of the page's outcomes by (activity_id, superseded_at).
    held = [outcome for outcome in db.session.scalars(
        select(OutcomeRecord).where(OutcomeRecord.activity_id.in_(ids), OutcomeRecord.superseded_at.is_(None),
                                    OutcomeRecord.plugin.concat("").in_(list(plugins)), OutcomeRecord.status == "held")
    ) if awaits_review(outcome)]
    decisions = effective_decisions(held)
    return {(o.activity_id, o.rule): review_state(o, decisions) or PENDING for o in held}
