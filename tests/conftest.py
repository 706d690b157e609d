"""Shared fixtures: a fresh, migrated database per test, on SQLite or PostgreSQL.

Without ``STDPOLICY_DATABASE_URL`` every test gets its own SQLite file, a
copy of one migrated at the start of the session. With it set to a
PostgreSQL URL, every test gets its own database created from a migrated
template database (``CREATE DATABASE … TEMPLATE …``), dropped afterwards.
"""

from __future__ import annotations

import itertools
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.engine import make_url

from core.db import db
from core.environments import upgrade_all

BASE_URL = os.environ.get("STDPOLICY_DATABASE_URL")
IS_POSTGRES = bool(BASE_URL) and make_url(BASE_URL).get_backend_name() == "postgresql"

# Keep the admin's generated secret and any SQLite default out of the checkout.
os.environ.setdefault("STDPOLICY_SECRET_KEY", "test-secret-key-not-for-production")


def pytest_report_header(config: pytest.Config) -> str:
    return f"stdpolicy database: {'PostgreSQL ' + make_url(BASE_URL).render_as_string(hide_password=True) if IS_POSTGRES else 'SQLite (a file per test)'}"


def _make_app(database_url: str, instance: Path, **config: object) -> Flask:
    from webadmin import create_app

    os.environ["STDPOLICY_INSTANCE_PATH"] = str(instance)
    return create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        # Tests of CSRF itself switch it back on (fixture `csrf`).
        "WTF_CSRF_ENABLED": False,
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        **config,
    })


class _Postgres:
    """Creates and drops per-test databases on the server of ``BASE_URL``."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self.prefix = f"stdpolicy_test_{uuid.uuid4().hex[:8]}"
        self.template = f"{self.prefix}_template"
        self._counter = itertools.count(1)

    def _admin(self):
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


@pytest.fixture(scope="session")
def _template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, object]]:
    """A database migrated to head once per session: (SQLite path or template name, helper)."""
    instance = tmp_path_factory.mktemp("instance-template")
    if IS_POSTGRES:
        pg = _Postgres(BASE_URL)
        url = pg.create(pg.template)
        app = _make_app(url, instance)
        with app.app_context():
            assert upgrade_all() == []  # core's migrations, the admin's, the installed plugins'
            db.engine.dispose()
        yield pg.template, pg
        pg.drop(pg.template)
    else:
        path = tmp_path_factory.mktemp("db") / "template.sqlite"
        app = _make_app(f"sqlite:///{path}", instance)
        with app.app_context():
            assert upgrade_all() == []  # core's migrations, the admin's, the installed plugins'
            db.engine.dispose()
        yield str(path), None


@pytest.fixture
def database_url(_template: tuple[str, object], tmp_path: Path) -> Iterator[str]:
    """A fresh database migrated to head, for this test only."""
    template, pg = _template
    if pg is not None:
        name = pg.next_name()  # type: ignore[attr-defined]
        url = pg.create(name, template)  # type: ignore[attr-defined]
        yield url
        pg.drop(name)  # type: ignore[attr-defined]
    else:
        path = tmp_path / "stdpolicy.sqlite"
        shutil.copy(template, path)
        yield f"sqlite:///{path}"


@pytest.fixture
def bare_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The admin application on a migrated, empty database."""
    app = _make_app(database_url, tmp_path / "instance")
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app(bare_app: Flask) -> Flask:
    """The admin application after what ``stdpolicy init`` seeds: parameter defaults, departments."""
    from core.app import get_registry
    from core.store import ensure_departments, load_defaults

    with bare_app.app_context():
        registry = get_registry()
        ensure_departments(registry)
        load_defaults(registry)
        db.session.commit()
    return bare_app


@pytest.fixture
def client(app: Flask):
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


PASSWORD = "correct-horse-battery-1"

#: username → (role, department code) created by the `users` fixture.
TEST_USERS = {
    "city": ("city_admin", "market_regulation"),
    "mr_admin": ("dept_admin", "market_regulation"),
    "mr_viewer": ("dept_viewer", "market_regulation"),
    "ca_admin": ("dept_admin", "civil_affairs"),
    "ca_viewer": ("dept_viewer", "civil_affairs"),
}


@pytest.fixture(autouse=True)
def _cheap_password_hashes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap password hashes (werkzeug's scrypt default costs ~0.3 s a hash).

    Only the cost changes; hashing and checking still go through werkzeug.
    Tests marked ``real_password_hashing`` keep the production settings.
    """
    if request.node.get_closest_marker("real_password_hashing") is None:
        from werkzeug.security import generate_password_hash

        monkeypatch.setattr(
            "webadmin.models.generate_password_hash",
            lambda password: generate_password_hash(password, method="pbkdf2:sha256:1000"),
        )


@pytest.fixture
def users(app: Flask) -> dict[str, int]:
    """One user of each role (see ``TEST_USERS``), password ``PASSWORD``; name → id."""
    from core.store import find_department
    from webadmin.models import User

    ids = {}
    with app.app_context():
        for name, (role, department) in TEST_USERS.items():
            user = User(username=name, role=role, department_id=find_department(department).id, created_by="tests")
            user.set_password(PASSWORD)
            db.session.add(user)
            db.session.flush()
            ids[name] = user.id
        db.session.commit()
    return ids


@pytest.fixture
def login(client, users):
    """``login("mr_admin")`` logs the test client in as that user."""

    def do(username: str, password: str = PASSWORD):
        response = client.post("/login", data={"username": username, "password": password})
        assert response.status_code == 302, f"login as {username} failed: {response.status_code}"
        return response

    return do


@pytest.fixture
def csrf(app: Flask):
    """CSRF protection on, as in production (it is off for the other tests)."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def registry():
    """The plugins discovered from entry points, without any database."""
    from core import load_registry

    return load_registry()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: end-to-end test in a real headless Chromium")
    config.addinivalue_line("markers", "real_password_hashing: keep werkzeug's production password hashing")
