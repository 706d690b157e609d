"""outcomes: partial index of current outcomes (plugin, amount, activity_id)

The register's "amount above zero" filter needs the activities with a
current outcome above zero of the department's plugins. Without this index
that is one look-up in the outcomes table per outcome (measured: ~260 ms for
100,000 outcomes on SQLite); with it, a range scan of the index alone (~2 ms).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 15:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

#: ``stdpolicy db downgrade`` asks for --drop-history and a typed confirmation
#: before undoing a revision with this set (see core/cli/dbguard.py).
DROPS_HISTORY = None  # drops an index only


# Plain CREATE/DROP INDEX, not a batch operation: a batch may rebuild the
# table on SQLite, which would drop the triggers that keep outcomes append-only.

def upgrade():
    op.create_index(
        'ix_outcomes_current_amount', 'outcomes', ['plugin', 'amount', 'activity_id'], unique=False,
        sqlite_where=sa.text('superseded_at IS NULL'), postgresql_where=sa.text('superseded_at IS NULL'),
    )


def downgrade():
    op.drop_index('ix_outcomes_current_amount', table_name='outcomes')
