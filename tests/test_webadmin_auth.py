"""Logging in, throttling, language, and the dashboard."""

from __future__ import annotations

import re

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
    # the sixth attempt is refused even with the right password
    response = client.post("/login", data={"username": "mr_admin", "password": PASSWORD})
    assert response.status_code == 429
    with app.app_context():
        failures = db.session.scalars(select(AuditEntry).filter_by(action="login.failure", target="mr_admin")).all()
        assert len(failures) == 5


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
