"""whatif_scenarios: saved budget what-ifs (proposed parameter versions, not recorded)

A scenario is a named list of proposed parameter versions (key, value,
effective date) that ``stdpolicy whatif`` and the admin's planning page
evaluate against the stored register without recording them. Recording a
scenario stores real parameter versions (``parameter_versions``, with their
audit entries) and notes here when and which; the proposals themselves are
never parameter versions.

Revision ID: 0012_whatif_scenarios
Revises: 0011_reviews_and_approvals
Create Date: 2026-11-30 02:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_whatif_scenarios'
down_revision = '0011_reviews_and_approvals'
branch_labels = None
depends_on = None

#: ``stdpolicy db downgrade`` asks for --drop-history and a typed confirmation
#: before undoing this revision (see core/cli/dbguard.py).
DROPS_HISTORY = "every saved what-if scenario"


def upgrade():
    op.create_table('whatif_scenarios',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('proposals', sa.JSON(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=True),
    sa.Column('recorded_by', sa.String(length=100), nullable=True),
    sa.Column('recorded_versions', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_whatif_scenarios_department_id_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_whatif_scenarios')),
    sa.UniqueConstraint('name', name=op.f('uq_whatif_scenarios_name'))
    )


def downgrade():
    op.drop_table('whatif_scenarios')
