"""Helpers and fixtures shared by the tests of the admin's plugins, audit, users, tokens and API pages.

Import the fixtures a module needs (``from webadmin_support import broken_app``);
pytest finds fixtures by name in the test module's namespace.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import pytest
from flask import Flask
from werkzeug.security import generate_password_hash

from core import hookimpl, load_registry
from core.db import db, utcnow
from core.store import find_department

from conftest import PASSWORD, PROJECT_PLUGINS

__all__ = ["BadDescription", "BadHook", "bearer", "broken_app", "fast_password_hashing", "make_token", "permit", "walk"]


@pytest.fixture
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap password hashes for these tests (scrypt takes ~0.3 s a hash; ``users`` makes five).

    Only the cost changes: hashing and checking still go through werkzeug, and
    tests/test_webadmin_auth.py covers the real settings.
    """
    monkeypatch.setattr(
        "webadmin.models.generate_password_hash",
        lambda password: generate_password_hash(password, method="pbkdf2:sha256:1000"),
    )


def make_token(app: Flask, department: str, *, revoked: bool = False, name: str = "tests") -> str:
    """Store an API token for ``department``; the token itself."""
    from webadmin.models import ApiToken
    from webadmin.security import hash_token, new_token

    token = new_token()
    with app.app_context():
        db.session.add(ApiToken(department_id=find_department(department).id, name=name, token_hash=hash_token(token),
                                prefix=token[:10], created_by="tests", revoked_at=utcnow() if revoked else None))
        db.session.commit()
    return token


def permit(app: Flask, department: str, plugin: str = "reward_tiers") -> None:
    """A city administrator's decision: ``department`` may switch ``plugin`` on."""
    from core.store import set_permitted

    with app.app_context():
        set_permitted(find_department(department), plugin, True, "tests")
        db.session.commit()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class BadDescription:
    """Registers its hooks, but declares nonsense: fails at "declarations"."""

    @hookimpl
    def stdpolicy_describe_plugin(self):
        return "not a PluginDescription"


class BadHook:
    """Implements a hook that has no specification: fails at "hooks"."""

    @hookimpl
    def stdpolicy_no_such_hook(self):
        return None


@pytest.fixture
def broken_app(database_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch, fast_password_hashing) -> Iterator[Flask]:
    """The admin with the project's plugins plus two that fail to load; seeded, with ``city`` and ``mr_admin``."""
    from core.store import ensure_departments, load_defaults
    from webadmin import create_app
    from webadmin.models import User

    registry = load_registry(only=PROJECT_PLUGINS, plugins=[("bad_description", BadDescription()), ("bad_hook", BadHook())])
    assert {f.name for f in registry.failures} == {"bad_description", "bad_hook"}
    monkeypatch.setenv("STDPOLICY_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": False,
                      "SESSION_COOKIE_SECURE": False}, registry=registry)
    with app.app_context():
        ensure_departments(registry)
        load_defaults(registry)
        for name, role in (("city", "city_admin"), ("mr_admin", "dept_admin")):
            user = User(username=name, role=role, department_id=find_department("market_regulation").id, created_by="tests")
            user.set_password(PASSWORD)
            db.session.add(user)
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


#: Links a walk does not follow: they download a file or change the session rather than show a page.
NOT_PAGES = ("logout", "export", "download", "format=", ".xlsx", ".csv", ".pdf", "/api/", "lang=", "/static/")


def walk(open_page: Callable[[str], Iterable[str]], seen: set[str] | None = None, start: str = "/dashboard") -> set[str]:
    """Every page reachable from ``start``, each path once (the first query string found for it).

    ``open_page(path)`` opens a page, checks what it checks, and returns the
    ``href`` of its links; links to other sites and ``NOT_PAGES`` are not
    followed. Paths already in ``seen`` are not opened again. Returns ``seen``.
    """
    seen = set() if seen is None else seen
    queue = [start]
    while queue:
        path = queue.pop(0)
        if path.split("?")[0] in seen:
            continue
        seen.add(path.split("?")[0])
        queue.extend(href.split("#")[0] for href in open_page(path)
                     if href.startswith("/") and not href.startswith("//") and not any(w in href for w in NOT_PAGES))
    return seen
