"""Who may open and change what: every view URL × every role, and nothing changes on a refusal.

Roles are those of ``conftest.TEST_USERS`` plus ``anon`` (not logged in).
Each case runs on a fresh database; after a refused request (403, or the
login redirect for ``anon``) the plugin switches, users, tokens, stored
outcomes and audit log (logins aside) must be exactly as before.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from core.db import db
from core.models import AuditEntry, EvaluationRun, ParameterVersionRecord, PluginEnablement, PluginOwner, PluginPermission
from core.store import find_department
from webadmin.models import ApiToken, User
from webadmin.security import hash_token, new_token

from webadmin_support import fast_password_hashing  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

ROLES = ("anon", "city", "mr_admin", "mr_viewer", "ca_admin", "ca_viewer")
NEW_PASSWORD = "a-brand-new-password-3"


def expect(default: int, **by_role: int) -> dict[str, int]:
    """Expected status per role: ``default`` for the logged-in roles not named; ``anon`` → login redirect."""
    table = {role: default for role in ROLES}
    table["anon"] = 302
    table.update(by_role)
    return table


ALL = expect(200)
CITY_ONLY = expect(403, city=200)
ADMINS = expect(403, city=200, mr_admin=200, ca_admin=200)

#: (method, URL, form data, expected status per role). ``{mr_viewer}`` etc. are user ids, ``{token}`` a
#: market_regulation token id.
CASES = [
    ("get", "/", None, expect(302)),
    ("get", "/dashboard", None, ALL),
    ("get", "/plugins", None, ALL),
    ("get", "/audit", None, ALL),
    ("get", "/audit?action=plugin.enable&page=2", None, ALL),
    ("get", "/users", None, CITY_ONLY),
    ("get", "/users/new", None, CITY_ONLY),
    ("get", "/users/{mr_viewer}/password", None, CITY_ONLY),
    ("get", "/tokens", None, ADMINS),
    # the API takes tokens only, never the session
    ("get", "/api/plugins", None, expect(401, anon=401)),
    ("post", "/api/evaluate", b"[]", expect(401, anon=401)),
    # switches
    ("post", "/plugins/market_regulation/reward_tiers", {"enabled": "0"}, expect(403, city=302, mr_admin=302)),
    # switching on needs the plugin permitted to the department: nobody may until a city administrator permits it
    ("post", "/plugins/civil_affairs/reward_tiers", {"enabled": "1"}, expect(403)),
    ("post", "/plugins/health/reward_tiers", {"enabled": "1"}, expect(403)),
    # switching off is the department's (or the city's) own business
    ("post", "/plugins/civil_affairs/reward_tiers", {"enabled": "0"}, expect(403, city=302, ca_admin=302)),
    # permissions and owners: city administrators only
    ("post", "/plugins/civil_affairs/reward_tiers/permission", {"allowed": "1"}, expect(403, city=302)),
    ("post", "/plugins/market_regulation/reward_tiers/permission", {"allowed": "0"}, expect(403, city=302)),
    ("post", "/plugins/reward_tiers/owner", {"department": "civil_affairs"}, expect(403, city=302)),
    # recording a parameter version: the owner's administrators and city administrators (others see 404 or 403)
    ("post", "/parameters/reward_tiers.lead.local", {"value": "250000", "effective_from": "2025-01-01", "reason": "r",
                                                      "reference": "ref", "based_on": "1", "save": "1"},
     expect(404, city=302, mr_admin=302, mr_viewer=403)),
    ("post", "/plugins/reevaluate", {}, expect(403, city=302)),
    # users
    ("post", "/users/new", {"username": "intruder", "role": "city_admin", "department": "market_regulation",
                            "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, expect(403, city=302)),
    ("post", "/users/{ca_viewer}/deactivate", {}, expect(403, city=302)),
    ("post", "/users/{mr_admin}/activate", {}, expect(403, city=302)),
    ("post", "/users/{city}/password", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, expect(403, city=302)),
    # tokens
    ("post", "/tokens", {"name": "erp", "department": "market_regulation"}, expect(403, city=200, mr_admin=200)),
    ("post", "/tokens", {"name": "erp", "department": "civil_affairs"}, expect(403, city=200, ca_admin=200)),
    ("post", "/tokens/{token}/revoke", {}, expect(403, city=302, mr_admin=302)),
    # the audit log has no way to change an entry
    ("post", "/audit", {}, expect(405, anon=405)),
]


def snapshot(app) -> dict:
    """Everything a refused request must leave alone."""
    with app.app_context():
        return {
            "enablements": sorted(db.session.execute(
                select(PluginEnablement.department_id, PluginEnablement.plugin, PluginEnablement.enabled)).all()),
            "users": sorted(db.session.execute(
                select(User.username, User.role, User.department_id, User.active, User.password_hash)).all()),
            "tokens": sorted(db.session.execute(select(ApiToken.id, ApiToken.revoked_at)).all()),
            "runs": db.session.scalars(select(EvaluationRun.id)).all(),
            "permissions": sorted(db.session.execute(
                select(PluginPermission.department_id, PluginPermission.plugin, PluginPermission.allowed)).all()),
            "owners": sorted(db.session.execute(select(PluginOwner.plugin, PluginOwner.department_id)).all()),
            "parameter versions": db.session.scalars(select(ParameterVersionRecord.id)).all(),
            "audit": db.session.execute(
                select(AuditEntry.id, AuditEntry.action, AuditEntry.target)
                .where(AuditEntry.action.not_like("login.%")).order_by(AuditEntry.id)).all(),
        }


@pytest.fixture
def token_id(app) -> int:
    token = new_token()
    with app.app_context():
        row = ApiToken(department_id=find_department("market_regulation").id, name="existing",
                       token_hash=hash_token(token), prefix=token[:10], created_by="tests")
        db.session.add(row)
        db.session.commit()
        return row.id


def _case_id(case: tuple) -> str:
    method, url, data, _ = case
    detail = data.get("department") or data.get("enabled") if isinstance(data, dict) else None
    return f"{method} {url}" + (f" [{detail}]" if detail else "")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method, url, data, expected", CASES, ids=[_case_id(c) for c in CASES])
def test_access(app, client, login, users, token_id, role, method, url, data, expected):
    url = url.format(token=token_id, **users)
    if role != "anon":
        login(role)
    before = snapshot(app)
    kwargs = {}
    if data is not None:
        kwargs = {"data": data, "content_type": "application/json"} if isinstance(data, bytes) else {"data": data}
    response = getattr(client, method)(url, **kwargs)
    assert response.status_code == expected[role], f"{role} {method.upper()} {url}"
    if role == "anon" and expected[role] == 302 and url != "/":
        assert "/login" in response.headers["Location"]
    if response.status_code in (401, 403, 405) or role == "anon":
        assert snapshot(app) == before, f"{role} {method.upper()} {url} was refused but changed something"


def test_refusal_page_is_clean(client, login):
    login("mr_viewer")
    response = client.post("/plugins/market_regulation/reward_tiers?lang=en", data={"enabled": "0"})
    assert response.status_code == 403
    assert "You are not allowed to do this." in response.get_data(as_text=True)


@pytest.mark.parametrize("role, visible, hidden", [
    ("city", ["Plugins", "Audit log", "Users", "API tokens"], []),
    ("mr_admin", ["Plugins", "Audit log", "API tokens"], ["Users"]),
    ("ca_viewer", ["Plugins", "Audit log"], ["Users", "API tokens"]),
])
def test_menu_follows_the_role(client, login, role, visible, hidden):
    login(role)
    page = client.get("/dashboard?lang=en").get_data(as_text=True)
    menu = page.split('<nav class="side"', 1)[1].split("</nav>", 1)[0]
    for label in visible:
        assert f">{label}</a>" in menu
    for label in hidden:
        assert f">{label}</a>" not in menu


# -- a database error ---------------------------------------------------------------------------


def _raise(*args, **kwargs):
    raise OperationalError("SELECT 1", {}, Exception("connection refused (simulated)"))


@pytest.mark.parametrize("target, method, url, data", [
    ("webadmin.views.plugins._enablements", "get", "/plugins", None),
    ("webadmin.views.plugins.switch_plugin", "post", "/plugins/market_regulation/reward_tiers", {"enabled": "0"}),
    ("webadmin.views.audit.visible_entries", "get", "/audit", None),
])
def test_database_error_gives_the_clean_503_page(app, client, login, monkeypatch, target, method, url, data):
    login("city")
    before = snapshot(app)
    monkeypatch.setattr(target, _raise)
    response = getattr(client, method)(url + "?lang=en", data=data)
    assert response.status_code == 503
    body = response.get_data(as_text=True)
    assert "The database cannot be reached or refused the change. Nothing was stored." in body
    assert "Traceback" not in body and "OperationalError" not in body and "simulated" not in body
    assert snapshot(app) == before


def test_database_error_in_the_api_is_a_json_503(app, client, monkeypatch):
    token = new_token()
    with app.app_context():
        db.session.add(ApiToken(department_id=find_department("market_regulation").id, name="t",
                                token_hash=hash_token(token), prefix=token[:10], created_by="tests"))
        db.session.commit()
    monkeypatch.setattr("core.services.evaluate.evaluation_context", _raise)
    response = client.post("/api/evaluate", data=b"[]", content_type="application/json",
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 503
    assert response.get_json() == {"error": "database"}
    with app.app_context():
        assert db.session.scalar(select(ApiToken.last_used_at)) is None


def test_inactive_user_session_is_refused(app, client, login, users):
    login("mr_admin")
    with app.app_context():
        db.session.get(User, users["mr_admin"]).active = False
        db.session.commit()
    response = client.post("/plugins/market_regulation/reward_tiers", data={"enabled": "0"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(PluginEnablement.enabled).filter_by(plugin="reward_tiers",
                                 department_id=find_department("market_regulation").id)) is True

