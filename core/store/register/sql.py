"""Small SQL helpers of the register: LIKE patterns, keeping a planner off an index, counts, dates."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.sql.elements import ColumnElement

from ...db import db, not_indexed
from ...models import ActivityRecord
from ..runcache import RunCache

__all__ = ["as_date", "contains", "count_where", "like_escape", "not_indexed", "stored_count"]


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(column: Any, text: str) -> ColumnElement[bool]:
    """``column`` contains ``text``, ignoring ASCII case.

    SQLite's ``LIKE`` already ignores ASCII case and can scan a covering
    index; ``ilike`` would wrap both sides in ``lower()`` (three times slower
    there). PostgreSQL's ``LIKE`` is case-sensitive, so it gets ``ILIKE``.
    """
    pattern = f"%{like_escape(text)}%"
    if db.session.get_bind().dialect.name == "sqlite":
        return column.like(pattern, escape="\\")
    return column.ilike(pattern, escape="\\")



def count_where(*where: ColumnElement[bool]) -> int:
    """Stored activities matching ``where``."""
    return db.session.scalar(select(func.count()).select_from(ActivityRecord).where(*where)) or 0


# Counts that only an evaluation run can change, per database, until the next
# run (exact: core.store.runcache). The register's planner counts each
# filter's activities to choose a plan, and a page counts its list: 10 ms for
# the drafting kind's 85,000 index entries, 6-10 ms for the paid outcomes, on
# every such page at 100,000 activities.
_STORED_COUNTS = RunCache(size=512)


def stored_count(key: Hashable, count: Callable[[], int]) -> int:
    """``count()``, kept until the next evaluation run under ``key``.

    Only for counts of what nothing but a run changes: activities (their
    kinds, dates, organisations and the organisations' counties) and current
    outcomes. Not review decisions, which are recorded without a run.
    """
    return _STORED_COUNTS.get(key, count)


def as_date(value: Any) -> date:
    """A date as SQLite or PostgreSQL returns it (a date, a datetime, or ISO text)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
