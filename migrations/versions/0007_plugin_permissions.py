"""plugin permissions and owners

City administrators decide which plugins each department may switch on
(``plugin_permissions``) and which department owns each plugin
(``plugin_owners``: its administrators record the plugin's parameters).
Both tables hold only what differs from ``core/data/departments.yaml``; an
empty table means the shipped defaults. A plugin switched on for a
department that is not permitted it evaluates nothing for that department
until a city administrator permits it (see the README).

Revision ID: 0007_plugin_permissions
Revises: 0006_organisation_names
Create Date: 2026-12-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_plugin_permissions'
down_revision = '0006_organisation_names'
branch_labels = None
depends_on = None

#: ``stdpolicy db downgrade`` asks for --drop-history and a typed confirmation
#: before undoing a revision with this set (see core/cli/dbguard.py). The
#: audit log keeps every decision, but dropping the tables puts the defaults
#: back in force: a plugin a city administrator forbade a department would be
#: permitted again.
DROPS_HISTORY = "the city administrators' plugin permissions and owners"


def upgrade():
    op.create_table('plugin_permissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('plugin', sa.String(length=100), nullable=False),
    sa.Column('allowed', sa.Boolean(), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.Column('changed_by', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_plugin_permissions_department_id_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plugin_permissions')),
    sa.UniqueConstraint('department_id', 'plugin', name='uq_plugin_permissions_department_plugin')
    )
    op.create_table('plugin_owners',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plugin', sa.String(length=100), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.Column('changed_by', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_plugin_owners_department_id_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plugin_owners')),
    sa.UniqueConstraint('plugin', name=op.f('uq_plugin_owners_plugin'))
    )


def downgrade():
    op.drop_table('plugin_owners')
    op.drop_table('plugin_permissions')
