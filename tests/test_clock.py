"""One time zone for "today", file names and displayed times (core.clock; STDPOLICY_TIMEZONE).

The machine's clock is moved to 20:30 UTC on 1 March 2024: 04:30 on 2 March
in Jiaxing. A server in UTC would still say 1 March.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core import clock, load_registry
from core.evaluation import EvaluationContext

from conftest import PROJECT_PLUGINS

#: 2024-03-01 20:30 UTC = 2024-03-02 04:30 in Beijing time.
LATE_EVENING_UTC = datetime(2024, 3, 1, 20, 30, tzinfo=UTC).timestamp()


@pytest.fixture
def evening(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "_timestamp", lambda: LATE_EVENING_UTC)
    monkeypatch.delenv("STDPOLICY_TIMEZONE", raising=False)


def record(day: str) -> dict:
    return {"id": "T-1", "kind": "standard_drafting", "date": day, "credit_code": "913304007429141869",
            "standard_code": "GB/T 45123-2024", "rank": 1}


def test_today_is_the_citys_day(evening, monkeypatch):
    assert clock.zone_name() == "Asia/Shanghai"
    assert clock.today() == date(2024, 3, 2)
    assert clock.now().hour == 4
    monkeypatch.setenv("STDPOLICY_TIMEZONE", "UTC")
    assert clock.today() == date(2024, 3, 1)  # the cache follows the configured zone
    monkeypatch.setenv("STDPOLICY_TIMEZONE", "Asia/Urumqi")
    assert clock.today() == date(2024, 3, 2) and clock.now().hour == 2


def test_today_moves_at_local_midnight(monkeypatch):
    monkeypatch.delenv("STDPOLICY_TIMEZONE", raising=False)
    midnight = datetime(2024, 3, 2, 16, 0, tzinfo=UTC).timestamp()  # 00:00 on 3 March in Beijing
    monkeypatch.setattr(clock, "_timestamp", lambda: midnight - 1)
    assert clock.today() == date(2024, 3, 2)
    monkeypatch.setattr(clock, "_timestamp", lambda: midnight)
    assert clock.today() == date(2024, 3, 3)


def test_a_bad_zone_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("STDPOLICY_TIMEZONE", "Mars/Olympus")
    with pytest.raises(clock.InvalidTimezone, match="STDPOLICY_TIMEZONE='Mars/Olympus' is not a time zone"):
        clock.today()


def test_local_converts_stored_utc():
    assert clock.local(datetime(2024, 3, 1, 20, 30)).strftime("%Y-%m-%d %H:%M") == "2024-03-02 04:30"


def test_future_dates_are_refused_by_the_citys_today(evening):
    registry = load_registry(only=PROJECT_PLUGINS)
    report = registry.validate([record("2024-03-02"), {**record("2024-03-03"), "id": "T-2"}])
    assert [a.ref for a in report.valid] == ["T-1"]  # "today" in Jiaxing, though still 1 March in UTC
    [invalid] = report.invalid
    assert invalid.errors[0].field == "date" and "future" in invalid.errors[0].message


def test_evaluations_are_dated_by_the_citys_today(evening):
    registry = load_registry(only=PROJECT_PLUGINS)
    assert EvaluationContext(parameters=registry.default_parameters()).evaluated_on == date(2024, 3, 2)


def test_export_file_names_and_displayed_times(app, client, login, evening):
    login("mr_viewer")
    response = client.get("/activities/export.csv")
    response.get_data()  # a streamed response: read it to the end
    assert 'filename="activities-2024-03-02.csv"' in response.headers["Content-Disposition"]
    page = client.get("/audit").get_data(as_text=True)
    assert "北京时间" in page


def test_displayed_times_follow_the_configured_zone(app, client, login, monkeypatch):
    from core.db import db
    from core.models import AuditEntry

    with app.app_context():
        db.session.add(AuditEntry(action="user.create", actor="x", target="clocked", at=datetime(2024, 3, 1, 20, 30)))
        db.session.commit()
    login("city")
    assert "2024-03-02 04:30" in client.get("/audit?actor=x").get_data(as_text=True)
    monkeypatch.setenv("STDPOLICY_TIMEZONE", "UTC")
    page = client.get("/audit?actor=x&lang=en").get_data(as_text=True)
    assert "2024-03-01 20:30" in page and "time zone UTC" in page


def test_the_zone_follows_every_change_of_the_environment(monkeypatch):
    """zone_name() reads os.environ's raw values without os.environ.get (once per validated record),
    and still sees each change however it is made."""
    import os
    from unittest import mock

    monkeypatch.delenv("STDPOLICY_TIMEZONE", raising=False)
    assert clock.zone_name() == "Asia/Shanghai"
    monkeypatch.setenv("STDPOLICY_TIMEZONE", " UTC ")
    assert clock.zone_name() == "UTC"
    os.environ["STDPOLICY_TIMEZONE"] = "Asia/Urumqi"
    assert clock.zone_name() == "Asia/Urumqi"
    with mock.patch.dict(os.environ, {"STDPOLICY_TIMEZONE": "Europe/Paris"}):
        assert clock.zone_name() == "Europe/Paris"
    assert clock.zone_name() == "Asia/Urumqi"
    with mock.patch.dict(os.environ, clear=True):
        assert clock.zone_name() == "Asia/Shanghai"
    monkeypatch.setenv("STDPOLICY_TIMEZONE", "")
    assert clock.zone_name() == "Asia/Shanghai"
    monkeypatch.setattr(os, "environ", {"STDPOLICY_TIMEZONE": "UTC"})  # os.environ replaced by a plain dict
    assert clock.zone_name() == "UTC"


def test_today_does_not_go_through_os_environ_get(monkeypatch):
    import os

    monkeypatch.setenv("STDPOLICY_TIMEZONE", "UTC")
    clock.today()

    def refuse(*args, **kwargs):
        raise AssertionError("os.environ.get on every call")

    monkeypatch.setattr(type(os.environ), "get", refuse)
    for _ in range(3):
        assert clock.zone_name() == "UTC"
        clock.today()
