"""Parameter versions: record one, preview what one would change, the reference a new one starts from.

``record_parameter`` is the only way a version is stored after
``stdpolicy init``: from ``stdpolicy params set`` and the admin's
Parameters page alike. It takes the writer lock (an import or a
re-evaluation computing with the old value must not commit after it),
stores the version and its audit entry in one transaction, and refuses a
version based on one that is no longer the latest.

``preview_parameter`` (what-if) evaluates the stored activities dated on or
after the proposed effective-from date twice with the plugin that owns the
parameter: once with the parameters as stored, once with the proposed
version added (``ParameterResolver.with_versions``). Both runs see the same
payment history (one-time rewards paid for activities dated before that
day), as a re-evaluation from that day would. Only the activities the
proposal can affect are evaluated (``core.store.incremental``); the others'
amounts come from the stored outcomes. Nothing is stored. The rules stay in
the plugins; this only adds up the amounts they return.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select

from ..db import db
from ..evaluation import EvaluationContext
from ..models import ActivityRecord, Department, OutcomeRecord, ParameterVersionRecord
from ..parameters import ParameterResolver, ParameterVersion, value_field
from ..registry import Registry
from ..store.activities import stored_activities
from ..store.history import StoredHistory
from ..store.incremental import Change, activities_by_id, proposal_scope
from ..store.locking import writing
from ..store.parameters import declaration, record_version, resolver
from ..store.permissions import plugin_owner
from ..store.refdata import reference_resolver, reference_state

__all__ = ["Preview", "default_reference", "first_in_force", "parameter_state", "preview_parameter", "record_parameter"]


def parameter_state() -> tuple[int, ...]:
    """(count, highest id) of the parameter versions and of the reference data versions: changes whenever
    either is recorded (they are append-only)."""
    count, highest = db.session.execute(
        select(func.count(), func.coalesce(func.max(ParameterVersionRecord.id), 0))
    ).one()
    return (int(count), int(highest), *reference_state())


def default_reference(registry: Registry, key: str, params: ParameterResolver | None = None) -> str:
    """The reference a new version of ``key`` starts from: the latest version's, else the declared clause.

    :raises UnknownParameter: no loaded plugin declares ``key``.
    """
    decl = declaration(registry, key)
    history = (params or resolver(registry)).history(key)
    return history[-1].reference if history else decl.clause


def first_in_force(registry: Registry, key: str, effective_from: date,
                   params: ParameterResolver | None = None) -> date | None:
    """The day ``key``'s first version takes effect, when ``effective_from`` is before it; else ``None``.

    A version dated before every other one most likely carries a slip of the
    year (2002 for 2022): the first versions are the policy's own start. It is
    not refused (a value may have held earlier), but the preview and
    ``params set`` say so.

    :raises UnknownParameter: no loaded plugin declares ``key``.
    """
    declaration(registry, key)
    history = (params or resolver(registry)).history(key)
    first = min((v.effective_from for v in history), default=None)
    return first if first is not None and effective_from < first else None


def record_parameter(
    registry: Registry,
    key: str,
    data: Mapping[str, Any],
    *,
    actor: str,
    source: str,
    based_on: int | None = None,
    department: Department | None = None,
) -> ParameterVersion:
    """Validate and store a new version of ``key`` with its audit entry, under the writer lock (committed).

    The arguments are ``core.store.record_version``'s; ``department``
    ``None`` names the plugin's owner in the audit entry. Who may record is
    checked by the callers (``webadmin.access.may_manage``). Raises what
    ``record_version`` raises, with nothing stored.
    """
    with writing("record a parameter version"):
        if department is None and key in registry.parameter_plugin:
            department = plugin_owner(registry.parameter_plugin[key])
        return record_version(registry, key, data, actor=actor, source=source, based_on=based_on,
                              department=department)


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
    #: The day the key's first version takes effect, when ``effective_from`` is before it (``first_in_force``).
    first_in_force: date | None = None

    @property
    def difference(self) -> int:
        """``new_total - current_total`` (negative: the change saves money)."""
        return self.new_total - self.current_total


def preview_parameter(registry: Registry, key: str, value: Any, effective_from: date, *,
                      incremental: bool = True) -> Preview:
    """What recording ``value`` for ``key`` from ``effective_from`` would change. Stores nothing.

    Only the activities the proposal can affect (``core.store.incremental``:
    those whose outcomes read the version in force on that day or a later
    one, with their whole evaluation groups) are evaluated, twice; the other
    activities' amounts are the same either way and are taken from the
    stored outcomes. That holds while the stored outcomes are what the stored
    parameters make them: when something recorded since is not re-evaluated
    yet, or the set cannot be told safely, every activity is evaluated, as
    ``incremental=False`` does.

    :param value: the proposed value, typed or as submitted (``"400000"``);
        it is loaded through the parameter's value field, so a bad value
        raises marshmallow's ``ValidationError``.
    :raises UnknownParameter: no loaded plugin declares ``key``.
    """
    decl = declaration(registry, key)
    plugin = registry.parameter_plugin[key]
    loaded = value_field(decl).deserialize(value)
    kinds = registry.plugins[plugin].evaluates

    stored = resolver(registry)
    proposed = stored.with_versions([ParameterVersion(
        key=key, value=loaded, effective_from=effective_from,
        reference="what-if", reason="preview", recorded_by="preview", source="preview",
    )])
    history = StoredHistory(before=effective_from)
    references = reference_resolver(registry)

    scope = proposal_scope(registry, [Change(key, effective_from)]) if incremental else None
    if scope is None:
        activities = stored_activities(kinds=kinds, since=effective_from)
        count, untouched = len(activities), 0
    else:
        activities = [a for a in activities_by_id(scope) if a.date >= effective_from and a.kind in kinds]
        count, untouched = _stored_amounts(plugin, kinds, effective_from, scope)
    before = registry.evaluate(activities, EvaluationContext(parameters=stored, history=history, references=references),
                               plugins=[plugin])
    after = registry.evaluate(activities, EvaluationContext(parameters=proposed, history=history, references=references),
                              plugins=[plugin])

    changed = sum(1 for activity in activities if before.amount(activity) != after.amount(activity))
    return Preview(
        key=key,
        plugin=plugin,
        value=loaded,
        effective_from=effective_from,
        activities=count,
        changed=changed,
        current_total=untouched + int(before.total_amount),
        new_total=untouched + int(after.total_amount),
        failures={**before.failures, **after.failures},
        first_in_force=first_in_force(registry, key, effective_from, stored),
    )


def _stored_amounts(plugin: str, kinds: Collection[str], since: date, evaluated: Collection[int]) -> tuple[int, int]:
    """(activities of ``kinds`` dated on or after ``since``; the plugin's current stored amount
    of those not in ``evaluated``)."""
    dated = (ActivityRecord.kind.in_(list(kinds)), ActivityRecord.date >= since)
    count = db.session.scalar(select(func.count()).select_from(ActivityRecord).where(*dated)) or 0
    total = db.session.scalar(
        select(func.coalesce(func.sum(OutcomeRecord.amount), 0))
        .join(ActivityRecord, OutcomeRecord.activity_id == ActivityRecord.id)
        .where(OutcomeRecord.superseded_at.is_(None), OutcomeRecord.plugin == plugin, *dated)
    ) or 0
    ids = sorted(evaluated)
    for start in range(0, len(ids), 500):
        total -= db.session.scalar(
            select(func.coalesce(func.sum(OutcomeRecord.amount), 0))
            .join(ActivityRecord, OutcomeRecord.activity_id == ActivityRecord.id)
            .where(OutcomeRecord.superseded_at.is_(None), OutcomeRecord.plugin == plugin, *dated,
                   OutcomeRecord.activity_id.in_(ids[start:start + 500]))
        ) or 0
    return int(count), int(total)
