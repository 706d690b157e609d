"""What the register already holds, for readings across activities (``PaymentHistory``):
one-time rewards already paid, the earliest report of an achievement, the
stored records of the same standard."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import date

from sqlalchemy import ColumnElement, and_, any_, bindparam, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import InstrumentedAttribute

from ..db import db
from ..evaluation import PriorActivity, PriorPayment, PriorReport
from ..models import ActivityRecord, Organisation, OutcomeRecord
from ..outcomes import storable_key

__all__ = ["StoredHistory"]

_CHUNK = 500  # keys per IN (…): well under every database's parameter limit
#: Prefixes per LIKE query; past _ALL_OF_KIND prefixes, one query reads every stored activity of the
#: kind and the prefixes are matched here (a large import names most standards of the register anyway).
_LIKE_CHUNK = 100
_ALL_OF_KIND = 400


def _among(column: InstrumentedAttribute[str | None], values: Sequence[str]) -> Iterator[ColumnElement[bool]]:
    """Conditions that together select ``column`` among ``values``: one each query.

    PostgreSQL takes them all as one array (``= ANY``); elsewhere an ``IN`` of
    ``_CHUNK`` at a time. Rendering a bound value per key cost more than the
    lookups themselves for an import of 100,000 (200 queries of 500).
    """
    if not values:
        return
    if db.session.get_bind().dialect.name == "postgresql":
        yield column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
        return
    for start in range(0, len(values), _CHUNK):
        yield column.in_(values[start:start + _CHUNK])


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class StoredHistory:
    """The stored register: current, paid outcomes with a ``dedup_key``, reports, activities.

    :param before: only activities dated before this day count (a
        re-evaluation from that day recomputes the rest).
    :param everything_reevaluated: nothing counts (a re-evaluation of all activities).
    :param batch_from: activities with this id or a larger one are the batch
        being evaluated, not its history (an import evaluates the activities it
        has just stored; the caller makes sure no other activity has such an id).
        Left out of what is read, as plugins leave their batch's own records out
        of what they read: reading them back cost ~0.5 s an import of 100,000.
    """

    def __init__(self, *, before: date | None = None, everything_reevaluated: bool = False,
                 batch_from: int | None = None) -> None:
        self.before = before
        self.none = everything_reevaluated
        self.batch_from = batch_from

    def paid(self, plugin: str, keys: Collection[str]) -> Mapping[str, PriorPayment]:
        if self.none or not keys:
            return {}
        found: dict[str, PriorPayment] = {}
        # A long key is stored shortened (core.outcomes.storable_key); answered by the key asked.
        asked = {storable_key(key): key for key in keys}
        for among in _among(OutcomeRecord.dedup_key, list(asked)):
            conditions = [
                OutcomeRecord.plugin == plugin,
                among,
                # Paid, or held for review (amount 0 until approved): either takes the achievement.
                or_(OutcomeRecord.amount > 0, OutcomeRecord.status == "held"),
                OutcomeRecord.superseded_at.is_(None),
            ]
            if self.before is not None:
                conditions.append(ActivityRecord.date < self.before)
            rows = db.session.execute(
                select(OutcomeRecord.dedup_key, OutcomeRecord.activity_id, OutcomeRecord.amount, OutcomeRecord.rule,
                       ActivityRecord.external_id, ActivityRecord.date, OutcomeRecord.status, OutcomeRecord.details)
                .join(ActivityRecord, OutcomeRecord.activity_id == ActivityRecord.id)
                .where(and_(*conditions))
                .order_by(ActivityRecord.date, ActivityRecord.id)
            )
            for stored_key, activity_id, amount, rule, external_id, day, status, details in rows:
                key = asked[stored_key or ""]
                if key not in found:  # the earliest payment is the one that counts
                    held = status == "held"
                    if held:
                        amount = int((details or {}).get("held_amount", 0))
                    found[key] = PriorPayment(key, activity_id, external_id or f"#{activity_id}", day, amount, rule, held)
        return found

    def _activity_conditions(self) -> list[ColumnElement[bool]]:
        conditions = [ActivityRecord.date < self.before] if self.before is not None else []
        if self.batch_from is not None:
            conditions.append(ActivityRecord.id < self.batch_from)
        return conditions

    def reported(self, plugin: str, keys: Collection[str]) -> Mapping[str, PriorReport]:
        if self.none or not keys:
            return {}
        found: dict[str, PriorReport] = {}
        asked = {storable_key(key): key for key in keys}
        for among in _among(OutcomeRecord.dedup_key, list(asked)):
            rows = db.session.execute(
                select(OutcomeRecord.dedup_key, ActivityRecord.id, ActivityRecord.external_id, func.min(ActivityRecord.date))
                .join(ActivityRecord, OutcomeRecord.activity_id == ActivityRecord.id)
                .where(OutcomeRecord.plugin == plugin, among,
                       OutcomeRecord.superseded_at.is_(None), *self._activity_conditions())
                .group_by(OutcomeRecord.dedup_key, ActivityRecord.id, ActivityRecord.external_id)
            )
            for stored_key, activity_id, external_id, day in rows:
                key = asked[stored_key or ""]
                known = found.get(key)
                if known is None or (day, activity_id) < (known.date, known.activity_id):
                    found[key] = PriorReport(key, activity_id, external_id or f"#{activity_id}", day)
        return found

    def activities(self, kind: str, prefixes: Collection[str]) -> Sequence[PriorActivity]:
        if self.none or not prefixes:
            return ()
        wanted = sorted(set(prefixes))
        query = (
            select(ActivityRecord.id, ActivityRecord.external_id, ActivityRecord.date, ActivityRecord.subject,
                   ActivityRecord.fields, Organisation.credit_code, Organisation.name)
            .join(Organisation, ActivityRecord.organisation_id == Organisation.id)
            .where(ActivityRecord.kind == kind, ActivityRecord.subject.is_not(None), *self._activity_conditions())
        )
        # Many prefixes: every stored activity of the kind, in one query (the caller
        # matches what it reads; more rows than asked for is allowed, fewer never).
        batches = [(query, ())] if len(wanted) > _ALL_OF_KIND else [
            (query.where(or_(*(ActivityRecord.subject.like(_like_prefix(p), escape="\\") for p in chunk))), chunk)
            for chunk in (wanted[start:start + _LIKE_CHUNK] for start in range(0, len(wanted), _LIKE_CHUNK))
        ]
        seen: dict[int, PriorActivity] = {}
        for statement, chunk in batches:
            for activity_id, external_id, day, subject, fields, credit_code, name in db.session.execute(statement):
                # LIKE ignores case on SQLite: the prefixes decide, case and all.
                if activity_id in seen or (chunk and not any(subject.startswith(p) for p in chunk)):
                    continue
                seen[activity_id] = PriorActivity(activity_id, external_id or f"#{activity_id}", kind, day,
                                                  credit_code, name, subject, dict(fields or {}))
        return sorted(seen.values(), key=lambda a: (a.date, a.activity_id))
