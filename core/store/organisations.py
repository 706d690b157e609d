"""Organisations by credit code, created on import, and the history of their names.

The unified social credit code is an organisation's identity; its name may
change (a company renamed, a spelling corrected). A known code arriving
with another name is never dropped silently: the import preview and the
command's summary show it, the organisation's *current* name becomes the
name of the latest import that stored one of its activities (within a file,
the last such row), and every name is kept in ``organisation_names`` with
when it was first seen, the source file and the import's evaluation run.
Records skipped as already stored change nothing, so importing an old file
again never brings an old name back.

Two imports creating the same new organisation do not collide: the rows
are inserted with ``INSERT … ON CONFLICT DO NOTHING`` and then read back,
on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert as sa_insert
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..activities import Activity
from ..db import db, utcnow
from ..models import EvaluationRun, Organisation, OrganisationName

__all__ = ["NameChange", "NameRecord", "ensure_organisations", "incoming_names", "name_changes", "name_history"]

_CHUNK = 500


@dataclass(frozen=True)
class NameChange:
    """A known credit code arriving with a name other than its current one."""

    credit_code: str
    before: str | None
    after: str


@dataclass(frozen=True)
class NameRecord:
    """One name an organisation had: first seen when, from which source and import run."""

    name: str
    first_seen_at: datetime
    source: str
    run_id: int | None
    recorded_by: str
    current: bool


def incoming_names(activities: Iterable[Activity]) -> dict[str, list[str]]:
    """Per credit code, the names the records give, in the order given (the file's), each change once (A, A, B → A, B)."""
    names: dict[str, list[str]] = {}
    for activity in activities:
        seen = names.setdefault(activity.credit_code, [])
        if activity.organisation and (not seen or seen[-1] != activity.organisation):
            seen.append(activity.organisation)
    return names


def _stored(codes: Sequence[str]) -> dict[str, tuple[int, str | None]]:
    """credit code → (id, current name) of the stored organisations among ``codes``."""
    found: dict[str, tuple[int, str | None]] = {}
    for start in range(0, len(codes), _CHUNK):
        rows = db.session.execute(
            select(Organisation.credit_code, Organisation.id, Organisation.name)
            .where(Organisation.credit_code.in_(codes[start:start + _CHUNK]))
        )
        found.update((code, (org_id, name)) for code, org_id, name in rows)
    return found


def _changes(incoming: dict[str, list[str]], stored: dict[str, tuple[int, str | None]]) -> list[NameChange]:
    changes = []
    for code, names in incoming.items():
        if code not in stored:
            continue
        current = stored[code][1]
        for name in names:
            if name != current:
                if current is not None:  # a first name for a nameless organisation is no change
                    changes.append(NameChange(code, current, name))
                current = name
    return changes


def name_changes(activities: Iterable[Activity]) -> list[NameChange]:
    """The name changes storing ``activities`` would make (reads only: for previews)."""
    incoming = incoming_names(activities)
    return _changes(incoming, _stored(list(incoming)))


def _insert_ignoring_existing(rows: list[dict[str, object]]) -> None:
    """``INSERT … ON CONFLICT (credit_code) DO NOTHING``: a code another import created meanwhile is kept."""
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    insert: Callable[..., Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    for start in range(0, len(rows), 5000):
        statement = insert(Organisation).on_conflict_do_nothing(index_elements=["credit_code"])
        db.session.execute(statement, rows[start:start + 5000])


def ensure_organisations(
    activities: Sequence[Activity], *, source: str, actor: str, run: EvaluationRun | None,
) -> tuple[dict[str, int], list[NameChange]]:
    """The organisation id of each credit code in ``activities``, creating the new ones; and the name changes.

    A new organisation is created with the name of its last record that has
    one; a known one takes that name. Each name an organisation had not had
    just before is added to its name history (with ``source`` and ``run``).
    """
    incoming = incoming_names(activities)
    codes = list(incoming)
    before = _stored(codes)
    missing = [code for code in codes if code not in before]
    now = utcnow()
    _insert_ignoring_existing([
        {"credit_code": code, "name": incoming[code][-1] if incoming[code] else None, "region_code": code[2:8],
         "created_at": now}
        for code in missing
    ])
    after = {**before, **_stored(missing)}
    history: list[dict[str, object]] = []
    renamed: list[tuple[int, str]] = []
    for code, names in incoming.items():
        org_id, current = after[code]
        if code in before:
            known = current
        else:
            # Created here (its name is ours): its history starts now. Created by a
            # concurrent import with another name: ours are changes to that name.
            known = None if current == (names[-1] if names else None) else current
        for name in names:
            if name != known:
                history.append({"organisation_id": org_id, "name": name, "first_seen_at": now,
                                "source": source[:300], "run_id": run.id if run else None,
                                "recorded_by": actor[:100]})
                known = name
        if known is not None and known != current:
            renamed.append((org_id, known))
    for org_id, name in renamed:
        db.session.execute(update(Organisation).where(Organisation.id == org_id).values(name=name))
    if history:
        db.session.execute(sa_insert(OrganisationName), history)
    return {code: after[code][0] for code in codes}, _changes(incoming, before)


def name_history(organisation_id: int, current: Organisation | None = None) -> list[NameRecord]:
    """Every name the organisation had, oldest first; the last one is its current name.

    ``current``: the organisation, when the caller has it loaded (its name is not read again).
    """
    rows = db.session.execute(
        select(OrganisationName.name, OrganisationName.first_seen_at, OrganisationName.source,
               OrganisationName.run_id, OrganisationName.recorded_by)
        .where(OrganisationName.organisation_id == organisation_id)
        .order_by(OrganisationName.id)
    ).all()
    if current is not None and current.id == organisation_id:
        name_now = current.name
    else:
        name_now = db.session.scalar(select(Organisation.name).where(Organisation.id == organisation_id))
    last = len(rows) - 1
    return [NameRecord(name, seen, source, run_id, by, current=(n == last and name == name_now))
            for n, (name, seen, source, run_id, by) in enumerate(rows)]
