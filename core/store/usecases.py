"""The writing use cases: each owns its transaction, its writer lock and its audit entry.

The command line and the admin call these, never the store functions below
them directly, so both get the same guarantees:

- one transaction for the change and its audit entry: both are stored, or
  neither (a failing audit write leaves no parameter version behind);
- the writer lock (``core.store.locking``) taken before anything the change
  is computed from is read, so a stored outcome reflects the parameters and
  enablements in force when its use case committed; a use case that cannot
  get the lock in time fails with ``WriterBusy`` and stores nothing;
- any database error rolls the whole use case back; the caller turns it
  into a clear message (``core.store.faults``).

An import is validated before the lock is taken (validation is most of its
time, and readers must not wait for it); under the lock the parameters are
compared with those it was validated against, and it is validated again if
a version was recorded in between.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import func, select

from ..db import db
from ..models import Department, ParameterVersionRecord
from ..parameters import ParameterVersion
from ..registry import Registry
from .activities import ImportResult, ReevaluationResult, import_records, reevaluate
from .departments import ensure_departments, set_enabled
from .locking import writing
from .parameters import load_defaults, record_version, resolver
from .permissions import set_owner, set_permitted

__all__ = [
    "change_owner",
    "import_activities",
    "parameter_state",
    "permit_plugin",
    "record_parameter",
    "reevaluate_outcomes",
    "seed",
    "switch_plugin",
]


def parameter_state() -> tuple[int, int]:
    """(count, highest id) of the parameter versions: changes whenever one is recorded (they are append-only)."""
    count, highest = db.session.execute(
        select(func.count(), func.coalesce(func.max(ParameterVersionRecord.id), 0))
    ).one()
    return int(count), int(highest)


def import_activities(
    registry: Registry,
    records: Iterable[Any],
    *,
    source: str,
    actor: str,
    department: Department | None = None,
) -> ImportResult:
    """Validate ``records`` and, if all are valid, store the new ones with their outcomes (committed).

    Invalid records: nothing stored, ``result.ok`` is false. Otherwise the
    activities, their outcomes, new organisations and name changes, and the
    audit entry are committed together.
    """
    if not isinstance(records, list):  # a list (``core.interchange.Records``) keeps where each record was
        records = list(records)
    state = parameter_state()
    report = registry.validate(records, resolver(registry))
    if report.invalid:
        db.session.rollback()
        return ImportResult(report)
    with writing("import"):
        if parameter_state() != state:
            report = None  # a parameter version was recorded meanwhile: validate again under the lock
        return import_records(registry, records, source=source, actor=actor, department=department, report=report)


def reevaluate_outcomes(registry: Registry, *, actor: str, since: date | None = None) -> ReevaluationResult:
    """Recompute stored outcomes with the parameters and enablements in force now (committed)."""
    with writing("re-evaluate"):
        return reevaluate(registry, actor=actor, since=since)


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
    """Validate and store a new version of ``key`` with its audit entry (committed).

    ``department`` is the one the audit entry names (the acting user's, or
    the plugin's owner); who may record is checked by the callers
    (``webadmin.access.may_manage``). Raises what ``record_version`` raises
    (``UnknownParameter``, marshmallow's ``ValidationError``,
    ``ParameterConflict``), with nothing stored.
    """
    with writing("record a parameter version"):
        return record_version(registry, key, data, actor=actor, source=source, based_on=based_on,
                              department=department)


def switch_plugin(department: Department, plugin: str, enabled: bool, actor: str) -> bool:
    """Switch ``plugin`` on or off for ``department`` (audited, committed); ``False`` if nothing changed."""
    with writing("switch a plugin"):
        return set_enabled(department, plugin, enabled, actor)


def permit_plugin(department: Department, plugin: str, allowed: bool, actor: str) -> bool:
    """Permit or forbid ``department`` to switch ``plugin`` on (audited, committed; forbidding switches it off).

    ``False`` if nothing changed. Whether the user is a city administrator is checked by the callers.
    """
    with writing("permit a plugin"):
        return set_permitted(department, plugin, allowed, actor)


def change_owner(plugin: str, department: Department | None, actor: str) -> bool:
    """Make ``department`` (``None``: nobody) the owner of ``plugin`` (audited, committed); ``False`` if it was."""
    with writing("change a plugin's owner"):
        return set_owner(plugin, department, actor)


def seed(registry: Registry, actor: str) -> list[str]:
    """What ``stdpolicy init`` stores: departments and parameter defaults (committed). One line per change.

    Departments first: a shipped value's audit entry names its plugin's owner.
    """
    with writing("initialise the database"):
        departments = ensure_departments(registry, actor)
        return [*departments, *(f"parameter default: {line}" for line in load_defaults(registry, actor))]
