"""Validating in worker processes gives the report one process gives (core/parallel.py)."""

from __future__ import annotations

import os
import pickle
from datetime import date

import pytest

from core import Activity, InvalidRecord, load_registry
from core import parallel
from core.activities import ActivityValidator

from conftest import PROJECT_PLUGINS

pytestmark = pytest.mark.skipif(not parallel.can_fork(), reason="needs the fork start method")

GOOD = {"kind": "standard_drafting", "date": "2023-05-23", "credit_code": "91330402MA2BK7Q04U",
        "organisation": "嘉兴禾润新材料股份有限公司", "standard_code": "GB/T 42587—2023", "rank": 2}


def records(n: int = 60) -> list:
    """Valid records, invalid ones of every sort, and ids repeated across the shares."""
    out: list = []
    for i in range(n):
        record = dict(GOOD, id=f"P-{i:03d}", rank=1 + i % 6)
        if i % 7 == 3:
            record["rank"] = 0  # invalid field
        if i % 11 == 5:
            record["kind"] = "no_such_kind"
        if i % 13 == 6:
            record = ["not", "an", "object"]
        if i % 17 == 8:
            record.pop("id")  # ref #row
        out.append(record)
    out[-1] = dict(GOOD, id="P-001")  # the same id as row 2, in the last share
    out[n // 2] = dict(GOOD, id="P-000")  # and in a middle one
    return out


def summary(report) -> list:
    rows = []
    for item in report.items:
        if isinstance(item, Activity):
            rows.append(("ok", item.row, item.ref, item.kind, item.date, item.credit_code, item.organisation,
                         sorted(item.fields.items()), item.stored_id))
        else:
            rows.append(("invalid", item.row, item.ref, item.kind, [(e.field, e.message, e.message_zh) for e in item.errors]))
    return rows


@pytest.fixture(scope="module")
def registry():
    return load_registry(only=PROJECT_PLUGINS)


@pytest.fixture
def small_threshold(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_RECORDS", 10)


@pytest.mark.parametrize("workers", [2, 3, 4])
def test_workers_give_the_same_report(registry, small_threshold, workers) -> None:
    data = records()
    alone = registry.validate(data, workers=1)
    shared = registry.validate(data, workers=workers)
    assert summary(shared) == summary(alone)
    assert any(isinstance(i, InvalidRecord) for i in shared.items) and any(isinstance(i, Activity) for i in shared.items)
    duplicate = shared.items[-1]
    assert isinstance(duplicate, InvalidRecord) and "row 2" in duplicate.errors[0].message
    # Invalid records keep the caller's own record object, as without workers.
    for item, record in zip(shared.items, data):
        if isinstance(item, InvalidRecord):
            assert item.record is record


def test_small_inputs_and_iterators_stay_in_one_process(registry, monkeypatch) -> None:
    def no_workers(*args, **kwargs):
        raise AssertionError("no worker expected")

    monkeypatch.setattr(parallel, "validate_items", no_workers)
    assert len(registry.validate(records(), workers=4).items) == 60  # below MIN_RECORDS
    monkeypatch.setattr(parallel, "MIN_RECORDS", 10)
    assert len(registry.validate(iter(records()), workers=4).items) == 60  # not a sequence


def test_a_worker_that_dies_is_replaced_by_the_parent(registry, small_threshold, monkeypatch) -> None:
    def dies(*args, **kwargs):
        os._exit(3)

    monkeypatch.setattr(parallel, "_work", dies)
    data = records()
    assert summary(registry.validate(data, workers=3)) == summary(registry.validate(data, workers=1))


def test_an_error_in_a_schema_surfaces_as_without_workers(registry, small_threshold, monkeypatch) -> None:
    original = ActivityValidator.validate_one

    def broken(self, record, row):
        if row == 50:  # in the second share
            raise RuntimeError("plugin bug")
        return original(self, record, row)

    monkeypatch.setattr(ActivityValidator, "validate_one", broken)
    with pytest.raises(RuntimeError, match="plugin bug"):
        registry.validate(records(), workers=2)


def test_the_parameters_reach_the_workers(registry, small_threshold) -> None:
    # A pilot's granted amount is checked against the cap in force: the
    # workers must see the parameters the caller passed.
    pilot = {"kind": "pilot_project", "date": "2024-05-30", "credit_code": "91330424MA28CP909P",
             "pilot_level": "provincial", "accepted": True, "granted_amount": 250000}
    data = [dict(pilot, id=f"G-{i}") for i in range(40)]
    report = registry.validate(data, registry.default_parameters(), workers=2)
    assert [i.errors[0].field for i in report.items] == ["granted_amount"] * 40


def test_activities_pickle_to_equal_activities() -> None:
    for day in (date(2024, 2, 29), __import__("datetime").datetime(2024, 2, 29, 12, 30)):
        activity = Activity("standard_drafting", day, "91330402MA2BK7Q04U", {"rank": 1, "standard_code": "GB/T 1-2020"},
                            ref="R-1", organisation="某公司", row=7, stored_id=42)
        copy = pickle.loads(pickle.dumps(activity, protocol=pickle.HIGHEST_PROTOCOL))
        assert [getattr(copy, s) for s in Activity.__slots__] == [getattr(activity, s) for s in Activity.__slots__]
        assert type(copy.date) is type(day)


def test_cli_evaluate_with_workers_and_timings(runner, tmp_path, small_threshold) -> None:
    import json

    data = [dict(GOOD, id=f"C-{i}", rank=1 + i % 5) for i in range(30)]
    path = tmp_path / "activities.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    documents = []
    for workers in ("1", "2"):
        result = runner.invoke(args=["evaluate", "--workers", workers, "--timings", str(path)])
        assert result.exit_code == 0, result.output
        assert "timings: read=" in result.stderr and "validate=" in result.stderr and "total=" in result.stderr
        documents.append(json.loads(result.stdout))
    assert documents[0] == documents[1]
    assert documents[0]["total_amount"] > 0
    bad = runner.invoke(args=["evaluate", "--workers", "0", str(path)])
    assert bad.exit_code == 2
