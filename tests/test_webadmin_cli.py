"""The admin's commands: ``stdpolicy users``, ``stdpolicy tokens``, and what ``stdpolicy init`` does for the admin."""

from __future__ import annotations

import os
import re
import stat

import pytest
from sqlalchemy import func, select

from core.db import db
from core.models import AuditEntry
from webadmin.models import ApiToken, User
from webadmin.security import hash_token

from webadmin_support import bearer, fast_password_hashing  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

GOOD_PASSWORD = "a-long-enough-password-4"


def log_in(app, username: str, password: str) -> int:
    return app.test_client().post("/login", data={"username": username, "password": password}).status_code


def users_named(app, name: str) -> list[User]:
    with app.app_context():
        return db.session.scalars(select(User).filter_by(username=name)).all()


def audit_actions(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return db.session.scalars(select(AuditEntry).filter_by(action=action)).all()


# -- stdpolicy users ------------------------------------------------------------------------------


def test_users_create_with_password_from_environment(app, runner, monkeypatch):
    monkeypatch.setenv("NEW_USER_PASSWORD", GOOD_PASSWORD)
    monkeypatch.setenv("STDPOLICY_ACTOR", "ops")
    result = runner.invoke(args=["users", "create", "mr_clerk", "--department", "market_regulation",
                                 "--role", "dept_viewer", "--password-env", "NEW_USER_PASSWORD"])
    assert result.exit_code == 0, result.output
    assert "created dept_viewer 'mr_clerk' in market_regulation" in result.output
    assert GOOD_PASSWORD not in result.output
    [user] = users_named(app, "mr_clerk")
    assert user.role == "dept_viewer" and user.created_by == "ops"
    assert log_in(app, "mr_clerk", GOOD_PASSWORD) == 302
    [entry] = audit_actions(app, "user.create")
    assert (entry.actor, entry.target, entry.after) == ("ops", "mr_clerk", {"role": "dept_viewer", "department": "market_regulation", "active": True})


def test_users_create_generates_a_password_without_a_terminal(app, runner):
    result = runner.invoke(args=["users", "create", "ca_boss", "-d", "民政局", "-r", "dept_admin"])
    assert result.exit_code == 0, result.output
    password = re.search(r"with password: (\S+)", result.output).group(1)
    assert log_in(app, "ca_boss", password) == 302
    with app.app_context():
        assert db.session.scalar(select(User).filter_by(username="ca_boss")).department.code == "civil_affairs"


@pytest.mark.parametrize("args, env, message", [
    (["users", "create", "x1", "-d", "market_regulation", "-r", "dept_admin", "--password-env", "EMPTY_VAR"],
     {"EMPTY_VAR": ""}, "is empty"),
    (["users", "create", "x1", "-d", "market_regulation", "-r", "dept_admin", "--password-env", "SHORT"],
     {"SHORT": "short"}, "at least 10 characters"),
    (["users", "create", "x1", "-d", "no_such_department", "-r", "dept_admin"], {}, "no department"),
    (["users", "create", "x1", "-d", "market_regulation", "-r", "emperor"], {}, "Invalid value"),
])
def test_users_create_refuses(app, runner, monkeypatch, args, env, message):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = runner.invoke(args=args)
    assert result.exit_code == 2
    assert message in result.output
    assert users_named(app, "x1") == []


def test_users_create_refuses_an_existing_name(app, runner, users):
    result = runner.invoke(args=["users", "create", "mr_admin", "-d", "market_regulation", "-r", "city_admin"])
    assert result.exit_code == 2 and "exists" in result.output
    assert users_named(app, "mr_admin")[0].role == "dept_admin"


def test_users_list(runner, users):
    result = runner.invoke(args=["users", "list"])
    assert result.exit_code == 0
    assert re.search(r"ca_viewer\s+dept_viewer\s+civil_affairs\s+yes", result.output)


# -- stdpolicy tokens -----------------------------------------------------------------------------


def test_tokens_create_list_revoke(app, runner):
    result = runner.invoke(args=["tokens", "create", "--department", "market_regulation", "--name", "erp"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("stp_")
    with app.app_context():
        row = db.session.scalars(select(ApiToken)).one()
        assert row.token_hash == hash_token(token) and row.prefix == token[:10] and row.name == "erp"
        token_id = row.id
    assert len(audit_actions(app, "token.create")) == 1
    client = app.test_client()
    assert client.get("/api/plugins", headers=bearer(token)).status_code == 200

    listing = runner.invoke(args=["tokens", "list"])
    assert listing.exit_code == 0
    assert f"#{token_id}" in listing.output and f"{token[:10]}…" in listing.output and token not in listing.output

    result = runner.invoke(args=["tokens", "revoke", str(token_id)])
    assert result.exit_code == 0 and f"token #{token_id} revoked" in result.output
    assert client.get("/api/plugins", headers=bearer(token)).status_code == 401
    [entry] = audit_actions(app, "token.revoke")
    assert entry.after == {"revoked": True, "id": token_id}
    listing = runner.invoke(args=["tokens", "list"])
    assert re.search(rf"#{token_id}\s.*\d{{4}}-\d\d-\d\d\s+\d{{4}}-\d\d-\d\d", listing.output)  # created and revoked dates
    # revoking again changes nothing more
    assert runner.invoke(args=["tokens", "revoke", str(token_id)]).exit_code == 0
    assert len(audit_actions(app, "token.revoke")) == 1


def test_tokens_revoke_unknown(runner):
    result = runner.invoke(args=["tokens", "revoke", "999"])
    assert result.exit_code == 2 and "no token #999" in result.output


# -- stdpolicy init: the first administrator and the secret key ------------------------------------


def _city_admins(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(User.id)).filter_by(role="city_admin"))


def test_init_creates_the_first_admin_with_the_given_password(app, runner, monkeypatch):
    monkeypatch.setenv("STDPOLICY_ADMIN_PASSWORD", GOOD_PASSWORD)
    monkeypatch.delenv("STDPOLICY_ADMIN_USER", raising=False)
    result = runner.invoke(args=["init"])
    assert result.exit_code == 0, result.output
    assert "created city administrator 'admin' with the password from STDPOLICY_ADMIN_PASSWORD" in result.output
    assert GOOD_PASSWORD not in result.output
    assert log_in(app, "admin", GOOD_PASSWORD) == 302
    assert [u.must_change_password for u in users_named(app, "admin")] == [False]  # chosen, not shown anywhere
    assert _city_admins(app) == 1


def test_init_generates_a_password_once(app, runner, monkeypatch):
    monkeypatch.delenv("STDPOLICY_ADMIN_PASSWORD", raising=False)
    monkeypatch.delenv("STDPOLICY_ADMIN_USER", raising=False)
    result = runner.invoke(args=["init"])
    assert result.exit_code == 0, result.output
    [password] = re.findall(r"created city administrator 'admin' with password: (\S+)", result.output)
    assert len(password) >= 10
    assert "to be changed at the first login" in result.output
    # The printed password is a one-time password: the first login leads to choosing one's own, nothing else.
    client = app.test_client()
    first = client.post("/login", data={"username": "admin", "password": password})
    assert first.status_code == 302 and first.location.endswith("/password")
    assert client.get("/").status_code == 302 and client.get("/").location.endswith("/password")
    assert [u.must_change_password for u in users_named(app, "admin")] == [True]
    [entry] = [e for e in audit_actions(app, "user.create") if e.target == "admin"]
    assert entry.actor == "stdpolicy init" and password not in repr(entry.after)

    again = runner.invoke(args=["init"])
    assert again.exit_code == 0, again.output
    assert "with password" not in again.output and "created city administrator" not in again.output
    assert password not in again.output
    assert _city_admins(app) == 1
    assert log_in(app, "admin", password) == 302  # unchanged


def test_init_with_a_city_admin_already_there_creates_none(app, runner, users, monkeypatch):
    monkeypatch.delenv("STDPOLICY_ADMIN_PASSWORD", raising=False)
    result = runner.invoke(args=["init"])
    assert result.exit_code == 0 and "created city administrator" not in result.output
    assert "with password" not in result.output
    assert users_named(app, "admin") == [] and _city_admins(app) == 1


def test_init_keeps_the_secret_key_in_the_instance_folder(database_url, tmp_path, monkeypatch):
    from webadmin import create_app

    monkeypatch.delenv("STDPOLICY_SECRET_KEY", raising=False)
    monkeypatch.setenv("STDPOLICY_ADMIN_PASSWORD", GOOD_PASSWORD)
    instance = tmp_path / "instance"
    monkeypatch.setenv("STDPOLICY_INSTANCE_PATH", str(instance))
    config = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SESSION_COOKIE_SECURE": False}
    app = create_app(config)
    key_file = instance / "secret_key"
    try:
        # the first start writes it …
        assert key_file.exists()
        key = key_file.read_text(encoding="ascii").strip()
        assert len(key) == 64 and app.config["SECRET_KEY"] == key
        assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
        result = app.test_cli_runner().invoke(args=["init"])
        assert result.exit_code == 0, result.output
        assert f"secret key kept in {key_file} (mode 0600)" in result.output
        # … and `init` writes it when it is missing
        key_file.unlink()
        result = app.test_cli_runner().invoke(args=["init"])
        assert result.exit_code == 0, result.output
        assert f"secret key written to {key_file} (mode 0600)" in result.output
        assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
        new_key = key_file.read_text(encoding="ascii").strip()
        assert len(new_key) == 64 and new_key != key
        # a restart (another worker) reads the same key
        assert create_app(config).config["SECRET_KEY"] == new_key
    finally:
        with app.app_context():
            db.engine.dispose()


def test_no_secret_key_file_when_the_environment_sets_one(database_url, tmp_path, monkeypatch):
    from webadmin import create_app

    monkeypatch.setenv("STDPOLICY_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("STDPOLICY_ADMIN_PASSWORD", GOOD_PASSWORD)
    monkeypatch.setenv("STDPOLICY_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})
    try:
        assert app.config["SECRET_KEY"] == "from-the-environment"
        result = app.test_cli_runner().invoke(args=["init"])
        assert result.exit_code == 0, result.output
        assert "secret key" not in result.output
        assert not (tmp_path / "instance" / "secret_key").exists()
    finally:
        with app.app_context():
            db.engine.dispose()


# -- arguments that are not UTF-8 -----------------------------------------------------------------

#: "张三" typed in a GBK terminal: Python's argv holds the bytes it cannot decode as lone surrogates.
GBK_NAME = "张三".encode("gbk").decode("utf-8", "surrogateescape")


@pytest.mark.parametrize("args", [
    ["users", "activate", GBK_NAME],
    ["users", "reset-password", GBK_NAME],
    ["enable", "--department", GBK_NAME, "reward_tiers"],
    ["tokens", "create", "--department", GBK_NAME, "--name", "x"],
    ["reviews", "list", "--department", GBK_NAME],
    ["whatif", "show", GBK_NAME],
])
def test_an_argument_that_is_not_utf8_is_named_not_a_traceback(app, runner, args):
    # Each answered a UnicodeEncodeError traceback from the database driver.
    from webadmin.commands import main

    def stored() -> dict[str, int]:
        with app.app_context():
            return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
                    for model in (ApiToken, User, AuditEntry)}

    before = stored()
    result = runner.invoke(main, args=args)
    assert result.exit_code == 2, result.output
    assert not isinstance(result.exception, UnicodeError)
    assert r"the argument \xd5\xc5\xc8\xfd is not UTF-8 text (as GBK it reads 张三)" in result.stderr
    assert "nothing was stored" in result.stderr and "Traceback" not in result.output
    assert stored() == before
