"""Database faults, sorted into classes a user can act on.

Every command and the admin turn a database error into one of these: one
line saying what happened and what to do, and an exit status per class
(the command line) or a 503 page (the admin). The class decides the exit
status; 1 and 2 stay "some records invalid" and "unreadable input / not
set up":

======  ==========================================================
status  class
======  ==========================================================
3       ``unavailable``: the database cannot be reached or opened, or is busy
        (PostgreSQL down or refusing, a locked SQLite file, a deadlock,
        another import or re-evaluation holding the writer lock) —
        nothing was stored; try again, or start the server
4       ``refused``: the database refused the write (read-only file,
        file system or transaction, disk full, no permission, an
        append-only table) — nothing was stored; fix the cause first
======  ==========================================================

The classification reads the driver's own codes: SQLite's extended result
code (``sqlite3.Error.sqlite_errorcode``) and PostgreSQL's SQLSTATE
(``psycopg.Error.sqlstate``), never the wording of a message alone.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

__all__ = [
    "EXIT_REFUSED",
    "EXIT_UNAVAILABLE",
    "DatabaseFault",
    "WriterBusy",
    "classify",
]

EXIT_UNAVAILABLE = 3
EXIT_REFUSED = 4

FaultClass = Literal["unavailable", "busy", "refused"]

_EXIT = {"unavailable": EXIT_UNAVAILABLE, "busy": EXIT_UNAVAILABLE, "refused": EXIT_REFUSED}


class DatabaseFault(RuntimeError):
    """A database error a user can act on: what happened and what to do, in one line.

    :param fault: ``unavailable`` (cannot reach or open the database),
        ``busy`` (locked, deadlocked, another writer) or ``refused`` (the
        write was refused).
    """

    def __init__(self, fault: FaultClass, message: str) -> None:
        super().__init__(message)
        self.fault = fault
        self.message = message

    @property
    def exit_code(self) -> int:
        return _EXIT[self.fault]


class WriterBusy(DatabaseFault):
    """Another import, re-evaluation or parameter change held the writer lock for the whole wait."""

    def __init__(self, use_case: str, waited: float) -> None:
        super().__init__(
            "busy",
            f"another import, re-evaluation or parameter change is running (waited {waited:g} s to {use_case}); "
            "nothing was stored: try again when it has finished",
        )
        self.use_case = use_case
        self.waited = waited


# SQLite primary result codes (the low byte of the extended code).
_SQLITE = {
    3: ("refused", "the database refused access (permission denied): check the database file's owner and mode"),
    5: ("busy", "the database is locked by another process: nothing was stored; try again in a moment"),
    6: ("busy", "a table is locked by another connection: nothing was stored; try again in a moment"),
    8: ("refused", "the database is read-only (the file, its folder or the file system cannot be written): "
                   "nothing was stored; make it writable, or use a writable copy"),
    10: ("refused", "the disk refused a read or write (I/O error; a full or read-only disk?): nothing was stored; "
                    "check the disk and try again"),
    11: ("unavailable", "the database file is damaged: restore it from a backup"),
    13: ("refused", "the disk is full (or the database reached its size limit): nothing was stored; "
                    "free some space and try again"),
    14: ("unavailable", "the database file cannot be opened (missing folder, no permission, or a read-only folder "
                        "for a new database): check STDPOLICY_DATABASE_URL or STDPOLICY_INSTANCE_PATH"),
    23: ("refused", "the database refused access (not authorised)"),
    26: ("unavailable", "the database file is not a database: check STDPOLICY_DATABASE_URL"),
}

# PostgreSQL SQLSTATE: exact codes first, then the class (first two characters).
_POSTGRES = {
    "40P01": ("busy", "the database found a deadlock with another transaction: nothing was stored; try again"),
    "40001": ("busy", "another transaction changed the same rows (serialization failure): nothing was stored; "
                      "try again"),
    "55P03": ("busy", "a lock could not be taken in time (another transaction holds it): nothing was stored; "
                      "try again in a moment"),
    "57014": ("busy", "the database cancelled the statement (timeout or administrator): nothing was stored; "
                      "try again"),
    "57P01": ("unavailable", "the database server is shutting down: nothing was stored; try again when it is back"),
    "57P02": ("unavailable", "the database server crashed: nothing was stored; try again when it is back"),
    "57P03": ("unavailable", "the database server is starting up or not accepting connections: try again in a moment"),
    "53100": ("refused", "the database server's disk is full: nothing was stored; free some space and try again"),
    "53200": ("refused", "the database server is out of memory: nothing was stored; try again later"),
    "53300": ("unavailable", "the database server has too many connections: try again in a moment"),
    "25006": ("refused", "the database is read-only (a read-only transaction, database or standby server): "
                         "nothing was stored; use the primary server or make the database writable"),
    "42501": ("refused", "the database user may not do this (insufficient privilege): nothing was stored; "
                         "grant the privileges or use another user"),
    "28000": ("unavailable", "the database server refused the login: check the user in STDPOLICY_DATABASE_URL"),
    "28P01": ("unavailable", "the database server refused the password: check STDPOLICY_DATABASE_URL"),
    "3D000": ("unavailable", "the database does not exist on the server: create it, or check STDPOLICY_DATABASE_URL"),
    "23001": ("refused", "the database refused to change or remove recorded history (append-only): nothing was stored"),
}
_POSTGRES_CLASS = {
    "08": ("unavailable", "the connection to the database server failed: nothing was stored; check that the server "
                          "is running and STDPOLICY_DATABASE_URL, then try again"),
    "53": ("refused", "the database server ran out of resources: nothing was stored; try again later"),
    "58": ("refused", "the database server hit a system error (disk?): nothing was stored; check the server"),
    "XX": ("unavailable", "the database server reported an internal error: nothing was stored; check the server log"),
}


def classify(exc: BaseException) -> DatabaseFault | None:
    """The fault ``exc`` stands for, or ``None`` when it is not one of the known database faults."""
    if isinstance(exc, DatabaseFault):
        return exc
    if not isinstance(exc, SQLAlchemyError):
        return None
    orig = exc.orig if isinstance(exc, DBAPIError) else None
    if orig is None:
        return None
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        found = _SQLITE.get(code & 0xFF)
        return _fault(found) if found is not None else None
    if isinstance(exc, DBAPIError) and type(orig).__module__.startswith("psycopg"):
        return _postgres(exc, orig)
    return None


def _postgres(exc: DBAPIError, orig: BaseException) -> DatabaseFault | None:
    state = getattr(orig, "sqlstate", None)
    if state is None:
        # No SQLSTATE: the client could not talk to the server at all
        # (refused, unreachable, closed connection).
        if exc.connection_invalidated or type(orig).__name__ in ("OperationalError", "InterfaceError"):
            reason = _first_line(orig)
            return DatabaseFault(
                "unavailable",
                f"the database server cannot be reached ({reason}): nothing was stored; check that PostgreSQL "
                "is running and STDPOLICY_DATABASE_URL, then try again",
            )
        return None
    found = _POSTGRES.get(state) or _POSTGRES_CLASS.get(state[:2])
    return _fault(found) if found is not None else None


def _fault(found: tuple[str, str]) -> DatabaseFault:
    fault, message = found
    return DatabaseFault(fault, message)  # type: ignore[arg-type]


def _first_line(orig: BaseException) -> str:
    # psycopg: 'connection failed: connection to server at "127.0.0.1", port 1 failed: Connection refused'
    lines = str(orig).strip().splitlines()
    return (lines[0] if lines else type(orig).__name__)[:300]
