"""Readings of 三(二) across the register: editions, ranks, early reports, held outcomes stored.

The policy cases (plugins/reward_tiers/tests/readings.policy.yaml) read one
input; here the earlier records are stored, and the rules read them through
``context.history`` (core/store/history.py), on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import select

from core.app import get_registry
from core.db import db
from core.models import ActivityRecord, OutcomeRecord
from core.registry import Registry
from core.store import StoredHistory, evaluation_context, import_records, reevaluate

CODE_A = "913304007429141869"   # 330400: Jiaxing, city level
CODE_B = "91330482MA2AH5T006"   # 330482: Pinghu
CODE_C = "91330402MA2B3C4D1N"   # 330402: Nanhu


def drafting(ref: str, day: str, code: str, standard: str, rank: int = 1, **extra) -> dict:
    return {"id": ref, "kind": "standard_drafting", "date": day, "credit_code": code, "standard_code": standard,
            "rank": rank, **extra}


@pytest.fixture
def ctx(app: Flask) -> Iterator[Registry]:
    with app.app_context():
        yield get_registry()
        db.session.rollback()


def store(registry: Registry, records: list[dict]):
    result = import_records(registry, records, source="test", actor="tester")
    assert result.ok, [(i.ref, i.errors) for i in result.report.invalid]
    db.session.commit()
    return result


def stored_outcome(ref: str) -> OutcomeRecord:
    return db.session.scalars(
        select(OutcomeRecord).join(ActivityRecord, OutcomeRecord.activity_id == ActivityRecord.id)
        .where(ActivityRecord.external_id == ref, OutcomeRecord.superseded_at.is_(None))
    ).one()


def evaluate(registry: Registry, records: list[dict]):
    context, plugins = evaluation_context(registry)
    report = registry.validate(records, context.parameters)
    assert report.invalid == []
    result = registry.evaluate(report.valid, context, plugins=plugins)
    return {a.ref: result.for_activity(a)[0] for a in report.valid}, result


def test_a_later_edition_of_a_registered_standard_is_held_when_recorded_as_new(ctx: Registry) -> None:
    store(ctx, [drafting("PH-2022-031", "2022-10-12", CODE_B, "GB/T 43700-2022", organisation="平湖光电新能源有限公司")])
    result = store(ctx, [drafting("JX-2024-007", "2024-03-01", CODE_A, "GB/T 43700—2024"),
                         drafting("JX-2024-008", "2024-03-01", CODE_C, "GB/T 43700-2024", rank=2, revision=True)])
    assert result.result is not None
    assert (result.result.total_amount, result.result.held_amount) == (150_000, 300_000)

    held = stored_outcome("JX-2024-007")
    assert (held.status, held.amount, held.rule) == ("held", 0, "R2")
    assert held.details["held_amount"] == 300_000
    [reason] = held.details["held_reasons"]
    assert reason["code"] == "revision_flag"
    assert reason["other"] == {"activity": "PH-2022-031", "credit_code": CODE_B, "organisation": "平湖光电新能源有限公司",
                               "date": "2022-10-12"}
    assert "2022年版" in reason["zh"] and "2022 edition" in reason["en"]
    assert "待核实" in held.explanation_zh and "Held for review" in held.explanation_en
    # a participant recorded as a revision agrees with the register: paid (participation includes revisions)
    assert (stored_outcome("JX-2024-008").status, stored_outcome("JX-2024-008").amount) == ("ok", 150_000)


def test_an_earlier_edition_in_the_register_is_not_a_revision_of_a_later_one(ctx: Registry) -> None:
    # Editions compare by year: the 2022 edition reported after the 2024 one is not made a revision.
    store(ctx, [drafting("E-2024", "2024-03-01", CODE_A, "GB/T 43700-2024", revision=True)])
    outcomes, _ = evaluate(ctx, [drafting("E-2022", "2022-10-12", CODE_B, "GB/T 43700-2022")])
    assert (outcomes["E-2022"].status, outcomes["E-2022"].amount) == ("ok", 300_000)


def test_a_rank_claimed_by_another_organisation_in_the_register_is_held(ctx: Registry) -> None:
    store(ctx, [drafting("HN-001", "2024-03-12", CODE_C, "ISO/IEC 30141:2024", rank=2, organisation="嘉兴南湖某某研究院")])
    outcomes, result = evaluate(ctx, [drafting("JX-101", "2024-04-02", CODE_A, "ISO 30141:2024", rank=2),
                                      drafting("JX-102", "2024-04-02", CODE_B, "ISO 30141:2024", rank=3)])
    held = outcomes["JX-101"]
    assert (held.status, held.amount, held.held_amount) == ("held", 0, 300_000)
    [reason] = held.held_reasons
    assert reason["code"] == "rank_conflict" and reason["other"]["activity"] == "HN-001"
    assert reason["other"]["organisation"] == "嘉兴南湖某某研究院"
    assert "嘉兴南湖某某研究院" in reason["zh"] and "排名第二位" in reason["zh"]
    assert (outcomes["JX-102"].status, outcomes["JX-102"].amount) == ("ok", 300_000)
    assert (result.total_amount, result.held_amount) == (300_000, 300_000)


def test_importing_a_rank_conflict_holds_the_stored_partner_at_once(ctx: Registry) -> None:
    # Two organisations claiming one rank are both held, each naming the other: the stored one too,
    # by the import itself (not only at the next re-evaluation).
    store(ctx, [drafting("HN-001", "2024-03-12", CODE_C, "ISO/IEC 30141:2024", rank=2, organisation="嘉兴南湖某某研究院")])
    assert (stored_outcome("HN-001").status, stored_outcome("HN-001").amount) == ("ok", 300_000)
    result = store(ctx, [drafting("JX-101", "2024-04-02", CODE_A, "ISO 30141:2024", rank=2),
                         drafting("JX-102", "2024-04-02", CODE_B, "ISO 30141:2024", rank=3)])
    assert result.reevaluated is not None and result.reevaluated.changed == 1
    new, partner = stored_outcome("JX-101"), stored_outcome("HN-001")
    assert (new.status, new.amount, new.details["held_amount"]) == ("held", 0, 300_000)
    assert (partner.status, partner.amount, partner.details["held_amount"]) == ("held", 0, 300_000)
    assert [r["other"]["activity"] for r in partner.details["held_reasons"]] == ["JX-101"]
    assert "该奖励待核实" in partner.explanation_zh
    assert (stored_outcome("JX-102").status, stored_outcome("JX-102").amount) == ("ok", 300_000)
    # the partner's paid outcome is kept as history, superseded by the import's re-evaluation
    history = db.session.scalars(
        select(OutcomeRecord).join(ActivityRecord, OutcomeRecord.activity_id == ActivityRecord.id)
        .where(ActivityRecord.external_id == "HN-001").order_by(OutcomeRecord.id)).all()
    assert [(o.status, o.superseded_by_run_id is not None) for o in history] == [("ok", True), ("held", False)]


def test_an_import_reevaluates_the_stored_records_of_the_groups_it_joins(ctx: Registry) -> None:
    # The later edition was stored first, paid; the earlier edition arrives later. Nothing new is
    # held, yet the stored record is now a later edition recorded as new: held at once, by the
    # import, exactly as a re-evaluation of everything then leaves it.
    store(ctx, [drafting("E2024", "2024-03-01", CODE_A, "GB/T 43700-2024"),
                drafting("OTHER", "2021-05-01", CODE_B, "GB/T 41000-2021")])
    assert (stored_outcome("E2024").status, stored_outcome("E2024").amount) == ("ok", 300_000)
    result = store(ctx, [drafting("E2022", "2022-10-12", CODE_A, "GB/T 43700-2022")])
    assert (stored_outcome("E2022").status, stored_outcome("E2022").amount) == ("ok", 300_000)
    later = stored_outcome("E2024")
    assert (later.status, later.amount, later.details["held_amount"]) == ("held", 0, 300_000)
    assert [(r["code"], r["other"]["activity"]) for r in later.details["held_reasons"]] == [("revision_flag", "E2022")]
    # only the group it joined: the record of another standard was not evaluated again
    assert result.reevaluated is not None and result.run is not None
    assert (result.reevaluated.activities, result.reevaluated.changed) == (2, 1)
    assert result.reevaluated.run.trigger == "reevaluate_groups" and not result.reevaluated.incremental
    everything = reevaluate(ctx, actor="tester")
    db.session.commit()
    assert everything.changed == 0


def test_a_reevaluation_from_a_date_names_the_record_a_reevaluation_of_everything_names(ctx: Registry) -> None:
    # Two records of the 2021 edition, stored first and last; a later edition recorded as new names
    # the first stored of them, whether the other is evaluated beside it or read from the register.
    store(ctx, [drafting("A2021", "2021-03-01", CODE_B, "GB/T 43700-2021")])
    store(ctx, [drafting("E2024", "2024-03-01", CODE_A, "GB/T 43700-2024")])
    store(ctx, [drafting("C2021", "2021-09-01", CODE_C, "GB/T 43700-2021", rank=2)])

    def named() -> list[str]:
        return [r["other"]["activity"] for r in stored_outcome("E2024").details["held_reasons"]]

    assert named() == ["A2021"]
    everything = reevaluate(ctx, actor="tester")
    db.session.commit()
    assert (everything.changed, named()) == (0, ["A2021"])
    since = reevaluate(ctx, actor="tester", since=date(2021, 6, 1))  # C2021 in the batch, A2021 read
    db.session.commit()
    assert (since.changed, named()) == (0, ["A2021"])


def test_an_import_without_a_stored_partner_reevaluates_nothing(ctx: Registry) -> None:
    result = store(ctx, [drafting("X-1", "2024-06-28", CODE_A, "GB/T 44101-2024"),
                         drafting("Y-1", "2024-07-02", CODE_B, "GB/T 44101-2024")])
    assert {stored_outcome("X-1").status, stored_outcome("Y-1").status} == {"held"}
    assert result.reevaluated is None


def test_a_held_outcome_takes_the_achievement_a_repeat_is_not_paid_meanwhile(ctx: Registry) -> None:
    store(ctx, [drafting("X-1", "2024-06-28", CODE_A, "GB/T 44101-2024"),
                drafting("Y-1", "2024-07-02", CODE_B, "GB/T 44101-2024")])
    assert stored_outcome("Y-1").status == "held"
    outcomes, _ = evaluate(ctx, [drafting("Y-2", "2024-09-01", CODE_B, "GB/T44101-2024")])
    repeat = outcomes["Y-2"]
    assert (repeat.amount, repeat.details["reason"]) == (0, "duplicate")
    assert repeat.details["paid_with"]["activity"] == "Y-1" and repeat.details["paid_with"]["held"] is True
    assert repeat.details["paid_with"]["amount"] == 300_000
    assert "正待核实" in repeat.explanation_zh and "held for review" in repeat.explanation_en


def test_an_achievement_stored_before_the_policy_is_not_paid_under_a_new_date(ctx: Registry) -> None:
    store(ctx, [drafting("OLD", "2022-07-01", CODE_A, "GB/T 41001-2022")])
    outcomes, _ = evaluate(ctx, [drafting("NEW", "2022-08-15", CODE_A, "GB/T 41001-2022"),
                                 drafting("OTHER", "2022-08-15", CODE_B, "GB/T 41001-2022", rank=2)])
    assert (outcomes["NEW"].amount, outcomes["NEW"].details["reason"]) == (0, "reported_before_policy")
    assert outcomes["NEW"].details["reported"] == {"activity": "OLD", "date": "2022-07-01"}
    assert outcomes["OTHER"].amount == 150_000


def test_held_outcomes_are_stable_across_reevaluation(ctx: Registry) -> None:
    store(ctx, [drafting("PH-1", "2022-10-12", CODE_B, "GB/T 43700-2022"),
                drafting("JX-1", "2024-03-01", CODE_A, "GB/T 43700-2024"),
                drafting("X-1", "2024-06-28", CODE_A, "GB/T 44101-2024"),
                drafting("Y-1", "2024-07-02", CODE_B, "GB/T 44101-2024")])
    before = {ref: (o.status, o.details) for ref in ("JX-1", "X-1", "Y-1") for o in [stored_outcome(ref)]}
    assert {status for status, _ in before.values()} == {"held"}
    # Both of a conflicting pair are held; re-evaluating unchanged inputs changes nothing.
    done = reevaluate(ctx, actor="tester")
    db.session.commit()
    assert done.changed == 0
    again = reevaluate(ctx, actor="tester", since=date(2024, 1, 1))
    db.session.commit()
    assert again.changed == 0
    assert {ref: (o.status, o.details) for ref in before for o in [stored_outcome(ref)]} == before


def test_stored_history_finds_the_records_of_a_series(ctx: Registry) -> None:
    store(ctx, [drafting("A", "2022-10-12", CODE_B, "GB/T 43700-2022"),
                drafting("B", "2024-03-12", CODE_C, "ISO/IEC 30141:2024", rank=2),
                drafting("C", "2024-03-12", CODE_C, "GB/T 437001-2024"),
                {"id": "T", "kind": "tc_secretariat", "date": "2024-03-01", "credit_code": CODE_B,
                 "committee_code": "SAC/TC 4370", "committee_level": "national"}])
    history = StoredHistory()
    found = history.activities("standard_drafting", ["GB/T 43700", "ISO/IEC 30141"])
    assert [(a.activity_ref, a.subject, a.credit_code, a.fields["rank"]) for a in found] == [
        ("A", "GB/T 43700-2022", CODE_B, 1), ("B", "ISO/IEC 30141:2024", CODE_C, 2),
        ("C", "GB/T 437001-2024", CODE_C, 1)]
    # a prefix is matched as written (LIKE's wildcards and SQLite's case-blindness aside)
    assert history.activities("standard_drafting", ["gb/t 43700", "GB/T 4370_"]) == []
    assert [a.activity_ref for a in StoredHistory(before=date(2024, 1, 1)).activities("standard_drafting", ["GB/T"])] == ["A"]
    assert StoredHistory(everything_reevaluated=True).activities("standard_drafting", ["GB/T"]) == ()
    # many prefixes, of many lengths, nested: one query, each record once, only those a prefix takes
    many = [f"GB/T {n}" for n in range(100_000)]
    assert [a.activity_ref for a in history.activities("standard_drafting", many)] == ["A", "C"]
    assert [a.activity_ref for a in history.activities("standard_drafting", ["GB/T 437", "GB/T 43700", ""])] == [
        "A", "B", "C"]
    assert history.activities("standard_drafting", ["GB/T 43700-2022X", "GB/T 43700-202", "GB/T"]) != []
    assert [a.activity_ref for a in history.activities("standard_drafting", ["GB/T 43700-202"])] == ["A"]
    reported = history.reported("reward_tiers", [f"standard:{CODE_B}:GB/T 43700-2022", "standard:nobody:x"])
    assert list(reported) == [f"standard:{CODE_B}:GB/T 43700-2022"]
    assert reported[f"standard:{CODE_B}:GB/T 43700-2022"].date == date(2022, 10, 12)


def test_stored_history_takes_exactly_the_subjects_a_prefix_starts(ctx: Registry) -> None:
    """The database decides which stored records a prefix takes (``_subject_among``): random sets of
    prefixes of every length, nested and overlapping, against what ``str.startswith`` says."""
    rng = random.Random(13)
    numbers = sorted({rng.choice(["1", "12", "123", "2", "29", "3"]) + str(rng.randrange(10, 1_000)) for _ in range(60)})
    store(ctx, [drafting(f"S{i}", "2023-05-01", CODE_B, f"GB/T {n}-2022", rank=1 + i % 3)
                for i, n in enumerate(numbers)])
    stored = {a.activity_ref: a.subject for a in StoredHistory().activities("standard_drafting", ["GB/T"])}
    assert len(stored) == len(numbers)
    history = StoredHistory()
    for _ in range(60):
        prefixes = [subject[:rng.randrange(0, len(subject) + 2)] + rng.choice(["", "", "-", "0", "x"])
                    for subject in rng.sample(sorted(stored.values()), rng.randrange(1, 8))]
        found = history.activities("standard_drafting", prefixes)
        assert [a.activity_ref for a in found] == sorted(
            (ref for ref, subject in stored.items() if any(subject.startswith(p) for p in prefixes)),
            key=lambda ref: int(ref[1:])), prefixes


#: Subjects where a prefix's range has edges to get right: the next character special, text past
#: the Basic Multilingual Plane, characters PostgreSQL's collation orders apart from their bytes.
_ODD_SUBJECTS = ["a", "ab", "abc", "b", "a\ud7ff", "a\ud7ffz", "a\ue000", "a\uffff", "a\uffffz", "a\U0010ffff",
                 "a\U0010ffffz", "é", "éa", "e", "E", "ea", "Éa", "GB/T 4411", "GB/T 44110", "GB/T 4412", "GB/T 441",
                 "GB/T 441-2024", "GB/T 441.1", "GB/T 441 ", "GB/T  441", "GB/T 44", "标准 1", "标准 10", "标", "ＧＢ/T 441"]
_ODD_PREFIXES = ["", "a", "a\ud7ff", "a\uffff", "a\U0010ffff", "é", "e", "E", "GB/T 4411", "GB/T 441", "GB/T 44",
                 "GB/T 441 ", "b", "标准 1", "标", "ＧＢ", "z"]


def _store_subjects(*kinds: str) -> None:
    """Activities of each of ``kinds`` with the odd subjects, stored as rows (no kind's schema would take them all)."""
    from core.models import Organisation

    organisation = Organisation(credit_code=CODE_B, name="平湖光电新能源有限公司", region_code="330482")
    db.session.add(organisation)
    db.session.flush()
    for kind in kinds:
        for i, subject in enumerate(_ODD_SUBJECTS):
            db.session.add(ActivityRecord(kind=kind, organisation_id=organisation.id, date=date(2024, 1, 1), fields={},
                                          subject=subject, external_id=f"S{i}", fingerprint=f"{kind}-{i}",
                                          source="test", created_by="tester"))
    db.session.flush()


def test_a_prefix_takes_exactly_the_subjects_it_starts_on_this_database(ctx: Registry) -> None:
    """The history's prefix search on the database the tests run on (PostgreSQL's pattern operators, SQLite's
    comparison), a prefix at a time and all together, against ``str.startswith``; another kind's rows are left out."""
    _store_subjects("odd_kind", "other_kind")
    history = StoredHistory()

    def found(prefixes: list[str]) -> list[str]:
        return sorted(a.subject for a in history.activities("odd_kind", prefixes))

    for prefix in _ODD_PREFIXES:
        assert found([prefix]) == sorted(t for t in _ODD_SUBJECTS if t.startswith(prefix)), prefix
    assert found(_ODD_PREFIXES) == sorted(t for t in _ODD_SUBJECTS if t.startswith(tuple(_ODD_PREFIXES)))
    assert history.activities("standard_drafting", ["GB/T", "a"]) == []


def test_a_few_prefixes_are_read_from_the_kind_subject_index(ctx: Registry) -> None:
    """The query of a few prefixes can be answered from ``ix_activities_kind_subject`` alone (migration 0014):
    on PostgreSQL its pattern operators are the index's (a scan of the kind is forbidden to check it)."""
    from sqlalchemy import event

    _store_subjects("odd_kind", "other_kind")
    connection = db.session.connection()
    seen: list[tuple[str, object]] = []

    def keep(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if "FROM activities JOIN organisations" in statement:
            seen.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", keep)
    try:
        assert StoredHistory().activities("odd_kind", ["GB/T 441", "标准 1", "a"]) != ()
    finally:
        event.remove(connection, "before_cursor_execute", keep)
    [(statement, parameters)] = seen
    if connection.dialect.name == "sqlite":
        plan = " ".join(row[3] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
        assert plan.count("USING INDEX ix_activities_kind_subject (kind=? AND subject>? AND subject<?)") == 3, plan
        assert "SCAN activities" not in plan, plan
    else:
        # With many subjects of the kind and the table's statistics taken, as in a register, the planner
        # reads the three ranges from the index (a table of a few rows gives it no reason to).
        from datetime import datetime

        from core.store.bulk import insert_rows

        organisation_id = db.session.scalar(select(ActivityRecord.organisation_id).limit(1))
        insert_rows(ActivityRecord, [("odd_kind", organisation_id, date(2024, 1, 1), {}, f"X {i:05}", f"many-{i}", "test",
                                      datetime(2024, 1, 1), "tester") for i in range(5_000)],
                    columns=["kind", "organisation_id", "date", "fields", "subject", "fingerprint", "source",
                             "created_at", "created_by"])
        connection.exec_driver_sql("ANALYZE activities")
        plan = "\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters))
        assert plan.count("Bitmap Index Scan on ix_activities_kind_subject") == 3, plan
        assert sum("Index Cond" in line and "~>=~" in line and "~<~" in line for line in plan.splitlines()) == 3, plan


def test_a_prefix_range_takes_exactly_the_text_that_starts_with_the_prefix() -> None:
    """``_prefix_range`` on SQLite's own comparison, over characters where the next one is special."""
    from sqlalchemy.dialects import sqlite

    from core.store.history import _prefix_range

    texts = ["", "a", "ab", "abc", "b", "a\ud7ff", "a\ud7ffz", "a\ue000", "a\uffff", "a\uffffz", "a\U0010ffff",
             "a\U0010ffffz", "b\x00", "é", "éa", "GB/T 4411", "GB/T 44110", "GB/T 4412", "GB/T 441"]
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE activities (id INTEGER PRIMARY KEY, subject TEXT)")
    connection.executemany("INSERT INTO activities (subject) VALUES (?)", [(t,) for t in texts])
    for prefix in ["", "a", "a\ud7ff", "a\uffff", "a\U0010ffff", "é", "GB/T 4411", "GB/T 441", "b"]:
        compiled = _prefix_range(prefix).compile(dialect=sqlite.dialect())
        params = [compiled.params[name] for name in compiled.positiontup or ()]
        found = {row[0] for row in connection.execute(f"SELECT subject FROM activities WHERE {compiled}", params)}
        assert found == {t for t in texts if t.startswith(prefix)}, prefix
