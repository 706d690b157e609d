"""Reference data versions in the database (core/store/refdata.py), on SQLite and PostgreSQL.

Recording (validated row by row, all or nothing, audited, serialised,
refused when based on an older version), the shipped and sample versions,
what import and evaluation read, outcomes recording the versions they
read, re-evaluation taking up a new version, and the history guards.
"""

from __future__ import annotations

import threading
from datetime import date

import pytest
from flask import Flask
from marshmallow import ValidationError
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from core.db import db
from core.models import AuditEntry, OutcomeRecord, ReferenceRowRecord, ReferenceVersionRecord
from core.refdata import RowsInvalid, UnknownReferenceTable
from core.services import import_activities, record_reference, reevaluate_outcomes
from core.store import ReferenceConflict, find_department, load_shipped_references, reference_resolver
from core.store.refdata import outcomes_reading

from conftest import IS_POSTGRES
from fault_support import everything, inject
from refdata_support import SINTER, quota_app, report  # noqa: F401  (fixtures)

TABLE = "quota.limits"
DETAILS = {"effective_from": "2024-01-01", "reason": "新版标准实施", "reference": "GB 21256-2024 4.1"}


def limit_row(product: str, *limits: str, grades: int = 3) -> dict:
    return {"standard": "GB 21256-2013", "product": product, "grades": grades,
            "indicators": [{"name": "工序能耗", "unit": "kgce/t", "direction": "lower", "limits": list(limits)}]}


NEW_ROWS = [limit_row("烧结", "40", "45", "50"), limit_row("焦化", "115", "125", "150"), limit_row("球团", "15", "24", grades=2)]


def _record(app: Flask, rows=NEW_ROWS, details=DETAILS, **kwargs):
    kwargs.setdefault("actor", "tests")
    kwargs.setdefault("source", "cli")
    with app.app_context():
        registry = app.extensions["stdpolicy"]
        return record_reference(registry, TABLE, rows, details, **kwargs)


def test_the_shipped_versions_are_stored_once(quota_app: Flask) -> None:
    with quota_app.app_context():
        registry = quota_app.extensions["stdpolicy"]
        versions = db.session.scalars(select(ReferenceVersionRecord).order_by(ReferenceVersionRecord.id)).all()
        assert [(v.table_key, v.sequence, v.source, v.row_count) for v in versions] == [
            ("quota.limits", 1, "shipped", 2), ("quota.sectors", 1, "shipped", 2)]
        assert versions[0].reference == "GB 21256-2013《粗钢生产主要工序单位产品能源消耗限额》 4.1 表1"
        assert load_shipped_references(registry) == []  # idempotent
        # --demo adds the samples, once, marked as such.
        [line] = load_shipped_references(registry, demo=True)
        assert line == "quota.limits version 2 from 2024-01-01 (3 rows, sample data)"
        assert load_shipped_references(registry, demo=True) == []
        db.session.commit()
        sample = reference_resolver(registry).current(TABLE, date(2024, 6, 1))
        assert sample.sequence == 2 and sample.sample and sample.source == "demo"
        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.startswith("refdata."))).all()
        assert sorted(actions) == ["refdata.demo", "refdata.shipped", "refdata.shipped"]


def test_recording_a_version(quota_app: Flask) -> None:
    done = _record(quota_app, based_on=1, department=None)
    assert (done.version.sequence, done.version.row_count, done.version.source) == (2, 3, "cli")
    assert done.previous.sequence == 1
    assert done.diff.summary() == {"added": 1, "removed": 0, "changed": 1, "unchanged": 1}
    with quota_app.app_context():
        registry = quota_app.extensions["stdpolicy"]
        resolver = reference_resolver(registry)
        assert resolver.current(TABLE, date(2023, 12, 31)).sequence == 1  # the old edition for earlier dates
        snapshot = resolver.snapshot(TABLE, date(2024, 1, 1))
        assert snapshot.version.sequence == 2 and snapshot.version.reason == "新版标准实施"
        assert str(snapshot.get(*SINTER)["indicators"][0]["limits"][0]) == "40"
        rows = db.session.scalars(select(ReferenceRowRecord).where(ReferenceRowRecord.version_id == done.version.id)
                                  .order_by(ReferenceRowRecord.position)).all()
        assert [r.row_key for r in rows] == ['["GB 21256-2013","烧结"]', '["GB 21256-2013","焦化"]',
                                             '["GB 21256-2013","球团"]']
        entry = db.session.scalars(select(AuditEntry).filter_by(action="refdata.version")).one()
        assert entry.target == TABLE and entry.before == {"sequence": 1, "effective_from": "2013-10-01", "rows": 2}
        assert entry.after["sequence"] == 2 and entry.after["rows_added"] == 1 and entry.after["rows_changed"] == 1


def test_invalid_rows_store_nothing(quota_app: Flask) -> None:
    before = everything(quota_app)
    bad = [*NEW_ROWS[:2], {**limit_row("球团", "x"), "grades": 0}]
    with pytest.raises(RowsInvalid) as caught:
        _record(quota_app, rows=bad)
    assert {(e.row, e.field) for e in caught.value.errors} == {(3, "grades"), (3, "indicators.0.limits.0")}
    with pytest.raises(ValidationError) as details:
        _record(quota_app, details={"effective_from": "2024-02-30", "reason": " ", "reference": "x"})
    assert set(details.value.messages) == {"effective_from", "reason"}
    with pytest.raises(UnknownReferenceTable):
        with quota_app.app_context():
            record_reference(quota_app.extensions["stdpolicy"], "quota.nothing", NEW_ROWS, DETAILS, actor="t",
                             source="cli")
    assert everything(quota_app) == before


def test_a_version_based_on_an_older_one_is_refused(quota_app: Flask) -> None:
    _record(quota_app, based_on=1)
    before = everything(quota_app)
    with pytest.raises(ReferenceConflict) as caught:
        _record(quota_app, rows=NEW_ROWS[:1], based_on=1)
    assert (caught.value.expected, caught.value.found) == (1, 2)
    assert everything(quota_app) == before


def test_a_failing_audit_write_stores_nothing(quota_app: Flask) -> None:
    before = everything(quota_app)
    with inject(quota_app, "INSERT INTO audit_log") as refused, pytest.raises(DBAPIError):
        _record(quota_app)
    assert refused
    assert everything(quota_app) == before


def test_two_administrators_recording_at_once_get_one_version_each_or_a_conflict(quota_app: Flask) -> None:
    """Serialised by the writer lock: both based on version 1, one wins, the other is refused."""
    results: list[object] = []
    barrier = threading.Barrier(2)

    def work(product: str) -> None:
        barrier.wait()
        try:
            results.append(_record(quota_app, rows=[limit_row(product, "1")], based_on=1).version.sequence)
        except ReferenceConflict as exc:
            results.append(exc)

    threads = [threading.Thread(target=work, args=(p,)) for p in ("甲", "乙")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r for r in results if isinstance(r, int)) == [2]
    assert sum(isinstance(r, ReferenceConflict) for r in results) == 1
    with quota_app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(ReferenceVersionRecord)
                                 .filter_by(table_key=TABLE)) == 2


def _enabled_import(app: Flask, records):
    with app.app_context():
        registry = app.extensions["stdpolicy"]
        return import_activities(registry, records, source="tests", actor="tests",
                                 department=find_department("market_regulation"))


def test_import_validates_and_evaluates_against_the_stored_versions(quota_app: Flask) -> None:
    # 球团 is not in the shipped version: refused, naming the field.
    refused = _enabled_import(quota_app, [report("20", product="球团", ref="P1")])
    assert not refused.ok and refused.report.invalid[0].errors[0].field == "standard"
    _record(quota_app)  # version 2 from 2024 has 球团
    done = _enabled_import(quota_app, [report("20", product="球团", ref="P1"),
                                       report("46", day="2023-06-01", ref="S1"), report("46", ref="S2")])
    assert done.ok, done.report.invalid
    with quota_app.app_context():
        stored = {o.activity.external_id: o for o in db.session.scalars(select(OutcomeRecord).filter_by(plugin="quota"))}
        assert stored["S1"].details == {"grade": 2}  # 2013 edition: 45 < 46 <= 50
        assert stored["S2"].details == {"grade": 3}  # 2024 version: 45 < 46 <= 50 → grade 3
        ids = {r.sequence: r.id for r in db.session.scalars(select(ReferenceVersionRecord).filter_by(table_key=TABLE))}
        assert stored["S1"].reference_data == [{"key": TABLE, "sequence": 1, "version_id": ids[1],
                                                "effective_from": "2013-10-01", "source": "shipped"}]
        assert stored["S2"].reference_data[0]["sequence"] == 2
        assert outcomes_reading(TABLE) == 3 and outcomes_reading("quota.sectors") == 0


def test_reevaluation_takes_up_a_new_version(quota_app: Flask) -> None:
    assert _enabled_import(quota_app, [report("46", ref="S2")]).ok
    _record(quota_app, details={**DETAILS, "effective_from": "2024-03-01"})
    with quota_app.app_context():
        done = reevaluate_outcomes(quota_app.extensions["stdpolicy"], actor="tests", since=date(2024, 1, 1))
        assert done.changed == 1
        outcomes = db.session.scalars(select(OutcomeRecord).filter_by(plugin="quota").order_by(OutcomeRecord.id)).all()
        assert [(o.reference_data[0]["sequence"], o.superseded_at is not None) for o in outcomes] == [(1, True), (2, False)]
        again = reevaluate_outcomes(quota_app.extensions["stdpolicy"], actor="tests")
        assert again.changed == 0  # nothing changed since: nothing superseded


def test_outcomes_without_reference_data_store_none(quota_app: Flask) -> None:
    record = {"kind": "standard_drafting", "date": "2024-05-01", "credit_code": "913304007429141869",
              "standard_code": "GB/T 43210-2023", "rank": 1}
    assert _enabled_import(quota_app, [record]).ok
    with quota_app.app_context():
        assert db.session.scalars(select(OutcomeRecord.reference_data).filter_by(plugin="reward_tiers")).all() == [None]


# -- history guards ----------------------------------------------------------------------------------


@pytest.mark.parametrize("statement", [
    "UPDATE reference_versions SET reason = 'rewritten'",
    "DELETE FROM reference_versions",
    "UPDATE reference_rows SET data = '{}'",
    "DELETE FROM reference_rows",
    "UPDATE outcomes SET reference_data = NULL",
])
def test_recorded_versions_cannot_be_changed(quota_app: Flask, statement: str) -> None:
    assert _enabled_import(quota_app, [report("46", ref="S2")]).ok
    before = everything(quota_app)
    with quota_app.app_context():
        with pytest.raises(DBAPIError) as caught:
            db.session.execute(text(statement))
        db.session.rollback()
    assert "append-only" in str(caught.value.orig) or "superseded" in str(caught.value.orig)
    assert everything(quota_app) == before


def test_recorded_versions_cannot_be_replaced_or_truncated(quota_app: Flask) -> None:
    before = everything(quota_app)
    with quota_app.app_context():
        if IS_POSTGRES:
            statements = ["TRUNCATE reference_rows", "TRUNCATE reference_versions CASCADE"]
        else:
            statements = [
                "INSERT OR REPLACE INTO reference_versions SELECT * FROM reference_versions WHERE id = 1",
                "REPLACE INTO reference_rows (version_id, position, row_key, data) VALUES (1, 1, '[]', '{}')",
            ]
        for statement in statements:
            with pytest.raises(DBAPIError):
                db.session.execute(text(statement))
            db.session.rollback()
    assert everything(quota_app) == before
