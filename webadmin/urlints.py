"""Integers from URLs — row ids, version and page numbers — within what the databases store.

``/activities/999999999999999999999999999999`` used to reach the database
as an id SQLite cannot bind (``OverflowError``) and PostgreSQL's ``integer``
column refuses (``DataError``): a 500 or a 503 for a mistyped or crafted
address. So every integer the admin reads from a URL is bounded here:

- path segments: the application's ``int`` converter is ``RowIdConverter``
  (0 to ``MAX_ROW_ID`` unless a route says otherwise): an id beyond it does
  not match the route, and the answer is a plain 404;
- query arguments: ``int_arg`` and ``int_args`` read them, and a value that is
  not a whole number in range counts as absent (the page's default).
"""

from __future__ import annotations

from typing import Any

from flask import request
from werkzeug.routing import IntegerConverter, Map

from core.db import MAX_ROW_ID

__all__ = ["MAX_ROW_ID", "RowIdConverter", "int_arg", "int_args"]



class RowIdConverter(IntegerConverter):
    """``<int:…>`` bounded to ``0 … MAX_ROW_ID`` by default (``<int(max=…):…>`` still sets its own)."""

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = None,  # noqa: A002
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=MAX_ROW_ID if max is None else max,
                         signed=signed)


def _bounded(text: str, low: int, high: int) -> int | None:
    text = text.strip()
    # isdecimal, not isdigit: "²" and "①" are digits that int() refuses. 12 digits: beyond any bound, never slow.
    if not text or len(text) > 12 or not text.removeprefix("-").isdecimal():
        return None
    value = int(text)
    return value if low <= value <= high else None


def int_arg(name: str, default: Any = None, *, low: int = 0, high: int = MAX_ROW_ID) -> Any:
    """Query argument ``name`` as an integer in ``[low, high]``; ``default`` when absent or anything else."""
    raw = request.args.get(name)
    if raw is None:
        return default
    value = _bounded(raw, low, high)
    return default if value is None else value


def int_args(name: str, *, low: int = 0, high: int = MAX_ROW_ID) -> list[int]:
    """Every value of query argument ``name`` that is an integer in ``[low, high]`` (the others are left out)."""
    found = (_bounded(raw, low, high) for raw in request.args.getlist(name))
    return [value for value in found if value is not None]
