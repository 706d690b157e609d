"""An admin app with the test plugin ``quota`` (tests/quota_plugin): versioned reference data with nested indicators.

``quota`` is owned by Market Regulation, permitted and switched on for it;
its shipped reference versions are stored as ``stdpolicy init`` stores
them. Import the fixture a module needs (``from refdata_support import quota_app``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from core import load_registry
from core.db import db
from core.store import find_department

from conftest import PASSWORD, PROJECT_PLUGINS, TEST_USERS

import quota_plugin

__all__ = ["SINTER", "quota_app", "quota_app_before_init", "quota_client", "quota_login", "quota_registry", "quota_runner", "report"]

TABLE = "quota.limits"
SINTER = ("GB 21256-2013", "烧结")


def quota_registry():
    registry = load_registry(only=PROJECT_PLUGINS, plugins=[("quota", quota_plugin)])
    assert not [f for f in registry.failures if f.name == "quota"], registry.failures
    return registry


def report(value: str, *, day: str = "2024-05-01", product: str = "烧结", ref: str | None = None) -> dict:
    record = {"kind": "quota_report", "date": day, "credit_code": "913304007429141869", "organisation": "嘉兴某钢铁有限公司",
              "standard": "GB 21256-2013", "product": product, "value": value}
    if ref:
        record["id"] = ref
    return record


@pytest.fixture
def quota_app(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    yield from _quota_app(database_url, tmp_path, monkeypatch, references=True)


@pytest.fixture
def quota_app_before_init(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """As ``quota_app``, but the shipped reference data not stored yet (quota installed after ``stdpolicy init``)."""
    yield from _quota_app(database_url, tmp_path, monkeypatch, references=False)


def _quota_app(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, references: bool) -> Iterator[Flask]:
    from core.store import (
        ensure_departments,
        load_defaults,
        load_shipped_references,
        set_enabled,
        set_owner,
        set_permitted,
    )
    from webadmin import create_app
    from webadmin.models import User

    monkeypatch.setenv("STDPOLICY_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": False,
                      "SESSION_COOKIE_SECURE": False}, registry=quota_registry())
    with app.app_context():
        registry = app.extensions["stdpolicy"]
        ensure_departments(registry)
        load_defaults(registry)
        if references:
            load_shipped_references(registry)
        market = find_department("market_regulation")
        set_owner("quota", market, "tests")
        set_permitted(market, "quota", True, "tests")
        set_enabled(market, "quota", True, "tests")
        for name, (role, department) in TEST_USERS.items():
            user = User(username=name, role=role, department_id=find_department(department).id, created_by="tests")
            user.set_password(PASSWORD)
            db.session.add(user)
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def quota_runner(quota_app: Flask):
    return quota_app.test_cli_runner()


@pytest.fixture
def quota_client(quota_app: Flask):
    return quota_app.test_client()


@pytest.fixture
def quota_login(quota_client):
    def do(username: str):
        response = quota_client.post("/login", data={"username": username, "password": PASSWORD})
        assert response.status_code == 302, response.status_code
        return response

    return do
