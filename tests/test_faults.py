"""Database faults end in one clear line, their own exit status, and nothing half-stored.

Each fault class is injected for real where the machine allows it: a
read-only database (a read-only mount or file modes; PostgreSQL's
``default_transaction_read_only``), a full disk (a small tmpfs; SQLite's
``max_page_count``), a database locked by another connection, a real
PostgreSQL deadlock, a server that is not there, and ``kill -9`` in the
middle of an import or a re-evaluation. Exit statuses: 3 the database
cannot be reached or is busy, 4 it refused the write (1 and 2 keep their
meanings: invalid records, unreadable input or not set up).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from core.db import db
from core.store.faults import EXIT_REFUSED, EXIT_UNAVAILABLE, DatabaseFault, classify
from core.store.locking import LOCK_KEY

from conftest import IS_POSTGRES, _make_app
from fault_support import (
    KEY,
    drafting,
    everything,
    is_postgres,
    kill_when_locked,
    start_stdpolicy,
    stdpolicy,
    write_json,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "docs" / "examples" / "activities.json"

WRITES = {
    "import": ["import", "{file}"],
    "reevaluate": ["reevaluate"],
    "params set": ["params", "set", KEY, "350000", "--from", "2024-01-01", "--reason", "r", "--reference", "doc"],
    "permit": ["permit", "reward_tiers", "-d", "civil_affairs"],
    "users create": ["users", "create", "x-admin", "-d", "market_regulation", "-r", "dept_viewer",
                     "--password-env", "NEW_PASSWORD"],
}


def _args(name: str, tmp_path: Path) -> list[str]:
    records = write_json(tmp_path / f"{name.replace(' ', '-')}.json", drafting("W", 5, start=500))
    return [a.replace("{file}", records) for a in WRITES[name]]


def _one_error_line(output: str) -> str:
    assert "Traceback" not in output, output
    lines = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, output
    return lines[0]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- classification -------------------------------------------------------------------------------


def _wrapped(orig: Exception) -> OperationalError:
    return OperationalError("SELECT 1", {}, orig)


def _sqlite_error(code: int, message: str) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError(message)
    error.sqlite_errorcode = code  # type: ignore[attr-defined]
    return error


@pytest.mark.parametrize("orig, fault, status", [
    (_sqlite_error(5, "database is locked"), "busy", EXIT_UNAVAILABLE),
    (_sqlite_error(8, "attempt to write a readonly database"), "refused", EXIT_REFUSED),
    (_sqlite_error(13, "database or disk is full"), "refused", EXIT_REFUSED),
    (_sqlite_error(10 | (13 << 8), "disk I/O error"), "refused", EXIT_REFUSED),
    (_sqlite_error(14, "unable to open database file"), "unavailable", EXIT_UNAVAILABLE),
])
def test_sqlite_errors_are_classified_by_their_result_code(orig, fault, status) -> None:
    found = classify(_wrapped(orig))
    assert (found.fault, found.exit_code) == (fault, status)


def test_postgres_errors_are_classified_by_their_sqlstate() -> None:
    import psycopg
    import psycopg.errors as pe

    cases = [
        (pe.DeadlockDetected("deadlock detected"), "busy"),
        (pe.LockNotAvailable("lock timeout"), "busy"),
        (pe.DiskFull("could not extend file"), "refused"),
        (pe.ReadOnlySqlTransaction("cannot execute INSERT in a read-only transaction"), "refused"),
        (pe.AdminShutdown("terminating connection"), "unavailable"),
        (psycopg.OperationalError("connection failed: Connection refused"), "unavailable"),
    ]
    for orig, fault in cases:
        assert classify(_wrapped(orig)).fault == fault, orig
    assert classify(_wrapped(pe.UndefinedTable("no such table"))) is None
    assert classify(ValueError("not a database error")) is None
    assert isinstance(classify(DatabaseFault("busy", "x")), DatabaseFault)


# -- no database server, no database file ------------------------------------------------------


@pytest.mark.parametrize("kind", ["postgresql", "postgresql-database", "sqlite"])
def test_a_database_that_is_not_there_is_exit_3_in_every_command(kind: str, tmp_path: Path) -> None:
    if kind == "postgresql":
        pytest.importorskip("psycopg")
        url = "postgresql+psycopg://postgres:secret-password@127.0.0.1:9/stdpolicy"  # nothing listens on port 9
        expected = "cannot be reached"
    elif kind == "postgresql-database":
        if not IS_POSTGRES:
            pytest.skip("needs a running PostgreSQL server")
        from conftest import BASE_URL

        url = make_url(BASE_URL).set(database="stdpolicy_no_such_database").render_as_string(hide_password=False)
        expected = "does not exist"
    else:
        url = f"sqlite:///{tmp_path}/no/such/folder/stdpolicy.sqlite"
        expected = "cannot be opened"
    runner = CliRunner()
    env = {"STDPOLICY_DATABASE_URL": url, "STDPOLICY_INSTANCE_PATH": str(tmp_path / "instance"),
           "NEW_PASSWORD": "a-long-enough-password"}
    from webadmin.cli import main

    commands = [["evaluate", str(EXAMPLES)], ["params", "list"], ["plugins"], ["init"], ["users", "list"],
                ["tokens", "list"], ["db", "upgrade"], ["db", "current"], *(_args(name, tmp_path) for name in WRITES)]
    for args in commands:
        result = runner.invoke(main, args, env=env)
        assert result.exit_code == EXIT_UNAVAILABLE, (args, result.output, result.exception)
        line = _one_error_line(result.output)
        assert expected in line, (args, line)
        assert "secret-password" not in result.output


# -- read-only ----------------------------------------------------------------------------------


def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@pytest.fixture
def read_only_database(app: Flask, database_url: str, tmp_path: Path) -> Iterator[tuple[str, object]]:
    """The seeded database where nobody can write: (URL, a function telling whether it is unchanged).

    SQLite: a copy on a read-only tmpfs mount (as root) or with read-only file
    modes (as another user). PostgreSQL: ``default_transaction_read_only``.
    """
    with app.app_context():
        dialect = db.engine.dialect.name
        db.engine.dispose()
    if dialect == "postgresql":
        name = make_url(database_url).database
        with app.app_context(), db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
        with app.app_context():
            db.engine.dispose()
        before = everything(app)
        yield database_url, lambda: everything(app) == before
        return
    source = Path(make_url(database_url).database)
    folder = tmp_path / "read-only"
    folder.mkdir()
    path = folder / "stdpolicy.sqlite"
    if os.geteuid() == 0:
        if not _mount("-t", "tmpfs", "-o", "size=32m", "tmpfs", str(folder)):
            pytest.skip("cannot mount a tmpfs here")
        shutil.copy(source, path)
        assert _mount("-o", "remount,ro", str(folder))
        before = _digest(path)
        yield f"sqlite:///{path}", lambda: _digest(path) == before
        subprocess.run(["umount", "-l", str(folder)], check=False)
    else:
        shutil.copy(source, path)
        path.chmod(0o444)
        folder.chmod(0o555)
        before = _digest(path)
        yield f"sqlite:///{path}", lambda: _digest(path) == before
        folder.chmod(0o755)


def test_a_read_only_database_reads_and_refuses_every_write(read_only_database, tmp_path: Path) -> None:
    url, unchanged = read_only_database
    env = {"NEW_PASSWORD": "a-long-enough-password"}

    evaluated = stdpolicy(url, tmp_path / "instance", "evaluate", str(EXAMPLES), "--format", "table")
    assert evaluated.returncode == 0, evaluated.stderr
    assert "total ¥2,550,000; 8 activities, 0 invalid" in evaluated.stdout
    listed = stdpolicy(url, tmp_path / "instance", "params", "list")
    assert listed.returncode == 0, listed.stderr
    assert KEY in listed.stdout

    for name in WRITES:
        result = stdpolicy(url, tmp_path / "instance", *_args(name, tmp_path), env=env)
        assert result.returncode == EXIT_REFUSED, (name, result.stderr)
        line = _one_error_line(result.stderr)
        assert "read-only" in line and "nothing was stored" in line, line
    assert unchanged()


def test_a_database_opened_read_only_refuses_writes_in_the_admin_with_a_503(app: Flask, database_url: str,
                                                                             tmp_path: Path) -> None:
    """SQLite opened with mode=ro; PostgreSQL with default_transaction_read_only: the same 503 page."""
    from conftest import PASSWORD
    from webadmin.models import User

    with app.app_context():
        user = User(username="city", role="city_admin", department_id=None, created_by="tests")
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            name = make_url(database_url).database
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
            url = database_url
        else:
            url = f"sqlite:///file:{make_url(database_url).database}?mode=ro&uri=true"
        db.engine.dispose()
    before = everything(app)
    read_only = _make_app(url, tmp_path / "instance-ro")
    client = read_only.test_client()
    assert client.get("/login").status_code == 200
    response = client.post("/login?lang=en", data={"username": "city", "password": PASSWORD})
    assert response.status_code == 503
    body = response.get_data(as_text=True)
    assert "The database refused the change" in body and "Nothing was stored" in body
    assert "Traceback" not in body and "readonly" not in body and "read-only transaction" not in body
    with read_only.app_context():
        db.engine.dispose()
    assert everything(app) == before


# -- a full disk -----------------------------------------------------------------------------------


def test_a_full_disk_refuses_the_import_and_stores_nothing(app: Flask, runner, tmp_path: Path) -> None:
    """SQLite: the database may not grow (PRAGMA max_page_count); PostgreSQL: the server's disk-full error (a trigger)."""
    big = write_json(tmp_path / "big.json", drafting("BIG", 600))
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        with app.app_context():
            pages = db.session.execute(text("PRAGMA page_count")).scalar()
            db.session.rollback()
        engine.dispose()

        def limit(dbapi_connection, record):  # noqa: ANN001
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 5}")

        event.listen(engine, "connect", limit)
        injected = None
    else:
        # The server's own disk-full error (SQLSTATE 53100) as the outcomes are written (by COPY,
        # which no SQLAlchemy event sees): raised by a trigger on their table.
        with app.app_context():
            db.session.connection().exec_driver_sql("""
                CREATE FUNCTION test_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  RAISE EXCEPTION 'could not extend file "base/1/2": No space left on device' USING ERRCODE = 'disk_full';
                END $$;
                CREATE TRIGGER test_disk_full BEFORE INSERT ON outcomes FOR EACH ROW EXECUTE FUNCTION test_disk_full();
            """)
            db.session.commit()
        injected = "trigger"
    before = everything(app)
    try:
        result = runner.invoke(args=["import", big])
    finally:
        if injected == "trigger":
            with app.app_context():
                db.session.connection().exec_driver_sql("DROP TRIGGER test_disk_full ON outcomes; DROP FUNCTION test_disk_full()")
                db.session.commit()
        else:
            event.remove(engine, "connect", limit)
        engine.dispose()
    assert result.exit_code == EXIT_REFUSED, result.output
    line = _one_error_line(result.output)
    assert "full" in line and "nothing was stored" in line, line
    assert everything(app) == before


def test_a_full_file_system_refuses_the_import_and_stores_nothing(app: Flask, database_url: str,
                                                                  tmp_path: Path) -> None:
    """SQLite on a real, nearly full tmpfs (as root; skipped elsewhere)."""
    if is_postgres(database_url):
        pytest.skip("SQLite files only")
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    with app.app_context():
        db.engine.dispose()
    source = Path(make_url(database_url).database)
    folder = tmp_path / "small"
    folder.mkdir()
    size = source.stat().st_size + 96 * 1024
    if not _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)):
        pytest.skip("cannot mount a tmpfs here")
    try:
        shutil.copy(source, folder / "stdpolicy.sqlite")
        url = f"sqlite:///{folder}/stdpolicy.sqlite"
        big = write_json(tmp_path / "big.json", drafting("BIG", 1500))
        result = stdpolicy(url, tmp_path / "instance", "import", big)
        assert result.returncode == EXIT_REFUSED, result.stderr
        line = _one_error_line(result.stderr)
        assert "nothing was stored" in line and ("full" in line or "disk" in line), line
        # Nothing half-stored: the database, opened afterwards, has what it had.
        copy = _make_app(url, tmp_path / "instance-check")
        assert everything(copy) == everything(app)
        with copy.app_context():
            db.engine.dispose()
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


# -- locked, busy, deadlocked -------------------------------------------------------------------------


@contextmanager
def writer_lock_held_elsewhere(app: Flask) -> Iterator[None]:
    """Another connection holds the writer lock meanwhile."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "postgresql":
        connection = engine.connect()
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": LOCK_KEY})
        yield
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
        connection.close()
    else:
        raw = sqlite3.connect(make_url(str(engine.url)).database, isolation_level=None)
        raw.execute("BEGIN IMMEDIATE")
        yield
        raw.execute("ROLLBACK")
        raw.close()


SERIALISED = ("import", "reevaluate", "params set", "permit")


def test_a_writer_that_cannot_get_the_lock_says_another_is_running(app: Flask, database_url: str,
                                                                     tmp_path: Path) -> None:
    before = everything(app)
    env = {"STDPOLICY_LOCK_TIMEOUT": "0.5"}
    with writer_lock_held_elsewhere(app):
        for name in SERIALISED:
            result = stdpolicy(database_url, tmp_path / "instance", *_args(name, tmp_path), env=env)
            assert result.returncode == EXIT_UNAVAILABLE, (name, result.stderr)
            line = _one_error_line(result.stderr)
            assert "another import, re-evaluation or parameter change is running" in line, line
            assert "nothing was stored" in line
        # Readers do not wait for the writer lock.
        evaluated = stdpolicy(database_url, tmp_path / "instance", "evaluate", str(EXAMPLES), env=env)
        assert evaluated.returncode == 0, evaluated.stderr
        listed = stdpolicy(database_url, tmp_path / "instance", "params", "list", env=env)
        assert listed.returncode == 0, listed.stderr
    assert everything(app) == before


def test_the_admin_answers_503_while_another_writer_holds_the_lock(app: Flask, client, login) -> None:
    app.config["STDPOLICY_LOCK_TIMEOUT"] = 0.3
    login("city")
    before = everything(app)
    with writer_lock_held_elsewhere(app):
        for url, data in [("/plugins/market_regulation/reward_tiers", {"enabled": "0"}), ("/plugins/reevaluate", {})]:
            response = client.post(url + "?lang=en", data=data)
            assert response.status_code == 503
            assert response.headers.get("Retry-After")
            body = response.get_data(as_text=True)
            assert "Another import, re-evaluation or parameter change is running. Nothing was stored." in body
        zh = client.post("/plugins/reevaluate?lang=zh_CN")
        assert zh.status_code == 503 and "Another import" not in zh.get_data(as_text=True)
        assert client.get("/dashboard").status_code == 200  # reading goes on
    assert everything(app) == before


def test_a_locked_sqlite_database_is_exit_3_for_writers_outside_the_lock(app: Flask, database_url: str,
                                                                          tmp_path: Path) -> None:
    """A user created while another process keeps SQLite's write lock: busy, exit 3, nothing stored."""
    if is_postgres(database_url):
        pytest.skip("SQLite's database lock")
    with app.app_context():
        db.engine.dispose()
    raw = sqlite3.connect(make_url(database_url).database, isolation_level=None)
    raw.execute("BEGIN IMMEDIATE")
    try:
        locked = _make_app(database_url, tmp_path / "instance",
                           SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"timeout": 0.2}})
        runner = locked.test_cli_runner()
        result = runner.invoke(args=["users", "create", "late", "-d", "market_regulation", "-r", "dept_viewer",
                                     "--password-env", "NEW_PASSWORD"], env={"NEW_PASSWORD": "a-long-enough-password"})
    finally:
        raw.execute("ROLLBACK")
        raw.close()
    assert result.exit_code == EXIT_UNAVAILABLE, result.output
    line = _one_error_line(result.output)
    assert "locked" in line and "try again" in line
    with locked.app_context():
        from webadmin.models import User

        assert db.session.query(User).filter_by(username="late").count() == 0
        db.engine.dispose()


@pytest.mark.skipif(not IS_POSTGRES, reason="a PostgreSQL deadlock")
def test_a_real_deadlock_is_exit_3_and_stores_nothing(app: Flask, database_url: str, tmp_path: Path) -> None:
    """The command waits for a row this test holds while this test waits for the command's writer lock."""
    before = everything(app)
    with app.app_context():
        engine = db.engine
    holder = engine.connect()
    holder.exec_driver_sql("SET deadlock_timeout = '30s'")  # the command's check (1 s) finds the cycle first
    holder.execute(text("UPDATE plugin_enablements SET changed_by = changed_by WHERE plugin = 'reward_tiers'"))
    process = start_stdpolicy(database_url, tmp_path / "instance", "disable", "reward_tiers", "-d", "market_regulation")
    try:
        from fault_support import lock_held

        deadline = time.monotonic() + 60
        while not lock_held(app):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.02)
        time.sleep(0.3)  # the command now waits for the row
        holder.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})  # … and we for its lock
        out, err = process.communicate(timeout=60)
    finally:
        holder.rollback()
        holder.close()
        if process.poll() is None:
            process.kill()
    assert process.returncode == EXIT_UNAVAILABLE, err
    line = _one_error_line(err)
    assert "deadlock" in line and "try again" in line
    assert everything(app) == before


# -- kill -9 in the middle ---------------------------------------------------------------------------


def _complete(app: Flask, before: dict, command: str, records: int) -> bool:
    """Whether the command's whole transaction is there (it committed before the kill landed)."""
    after = everything(app)
    added = {name: len(after[name]) - len(before[name]) for name in after}
    if command == "import":
        return added["activities"] == records and added["outcomes"] == records and added["evaluation_runs"] == 1
    return added["evaluation_runs"] == 1 and added["outcomes"] == records


def _schema_of(app: Flask) -> dict:
    """The database's schema, triggers and their SQL included (test_migrations' snapshot)."""
    from test_migrations import _schema

    with app.app_context():
        found = _schema(db.session.connection())
        db.session.rollback()
    assert found["triggers"]
    return found


@pytest.mark.parametrize("command", ["import", "reevaluate"])
def test_kill_9_in_the_middle_leaves_nothing_half_stored(app: Flask, database_url: str, tmp_path: Path,
                                                          command: str) -> None:
    """kill -9 while the command holds the writer lock (its transaction open): nothing of it stays.

    Nor does a schema change of it: an import of 5,000 outcomes or more lifts their replace guard on SQLite
    while it stores them (core.store.bulk); the schema, guards and all, is as it was after every kill."""
    instance = tmp_path / "instance"
    size = 6000
    schema = _schema_of(app)
    if command == "reevaluate":
        base = write_json(tmp_path / "base.json", drafting("B", size))
        assert stdpolicy(database_url, instance, "import", base).returncode == 0
    killed = 0
    for n, after in enumerate((0.0, 0.1, 0.3, 0.6)):
        if command == "reevaluate":
            changed = stdpolicy(database_url, instance, "params", "set", KEY, str(301000 + n * 1000),
                                "--from", "2024-01-01", "--reason", "r", "--reference", "doc")
            assert changed.returncode == 0, changed.stderr
            args = ["reevaluate"]
        else:
            args = ["import", write_json(tmp_path / f"k{n}.json", drafting(f"K{n}", size, start=n * size))]
        before = everything(app)
        process = start_stdpolicy(database_url, instance, *args)
        if kill_when_locked(app, process, after=after) and everything(app) == before:
            killed += 1
            continue
        # Not killed in time: then the command committed, all of it (or it was killed just after committing).
        _, err = process.communicate(timeout=120)
        assert process.returncode in (0, -signal.SIGKILL), f"the command failed on its own: {err}"
        assert _complete(app, before, command, size), f"half-stored after kill -9 at +{after}s"
    assert killed >= 2, "the command was too quick to be killed in the middle"
    assert _schema_of(app) == schema
    # And it still works afterwards (locks released, SQLite's journal recovered).
    before = everything(app)
    done = stdpolicy(database_url, instance, *args)
    assert done.returncode == 0, done.stderr
    assert everything(app) != before


def test_the_admin_answers_503_when_the_database_cannot_be_reached(tmp_path: Path) -> None:
    for url in ("postgresql+psycopg://postgres:secret-password@127.0.0.1:9/stdpolicy",
                f"sqlite:///{tmp_path}/no/such/folder/stdpolicy.sqlite"):
        if url.startswith("postgresql"):
            pytest.importorskip("psycopg")
        unreachable = _make_app(url, tmp_path / "instance")
        client = unreachable.test_client()
        assert client.get("/login?lang=en").status_code == 200  # the login page needs no database
        response = client.post("/login?lang=en", data={"username": "city", "password": "whatever-it-is"})
        assert response.status_code == 503
        assert response.headers.get("Retry-After")
        body = response.get_data(as_text=True)
        assert "The database cannot be reached. Nothing was stored." in body
        assert "Traceback" not in body and "secret-password" not in body and "OperationalError" not in body
        zh = client.post("/login?lang=zh_CN", data={"username": "city", "password": "whatever-it-is"})
        assert zh.status_code == 503 and "无法连接数据库" in zh.get_data(as_text=True)
        api = client.post("/api/evaluate", data=b"[]", headers={"Authorization": "Bearer stp_x"})
        assert api.status_code == 503 and api.get_json()["error"] == "database_unavailable"


def test_a_sqlite_without_json_functions_is_refused_in_one_line(app: Flask, runner, client, monkeypatch) -> None:
    """The history queries need json_each: a SQLite built without it is named when the first connection
    opens (status 3 from the command line, a 503 in the admin), not met as an error in the middle of an import."""
    import core.db

    if IS_POSTGRES:
        pytest.skip("SQLite's own library")
    with app.app_context():
        db.engine.dispose()
    monkeypatch.setattr(core.db, "_JSON_PROBE", "SELECT count(*) FROM no_json_each_here('[1]')")
    monkeypatch.setattr(core.db, "_json_found", False)
    result = runner.invoke(args=["evaluate", str(EXAMPLES)])
    assert result.exit_code == EXIT_UNAVAILABLE, result.output
    line = _one_error_line(result.output)
    assert f"SQLite ({sqlite3.sqlite_version}) has no JSON functions" in line and "3.38" in line, line
    response = client.post("/login?lang=en", data={"username": "city", "password": "whatever-it-is"})
    assert response.status_code == 503
    assert "Traceback" not in response.get_data(as_text=True)
    # A library that has them passes once, and is not asked again.
    monkeypatch.setattr(core.db, "_JSON_PROBE", "SELECT count(*) FROM json_each('[1]')")
    with app.app_context():
        db.engine.dispose()
    assert runner.invoke(args=["evaluate", str(EXAMPLES)]).exit_code == 0
    assert core.db._json_found
