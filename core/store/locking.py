"""One writer at a time for the use cases whose results depend on each other.

An import evaluates with the parameters and enablements it reads; a
re-evaluation recomputes with them; a parameter version or a switch changes
them. Run side by side, an import could store outcomes computed with a
parameter that a concurrent ``params set`` replaced before the import
committed, and every command would report success (seen on PostgreSQL: a
later re-evaluation changed 145 outcomes). So these use cases take one
database-wide writer lock *before* they read anything they compute from,
and keep it until they commit:

- PostgreSQL: ``pg_advisory_xact_lock`` (released by COMMIT or ROLLBACK,
  also when the client dies), with ``lock_timeout`` bounding the wait;
- SQLite: ``BEGIN IMMEDIATE`` (the database's write lock), with
  ``busy_timeout`` bounding the wait.

After the wait (``STDPOLICY_LOCK_TIMEOUT`` seconds, default 30) the use
case fails with ``WriterBusy``: nothing stored, and a message that says
another import or re-evaluation is running. Readers never wait for it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from ..db import db
from .faults import WriterBusy

__all__ = ["DEFAULT_LOCK_TIMEOUT", "LOCK_KEY", "lock_timeout", "writing"]

log = logging.getLogger(__name__)

#: The advisory lock's key on PostgreSQL ("stdp" in ASCII): one lock for every writer use case.
LOCK_KEY = 0x73746470
#: Seconds a use case waits for the writer lock before it gives up.
DEFAULT_LOCK_TIMEOUT = 30.0


def lock_timeout() -> float:
    """The bounded wait: the app's ``STDPOLICY_LOCK_TIMEOUT``, the environment's, or 30 s."""
    value: object = None
    if has_app_context():
        value = current_app.config.get("STDPOLICY_LOCK_TIMEOUT")
    if value is None:
        value = os.environ.get("STDPOLICY_LOCK_TIMEOUT")
    try:
        seconds = float(value) if value not in (None, "") else DEFAULT_LOCK_TIMEOUT  # type: ignore[arg-type]
    except ValueError:
        seconds = DEFAULT_LOCK_TIMEOUT
    return max(0.0, seconds)


@contextmanager
def writing(use_case: str, *, lock: bool = True) -> Iterator[Connection]:
    """One transaction that holds the writer lock: committed at the end, rolled back on any error.

    The session must have no pending changes: whatever was read before is
    rolled back (a plain read transaction), so everything the body reads is
    read under the lock. Yields the session's connection.

    :param use_case: what the caller does, for the busy message ("import").
    :param lock: ``False`` for a use case nothing is computed from (a user,
        an API token): the same one transaction, committed or rolled back
        whole, without waiting for an import or re-evaluation.
    :raises WriterBusy: another writer kept the lock for the whole wait.
    """
    session = db.session
    if session.new or session.dirty or session.deleted:
        raise RuntimeError(f"{use_case}: a writing use case must start with no pending changes")
    session.rollback()
    try:
        connection = session.connection()
        if lock:
            _acquire(connection, use_case, lock_timeout())
        yield connection
        session.commit()
    except BaseException:
        _rollback()
        raise


def _acquire(connection: Connection, use_case: str, timeout: float) -> None:
    dialect = connection.dialect.name
    if dialect == "postgresql":
        # 0 would mean "wait for ever" to PostgreSQL: 1 ms is "do not wait".
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{max(1, round(timeout * 1000))}ms'")
        try:
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) == "55P03":  # lock_not_available
                raise WriterBusy(use_case, timeout) from exc
            raise
        connection.exec_driver_sql("SET LOCAL lock_timeout = DEFAULT")
    elif dialect == "sqlite":
        raw: Any = connection.connection.dbapi_connection  # sqlite3.Connection
        if raw.in_transaction:  # pragma: no cover - guarded by the rollback above
            raise RuntimeError(f"{use_case}: the SQLite connection is already in a transaction")
        previous = raw.execute("PRAGMA busy_timeout").fetchone()[0]
        raw.execute(f"PRAGMA busy_timeout = {round(timeout * 1000)}")
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except OperationalError as exc:
            if (getattr(exc.orig, "sqlite_errorcode", 0) & 0xFF) in (5, 6):  # SQLITE_BUSY, SQLITE_LOCKED
                raise WriterBusy(use_case, timeout) from exc
            raise
        finally:
            raw.execute(f"PRAGMA busy_timeout = {previous}")


def _rollback() -> None:
    try:
        db.session.rollback()
    except SQLAlchemyError:  # the connection itself is gone; the server rolls back
        log.warning("rollback failed", exc_info=True)
