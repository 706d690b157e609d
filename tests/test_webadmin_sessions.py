"""Server-side sessions: logout, idle time, lifetime, password changes and administrators end them on the server."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from core.db import db
from core.models import AuditEntry
from webadmin.models import User, UserSession

from conftest import PASSWORD, _make_app


def session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def with_cookie(app: Flask, value: str):
    """A new client (another browser, or an attacker) carrying a copied session cookie."""
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def is_logged_out(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


def records(app: Flask, username: str) -> list[UserSession]:
    with app.app_context():
        user = db.session.scalar(select(User).filter_by(username=username))
        return db.session.scalars(select(UserSession).filter_by(user_id=user.id).order_by(UserSession.id)).all()


def test_a_cookie_copied_before_logout_opens_nothing_afterwards(app, client, login):
    login("mr_admin")
    copied = session_cookie(client)
    assert with_cookie(app, copied).get("/dashboard").status_code == 200  # the copy works while the session holds
    assert client.post("/logout").status_code == 302

    thief = with_cookie(app, copied)
    assert is_logged_out(thief.get("/dashboard"))
    assert is_logged_out(thief.get("/activities/export.csv"))
    assert is_logged_out(thief.get("/activities"))
    [record] = records(app, "mr_admin")
    assert record.ended_at is not None and record.end_reason == "logout"
    with app.app_context():
        [entry] = db.session.scalars(select(AuditEntry).filter_by(action="logout")).all()
        assert (entry.actor, entry.target) == ("mr_admin", "mr_admin")


def test_the_cookie_carries_a_random_key_and_the_database_only_its_hash(app, client, login, users):
    login("mr_admin")
    data = app.session_interface.get_signing_serializer(app).loads(session_cookie(client))
    key = data["_user_id"]
    assert len(key) >= 40 and key != str(users["mr_admin"]) and not key.startswith(f"{users['mr_admin']}:")
    [record] = records(app, "mr_admin")
    assert record.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert record.address == "127.0.0.1" and record.ended_at is None


def test_logging_in_twice_gives_two_sessions_and_logout_ends_only_its_own(app, client, login):
    login("mr_admin")
    other = app.test_client()
    assert other.post("/login", data={"username": "mr_admin", "password": PASSWORD}).status_code == 302
    client.post("/logout")
    assert is_logged_out(client.get("/dashboard"))
    assert other.get("/dashboard").status_code == 200
    assert [r.end_reason for r in records(app, "mr_admin")] == ["logout", None]


def test_idle_sessions_end(app, client, login):
    with time_machine.travel(datetime.now(UTC), tick=False) as clock:
        login("mr_viewer")
        for _ in range(4):  # active every 29 minutes: still logged in after two hours
            clock.shift(timedelta(minutes=29))
            assert client.get("/dashboard").status_code == 200
        clock.shift(timedelta(minutes=30))
        response = client.get("/dashboard")
        assert is_logged_out(response)
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "您的会话已结束,请重新登录。" in page
    [record] = records(app, "mr_viewer")
    assert record.end_reason == "idle"


def test_the_idle_period_is_configurable(app, client, login):
    app.config["SESSION_IDLE_TIMEOUT"] = timedelta(minutes=5)
    with time_machine.travel(datetime.now(UTC), tick=False) as clock:
        login("mr_viewer")
        clock.shift(timedelta(minutes=4))
        assert client.get("/dashboard").status_code == 200
        clock.shift(timedelta(minutes=5, seconds=1))
        assert is_logged_out(client.get("/dashboard"))


def test_sessions_end_at_their_maximum_age_whatever_the_activity(app, client, login):
    app.config["SESSION_MAX_AGE"] = timedelta(hours=2)
    with time_machine.travel(datetime.now(UTC), tick=False) as clock:
        login("mr_viewer")
        for _ in range(7):  # every 15 minutes for 1 h 45 min
            clock.shift(timedelta(minutes=15))
            assert client.get("/dashboard").status_code == 200
        clock.shift(timedelta(minutes=15))
        assert is_logged_out(client.get("/dashboard"))
    [record] = records(app, "mr_viewer")
    assert record.end_reason == "expired"


def test_last_seen_is_written_at_most_once_a_minute(app, client, login):
    with time_machine.travel(datetime.now(UTC), tick=False) as clock:
        login("mr_viewer")
        [before] = records(app, "mr_viewer")
        clock.shift(timedelta(seconds=30))
        client.get("/dashboard")
        [same] = records(app, "mr_viewer")
        assert same.last_seen_at == before.last_seen_at
        clock.shift(timedelta(seconds=31))
        client.get("/dashboard")
        [later] = records(app, "mr_viewer")
        assert later.last_seen_at - before.last_seen_at == timedelta(seconds=61)


def test_a_new_password_set_anywhere_ends_the_sessions_through_the_stamp(app, client, login, users):
    login("mr_admin")
    with app.app_context():  # not through the admin: straight in the database
        db.session.get(User, users["mr_admin"]).set_password("another-password-2")
        db.session.commit()
    assert is_logged_out(client.get("/dashboard"))
    assert records(app, "mr_admin")[0].end_reason == "password"


def test_deactivation_ends_the_sessions_on_the_server(app, client, login, users):
    other = app.test_client()
    assert other.post("/login", data={"username": "ca_viewer", "password": PASSWORD}).status_code == 302
    login("city")
    client.post(f"/users/{users['ca_viewer']}/deactivate")
    assert [r.end_reason for r in records(app, "ca_viewer")] == ["deactivated"]
    assert is_logged_out(other.get("/dashboard"))
    # reactivated, the old session stays over
    client.post(f"/users/{users['ca_viewer']}/activate")
    assert is_logged_out(other.get("/dashboard"))


def test_a_city_admin_sees_and_ends_a_users_sessions(app, client, login, users):
    first, second = app.test_client(), app.test_client()
    for browser in (first, second):
        assert browser.post("/login", data={"username": "mr_admin", "password": PASSWORD},
                            headers={"User-Agent": "Test browser 1.0"}).status_code == 302
    login("city")
    page = client.get("/users?lang=en").get_data(as_text=True)
    assert f'href="/users/{users["mr_admin"]}/sessions" class="sessions-link">2</a>' in page

    page = client.get(f"/users/{users['mr_admin']}/sessions?lang=en").get_data(as_text=True)
    one, two = records(app, "mr_admin")
    assert page.count('data-status="open"') == 2 and "Test browser 1.0" in page and "127.0.0.1" in page

    assert client.post(f"/users/{users['mr_admin']}/sessions/{one.id}/end").status_code == 302
    assert is_logged_out(first.get("/dashboard"))
    assert second.get("/dashboard").status_code == 200

    assert client.post(f"/users/{users['mr_admin']}/sessions/end").status_code == 302
    assert is_logged_out(second.get("/dashboard"))
    assert [r.end_reason for r in records(app, "mr_admin")] == ["ended", "ended"]
    page = client.get(f"/users/{users['mr_admin']}/sessions?lang=en").get_data(as_text=True)
    assert page.count('data-status="ended"') == 2 and "ended by an administrator" in page
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).filter_by(action="user.sessions_end").order_by(AuditEntry.id)).all()
        assert [(e.actor, e.target, e.after["sessions_ended"]) for e in entries] == [("city", "mr_admin", 1), ("city", "mr_admin", 1)]


def test_only_city_admins_see_or_end_sessions(app, client, login, users):
    login("mr_admin")
    assert client.get(f"/users/{users['mr_viewer']}/sessions").status_code == 403
    assert client.post(f"/users/{users['mr_viewer']}/sessions/end").status_code == 403


def test_a_session_of_another_user_is_404(app, client, login, users):
    other = app.test_client()
    other.post("/login", data={"username": "mr_viewer", "password": PASSWORD})
    [record] = records(app, "mr_viewer")
    login("city")
    assert client.post(f"/users/{users['mr_admin']}/sessions/{record.id}/end").status_code == 404
    assert other.get("/dashboard").status_code == 200


def test_logout_holds_across_workers(app, client, login, tmp_path):
    """Two application objects on one database, as two gunicorn workers: a logout in one holds in the other."""
    login("mr_admin")
    copied = session_cookie(client)
    worker = _make_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "worker-2")
    try:
        assert with_cookie(worker, copied).get("/dashboard").status_code == 200
        client.post("/logout")  # in the first worker
        assert is_logged_out(with_cookie(worker, copied).get("/dashboard"))
    finally:
        with worker.app_context():
            db.engine.dispose()


@pytest.mark.parametrize("variable, value", [
    ("STDPOLICY_SESSION_IDLE_MINUTES", "0"),
    ("STDPOLICY_SESSION_IDLE_MINUTES", "half an hour"),
    ("STDPOLICY_SESSION_MAX_HOURS", "-1"),
    ("STDPOLICY_TRUSTED_PROXIES", "one"),
])
def test_bad_settings_are_named(database_url, tmp_path, monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(RuntimeError, match=variable):
        _make_app(database_url, tmp_path / "instance")


def test_settings_from_the_environment(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("STDPOLICY_SESSION_IDLE_MINUTES", "15")
    monkeypatch.setenv("STDPOLICY_SESSION_MAX_HOURS", "4")
    app = _make_app(database_url, tmp_path / "instance")
    assert app.config["SESSION_IDLE_TIMEOUT"] == timedelta(minutes=15)
    assert app.config["SESSION_MAX_AGE"] == app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=4)
    with app.app_context():
        db.engine.dispose()
