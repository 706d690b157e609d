"""activity_group_keys: each activity's evaluation group, indexed with its kind

Re-evaluation after a parameter change recomputes only the activities that
read the changed parameter, together with every activity of their evaluation
groups (``core.grouping``: the activities a rule may read together, e.g. the
one-time chain of a standard). Finding a group's members needs its key
stored beside the kind. The key comes from the plugins' ``group`` functions,
which a migration does not load: existing rows stay empty here and the next
re-evaluation or preview fills them (``core.store.incremental``); imports
fill them for new rows.

Revision ID: 0013_activity_group_keys
Revises: 0012_whatif_scenarios
Create Date: 2026-11-30 06:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_activity_group_keys'
down_revision = '0012_whatif_scenarios'
branch_labels = None
depends_on = None


#: ``stdpolicy db downgrade`` asks for --drop-history and a typed confirmation
#: before undoing a revision with this set (see core/cli/dbguard.py).
DROPS_HISTORY = None  # the keys are derived from the activities; a re-evaluation fills them again


def upgrade():
    op.add_column('activities', sa.Column('group_key', sa.String(length=200), nullable=True))
    op.create_index('ix_activities_kind_group', 'activities', ['kind', 'group_key'], unique=False)


def downgrade():
    # In place (SQLite 3.35+ drops a column without rebuilding the table, which the outcomes' foreign keys forbid).
    op.drop_index('ix_activities_kind_group', table_name='activities')
    op.drop_column('activities', 'group_key')
