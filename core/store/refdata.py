"""Reference data versions in the database.

Versions are only ever added (``reference_versions``, their rows in
``reference_rows``; triggers refuse any change). Each gets the next
``sequence`` of its table; a save prepared against an older version
(someone recorded one in between) is refused as a conflict, and the unique
(table, sequence) constraint refuses the same race at the database. These
functions add to the current transaction; the use case
(``core.services.record_reference``) takes the writer lock and commits.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from marshmallow import Schema, fields, validate
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from ..activities import Location
from ..db import db, utcnow
from ..models import Department, ReferenceRowRecord, ReferenceVersionRecord
from ..refdata import (
    ReferenceResolver,
    ReferenceTable,
    ReferenceVersion,
    UnknownReferenceTable,
    VersionDiff,
    diff_rows,
    dump_row,
    load_rows,
)
from ..refdata.rows import key_json
from ..refdata.tables import shipped_rows
from ..refdata.versions import StoredRowsInvalid
from ..registry import Registry
from ..screening import clipped
from .audit import audit
from .permissions import plugin_owners

__all__ = [
    "ReferenceConflict",
    "RecordedReference",
    "latest_reference_sequence",
    "load_shipped_references",
    "outcomes_reading",
    "record_reference_version",
    "reference_resolver",
    "reference_state",
    "reference_table",
    "stored_reference_versions",
]

#: Where a version may come from when recorded by a user.
USER_SOURCES = ("cli", "admin", "import")


class ReferenceConflict(RuntimeError):
    """Someone recorded a version of the table after the one the save was based on."""

    def __init__(self, key: str, expected: int, found: int) -> None:
        super().__init__(
            f"{key}: version {found} was recorded after the version {expected} this change was based on; "
            "reload, review it, and record yours again"
        )
        self.key, self.expected, self.found = key, expected, found


@dataclass(frozen=True)
class RecordedReference:
    """A version just recorded, and how it differs from the latest version before it."""

    version: ReferenceVersion
    diff: VersionDiff
    previous: ReferenceVersion | None


def reference_table(registry: Registry, key: str) -> ReferenceTable:
    """The declared table ``key``; ``UnknownReferenceTable`` if no loaded plugin declares it."""
    try:
        return registry.reference_tables[key]
    except KeyError:
        raise UnknownReferenceTable(f"unknown reference table '{clipped(key)}'; `stdpolicy refdata list` shows the tables") from None


def _version(row: Any) -> ReferenceVersion:
    return ReferenceVersion(
        key=row["table_key"], sequence=row["sequence"], effective_from=row["effective_from"], reason=row["reason"],
        reference=row["reference"], recorded_by=row["recorded_by"], recorded_at=row["recorded_at"],
        source=row["source"], id=row["id"], row_count=row["row_count"], digest=row["digest"],
    )


def stored_reference_versions(registry: Registry, keys: Iterable[str] | None = None) -> list[ReferenceVersion]:
    """Stored versions (headers) of the declared tables (of ``keys``, or all)."""
    query = select(ReferenceVersionRecord.__table__)
    if keys is not None:
        query = query.where(ReferenceVersionRecord.table_key.in_(list(keys)))
    return [_version(row) for row in db.session.execute(query).mappings()
            if row["table_key"] in registry.reference_tables]  # a plugin no longer installed: kept, not used


def _load_rows(version_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    for start in range(0, len(version_ids), 500):
        rows = db.session.execute(
            select(ReferenceRowRecord.version_id, ReferenceRowRecord.data)
            .where(ReferenceRowRecord.version_id.in_(list(version_ids[start:start + 500])))
            .order_by(ReferenceRowRecord.version_id, ReferenceRowRecord.position)
        )
        for version_id, data in rows:
            found.setdefault(version_id, []).append(json.loads(data))
    return found


def reference_resolver(registry: Registry, believed_at: datetime | None = None) -> ReferenceResolver:
    """The reference tables as stored (as believed at ``believed_at``, if given); rows read when first opened."""
    return ReferenceResolver(registry.reference_tables, stored_reference_versions(registry),
                             believed_at=believed_at, load=_load_rows)


def reference_state() -> tuple[int, int]:
    """(count, highest id) of the stored versions: changes whenever one is recorded (they are append-only)."""
    count, highest = db.session.execute(
        select(func.count(), func.coalesce(func.max(ReferenceVersionRecord.id), 0))
    ).one()
    return int(count), int(highest)


def latest_reference_sequence(key: str) -> int:
    """The sequence number of the last recorded version of ``key`` (0: none)."""
    return int(db.session.scalar(
        select(func.coalesce(func.max(ReferenceVersionRecord.sequence), 0)).where(ReferenceVersionRecord.table_key == key)
    ) or 0)


_NOT_BLANK = validate.Regexp(r"\s*\S", error="Must not be blank.")
_VERSION_SCHEMA = Schema.from_dict({
    "effective_from": fields.Date(required=True),
    "reason": fields.String(required=True, validate=[_NOT_BLANK, validate.Length(max=2000)]),
    "reference": fields.String(required=True, validate=[_NOT_BLANK, validate.Length(max=500)]),
}, name="ReferenceVersion")()


def version_details(data: Mapping[str, Any]) -> dict[str, Any]:
    """``effective_from``, ``reason`` and ``reference`` of a new version, loaded (strings are fine);
    marshmallow's ``ValidationError`` naming the field otherwise."""
    given = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in data.items()
             if k in ("effective_from", "reason", "reference")}
    return _VERSION_SCHEMA.load(given)


def _digest(stored: Sequence[Mapping[str, Any]]) -> str:
    text = json.dumps(list(stored), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _insert(table: ReferenceTable, rows: Sequence[Mapping[str, Any]], *, sequence: int, effective_from: date,
            reason: str, reference: str, actor: str, source: str) -> ReferenceVersion:
    stored = [dump_row(table, row) for row in rows]
    record = ReferenceVersionRecord(
        table_key=table.key, sequence=sequence, effective_from=effective_from, reason=reason, reference=reference,
        recorded_by=actor, recorded_at=utcnow(), source=source, row_count=len(stored), digest=_digest(stored),
    )
    db.session.add(record)
    db.session.flush()
    keys = [key_json(table, tuple(row.get(name) for name in table.key_fields)) for row in stored]
    payload = [
        {"version_id": record.id, "position": n, "row_key": key,
         "data": json.dumps(row, ensure_ascii=False, sort_keys=True, separators=(",", ":"))}
        for n, (row, key) in enumerate(zip(stored, keys), start=1)
    ]
    for start in range(0, len(payload), 5000):
        db.session.execute(insert(ReferenceRowRecord), payload[start:start + 5000])
    return ReferenceVersion(
        key=table.key, sequence=record.sequence, effective_from=effective_from, reason=reason, reference=reference,
        recorded_by=actor, recorded_at=record.recorded_at, source=source, id=record.id, row_count=len(stored),
        digest=record.digest,
    )


def _latest(key: str) -> ReferenceVersion | None:
    row = db.session.execute(
        select(ReferenceVersionRecord.__table__).where(ReferenceVersionRecord.table_key == key)
        .order_by(ReferenceVersionRecord.sequence.desc()).limit(1)
    ).mappings().first()
    return _version(row) if row is not None else None


def record_reference_version(
    registry: Registry,
    key: str,
    rows: Sequence[Mapping[str, Any]],
    details: Mapping[str, Any],
    *,
    actor: str,
    source: str,
    based_on: int | None = None,
    department: Department | None = None,
    where: Sequence[Location] | None = None,
) -> RecordedReference:
    """Validate and store a new version of table ``key`` (not committed).

    :param rows: every row of the new version, as written (a file's cells,
        a form's fields) or typed; validated with the row schema, all or
        nothing: ``RowsInvalid`` names each row and field.
    :param details: ``effective_from``, ``reason``, ``reference``; a bad one
        raises marshmallow's ``ValidationError`` naming the field.
    :param based_on: the sequence number the submitter saw; if another version
        was recorded since, ``ReferenceConflict`` is raised and nothing stored.
    :param department: the department the audit entry names. Who may record
        is checked by the callers (``webadmin.access.may_manage``).
    :param where: where each row was (file rows and sheet), for the errors.
    """
    table = reference_table(registry, key)
    if source not in USER_SOURCES:
        raise ValueError(f"source must be one of {', '.join(USER_SOURCES)}")
    loaded_details = version_details(details)
    loaded = load_rows(table, rows, where=where)
    current = latest_reference_sequence(key)
    if based_on is not None and based_on != current:
        raise ReferenceConflict(key, based_on, current)
    previous = _latest(key)
    before_rows = None
    if previous is not None:
        try:
            before_rows = ReferenceResolver(registry.reference_tables, [previous], load=_load_rows).open(previous).rows
        except StoredRowsInvalid:  # a plugin update made the stored rows unreadable: this version is the way out
            before_rows = None
    diff = diff_rows(table, before_rows, loaded)
    try:
        with db.session.begin_nested():  # a failed insert rolls back only the savepoint
            version = _insert(table, loaded, sequence=current + 1, effective_from=loaded_details["effective_from"],
                              reason=loaded_details["reason"].strip(), reference=loaded_details["reference"].strip(),
                              actor=actor, source=source)
    except IntegrityError:
        raise ReferenceConflict(key, current, current + 1) from None
    audit(
        "refdata.version", actor, key, department=department,
        before=None if previous is None else {"sequence": previous.sequence,
                                              "effective_from": previous.effective_from.isoformat(),
                                              "rows": previous.row_count},
        after={"sequence": version.sequence, "effective_from": version.effective_from.isoformat(),
               "reason": version.reason, "reference": version.reference, "rows": version.row_count,
               "source": source, **{f"rows_{k}": v for k, v in diff.summary().items() if k != "unchanged"}},
    )
    return RecordedReference(version, diff, previous)


def load_shipped_references(registry: Registry, actor: str = "system", *, demo: bool = False) -> list[str]:
    """Store each shipped version not stored yet (by table, source, effective date and rows). Idempotent.

    With ``demo``, the sample versions too (source ``demo``). Raises
    ``ValueError`` naming the table, file, version, row and field when a
    shipped version does not fit its row schema (nothing is then stored:
    the caller's transaction rolls back).
    """
    done = []
    owners = plugin_owners(registry.plugins)
    existing = {
        (row.table_key, row.source, row.effective_from, row.digest)
        for row in db.session.execute(select(
            ReferenceVersionRecord.table_key, ReferenceVersionRecord.source, ReferenceVersionRecord.effective_from,
            ReferenceVersionRecord.digest,
        ).where(ReferenceVersionRecord.source.in_(("shipped", "demo"))))
    }
    for key, table in registry.reference_tables.items():
        chosen = table.shipped + (table.samples if demo else [])
        sequence = None
        for shipped in chosen:
            source = "demo" if shipped.demo else "shipped"
            try:
                rows = load_rows(table, shipped_rows(table, shipped))
            except ValueError as exc:
                raise ValueError(f"{shipped.where or key}: {exc}") from None
            digest = _digest([dump_row(table, row) for row in rows])
            if (key, source, shipped.effective_from, digest) in existing:
                continue
            sequence = (latest_reference_sequence(key) if sequence is None else sequence) + 1
            version = _insert(table, rows, sequence=sequence, effective_from=shipped.effective_from,
                              reason=shipped.stored_reason, reference=shipped.reference, actor=actor, source=source)
            audit("refdata.shipped" if source == "shipped" else "refdata.demo", actor, key,
                  department=owners.get(registry.reference_plugin[key]),
                  after={"sequence": version.sequence, "effective_from": version.effective_from.isoformat(),
                         "reference": version.reference, "rows": version.row_count, "source": source})
            done.append(f"{key} version {version.sequence} from {version.effective_from}"
                        f" ({version.row_count} rows{', sample data' if source == 'demo' else ''})")
        db.session.flush()
    return done


def rows_of(registry: Registry, version: ReferenceVersion) -> Sequence[dict[str, Any]]:
    """The typed rows of a stored version."""
    return ReferenceResolver(registry.reference_tables, [version], load=_load_rows).open(version).rows



def outcomes_reading(key: str) -> int:
    """How many current outcomes read a version of table ``key`` (re-evaluating them takes up a new version)."""
    from sqlalchemy import String, cast

    from ..models import OutcomeRecord

    needle = json.dumps({"key": key}, ensure_ascii=False)[1:-1]  # '"key": "quota.limits"', as the JSON column holds it
    return int(db.session.scalar(
        select(func.count()).select_from(OutcomeRecord)
        .where(OutcomeRecord.superseded_at.is_(None), OutcomeRecord.reference_data.is_not(None),
               cast(OutcomeRecord.reference_data, String).contains(needle, autoescape=True))
    ) or 0)
