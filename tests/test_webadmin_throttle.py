"""Login throttling: by account and address, and by address; growing delays; trusted proxies; equal work for unknown names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask import Flask
from sqlalchemy import func, select

from core.db import db
from core.models import AuditEntry
from core.store import find_department

from conftest import PASSWORD, _make_app

ATTACKER = "198.51.100.7"
ADMIN = "203.0.113.9"
PROXY = "10.0.0.1"


def attempt(client, username: str, password: str, address: str = ATTACKER, **headers: str):
    return client.post("/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address}, headers=headers)


def count(app: Flask, action: str, **where: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(AuditEntry.id)).filter_by(action=action, **where))


def audited_addresses(app: Flask, action: str) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.detail).filter_by(action=action).order_by(AuditEntry.id)))


def test_an_attacker_elsewhere_cannot_lock_out_the_city_administrator(app, users):
    attacker = app.test_client()
    statuses = [attempt(attacker, "city", f"guess-{n}").status_code for n in range(50)]
    assert statuses == [401] * 5 + [429] * 45
    # the real administrator, at another address, logs in at once
    admin = app.test_client()
    response = attempt(admin, "city", PASSWORD, address=ADMIN)
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard")
    assert admin.get("/dashboard").status_code == 200
    # every attempt is in the audit log: the failures, the throttled ones, the success
    assert count(app, "login.failure", target="city") == 5
    assert count(app, "login.throttled", target="city") == 45
    assert count(app, "login.success", target="city") == 1
    assert set(audited_addresses(app, "login.throttled")) == {ATTACKER}


def test_a_throttled_attempt_checks_no_password(app, users, monkeypatch):
    attacker = app.test_client()
    for n in range(5):
        attempt(attacker, "city", f"guess-{n}")
    checked = []
    monkeypatch.setattr("webadmin.models.check_password_hash", lambda *args: checked.append(args) or True)
    assert attempt(attacker, "city", PASSWORD).status_code == 429
    assert checked == []


def test_delays_grow_with_the_failures(app, users):
    """Failing on and on, waiting each time as told: the waits grow to the minute, the quarter, the hour, the day."""
    client = app.test_client()
    failures, waits = 0, {}
    with time_machine.travel(datetime.now(UTC), tick=False) as clock:
        while True:
            response = attempt(client, "mr_admin", "wrong-password")
            if response.status_code == 401:
                failures += 1
                continue
            assert response.status_code == 429
            waits[failures] = int(response.headers["Retry-After"])
            if waits[failures] > 3600:
                break
            clock.shift(timedelta(seconds=waits[failures] + 1))
        assert failures == 50  # the day's allowance for one name from one address
        assert 1 <= waits[5] <= 60
        assert 60 < waits[10] <= 15 * 60
        assert 15 * 60 < waits[20] <= 3600
        assert 3600 < waits[50] <= 86400
        # the right password from this address waits too, and goes through once the wait is over
        assert attempt(client, "mr_admin", PASSWORD).status_code == 429
        clock.shift(timedelta(seconds=waits[50] + 1))
        assert attempt(client, "mr_admin", PASSWORD).status_code == 302


def test_one_address_trying_many_names_is_throttled(app, users):
    client = app.test_client()
    statuses = [attempt(client, f"name-{n}", "wrong-password").status_code for n in range(21)]
    assert statuses == [401] * 20 + [429]
    # another address is not
    assert attempt(app.test_client(), "mr_admin", PASSWORD, address=ADMIN).status_code == 302


def test_successful_logins_cost_nothing(app, users):
    client = app.test_client()
    for _ in range(12):
        assert attempt(client, "mr_viewer", PASSWORD).status_code == 302
        client.post("/logout")
    assert count(app, "login.throttled") == 0


def test_the_counters_are_shared_between_workers(app, users, tmp_path):
    """Two application objects on one database, as two gunicorn workers, count together."""
    worker = _make_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "worker-2")
    try:
        for n in range(5):
            target = app if n % 2 else worker
            assert attempt(target.test_client(), "ca_admin", "wrong-password").status_code == 401
        assert attempt(worker.test_client(), "ca_admin", "wrong-password").status_code == 429
        assert attempt(app.test_client(), "ca_admin", "wrong-password").status_code == 429
    finally:
        with worker.app_context():
            db.engine.dispose()


def test_the_limits_are_configurable(app, users):
    app.config["LOGIN_LIMITS_PER_ACCOUNT"] = "2 per minute"
    client = app.test_client()
    assert [attempt(client, "mr_admin", "wrong").status_code for _ in range(3)] == [401, 401, 429]


def test_a_bad_limit_setting_is_named(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("STDPOLICY_LOGIN_LIMITS_PER_ACCOUNT", "five a minute")
    with pytest.raises(RuntimeError, match="LOGIN_LIMITS_PER_ACCOUNT"):
        _make_app(database_url, tmp_path / "instance")


# -- the client address ---------------------------------------------------------------------


def test_without_trusted_proxies_a_forwarded_for_header_is_ignored(app, users):
    """Proxies 0 (the default): a forged X-Forwarded-For changes nothing — not the address, not the throttle."""
    client = app.test_client()
    statuses = [attempt(client, "mr_admin", "wrong", **{"X-Forwarded-For": f"192.0.2.{n}"}).status_code
                for n in range(7)]
    assert statuses == [401] * 5 + [429] * 2
    assert set(audited_addresses(app, "login.failure")) == {ATTACKER}


@pytest.fixture
def proxied_app(database_url: str, tmp_path, monkeypatch) -> Flask:
    """The admin behind one trusted reverse proxy (``STDPOLICY_TRUSTED_PROXIES=1``), with two users."""
    from core.app import get_registry
    from core.store import ensure_departments, load_defaults
    from webadmin.models import User

    monkeypatch.setenv("STDPOLICY_TRUSTED_PROXIES", "1")
    app = _make_app(database_url, tmp_path / "instance")
    with app.app_context():
        load_defaults(get_registry())
        ensure_departments(get_registry())
        for name, role in (("city", "city_admin"), ("mr_admin", "dept_admin")):
            user = User(username=name, role=role, department_id=find_department("market_regulation").id, created_by="tests")
            user.set_password(PASSWORD)
            db.session.add(user)
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def test_behind_a_trusted_proxy_the_forwarded_address_counts(proxied_app):
    app = proxied_app
    attacker, admin = app.test_client(), app.test_client()
    # both arrive from the proxy's address; the proxy says who they are
    statuses = [attempt(attacker, "city", "wrong", address=PROXY, **{"X-Forwarded-For": ATTACKER}).status_code
                for _ in range(8)]
    assert statuses == [401] * 5 + [429] * 3
    response = attempt(admin, "city", PASSWORD, address=PROXY, **{"X-Forwarded-For": ADMIN})
    assert response.status_code == 302
    assert set(audited_addresses(app, "login.failure")) == {ATTACKER}
    assert audited_addresses(app, "login.success") == [ADMIN]


def test_behind_a_trusted_proxy_only_the_address_it_added_is_believed(proxied_app):
    """The client may send its own X-Forwarded-For; the proxy appends the real address, the last one counts."""
    app = proxied_app
    client = app.test_client()
    for n in range(6):
        attempt(client, "mr_admin", "wrong", address=PROXY, **{"X-Forwarded-For": f"192.0.2.{n}, {ATTACKER}"})
    assert set(audited_addresses(app, "login.failure")) == {ATTACKER}
    assert audited_addresses(app, "login.throttled") == [ATTACKER]


def test_behind_a_trusted_proxy_without_the_header_the_connection_counts(proxied_app):
    app = proxied_app
    assert attempt(app.test_client(), "mr_admin", "wrong", address=PROXY).status_code == 401
    assert audited_addresses(app, "login.failure") == [PROXY]


def test_a_trusted_proxy_says_https(proxied_app):
    client = proxied_app.test_client()
    response = client.get("/login", environ_base={"REMOTE_ADDR": PROXY},
                          headers={"X-Forwarded-For": ADMIN, "X-Forwarded-Proto": "https"})
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Strict-Transport-Security" not in client.get("/login").headers


# -- unknown names take the same work as wrong passwords -----------------------------------


def _record_checks(monkeypatch) -> list[str]:
    """Every password-hash check, by the hash's method and parameters (the part before the salt)."""
    from werkzeug.security import check_password_hash

    methods: list[str] = []

    def recording(pwhash: str, password: str) -> bool:
        methods.append(pwhash.split("$", 1)[0])
        return check_password_hash(pwhash, password)

    monkeypatch.setattr("webadmin.models.check_password_hash", recording)
    return methods


@pytest.mark.real_password_hashing
def test_an_unknown_name_costs_the_same_hash_check_as_a_wrong_password(app, monkeypatch):
    from webadmin.models import User

    with app.app_context():
        user = User(username="city", role="city_admin", created_by="tests")
        user.set_password(PASSWORD)
        inactive = User(username="gone", role="city_admin", created_by="tests", active=False)
        inactive.set_password(PASSWORD)
        db.session.add_all([user, inactive])
        db.session.commit()
    methods = _record_checks(monkeypatch)
    client = app.test_client()
    answers = [attempt(client, name, "wrong-password", address=f"192.0.2.{n}")
               for n, name in enumerate(("city", "nobody-by-this-name", "gone"))]
    assert [a.status_code for a in answers] == [401, 401, 401]
    assert len({a.get_data() for a in answers}) <= 3 and all(b"Wrong user name or password." in a.get_data()
                                                           or "用户名或密码错误".encode() in a.get_data() for a in answers)
    # one check each, with the production hash and its parameters: the same work
    assert len(methods) == 3 and len(set(methods)) == 1 and methods[0].startswith("scrypt:")


@pytest.mark.parametrize("body", [
    b"username=%ED%A0%80&password=wrong-password",  # a lone surrogate, as UTF-8 bytes
    b"username=ad%00min&password=wrong-password",  # NUL (PostgreSQL refuses it in text)
    b"username=%FF%FE&password=wrong-password",  # not UTF-8
    b"username=mr_admin&password=%ED%A0%80%00%FF",
])
def test_hostile_names_and_passwords_are_wrong_ones(app, users, body):
    response = app.test_client().post("/login", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 401
    assert count(app, "login.failure") == 1


def test_concurrent_increments_lose_no_count(app):
    """The storage's increment is one atomic statement: 8 threads × 10 increments count 80."""
    from concurrent.futures import ThreadPoolExecutor

    from webadmin.ratelimit_storage import DatabaseStorage

    storage = DatabaseStorage()

    def work(_: int) -> list[int]:
        with app.app_context():
            return [storage.incr("concurrency-test", 60) for _ in range(10)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        seen = [count for counts in pool.map(work, range(8)) for count in counts]
    assert sorted(seen) == list(range(1, 81))  # every increment saw its own count
    with app.app_context():
        assert storage.get("concurrency-test") == 80
        assert 0 < storage.get_expiry("concurrency-test") - __import__("time").time() <= 60
        storage.clear("concurrency-test")
        assert storage.get("concurrency-test") == 0
