"""Values computed from stored outcomes, kept until the next evaluation run.

Outcomes are append-only (database triggers), and only evaluation runs
(imports, re-evaluations) add activities or outcomes or supersede them. So
the id of the latest run tells exactly when such a value may have changed:
a value keyed on it is never stale. The dashboard's figures, the
register's "paid only" count and its totals (but for a review filter:
review decisions are recorded without a run) use this.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import event, func, select
from sqlalchemy.orm import ORMExecuteState, Session

from ..db import db
from ..models import EvaluationRun

__all__ = ["RunCache", "latest_run"]

T = TypeVar("T")


_LATEST = "stdpolicy.latest_run"


def latest_run() -> int | None:
    """The id of the latest evaluation run, read once per transaction of the session.

    A page asks several caches; one read serves them all. Kept in the
    session's ``info`` beside the transaction it was read in (a new
    transaction reads again), and forgotten when the session flushes (a run
    added through the ORM) or sends an INSERT, UPDATE or DELETE of its own.
    """
    session = db.session()
    memo = session.info.get(_LATEST)
    if memo is not None and memo[0] is session.get_transaction():
        return memo[1]
    value = session.scalar(select(func.max(EvaluationRun.id)))
    session.info[_LATEST] = (session.get_transaction(), value)
    return value


@event.listens_for(Session, "after_flush")
def _forget_after_flush(session: Session, _context: Any) -> None:
    session.info.pop(_LATEST, None)


@event.listens_for(Session, "do_orm_execute")
def _forget_on_writes(state: ORMExecuteState) -> None:
    if not state.is_select:
        state.session.info.pop(_LATEST, None)


class RunCache:
    """A bounded cache keyed on (database, scope, latest evaluation run)."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._values: OrderedDict[tuple[str, Hashable, int | None], Any] = OrderedDict()

    def get(self, scope: Hashable, compute: Callable[[], T]) -> T:
        """The value for ``scope``, computed again only after a new evaluation run."""
        key = (db.engine.url.render_as_string(hide_password=True), scope, latest_run())
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
