"""organisation name history: every name a credit code arrived with, append-only

A known credit code arriving with another organisation name used to be
dropped silently. ``organisation_names`` keeps each name with when it was
first seen, the source and the import's evaluation run; the organisation's
current name stays in ``organisations.name`` (the latest imported). The
names already stored are its first rows (first seen: the organisation's
creation; source: its first activity's). The table is guarded like the
other history tables (no UPDATE, DELETE, REPLACE or TRUNCATE).

Revision ID: 0006_organisation_names
Revises: 0005_history_guards
Create Date: 2026-11-29 20:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_organisation_names'
down_revision = '0005_history_guards'
branch_labels = None
depends_on = None

#: ``stdpolicy db downgrade`` asks for --drop-history and a typed confirmation
#: before undoing this revision (see core/cli/dbguard.py).
DROPS_HISTORY = "the organisations' name history"

_SQLITE_TRIGGERS = [
    """CREATE TRIGGER organisation_names_no_update BEFORE UPDATE ON organisation_names
       BEGIN SELECT RAISE(ABORT, 'organisation_names is append-only'); END""",
    """CREATE TRIGGER organisation_names_no_delete BEFORE DELETE ON organisation_names
       BEGIN SELECT RAISE(ABORT, 'organisation_names is append-only'); END""",
    """CREATE TRIGGER organisation_names_no_replace BEFORE INSERT ON organisation_names
       WHEN EXISTS (SELECT 1 FROM organisation_names WHERE id = NEW.id)
       BEGIN SELECT RAISE(ABORT, 'organisation_names is append-only: a recorded row cannot be replaced'); END""",
]

_POSTGRES_TRIGGERS = [
    """CREATE TRIGGER organisation_names_append_only BEFORE UPDATE OR DELETE ON organisation_names
       FOR EACH ROW EXECUTE FUNCTION stdpolicy_append_only()""",
    """CREATE TRIGGER organisation_names_no_truncate BEFORE TRUNCATE ON organisation_names
       FOR EACH STATEMENT EXECUTE FUNCTION stdpolicy_append_only()""",
]


def upgrade():
    op.create_table('organisation_names',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_organisation_names_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['run_id'], ['evaluation_runs.id'], name=op.f('fk_organisation_names_run_id_evaluation_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation_names'))
    )
    # Plain CREATE INDEX: a batch operation could rebuild the table on SQLite.
    op.create_index(op.f('ix_organisation_names_organisation_id'), 'organisation_names', ['organisation_id'], unique=False)
    op.execute(
        "INSERT INTO organisation_names (organisation_id, name, first_seen_at, source, run_id, recorded_by) "
        "SELECT o.id, o.name, o.created_at, "
        "COALESCE((SELECT a.source FROM activities a WHERE a.organisation_id = o.id ORDER BY a.id LIMIT 1), "
        "''), NULL, 'migration 0006' "
        "FROM organisations o WHERE o.name IS NOT NULL ORDER BY o.id"
    )
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": _SQLITE_TRIGGERS, "postgresql": _POSTGRES_TRIGGERS}.get(dialect, []):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("organisation_names_no_update", "organisation_names_no_delete", "organisation_names_no_replace"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS organisation_names_append_only ON organisation_names")
        op.execute("DROP TRIGGER IF EXISTS organisation_names_no_truncate ON organisation_names")
    op.drop_index(op.f('ix_organisation_names_organisation_id'), table_name='organisation_names')
    op.drop_table('organisation_names')
