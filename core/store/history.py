"""One-time rewards already paid, as stored outcomes (``PaymentHistory``)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date

from sqlalchemy import and_, select

from ..db import db
from ..evaluation import PriorPayment
from ..models import ActivityRecord, OutcomeRecord
from ..outcomes import storable_key

__all__ = ["StoredHistory"]

_CHUNK = 500  # keys per IN (…): well under every database's parameter limit


class StoredHistory:
    """Current, paid outcomes with a ``dedup_key``.

    :param before: only activities dated before this day count (a
        re-evaluation from that day recomputes the rest).
    :param everything_reevaluated: nothing counts (a re-evaluation of all activities).
    """

    def __init__(self, *, before: date | None = None, everything_reevaluated: bool = False) -> None:
        self.before = before
        self.none = everything_reevaluated

    def paid(self, plugin: str, keys: Collection[str]) -> Mapping[str, PriorPayment]:
        if self.none or not keys:
            return {}
        found: dict[str, PriorPayment] = {}
        # A long key is stored shortened (core.outcomes.storable_key); answered by the key asked.
        asked = {storable_key(key): key for key in keys}
        keys = list(asked)
        for start in range(0, len(keys), _CHUNK):
            conditions = [
                OutcomeRecord.plugin == plugin,
                OutcomeRecord.dedup_key.in_(keys[start:start + _CHUNK]),
                OutcomeRecord.amount > 0,
                OutcomeRecord.superseded_at.is_(None),
            ]
            if self.before is not None:
                conditions.append(ActivityRecord.date < self.before)
            rows = db.session.execute(
                select(OutcomeRecord.dedup_key, OutcomeRecord.activity_id, OutcomeRecord.amount, OutcomeRecord.rule,
                       ActivityRecord.external_id, ActivityRecord.date)
                .join(ActivityRecord, OutcomeRecord.activity_id == ActivityRecord.id)
                .where(and_(*conditions))
                .order_by(ActivityRecord.date, ActivityRecord.id)
            )
            for stored_key, activity_id, amount, rule, external_id, day in rows:
                key = asked[stored_key or ""]
                if key not in found:  # the earliest payment is the one that counts
                    found[key] = PriorPayment(key, activity_id, external_id or f"#{activity_id}", day, amount, rule)
        return found
