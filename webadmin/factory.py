"""The admin's application factory (``webadmin.create_app``) and its CSRF protection (``webadmin.csrf``).

Kept out of ``webadmin/__init__.py`` so that importing a light module of the
package (the ``stdpolicy`` launcher, ``webadmin.cli``) does not import Flask's
extensions, the views and the Babel catalogues.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from core.app import init_app as init_core
from core.app import instance_path, on_init
from core.registry import Registry

from . import auth, errors, headers, i18n, plugin_pages, throttle
from .security import load_secret_key
from .firstrun import first_run
from .sessions import DEFAULT_IDLE_MINUTES, DEFAULT_MAX_HOURS
from .urlints import RowIdConverter

__all__ = ["create_app", "csrf"]

csrf = CSRFProtect()


def create_app(config: dict[str, Any] | None = None, registry: Registry | None = None) -> Flask:
    """The admin application.

    :param config: overrides (tests pass ``SQLALCHEMY_DATABASE_URI`` and ``TESTING``).
    :param registry: plugins to use instead of those the entry points name.
    """
    app = Flask("webadmin", instance_path=instance_path(), instance_relative_config=True)
    app.url_map.converters["int"] = RowIdConverter  # before any route: ids beyond the databases' integers are 404s
    idle = timedelta(minutes=_whole_number("STDPOLICY_SESSION_IDLE_MINUTES", DEFAULT_IDLE_MINUTES, minimum=1))
    lifetime = timedelta(hours=_whole_number("STDPOLICY_SESSION_MAX_HOURS", DEFAULT_MAX_HOURS, minimum=1))
    app.config.update(
        SECRET_KEY=load_secret_key(app),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("STDPOLICY_COOKIE_SECURE", "1") != "0",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=os.environ.get("STDPOLICY_COOKIE_SECURE", "1") != "0",
        # Server-side sessions (webadmin.sessions) end after SESSION_IDLE_TIMEOUT
        # without a request and at SESSION_MAX_AGE; the cookie lives as long.
        SESSION_IDLE_TIMEOUT=idle,
        SESSION_MAX_AGE=lifetime,
        PERMANENT_SESSION_LIFETIME=lifetime,
        MAX_CONTENT_LENGTH=50 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=int(lifetime.total_seconds()),
        # Reverse proxies in front of the admin whose X-Forwarded-For/-Proto to believe.
        TRUSTED_PROXIES=_whole_number("STDPOLICY_TRUSTED_PROXIES", 0, minimum=0),
    )
    if config:
        app.config.update(config)
    if app.config["TRUSTED_PROXIES"]:
        proxies = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]

    init_core(app, registry)
    _add_migrations(app)
    csrf.init_app(app)
    i18n.init_app(app)
    throttle.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    headers.init_app(app)

    from . import plugin_api
    from .views import register_views

    register_views(app)
    plugin_pages.init_app(app)
    plugin_api.init_app(app)
    _template_context(app)
    on_init(app, first_run)
    _add_admin_commands(app)
    return app


def _add_migrations(app: Flask) -> None:
    """The admin's tables are its own migration environment, run after core's and before the plugins'."""
    from core.environments import add_environment

    from .models import MIGRATIONS, AdminBase

    add_environment(app, "webadmin", AdminBase.metadata, MIGRATIONS)


def _whole_number(variable: str, default: int, *, minimum: int) -> int:
    """An environment variable holding a whole number, or ``default``; a clear error otherwise."""
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return default
    if not raw.isdecimal() or int(raw) < minimum:
        raise RuntimeError(f"{variable}={raw!r}: a whole number, at least {minimum}, is expected")
    return int(raw)


def _template_context(app: Flask) -> None:
    from core.outcomes import status_label
    from core.reviews import review_label
    from core.pages import format_date, may_manage, parameter_url

    from .access import current_department, visible_departments
    from .labels import (actor, code, detail, explained, held_reason, import_source, name, plugin_label, reason_text,
                         version_label)
    from .nav import nav_items
    from .next_steps import next_steps
    from .plugin_pages import menu_entries

    app.jinja_env.globals.update(
        nav_items=nav_items,
        menu_entries=menu_entries,
        current_department=current_department,
        visible_departments=visible_departments,
        detail=detail,
        code=code,
        explained=explained,
        name=name,
        import_source=import_source,
        plugin_label=plugin_label,
        next_steps=next_steps,
        version_label=version_label,
        reason_text=reason_text,
        status_label=status_label,
        review_label=review_label,
        held_reason_label=held_reason,
        # For plugins' templates (docs/plugins/admin-pages.md), the same as core's helpers.
        parameter_url=parameter_url,
        may_manage=may_manage,
        format_date=format_date,
    )
    app.jinja_env.filters["actor"] = actor


def _add_admin_commands(app: Flask) -> None:
    from .commands import tokens_group, users_group

    app.cli.add_command(users_group)
    app.cli.add_command(tokens_group)
