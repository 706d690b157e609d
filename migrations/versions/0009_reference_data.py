"""versioned reference data: reference_versions and reference_rows (append-only); outcomes record the versions read

A plugin's reference tables (energy-quota limit values, the public-service
lists, benchmark indicator sets) are stored as whole versions: one
``reference_versions`` row per version (table key, sequence 第N版,
effective date, reason, reference, who, when, source, digest) and its rows
in ``reference_rows`` as canonical JSON. Both are guarded like the other
history tables: no UPDATE, DELETE, REPLACE (SQLite) or TRUNCATE
(PostgreSQL). ``outcomes.reference_data`` holds the versions an outcome
read; SQLite's ``outcomes_supersede_only`` trigger lists the frozen columns
and is re-created with it (PostgreSQL's compares whole rows already).

Revision ID: 0009_reference_data
Revises: 0008_environments
Create Date: 2026-12-02 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_reference_data'
down_revision = '0008_environments'
branch_labels = None
depends_on = None

#: ``stdpolicy db downgrade`` asks for --drop-history and a typed confirmation
#: before undoing this revision (see core/cli/dbguard.py).
DROPS_HISTORY = "every version of the reference data tables, and which versions the outcomes read"

_TABLES = {"reference_versions": [("id",), ("table_key", "sequence")], "reference_rows": [("id",), ("version_id", "position")]}

# The outcome columns that may never change (0001's list, and the new one).
_OUTCOME_FROZEN = (
    "activity_id", "run_id", "plugin", "plugin_version", "rule", "amount", "clause", "explanation_zh",
    "explanation_en", "parameters", "status", "dedup_key", "details", "computed_at",
)


def _supersede_only(columns):
    return f"""CREATE TRIGGER outcomes_supersede_only BEFORE UPDATE ON outcomes
       WHEN OLD.superseded_at IS NOT NULL OR {" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)}
       BEGIN SELECT RAISE(ABORT, 'an outcome can only be marked superseded, once'); END"""


def _sqlite_guards(table, keys):
    taken = " OR ".join(
        "EXISTS (SELECT 1 FROM {t} WHERE {cond})".format(t=table, cond=" AND ".join(f"{c} = NEW.{c}" for c in cols))
        for cols in keys
    )
    return [
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END",
        f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} WHEN {taken} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: a recorded row cannot be replaced'); END",
    ]


def upgrade():
    op.create_table('reference_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('table_key', sa.String(length=200), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('reference', sa.Text(), nullable=False),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_versions')),
    sa.UniqueConstraint('table_key', 'sequence', name='uq_reference_versions_table_key_sequence')
    )
    op.create_index(op.f('ix_reference_versions_table_key'), 'reference_versions', ['table_key'], unique=False)
    op.create_table('reference_rows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('row_key', sa.Text(), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['reference_versions.id'], name=op.f('fk_reference_rows_version_id_reference_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_rows')),
    sa.UniqueConstraint('version_id', 'position', name='uq_reference_rows_version_id_position')
    )
    # A plain ADD COLUMN (no batch: SQLite would rebuild the table and drop its triggers).
    op.add_column('outcomes', sa.Column('reference_data', sa.JSON(), nullable=True))

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table, keys in _TABLES.items():
            for statement in _sqlite_guards(table, keys):
                op.execute(statement)
        op.execute("DROP TRIGGER IF EXISTS outcomes_supersede_only")
        op.execute(_supersede_only((*_OUTCOME_FROZEN, "reference_data")))
    elif dialect == "postgresql":
        for table in _TABLES:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION stdpolicy_append_only()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION stdpolicy_append_only()")


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        # SQLite refuses to drop a column a trigger names: the old trigger comes back first.
        op.execute("DROP TRIGGER IF EXISTS outcomes_supersede_only")
        op.execute(_supersede_only(_OUTCOME_FROZEN))
        for table in _TABLES:
            for verb in ("update", "delete", "replace"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")
    elif dialect == "postgresql":
        for table in _TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    op.drop_column('outcomes', 'reference_data')
    op.drop_table('reference_rows')
    op.drop_index(op.f('ix_reference_versions_table_key'), table_name='reference_versions')
    op.drop_table('reference_versions')
