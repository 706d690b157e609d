"""Wiring core into a Flask application: database, migrations, registry, CLI.

``init_app(app)`` is all an application needs; the admin (``webadmin``)
calls it from its factory. ``create_app()`` builds a bare application with
core alone, for scripts and core's own tests. ``init_database(app)`` is the
part of ``init_app`` a command that only reads the database and runs the
plugins needs (``stdpolicy evaluate``): no Flask-Migrate, Alembic or command
group is imported for it (issue #13: start-up).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click
from flask import Flask, current_app

from .db import db
from .registry import Registry, load_registry

if TYPE_CHECKING:
    from flask_migrate import Migrate

__all__ = ["MIGRATIONS_DIR", "create_app", "database_url", "get_registry", "init_app", "init_database",
           "instance_path", "on_init"]

#: The Alembic migrations (shipped as the ``migrations`` package).
MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")

_migrate: Migrate | None = None


def migrate() -> Migrate:
    """The Flask-Migrate extension, created (and Alembic imported) on first use."""
    global _migrate
    if _migrate is None:
        from flask_migrate import Migrate

        _migrate = Migrate()
    return _migrate

InitStep = Callable[[Flask, Any], None]


def instance_path() -> str:
    """Where the SQLite database and the generated secret key live.

    ``STDPOLICY_INSTANCE_PATH``; else ``instance/`` beside the sources in a
    checkout; else ``<prefix>/var/stdpolicy-instance`` for an installed copy.
    """
    configured = os.environ.get("STDPOLICY_INSTANCE_PATH")
    if configured:
        return os.path.abspath(configured)
    root = Path(__file__).resolve().parent.parent
    if (root / "setup.py").exists():
        return str(root / "instance")
    return os.path.join(sys.prefix, "var", "stdpolicy-instance")


def database_url(app: Flask) -> str:
    """``STDPOLICY_DATABASE_URL``, or SQLite in the instance folder."""
    url = os.environ.get("STDPOLICY_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + os.path.join(app.instance_path, "stdpolicy.sqlite")


def init_app(app: Flask, registry: Registry | None = None) -> None:
    """Set up the database, migrations, plugin registry and CLI on ``app``.

    :param registry: plugins to use; by default they are discovered from the
        ``stdpolicy.plugins`` entry points.
    """
    init_database(app, registry)
    extension = migrate()
    extension.init_app(app, db, directory=MIGRATIONS_DIR, compare_type=True, render_as_batch=True)

    from .cli import register_commands
    from .cli.database import database_group

    # Flask-Migrate's `db` group over every migration environment (core's, the admin's, the plugins'),
    # `db downgrade` guarded against dropping history.
    app.cli.add_command(database_group(cast(click.Group, app.cli.commands[extension.command])), extension.command)
    register_commands(app.cli)
    app.extensions["stdpolicy"].register_commands(app.cli)


def init_database(app: Flask, registry: Registry | None = None) -> None:
    """The database and the plugin registry on ``app``, no migrations and no commands.

    What ``init_app`` sets up first; alone, it is the application of a
    command that reads the database and evaluates (``stdpolicy evaluate``).

    :param registry: plugins to use; by default they are discovered from the
        ``stdpolicy.plugins`` entry points.
    """
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", database_url(app))
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    db.init_app(app)
    if registry is None:
        registry = load_registry()
    app.extensions["stdpolicy"] = registry
    app.extensions.setdefault("stdpolicy.init_steps", [])

    from . import models  # noqa: F401  (the tables must be known to migrations)


def on_init(app: Flask, step: InitStep) -> None:
    """Run ``step(app, echo)`` at the end of ``stdpolicy init`` (the admin creates its first user here)."""
    app.extensions.setdefault("stdpolicy.init_steps", []).append(step)


def get_registry() -> Registry:
    """The registry of the current application."""
    return current_app.extensions["stdpolicy"]


def create_app(config: dict[str, Any] | None = None, registry: Registry | None = None) -> Flask:
    """A Flask application with core only (no admin pages)."""
    app = Flask("core", instance_path=instance_path(), instance_relative_config=True)
    if config:
        app.config.update(config)
    init_app(app, registry)
    return app
