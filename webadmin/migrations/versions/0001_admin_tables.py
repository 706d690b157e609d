"""the admin's tables, as core's revisions 0002 and 0004 made them

The admin's users, API tokens, sessions and login-throttle counters were
created by core's migrations 0002 (``users``, ``api_tokens``) and
0004_sessions (``user_sessions``, ``rate_limits``,
``users.must_change_password``). Those stay in core's history, so every
database — one created by an earlier version and a new one alike — has
these tables once core is at its head; core's 0008_environments hands them
over. This baseline records that the admin's environment starts from them;
later changes to the admin's tables are revisions here, after it.

It creates nothing and drops nothing. It refuses to run on a database
where core's migrations have not made the tables (core runs first).

Revision ID: 0001_admin_tables
Revises:
Create Date: 2026-12-02 10:00:00

"""
from alembic import context, op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001_admin_tables'
down_revision = None
branch_labels = None
depends_on = None

#: ``stdpolicy db downgrade`` asks for --drop-history and a typed confirmation
#: before undoing a revision with this set (see core/cli/dbguard.py).
DROPS_HISTORY = None  # the tables stay: core's 0002 and 0004 drop them, when undone

TABLES = ("users", "api_tokens", "user_sessions", "rate_limits")


def upgrade():
    if context.is_offline_mode():  # `db upgrade --sql`: nothing to print
        return
    present = set(sa.inspect(op.get_bind()).get_table_names())
    missing = [table for table in TABLES if table not in present]
    if missing:
        raise RuntimeError(f"the admin's tables {', '.join(missing)} are missing: core's migrations must run "
                           "first (stdpolicy init)")


def downgrade():
    pass
