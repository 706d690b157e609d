"""venue capacity; venues looked up by department

Revision ID: 0002_venue_capacity
Revises: 0001_venues
Create Date: 2026-12-02 11:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_venue_capacity'
down_revision = '0001_venues'
branch_labels = None
depends_on = None

#: ``stdpolicy db downgrade`` asks for --drop-history and a typed confirmation before undoing this.
DROPS_HISTORY = "the venues' capacities"


def upgrade():
    op.add_column('demo_venues', sa.Column('capacity', sa.Integer(), nullable=True))
    op.create_index(op.f('ix_demo_venues_department_id'), 'demo_venues', ['department_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_demo_venues_department_id'), table_name='demo_venues')
    with op.batch_alter_table('demo_venues') as batch_op:
        batch_op.drop_column('capacity')
