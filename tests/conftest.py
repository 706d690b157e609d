"""The project's tests on the test kit (``core.testing``, a pytest plugin).

The kit gives every test its own database, migrated once per session and
copied (SQLite) or created from a template (PostgreSQL, with
``STDPOLICY_DATABASE_URL``), and the admin on it, with reward_tiers only
(``PROJECT_PLUGINS``): a plugin installed next to the project, or another
built-in plugin, changes nothing here. The short names below (``app``, ``client`` …) are the kit's
``stdpolicy_*`` fixtures; ``users`` and ``login`` are the project's cast of
five users.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from core.testing import PASSWORD
from core.testing.databases import base_url, is_postgres, make_app

BASE_URL = base_url()
IS_POSTGRES = is_postgres(BASE_URL)

__all__ = ["BASE_URL", "IS_POSTGRES", "PASSWORD", "PROJECT_PLUGINS", "TEST_USERS"]

#: The plugins the project's own tests load: core's behaviour is shown through reward_tiers (三(二)).
#: Every other built-in plugin is tested in its own folder (plugins/<name>/tests/), so adding one
#: (benchmarking, carbon, public_services …) changes none of the figures, lists and outputs here.
#: Tests about the built-in plugins as a whole ask ``core.testing.builtin_plugins()``.
PROJECT_PLUGINS: tuple[str, ...] = ("reward_tiers",)


@pytest.fixture
def stdpolicy_plugin_names(request: pytest.FixtureRequest) -> tuple[str, ...]:
    """A test's ``stdpolicy_plugins`` mark, else ``PROJECT_PLUGINS`` (overrides the kit's session default)."""
    marker = request.node.get_closest_marker("stdpolicy_plugins")
    return tuple(marker.args) if marker is not None else PROJECT_PLUGINS


def _make_app(database_url: str, instance: Path, **config: object) -> Flask:
    """The admin with the project's plugins on ``database_url`` (a second worker on a test's database)."""
    from core.testing import select_registry

    return make_app(database_url, instance, select_registry(PROJECT_PLUGINS), **config)


@pytest.fixture
def database_url(stdpolicy_database_url: str) -> str:
    """A fresh database migrated to head, for this test only."""
    return stdpolicy_database_url


@pytest.fixture
def bare_app(stdpolicy_bare_app: Flask) -> Flask:
    """The admin application on a migrated, empty database."""
    return stdpolicy_bare_app


@pytest.fixture
def app(stdpolicy_app: Flask) -> Flask:
    """The admin application after what ``stdpolicy init`` seeds: parameter defaults, departments."""
    return stdpolicy_app


@pytest.fixture
def client(stdpolicy_client):
    return stdpolicy_client


@pytest.fixture
def runner(stdpolicy_runner):
    return stdpolicy_runner


@pytest.fixture
def registry(stdpolicy_registry):
    """The built-in plugins (or those a test's ``stdpolicy_plugins`` mark chooses), without any database."""
    return stdpolicy_registry


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
    """Cheap password hashes for every test (the kit's ``stdpolicy_fast_password_hashing``, applied to all).

    Tests marked ``real_password_hashing`` keep the production settings.
    """
    request.getfixturevalue("stdpolicy_fast_password_hashing")


@pytest.fixture
def users(stdpolicy_user: Callable[..., str], app: Flask) -> dict[str, int]:
    """One user of each role (see ``TEST_USERS``), password ``PASSWORD``; name → id."""
    from core.db import db
    from webadmin.models import User

    for name, (role, department) in TEST_USERS.items():
        stdpolicy_user(role, department, name)
    with app.app_context():
        return {user.username: user.id for user in db.session.query(User).filter(User.username.in_(TEST_USERS))}


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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: end-to-end test in a real headless Chromium")
