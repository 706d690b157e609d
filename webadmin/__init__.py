"""The stdpolicy admin: a thin Flask application around core and the plugins.

It configures and shows the library; every rule stays in ``core`` and
``plugins``. ``create_app()`` is the application factory; ``stdpolicy run``
serves it, and gunicorn serves ``webadmin:create_app()`` in production.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from core.app import init_app as init_core
from core.app import instance_path, on_init
from core.registry import Registry

from . import auth, errors, i18n, plugin_pages
from .security import load_secret_key
from .firstrun import first_run

__all__ = ["create_app", "csrf"]

csrf = CSRFProtect()


def create_app(config: dict[str, Any] | None = None, registry: Registry | None = None) -> Flask:
    """The admin application.

    :param config: overrides (tests pass ``SQLALCHEMY_DATABASE_URI`` and ``TESTING``).
    :param registry: plugins to use instead of those the entry points name.
    """
    app = Flask(__name__, instance_path=instance_path(), instance_relative_config=True)
    app.config.update(
        SECRET_KEY=load_secret_key(app),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("STDPOLICY_COOKIE_SECURE", "1") != "0",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=os.environ.get("STDPOLICY_COOKIE_SECURE", "1") != "0",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
        MAX_CONTENT_LENGTH=50 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=8 * 3600,
    )
    if config:
        app.config.update(config)

    init_core(app, registry)
    csrf.init_app(app)
    i18n.init_app(app)
    auth.init_app(app)
    errors.init_app(app)

    from .views import register_views

    register_views(app)
    plugin_pages.init_app(app)
    _template_context(app)
    on_init(app, first_run)
    _add_admin_commands(app)
    return app


def _template_context(app: Flask) -> None:
    from .access import current_department, visible_departments
    from .nav import nav_items
    from .plugin_pages import menu_entries

    app.jinja_env.globals.update(
        nav_items=nav_items,
        menu_entries=menu_entries,
        current_department=current_department,
        visible_departments=visible_departments,
    )


def _add_admin_commands(app: Flask) -> None:
    from .cli import tokens_group, users_group

    app.cli.add_command(users_group)
    app.cli.add_command(tokens_group)
