"""Values computed from stored outcomes, kept until the next evaluation run.

Outcomes are append-only (database triggers), and only evaluation runs
(imports, re-evaluations) add activities or outcomes or supersede them. So
the id of the latest run tells exactly when such a value may have changed:
a value keyed on it is never stale. The dashboard's figures and the
register's "paid only" count use this.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import func, select

from ..db import db
from ..models import EvaluationRun

__all__ = ["RunCache"]

T = TypeVar("T")


class RunCache:
    """A bounded cache keyed on (database, scope, latest evaluation run)."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._values: OrderedDict[tuple[str, Hashable, int | None], Any] = OrderedDict()

    def get(self, scope: Hashable, compute: Callable[[], T]) -> T:
        """The value for ``scope``, computed again only after a new evaluation run."""
        key = (db.engine.url.render_as_string(hide_password=True), scope,
               db.session.scalar(select(func.max(EvaluationRun.id))))
        try:
            return self._values[key]
        except KeyError:
            pass
        value = self._values[key] = compute()
        while len(self._values) > self.size:
            try:
                self._values.popitem(last=False)
            except KeyError:  # another thread emptied it
                break
        return value
