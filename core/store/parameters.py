"""Parameter versions in the database.

Versions are only ever added. Each gets the next ``sequence`` number of its
key; a save that was prepared against an older version (another
administrator recorded one in between) is refused as a conflict, and the
unique (key, sequence) constraint refuses the same race at the database.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..db import db, utcnow
from ..declarations import ParameterDeclaration
from ..models import Department, ParameterVersionRecord, ReferenceVersionRecord
from ..parameters import ParameterResolver, ParameterVersion, decode_value, encode_value, version_schema
from ..registry import Registry
from ..screening import clipped
from .audit import audit
from .permissions import plugin_owners

__all__ = [
    "ParameterConflict",
    "ParametersNotStored",
    "UnknownParameter",
    "declaration",
    "latest_sequence",
    "load_defaults",
    "record_version",
    "require_parameters",
    "resolver",
    "stored_versions",
    "unstored_parameters",
]


class UnknownParameter(LookupError):
    """No loaded plugin declares that key."""


class ParameterConflict(RuntimeError):
    """Someone recorded a version of the key after the one the save was based on."""

    def __init__(self, key: str, expected: int, found: int) -> None:
        super().__init__(
            f"{key}: version {found} was recorded after the version {expected} this change was based on; "
            "reload, review it, and record yours again"
        )
        self.key, self.expected, self.found = key, expected, found


class ParametersNotStored(RuntimeError):
    """Plugins that would evaluate have shipped parameters (or reference data) the database does not hold yet.

    A plugin installed after ``stdpolicy init`` ran: its evaluation would read
    no value and pay ¥0 everywhere, silently. ``missing`` is plugin → keys
    (parameter keys, then reference table keys).
    """

    def __init__(self, missing: Mapping[str, list[str]], *, tables: Collection[str] = ()) -> None:
        self.missing = dict(missing)
        #: True when reference tables are missing too (the admin's page says "parameters and reference data").
        self.tables = bool(tables)
        listed = "; ".join(f"{plugin} ({', '.join(keys)})" for plugin, keys in self.missing.items())
        what = "parameters and reference data" if tables else "parameters"
        super().__init__(f"the {what} of {listed} are not stored yet: run `stdpolicy init` "
                         "(it stores the values the plugins ship and changes nothing else)")


def unstored_parameters(registry: Registry, plugins: Collection[str] | None = None) -> dict[str, list[str]]:
    """Plugin → its parameters that ship values but have no stored version, then its reference tables that
    ship versions but have none stored (of ``plugins``; ``None``: all loaded)."""
    wanted = [key for key, decl in registry.parameters.items()
              if decl.defaults and (plugins is None or registry.parameter_plugin[key] in plugins)]
    tables = [key for key, table in registry.reference_tables.items()
              if table.shipped and (plugins is None or registry.reference_plugin[key] in plugins)]
    missing: dict[str, list[str]] = {}
    if wanted:
        stored = set(db.session.scalars(
            select(ParameterVersionRecord.key).where(ParameterVersionRecord.key.in_(wanted)).distinct()
        ))
        for key in wanted:
            if key not in stored:
                missing.setdefault(registry.parameter_plugin[key], []).append(key)
    if tables:
        stored = set(db.session.scalars(
            select(ReferenceVersionRecord.table_key).where(ReferenceVersionRecord.table_key.in_(tables)).distinct()
        ))
        for key in tables:
            if key not in stored:
                missing.setdefault(registry.reference_plugin[key], []).append(key)
    return missing


def require_parameters(registry: Registry, plugins: Collection[str] | None = None) -> None:
    """Raise ``ParametersNotStored`` unless every parameter and reference table ``plugins`` ship has a stored version."""
    missing = unstored_parameters(registry, plugins)
    if missing:
        tables = {key for keys in missing.values() for key in keys if key in registry.reference_tables}
        raise ParametersNotStored(missing, tables=tables)


def declaration(registry: Registry, key: str) -> ParameterDeclaration:
    """The declaration of ``key``; ``UnknownParameter`` when no loaded plugin declares it."""
    try:
        return registry.parameters[key]
    except KeyError:
        raise UnknownParameter(f"unknown parameter '{clipped(key)}'; `stdpolicy params list` shows the keys") from None


def stored_versions(registry: Registry, keys: Iterable[str] | None = None) -> list[ParameterVersion]:
    """Stored versions of the declared parameters (of ``keys``, or all)."""
    query = select(ParameterVersionRecord.__table__)
    if keys is not None:
        query = query.where(ParameterVersionRecord.key.in_(list(keys)))
    versions = []
    for row in db.session.execute(query).mappings():
        decl = registry.parameters.get(row["key"])
        if decl is None:  # a plugin that is no longer installed: kept, not used
            continue
        versions.append(ParameterVersion(
            key=row["key"], value=decode_value(decl, row["value"]), effective_from=row["effective_from"],
            reference=row["reference"], reason=row["reason"], recorded_by=row["recorded_by"],
            recorded_at=row["recorded_at"], source=row["source"], id=row["id"], sequence=row["sequence"],
        ))
    return versions


def resolver(registry: Registry, believed_at: datetime | None = None) -> ParameterResolver:
    """The parameters as stored (as believed at ``believed_at``, if given)."""
    return ParameterResolver(registry.parameters, stored_versions(registry), believed_at=believed_at)


def latest_sequence(key: str) -> int:
    """The sequence number of the last recorded version of ``key`` (0: none)."""
    return db.session.scalar(
        select(func.coalesce(func.max(ParameterVersionRecord.sequence), 0)).where(ParameterVersionRecord.key == key)
    ) or 0


def load_defaults(registry: Registry, actor: str = "system") -> list[str]:
    """Store each shipped value not stored yet (by key, date and value). Idempotent.

    The audit entries carry the department that owns each parameter's plugin.
    """
    done = []
    owners = plugin_owners(registry.plugins)
    existing = {
        (row.key, row.effective_from, row.value)
        for row in db.session.execute(select(
            ParameterVersionRecord.key, ParameterVersionRecord.effective_from, ParameterVersionRecord.value,
        ).where(ParameterVersionRecord.source == "default"))
    }
    for key, decl in registry.parameters.items():
        sequence = None
        for default in decl.defaults:
            text = encode_value(decl, default.value)
            if (key, default.effective_from, text) in existing:
                continue
            sequence = (latest_sequence(key) if sequence is None else sequence) + 1
            db.session.add(ParameterVersionRecord(
                key=key, sequence=sequence, value=text, effective_from=default.effective_from,
                reason="插件预置值 / shipped with the plugin", reference=default.reference,
                recorded_by=actor, source="default",
            ))
            audit("parameter.default", actor, key, department=owners.get(registry.parameter_plugin[key]),
                  after={"value": text, "effective_from": default.effective_from.isoformat(), "sequence": sequence})
            done.append(f"{key} = {default.value} from {default.effective_from}")
        db.session.flush()
    return done


def record_version(
    registry: Registry,
    key: str,
    data: Mapping[str, Any],
    *,
    actor: str,
    source: str,
    based_on: int | None = None,
    department: Department | None = None,
) -> ParameterVersion:
    """Validate and store a new version of ``key`` (not committed).

    :param data: ``value``, ``effective_from``, ``reason``, ``reference`` as
        submitted (strings are fine); loaded through the parameter's schema,
        so a bad value raises marshmallow's ``ValidationError`` naming the field.
    :param based_on: the sequence number the submitter saw; if another version
        was recorded since, ``ParameterConflict`` is raised and nothing stored.
    :param department: the department the audit entry names: the acting
        user's (the admin), or the plugin's owner (the command line). Who may
        record at all is checked by the callers (``webadmin.access.may_manage``).
    """
    decl = declaration(registry, key)
    loaded = version_schema(decl).load(dict(data))
    current = latest_sequence(key)
    if based_on is not None and based_on != current:
        raise ParameterConflict(key, based_on, current)
    previous = _latest(key)
    text = encode_value(decl, loaded["value"])
    record = ParameterVersionRecord(
        key=key, sequence=current + 1, value=text, effective_from=loaded["effective_from"],
        reason=loaded["reason"].strip(), reference=loaded["reference"].strip(),
        recorded_by=actor, recorded_at=utcnow(), source=source,
    )
    try:
        # Added inside the savepoint: if the insert fails, only the savepoint
        # rolls back and the caller's transaction stays usable.
        with db.session.begin_nested():
            db.session.add(record)
            db.session.flush()
    except IntegrityError:
        raise ParameterConflict(key, current, current + 1) from None
    audit(
        "parameter.version", actor, key, department=department,
        before=previous,
        after={"value": text, "effective_from": loaded["effective_from"].isoformat(), "sequence": record.sequence,
               "reason": record.reason, "reference": record.reference},
    )
    return ParameterVersion(
        key=key, value=loaded["value"], effective_from=record.effective_from, reference=record.reference,
        reason=record.reason, recorded_by=actor, recorded_at=record.recorded_at, source=source,
        id=record.id, sequence=record.sequence,
    )


def _latest(key: str) -> dict[str, Any] | None:
    """The latest recorded version of ``key`` as a plain dict (for the audit's "before")."""
    row = db.session.scalar(
        select(ParameterVersionRecord).filter_by(key=key).order_by(ParameterVersionRecord.sequence.desc()).limit(1)
    )
    if row is None:
        return None
    return {"value": row.value, "effective_from": row.effective_from.isoformat(), "sequence": row.sequence}

