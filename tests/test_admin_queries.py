"""The admin pages' queries (issue #13): the same rows on both databases, and on SQLite the index that serves them.

SQLite keeps no statistics (nobody runs ANALYZE), so a query that offers it
a wrong index (a plugin test served by the (plugin, dedup_key) index) walks
every outcome of the plugins instead of a page's few. The plan checks read
``EXPLAIN QUERY PLAN`` of the statements a call sends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
import re
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select

from core.app import get_registry
from core.db import db
from core.models import OutcomeRecord
from core.store import import_records
from core.store.register import RegisterFilter, register_page, stored_kinds, year_range
from core.store.reviews import review_states

from test_register_queries import (JIASHAN_CODE, REWARD, current_amounts, every_page, expected, import_paid,
                                   load_examples, refs)
from test_reviews_store import RECORDS


@contextmanager
def statements(engine: Any = None) -> Iterator[list[tuple[str, Any]]]:
    """The SQL statements (and parameters) sent while the block runs (on ``engine``; default: the app context's)."""
    sent: list[tuple[str, Any]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:
        sent.append((statement, parameters))

    engine = engine if engine is not None else db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def plans(sent: list[tuple[str, Any]], where: Callable[[str], bool]) -> list[str]:
    """SQLite's query plan of each statement ``where`` accepts, as one text each."""
    found = []
    for statement, parameters in sent:
        if where(statement):
            rows = db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            found.append(" | ".join(str(r[-1]) for r in rows))
    return found


@pytest.fixture
def held(app: Flask) -> Iterator[list[tuple[int, str]]]:
    """Two activities with a held outcome (two rank-1 claims on one standard) and one paid, stored."""
    with app.app_context():
        result = import_records(get_registry(), RECORDS, source="test", actor="tester")
        assert result.ok
        db.session.commit()
        yield sorted((activity, rule) for activity, rule in db.session.execute(
            select(OutcomeRecord.activity_id, OutcomeRecord.rule).where(OutcomeRecord.status == "held")))
        db.session.rollback()


def test_review_states_of_a_page_read_its_outcomes_by_activity(app: Flask, held: list[tuple[int, str]]) -> None:
    everyone = [o.activity_id for o in db.session.scalars(select(OutcomeRecord))]
    with statements() as sent:
        states = review_states(everyone, list(get_registry().plugins))
    assert states == dict.fromkeys(held, "pending")
    assert len(held) == 2
    if db.engine.dialect.name != "sqlite":
        return
    [plan] = plans(sent, lambda s: s.lstrip().startswith("SELECT outcomes.id"))
    assert "ix_outcomes_activity_current" in plan and "ix_outcomes_plugin_dedup" not in plan, plan


def test_register_counts_are_kept_until_the_next_evaluation_run(app: Flask) -> None:
    """Counts of kinds, counties, years and paid outcomes are read once per run; a search's every time."""
    ids = load_examples(app)
    year = lambda r: int(r["date"][:4])  # noqa: E731
    with app.app_context():
        paid = {ref for ref, amount in current_amounts().items() if amount > 0}
        cases = [
            ({}, lambda r: True),
            ({"kind": "standard_drafting"}, lambda r: r["kind"] == "standard_drafting"),
            ({"county": JIASHAN_CODE[2:8]}, lambda r: r["credit_code"][2:8] == JIASHAN_CODE[2:8]),
            ({"year": 2024}, lambda r: year(r) == 2024),
            ({"paid_only": True}, lambda r: r["id"] in paid),
            ({"kind": "standard_drafting", "year": 2024, "paid_only": True},
             lambda r: r["kind"] == "standard_drafting" and year(r) == 2024 and r["id"] in paid),
        ]
        registry = get_registry()
        for filters, predicate in cases:
            want = expected(predicate)
            first = register_page(registry, REWARD, RegisterFilter(**filters), per_page=4)
            assert first.total == len(want) and refs(first) == want[:4], filters
            with statements() as sent:
                again = register_page(registry, REWARD, RegisterFilter(**filters), per_page=4)
            assert again.total == first.total and refs(again) == refs(first), filters
            assert not [s for s, _ in sent if "count(" in s.lower()], filters
        with statements() as sent:
            register_page(registry, REWARD, RegisterFilter(q="嘉善"), per_page=4)
        assert [s for s, _ in sent if "count(" in s.lower()]  # a search counts every time

        # an import is an evaluation run: every count follows it at once
        import_paid(registry, "COUNT-NEW", "2024-07-01", "GB/T 46002-2024")
        db.session.commit()
        for filters, _predicate in cases:
            page = register_page(registry, REWARD, RegisterFilter(**filters), per_page=4)
            assert page.total == len(expected(_predicate)) + 1, filters
        assert ids


def test_a_page_reads_the_latest_run_once_and_sees_a_run_of_its_own_transaction(app: Flask) -> None:
    """Every cache of a page (counts, kinds, years) is keyed on one read of the latest run per transaction."""
    load_examples(app)
    with app.app_context():
        registry = get_registry()
        wanted = RegisterFilter(kind="standard_drafting", paid_only=True)
        before = register_page(registry, REWARD, wanted).total
        years = year_range()
        assert years is not None and years[1] < 2026
        db.session.commit()  # a new transaction reads the latest run again
        with statements() as sent:
            assert register_page(registry, REWARD, wanted).total == before
            assert year_range() == years
            assert "standard_drafting" in stored_kinds()
        assert len([s for s, _ in sent if "evaluation_runs" in s]) == 1
        # a run added in this transaction (not committed) is seen at once
        import_paid(registry, "RUN-NEW", "2026-03-01", "GB/T 46003-2026")
        assert register_page(registry, REWARD, wanted).total == before + 1
        assert year_range() == (years[0], 2026)
        db.session.rollback()
        assert register_page(registry, REWARD, wanted).total == before and year_range() == years


def test_a_page_reads_the_departments_once(app: Flask, client, login) -> None:
    """The working department is picked from the departments the menu lists: one statement for both."""
    login("city")
    client.get("/dashboard")
    with app.app_context():
        engine = db.engine
    with statements(engine) as sent:
        html = client.get("/dashboard").get_data(as_text=True)
    assert 'id="department-select"' in html
    assert len([s for s, _ in sent if "FROM departments" in s]) == 1, sent


#: Subjects with what could tell an in-memory search from SQLite's LIKE apart: ASCII and other letters in
#: both cases, LIKE's wildcards and escape character, the in-memory search's separator, dashes and spaces.
ODD_SUBJECTS = ["GB/T 12345-2023", "gb/t 12345—2023", "ÉCOLE Straße", "école STRASSE", "Ärger_100%", "a\\b%c_d",
                "x\x00y", "ＧＢ／Ｔ 1", "T/ZZB 0001—2024", "", " ", "Ω-ω", "İstanbul ı"]


def test_the_in_memory_subject_search_finds_what_sqlites_like_finds(app: Flask) -> None:
    """subjects.subject_ids against ``subject LIKE '%q%'`` (the query it replaces on SQLite), on many searches."""
    from core.models import ActivityRecord, Organisation
    from core.store.register.sql import contains
    from core.store.register.subjects import subject_ids

    load_examples(app)
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("the in-memory search serves SQLite only")
        org = db.session.scalar(select(Organisation).where(Organisation.credit_code == JIASHAN_CODE))
        for n, subject in enumerate(ODD_SUBJECTS):
            db.session.add(ActivityRecord(kind="standard_drafting", organisation_id=org.id, date=date(2024, 1, 1),
                                          fields={}, subject=subject, external_id=f"ODD-{n}", fingerprint=f"{n:064d}",
                                          source="tests", created_by="tests"))
        db.session.commit()
        subjects = [s for s in db.session.scalars(select(ActivityRecord.subject)) if s is not None]
        needles = {"gb/t", "GB/T", "12345", "—", "-", "é", "É", "straße", "STRASSE", "%", "_", "\\", "\\b%", "\x00",
                   "x\x00", "\x00y", "ｇｂ", "Ｔ 1", "ω", "Ω", "ı", "i", "İ", "zz-none", "T/zzb"}
        for subject in subjects[:60]:  # and pieces of stored subjects, in both cases
            for piece in (subject[:3], subject[2:9], subject[-4:]):
                needles |= {piece, piece.upper(), piece.lower()}
        needles.discard("")
        for needle in sorted(needles):
            like = sorted(db.session.scalars(select(ActivityRecord.id).where(contains(ActivityRecord.subject, needle))))
            if "\x00" in needle:  # SQLite reads a pattern up to a NUL: left to it
                assert subject_ids([needle], 10**9) is None
                continue
            assert subject_ids([needle], 10**9) == like, repr(needle)
        both = sorted(db.session.scalars(select(ActivityRecord.id).where(
            contains(ActivityRecord.subject, "straße") | contains(ActivityRecord.subject, "12345"))))
        assert subject_ids(["straße", "12345"], 10**9) == both
        assert subject_ids(["GB"], 0) is None  # more than the limit: the caller asks SQLite
        assert subject_ids([""], 10) is None


def test_an_activity_page_reads_its_organisation_once(app: Flask, client, login) -> None:
    """The activity and its organisation in one statement; the name history does not read the name again."""
    ids = load_examples(app)
    login("mr_viewer")
    path = f"/activities/{ids['EX-007']}"
    client.get(path)
    with app.app_context():
        engine = db.engine
    with statements(engine) as sent:
        html = client.get(path).get_data(as_text=True)
    assert "嘉兴市某某制造有限公司" in html and "913304007429141869" in html
    reading = [s for s, _ in sent if re.search(r"\borganisations\b", s)]
    assert len(reading) == 1 and "FROM activities" in reading[0], reading


def test_a_list_of_one_filter_is_read_once_per_run_and_paged_from_memory(app: Flask) -> None:
    """A kind's, a county's or the paid list: every page the same rows in the same order, read once until the next run."""
    load_examples(app)
    with app.app_context():
        paid = {ref for ref, amount in current_amounts().items() if amount > 0}
        cases = [
            ({"kind": "standard_drafting"}, lambda r: r["kind"] == "standard_drafting"),
            ({"county": JIASHAN_CODE[2:8]}, lambda r: r["credit_code"][2:8] == JIASHAN_CODE[2:8]),
            ({"paid_only": True}, lambda r: r["id"] in paid),
        ]
        registry = get_registry()
        for filters, predicate in cases:
            want = expected(predicate)
            assert len(want) > 3, filters
            with statements() as sent:
                got = every_page(registry, filters, len(want), per_page=3)
            assert got == want, filters
            listing = [s for s, _ in sent if "ORDER BY activities.date" in s]
            assert len(listing) == 1 and "LIMIT" not in listing[0], (filters, listing)

        import_paid(registry, "LIST-NEW", "2026-03-01", "GB/T 46004-2026")
        db.session.commit()
        for filters, predicate in cases:
            page = register_page(registry, REWARD, RegisterFilter(**filters), per_page=3)
            assert page.total == len(expected(predicate)) + 1 and refs(page)[0] == "LIST-NEW", filters
