"""Passwords: users change their own; a city administrator's reset gives a one-time password that must be changed."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.db import db
from core.models import AuditEntry
from webadmin.models import User

from conftest import PASSWORD

NEW = "a-new-secret-phrase-9"


def get_user(app, name: str) -> User:
    with app.app_context():
        return db.session.scalar(select(User).filter_by(username=name))


def entries(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return db.session.scalars(select(AuditEntry).filter_by(action=action).order_by(AuditEntry.id)).all()


def change(client, current: str, new: str, confirm: str | None = None, lang: str = "en"):
    return client.post(f"/account/password?lang={lang}",
                       data={"current": current, "password": new, "confirm": new if confirm is None else confirm})


def is_logged_out(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


# -- one's own password ------------------------------------------------------------------


def test_a_user_changes_their_own_password(app, client, login):
    login("mr_viewer")
    other = app.test_client()  # another browser of the same user
    assert other.post("/login", data={"username": "mr_viewer", "password": PASSWORD}).status_code == 302
    assert client.get("/account/password").status_code == 200

    response = change(client, PASSWORD, NEW)
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard")
    assert client.get("/dashboard").status_code == 200  # this browser goes on, in a new session
    assert is_logged_out(other.get("/dashboard"))  # the other one is over
    user = get_user(app, "mr_viewer")
    assert user.check_password(NEW) and not user.check_password(PASSWORD)
    [entry] = entries(app, "user.password_change")
    assert (entry.actor, entry.target) == ("mr_viewer", "mr_viewer")
    assert NEW not in repr((entry.before, entry.after, entry.detail)) and user.password_hash not in repr(entry.after)
    fresh = app.test_client()
    assert fresh.post("/login", data={"username": "mr_viewer", "password": PASSWORD}).status_code == 401
    assert fresh.post("/login", data={"username": "mr_viewer", "password": NEW}).status_code == 302


@pytest.mark.parametrize("current, new, confirm, message", [
    ("not-my-password", NEW, NEW, "The current password is wrong."),
    (PASSWORD, NEW, NEW + "x", "The passwords differ."),
    (PASSWORD, "short1", "short1", "At least 10 characters."),
    (PASSWORD, "password123456", "password123456", "This password is too easy to guess"),
    (PASSWORD, "mr_viewer12345", "mr_viewer12345", "This password is too easy to guess"),  # the user's own name
    (PASSWORD, "qwertyuiop1234", "qwertyuiop1234", "This password is too easy to guess"),
    (PASSWORD, PASSWORD, PASSWORD, "Choose a password different from the current one."),
    (PASSWORD, "tab\there-is-long-enough", "tab\there-is-long-enough", "cannot be used"),
])
def test_a_refused_change_changes_nothing(app, client, login, current, new, confirm, message):
    login("mr_viewer")
    response = change(client, current, new, confirm)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert get_user(app, "mr_viewer").check_password(PASSWORD)
    assert entries(app, "user.password_change") == []
    assert client.get("/dashboard").status_code == 200


def test_the_change_form_is_in_chinese(client, login):
    login("mr_viewer")
    page = client.get("/account/password").get_data(as_text=True)
    assert "修改密码" in page and "当前密码" in page
    page = change(client, PASSWORD, "password123456", lang="zh_CN").get_data(as_text=True)
    assert "密码过于简单" in page


def test_guessing_the_current_password_is_throttled(app, client, login):
    login("mr_viewer")
    statuses = [change(client, f"guess-{n}", NEW).status_code for n in range(6)]
    assert statuses == [200] * 5 + [429]
    assert get_user(app, "mr_viewer").check_password(PASSWORD)


def test_changing_a_password_needs_a_login(client):
    assert is_logged_out(client.get("/account/password"))


# -- an administrator's reset: a one-time password ------------------------------------------


def reset(client, user_id: int) -> str:
    response = client.post(f"/users/{user_id}/password")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    return re.search(r'<pre class="token" id="one-time-password">([^<]+)</pre>', response.get_data(as_text=True)).group(1)


def test_a_reset_gives_a_one_time_password_that_must_be_changed_first(app, client, login, users):
    victim = app.test_client()
    assert victim.post("/login", data={"username": "mr_admin", "password": PASSWORD}).status_code == 302

    login("city")
    page = client.get(f"/users/{users['mr_admin']}/password?lang=en").get_data(as_text=True)
    assert "one-time password" in page  # a confirmation first: a GET changes nothing
    assert get_user(app, "mr_admin").check_password(PASSWORD)

    one_time = reset(client, users["mr_admin"])
    assert len(one_time) >= 16
    assert is_logged_out(victim.get("/dashboard"))  # the reset ended the user's sessions
    user = get_user(app, "mr_admin")
    assert user.must_change_password and user.check_password(one_time)
    [entry] = entries(app, "user.password")
    assert (entry.actor, entry.target, entry.after) == ("city", "mr_admin", {"password": "reset", "must_change_password": True})
    assert one_time not in repr((entry.before, entry.after, entry.detail))
    assert "must change password" in client.get("/users?lang=en").get_data(as_text=True)

    # the user logs in with it, and can reach nothing but the password form (and logout)
    user_client = app.test_client()
    assert user_client.post("/login", data={"username": "mr_admin", "password": PASSWORD}).status_code == 401
    response = user_client.post("/login", data={"username": "mr_admin", "password": one_time})
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/password")
    for path in ("/dashboard", "/activities", "/activities/export.csv", "/parameters/", "/plugins", "/audit", "/tokens", "/import"):
        response = user_client.get(path)
        assert response.status_code == 302 and response.headers["Location"].endswith("/account/password"), path
    assert user_client.post("/tokens", data={"name": "x", "department": "market_regulation"}).headers["Location"].endswith("/account/password")
    page = user_client.get("/account/password?lang=en").get_data(as_text=True)
    assert "Your password was reset by an administrator" in page
    assert user_client.get("/static/style.css").status_code == 200

    # the one-time password cannot be kept
    assert change(user_client, one_time, one_time).status_code == 200
    response = change(user_client, one_time, NEW)
    assert response.status_code == 302
    assert user_client.get("/dashboard").status_code == 200
    user = get_user(app, "mr_admin")
    assert not user.must_change_password and user.check_password(NEW) and not user.check_password(one_time)
    assert app.test_client().post("/login", data={"username": "mr_admin", "password": one_time}).status_code == 401


def test_logout_works_while_the_password_must_change(app, client, login, users):
    login("city")
    one_time = reset(client, users["mr_viewer"])
    user_client = app.test_client()
    user_client.post("/login", data={"username": "mr_viewer", "password": one_time})
    assert user_client.post("/logout").status_code == 302
    assert is_logged_out(user_client.get("/account/password"))


def test_a_city_admin_changes_their_own_password_on_their_own_page(app, client, login, users):
    login("city")
    response = client.post(f"/users/{users['city']}/password")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/password")
    assert not get_user(app, "city").must_change_password and entries(app, "user.password") == []


def test_only_city_admins_reset(app, client, login, users):
    login("mr_admin")
    assert client.post(f"/users/{users['mr_viewer']}/password").status_code == 403
    assert get_user(app, "mr_viewer").check_password(PASSWORD)


def test_cli_reset_password(app, runner, users):
    other = app.test_client()
    assert other.post("/login", data={"username": "ca_admin", "password": PASSWORD}).status_code == 302
    result = runner.invoke(args=["users", "reset-password", "ca_admin"])
    assert result.exit_code == 0, result.output
    one_time = re.search(r"must be changed at the next login\): (\S+)", result.output).group(1)
    assert "1 open session(s) ended" in result.output
    assert is_logged_out(other.get("/dashboard"))
    user = get_user(app, "ca_admin")
    assert user.must_change_password and user.check_password(one_time)
    [entry] = entries(app, "user.password")
    assert entry.target == "ca_admin" and one_time not in repr(entry.after)
    response = app.test_client().post("/login", data={"username": "ca_admin", "password": one_time})
    assert response.headers["Location"].endswith("/account/password")


def test_cli_reset_password_of_an_unknown_user(app, runner, users):
    result = runner.invoke(args=["users", "reset-password", "nobody"])
    assert result.exit_code == 2 and "no user 'nobody'" in result.output
    assert entries(app, "user.password") == []


# -- the same minimum wherever a password is chosen -------------------------------------------


def test_a_new_user_needs_a_strong_password(app, client, login):
    login("city")
    response = client.post("/users/new?lang=en", data={"username": "ca_clerk", "role": "dept_viewer",
                                                       "department": "civil_affairs",
                                                       "password": "password123456", "confirm": "password123456"})
    assert response.status_code == 200 and "This password is too easy to guess" in response.get_data(as_text=True)
    assert get_user(app, "ca_clerk") is None


@pytest.mark.parametrize("length", [73, 300, 5000])
def test_a_long_passphrase_is_accepted_wherever_a_password_is_chosen(app, client, login, runner, monkeypatch, length):
    # zxcvbn 4.5 raises on more than 72 characters: every long passphrase answered 500.
    phrase = ("violet kettle harbour 7 quietly juggles maps; " * 120)[:length]
    login("city")
    response = client.post("/users/new?lang=en", data={"username": "ca_clerk", "role": "dept_viewer",
                                                       "department": "civil_affairs", "password": phrase, "confirm": phrase})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert get_user(app, "ca_clerk").check_password(phrase)
    monkeypatch.setenv("LONG", phrase)
    made = runner.invoke(args=["users", "create", "ca_clerk2", "-d", "civil_affairs", "-r", "dept_viewer",
                               "--password-env", "LONG"])
    assert made.exit_code == 0, made.output
    own = app.test_client()
    assert own.post("/login", data={"username": "mr_viewer", "password": PASSWORD}).status_code == 302
    assert change(own, PASSWORD, phrase).status_code == 302
    assert get_user(app, "mr_viewer").check_password(phrase)


def test_the_cli_refuses_a_weak_password(app, runner, monkeypatch):
    monkeypatch.setenv("WEAK", "ca_clerk2024")
    result = runner.invoke(args=["users", "create", "ca_clerk", "-d", "civil_affairs", "-r", "dept_viewer",
                                 "--password-env", "WEAK"])
    assert result.exit_code == 2 and "too easy to guess" in result.output
    assert get_user(app, "ca_clerk") is None
