"""The Flask-SQLAlchemy ``db`` object and database conventions.

Times are stored as naive UTC (``utcnow()``): SQLite keeps no time zone, and
one convention on both databases keeps comparisons honest. Constraint names
follow a fixed convention so Alembic migrations name them the same way on
SQLite and PostgreSQL.

SQLite connections get three fixes here, each for a fault seen in use:

- a database file (or its folder) that cannot be written is opened
  read-only (``mode=ro``; ``immutable=1`` when the folder cannot hold the
  WAL index either), so ``evaluate`` and ``params list`` still work on it
  and a write is refused by SQLite with "attempt to write a readonly
  database" instead of every connection failing to open;
- ``PRAGMA journal_mode=WAL`` is asked for only where it can be written;
- a SQLite without its JSON functions (``json_each``: built in since 3.38,
  an option before) is refused when the first connection opens, with one
  line naming the version, instead of a "no such table: json_each" in
  the middle of an import (the history queries need them);
- a SAVEPOINT opened outside a transaction first opens one. Python's
  ``sqlite3`` module (in its default, legacy transaction mode) begins a
  transaction only before INSERT/UPDATE/DELETE, so a SAVEPOINT as the first
  writing statement began SQLite's own transaction and its RELEASE
  *committed* it: a parameter version was committed before its audit entry.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, String, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase

from .storage import NAMING_CONVENTION

__all__ = ["MAX_ROW_ID", "NAMING_CONVENTION", "Base", "Model", "db", "not_indexed", "utcnow"]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

if TYPE_CHECKING:
    #: What mypy sees of ``db.Model``: the declarative base it is built on (an attribute is no base class to mypy).
    Model = Base
else:
    #: The base class of core's tables: Flask-SQLAlchemy's ``db.Model``. The admin's and the plugins'
    #: models have bases of their own (core/storage.py), outside core's migrations.
    Model = db.Model


#: The largest id a row can have: PostgreSQL's ``integer``, the type of every id column (SQLite's holds more).
#: An id from outside (a URL, a command line) beyond it is refused before it reaches the database, which
#: would otherwise raise (``OverflowError`` on SQLite, ``DataError`` on PostgreSQL).
MAX_ROW_ID = 2**31 - 1


def utcnow() -> datetime:
    """Now, as naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def not_indexed(column: Any) -> Any:
    """``column`` in a form no index serves (``col || ''``, ``col + 0``): keeps a planner off a bad index.

    SQLite keeps no statistics here, and given an indexed equality it takes
    that index even where another condition would find far fewer rows.
    """
    return column.concat("") if isinstance(column.type, String) else column + 0


#: Bytes of the database file SQLite reads through a memory map (``PRAGMA mmap_size``).
SQLITE_MMAP_SIZE = 1 << 30


def _is_sqlite(dbapi_connection: Any) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


def read_only_sqlite_uri(path: str) -> str | None:
    """The ``file:`` URI to open ``path`` read-only with, or ``None`` when it can be written.

    ``os.access`` answers for this process (file modes for a normal user, a
    read-only file system for everyone, root included). ``immutable=1``
    when the folder cannot hold the ``-shm`` WAL index: SQLite could not
    open a WAL database read-only otherwise, and nobody can write a
    database whose folder is read-only.
    """
    if not os.path.exists(path):
        return None
    folder = os.path.dirname(os.path.abspath(path)) or "."
    folder_writable = os.access(folder, os.W_OK)
    if os.access(path, os.W_OK) and folder_writable:
        return None
    uri = "file:" + quote(os.path.abspath(path)) + "?mode=ro"
    if not folder_writable and not os.path.exists(path + "-shm"):
        uri += "&immutable=1"
    return uri


@event.listens_for(Engine, "do_connect")
def _sqlite_read_only(dialect: Any, conn_rec: Any, cargs: list[Any], cparams: dict[str, Any]) -> None:
    if dialect.name != "sqlite" or not cargs or cparams.get("uri"):
        return
    filename = cargs[0]
    if not isinstance(filename, str) or filename == ":memory:" or filename.startswith("file:"):
        return
    uri = read_only_sqlite_uri(filename)
    if uri is not None:
        cargs[0] = uri
        cparams["uri"] = True


#: What a connection runs to find SQLite's JSON functions (a test replaces it with one that fails).
_JSON_PROBE = "SELECT count(*) FROM json_each('[1]')"
#: Whether this process's SQLite library passed the probe (it is one library for every connection).
_json_found = False


def _require_json(cursor: Any, dbapi_connection: Any) -> None:
    """Refuse a SQLite library without its JSON functions, in one line a user can act on."""
    global _json_found
    if _json_found:
        return
    try:
        cursor.execute(_JSON_PROBE)
        cursor.fetchall()
    except dbapi_connection.OperationalError:
        import sqlite3

        from .store.faults import DatabaseFault

        raise DatabaseFault(
            "unavailable",
            f"this Python's SQLite ({sqlite3.sqlite_version}) has no JSON functions (json_each), which "
            "stdpolicy's queries need: use a Python whose SQLite is 3.38 or newer, or PostgreSQL",
        ) from None
    _json_found = True


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    # Foreign keys are off by default in SQLite; WAL lets the admin's readers
    # work while an import writes.
    if _is_sqlite(dbapi_connection):
        cursor = dbapi_connection.cursor()
        _require_json(cursor, dbapi_connection)
        cursor.execute("PRAGMA foreign_keys=ON")
        try:
            # A no-op on a database already in WAL mode, also when read-only.
            cursor.execute("PRAGMA journal_mode=WAL")
        except dbapi_connection.OperationalError:  # read-only, and not in WAL mode: stays as it is
            pass
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_SIZE}")
        cursor.close()


@event.listens_for(Engine, "savepoint")
def _sqlite_begin_before_savepoint(conn: Connection, name: str | None) -> None:
    dbapi_connection: Any = conn.connection.dbapi_connection
    if _is_sqlite(dbapi_connection) and not dbapi_connection.in_transaction:
        conn.exec_driver_sql("BEGIN")
