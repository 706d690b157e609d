"""Logging in, throttling, language, and the dashboard."""

from __future__ import annotations

import re

import pytest

from sqlalchemy import select

from core.db import db
from core.models import AuditEntry

from conftest import PASSWORD


def test_login_required(client):
    response = client.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_login_and_dashboard(client, login):
    login("mr_admin")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "reward_tiers" in page


def test_wrong_password_is_audited_and_throttled(app, client, users):
    for _ in range(5):
        response = client.post("/login", data={"username": "mr_admin", "password": "nope"})
        assert response.status_code == 401
    # the sixth attempt from the same address is refused, even with the right password, and says how long to wait
    response = client.post("/login?lang=en", data={"username": "mr_admin", "password": PASSWORD})
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert "Too many failed attempts. Try again in" in response.get_data(as_text=True)
    with app.app_context():
        failures = db.session.scalars(select(AuditEntry).filter_by(action="login.failure", target="mr_admin")).all()
        assert len(failures) == 5
        [throttled] = db.session.scalars(select(AuditEntry).filter_by(action="login.throttled")).all()
        assert (throttled.actor, throttled.target, throttled.detail) == ("mr_admin", "mr_admin", "127.0.0.1")


def test_inactive_user_cannot_log_in(app, client, users):
    from webadmin.models import User

    with app.app_context():
        db.session.get(User, users["mr_viewer"]).active = False
        db.session.commit()
    assert client.post("/login", data={"username": "mr_viewer", "password": PASSWORD}).status_code == 401


def test_csrf_rejects_a_form_without_token(client, users, csrf):
    response = client.post("/login", data={"username": "mr_admin", "password": PASSWORD})
    assert response.status_code == 400
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": "mr_admin", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def test_open_redirect_is_refused(client, users):
    response = client.post("/login", data={"username": "mr_admin", "password": PASSWORD, "next": "https://evil.example/"})
    assert response.headers["Location"].endswith("/dashboard")


@pytest.mark.real_password_hashing
def test_passwords_are_stored_with_the_production_hash(app, users):
    from webadmin.models import User

    with app.app_context():
        user = db.session.get(User, users["mr_admin"])
        assert user.password_hash.startswith("scrypt:")
        assert user.check_password(PASSWORD) and not user.check_password(PASSWORD + "x")


def test_a_new_password_ends_the_old_sessions(app, client, login, users):
    from webadmin.models import User

    login("mr_admin")
    assert client.get("/dashboard").status_code == 200
    with app.app_context():
        db.session.get(User, users["mr_admin"]).set_password("another-password-2")
        db.session.commit()
    response = client.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_unreachable_database_gives_the_plain_503_page(app, client, login, tmp_path):
    from webadmin import create_app

    login("mr_admin")
    cookie = client.get_cookie("session")
    broken = create_app({
        "TESTING": True, "WTF_CSRF_ENABLED": False, "SESSION_COOKIE_SECURE": False,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/no/such/dir/db.sqlite",
    })
    other = broken.test_client()
    other.set_cookie("session", cookie.value)
    response = other.get("/dashboard")
    body = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Traceback" not in body and "sqlite" not in body.lower()
    assert "database" in body.lower() or "数据库" in body
