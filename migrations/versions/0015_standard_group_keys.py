"""standard_group_keys: standards' evaluation groups recomputed once GB, GB/T and GB/Z are one series

``core.identity`` reads a number written with a mandatory or guidance code
(``GB 45123-2025``, ``GB/Z …``, a province's ``DB33/ …``, an industry's
``JB …``) as the standard of the same number with ``/T``: one series, so
one evaluation group (``core.grouping.by_standard_series``). The group keys
stored for such records name the old series. They are cleared here, and the
next import, re-evaluation or preview fills them again from the plugins'
``group`` functions (``core.store.incremental.fill_group_keys``), as it
fills any key a row lacks; a migration does not load the plugins. Records
whose number carries ``/T`` keep their key: their series did not change.

Revision ID: 0015_standard_group_keys
Revises: 0014_activity_kind_subject_index
Create Date: 2026-12-01 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_standard_group_keys'
down_revision = '0014_activity_kind_subject_index'
branch_labels = None
depends_on = None


#: ``stdpolicy db downgrade`` asks for --drop-history and a typed confirmation
#: before undoing a revision with this set (see core/cli/dbguard.py).
DROPS_HISTORY = None  # derived keys only: they are filled again


def upgrade():
    op.execute(sa.text(
        "UPDATE activities SET group_key = NULL "
        "WHERE kind = 'standard_drafting' AND (subject IS NULL OR subject NOT LIKE '%/T %')"
    ))


def downgrade():
    # The keys the code before would compute are filled again by it for every row without one.
    op.execute(sa.text(
        "UPDATE activities SET group_key = NULL "
        "WHERE kind = 'standard_drafting' AND (subject IS NULL OR subject NOT LIKE '%/T %')"
    ))
