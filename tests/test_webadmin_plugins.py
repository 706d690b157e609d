"""The Plugins page: discovered plugins, failures, per-department switches, re-evaluation."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.db import db
from core.models import AuditEntry, EvaluationRun, OutcomeRecord
from core.store import enabled_plugins, find_department, import_records

from conftest import PASSWORD
from webadmin_support import broken_app, fast_password_hashing  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"


def enabled(app, department: str) -> set[str]:
    with app.app_context():
        return enabled_plugins(find_department(department))


def audit_entries(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return db.session.scalars(select(AuditEntry).filter_by(action=action).order_by(AuditEntry.id)).all()


def test_lists_loaded_plugins_with_version_source_and_hooks(client, login):
    login("city")
    page = client.get("/plugins?lang=en").get_data(as_text=True)
    assert 'id="plugin-reward_tiers"' in page
    assert "1.0.0" in page
    assert "built into stdpolicy" in page and "stdpolicy (built-in)" not in page
    for hook in ("stdpolicy_describe_plugin", "stdpolicy_evaluate", "stdpolicy_register_parameters"):
        assert hook in page  # as small print beside what it does
    assert "evaluates activities: rules, amounts and explanations" in page
    assert "standard_drafting" in page
    assert "None: every discovered plugin loaded." in page


def test_city_admin_sees_the_matrix_of_every_department(client, login):
    login("city")
    page = client.get("/plugins?lang=en").get_data(as_text=True)
    for code in ("market_regulation", "development_reform", "ecology_environment", "civil_affairs", "health"):
        assert f'action="/plugins/{code}/reward_tiers/permission"' in page
    # a switch only where the department is permitted the plugin
    assert 'action="/plugins/market_regulation/reward_tiers"' in page
    assert 'action="/plugins/civil_affairs/reward_tiers"' not in page
    assert ('data-department="market_regulation" data-plugin="reward_tiers" data-enabled="yes" '
            'data-permitted="yes"') in page
    assert ('data-department="civil_affairs" data-plugin="reward_tiers" data-enabled="no" '
            'data-permitted="no"') in page
    assert 'id="reevaluate-now"' in page


def test_department_admin_switches_only_their_own_department(client, login):
    login("mr_admin")
    page = client.get("/plugins").get_data(as_text=True)
    assert 'action="/plugins/market_regulation/reward_tiers"' in page
    assert "civil_affairs" not in page
    assert 'id="reevaluate-now"' not in page


def test_viewer_sees_the_state_read_only(client, login):
    login("mr_viewer")
    page = client.get("/plugins?lang=en").get_data(as_text=True)
    assert 'data-department="market_regulation" data-plugin="reward_tiers" data-enabled="yes"' in page
    assert 'action="/plugins/' not in page
    assert "Only administrators can switch plugins." in page


def test_switch_is_audited_and_applies_at_once(app, client, login):
    login("mr_admin")
    # English from the switch on: the flashed message is written in the language of the request that makes it
    response = client.post("/plugins/market_regulation/reward_tiers?lang=en", data={"enabled": "0"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/plugins")
    assert "reward_tiers" not in enabled(app, "market_regulation")
    [entry] = audit_entries(app, "plugin.disable")
    assert (entry.actor, entry.target, entry.before, entry.after) == (
        "mr_admin", "market_regulation/reward_tiers", {"enabled": True}, {"enabled": False})
    page = client.get("/plugins?lang=en").get_data(as_text=True)
    assert "Stored outcomes are updated when they are re-evaluated" in page
    assert 'data-department="market_regulation" data-plugin="reward_tiers" data-enabled="no"' in page

    client.post("/plugins/market_regulation/reward_tiers", data={"enabled": "1"})
    assert "reward_tiers" in enabled(app, "market_regulation")
    assert [e.after for e in audit_entries(app, "plugin.enable") if e.actor == "mr_admin"] == [{"enabled": True}]


def test_switching_to_the_same_state_changes_nothing(app, client, login):
    login("mr_admin")
    before = len(audit_entries(app, "plugin.enable"))
    client.post("/plugins/market_regulation/reward_tiers?lang=en", data={"enabled": "1"})
    assert len(audit_entries(app, "plugin.enable")) == before
    assert "already enabled" in client.get("/plugins?lang=en").get_data(as_text=True)


@pytest.mark.parametrize("url, data, status", [
    ("/plugins/market_regulation/no_such_plugin", {"enabled": "1"}, 404),
    ("/plugins/no_such_department/reward_tiers", {"enabled": "1"}, 404),
    ("/plugins/market_regulation/reward_tiers", {"enabled": "maybe"}, 400),
    ("/plugins/market_regulation/reward_tiers", {}, 400),
])
def test_bad_switch_requests(app, client, login, url, data, status):
    login("city")
    assert client.post(url, data=data).status_code == status
    assert enabled(app, "market_regulation") == {"reward_tiers"}


def test_switch_needs_the_csrf_token(app, client, login, csrf):
    client.post("/login", data={"username": "city", "password": PASSWORD,
                                "csrf_token": _token(client.get("/login").get_data(as_text=True))})
    for url, data in (("/plugins/civil_affairs/reward_tiers/permission", {"allowed": "1"}),
                      ("/plugins/civil_affairs/reward_tiers", {"enabled": "1"})):
        response = client.post(url, data=data)
        assert response.status_code == 400
        assert enabled(app, "civil_affairs") == set()
        token = _token(client.get("/plugins").get_data(as_text=True))
        response = client.post(url, data={**data, "csrf_token": token})
        assert response.status_code == 302
    assert enabled(app, "civil_affairs") == {"reward_tiers"}


def _token(page: str) -> str:
    return re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page).group(1)


def test_reevaluate_now_updates_stored_outcomes(app, client, login):
    with app.app_context():
        from core.app import get_registry

        records = json.loads((EXAMPLES / "activities.json").read_text(encoding="utf-8"))
        result = import_records(get_registry(), records, source="test", actor="tests",
                                department=find_department("market_regulation"))
        assert result.ok
        db.session.commit()
        current = db.session.scalar(select(func.count(OutcomeRecord.id)).where(OutcomeRecord.superseded_at.is_(None)))
        assert current > 0
    login("city")
    client.post("/plugins/market_regulation/reward_tiers?lang=en", data={"enabled": "0"})
    page = client.get("/plugins?lang=en").get_data(as_text=True)
    assert 'class="card notice" id="reevaluate"' in page
    assert "Use “Re-evaluate now” below" in page or "use “Re-evaluate now” below" in page

    response = client.post("/plugins/reevaluate")
    assert response.status_code == 302
    with app.app_context():
        # no department enables reward_tiers any more: its outcomes are superseded without successor
        assert db.session.scalar(select(func.count(OutcomeRecord.id)).where(OutcomeRecord.superseded_at.is_(None))) == 0
        run = db.session.scalars(select(EvaluationRun).filter_by(trigger="reevaluate")).one()
        assert run.actor == "city" and run.outcomes_superseded == current
    [entry] = audit_entries(app, "outcomes.reevaluate")
    assert entry.actor == "city" and entry.after["superseded"] == current
    page = client.get("/plugins?lang=en").get_data(as_text=True)
    assert "Re-evaluation run" in page
    assert 'class="card notice" id="reevaluate"' not in page


def test_only_city_admins_reevaluate(app, client, login):
    login("mr_admin")
    assert client.post("/plugins/reevaluate").status_code == 403
    assert audit_entries(app, "outcomes.reevaluate") == []


# -- a plugin that fails to load (webadmin_support.broken_app) ------------------------------------


@pytest.mark.parametrize("username", ["city", "mr_admin"])
def test_failed_plugin_is_shown_and_the_rest_works(broken_app, username):
    client = broken_app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    page = client.get("/plugins?lang=en").get_data(as_text=True)
    assert page.count('class="failure"') == 2
    assert "bad_description" in page and "declarations" in page
    assert "stdpolicy_describe_plugin must return a PluginDescription" in page
    assert "bad_hook" in page and "stdpolicy_no_such_hook" in page
    assert 'id="plugin-reward_tiers"' in page  # the good plugin is still there
    for url in ("/dashboard", "/audit", "/tokens"):
        assert client.get(url).status_code == 200, url
    if username == "city":
        assert client.get("/users").status_code == 200
    response = client.post("/plugins/market_regulation/reward_tiers", data={"enabled": "0"})
    assert response.status_code == 302
    # a failed plugin cannot be switched: it is not loaded
    assert client.post("/plugins/market_regulation/bad_hook", data={"enabled": "1"}).status_code == 404
