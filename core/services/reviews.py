"""Deciding on a held outcome (待核实): approve or reject it, with a note.

``decide`` is the one way a review decision is stored: from ``stdpolicy
reviews approve|reject`` and from the admin's review queue alike. It takes
the writer lock, so a decision never lands between a re-evaluation's read
and its write (the outcome decided on is the current one when the decision
commits), and two reviewers deciding the same outcome at once are
serialised: the second one is told that the outcome was decided meanwhile
(when it says what it saw, as the admin's form does) instead of silently
overruling the first. The decision and its audit entry (``review.approve``
or ``review.reject``) are committed together.

Who may decide: the administrators of the plugin's owning department and
city administrators (``webadmin.access.may_manage``). The callers check the
user's role; this module checks that the department acting is the
plugin's owner, unless a city administrator acts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from marshmallow import Schema, ValidationError, fields, validate

from ..db import db
from ..messages import Bilingual
from ..models import ActivityRecord, Department, OutcomeRecord, ReviewDecisionRecord
from ..screening import screen
from ..store.audit import audit
from ..store.locking import writing
from ..store.permissions import plugin_owner
from ..store.reviews import (
    APPROVED,
    DECISIONS,
    REJECTED,
    awaits_review,
    current_successor,
    effective_decisions,
    held_amount_of,
    outcome_basis,
    reason_codes_of,
)

__all__ = [
    "APPROVED",
    "NOTE_MAX",
    "REJECTED",
    "UNSEEN",
    "Decided",
    "DecidedMeanwhile",
    "NotHeld",
    "NotReviewer",
    "OutcomeSuperseded",
    "ReviewError",
    "UnknownOutcome",
    "decide",
]

#: The longest note, in characters.
NOTE_MAX = 2000


class _Unseen:
    def __repr__(self) -> str:
        return "UNSEEN"


#: ``decide(seen=UNSEEN)``: the caller did not look at the outcome's state first (the command line).
UNSEEN: Final = _Unseen()


class ReviewError(Exception):
    """A decision that cannot be stored; ``message`` says why in both languages. Nothing was stored."""

    def __init__(self, message: Bilingual) -> None:
        super().__init__(str(message))
        self.message = message


class UnknownOutcome(ReviewError, LookupError):
    def __init__(self, outcome_id: int) -> None:
        super().__init__(Bilingual(f"没有编号为 {outcome_id} 的结果", f"there is no outcome {outcome_id}"))


class NotHeld(ReviewError):
    """The outcome is not held for review: it pays, or does not, by the rules alone."""

    def __init__(self, outcome_id: int) -> None:
        super().__init__(Bilingual(f"结果 {outcome_id} 不是待核实结果,无需核实",
                                   f"outcome {outcome_id} is not held for review; there is nothing to decide"))


class OutcomeSuperseded(ReviewError):
    """A re-evaluation replaced the outcome after the reviewer saw it; ``current`` is its successor's id, if any."""

    def __init__(self, outcome_id: int, current: int | None) -> None:
        after_zh = f",现行结果编号为 {current},请重新核实" if current else ",该活动现已无此结果"
        after_en = f"; the current one is outcome {current}: review that one" if current else "; the activity has none now"
        super().__init__(Bilingual(f"结果 {outcome_id} 已被重新计算取代{after_zh}",
                                   f"outcome {outcome_id} was replaced by a re-evaluation{after_en}"))
        self.current = current


class DecidedMeanwhile(ReviewError):
    """Another reviewer decided the outcome after this one looked at it."""

    def __init__(self, decision: ReviewDecisionRecord) -> None:
        zh = "核准" if decision.decision == APPROVED else "不予核准"
        en = "approved" if decision.decision == APPROVED else "rejected"
        super().__init__(Bilingual(
            f"该结果已由 {decision.decided_by} 于此期间作出决定({zh}),请查看后再决定",
            f"{decision.decided_by} decided this outcome meanwhile ({en}); look at that decision first"))
        self.decision = decision


class NotReviewer(ReviewError, PermissionError):
    """The acting department does not own the outcome's plugin (and no city administrator acts)."""

    def __init__(self, plugin: str, department: Department | None) -> None:
        who_zh = department.name_zh if department is not None else "未指定部门"
        who_en = department.code if department is not None else "no department"
        super().__init__(Bilingual(f"{who_zh}不是 {plugin} 的主管部门,无权核实其结果",
                                   f"{who_en} does not own {plugin}, so it may not review its outcomes"))


class _DecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS, error=Bilingual(
        "决定只能是核准或不予核准", "the decision is approved or rejected")))
    note = fields.String(required=True, validate=[
        validate.Regexp(r"\s*\S", error=Bilingual("核实意见不能为空", "the note must not be blank")),
        validate.Length(max=NOTE_MAX, error=Bilingual(f"核实意见不能超过 {NOTE_MAX} 个字符",
                                                      f"the note is longer than {NOTE_MAX} characters")),
    ])


def _validated(decision: str, note: str) -> dict[str, Any]:
    """The decision and the note (stripped), or ``ValidationError`` naming the field (bilingual messages)."""
    problems = screen({"decision": decision, "note": note}, multiline=("note",))
    if problems:
        raise ValidationError({name or "note": messages for name, messages in problems.items()})
    loaded: dict[str, Any] = _DecisionSchema().load({"decision": decision, "note": note})
    loaded["note"] = loaded["note"].strip()
    return loaded


@dataclass(frozen=True)
class Decided:
    """A stored decision, and the one it replaced in effect (``None``: the outcome was pending)."""

    decision: ReviewDecisionRecord
    replaced: ReviewDecisionRecord | None


def decide(outcome_id: int, decision: str, note: str, *, actor: str, department: Department | None,
           city_admin: bool = False, seen: int | None | _Unseen = UNSEEN) -> Decided:
    """Store a reviewer's decision on the current held outcome ``outcome_id`` (audited, committed).

    :param decision: ``approved`` or ``rejected``.
    :param note: why (required; one or more lines).
    :param department: the department acting, recorded with the decision and
        in the audit entry; it must own the plugin unless ``city_admin``.
    :param city_admin: a city administrator acts (any plugin).
    :param seen: the id of the decision in effect when the reviewer looked
        (``None``: pending); if another is in effect now, ``DecidedMeanwhile``.
        ``UNSEEN``: no such check (the command line; the latest decision wins).
    :raises ValidationError: a bad decision or note (nothing stored).
    :raises ReviewError: ``UnknownOutcome``, ``NotHeld``, ``OutcomeSuperseded``,
        ``NotReviewer``, ``DecidedMeanwhile`` (nothing stored).
    :raises WriterBusy: an import or re-evaluation kept the writer lock.
    """
    loaded = _validated(decision, note)
    with writing("review a held outcome"):
        outcome = db.session.get(OutcomeRecord, outcome_id)
        if outcome is None:
            raise UnknownOutcome(outcome_id)
        if outcome.superseded_at is not None:
            raise OutcomeSuperseded(outcome_id, current_successor(outcome))
        if not awaits_review(outcome):  # not held, or held waiting for data with no amount to approve
            raise NotHeld(outcome_id)
        owner = plugin_owner(outcome.plugin)
        if not city_admin and (department is None or owner is None or owner.id != department.id):
            raise NotReviewer(outcome.plugin, department)
        previous = effective_decisions([outcome]).get(outcome.id)
        if not isinstance(seen, _Unseen) and seen != (previous.id if previous is not None else None):
            if previous is not None:
                raise DecidedMeanwhile(previous)
        activity = db.session.get(ActivityRecord, outcome.activity_id)
        assert activity is not None  # a foreign key
        row = ReviewDecisionRecord(
            activity_id=activity.id, outcome_id=outcome.id, plugin=outcome.plugin, rule=outcome.rule,
            decision=loaded["decision"], note=loaded["note"], held_amount=held_amount_of(outcome),
            basis=outcome_basis(outcome, activity.fingerprint), decided_by=actor,
            department_id=department.id if department is not None else None,
        )
        db.session.add(row)
        db.session.flush()
        audit("review.approve" if row.decision == APPROVED else "review.reject", actor, activity.ref,
              department=department or owner,
              before={"decision": previous.decision if previous is not None else None},
              after={"decision": row.decision, "note": row.note, "held_amount": row.held_amount,
                     "plugin": outcome.plugin, "rule": outcome.rule, "outcome": outcome.id, "activity": activity.id,
                     "reasons": reason_codes_of(outcome)})
    return Decided(row, previous)

