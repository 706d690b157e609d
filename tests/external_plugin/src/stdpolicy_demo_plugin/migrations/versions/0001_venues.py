"""training venues

Revision ID: 0001_venues
Revises:
Create Date: 2026-12-02 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001_venues'
down_revision = None
branch_labels = None
depends_on = None

#: ``stdpolicy db downgrade`` asks for --drop-history and a typed confirmation before undoing this.
DROPS_HISTORY = "the demo plugin's training venues"


def upgrade():
    op.create_table('demo_venues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'],
                            name=op.f('fk_demo_venues_department_id_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_demo_venues')),
    sa.UniqueConstraint('name', name=op.f('uq_demo_venues_name'))
    )


def downgrade():
    op.drop_table('demo_venues')
