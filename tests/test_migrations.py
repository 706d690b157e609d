"""Migrations against the models, in every migration environment, on SQLite or PostgreSQL.

Core's (migrations/versions against core/models.py, version table
``alembic_version``) and the admin's (webadmin/migrations against
webadmin/models.py, ``alembic_version_webadmin``); plugins' environments
are tested in tests/test_storage.py. The ``bare_app`` fixture's database
was migrated to head from the migrations, so comparing it with the models
is comparing migrations and models. Run the file with
``STDPOLICY_DATABASE_URL`` set to check PostgreSQL.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import create_engine, inspect, text, update
from sqlalchemy.exc import DBAPIError

from core.app import MIGRATIONS_DIR, get_registry
from core.cli.dbguard import downgrade_plan
from core.db import db
from core.environments import downgrade, environment, environments, model_differences, states, upgrade, upgrade_all
from core.models import ParameterVersionRecord

#: Core's tables.
CORE_TABLES = {
    "activities", "audit_log", "departments", "evaluation_runs", "organisation_names", "organisations", "outcomes",
    "parameter_versions", "plugin_enablements", "plugin_owners", "plugin_permissions", "reference_rows",
    "reference_versions", "review_decisions", "approval_lists", "approval_list_items", "whatif_scenarios",
}
#: The admin's tables (created by core's 0002 and 0004, owned by the admin's environment since 0008).
ADMIN_TABLES = {"users", "api_tokens", "user_sessions", "rate_limits"}
VERSION_TABLES = {"alembic_version", "alembic_version_webadmin"}


def _model_tables() -> set[str]:
    return {table for env in environments() for table in env.metadata.tables}


def _differences() -> dict[str, list]:
    """Autogenerate's differences in each environment (only the non-empty ones)."""
    with db.engine.connect() as connection:
        found = {env.name: model_differences(env, connection) for env in environments()}
    return {name: diffs for name, diffs in found.items() if diffs}


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


def _all_up_to_date() -> bool:
    with db.engine.connect() as connection:
        return all(s.up_to_date for s in states(connection))


def _down_to_base() -> None:
    """What `stdpolicy db downgrade base` does, confirmed: the admin's environment, then core's."""
    for env, target in downgrade_plan("core", "base"):
        downgrade(env, target)


EXPECTED_TRIGGERS = {
    "sqlite": {"audit_log_no_update", "audit_log_no_delete", "parameter_versions_no_update",
               "parameter_versions_no_delete", "outcomes_no_delete", "outcomes_supersede_only",
               # 0005, 0006: no INSERT OR REPLACE; the name history append-only
               "audit_log_no_replace", "parameter_versions_no_replace", "outcomes_no_replace",
               "organisation_names_no_update", "organisation_names_no_delete", "organisation_names_no_replace",
               # 0009: reference data versions and rows
               "reference_versions_no_update", "reference_versions_no_delete", "reference_versions_no_replace",
               "reference_rows_no_update", "reference_rows_no_delete", "reference_rows_no_replace",
               # 0011: review decisions and approval lists
               *(f"{t}_no_{verb}" for t in ("review_decisions", "approval_lists", "approval_list_items")
                 for verb in ("update", "delete", "replace"))},
    "postgresql": {"audit_log_append_only", "parameter_versions_append_only", "outcomes_supersede_only",
                   # 0005, 0006: no TRUNCATE; the name history append-only
                   "audit_log_no_truncate", "parameter_versions_no_truncate", "outcomes_no_truncate",
                   "organisation_names_append_only", "organisation_names_no_truncate",
                   # 0009
                   "reference_versions_append_only", "reference_versions_no_truncate",
                   "reference_rows_append_only", "reference_rows_no_truncate",
                   # 0011
                   *(f"{t}_{what}" for t in ("review_decisions", "approval_lists", "approval_list_items")
                     for what in ("append_only", "no_truncate"))},
}


@pytest.mark.parametrize("name, base", [("core", "0001"), ("webadmin", "0001_admin_tables")])
def test_one_linear_history(bare_app: Flask, name: str, base: str) -> None:
    with bare_app.app_context():
        script = environment(name).script()
    assert len(script.get_heads()) == 1
    assert script.get_bases() == [base]
    revisions = list(script.walk_revisions())  # head first
    assert revisions[-1].revision == base and revisions[-1].down_revision is None
    for newer, older in zip(revisions, revisions[1:]):
        assert newer.down_revision == older.revision  # no branches, no merges
    for revision in revisions:
        assert hasattr(revision.module, "DROPS_HISTORY"), revision.revision  # migrations/README
        assert len(revision.revision) <= 32  # the version table's column


def test_models_and_migrations_agree(bare_app: Flask) -> None:
    with bare_app.app_context():
        assert _revision() == ScriptDirectory(MIGRATIONS_DIR).get_current_head()
        assert [env.name for env in environments()][:2] == ["core", "webadmin"]
        assert _all_up_to_date()
        assert set(environment("core").metadata.tables) == CORE_TABLES
        assert set(environment("webadmin").metadata.tables) == ADMIN_TABLES
        assert _tables() == _model_tables() | VERSION_TABLES
        assert _differences() == {}


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
    assert [(d[0], d[2], d[3].name) for d in differences if d[0] == "add_column"] == [
        ("add_column", "departments", "motto")]


def test_each_environment_compares_its_own_tables_only(bare_app: Flask) -> None:
    """Core's autogenerate leaves the admin's and a plugin's tables (installed or not) alone; a stray one is core's."""
    with bare_app.app_context():
        with db.engine.begin() as connection:
            # What an uninstalled plugin "gone" leaves: its table and its version table.
            connection.execute(text("CREATE TABLE gone_things (id INTEGER PRIMARY KEY, name VARCHAR(20))"))
            connection.execute(text("CREATE TABLE alembic_version_gone (version_num VARCHAR(32) PRIMARY KEY)"))
            connection.execute(text("INSERT INTO alembic_version_gone VALUES ('0003_things')"))
        assert _differences() == {}
        runner = bare_app.test_cli_runner()
        checked = runner.invoke(args=["db", "check"])
        assert checked.exit_code == 0, checked.output
        assert "core: no differences" in checked.output and "webadmin: no differences" in checked.output
        assert "gone" not in checked.output

        # Without its version table nobody claims it: core reports the stray table.
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE alembic_version_gone"))
        differences = _differences()
        assert list(differences) == ["core"]
        assert [(d[0], d[1].name) for d in differences["core"]] == [("remove_table", "gone_things")]
        checked = runner.invoke(args=["db", "check"])
        assert checked.exit_code == 1 and "gone_things" in checked.output


def test_migration_creates_the_append_only_triggers(bare_app: Flask) -> None:
    with bare_app.app_context():
        assert EXPECTED_TRIGGERS[db.engine.dialect.name] <= _triggers()
        if db.engine.dialect.name == "postgresql":
            assert {"stdpolicy_append_only", "stdpolicy_outcome_supersede_only"} <= _functions()


def test_downgrade_to_base_and_upgrade_again(bare_app: Flask) -> None:
    with bare_app.app_context():
        assert [(env.name, target) for env, target in downgrade_plan("core", "base")] == [
            ("webadmin", "base"), ("core", "base")]
        _down_to_base()
        assert _tables() == VERSION_TABLES
        assert _revision() is None
        assert _triggers() == set()
        assert _functions() == set()

        upgrade_all()
        assert _revision() == ScriptDirectory(MIGRATIONS_DIR).get_current_head()
        assert _all_up_to_date()
        assert _tables() == _model_tables() | VERSION_TABLES
        assert EXPECTED_TRIGGERS[db.engine.dialect.name] <= _triggers()
        assert _differences() == {}

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
        _down_to_base()
        upgrade_all()
        assert _differences() == {}


def test_a_core_downgrade_above_the_environments_leaves_the_others_alone(bare_app: Flask) -> None:
    with bare_app.app_context():
        assert [(env.name, target) for env, target in downgrade_plan("core", "0008_environments")] == [
            ("core", "0008_environments")]
        # Below 0008 the admin's tables go back to core's history: the admin's environment to base first.
        assert [(env.name, target) for env, target in downgrade_plan("core", "0007_plugin_permissions")] == [
            ("webadmin", "base"), ("core", "0007_plugin_permissions")]


def test_upgrade_is_a_no_op_at_head(bare_app: Flask) -> None:
    with bare_app.app_context():
        before = _revision()
        assert upgrade_all() == []
        assert _revision() == before
        assert _all_up_to_date()
        assert _differences() == {}


# -- a database holding data from every earlier migration, upgraded step by step ------------------


def _t(name: str, *columns: tuple[str, object]):
    """A lightweight table of the columns a revision had (so inserts never use later columns)."""
    import sqlalchemy as sa

    return sa.table(name, *(sa.column(c, t) for c, t in columns))


def _data_at_0001(connection) -> None:
    """What a database at 0001 holds: departments, organisations (one nameless), parameters, runs, outcomes, audit."""
    import sqlalchemy as sa

    from core.activities import Activity
    from core.store import fingerprint

    when = datetime(2024, 1, 2, 3, 4, 5)
    connection.execute(_t("departments", ("id", sa.Integer), ("code", sa.String), ("name_zh", sa.String),
                          ("name_en", sa.String), ("created_at", sa.DateTime)).insert(), [
        {"id": 1, "code": "market_regulation", "name_zh": "市场监督管理局", "name_en": "Market Regulation", "created_at": when},
    ])
    connection.execute(_t("organisations", ("id", sa.Integer), ("credit_code", sa.String), ("name", sa.String),
                          ("region_code", sa.String), ("created_at", sa.DateTime)).insert(), [
        {"id": 1, "credit_code": "913304007429141869", "name": "嘉兴市某某制造有限公司", "region_code": "330400",
         "created_at": when},
        {"id": 2, "credit_code": "91330482MA2AH5T006", "name": None, "region_code": "330482", "created_at": when},
    ])
    connection.execute(_t("parameter_versions", ("id", sa.Integer), ("key", sa.String), ("sequence", sa.Integer),
                          ("value", sa.Text), ("effective_from", sa.Date), ("reason", sa.Text), ("reference", sa.Text),
                          ("recorded_by", sa.String), ("recorded_at", sa.DateTime), ("source", sa.String)).insert(), [
        {"id": 1, "key": "reward_tiers.lead.national", "sequence": 1, "value": "300000",
         "effective_from": date(2022, 8, 1), "reason": "shipped", "reference": "三(二)", "recorded_by": "system",
         "recorded_at": when, "source": "default"},
    ])
    connection.execute(_t("plugin_enablements", ("id", sa.Integer), ("department_id", sa.Integer),
                          ("plugin", sa.String), ("enabled", sa.Boolean), ("changed_at", sa.DateTime),
                          ("changed_by", sa.String)).insert(), [
        {"id": 1, "department_id": 1, "plugin": "reward_tiers", "enabled": True, "changed_at": when,
         "changed_by": "system"},
    ])
    connection.execute(_t("evaluation_runs", ("id", sa.Integer), ("trigger", sa.String), ("actor", sa.String),
                          ("plugins", sa.JSON), ("since", sa.Date), ("started_at", sa.DateTime),
                          ("finished_at", sa.DateTime), ("activities", sa.Integer), ("outcomes_added", sa.Integer),
                          ("outcomes_superseded", sa.Integer)).insert(), [
        {"id": 1, "trigger": "import", "actor": "cli:old", "plugins": ["reward_tiers"], "since": None,
         "started_at": when, "finished_at": when, "activities": 2, "outcomes_added": 2, "outcomes_superseded": 0},
    ])
    activities = []
    for n, (org, code, standard) in enumerate([(1, "913304007429141869", "GB/T 45123-2025"),
                                               (2, "91330482MA2AH5T006", "GB/T 45124-2025")], start=1):
        fields = {"standard_code": standard, "level": "national", "rank": 1, "revision": False, "title": None,
                  "level_basis": "inferred"}
        activity = Activity("standard_drafting", date(2025, 6, 20), code, fields, ref=f"OLD-{n}")
        activities.append({"id": n, "kind": "standard_drafting", "organisation_id": org, "date": date(2025, 6, 20),
                           "fields": fields, "subject": standard, "external_id": f"OLD-{n}",
                           "fingerprint": fingerprint(activity), "source": f"old-{n}.json", "department_id": 1,
                           "created_at": when, "created_by": "cli:old"})
    connection.execute(_t("activities", ("id", sa.Integer), ("kind", sa.String), ("organisation_id", sa.Integer),
                          ("date", sa.Date), ("fields", sa.JSON), ("subject", sa.String), ("external_id", sa.String),
                          ("fingerprint", sa.String), ("source", sa.String), ("department_id", sa.Integer),
                          ("created_at", sa.DateTime), ("created_by", sa.String)).insert(), activities)
    outcome = _t("outcomes", ("id", sa.Integer), ("activity_id", sa.Integer), ("run_id", sa.Integer),
                 ("plugin", sa.String), ("plugin_version", sa.String), ("rule", sa.String), ("amount", sa.BigInteger),
                 ("clause", sa.String), ("explanation_zh", sa.Text), ("explanation_en", sa.Text),
                 ("parameters", sa.JSON), ("status", sa.String), ("dedup_key", sa.String), ("details", sa.JSON),
                 ("computed_at", sa.DateTime), ("superseded_at", sa.DateTime), ("superseded_by_run_id", sa.Integer))
    connection.execute(outcome.insert(), [
        {"id": n, "activity_id": n, "run_id": 1, "plugin": "reward_tiers", "plugin_version": "1.0.0", "rule": "R2",
         "amount": 300000, "clause": "三(二)", "explanation_zh": "旧的说明", "explanation_en": "old explanation",
         "parameters": [{"key": "reward_tiers.lead.national", "value": 300000, "effective_from": "2022-08-01",
                         "version_id": 1}],
         "status": "ok", "dedup_key": f"drafting:{n}", "details": None, "computed_at": when, "superseded_at": None,
         "superseded_by_run_id": None}
        for n in (1, 2)
    ])
    connection.execute(_t("audit_log", ("id", sa.Integer), ("at", sa.DateTime), ("actor", sa.String),
                          ("action", sa.String), ("target", sa.String), ("department_id", sa.Integer),
                          ("before", sa.JSON), ("after", sa.JSON), ("detail", sa.Text)).insert(), [
        {"id": 1, "at": when, "actor": "cli:old", "action": "activities.import", "target": "old-1.json",
         "department_id": 1, "before": None, "after": {"stored": 2}, "detail": None},
    ])


def _data_at_0002(connection) -> None:
    import sqlalchemy as sa
    from werkzeug.security import generate_password_hash

    when = datetime(2024, 2, 3, 4, 5, 6)
    connection.execute(_t("users", ("id", sa.Integer), ("username", sa.String), ("password_hash", sa.String),
                          ("role", sa.String), ("department_id", sa.Integer), ("active", sa.Boolean),
                          ("language", sa.String), ("created_at", sa.DateTime), ("created_by", sa.String)).insert(), [
        {"id": 1, "username": "old-admin", "password_hash": generate_password_hash(OLD_PASSWORD, "pbkdf2:sha256:1000"),
         "role": "city_admin", "department_id": 1, "active": True, "language": "zh_CN", "created_at": when,
         "created_by": "stdpolicy init"},
    ])
    connection.execute(_t("api_tokens", ("id", sa.Integer), ("department_id", sa.Integer), ("name", sa.String),
                          ("token_hash", sa.String), ("prefix", sa.String), ("created_at", sa.DateTime),
                          ("created_by", sa.String), ("revoked_at", sa.DateTime),
                          ("last_used_at", sa.DateTime)).insert(), [
        {"id": 1, "department_id": 1, "name": "old", "token_hash": "0" * 64, "prefix": "stp_old", "created_at": when,
         "created_by": "old-admin", "revoked_at": None, "last_used_at": None},
    ])


def _data_at_0003(connection) -> None:
    """A re-evaluation that superseded one outcome (the partial index of 0003 covers current ones)."""
    import sqlalchemy as sa

    when = datetime(2024, 3, 4, 5, 6, 7)
    connection.execute(_t("parameter_versions", ("id", sa.Integer), ("key", sa.String), ("sequence", sa.Integer),
                          ("value", sa.Text), ("effective_from", sa.Date), ("reason", sa.Text), ("reference", sa.Text),
                          ("recorded_by", sa.String), ("recorded_at", sa.DateTime), ("source", sa.String)).insert(), [
        {"id": 2, "key": "reward_tiers.lead.national", "sequence": 2, "value": "350000",
         "effective_from": date(2024, 1, 1), "reason": "raised", "reference": "三(二)", "recorded_by": "old-admin",
         "recorded_at": when, "source": "admin"},
    ])
    connection.execute(_t("evaluation_runs", ("id", sa.Integer), ("trigger", sa.String), ("actor", sa.String),
                          ("plugins", sa.JSON), ("since", sa.Date), ("started_at", sa.DateTime),
                          ("finished_at", sa.DateTime), ("activities", sa.Integer), ("outcomes_added", sa.Integer),
                          ("outcomes_superseded", sa.Integer)).insert(), [
        {"id": 2, "trigger": "reevaluate", "actor": "old-admin", "plugins": ["reward_tiers"], "since": None,
         "started_at": when, "finished_at": when, "activities": 2, "outcomes_added": 1, "outcomes_superseded": 1},
    ])
    connection.execute(text("UPDATE outcomes SET superseded_at = :at, superseded_by_run_id = 2 WHERE id = 1"),
                       {"at": when})


def _data_at_0004_sessions(connection) -> None:
    """An ended session of the migrated user, a throttle counter."""
    import sqlalchemy as sa

    when = datetime(2024, 4, 5, 6, 7, 8)
    connection.execute(_t("user_sessions", ("id", sa.Integer), ("key_hash", sa.String), ("user_id", sa.Integer),
                          ("password_stamp", sa.String), ("created_at", sa.DateTime), ("last_seen_at", sa.DateTime),
                          ("ended_at", sa.DateTime), ("end_reason", sa.String), ("address", sa.String),
                          ("user_agent", sa.String)).insert(), [
        {"id": 1, "key_hash": "1" * 64, "user_id": 1, "password_stamp": "0" * 16, "created_at": when,
         "last_seen_at": when, "ended_at": when, "end_reason": "logout", "address": "127.0.0.1",
         "user_agent": "tests"},
    ])
    connection.execute(_t("rate_limits", ("key", sa.String), ("count", sa.Integer), ("expires_at", sa.Float)).insert(),
                       [{"key": "LIMITER/old", "count": 1, "expires_at": 0.0}])


def _data_at_0007_plugin_permissions(connection) -> None:
    """A city administrator's decisions: health may switch reward_tiers on; reward_tiers has no owner."""
    import sqlalchemy as sa

    when = datetime(2024, 7, 8, 9, 10, 11)
    health = connection.scalar(text("SELECT id FROM departments WHERE code = 'health'"))
    if health is None:
        connection.execute(text("INSERT INTO departments (id, code, name_zh, name_en, created_at) "
                                "VALUES (5, 'health', '卫生健康委员会', 'Health Commission', :at)"), {"at": when})
        health = 5
    connection.execute(_t("plugin_permissions", ("id", sa.Integer), ("department_id", sa.Integer), ("plugin", sa.String),
                          ("allowed", sa.Boolean), ("changed_at", sa.DateTime), ("changed_by", sa.String)).insert(), [
        {"id": 1, "department_id": health, "plugin": "reward_tiers", "allowed": True, "changed_at": when,
         "changed_by": "old-admin"},
    ])
    connection.execute(_t("plugin_owners", ("id", sa.Integer), ("plugin", sa.String), ("department_id", sa.Integer),
                          ("changed_at", sa.DateTime), ("changed_by", sa.String)).insert(), [
        {"id": 1, "plugin": "reward_tiers", "department_id": None, "changed_at": when, "changed_by": "old-admin"},
    ])


def _data_at_0009_reference_data(connection) -> None:
    """A version of a plugin's reference table (the plugin is not installed in these tests), and an outcome that read it."""
    import sqlalchemy as sa

    when = datetime(2024, 8, 9, 10, 11, 12)
    connection.execute(_t("reference_versions", ("id", sa.Integer), ("table_key", sa.String), ("sequence", sa.Integer),
                          ("effective_from", sa.Date), ("reason", sa.Text), ("reference", sa.Text),
                          ("recorded_by", sa.String), ("recorded_at", sa.DateTime), ("source", sa.String),
                          ("row_count", sa.Integer), ("digest", sa.String)).insert(), [
        {"id": 1, "table_key": "carbon.quota_standards", "sequence": 1, "effective_from": date(2013, 10, 1),
         "reason": "shipped", "reference": "GB 21256-2013 4.1", "recorded_by": "system", "recorded_at": when,
         "source": "shipped", "row_count": 1, "digest": "0" * 64},
    ])
    connection.execute(_t("reference_rows", ("id", sa.Integer), ("version_id", sa.Integer), ("position", sa.Integer),
                          ("row_key", sa.Text), ("data", sa.Text)).insert(), [
        {"id": 1, "version_id": 1, "position": 1, "row_key": '["GB 21256-2013"]', "data": '{"standard":"GB 21256-2013"}'},
    ])
    outcome = _t("outcomes", ("id", sa.Integer), ("activity_id", sa.Integer), ("run_id", sa.Integer),
                 ("plugin", sa.String), ("plugin_version", sa.String), ("rule", sa.String), ("amount", sa.BigInteger),
                 ("clause", sa.String), ("explanation_zh", sa.Text), ("explanation_en", sa.Text),
                 ("parameters", sa.JSON), ("status", sa.String), ("dedup_key", sa.String), ("details", sa.JSON),
                 ("reference_data", sa.JSON), ("computed_at", sa.DateTime))
    connection.execute(outcome.insert(), [
        {"id": 3, "activity_id": 2, "run_id": 1, "plugin": "carbon", "plugin_version": "0.1", "rule": "C1", "amount": 0,
         "clause": "二(五)1", "explanation_zh": "达到1级", "explanation_en": "grade 1", "parameters": [], "status": "ok",
         "dedup_key": None, "details": None, "computed_at": when,
         "reference_data": [{"key": "carbon.quota_standards", "sequence": 1, "version_id": 1,
                             "effective_from": "2013-10-01", "source": "shipped"}]},
    ])


def _advance_sequences(connection) -> None:
    """PostgreSQL: the ids given explicitly above are taken; the sequences continue after them."""
    if connection.dialect.name != "postgresql":
        return
    from sqlalchemy import inspect as reflect

    inspector = reflect(connection)
    for table in inspector.get_table_names():
        if "id" not in {c["name"] for c in inspector.get_columns(table)}:
            continue
        sequence = connection.scalar(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table})
        if sequence:
            connection.execute(text(f"SELECT setval(:s, coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"),
                               {"s": sequence})


#: (environment, revision) → what a database at that revision holds.
DATA_AT = {("core", "0001"): _data_at_0001, ("core", "0002"): _data_at_0002, ("core", "0003"): _data_at_0003,
           ("core", "0004_sessions"): _data_at_0004_sessions,
           ("core", "0007_plugin_permissions"): _data_at_0007_plugin_permissions,
           ("core", "0009_reference_data"): _data_at_0009_reference_data}
OLD_PASSWORD = "an-old-password-1"


def _rows(connection) -> dict[str, list[dict]]:
    from sqlalchemy import MetaData

    metadata = MetaData()
    metadata.reflect(connection)
    found = {}
    for name, table in metadata.tables.items():
        if name.startswith("alembic_version"):
            continue
        key = list(table.primary_key.columns)
        found[name] = [dict(row) for row in connection.execute(table.select().order_by(*key)).mappings()]
    return found


def _schema(connection) -> dict:
    """Everything about the tables but their rows: columns, keys, indexes, constraints, triggers, versions."""
    inspector = inspect(connection)
    found: dict = {}
    for table in sorted(inspector.get_table_names()):
        found[table] = {
            "columns": [(c["name"], str(c["type"]), c["nullable"], str(c.get("default"))) for c in
                        inspector.get_columns(table)],
            "primary key": inspector.get_pk_constraint(table),
            "foreign keys": sorted((fk["name"] or "", tuple(fk["constrained_columns"]), fk["referred_table"],
                                    tuple(fk["referred_columns"])) for fk in inspector.get_foreign_keys(table)),
            "indexes": sorted((ix["name"], tuple(ix["column_names"]), bool(ix["unique"]),
                               sorted((k, str(v)) for k, v in ix.get("dialect_options", {}).items()))
                              for ix in inspector.get_indexes(table)),
            "unique": sorted((uq["name"] or "", tuple(uq["column_names"])) for uq in
                             inspector.get_unique_constraints(table)),
        }
        if table.startswith("alembic_version"):
            found[table]["rows"] = sorted(connection.scalars(text(f"SELECT version_num FROM {table}")))
    if connection.dialect.name == "sqlite":
        found["triggers"] = sorted(connection.execute(text(
            "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")).all())
    else:
        found["triggers"] = sorted(connection.execute(text(
            "SELECT tgname, tgrelid::regclass::text, pg_get_triggerdef(oid) FROM pg_trigger "
            "WHERE NOT tgisinternal")).all())
        found["functions"] = sorted(connection.execute(text(
            "SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p JOIN pg_namespace n "
            "ON n.oid = p.pronamespace WHERE n.nspname = 'public'")).all())
    return found


@pytest.fixture
def fresh_schema(stdpolicy_database_url: str) -> dict:
    """The schema of a new database migrated from nothing (the test kit's migrated template, copied)."""
    engine = create_engine(stdpolicy_database_url)
    try:
        with engine.connect() as connection:
            return _schema(connection)
    finally:
        engine.dispose()


def test_a_database_with_data_from_every_revision_upgrades_to_head(bare_app: Flask, tmp_path, fresh_schema) -> None:
    """Rows stored at each revision survive every later migration, the result is a new database's, and works."""
    with bare_app.app_context():
        _down_to_base()
        kept: dict[str, list[dict]] = {}
        for env in environments():  # core's revisions, then the admin's
            revisions = [r.revision for r in reversed(list(env.script().walk_revisions()))]  # base first
            for revision in revisions:
                upgrade(env, revision)
                with db.engine.connect() as connection:
                    now = _rows(connection)
                    for name, rows in kept.items():  # everything stored before this revision is still there
                        for row in rows:
                            assert any(all(r[k] == v for k, v in row.items()) for r in now[name]), (revision, name, row)
                    if (env.name, revision) in DATA_AT:
                        DATA_AT[env.name, revision](connection)
                        _advance_sequences(connection)
                        connection.commit()
                    kept = _rows(connection)
        assert _revision() == ScriptDirectory(MIGRATIONS_DIR).get_current_head()
        assert _all_up_to_date()
        assert _differences() == {}
        assert EXPECTED_TRIGGERS[db.engine.dialect.name] <= _triggers()
        # The same schema as a database created today from nothing, version tables included.
        with db.engine.connect() as connection:
            upgraded = _schema(connection)
        assert upgraded == fresh_schema
        # The name history starts with the names stored before it (0006).
        from core.store.organisations import name_history

        [first] = name_history(1)
        assert (first.name, first.source, first.current) == ("嘉兴市某某制造有限公司", "old-1.json", True)
        assert name_history(2) == []
        db.session.rollback()
        db.engine.dispose()

    # The application works on the result: the commands, and the admin.
    runner = bare_app.test_cli_runner()
    init = runner.invoke(args=["init"])
    assert init.exit_code == 0, init.output
    assert "created city administrator" not in init.output  # the migrated one is kept
    plugins = runner.invoke(args=["plugins"])
    assert "owner:       — (city administrators only)" in plugins.output  # the decisions stored at 0007 hold
    assert "permitted:   health, market_regulation" in plugins.output
    history = runner.invoke(args=["params", "history", "reward_tiers.lead.national"])
    assert history.exit_code == 0 and "350,000" in history.output and "shipped" in history.output
    # The version of an uninstalled plugin's table is kept, and in nobody's way.
    listed = runner.invoke(args=["refdata", "list"])
    assert listed.exit_code == 0 and "carbon.quota_standards" not in listed.output
    reevaluated = runner.invoke(args=["reevaluate"])
    assert reevaluated.exit_code == 0, reevaluated.output
    renamed = tmp_path / "renamed.json"
    renamed.write_text(
        '[{"id": "NEW-1", "kind": "standard_drafting", "date": "2025-07-01", "credit_code": "913304007429141869", '
        '"organisation": "嘉兴市某某制造股份有限公司", "standard_code": "GB/T 45999-2025", "rank": 1}]',
        encoding="utf-8")
    imported = runner.invoke(args=["import", str(renamed)])
    assert imported.exit_code == 0, imported.output
    assert "嘉兴市某某制造有限公司 → 嘉兴市某某制造股份有限公司" in imported.output

    client = bare_app.test_client()
    assert client.post("/login", data={"username": "old-admin", "password": OLD_PASSWORD}).status_code == 302
    page = client.get("/activities/1?lang=en")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    names = body.split('id="organisation-names"', 1)[1].split("</section>", 1)[0]
    assert "Organisation name history" in names
    assert names.index("嘉兴市某某制造有限公司") < names.index("嘉兴市某某制造股份有限公司")
    assert "old-1.json" in names and "renamed.json" in names
    assert client.get("/parameters/reward_tiers.lead.national").status_code == 200


def test_0015_clears_the_group_keys_that_changed(bare_app: Flask) -> None:
    """GB 45123-2025 is GB/T 45123-2025's series now (core.identity), and secretariats are grouped by committee:
    their stored group keys name the old groups, and are cleared; the next import or re-evaluation fills the
    new ones. A /T number keeps its key."""
    import sqlalchemy as sa

    from core.store.incremental import fill_group_keys

    activities = _t("activities", ("id", sa.Integer), ("kind", sa.String), ("organisation_id", sa.Integer),
                    ("date", sa.Date), ("fields", sa.JSON), ("subject", sa.String), ("external_id", sa.String),
                    ("fingerprint", sa.String), ("source", sa.String), ("created_at", sa.DateTime),
                    ("created_by", sa.String), ("group_key", sa.String))
    when = datetime(2025, 7, 1)
    with bare_app.app_context():
        _down_to_base()
        core_env = environment("core")
        upgrade(core_env, "0014_activity_kind_subject_index")
        with db.engine.begin() as connection:
            connection.execute(_t("organisations", ("id", sa.Integer), ("credit_code", sa.String), ("name", sa.String),
                                  ("region_code", sa.String), ("created_at", sa.DateTime)).insert(),
                               [{"id": 1, "credit_code": "913304007429141869", "name": "嘉兴市某某制造有限公司",
                                 "region_code": "330400", "created_at": when}])
            connection.execute(activities.insert(), [
                {"id": n, "kind": kind, "organisation_id": 1, "date": date(2025, 6, 20), "fields": fields,
                 "subject": subject, "external_id": f"OLD-{n}", "fingerprint": f"fp-{n}", "source": "old.json",
                 "created_at": when, "created_by": "cli:old", "group_key": key}
                for n, (kind, subject, key, fields) in enumerate([
                    ("standard_drafting", "GB 45123-2025", "'GB 45123'",
                     {"standard_code": "GB 45123-2025", "level": "national", "rank": 1, "revision": False}),
                    ("standard_drafting", "GB/T 45124-2025", "'GB/T 45124'",
                     {"standard_code": "GB/T 45124-2025", "level": "national", "rank": 1, "revision": False}),
                    ("tc_secretariat", "SAC/TC 548", "'913304007429141869'",
                     {"committee_code": "SAC/TC 548", "committee_level": "national"}),
                ], start=1)])
        upgrade_all()
        keys = lambda: dict(db.session.execute(sa.select(activities.c.id, activities.c.group_key)).all())  # noqa: E731
        assert keys() == {1: None, 2: "'GB/T 45124'", 3: None}
        assert fill_group_keys(get_registry()) == 2
        assert keys() == {1: "'GB/T 45123'", 2: "'GB/T 45124'", 3: "'SAC/TC 548'"}
        db.session.rollback()
        _down_to_base()
        upgrade_all()
        db.engine.dispose()


def test_upgrade_sql_prints_every_environment(bare_app: Flask) -> None:
    """`stdpolicy db upgrade --sql`: the SQL of core's migrations, then the admin's; nothing is run."""
    result = bare_app.test_cli_runner().invoke(args=["db", "upgrade", "--sql"])
    assert result.exit_code == 0, result.output
    assert result.output.index("INSERT INTO alembic_version (version_num) VALUES ('0001')") \
        < result.output.index("INSERT INTO alembic_version_webadmin (version_num) VALUES ('0001_admin_tables')")
