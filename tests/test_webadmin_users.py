"""User management (city administrators) and API tokens pages."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from core.db import db
from core.models import AuditEntry
from webadmin.models import ApiToken, User
from webadmin.security import hash_token

from conftest import PASSWORD

from webadmin_support import fast_password_hashing  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

NEW_PASSWORD = "another-long-password-2"


def audit_entries(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return db.session.scalars(select(AuditEntry).filter_by(action=action).order_by(AuditEntry.id)).all()


def get_user(app, name: str) -> User | None:
    with app.app_context():
        return db.session.scalar(select(User).filter_by(username=name))


def user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(User.id)))


def test_list_users(client, login):
    login("city")
    page = client.get("/users?lang=en").get_data(as_text=True)
    for name in ("city", "mr_admin", "mr_viewer", "ca_admin", "ca_viewer"):
        assert f'id="user-{name}"' in page
    assert "Department administrator" in page


def test_create_user(app, client, login):
    login("city")
    response = client.post("/users/new", data={"username": "ca_clerk", "role": "dept_viewer", "department": "civil_affairs",
                                               "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    user = get_user(app, "ca_clerk")
    assert user.role == "dept_viewer" and user.active and user.created_by == "city"
    assert user.check_password(NEW_PASSWORD) and user.password_hash != NEW_PASSWORD
    [entry] = audit_entries(app, "user.create")
    assert (entry.actor, entry.target, entry.after) == (
        "city", "ca_clerk", {"role": "dept_viewer", "department": "civil_affairs", "active": True})
    assert NEW_PASSWORD not in str(entry.after) and user.password_hash not in str(entry.after)
    client.post("/logout")
    assert client.post("/login", data={"username": "ca_clerk", "password": NEW_PASSWORD}).status_code == 302


def test_a_city_admin_needs_no_department(app, client, login):
    login("city")
    response = client.post("/users/new", data={"username": "deputy", "role": "city_admin", "department": "",
                                               "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert get_user(app, "deputy").department_id is None


@pytest.mark.parametrize("data, message", [
    ({"username": "mr_admin"}, "This user name is taken."),
    ({"department": ""}, "Department administrators and viewers need a department."),
    ({"confirm": "something-else-entirely"}, "The passwords differ."),
    ({"password": "short", "confirm": "short"}, "At least 10 characters."),
    ({"username": "bad name!"}, "Letters, digits, and . @ - _ only."),
    ({"role": "superuser"}, "Not a valid choice"),
    ({"department": "no_such_department"}, "Not a valid choice"),
])
def test_create_user_errors(app, client, login, data, message):
    login("city")
    before = user_count(app)
    form = {"username": "newbie", "role": "dept_admin", "department": "health",
            "password": NEW_PASSWORD, "confirm": NEW_PASSWORD, **data}
    response = client.post("/users/new?lang=en", data=form)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert user_count(app) == before
    assert audit_entries(app, "user.create") == []


def test_deactivate_and_reactivate(app, client, login, users):
    login("city")
    assert client.post(f"/users/{users['ca_viewer']}/deactivate").status_code == 302
    assert not get_user(app, "ca_viewer").active
    [entry] = audit_entries(app, "user.deactivate")
    assert (entry.actor, entry.target, entry.before, entry.after) == ("city", "ca_viewer", {"active": True}, {"active": False})
    other = app.test_client()
    assert other.post("/login", data={"username": "ca_viewer", "password": PASSWORD}).status_code == 401

    assert client.post(f"/users/{users['ca_viewer']}/activate").status_code == 302
    assert get_user(app, "ca_viewer").active
    [entry] = audit_entries(app, "user.activate")
    assert (entry.before, entry.after) == ({"active": False}, {"active": True})
    assert other.post("/login", data={"username": "ca_viewer", "password": PASSWORD}).status_code == 302
    assert user_count(app) == 5  # never deleted


def test_deactivation_ends_the_users_session(app, client, login, users):
    other = app.test_client()
    assert other.post("/login", data={"username": "mr_viewer", "password": PASSWORD}).status_code == 302
    assert other.get("/dashboard").status_code == 200
    login("city")
    client.post(f"/users/{users['mr_viewer']}/deactivate")
    response = other.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_nobody_deactivates_themselves(app, client, login, users):
    login("city")
    client.post(f"/users/{users['city']}/deactivate?lang=en")  # flashed in the language of this request
    assert get_user(app, "city").active
    assert "You cannot deactivate yourself." in client.get("/users?lang=en").get_data(as_text=True)
    assert audit_entries(app, "user.deactivate") == []


def test_unknown_user_is_404(client, login):
    login("city")
    assert client.post("/users/9999/deactivate").status_code == 404
    assert client.get("/users/9999/password").status_code == 404


# -- API tokens --------------------------------------------------------------------------


def issue(client, department: str, name: str = "erp") -> str:
    response = client.post("/tokens", data={"name": name, "department": department})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    return re.search(r'<pre class="token" id="token-value">([^<]+)</pre>', response.get_data(as_text=True)).group(1)


def tokens(app) -> list[ApiToken]:
    with app.app_context():
        return db.session.scalars(select(ApiToken).order_by(ApiToken.id)).all()


def test_issue_a_token_shown_once_and_stored_hashed(app, client, login):
    login("mr_admin")
    token = issue(client, "market_regulation")
    [row] = tokens(app)
    assert row.token_hash == hash_token(token) and row.prefix == token[:10] and row.created_by == "mr_admin"
    [entry] = audit_entries(app, "token.create")
    assert (entry.actor, entry.target, entry.after) == ("mr_admin", "market_regulation/erp", {"id": row.id, "prefix": row.prefix})
    page = client.get("/tokens").get_data(as_text=True)
    assert token not in page and f"{row.prefix}…" in page


def test_department_admin_sees_and_issues_only_their_departments_tokens(app, client, login):
    login("city")
    issue(client, "civil_affairs", "ca-system")
    issue(client, "market_regulation", "mr-system")
    client.post("/logout")
    login("mr_admin")
    page = client.get("/tokens").get_data(as_text=True)
    assert "mr-system" in page and "ca-system" not in page
    assert '<option value="civil_affairs"' not in page
    assert client.post("/tokens", data={"name": "sneaky", "department": "civil_affairs"}).status_code == 403
    assert len(tokens(app)) == 2


def test_revoke(app, client, login):
    login("mr_admin")
    issue(client, "market_regulation")
    [row] = tokens(app)
    assert client.post(f"/tokens/{row.id}/revoke").status_code == 302
    [row] = tokens(app)
    assert row.revoked_at is not None
    [entry] = audit_entries(app, "token.revoke")
    assert (entry.actor, entry.before, entry.after) == ("mr_admin", {"revoked": False}, {"revoked": True, "id": row.id})
    client.post(f"/tokens/{row.id}/revoke")  # twice: nothing more
    assert len(audit_entries(app, "token.revoke")) == 1
    assert len(tokens(app)) == 1  # revoked, never deleted


def test_token_name_is_required(app, client, login):
    login("mr_admin")
    response = client.post("/tokens?lang=en", data={"name": "", "department": "market_regulation"})
    assert response.status_code == 200 and 'class="error"' in response.get_data(as_text=True)
    assert tokens(app) == []
