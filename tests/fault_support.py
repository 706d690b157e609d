"""Helpers for the fault and concurrency tests: records, the real command in a process, injected faults.

``stdpolicy(...)`` runs the console script's ``main`` in a new Python
process against the test's database, as an administrator would run it;
``inject(...)`` makes one kind of statement fail inside this process with
the error the database driver raises for a real fault; ``everything(...)``
reads every row of every table, to show that a failed command changed
nothing at all.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event, select, text
from sqlalchemy.engine import make_url
from stdnum.cn.uscc import calc_check_digit

from core.db import db
from core.store.locking import LOCK_KEY
from core.uscc import organisation_code_check_digit

from conftest import PROJECT_PLUGINS

ROOT = Path(__file__).resolve().parent.parent
KEY = "reward_tiers.lead.national"

__all__ = [
    "KEY",
    "credit_code",
    "drafting",
    "everything",
    "inject",
    "io_error",
    "is_postgres",
    "kill_when_locked",
    "lock_held",
    "start_stdpolicy",
    "stdpolicy",
    "write_json",
]


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def credit_code(n: int, region: str = "330402") -> str:
    """A valid unified social credit code for test organisation ``n`` (both check characters)."""
    body8 = f"MA{n:06d}"
    head = "91" + region + body8 + organisation_code_check_digit(body8)
    return head + calc_check_digit(head)


def drafting(prefix: str, count: int, *, start: int = 0, organisations: list[tuple[str, str]] | None = None,
             day: str = "2024-05-01") -> list[dict[str, Any]]:
    """``count`` valid records: the lead drafter of a new national standard each (paid by ``KEY``)."""
    organisations = organisations or [(credit_code(900 + n), f"测试企业{n}有限公司") for n in range(5)]
    records = []
    for i in range(start, start + count):
        code, name = organisations[i % len(organisations)]
        records.append({"id": f"{prefix}-{i}", "kind": "standard_drafting", "date": day, "credit_code": code,
                        "organisation": name, "standard_code": f"GB/T {40000 + i}-2024", "rank": 1})
    return records


def write_json(path: Path, records: list[dict[str, Any]]) -> str:
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return str(path)


# -- the real command, in its own process ---------------------------------------------------------


def _environment(url: str, instance: Path, env: dict[str, str] | None) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("STDPOLICY_")}
    environment.update({
        "STDPOLICY_DATABASE_URL": url,
        "STDPOLICY_INSTANCE_PATH": str(instance),
        "STDPOLICY_SECRET_KEY": "test-secret-key-not-for-production",
        "STDPOLICY_ACTOR": "cli:tests",
        "PYTHONPATH": str(ROOT),
    })
    environment.update(env or {})
    return environment


# The real console script, with the project's plugins only (PROJECT_PLUGINS, as the
# in-process tests): a third-party plugin installed beside it, or another built-in
# plugin, must not change what these tests see (its parameters and reference data
# would not be stored in their databases).
_MAIN = ("import core.app, core.registry; "
         f"core.app.load_registry = lambda **kw: core.registry.load_registry(only={PROJECT_PLUGINS!r}, **kw); "
         "from webadmin.cli import main; main(prog_name='stdpolicy')")


def start_stdpolicy(url: str, instance: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """``stdpolicy ARGS`` started in a new process (output captured as text)."""
    return subprocess.Popen([sys.executable, "-c", _MAIN, *args], cwd=ROOT, env=_environment(url, instance, env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.PIPE, text=True)


def stdpolicy(url: str, instance: Path, *args: str, env: dict[str, str] | None = None, input: str | None = None,
              timeout: float = 180) -> subprocess.CompletedProcess:
    """Run ``stdpolicy ARGS`` in a new process and wait for it."""
    return subprocess.run([sys.executable, "-c", _MAIN, *args], cwd=ROOT, env=_environment(url, instance, env),
                          capture_output=True, text=True, input=input if input is not None else "", timeout=timeout)


# -- injected faults --------------------------------------------------------------------------------


def io_error(dialect: str) -> Exception:
    """The driver's own error for a write the disk refused (SQLite: I/O error; PostgreSQL: disk full)."""
    if dialect == "sqlite":
        error = sqlite3.OperationalError("disk I/O error")
        error.sqlite_errorcode = 10  # type: ignore[attr-defined]  # SQLITE_IOERR
        error.sqlite_errorname = "SQLITE_IOERR"  # type: ignore[attr-defined]
        return error
    import psycopg.errors

    return psycopg.errors.DiskFull("could not extend file: No space left on device")


@contextmanager
def inject(app: Flask, starts_with: str, error: Callable[[str], Exception] = io_error) -> Iterator[list[str]]:
    """Make every statement starting with ``starts_with`` (e.g. ``INSERT INTO audit_log``) fail.

    The driver error is raised where the driver would raise it, so SQLAlchemy
    wraps it as it wraps a real one. Yields the statements refused.
    """
    refused: list[str] = []
    with app.app_context():
        engine = db.engine

    def fail(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        if statement.lstrip().upper().startswith(starts_with.upper()):
            refused.append(statement)
            raise error(engine.dialect.name)

    event.listen(engine, "before_cursor_execute", fail)
    try:
        yield refused
    finally:
        event.remove(engine, "before_cursor_execute", fail)


def everything(app: Flask) -> dict[str, list[tuple]]:
    """Every row of every table (core's, the admin's, the plugins'), by primary key.

    Equal before and after means nothing changed.
    """
    from core.environments import environments

    with app.app_context():
        found = {}
        for table in (t for env in environments() for t in env.metadata.sorted_tables):
            rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
            found[table.name] = [tuple(row) for row in rows]
        db.session.rollback()
        return found


def lock_held(app: Flask) -> bool:
    """Whether some connection holds the writer lock right now (looked at from a separate connection).

    On PostgreSQL, in this test's database only: advisory locks are per
    database, and pg_locks shows those of every database on the server
    (other test runs on a shared server hold the same key).
    """
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            return bool(connection.scalar(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                "AND ((classid::bigint << 32) | objid::bigint) = :key"), {"key": LOCK_KEY}))
    path = make_url(str(engine.url)).database
    raw = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        raw.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return True
    finally:
        if raw.in_transaction:
            raw.execute("ROLLBACK")
        raw.close()
    return False


def kill_when_locked(app: Flask, process: subprocess.Popen, *, after: float, timeout: float = 120) -> bool:
    """Wait until ``process`` holds the writer lock, then ``after`` seconds more, and kill it (-9).

    False if it no longer held the lock then (it committed, or finished).
    """
    deadline = time.monotonic() + timeout
    while not lock_held(app):
        if process.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    time.sleep(after)
    if process.poll() is not None or not lock_held(app):  # done, or committing
        return False
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    return True
