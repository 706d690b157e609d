"""The pytest plugin of the stdpolicy test kit (entry point ``pytest11: stdpolicy = core.testing.plugin``).

pytest loads it in every session of an environment where stdpolicy is
installed, so it is careful: importing it imports nothing heavy, no fixture
is ``autouse``, and every name starts with ``stdpolicy_`` (no clash with a
project's own ``app`` or ``client``). ``-p no:stdpolicy`` switches it off.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient, FlaskCliRunner

    from ..registry import Registry
    from .databases import DatabaseTemplates
    from .evaluation import Evaluation
    from .policy_cases import PolicyCase

_INI = "stdpolicy_plugins"
_MARK = "stdpolicy_plugins"
#: The settings core and the admin read from the environment that change what they do: a developer's
#: own (in the shell the tests run from) are taken out for the test session; tests set what they need.
#: ``STDPOLICY_DATABASE_URL`` stays: it chooses the tests' database server.
_APP_SETTINGS = (
    "ACTOR", "ADMIN_PASSWORD", "ADMIN_USER", "API_MAX_BYTES", "COOKIE_SECURE", "DEBUG", "INSTANCE_PATH",
    "LOCK_TIMEOUT", "LOGIN_LIMITS_PER_ACCOUNT", "LOGIN_LIMITS_PER_ADDRESS", "RATELIMIT_STORAGE_URI", "SECRET_KEY",
    "SESSION_IDLE_MINUTES", "SESSION_MAX_HOURS", "STANDARD_CODES", "TIMEZONE", "TRUSTED_PROXIES",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(_INI, "stdpolicy plugins the test kit loads (default: the plugins that ship with stdpolicy)",
                  type="args", default=[])


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{_MARK}(*names, extra=[(name, object)]): the stdpolicy plugins a test's registry, database and app have "
        "(installed plugins by name; extra: plugin objects registered in code)",
    )
    config.addinivalue_line("markers", "real_password_hashing: keep werkzeug's production password hashing")
    # The developer's own settings stay out of the tests (an admin password from the shell made
    # ``init --demo`` refuse it, an actor renamed every audit entry).
    for name in _APP_SETTINGS:
        os.environ.pop(f"STDPOLICY_{name}", None)


def pytest_report_header(config: pytest.Config) -> str | None:
    from .databases import base_url, is_postgres

    url = base_url()
    if url and is_postgres(url):
        from sqlalchemy.engine import make_url

        where = "PostgreSQL " + make_url(url).render_as_string(hide_password=True)
    else:
        where = "SQLite (a file per test)"
    return f"stdpolicy: plugins {', '.join(default_plugins(config)) or 'none'}; database {where}"


def default_plugins(config: pytest.Config) -> tuple[str, ...]:
    """The session's plugins: the ``stdpolicy_plugins`` setting, else those that ship with stdpolicy."""
    configured = config.getini(_INI)
    if configured:
        return tuple(configured)
    from . import builtin_plugins

    return builtin_plugins()


# -- policy cases ---------------------------------------------------------------

def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.name.endswith((".policy.yaml", ".policy.yml")):
        return PolicyCaseFile.from_parent(parent, path=file_path)
    return None


class PolicyCaseFile(pytest.File):
    """A ``*.policy.yaml`` file: one test per case."""

    def collect(self) -> Iterator[pytest.Item]:
        from .policy_cases import load_policy_file

        loaded = load_policy_file(self.path)
        plugins = loaded.plugins if loaded.plugins is not None else default_plugins(self.config)
        for case in loaded.cases:
            yield PolicyCaseItem.from_parent(self, name=case.name, case=case, plugins=plugins)


class PolicyCaseFailed(Exception):
    """A case whose outcomes differ from what it expects (the message says how)."""


class PolicyCaseItem(pytest.Item):
    """One policy case, run without a database with the file's plugins and parameter overrides."""

    def __init__(self, *, case: PolicyCase, plugins: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.plugins = plugins

    def runtest(self) -> None:
        from .policy_cases import check_case, describe

        registry = _registry_for(self.config, self.plugins)
        evaluation, problems = check_case(self.case, registry)
        if problems:
            raise PolicyCaseFailed(describe(self.case, evaluation, problems))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, PolicyCaseFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"policy case: {self.name}"


_REGISTRIES = pytest.StashKey[dict[tuple[str, ...], "Registry"]]()


def _registry_for(config: pytest.Config, plugins: tuple[str, ...]) -> Registry:
    """One registry per set of plugins for all policy cases (loading is read-only and cached)."""
    from . import select_registry

    cache = config.stash.setdefault(_REGISTRIES, {})
    key = tuple(sorted(plugins))
    if key not in cache:
        registry = select_registry(key)
        if registry.failures:
            raise PolicyCaseFailed("plugins failed to load: " + "; ".join(
                f"{f.name} at {f.stage}: {f.error}" for f in registry.failures))
        cache[key] = registry
    return cache[key]


# -- fixtures: plugins and evaluation ----------------------------------------------

@pytest.fixture
def stdpolicy_plugin_names(request: pytest.FixtureRequest) -> tuple[str, ...]:
    """The installed plugins this test loads: its ``stdpolicy_plugins`` mark, else the session's."""
    marker = request.node.get_closest_marker(_MARK)
    if marker is not None:
        return tuple(marker.args)
    return default_plugins(request.config)


@pytest.fixture
def stdpolicy_extra_plugins(request: pytest.FixtureRequest) -> list[tuple[str, object]]:
    """Plugin objects registered in code besides the installed ones: the mark's ``extra=[(name, object)]``."""
    marker = request.node.get_closest_marker(_MARK)
    return list(marker.kwargs.get("extra", ())) if marker is not None else []


@pytest.fixture
def stdpolicy_registry(stdpolicy_plugin_names: tuple[str, ...],
                       stdpolicy_extra_plugins: list[tuple[str, object]]) -> Registry:
    """A registry of the chosen plugins only (no database): ``validate``, ``evaluate``, declarations."""
    from . import select_registry

    return select_registry(stdpolicy_plugin_names, stdpolicy_extra_plugins)


@pytest.fixture
def stdpolicy_evaluate(stdpolicy_registry: Registry) -> Callable[..., Evaluation]:
    """``stdpolicy_evaluate(records, parameters={key: value}, …)``: validate and evaluate, no database.

    Returns an ``Evaluation``: ``.outcome("A")``, ``.amount("A")``,
    ``.errors("B")``, ``.total_amount``. ``parameters`` override the shipped
    values (``core.testing.parameters_with``).
    """
    from .evaluation import evaluate

    def run(records: Any, **options: Any) -> Evaluation:
        return evaluate(stdpolicy_registry, records, **options)

    return run


# -- fixtures: database and admin ----------------------------------------------------

@pytest.fixture(scope="session")
def stdpolicy_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseTemplates]:
    """Migrated template databases, one per set of plugins, for the whole session."""
    from .databases import DatabaseTemplates

    templates = DatabaseTemplates(tmp_path_factory.mktemp("stdpolicy-databases"))
    yield templates
    templates.close()


@pytest.fixture
def stdpolicy_database_url(stdpolicy_databases: DatabaseTemplates, stdpolicy_registry: Registry,
                           tmp_path: Path) -> Iterator[str]:
    """A fresh database migrated for the chosen plugins (core's, the admin's and their migrations), this test's only."""
    url, name = stdpolicy_databases.fresh(stdpolicy_registry, tmp_path)
    yield url
    stdpolicy_databases.drop(name)


@pytest.fixture
def stdpolicy_bare_app(stdpolicy_database_url: str, stdpolicy_registry: Registry, tmp_path: Path,
                       monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The admin application with the chosen plugins, on a migrated, empty database."""
    from ..db import db
    from .databases import TEST_SECRET_KEY, make_app

    monkeypatch.setenv("STDPOLICY_SECRET_KEY", TEST_SECRET_KEY)
    monkeypatch.setenv("STDPOLICY_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_app(stdpolicy_database_url, tmp_path / "instance", stdpolicy_registry)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def stdpolicy_app(stdpolicy_bare_app: Flask) -> Flask:
    """The admin after what ``stdpolicy init`` seeds: departments (and their default plugins), parameter values."""
    from ..app import get_registry
    from ..services.setup import seed

    with stdpolicy_bare_app.app_context():
        seed(get_registry(), "system")
    return stdpolicy_bare_app


@pytest.fixture
def stdpolicy_client(stdpolicy_app: Flask) -> FlaskClient:
    """A test client of the admin, not logged in."""
    return stdpolicy_app.test_client()


@pytest.fixture
def stdpolicy_runner(stdpolicy_app: Flask) -> FlaskCliRunner:
    """Runs ``stdpolicy`` commands against the test's database: ``stdpolicy_runner.invoke(args=["plugins"])``."""
    return stdpolicy_app.test_cli_runner()


@pytest.fixture
def stdpolicy_live_server(stdpolicy_app: Flask) -> Iterator[str]:
    """The test's admin served on 127.0.0.1 with CSRF protection on, for a browser: its base URL.

    Drive it with ``core.testing.run_in_browser(scenario)``; records may be
    stored (``stdpolicy_runner``) before or while it serves.
    """
    from .browser import live_server

    stdpolicy_app.config.update(WTF_CSRF_ENABLED=True)
    with live_server(stdpolicy_app) as url:
        yield url


@pytest.fixture
def stdpolicy_fast_password_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap password hashes (werkzeug's scrypt default costs ~0.3 s a hash); ``real_password_hashing`` keeps them.

    Only the cost changes: hashing and checking still go through werkzeug.
    """
    if request.node.get_closest_marker("real_password_hashing") is not None:
        return
    from werkzeug.security import generate_password_hash

    monkeypatch.setattr("webadmin.models.generate_password_hash",
                        lambda password: generate_password_hash(password, method="pbkdf2:sha256:1000"))


@pytest.fixture
def stdpolicy_user(stdpolicy_app: Flask, stdpolicy_fast_password_hashing: None) -> Callable[..., str]:
    """``stdpolicy_user(role="dept_admin", department="market_regulation", name=None)``: a user, created once; its name.

    Roles: ``city_admin``, ``dept_admin``, ``dept_viewer``. The password is
    ``core.testing.PASSWORD``. The default name is ``<role>@<department>``.
    """
    from ..db import db
    from ..store import find_department
    from . import PASSWORD, ROLES

    made: dict[str, str] = {}

    def make(role: str = "dept_admin", department: str = "market_regulation", name: str | None = None) -> str:
        from webadmin.models import User

        if role not in ROLES:
            raise ValueError(f"role {role!r}: one of {', '.join(ROLES)}")
        name = name or f"{role}@{department}"
        if name in made:
            return name
        with stdpolicy_app.app_context():
            user = User(username=name, role=role, department_id=find_department(department).id, created_by="tests")
            user.set_password(PASSWORD)
            db.session.add(user)
            db.session.commit()
        made[name] = role
        return name

    return make


@pytest.fixture
def stdpolicy_login(stdpolicy_app: Flask, stdpolicy_user: Callable[..., str]) -> Callable[..., FlaskClient]:
    """``stdpolicy_login(role="dept_admin", department="market_regulation")``: a new client, logged in as such a user.

    Each call gives its own client (its own cookies), so one test can act as
    two users at once.
    """
    from . import PASSWORD

    def login(role: str = "dept_admin", department: str = "market_regulation", name: str | None = None) -> FlaskClient:
        username = stdpolicy_user(role, department, name)
        client = stdpolicy_app.test_client()
        response = client.post("/login", data={"username": username, "password": PASSWORD})
        if response.status_code != 302:
            raise AssertionError(f"login as {username} failed: {response.status_code}")
        return client

    return login


@pytest.fixture
def stdpolicy_enable(stdpolicy_app: Flask) -> Callable[..., None]:
    """``stdpolicy_enable(plugin, department="market_regulation", owner=False)``: permit the plugin to the
    department and switch it on (as a city administrator would); ``owner=True`` also makes the
    department its owner (its administrators manage it: ``core.may_manage``)."""
    from ..services.plugins import change_owner, permit_plugin, switch_plugin
    from ..store import find_department

    def enable(plugin: str, department: str = "market_regulation", *, owner: bool = False) -> None:
        registry = stdpolicy_app.extensions["stdpolicy"]
        if plugin not in registry.plugins:
            raise LookupError(f"plugin {plugin!r} is not loaded in this test (loaded: {', '.join(registry.plugins)}); "
                              f"choose it with @pytest.mark.stdpolicy_plugins({plugin!r}, …)")
        with stdpolicy_app.app_context():
            dept = find_department(department)
            permit_plugin(dept, plugin, True, "tests")
            switch_plugin(dept, plugin, True, "tests")
            if owner:
                change_owner(plugin, dept, "tests")

    return enable
