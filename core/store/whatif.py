"""What-if: what a proposed parameter version would change in the stored activities.

``preview_version`` evaluates the stored activities dated on or after the
proposed effective-from date twice with the plugin that owns the parameter:
once with the parameters as stored, once with the proposed version added
(``ParameterResolver.with_versions``). Both runs see the same payment
history (one-time rewards paid for activities dated before that day), as a
re-evaluation from that day would. Nothing is stored; the caller's
transaction is left as it was.

The rules stay in the plugins; this module only loads activities and adds up
the amounts the plugin returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from ..db import db
from ..evaluation import EvaluationContext
from ..models import ActivityRecord, Organisation
from ..parameters import ParameterVersion, value_field
from ..registry import Registry
from .activities import to_activity
from .history import StoredHistory
from .parameters import UnknownParameter, resolver

__all__ = ["Preview", "preview_version"]


@dataclass(frozen=True)
class Preview:
    """The effect of recording ``value`` for ``key`` from ``effective_from`` on.

    Amounts are integer yuan, summed over the owning plugin's outcomes of
    the stored activities dated on or after ``effective_from``.
    """

    key: str
    plugin: str
    value: Any
    effective_from: date
    #: Stored activities of the plugin's kinds dated on or after ``effective_from``.
    activities: int
    #: Of those, the activities whose amount would change.
    changed: int
    #: Their total amount with the parameters as stored.
    current_total: int
    #: Their total amount with the proposed version added.
    new_total: int
    #: Plugins that raised during either evaluation: name → error.
    failures: dict[str, str] = field(default_factory=dict)

    @property
    def difference(self) -> int:
        """``new_total - current_total`` (negative: the change saves money)."""
        return self.new_total - self.current_total


def preview_version(registry: Registry, key: str, value: Any, effective_from: date) -> Preview:
    """What recording ``value`` for ``key`` from ``effective_from`` would change. Stores nothing.

    :param value: the proposed value, typed or as submitted (``"400000"``);
        it is loaded through the parameter's value field, so a bad value
        raises marshmallow's ``ValidationError``.
    :raises UnknownParameter: no loaded plugin declares ``key``.
    """
    decl = registry.parameters.get(key)
    if decl is None:
        raise UnknownParameter(f"unknown parameter {key!r}")
    plugin = registry.parameter_plugin[key]
    loaded = value_field(decl).deserialize(value)
    kinds = list(registry.plugins[plugin].kinds)

    activities = []
    if kinds:
        query = (
            select(ActivityRecord, Organisation.credit_code, Organisation.name)
            .join(Organisation, ActivityRecord.organisation_id == Organisation.id)
            .where(ActivityRecord.kind.in_(kinds), ActivityRecord.date >= effective_from)
            .order_by(ActivityRecord.date, ActivityRecord.id)
        )
        activities = [to_activity(record, code, name) for record, code, name in db.session.execute(query)]

    stored = resolver(registry)
    proposed = stored.with_versions([ParameterVersion(
        key=key, value=loaded, effective_from=effective_from,
        reference="what-if", reason="preview", recorded_by="preview", source="preview",
    )])
    history = StoredHistory(before=effective_from)
    before = registry.evaluate(activities, EvaluationContext(parameters=stored, history=history), plugins=[plugin])
    after = registry.evaluate(activities, EvaluationContext(parameters=proposed, history=history), plugins=[plugin])

    changed = sum(1 for activity in activities if before.amount(activity) != after.amount(activity))
    return Preview(
        key=key,
        plugin=plugin,
        value=loaded,
        effective_from=effective_from,
        activities=len(activities),
        changed=changed,
        current_total=int(before.total_amount),
        new_total=int(after.total_amount),
        failures={**before.failures, **after.failures},
    )
