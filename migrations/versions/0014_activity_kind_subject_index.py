"""activity_kind_subject_index: the activities' subjects indexed within their kind, for prefix searches

The payment history a rule reads (``core.store.history``: "the stored
records of this standard's series") asks for a kind's activities whose
subject starts with one of a few prefixes. The index on the subject alone
served that on SQLite (with the kind tested row by row); on PostgreSQL it
could not serve it at all, since a B-tree in the database's collation
orders no prefixes, and each evaluation scanned the kind's rows (40 ms for
one record against a register of 100,000). One index on (kind, subject)
serves both, on PostgreSQL with ``varchar_pattern_ops`` (subjects ordered
as bytes, as the history's ranges compare them); it replaces the subject's
own, which nothing else used.

Revision ID: 0014_activity_kind_subject_index
Revises: 0013_activity_group_keys
Create Date: 2026-11-30 19:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0014_activity_kind_subject_index'
down_revision = '0013_activity_group_keys'
branch_labels = None
depends_on = None


#: ``stdpolicy db downgrade`` asks for --drop-history and a typed confirmation
#: before undoing a revision with this set (see core/cli/dbguard.py).
DROPS_HISTORY = None  # an index only


def upgrade():
    op.create_index('ix_activities_kind_subject', 'activities', ['kind', 'subject'], unique=False,
                    postgresql_ops={'subject': 'varchar_pattern_ops'})
    op.drop_index('ix_activities_subject', table_name='activities')


def downgrade():
    op.create_index('ix_activities_subject', 'activities', ['subject'], unique=False)
    op.drop_index('ix_activities_kind_subject', table_name='activities')
