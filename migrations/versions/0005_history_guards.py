"""history cannot be rewritten: refuse SQLite's INSERT OR REPLACE and PostgreSQL's TRUNCATE on append-only tables

Migration 0001 refuses UPDATE and DELETE on the audit log, the parameter
versions and the outcomes. Two statements slipped past it:

- SQLite: ``INSERT OR REPLACE`` (and ``REPLACE``) resolves a conflict on the
  primary key or a unique key by deleting the old row, and SQLite fires no
  DELETE trigger for that unless ``PRAGMA recursive_triggers`` is on (a
  per-connection setting any client can leave off). A BEFORE INSERT trigger
  that refuses a row whose key is taken does not depend on it: a plain
  INSERT with a taken key fails anyway, so only the replacement is new.
- PostgreSQL: ``TRUNCATE`` fires no row triggers. A BEFORE TRUNCATE
  statement trigger refuses it (also when reached through ``CASCADE``).

Revision ID: 0005_history_guards
Revises: 0004_sessions
Create Date: 2026-11-29 20:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0005_history_guards'
down_revision = '0004_sessions'
branch_labels = None
depends_on = None

#: ``stdpolicy db downgrade`` asks for --drop-history and a typed confirmation
#: before undoing a revision with this set (see core/cli/dbguard.py).
DROPS_HISTORY = None  # the downgrade removes guards, not data

#: Append-only tables → the columns of each unique key (the primary key first).
_KEYS = {
    "audit_log": [("id",)],
    "parameter_versions": [("id",), ("key", "sequence")],
    "outcomes": [("id",)],
}


def _no_replace(table, keys):
    taken = " OR ".join(
        "EXISTS (SELECT 1 FROM {t} WHERE {cond})".format(
            t=table, cond=" AND ".join(f"{c} = NEW.{c}" for c in columns))
        for columns in keys
    )
    return (f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} WHEN {taken} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: a recorded row cannot be replaced'); END")


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table, keys in _KEYS.items():
            op.execute(_no_replace(table, keys))
    elif dialect == "postgresql":
        for table in _KEYS:
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION stdpolicy_append_only()")


def downgrade():
    dialect = op.get_bind().dialect.name
    for table in _KEYS:
        if dialect == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_replace")
        elif dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
