"""The admin pages' queries (issue #13): the same rows on both databases, and on SQLite the index that serves them.

SQLite keeps no statistics (nobody runs ANALYZE), so a query that offers it
a wrong index (a plugin test served by the (plugin, dedup_key) index) walks
every outcome of the plugins instead of a page's few. The plan checks read
``EXPLAIN QUERY PLAN`` of the statements a call sends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select, text

from core.app import get_registry
from core.db import db
from core.models import OutcomeRecord
from core.store import import_records
from core.store.reviews import review_states

from test_reviews_store import RECORDS


@contextmanager
def statements() -> Iterator[list[tuple[str, Any]]]:
    """The SQL statements (and parameters) sent while the block runs."""
    sent: list[tuple[str, Any]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:
        sent.append((statement, parameters))

    engine = db.engine
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
        yield sorted(db.session.execute(select(OutcomeRecord.activity_id, OutcomeRecord.rule)
                                        .where(OutcomeRecord.status == "held")).tuples())
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
