"""Bulk inserts: many rows into one table, in the current transaction, stored exactly as an INSERT stores them.

An import stores 100,000 activities and as many outcomes. SQLAlchemy's
``insert()`` with a list of dicts builds and binds every row in Python
(``insertmanyvalues``), which was most of an import's storing time. Here:

- **PostgreSQL**: one ``COPY … FROM STDIN`` through psycopg
  (``cursor.copy``), rows written with ``write_row``; the ids the caller
  needs are reserved beforehand from the table's sequence (``nextval``, one
  query for all of them) and written explicitly, so they are known without
  ``RETURNING`` and no other writer can be given them;
- **SQLite**: one ``executemany`` of a plain positional ``INSERT`` through
  the connection (``exec_driver_sql``: no per-row compilation, the engine's
  events still fire), with a larger page cache while it runs and, from
  5,000 rows, the append-only table's replace guard lifted inside the
  transaction (``_lift_replace_guard``); ids, when
  wanted, are the next ones after the table's largest, as SQLite itself
  gives them (the caller holds the database's write lock: SQLite has one
  writer, and a clash would fail the statement, never mislink a row).

Rows may come from a generator (``import_records`` gives them so): each row
is built while the server stores those before it. A COPY waits on the
server's work (indexes, foreign-key checks), so building 100,000 rows
beforehand added 0.4 s to an import's wall time; built as they are sent they
cost none.

Both run on the session's own connection and transaction: nothing is
committed here, so a failure (or ``kill -9``) stores none of the rows, as
before. Each value goes through its column type's own bind processor for
the dialect — the same functions ``insert()`` applies — so JSON columns get
the same text (``None`` → JSON ``null`` as SQLAlchemy stores it), and dates
and times the same form; a test compares the stored rows of both paths.
Column defaults are not applied: a row must give every column the table
needs (as the callers always did).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import suppress
from itertools import islice
from typing import Any, cast

from sqlalchemy import JSON, Table
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from ..db import db
from ..jsontext import dumps

__all__ = ["insert_rows", "refresh_statistics", "reserve_ids"]

#: Rows bound at a time on SQLite (bounds the memory of the converted rows, not the transaction).
_SQLITE_BATCH = 20_000
#: SQLite's page cache while a bulk insert runs (``PRAGMA cache_size``, negative: KiB), then set back.
#: The default 2 MiB made every index insert of 100,000 rows re-read its B-tree pages: 128 MiB
#: halved the inserts' CPU time (2.4 → 1.1 s for the activities). Memory only: durability is the same.
_SQLITE_CACHE = -131_072


def insert_rows(model: Any, rows: Sequence[Mapping[str, Any]] | Iterable[Sequence[Any]], *,
                returning_ids: bool = False, columns: Sequence[str] | None = None) -> list[int]:
    """Insert ``rows`` into ``model``'s table.

    :param model: a mapped class (``OutcomeRecord``) or a ``Table``.
    :param rows: dicts of column values, all with the same keys; or, with
        ``columns``, tuples of the values of those columns in that order
        (no dict to build and look up per row: 100,000 rows are bound here).
        Tuples may come from a generator: each row is then built as it is
        sent, while PostgreSQL stores the rows before it (COPY is bound by
        the server's work, so building the rows there costs no time).
    :param returning_ids: also return the new rows' ids, in the order of
        ``rows`` and increasing (``rows`` must then not give ``id``). For
        rows from a generator, reserve the ids first (``reserve_ids``) and
        give them as the ``id`` column.
    :param columns: the column names of tuple ``rows``.
    :returns: the ids when ``returning_ids``, else an empty list.
    """
    table: Table = model if isinstance(model, Table) else model.__table__
    values: Iterable[Sequence[Any]]
    if columns is None:
        dict_rows = cast(Sequence[Mapping[str, Any]], rows)
        if not dict_rows:
            return []
        names = list(dict_rows[0])
        values = [tuple(row[name] for name in names) for row in dict_rows]
    else:
        names = list(columns)
        values = cast(Iterable[Sequence[Any]], rows)
    ids: list[int] = []
    if returning_ids:
        if "id" in names:
            raise ValueError("insert_rows: the rows give their own ids; returning_ids reserves them")
        values = list(values)
        if not values:
            return []
        ids = reserve_ids(table, len(values))
        names = ["id", *names]
        values = [(i, *row) for i, row in zip(ids, values)]
    connection = db.session.connection()
    dialect = connection.dialect
    sent = _sent(connection)
    convert = _converter([_bind_processor(table.c[name], dialect, sent) if name != "id" else None for name in names])
    if dialect.name == "postgresql":
        _copy(connection, table, names, map(convert, values))
    else:
        statement = (f"INSERT INTO {_quoted(connection, table.name)} ({', '.join(_quoted(connection, n) for n in names)}) "
                     f"VALUES ({', '.join('?' for _ in names)})")
        raw: Any = connection.connection.dbapi_connection
        previous = raw.execute("PRAGMA cache_size").fetchone()[0]
        raw.execute(f"PRAGMA cache_size = {_SQLITE_CACHE}")
        guard: str | None = None
        try:
            converted = map(convert, values)
            while batch := list(islice(converted, _SQLITE_BATCH)):
                if guard is None and len(batch) >= _GUARD_ROWS:
                    guard = _lift_replace_guard(raw, table.name)
                connection.exec_driver_sql(statement, batch)
        except BaseException:
            # The caller rolls the transaction back, the drop with it; the guard is put back first all
            # the same, unless SQLite has rolled back already (a full disk): the trigger is there again.
            if guard is not None and raw.in_transaction:
                with suppress(raw.Error):  # the insert's own error is the one to report
                    raw.execute(guard)
            raise
        else:
            if guard is not None:
                raw.execute(guard)
        finally:
            raw.execute(f"PRAGMA cache_size = {int(previous)}")
    return ids


#: Rows from which a bulk insert on SQLite lifts its table's replace guard while it runs (``_lift_replace_guard``).
_GUARD_ROWS = 5_000


def _lift_replace_guard(raw: Any, table: str) -> str | None:
    """Drop ``table``'s ``<table>_no_replace`` trigger inside the open transaction; its SQL, to be run again after.

    The append-only tables refuse ``INSERT OR REPLACE`` with a BEFORE INSERT
    trigger (migration 0005), which SQLite runs for every row inserted: 0.8 s
    of an import of 100,000 records, for its 106,000 outcomes. The plain
    INSERT here cannot replace a row (a taken key fails it), so the trigger
    is dropped and the very same SQL puts it back before ``insert_rows``
    returns, in the same transaction: SQLite's schema is transactional, so no
    other connection ever sees the table without it (readers keep the
    committed schema, and SQLite has one writer), and a rollback or a
    ``kill -9`` restores it with everything else. ``None`` (nothing dropped)
    outside a transaction, where the drop would be committed at once, and
    for a table without the trigger.
    """
    if not raw.in_transaction:
        return None
    name = f"{table}_no_replace"
    row = raw.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ? AND tbl_name = ?",
                      (name, table)).fetchone()
    if row is None or not row[0]:
        return None
    raw.execute(f'DROP TRIGGER "{name}"')
    return str(row[0])


#: Rows PostgreSQL samples a column from for ``refresh_statistics`` (``default_statistics_target`` × 300):
#: enough to choose plans by, a tenth of the default's time (56 ms for 100,000 activities and their outcomes).
_QUICK_STATISTICS_TARGET = 10


def refresh_statistics(models: Sequence[Any]) -> None:
    """Have PostgreSQL sample the tables of ``models`` again, in this transaction; elsewhere nothing.

    Called after a bulk insert that grew them much: until autovacuum's next
    ``ANALYZE`` (a minute or more later) the planner would believe the rows
    are not there, and read a register of 100,000 a whole table at a time
    (evaluating 3 records against it: 0.48 s, 0.04 s with statistics). The
    sample is small; autovacuum's own analysis replaces it later. SQLite
    keeps no statistics unless asked to, and its plans here are chosen
    without them.
    """
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        return
    tables = ", ".join(_quoted(connection, (m if isinstance(m, Table) else m.__table__).name) for m in models)
    connection.exec_driver_sql(f"SET LOCAL default_statistics_target = {_QUICK_STATISTICS_TARGET}")
    connection.exec_driver_sql(f"ANALYZE {tables}")
    connection.exec_driver_sql("RESET default_statistics_target")


def reserve_ids(model: Any, count: int) -> list[int]:
    """``count`` new ids for ``model``'s table (a mapped class or a ``Table``), increasing, that no other row
    has or will be given: to be given as the ``id`` column of rows ``insert_rows`` then stores.

    PostgreSQL: from the table's sequence (never given again, even if the
    transaction rolls back). SQLite: the next ones after the table's largest,
    as SQLite itself gives them; the caller holds the database's write lock
    (SQLite has one writer, and a clash would fail the insert, never mislink
    a row).
    """
    table: Table = model if isinstance(model, Table) else model.__table__
    return _reserve_ids(db.session.connection(), table, count) if count > 0 else []


def _converter(processors: list[Callable[[Any], Any] | None]) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """A function giving a row's values as the driver is to receive them (``processors``: one per column, or ``None``)."""
    converting = [(i, _by_identity(p)) for i, p in enumerate(processors) if p is not None]
    if not converting:
        return tuple

    def convert(row: Sequence[Any]) -> tuple[Any, ...]:
        values = list(row)
        for i, process in converting:
            values[i] = process(values[i])
        return tuple(values)

    return convert


#: A value every JSON column's processor must turn into ``jsontext.dumps``' text before it is trusted to.
_PROBE = {"text": "中文 \u2028\"\\", "list": [1, -2, 10**20, 0.5, 1e16, True, None], "nested": {"b": [], "a": {}}}


def _bind_processor(column: Any, dialect: Any, sent: Callable[[Any], Any]) -> Callable[[Any], Any] | None:
    """The column type's own bind processor for ``dialect``; for a JSON column, one that writes the same text faster.

    A JSON column's processor applies ``json.dumps`` (no serializer configured on the
    engine, checked on a probe) — on SQLite itself, on PostgreSQL through psycopg's
    ``Json`` wrapper, which COPY dumps with ``json.dumps``: a dict or a list (an
    activity's fields, an outcome's details) is then written by ``jsontext.dumps``,
    the same encoder built once (COPY sends the text, the server reads it as the
    wrapper's); anything else (``None``, ``JSON.NULL``, a scalar) by the type's
    processor, as before.
    """
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    if (process is None or not isinstance(column.type, JSON) or getattr(dialect, "_json_serializer", None) is not None
            or sent(process(_PROBE)) != dumps(_PROBE)):
        return process

    def write(value: Any, _process: Callable[[Any], Any] = process) -> Any:
        kind = type(value)
        return dumps(value) if kind is dict or kind is list else _process(value)

    return write


def _sent(connection: Connection) -> Callable[[Any], Any]:
    """The text a bound value is sent as: itself (SQLite); on PostgreSQL, as COPY's text format dumps it."""
    if connection.dialect.name != "postgresql":
        return lambda bound: bound
    from psycopg.adapt import PyFormat

    adapters = connection.connection.dbapi_connection.adapters  # type: ignore[union-attr]

    def sent(bound: Any) -> Any:
        data = adapters.get_dumper(type(bound), PyFormat.TEXT)(type(bound)).dump(bound)
        return bytes(data).decode("utf-8") if data is not None else None

    return sent


def _by_identity(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``process``, converting each object once: rows share values (the import's one ``now``, ``None``).

    Keyed by ``id()``, with the object kept alive beside its result so that no
    other object can take its id while the rows are converted (the rows are
    not changed meanwhile).
    """
    done: dict[int, tuple[Any, Any]] = {}

    def convert(value: Any) -> Any:
        found = done.get(id(value))
        if found is None:
            found = done[id(value)] = (value, process(value))
        return found[1]

    return convert


def _reserve_ids(connection: Connection, table: Table, count: int) -> list[int]:
    """``count`` new ids for ``table``, increasing, that no other row has or will be given."""
    name = _quoted(connection, table.name)
    if connection.dialect.name == "postgresql":
        # The sequence's name looked up once: in the select list it was looked up for every id (0.25 s of 0.28 s
        # for 100,000). Sent as a parameter and cast once; the server substitutes it before planning.
        sequence = connection.exec_driver_sql(f"SELECT pg_get_serial_sequence('{name}', 'id')").scalar()
        found = connection.exec_driver_sql(
            "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", (sequence, int(count))
        ).scalars().all()
        return sorted(found)
    largest = connection.exec_driver_sql(f"SELECT COALESCE(MAX(id), 0) FROM {name}").scalar() or 0
    return list(range(largest + 1, largest + 1 + count))


def _copy(connection: Connection, table: Table, names: list[str], rows: Iterable[Sequence[Any]]) -> None:
    """``COPY table (names) FROM STDIN`` of ``rows`` (converted), on the session's psycopg connection."""
    raw: Any = connection.connection.dbapi_connection
    statement = f"COPY {_quoted(connection, table.name)} ({', '.join(_quoted(connection, n) for n in names)}) FROM STDIN"
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            write = copy.write_row
            for row in rows:
                write(row)
    except connection.dialect.loaded_dbapi.Error as exc:
        # As SQLAlchemy wraps a driver error (core.store.faults classifies DBAPIError by its ``orig``).
        raise DBAPIError.instance(statement, None, exc, connection.dialect.loaded_dbapi.Error,
                                  dialect=connection.dialect) from exc


def _quoted(connection: Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote(name)
