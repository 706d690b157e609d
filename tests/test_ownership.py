"""Departments own what they change (issue 6): owners, permissions, scoped reading, the department in the audit log.

The attack of the issue, replayed: 生态环境局's administrator switches
reward_tiers on for their own bureau (refused: not permitted) and records a
city-wide value of ``reward_tiers.lead.local`` (refused: not the owner);
发改委's administrator reads and exports 市场监管局's activities (refused:
nothing of them is visible).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from core import Outcome, Text, hookimpl, load_registry
from core.app import get_registry
from core.db import db
from core.interchange import read_records
from core.models import ActivityRecord, AuditEntry, ParameterVersionRecord, PluginEnablement, PluginPermission
from core.store import (
    active_plugins,
    enabled_plugins,
    ensure_departments,
    find_department,
    import_records,
    load_defaults,
    permitted_plugins,
    plugin_owner,
    set_enabled,
    set_permitted,
)

from conftest import PASSWORD, PROJECT_PLUGINS
from webadmin_support import bearer, make_token, permit

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "docs/examples/activities.json"
LOCAL = "reward_tiers.lead.local"
VERSION_FORM = {"value": "250000", "effective_from": "2025-01-01", "reason": "试图修改", "reference": "无", "save": "1"}


def add_user(app: Flask, name: str, role: str, department: str | None) -> None:
    from webadmin.models import User

    with app.app_context():
        user = User(username=name, role=role, created_by="tests",
                    department_id=find_department(department).id if department else None)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()


@pytest.fixture
def bureaus(app: Flask, users) -> None:
    """Administrators of 生态环境局 and 发改委, and a city administrator without a department."""
    add_user(app, "ee_admin", "dept_admin", "ecology_environment")
    add_user(app, "dr_admin", "dept_admin", "development_reform")
    add_user(app, "city2", "city_admin", None)


@pytest.fixture
def mr_activities(app: Flask) -> dict[str, int]:
    """The example file imported by 市场监管局: external id → stored id."""
    with app.app_context():
        registry = get_registry()
        result = import_records(registry, read_records(str(EXAMPLES), registry), source="examples", actor="mr_admin",
                                department=find_department("market_regulation"))
        assert result.ok and result.stored
        db.session.commit()
        return dict(db.session.execute(select(ActivityRecord.external_id, ActivityRecord.id)).all())


def state(app: Flask) -> dict:
    with app.app_context():
        return {
            "enablements": sorted(db.session.execute(
                select(PluginEnablement.department_id, PluginEnablement.plugin, PluginEnablement.enabled)).all()),
            "permissions": sorted(db.session.execute(
                select(PluginPermission.department_id, PluginPermission.plugin, PluginPermission.allowed)).all()),
            "versions": db.session.scalars(select(ParameterVersionRecord.id).order_by(ParameterVersionRecord.id)).all(),
            "audit": db.session.scalars(
                select(AuditEntry.id).where(AuditEntry.action.not_like("login.%")).order_by(AuditEntry.id)).all(),
        }


def log_in(client, name: str) -> None:
    client.post("/logout")
    response = client.post("/login", data={"username": name, "password": PASSWORD})
    assert response.status_code == 302, name


def latest_base(app: Flask, key: str) -> str:
    with app.app_context():
        return str(db.session.scalar(select(func.max(ParameterVersionRecord.sequence)).where(ParameterVersionRecord.key == key)))


# -- the attack of the issue ----------------------------------------------------------------------


def test_ecology_cannot_switch_reward_tiers_on_nor_record_its_parameters(app, client, bureaus):
    log_in(client, "ee_admin")
    before = state(app)
    # their Plugins page offers no switch for a plugin they are not permitted
    page = client.get("/plugins").get_data(as_text=True)
    assert 'data-department="ecology_environment" data-plugin="reward_tiers" data-enabled="no" data-permitted="no"' in page
    assert 'action="/plugins/ecology_environment/reward_tiers"' not in page
    # a forged switch is refused
    assert client.post("/plugins/ecology_environment/reward_tiers", data={"enabled": "1"}).status_code == 403
    # the parameter is not theirs: hidden (they have not enabled its plugin), for reading and recording
    assert client.get(f"/parameters/{LOCAL}").status_code == 404
    assert client.post(f"/parameters/{LOCAL}", data={**VERSION_FORM, "based_on": latest_base(app, LOCAL)}).status_code == 404
    assert state(app) == before

    # even once the city permits them the plugin and they switch it on, the values stay the owner's
    permit(app, "ecology_environment")
    assert client.post("/plugins/ecology_environment/reward_tiers", data={"enabled": "1"}).status_code == 302
    before = state(app)
    page = client.get(f"/parameters/{LOCAL}?lang=en").get_data(as_text=True)
    assert 'id="version-form"' not in page and 'id="read-only"' in page
    assert "Market Regulation Administration" in page  # who does record it
    for button in ("preview", "save"):
        data = {**VERSION_FORM, "based_on": latest_base(app, LOCAL)}
        data.pop("save")
        data[button] = "1"
        assert client.post(f"/parameters/{LOCAL}", data=data).status_code == 403
    assert state(app) == before


def test_development_reform_reads_and_exports_nothing_of_market_regulation(app, client, bureaus, mr_activities):
    log_in(client, "dr_admin")
    page = client.get("/activities").get_data(as_text=True)
    assert 'id="register"' not in page and "data-id=" not in page
    assert not re.search(r'<option value="20\d\d"', page)  # not even the years that hold activities
    for activity_id in mr_activities.values():
        assert client.get(f"/activities/{activity_id}").status_code == 404
    exported = list(csv.reader(io.StringIO(client.get("/activities/export.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert len(exported) == 1  # the header only
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(client.get("/activities/export.xlsx").get_data()))
    assert len(list(workbook.active.iter_rows(values_only=True))) == 1
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert 'id="fig-activities">0<' in dashboard
    # the bureau's API token evaluates with its own plugins only
    token = make_token(app, "development_reform")
    document = client.post("/api/evaluate", data=EXAMPLES.read_bytes(), content_type="application/json",
                           headers=bearer(token)).get_json()
    assert document["total_amount"] == 0 and all(not r["outcomes"] for r in document["results"])


def test_a_switch_that_is_not_permitted_has_no_effect(app, client, bureaus, mr_activities):
    """A switch left from before permissions existed (or made around the admin) shows nothing until permitted."""
    with app.app_context():
        set_enabled(find_department("development_reform"), "reward_tiers", True, "legacy")
        db.session.commit()
        assert enabled_plugins(find_department("development_reform")) == set()
    log_in(client, "dr_admin")
    assert "data-id=" not in client.get("/activities").get_data(as_text=True)
    assert client.get(f"/activities/{mr_activities['EX-001']}").status_code == 404
    page = client.get("/plugins").get_data(as_text=True)
    assert 'data-department="development_reform" data-plugin="reward_tiers" data-enabled="no" data-permitted="no"' in page
    # the department can still switch it off
    assert client.post("/plugins/development_reform/reward_tiers", data={"enabled": "0"}).status_code == 302
    permit(app, "development_reform")
    assert "data-id=" not in client.get("/activities").get_data(as_text=True)  # the old switch did not come back


# -- permissions ---------------------------------------------------------------------------------


def test_default_permissions_and_owners_come_from_departments_yaml(app):
    with app.app_context():
        assert permitted_plugins(find_department("market_regulation")) == {"reward_tiers", "benchmarking", "city_targets"}
        assert permitted_plugins(find_department("ecology_environment")) == {"carbon"}
        assert plugin_owner("reward_tiers").code == "market_regulation"
        assert plugin_owner("benchmarking").code == "market_regulation"
        assert plugin_owner("carbon").code == "development_reform"
        assert plugin_owner("public_services").code == "civil_affairs"
        assert plugin_owner("not_in_the_yaml") is None


def test_city_admin_permits_and_forbids_on_the_plugins_page(app, client, login, users):
    login("city")
    response = client.post("/plugins/civil_affairs/reward_tiers/permission?lang=en", data={"allowed": "1"})
    assert response.status_code == 302
    civil = None
    with app.app_context():
        civil = find_department("civil_affairs").id
        [entry] = db.session.scalars(select(AuditEntry).filter_by(action="plugin.permit")).all()
        assert (entry.actor, entry.target, entry.department_id, entry.before, entry.after) == (
            "city", "civil_affairs/reward_tiers", civil, {"permitted": False}, {"permitted": True})
    client.post("/logout")
    login("ca_admin")
    assert client.post("/plugins/civil_affairs/reward_tiers", data={"enabled": "1"}).status_code == 302
    with app.app_context():
        assert enabled_plugins(find_department("civil_affairs")) == {"reward_tiers"}

    client.post("/logout")
    login("city")
    client.post("/plugins/civil_affairs/reward_tiers/permission", data={"allowed": "0"})
    with app.app_context():
        assert enabled_plugins(find_department("civil_affairs")) == set()
        actions = [(e.action, e.department_id) for e in db.session.scalars(
            select(AuditEntry).where(AuditEntry.target == "civil_affairs/reward_tiers").order_by(AuditEntry.id))]
        # forbidding also switched it off, in the same change
        assert actions == [("plugin.permit", civil), ("plugin.enable", civil), ("plugin.forbid", civil),
                           ("plugin.disable", civil)]
    assert client.post("/plugins/civil_affairs/reward_tiers/permission", data={"allowed": "maybe"}).status_code == 400
    assert client.post("/plugins/civil_affairs/no_such/permission", data={"allowed": "1"}).status_code == 404
    assert client.post("/plugins/nowhere/reward_tiers/permission", data={"allowed": "1"}).status_code == 404


def test_city_admins_also_permit_before_switching_on(app, client, login, users):
    login("city")
    assert client.post("/plugins/health/reward_tiers", data={"enabled": "1"}).status_code == 403
    client.post("/plugins/health/reward_tiers/permission", data={"allowed": "1"})
    assert client.post("/plugins/health/reward_tiers", data={"enabled": "1"}).status_code == 302
    with app.app_context():
        assert enabled_plugins(find_department("health")) == {"reward_tiers"}


def test_init_does_not_switch_on_a_forbidden_default(app):
    with app.app_context():
        market = find_department("market_regulation")
        set_permitted(market, "reward_tiers", False, "city")
        db.session.commit()
        assert "reward_tiers" not in enabled_plugins(market)
        db.session.execute(PluginEnablement.__table__.delete().where(PluginEnablement.department_id == market.id))
        ensure_departments(get_registry())
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(PluginEnablement)
                                 .where(PluginEnablement.department_id == market.id)) == 0


def test_only_permitted_switches_compute_stored_outcomes(app):
    with app.app_context():
        registry = get_registry()
        market = find_department("market_regulation")
        assert active_plugins(registry) == ["reward_tiers"]
        set_enabled(find_department("health"), "reward_tiers", True, "legacy")  # not permitted
        set_enabled(market, "reward_tiers", False, "mr_admin")
        assert active_plugins(registry) == []
        set_permitted(find_department("health"), "reward_tiers", True, "city")
        assert active_plugins(registry) == ["reward_tiers"]


def test_cli_permit_and_forbid(app, runner):
    env = {"STDPOLICY_ACTOR": "cli-tester"}
    result = runner.invoke(args=["permit", "reward_tiers", "-d", "health"], env=env)
    assert result.exit_code == 0, result.output
    assert "health may now switch on reward_tiers" in result.output
    assert runner.invoke(args=["enable", "reward_tiers", "-d", "health"], env=env).exit_code == 0
    listing = runner.invoke(args=["plugins"]).output
    assert "owner:       market_regulation" in listing
    assert "permitted:   health, market_regulation" in listing
    result = runner.invoke(args=["forbid", "reward_tiers", "-d", "health"], env=env)
    assert result.exit_code == 0 and "switched off" in result.output
    with app.app_context():
        health = find_department("health")
        assert "reward_tiers" not in enabled_plugins(health) | permitted_plugins(health)
        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.actor == "cli-tester")
                                     .order_by(AuditEntry.id)).all()
        assert actions == ["plugin.permit", "plugin.enable", "plugin.forbid", "plugin.disable"]
    again = runner.invoke(args=["forbid", "reward_tiers", "-d", "health"], env=env)
    assert again.exit_code == 0 and "already not permitted" in again.output
    assert runner.invoke(args=["permit", "no_such", "-d", "health"]).exit_code == 2


# -- owners -------------------------------------------------------------------------------------


def test_only_the_owner_and_city_administrators_record_parameters(app, client, login, users):
    from webadmin.access import may_manage
    from webadmin.models import User

    with app.test_request_context():
        by_name = {u.username: u for u in db.session.scalars(select(User))}
        assert [name for name in sorted(by_name) if may_manage("reward_tiers", by_name[name])] == ["city", "mr_admin"]

    # the city moves ownership to civil affairs (audited, with the department)
    login("city")
    assert client.post("/plugins/reward_tiers/owner", data={"department": "civil_affairs"}).status_code == 302
    with app.app_context():
        assert plugin_owner("reward_tiers").code == "civil_affairs"
        [entry] = db.session.scalars(select(AuditEntry).filter_by(action="plugin.owner")).all()
        assert (entry.target, entry.before, entry.after, entry.department_id) == (
            "reward_tiers", {"owner": "market_regulation"}, {"owner": "civil_affairs"}, find_department("civil_affairs").id)
    client.post("/logout")

    login("mr_admin")
    data = {**VERSION_FORM, "based_on": latest_base(app, LOCAL)}
    assert client.post(f"/parameters/{LOCAL}", data=data).status_code == 403
    client.post("/logout")
    login("ca_admin")  # owner now, without having switched the plugin on
    assert client.get(f"/parameters/{LOCAL}").status_code == 200
    assert client.post(f"/parameters/{LOCAL}", data=data).status_code == 302
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).filter_by(action="parameter.version")).one()
        assert (entry.actor, entry.department_id) == ("ca_admin", find_department("civil_affairs").id)

    client.post("/logout")
    login("city")
    client.post("/plugins/reward_tiers/owner", data={"department": ""})
    with app.app_context():
        assert plugin_owner("reward_tiers") is None
    assert client.post("/plugins/reward_tiers/owner", data={"department": "nowhere"}).status_code == 400
    assert client.post("/plugins/no_such/owner", data={"department": ""}).status_code == 404


# -- the department of every change -------------------------------------------------------------


def test_parameter_versions_record_the_department(app, client, runner, bureaus, users):
    with app.app_context():
        market = find_department("market_regulation").id
        defaults = db.session.scalars(select(AuditEntry.department_id).filter_by(action="parameter.default")).all()
        assert defaults and set(defaults) == {market}  # shipped values: the owner's

    def record(user: str, value: str) -> AuditEntry:
        log_in(client, user)
        response = client.post(f"/parameters/{LOCAL}", data={**VERSION_FORM, "value": value,
                                                              "based_on": latest_base(app, LOCAL)})
        assert response.status_code == 302, user
        with app.app_context():
            return db.session.scalars(select(AuditEntry).filter_by(action="parameter.version")
                                      .order_by(AuditEntry.id.desc())).first()

    assert record("mr_admin", "210000").department_id == market  # the acting user's department
    assert record("city2", "220000").department_id == market  # a city administrator without one: the owner
    # the command line: the plugin's owner
    result = runner.invoke(args=["params", "set", LOCAL, "230000", "--from", "2025-02-01", "--reason", "r"],
                           env={"STDPOLICY_ACTOR": "cli:root"})
    assert result.exit_code == 0, result.output
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).filter_by(action="parameter.version", actor="cli:root")).one()
        assert entry.department_id == market


def test_imports_record_the_importing_department(app, client, login, runner, users, tmp_path):
    login("mr_admin")
    upload = client.post("/import", data={"file": (io.BytesIO(EXAMPLES.read_bytes()), "activities.json")},
                         content_type="multipart/form-data")
    assert upload.status_code == 200
    token = upload.get_data(as_text=True).split('name="token" type="hidden" value="', 1)[1].split('"', 1)[0]
    assert client.post("/import/confirm", data={"token": token}).status_code == 200
    with app.app_context():
        market = find_department("market_regulation").id
        assert set(db.session.scalars(select(ActivityRecord.department_id))) == {market}
        assert db.session.scalars(select(AuditEntry.department_id).filter_by(action="activities.import")).all() == [market]

    path = tmp_path / "one.json"
    record = dict(json.loads(EXAMPLES.read_text(encoding="utf-8"))[0], id="CLI-1", date="2025-07-01")
    path.write_text(json.dumps([record]), encoding="utf-8")
    result = runner.invoke(args=["import", str(path), "--department", "civil_affairs"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        civil = find_department("civil_affairs").id
        assert db.session.scalar(select(ActivityRecord.department_id).filter_by(external_id="CLI-1")) == civil
        assert db.session.scalars(select(AuditEntry.department_id).filter_by(action="activities.import")
                                  .order_by(AuditEntry.id)).all() == [market, civil]
    # the API evaluates and stores nothing
    token = make_token(app, "market_regulation")
    with app.app_context():
        stored = db.session.scalar(select(func.count()).select_from(ActivityRecord))
    client.post("/api/evaluate", data=json.dumps([dict(record, id="API-1")]), content_type="application/json",
                headers=bearer(token))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ActivityRecord)) == stored


# -- another plugin's amounts stay hidden ---------------------------------------------------------


class Bench:
    """A second plugin with outcomes for reward_tiers' drafting activities (benchmarking's place)."""

    @hookimpl
    def stdpolicy_evaluate(self, batch, context):
        return [Outcome(a, "B1", 7_777, "三(三)", Text("对标达标奖励", "benchmarking grant"))
                for a in batch.of_kind("standard_drafting")]


@pytest.fixture
def two_plugins(database_url: str, tmp_path, monkeypatch) -> Iterator[Flask]:
    """The admin with reward_tiers and ``Bench``; 市场监管局 uses both, 民政局 reward_tiers only."""
    from webadmin import create_app
    from webadmin.models import User

    registry = load_registry(only=PROJECT_PLUGINS, plugins=[("bench", Bench())])
    monkeypatch.setenv("STDPOLICY_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": False,
                      "SESSION_COOKIE_SECURE": False}, registry=registry)
    with app.app_context():
        ensure_departments(registry)
        load_defaults(registry)
        market, civil = find_department("market_regulation"), find_department("civil_affairs")
        set_permitted(market, "bench", True, "tests")
        set_enabled(market, "bench", True, "tests")
        set_permitted(civil, "reward_tiers", True, "tests")
        set_enabled(civil, "reward_tiers", True, "tests")
        for name, department in (("mr_viewer", market), ("ca_viewer", civil)):
            user = User(username=name, role="dept_viewer", department_id=department.id, created_by="tests")
            user.set_password(PASSWORD)
            db.session.add(user)
        result = import_records(registry, read_records(str(EXAMPLES), registry), source="examples", actor="tests",
                                department=market)
        assert result.ok
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def test_a_department_sees_only_its_plugins_amounts(two_plugins):
    app = two_plugins
    with app.app_context():
        drafting = db.session.scalar(select(ActivityRecord.id).filter_by(external_id="EX-001"))
    market, civil = app.test_client(), app.test_client()
    market.post("/login", data={"username": "mr_viewer", "password": PASSWORD})
    civil.post("/login", data={"username": "ca_viewer", "password": PASSWORD})

    assert "7,777" in market.get(f"/activities/{drafting}").get_data(as_text=True)
    detail = civil.get(f"/activities/{drafting}").get_data(as_text=True)
    assert "7,777" not in detail and "对标达标奖励" not in detail and ">B1<" not in detail
    register = civil.get("/activities?kind=standard_drafting").get_data(as_text=True)
    assert "data-id=" in register and "7,777" not in register and ">B1<" not in register
    exported = civil.get("/activities/export.csv").get_data(as_text=True)
    assert "data-id" not in exported and "7777" not in exported and "bench" not in exported
    assert "7777" in market.get("/activities/export.csv").get_data(as_text=True)
    with app.app_context():
        from core.store.figures import dashboard

        registry = get_registry()
        both = dashboard(registry, {"reward_tiers", "bench"}).totals_by_year
        own = dashboard(registry, {"reward_tiers"}).totals_by_year
        assert sum(both.values()) - sum(own.values()) == 7_777 * db.session.scalar(
            select(func.count()).select_from(ActivityRecord).filter_by(kind="standard_drafting"))
    civil_dash = civil.get("/dashboard").get_data(as_text=True)
    market_dash = market.get("/dashboard").get_data(as_text=True)
    for year, total in own.items():
        if total and total != both[year]:
            assert f"¥{total:,}" in civil_dash and f"¥{total:,}" not in market_dash
            assert f"¥{both[year]:,}" in market_dash and f"¥{both[year]:,}" not in civil_dash
