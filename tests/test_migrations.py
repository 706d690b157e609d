"""Migrations (migrations/versions) against the models (core/models.py), on SQLite or PostgreSQL.

The ``bare_app`` fixture's database was migrated to head from the
migrations, so comparing it with the models is comparing migrations and
models. Run the file with ``STDPOLICY_DATABASE_URL`` set to check PostgreSQL.
"""

from __future__ import annotations

from datetime import date

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text, update
from sqlalchemy.exc import DBAPIError

from core.app import MIGRATIONS_DIR
from core.db import db
from core.models import ParameterVersionRecord

#: Core's tables; the admin adds its own (users, tokens …) in later revisions.
CORE_TABLES = {
    "activities", "audit_log", "departments", "evaluation_runs", "organisations", "outcomes",
    "parameter_versions", "plugin_enablements",
}


def _model_tables() -> set[str]:
    return set(db.metadata.tables)


def _differences() -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True})
        return compare_metadata(context, db.metadata)


def _tables() -> set[str]:
    return set(inspect(db.engine).get_table_names())


def _triggers() -> set[str]:
    with db.engine.connect() as connection:
        if db.engine.dialect.name == "sqlite":
            return set(connection.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
        return set(connection.scalars(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")))


def _functions() -> set[str]:
    if db.engine.dialect.name != "postgresql":
        return set()
    with db.engine.connect() as connection:
        return set(connection.scalars(text(
            "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'public' AND p.proname LIKE 'stdpolicy_%'"
        )))


def _revision() -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


EXPECTED_TRIGGERS = {
    "sqlite": {"audit_log_no_update", "audit_log_no_delete", "parameter_versions_no_update",
               "parameter_versions_no_delete", "outcomes_no_delete", "outcomes_supersede_only"},
    "postgresql": {"audit_log_append_only", "parameter_versions_append_only", "outcomes_supersede_only"},
}


def test_one_linear_history() -> None:
    script = ScriptDirectory(MIGRATIONS_DIR)
    assert len(script.get_heads()) == 1
    assert script.get_bases() == ["0001"]
    revisions = list(script.walk_revisions())  # head first
    assert revisions[-1].revision == "0001" and revisions[-1].down_revision is None
    for newer, older in zip(revisions, revisions[1:]):
        assert newer.down_revision == older.revision  # no branches, no merges


def test_models_and_migrations_agree(bare_app: Flask) -> None:
    with bare_app.app_context():
        assert _revision() == ScriptDirectory(MIGRATIONS_DIR).get_current_head()
        assert CORE_TABLES <= _model_tables()
        assert _tables() == _model_tables() | {"alembic_version"}
        assert _differences() == []


def test_autogenerate_would_notice_a_difference(bare_app: Flask) -> None:
    """The comparison is live: a column the migrations lack is reported."""
    from sqlalchemy import Column, MetaData, String, Table

    with bare_app.app_context():
        metadata = MetaData()
        for table in db.metadata.tables.values():
            table.to_metadata(metadata)
        Table("departments", metadata, Column("motto", String(50)), extend_existing=True)
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection)
            differences = compare_metadata(context, metadata)
    assert [(d[0], d[2], d[3].name) for d in differences] == [("add_column", "departments", "motto")]


def test_migration_creates_the_append_only_triggers(bare_app: Flask) -> None:
    with bare_app.app_context():
        assert EXPECTED_TRIGGERS[db.engine.dialect.name] <= _triggers()
        if db.engine.dialect.name == "postgresql":
            assert {"stdpolicy_append_only", "stdpolicy_outcome_supersede_only"} <= _functions()


def test_downgrade_to_base_and_upgrade_again(bare_app: Flask) -> None:
    with bare_app.app_context():
        downgrade(directory=MIGRATIONS_DIR, revision="base")
        assert _tables() == {"alembic_version"}
        assert _revision() is None
        assert _triggers() == set()
        assert _functions() == set()

        upgrade(directory=MIGRATIONS_DIR)
        assert _revision() == ScriptDirectory(MIGRATIONS_DIR).get_current_head()
        assert _tables() == _model_tables() | {"alembic_version"}
        assert EXPECTED_TRIGGERS[db.engine.dialect.name] <= _triggers()
        assert _differences() == []

        # The re-created triggers work.
        db.session.add(ParameterVersionRecord(
            key="reward_tiers.lead.national", sequence=1, value="300000", effective_from=date(2022, 8, 1),
            reason="r", reference="doc", recorded_by="tester", source="default",
        ))
        db.session.commit()
        with pytest.raises(DBAPIError):
            db.session.execute(update(ParameterVersionRecord).values(value="1"))
        db.session.rollback()

        # And once more down and up: the downgrade does not depend on a fresh database.
        downgrade(directory=MIGRATIONS_DIR, revision="base")
        upgrade(directory=MIGRATIONS_DIR)
        assert _differences() == []


def test_upgrade_is_a_no_op_at_head(bare_app: Flask) -> None:
    with bare_app.app_context():
        before = _revision()
        upgrade(directory=MIGRATIONS_DIR)
        assert _revision() == before
        assert _differences() == []
