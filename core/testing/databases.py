"""Fresh, migrated databases for tests: SQLite files or PostgreSQL databases.

Without ``STDPOLICY_DATABASE_URL`` every test gets its own SQLite file, a
copy of one migrated once per session (per set of plugins). With it set to a
PostgreSQL URL, every test gets its own database created from a migrated
template database (``CREATE DATABASE … TEMPLATE …``) and dropped afterwards;
the URL's database is only connected to, never changed.
"""

from __future__ import annotations

import itertools
import os
import shutil
import uuid
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

    from ..registry import Registry

__all__ = ["DatabaseTemplates", "base_url", "is_postgres", "make_app", "migrate"]

#: Tests never run with the admin's generated secret (it would be written to the instance folder).
TEST_SECRET_KEY = "test-secret-key-not-for-production"


def base_url() -> str | None:
    """``STDPOLICY_DATABASE_URL``: the PostgreSQL server tests create their databases on (``None``: SQLite)."""
    return os.environ.get("STDPOLICY_DATABASE_URL") or None


def is_postgres(url: str | None = None) -> bool:
    """Whether ``url`` (default: ``STDPOLICY_DATABASE_URL``) is a PostgreSQL database."""
    from sqlalchemy.engine import make_url

    url = url if url is not None else base_url()
    return url is not None and make_url(url).get_backend_name() == "postgresql"


def make_app(database_url: str, instance: Path, registry: Registry | None = None, **config: Any) -> Flask:
    """The admin application on ``database_url``, configured for tests.

    CSRF protection is off (a test of CSRF switches ``WTF_CSRF_ENABLED`` back
    on), cookies are not ``Secure`` (the test client speaks plain http), and
    the instance folder is ``instance`` (it holds nothing a test reads).
    """
    from webadmin import create_app

    os.environ.setdefault("STDPOLICY_SECRET_KEY", TEST_SECRET_KEY)
    os.environ["STDPOLICY_INSTANCE_PATH"] = str(instance)
    return create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        **config,
    }, registry=registry)


def migrate(app: Flask) -> None:
    """Bring the database of ``app`` to the head of every migration its registry knows.

    The same as ``stdpolicy db upgrade``: core's migrations, the admin's, and
    each loaded plugin's own.
    """
    from ..db import db
    from ..environments import upgrade_all

    with app.app_context():
        failures = upgrade_all()
        db.engine.dispose()
    if failures:
        raise RuntimeError("migrating the test database failed: " + "; ".join(str(f) for f in failures))


class _Postgres:
    """Creates and drops databases on the server of ``url``."""

    def __init__(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        self.url = make_url(url)
        self.prefix = f"stdpolicy_test_{uuid.uuid4().hex[:8]}"
        self._counter = itertools.count(1)

    def _admin(self) -> Any:
        import psycopg

        admin_url = self.url.set(drivername="postgresql", database="postgres")
        return psycopg.connect(admin_url.render_as_string(hide_password=False), autocommit=True)

    def url_for(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def create(self, name: str, template: str | None = None) -> str:
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.url_for(name)

    def drop(self, name: str) -> None:
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def next_name(self) -> str:
        return f"{self.prefix}_{next(self._counter)}"


class DatabaseTemplates:
    """One migrated template database per set of plugins, copied for each test.

    Migrating takes a second or two; copying a SQLite file or creating a
    PostgreSQL database from a template, a few milliseconds.
    """

    def __init__(self, workdir: Path, url: str | None = None) -> None:
        self.workdir = workdir
        self.url = url if url is not None else base_url()
        self.postgres = _Postgres(self.url) if self.url and is_postgres(self.url) else None
        self._templates: dict[frozenset[str], str] = {}
        self._created: list[str] = []

    @property
    def description(self) -> str:
        if self.postgres is None:
            return "SQLite (a file per test)"
        return "PostgreSQL " + self.postgres.url.render_as_string(hide_password=True)

    def template(self, registry: Registry) -> str:
        """The migrated template for the plugins of ``registry``: a SQLite path or a PostgreSQL database name."""
        key = frozenset(registry.plugins)
        found = self._templates.get(key)
        if found is not None:
            return found
        n = len(self._templates) + 1
        instance = self.workdir / f"instance-template-{n}"
        if self.postgres is not None:
            name = f"{self.postgres.prefix}_template_{n}"
            url = self.postgres.create(name)
            self._created.append(name)
            found = name
        else:
            path = self.workdir / f"template-{n}.sqlite"
            url = f"sqlite:///{path}"
            found = str(path)
        migrate(make_app(url, instance, registry))
        self._templates[key] = found
        return found

    def fresh(self, registry: Registry, directory: Path) -> tuple[str, str | None]:
        """A new database migrated for ``registry``'s plugins: (URL, PostgreSQL name to drop or ``None``)."""
        template = self.template(registry)
        if self.postgres is not None:
            name = self.postgres.next_name()
            return self.postgres.create(name, template), name
        path = directory / "stdpolicy.sqlite"
        shutil.copy(template, path)
        return f"sqlite:///{path}", None

    def drop(self, name: str | None) -> None:
        if name is not None and self.postgres is not None:
            self.postgres.drop(name)

    def close(self) -> None:
        """Drop the PostgreSQL templates (SQLite files go with pytest's temporary folder)."""
        if self.postgres is not None:
            for name in self._created:
                self.postgres.drop(name)
        self._created.clear()
        self._templates.clear()


def plugin_set(names: Collection[str]) -> str:
    """``reward_tiers, demo`` — for reports."""
    return ", ".join(sorted(names)) or "none"
