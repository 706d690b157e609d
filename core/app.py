"""Wiring core into a Flask application: database, migrations, registry, CLI.

``init_app(app)`` is all an application needs; the admin (``webadmin``)
calls it from its factory. ``create_app()`` builds a bare application with
core alone, for scripts and core's own tests.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import click
from flask import Flask, current_app
from flask_migrate import Migrate

from .db import db
from .registry import Registry, load_registry

__all__ = ["MIGRATIONS_DIR", "create_app", "database_url", "get_registry", "init_app", "instance_path", "on_init"]

#: The Alembic migrations (shipped as the ``migrations`` package).
MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")

migrate = Migrate()

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
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", database_url(app))
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, compare_type=True, render_as_batch=True)
    if registry is None:
        registry = load_registry()
    app.extensions["stdpolicy"] = registry
    app.extensions.setdefault("stdpolicy.init_steps", [])

    from . import models  # noqa: F401  (the tables must be known to migrations)
    from .cli import register_commands
    from .cli.database import database_group

    # Flask-Migrate's `db` group over every migration environment (core's, the admin's, the plugins'),
    # `db downgrade` guarded against dropping history.
    app.cli.add_command(database_group(cast(click.Group, app.cli.commands[migrate.command])), migrate.command)
    register_commands(app.cli)
    registry.register_commands(app.cli)


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
