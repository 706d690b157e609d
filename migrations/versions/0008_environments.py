"""migration environments: the admin's and each plugin's, each with its own version table

From this revision on, core's migrations change core's tables only. The
admin's tables (``users``, ``api_tokens``, ``user_sessions``,
``rate_limits``, created by 0002 and 0004, which stay in this history)
belong to the admin's environment (webadmin/migrations, version table
``alembic_version_webadmin``), and a plugin's tables to its own
(``alembic_version_<plugin>``); core/environments.py runs them after this
one. Core's autogenerate compares core's tables only.

It changes no table. ``stdpolicy db downgrade`` below it first takes the
admin's and the plugins' environments to base (they are built on core at
this revision or later).

Revision ID: 0008_environments
Revises: 0007_plugin_permissions
Create Date: 2026-12-02 10:00:00

"""


# revision identifiers, used by Alembic.
revision = '0008_environments'
down_revision = '0007_plugin_permissions'
branch_labels = None
depends_on = None

#: ``stdpolicy db downgrade`` asks for --drop-history and a typed confirmation
#: before undoing a revision with this set (see core/cli/dbguard.py).
DROPS_HISTORY = None  # changes no table


def upgrade():
    pass


def downgrade():
    pass
