"""What a plugin's admin pages read of the stored data: the plugin's current outcomes with their activities.

A plugin's page lists what its rules decided (a rectification list, the
certificates expiring) and counts it; it writes no SQL (plugins import only
``core``), so core reads the rows here, in one query, and the page helper
``core.stored_outcomes`` hands them over with a link to each activity.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ..activities import Activity
from ..db import db
from ..models import ActivityRecord, Organisation, OutcomeRecord
from ..text import Text
from .activities import to_activity

__all__ = ["StoredOutcome", "current_outcomes"]


@dataclass(frozen=True)
class StoredOutcome:
    """A current stored outcome of a plugin and the activity it decides (read-only)."""

    activity: Activity
    plugin: str
    rule: str
    status: str
    amount: int
    clause: str
    explanation: Text
    details: dict[str, Any] | None
    #: The reference versions read: ``[{key, sequence, version_id, effective_from, source}]``.
    references: tuple[dict[str, Any], ...] = ()
    #: The admin's page of the activity (set by ``core.stored_outcomes`` in a request).
    url: str | None = None


def current_outcomes(plugin: str, kinds: Collection[str] | None = None,
                     statuses: Collection[str] | None = None) -> list[StoredOutcome]:
    """The current outcomes of ``plugin`` (of activities of ``kinds``, with ``statuses``), oldest activity first."""
    query = (
        select(OutcomeRecord, ActivityRecord, Organisation.credit_code, Organisation.name)
        .join(ActivityRecord, OutcomeRecord.activity_id == ActivityRecord.id)
        .join(Organisation, ActivityRecord.organisation_id == Organisation.id)
        .where(OutcomeRecord.plugin == plugin, OutcomeRecord.superseded_at.is_(None))
        .order_by(ActivityRecord.date, ActivityRecord.id, OutcomeRecord.id)
    )
    if kinds is not None:
        query = query.where(ActivityRecord.kind.in_(list(kinds)))
    if statuses is not None:
        query = query.where(OutcomeRecord.status.in_(list(statuses)))
    return [
        StoredOutcome(
            activity=to_activity(record, code, name), plugin=outcome.plugin, rule=outcome.rule, status=outcome.status,
            amount=outcome.amount, clause=outcome.clause,
            explanation=Text(outcome.explanation_zh, outcome.explanation_en),
            details=dict(outcome.details) if outcome.details else None,
            references=tuple(outcome.reference_data or ()),
        )
        for outcome, record, code, name in db.session.execute(query)
    ]
