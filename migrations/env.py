"""Core's Alembic environment (Flask-Migrate's ``stdpolicy db`` commands run it).

It runs like the shared environment of the admin and the plugins
(core/environments.py): version table ``alembic_version``, core's models
for autogenerate, and only core's tables compared — a table of the admin
or of a plugin (installed or not) is never proposed for dropping.
"""

import logging
from logging.config import fileConfig

from alembic import context

from core.environments import run_environment

# Interpret the config file for Python logging.
fileConfig(context.config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger('alembic.env')

run_environment(context)
