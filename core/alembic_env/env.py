"""The Alembic environment shared by the admin's and every plugin's migrations.

Core runs it with the environment to migrate in ``config.attributes``
(core/environments.py): that environment's version table
(``alembic_version_<name>``), its models for autogenerate, only its own
tables compared. A plugin ships revision scripts only, never an env.py.
"""

from alembic import context

from core.environments import run_environment

run_environment(context)
