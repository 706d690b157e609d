"""History cannot be rewritten: REPLACE (SQLite), TRUNCATE (PostgreSQL) and an unconfirmed downgrade are refused.

Before migration 0005, ``INSERT OR REPLACE`` rewrote parameter version 2
in place on SQLite (and evaluation then paid the new amount), ``TRUNCATE``
emptied the audit log, the parameter versions and the outcomes on
PostgreSQL, and ``stdpolicy db downgrade base`` dropped everything with
exit status 0.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import DBAPIError

from core.db import db
from core.models import ParameterVersionRecord

from conftest import IS_POSTGRES
from fault_support import KEY, drafting, everything, write_json

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "docs" / "examples" / "activities.json"
HISTORY = ("audit_log", "parameter_versions", "outcomes", "organisation_names")

#: Core's newest revision.
CORE_HEAD = "0015_new_group_keys"


@pytest.fixture
def filled(app: Flask, runner, tmp_path: Path) -> Flask:
    """Activities, outcomes, a parameter change, audit entries, names."""
    assert runner.invoke(args=["import", write_json(tmp_path / "a.json", drafting("H", 4))]).exit_code == 0
    done = runner.invoke(args=["params", "set", KEY, "350000", "--from", "2024-01-01", "--reason", "r",
                               "--reference", "doc"])
    assert done.exit_code == 0, done.output
    return app


def _national_amount(runner) -> int:
    result = runner.invoke(args=["evaluate", str(EXAMPLES)])
    return {item["id"]: item["amount"] for item in json.loads(result.stdout)["results"]}["EX-001"]


def _refused(statement: str, **params) -> DBAPIError:
    with pytest.raises(DBAPIError) as caught:
        db.session.execute(text(statement), params)
    db.session.rollback()
    return caught.value


@pytest.mark.skipif(IS_POSTGRES, reason="SQLite's INSERT OR REPLACE")
@pytest.mark.parametrize("recursive_triggers", [False, True])
def test_sqlite_insert_or_replace_cannot_rewrite_history(filled: Flask, runner, recursive_triggers: bool) -> None:
    paid = _national_amount(runner)
    before = everything(filled)
    with filled.app_context():
        if recursive_triggers:
            db.session.execute(text("PRAGMA recursive_triggers = ON"))
        # The version in force for EX-001 (2025): the one `params set` recorded.
        version = db.session.scalar(select(ParameterVersionRecord).filter_by(key=KEY, sequence=2))
        # Same id: the classic rewrite of version #N.
        error = _refused(
            "INSERT OR REPLACE INTO parameter_versions (id, key, sequence, value, effective_from, reason, reference, "
            "recorded_by, recorded_at, source) VALUES (:id, :key, 2, '1', '2024-01-01', 'x', 'x', 'x', "
            "'2024-01-01 00:00:00', 'cli')", id=version.id, key=KEY)
        assert "append-only" in str(error.orig)
        # Another id, same key and sequence: REPLACE would delete the recorded row.
        _refused("REPLACE INTO parameter_versions (key, sequence, value, effective_from, reason, reference, "
                 "recorded_by, recorded_at, source) VALUES (:key, 2, '1', '2024-01-01', 'x', 'x', 'x', "
                 "'2024-01-01 00:00:00', 'cli')", key=KEY)
        for table in ("audit_log", "outcomes", "organisation_names"):
            columns = [c["name"] for c in inspect(db.engine).get_columns(table)]
            _refused(f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) "
                     f"SELECT {', '.join(columns)} FROM {table} WHERE id = (SELECT min(id) FROM {table})")
        # A new row is still welcome.
        db.session.execute(text(
            "INSERT INTO audit_log (at, actor, action, target) VALUES ('2024-01-01 00:00:00', 't', 'test', 't')"))
        db.session.rollback()
    assert everything(filled) == before
    assert _national_amount(runner) == paid == 350000


@pytest.mark.skipif(not IS_POSTGRES, reason="PostgreSQL's TRUNCATE")
def test_postgres_truncate_cannot_empty_history(filled: Flask) -> None:
    before = everything(filled)
    with filled.app_context():
        for table in HISTORY:
            error = _refused(f"TRUNCATE {table} CASCADE")
            assert "append-only" in str(error.orig)
            assert error.orig.sqlstate == "23001"
        _refused("TRUNCATE activities CASCADE")  # reaches outcomes
        _refused("TRUNCATE evaluation_runs, organisations CASCADE")  # reaches outcomes and names
    assert everything(filled) == before


def test_downgrade_that_drops_history_needs_the_flag_and_a_typed_confirmation(filled: Flask, runner) -> None:
    before = everything(filled)

    refused = runner.invoke(args=["db", "downgrade", "base"])
    assert refused.exit_code == 2, refused.output
    assert "drops recorded history" in refused.output and "--drop-history" in refused.output
    assert "0001: drops the audit log" in refused.output
    assert everything(filled) == before

    # Undoing 0011 (nothing recorded), 0010 (nothing recorded) and 0009: the reference data versions.
    one_step = runner.invoke(args=["db", "downgrade", "0008_environments"])
    assert one_step.exit_code == 2 and "core 0009_reference_data: drops every version of the reference data " \
                                       "tables" in one_step.output
    assert "plugin permissions" not in one_step.output
    # Undoing 0010, 0009, 0008 (nothing) and 0007: the city's plugin permissions and owners.
    two_steps = runner.invoke(args=["db", "downgrade", "0006_organisation_names"])
    assert two_steps.exit_code == 2 and "core 0007_plugin_permissions: drops the city administrators' plugin " \
                                        "permissions and owners" in two_steps.output
    three_steps = runner.invoke(args=["db", "downgrade", "0005_history_guards"])  # undoing 0006 as well
    assert three_steps.exit_code == 2 and "name history" in three_steps.output
    assert everything(filled) == before

    for answer in ("", "yes", "DROP"):
        unconfirmed = runner.invoke(args=["db", "downgrade", "base", "--drop-history"], input=answer + "\n")
        assert unconfirmed.exit_code == 2, unconfirmed.output
        assert "not confirmed; nothing changed" in unconfirmed.output
        assert everything(filled) == before

    confirmed = runner.invoke(args=["db", "downgrade", "base", "--drop-history"], input="drop history\n")
    assert confirmed.exit_code == 0, confirmed.output
    # The admin's environment first (it is built on core's tables), then core's.
    assert confirmed.stdout.splitlines() == ["webadmin: 0001_admin_tables → base", f"core: {CORE_HEAD} → base"]
    with filled.app_context():
        assert set(inspect(db.engine).get_table_names()) == {"alembic_version", "alembic_version_webadmin"}


def test_going_below_0008_takes_the_admin_environment_down_first(filled: Flask, runner) -> None:
    """0008 changes no table; below it the admin's tables are core's history again, so its environment goes to base.

    (0009 above it drops the reference data versions, which this database has none of: confirmed here;
    0010 widens a column back, no status longer than 10 being stored.)
    """
    before = everything(filled)
    back = runner.invoke(args=["db", "downgrade", "0007_plugin_permissions", "--drop-history"], input="drop history\n")
    assert back.exit_code == 0, back.output
    assert back.stdout.splitlines()[-2:] == ["webadmin: 0001_admin_tables → base",
                                             f"core: {CORE_HEAD} → 0007_plugin_permissions"]

    status = runner.invoke(args=["db", "status"])
    assert status.exit_code == 2, status.output
    assert "not set up: run `stdpolicy init`" in status.output
    stopped = runner.invoke(args=["params", "list"])
    assert stopped.exit_code == 2
    assert f"is at revision 0007_plugin_permissions, this version needs {CORE_HEAD}: run `stdpolicy init`" \
        in stopped.output

    again = runner.invoke(args=["db", "upgrade"])
    assert again.exit_code == 0, again.output
    assert f"core: 0007_plugin_permissions → {CORE_HEAD} (head)" in again.output
    assert "webadmin: base → 0001_admin_tables (head)" in again.output
    assert runner.invoke(args=["db", "status"]).exit_code == 0
    # 0013's activity group keys are derived: the next re-evaluation (or preview) fills them again.
    from core.app import get_registry
    from core.store.incremental import fill_group_keys
    with filled.app_context():
        fill_group_keys(get_registry())
        db.session.commit()
    assert everything(filled) == before  # no row lost, the admin's included


def test_downgrade_that_drops_nothing_needs_no_confirmation(filled: Flask, runner) -> None:
    assert runner.invoke(args=["db", "downgrade", "0005_history_guards", "--drop-history"],
                         input="drop history\n").exit_code == 0
    plain = runner.invoke(args=["db", "downgrade", "0004_sessions"])  # 0005 only removes guards
    assert plain.exit_code == 0, plain.output
    again = runner.invoke(args=["db", "upgrade"])
    assert again.exit_code == 0, again.output
    assert runner.invoke(args=["params", "list"]).exit_code == 0
