"""Small SQL helpers of the register: LIKE patterns, keeping a planner off an index, counts, dates."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import String, func, select
from sqlalchemy.sql.elements import ColumnElement

from ...db import db
from ...models import ActivityRecord

__all__ = ["as_date", "contains", "count_where", "like_escape", "not_indexed"]


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


def not_indexed(column: Any) -> Any:
    """``column`` in a form no index serves (``col || ''``, ``col + 0``): keeps a planner off a bad index."""
    return column.concat("") if isinstance(column.type, String) else column + 0



def count_where(*where: ColumnElement[bool]) -> int:
    """Stored activities matching ``where``."""
    return db.session.scalar(select(func.count()).select_from(ActivityRecord).where(*where)) or 0


def as_date(value: Any) -> date:
    """A date as SQLite or PostgreSQL returns it (a date, a datetime, or ISO text)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
