"""An import evaluates with the register's organisation names, as a later re-evaluation does.

A record may name no organisation (or an earlier name of it); explanations
that name the other party of a rank conflict then used the record's text at
import and the register's name at the next re-evaluation, so a full
re-evaluation replaced outcomes that nothing had changed.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from core.app import get_registry
from core.db import db
from core.models import ActivityRecord, OutcomeRecord
from core.store import import_records, reevaluate
from review_support import CODE_A, CODE_B


def _current(ref: str) -> OutcomeRecord:
    return db.session.scalars(
        select(OutcomeRecord).join(ActivityRecord, OutcomeRecord.activity_id == ActivityRecord.id)
        .where(ActivityRecord.external_id == ref, OutcomeRecord.superseded_at.is_(None),
               OutcomeRecord.plugin == "reward_tiers")
    ).one()


def test_a_record_without_a_name_is_named_as_the_register_names_it(app: Flask) -> None:
    with app.app_context():
        registry = get_registry()
        named = {"id": "N-1", "kind": "standard_drafting", "date": "2024-03-01", "credit_code": CODE_B,
                 "organisation": "平湖光电新能源有限公司", "standard_code": "GB/T 44200-2024", "rank": 2}
        assert import_records(registry, [named], source="first.json", actor="tests").ok
        db.session.commit()
        # Later: the same organisation, no name given, claims rank 1 on a standard another also claims.
        records = [
            {"id": "U-1", "kind": "standard_drafting", "date": "2024-06-28", "credit_code": CODE_B,
             "standard_code": "GB/T 44101-2024", "rank": 1},
            {"id": "X-1", "kind": "standard_drafting", "date": "2024-07-02", "credit_code": CODE_A,
             "organisation": "嘉兴市某某制造有限公司", "standard_code": "GB/T 44101-2024", "rank": 1},
        ]
        assert import_records(registry, records, source="second.json", actor="tests").ok
        db.session.commit()
        x = _current("X-1")
        assert x.status == "held"
        assert "平湖光电新能源有限公司(统一社会信用代码91330482MA2AH5T006)也登记为" in x.explanation_zh
        before = {ref: _current(ref).id for ref in ("N-1", "U-1", "X-1")}
        result = reevaluate(registry, actor="tests")
        db.session.commit()
        assert result.changed == 0
        assert {ref: _current(ref).id for ref in before} == before
