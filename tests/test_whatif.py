"""core.services.preview_parameter: what a proposed parameter version would change, with nothing stored."""

from __future__ import annotations

from datetime import date

import pytest
from marshmallow import ValidationError
from sqlalchemy import func, select

from core.app import get_registry
from core.db import db
from core.models import AuditEntry, OutcomeRecord, ParameterVersionRecord
from core.store import UnknownParameter, import_records, record_version
from core.services import Preview, preview_parameter

X = "913304007429141869"
Y = "91330482MA2AH5T006"
Z = "91330421MA2D0L608J"

LEAD = "reward_tiers.lead.national"


def _drafting(ref: str, day: str, code: str, org: str = X, rank: int = 1, **extra) -> dict:
    return {"id": ref, "kind": "standard_drafting", "date": day, "credit_code": org,
            "standard_code": code, "rank": rank, **extra}


RECORDS = [
    _drafting("A1", "2024-03-01", "GB/T 40001-2024"),                   # before the date: not counted
    _drafting("A2", "2025-02-01", "GB/T 45001-2025", org=Y),            # R2 300,000
    _drafting("A3", "2025-06-01", "GB/T 45002-2025"),                   # R2 300,000
    _drafting("A4", "2025-07-01", "GB/T 45003-2025", revision=True),    # revision: 0
    _drafting("A5", "2025-03-01", "GB/T 45004-2025", org=Z, rank=2),    # R6 150,000
    {"id": "A6", "kind": "tc_secretariat", "date": "2025-04-01", "credit_code": Y,
     "committee_code": "SAC/TC 20", "committee_level": "national"},     # R8 500,000
    _drafting("A7", "2026-03-01", "GB/T 46001-2026", org=Z),            # R2 300,000
]


def _import(records: list[dict]) -> None:
    result = import_records(get_registry(), records, source="tests", actor="tests")
    assert result.ok, [(r.ref, r.errors) for r in result.report.invalid]
    db.session.commit()


def _counts() -> tuple[int, int, int]:
    return (
        db.session.scalar(select(func.count(ParameterVersionRecord.id))),
        db.session.scalar(select(func.count(AuditEntry.id))),
        db.session.scalar(select(func.count(OutcomeRecord.id))),
    )


def test_preview_counts_and_totals(app):
    with app.app_context():
        _import(RECORDS)
        before = _counts()
        preview = preview_parameter(get_registry(), LEAD, 400000, date(2025, 1, 1))
        assert isinstance(preview, Preview)
        assert preview.plugin == "reward_tiers" and preview.value == 400000
        assert preview.activities == 6          # A2–A7
        assert preview.changed == 3             # A2, A3, A7
        assert preview.current_total == 300000 * 3 + 150000 + 500000
        assert preview.new_total == 400000 * 3 + 150000 + 500000
        assert preview.difference == 300000
        assert preview.failures == {}
        assert _counts() == before              # nothing stored
        assert not db.session.new and not db.session.dirty


def test_preview_accepts_the_value_as_submitted(app):
    with app.app_context():
        _import(RECORDS)
        preview = preview_parameter(get_registry(), LEAD, "250000", date(2025, 6, 1))
        assert preview.value == 250000
        assert (preview.activities, preview.changed, preview.difference) == (3, 2, -100000)


def test_a_later_version_still_wins_from_its_own_date(app):
    with app.app_context():
        registry = get_registry()
        _import(RECORDS)
        record_version(registry, LEAD, {"value": 500000, "effective_from": "2026-01-01", "reason": "r", "reference": "x"},
                       actor="tests", source="cli")
        db.session.commit()
        preview = preview_parameter(registry, LEAD, 400000, date(2025, 1, 1))
        assert preview.activities == 6
        assert preview.changed == 2             # A2 and A3; A7 (2026) keeps the 2026 version
        assert preview.current_total == 300000 * 2 + 150000 + 500000 + 500000
        assert preview.difference == 200000


def test_same_value_changes_nothing_and_a_late_date_covers_nothing(app):
    with app.app_context():
        registry = get_registry()
        _import(RECORDS)
        same = preview_parameter(registry, LEAD, 300000, date(2022, 8, 1))
        assert same.activities == 7 and same.changed == 0 and same.difference == 0
        late = preview_parameter(registry, LEAD, 1, date(2030, 1, 1))
        assert (late.activities, late.changed, late.current_total, late.new_total) == (0, 0, 0, 0)


def test_empty_database(app):
    with app.app_context():
        preview = preview_parameter(get_registry(), LEAD, 400000, date(2025, 1, 1))
        assert (preview.activities, preview.changed, preview.difference) == (0, 0, 0)


def test_one_time_rewards_paid_before_the_date_stay_paid(app):
    """A secretariat paid in 2024 and reported again in 2025: the 2025 report stays a repeat."""
    with app.app_context():
        registry = get_registry()
        _import([
            {"id": "S1", "kind": "tc_secretariat", "date": "2024-05-01", "credit_code": X,
             "committee_code": "SAC/TC 20", "committee_level": "national"},
            {"id": "S2", "kind": "tc_secretariat", "date": "2025-05-01", "credit_code": X,
             "committee_code": "SAC/TC 20", "committee_level": "national"},
        ])
        key = "reward_tiers.secretariat.national"
        from_2025 = preview_parameter(registry, key, 600000, date(2025, 1, 1))
        assert (from_2025.activities, from_2025.changed, from_2025.current_total, from_2025.difference) == (1, 0, 0, 0)
        from_2024 = preview_parameter(registry, key, 600000, date(2024, 1, 1))
        assert (from_2024.activities, from_2024.changed, from_2024.current_total, from_2024.new_total) == (2, 1, 500000, 600000)


def test_bad_value_and_unknown_key(app):
    with app.app_context():
        registry = get_registry()
        with pytest.raises(ValidationError):
            preview_parameter(registry, LEAD, "1.5", date(2025, 1, 1))
        with pytest.raises(ValidationError):
            preview_parameter(registry, LEAD, -1, date(2025, 1, 1))
        with pytest.raises(UnknownParameter):
            preview_parameter(registry, "reward_tiers.nope", 1, date(2025, 1, 1))
