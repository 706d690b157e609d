"""One activity of the register, with its current and superseded outcomes."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ...db import db
from ...models import ActivityRecord, Department, Organisation, OutcomeRecord, ParameterVersionRecord
from ...registry import Registry
from .scope import visible_kinds

__all__ = ["ActivityDetail", "activity_detail", "version_numbers"]


@dataclass
class ActivityDetail:
    record: ActivityRecord
    organisation: Organisation
    department: Department | None
    #: Current outcomes of the plugins the department sees, in computing order.
    current: list[OutcomeRecord]
    #: Superseded outcomes of those plugins, most recently superseded first.
    superseded: list[OutcomeRecord]
    #: Parameter version id → its number within its key, for every version the outcomes read.
    sequences: dict[int, int] = field(default_factory=dict)

    @property
    def amount(self) -> int:
        return sum(o.amount for o in self.current)

    def sequence(self, parameter: dict[str, Any]) -> int | None:
        """The number users see for a parameter version an outcome read (``None``: a shipped or proposed value).

        Outcomes stored before the number travelled with them carry only the database id.
        """
        if parameter.get("sequence") is not None:
            return int(parameter["sequence"])
        version = parameter.get("version_id")
        return None if version is None else self.sequences.get(int(version))


def version_numbers(ids: Collection[int] | None = None) -> dict[int, int]:
    """Parameter version id → its number within its key (of ``ids``, or of every version: a few hundred rows)."""
    query = select(ParameterVersionRecord.id, ParameterVersionRecord.sequence)
    if ids is not None:
        if not ids:
            return {}
        query = query.where(ParameterVersionRecord.id.in_(list(ids)))
    return {version_id: sequence for version_id, sequence in db.session.execute(query)}


def activity_detail(registry: Registry, plugins: Collection[str], activity_id: int) -> ActivityDetail | None:
    """An activity and its outcomes; ``None`` if it does not exist or ``plugins`` do not declare its kind."""
    # The activity with its organisation: one statement (the page shows both).
    record = db.session.get(ActivityRecord, activity_id, options=[joinedload(ActivityRecord.organisation)])
    if record is None or record.kind not in visible_kinds(registry, plugins):
        return None
    names = [name for name in registry.plugins if name in plugins]
    outcomes = list(db.session.scalars(
        select(OutcomeRecord)
        .where(OutcomeRecord.activity_id == record.id, OutcomeRecord.plugin.in_(names))
        .order_by(OutcomeRecord.id)
    ))
    current = [o for o in outcomes if o.superseded_at is None]
    superseded = sorted((o for o in outcomes if o.superseded_at is not None),
                        key=lambda o: (o.superseded_at, o.id), reverse=True)
    department = db.session.get(Department, record.department_id) if record.department_id is not None else None
    missing = {int(p["version_id"]) for o in outcomes for p in o.parameters or ()
               if p.get("version_id") is not None and p.get("sequence") is None}
    return ActivityDetail(record, record.organisation, department, current, superseded, version_numbers(missing))
