"""new_group_keys: evaluation groups recomputed where their readings changed

Two readings changed which records are evaluated together
(``core.grouping``):

- ``core.identity`` reads a number written with a mandatory or guidance
  code (``GB 45123-2025``, ``GB/Z …``, a province's ``DB33/ …``, an
  industry's ``JB …``) as the standard of the same number with ``/T``: one
  series, so one group (``by_standard_series``). Records whose number
  carries ``/T`` keep their key: their series did not change.
- a committee has one secretariat, so secretariats are grouped by committee
  (``by_committee``), no longer by organisation.

The keys stored for those records name the old groups. They are cleared
here, and the next import, re-evaluation or preview fills them again from
the plugins' ``group`` functions (``core.store.incremental.fill_group_keys``),
as it fills any key a row lacks; a migration does not load the plugins.

Revision ID: 0015_new_group_keys
Revises: 0014_activity_kind_subject_index
Create Date: 2026-12-01 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_new_group_keys'
down_revision = '0014_activity_kind_subject_index'
branch_labels = None
depends_on = None


#: ``stdpolicy db downgrade`` asks for --drop-history and a typed confirmation
#: before undoing a revision with this set (see core/cli/dbguard.py).
DROPS_HISTORY = None  # derived keys only: they are filled again


_CHANGED = sa.text(
    "UPDATE activities SET group_key = NULL "
    "WHERE (kind = 'standard_drafting' AND (subject IS NULL OR subject NOT LIKE '%/T %')) OR kind = 'tc_secretariat'"
)


def upgrade():
    op.execute(_CHANGED)


def downgrade():
    # The keys the code before computes are filled again by it for every row without one.
    op.execute(_CHANGED)
