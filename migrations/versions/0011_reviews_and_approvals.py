"""review decisions on held outcomes, and issued approval lists (拨付清单) with their rows; all append-only

Issue 11: a held outcome (待核实) is approved or rejected by a reviewer of
the owning department with a note (``review_decisions``); the finance
office issues numbered approval lists of payable outcomes, frozen as issued
(``approval_lists``, ``approval_list_items``); a correction is a new,
supplementary list. All three tables are guarded like the other history
tables: no UPDATE, DELETE, REPLACE (SQLite) or TRUNCATE (PostgreSQL).

Revision ID: 0011_reviews_and_approvals
Revises: 0010_outcome_status_length
Create Date: 2026-11-30 02:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_reviews_and_approvals'
down_revision = '0010_outcome_status_length'
branch_labels = None
depends_on = None

#: ``stdpolicy db downgrade`` asks for --drop-history and a typed confirmation
#: before undoing this revision (see core/cli/dbguard.py).
DROPS_HISTORY = "every review decision on held outcomes and every issued approval list"

_TABLES = {
    "review_decisions": [("id",)],
    "approval_lists": [("id",), ("number",)],
    "approval_list_items": [("id",), ("list_id", "position")],
}


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
    op.create_table('review_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('outcome_id', sa.Integer(), nullable=False),
    sa.Column('plugin', sa.String(length=100), nullable=False),
    sa.Column('rule', sa.String(length=20), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('held_amount', sa.BigInteger(), nullable=False),
    sa.Column('basis', sa.String(length=64), nullable=False),
    sa.Column('decided_by', sa.String(length=100), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_review_decisions_activity_id_activities')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_review_decisions_department_id_departments')),
    sa.ForeignKeyConstraint(['outcome_id'], ['outcomes.id'], name=op.f('fk_review_decisions_outcome_id_outcomes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_decisions'))
    )
    op.create_index('ix_review_decisions_activity_rule', 'review_decisions', ['activity_id', 'plugin', 'rule'], unique=False)
    op.create_table('approval_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=50), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('supplements_id', sa.Integer(), nullable=True),
    sa.Column('plugin', sa.String(length=100), nullable=False),
    sa.Column('period_from', sa.Date(), nullable=False),
    sa.Column('period_to', sa.Date(), nullable=False),
    sa.Column('item_count', sa.Integer(), nullable=False),
    sa.Column('total_amount', sa.BigInteger(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('issued_by', sa.String(length=100), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_approval_lists_department_id_departments')),
    sa.ForeignKeyConstraint(['supplements_id'], ['approval_lists.id'], name=op.f('fk_approval_lists_supplements_id_approval_lists')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_lists')),
    sa.UniqueConstraint('number', name=op.f('uq_approval_lists_number'))
    )
    op.create_table('approval_list_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('outcome_id', sa.Integer(), nullable=False),
    sa.Column('review_decision_id', sa.Integer(), nullable=True),
    sa.Column('corrects_item_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('organisation_name', sa.String(length=200), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('achievement', sa.Text(), nullable=False),
    sa.Column('achievement_date', sa.Date(), nullable=False),
    sa.Column('rule', sa.String(length=20), nullable=False),
    sa.Column('clause', sa.String(length=50), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('explanation_zh', sa.Text(), nullable=False),
    sa.Column('explanation_en', sa.Text(), nullable=False),
    sa.Column('parameters', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_approval_list_items_activity_id_activities')),
    sa.ForeignKeyConstraint(['corrects_item_id'], ['approval_list_items.id'], name=op.f('fk_approval_list_items_corrects_item_id_approval_list_items')),
    sa.ForeignKeyConstraint(['list_id'], ['approval_lists.id'], name=op.f('fk_approval_list_items_list_id_approval_lists')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_approval_list_items_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['outcome_id'], ['outcomes.id'], name=op.f('fk_approval_list_items_outcome_id_outcomes')),
    sa.ForeignKeyConstraint(['review_decision_id'], ['review_decisions.id'], name=op.f('fk_approval_list_items_review_decision_id_review_decisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_list_items')),
    sa.UniqueConstraint('list_id', 'position', name='uq_approval_list_items_list_id_position')
    )
    op.create_index(op.f('ix_approval_list_items_activity_id'), 'approval_list_items', ['activity_id'], unique=False)

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table, keys in _TABLES.items():
            for statement in _sqlite_guards(table, keys):
                op.execute(statement)
    elif dialect == "postgresql":
        for table in _TABLES:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION stdpolicy_append_only()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION stdpolicy_append_only()")


def downgrade():
    dialect = op.get_bind().dialect.name
    for table in reversed(list(_TABLES)):
        if dialect == "sqlite":
            for verb in ("update", "delete", "replace"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")
        elif dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    op.drop_index(op.f('ix_approval_list_items_activity_id'), table_name='approval_list_items')
    op.drop_table('approval_list_items')
    op.drop_table('approval_lists')
    op.drop_index('ix_review_decisions_activity_rule', table_name='review_decisions')
    op.drop_table('review_decisions')
