"""outcome statuses up to 20 characters (tracking, compliant, non_compliant, held …)

Issue 7 gives outcomes statuses besides ``ok`` and ``error`` (``core.OutcomeStatus``);
``non_compliant`` has 13 characters, ``outcomes.status`` held 10.

PostgreSQL widens the column in place (no row is rewritten, no row trigger
fires). SQLite cannot change a column's declared type: the table is rebuilt
in the documented way (new table, rows copied, old table dropped, new one
renamed), and its indexes and its append-only triggers are created again
from their own stored definitions, so none is lost. SQLite fires no trigger
for the copy or the drop.

Revision ID: 0010_outcome_status_length
Revises: 0009_reference_data
Create Date: 2026-12-02 10:00:00

"""
import re

from alembic import context, op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_outcome_status_length'
down_revision = '0009_reference_data'
branch_labels = None
depends_on = None

#: ``stdpolicy db downgrade`` asks for --drop-history and a typed confirmation
#: before undoing a revision with this set (see core/cli/dbguard.py).
DROPS_HISTORY = None  # the downgrade narrows a column; it refuses if a longer status is stored


def _sqlite_status_length(length):
    connection = op.get_bind()
    table_sql = connection.scalar(sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'outcomes'"))
    others = [row[0] for row in connection.execute(sa.text(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'outcomes' AND type IN ('index', 'trigger') AND sql IS NOT NULL "
        "ORDER BY type, name"))]
    new_sql, changed = re.subn(r"\bstatus VARCHAR\(\d+\)", f"status VARCHAR({length})", table_sql)
    if changed != 1:
        raise RuntimeError("outcomes.status: its declaration was not found in the table's definition")
    new_sql = re.sub(r"^CREATE TABLE \"?outcomes\"?", "CREATE TABLE _outcomes_new", new_sql)
    op.execute(new_sql)
    op.execute("INSERT INTO _outcomes_new SELECT * FROM outcomes")
    op.execute("DROP TABLE outcomes")
    op.execute("ALTER TABLE _outcomes_new RENAME TO outcomes")
    for sql in others:  # indexes first (ORDER BY type), then the triggers
        op.execute(sql)


def _offline_sqlite():
    """``db upgrade --sql`` on SQLite: the rebuild reads the table's stored definition, which a script cannot.

    SQLite does not enforce a VARCHAR's length, so a database upgraded from
    such a script stores every status; only the declared type stays 10.
    """
    op.execute("-- outcomes.status VARCHAR(10) -> VARCHAR(20): SQLite ignores the length; "
               "run `stdpolicy db upgrade` (not --sql) to rebuild the table with the new declaration")


def upgrade():
    if context.is_offline_mode() and op.get_context().dialect.name == "sqlite":
        _offline_sqlite()
    elif op.get_bind().dialect.name == "sqlite":
        _sqlite_status_length(20)
    else:
        with op.batch_alter_table('outcomes', schema=None) as batch_op:
            batch_op.alter_column('status', existing_type=sa.String(length=10), type_=sa.String(length=20),
                                  existing_nullable=False)


def downgrade():
    if context.is_offline_mode():
        raise RuntimeError("0010_outcome_status_length is undone on a live database only: it checks the stored statuses")
    connection = op.get_bind()
    longest = connection.scalar(sa.text("SELECT max(length(status)) FROM outcomes")) or 0
    if longest > 10:
        raise RuntimeError(f"outcomes hold a status of {longest} characters; 0007's column holds 10: "
                           "stay at 0010 (outcomes are history and are never changed)")
    if connection.dialect.name == "sqlite":
        _sqlite_status_length(10)
    else:
        with op.batch_alter_table('outcomes', schema=None) as batch_op:
            batch_op.alter_column('status', existing_type=sa.String(length=20), type_=sa.String(length=10),
                                  existing_nullable=False)
