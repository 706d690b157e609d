"""core.store.bulk: COPY (PostgreSQL) and executemany (SQLite) store exactly what ``insert()`` stores; all or nothing.

The import stores its activities and outcomes through ``insert_rows``. Its
rows must be the same, value for value and as the database holds them (the
text of a JSON column, the form of a date), as those SQLAlchemy's
``insert()`` stored before; and a failure in the middle of the bulk write
must leave nothing of the import.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, insert, select
from sqlalchemy import text as sa_text
from sqlalchemy.engine import make_url

from core.db import db
from core.models import ActivityRecord, EvaluationRun, Organisation, OutcomeRecord
from core.store.bulk import insert_rows, reserve_ids

from fault_support import credit_code, drafting, everything, write_json

NOW = datetime(2026, 11, 30, 5, 30, 12, 345678)


@pytest.fixture
def ctx(app: Flask) -> Iterator[tuple[int, int]]:
    """An application context with one organisation and one evaluation run: their ids."""
    with app.app_context():
        organisation = Organisation(credit_code=credit_code(1), name="测试企业", region_code="330402", created_at=NOW)
        run = EvaluationRun(trigger="import", actor="tester", plugins=["reward_tiers"], started_at=NOW)
        db.session.add_all([organisation, run])
        db.session.flush()
        yield organisation.id, run.id
        db.session.rollback()


def _activity(n: int, organisation_id: int, **extra: Any) -> dict[str, Any]:
    row = {
        "kind": "standard_drafting", "organisation_id": organisation_id, "date": date(2024, 5, n % 28 + 1),
        "fields": {"standard_code": f"GB/T {40000 + n}-2024", "rank": n % 6 + 1, "名称": "标准“化”\u2014\U0001F600",
                   "nested": {"a": [1, 2.5, None, True, "\\\t\n"]}, "empty": {}},
        "subject": f"GB/T {40000 + n}-2024" if n % 3 else None, "external_id": None if n % 2 else f"A-{n}",
        "fingerprint": f"{n:064x}", "source": "测试.json", "department_id": None, "created_at": NOW,
        "created_by": "tester",
    }
    row.update(extra)
    return row


def _outcome(n: int, activity_id: int, run_id: int) -> dict[str, Any]:
    return {
        "activity_id": activity_id, "run_id": run_id, "plugin": "reward_tiers", "plugin_version": "1.0",
        "rule": f"R{n % 14}", "amount": n * 10_000 if n % 4 else 0, "clause": "二(一)1", "explanation_zh": "按“国家标准”奖励\n第二行",
        "explanation_en": "Tab\there, backslash \\ and quote \"", "status": "held" if n % 5 == 0 else "ok",
        "parameters": [{"key": "reward_tiers.lead.national", "value": 300000, "effective_from": "2022-08-01",
                        "version_id": 1}],
        "dedup_key": None if n % 3 == 0 else f"key-{n}",
        # None (stored as JSON null by SQLAlchemy) and a value, alternately.
        "details": None if n % 2 else {"held_reasons": [{"zh": "待审", "en": "held", "other": {"activity": "#1"}}]},
        "reference_data": None if n % 3 else [{"key": "k", "sequence": 2}],
        "computed_at": NOW,
    }


def _raw(table: str, ids: list[int], columns: list[str]) -> list[tuple[Any, ...]]:
    """The rows as the database holds them: PostgreSQL's text of each value; SQLite's value and storage class."""
    connection = db.session.connection()
    id_list = ", ".join(str(i) for i in ids)
    if connection.dialect.name == "postgresql":
        selected = ", ".join(f"{c}::text" for c in columns)
    else:
        selected = ", ".join(f"{c}, typeof({c})" for c in columns)
    return [tuple(row) for row in connection.exec_driver_sql(f"SELECT {selected} FROM {table} WHERE id IN ({id_list}) ORDER BY id")]


def test_bulk_rows_are_stored_as_insert_stores_them(ctx: tuple[int, int]) -> None:
    organisation_id, run_id = ctx
    activity_columns = [c.name for c in ActivityRecord.__table__.c if c.name != "id"]
    outcome_columns = [c.name for c in OutcomeRecord.__table__.c if c.name != "id"]

    # The same rows (but their fingerprints) both ways.
    old_rows = [_activity(n, organisation_id, fingerprint=f"old-{n}") for n in range(40)]
    old_ids = list(db.session.execute(insert(ActivityRecord).returning(ActivityRecord.id, sort_by_parameter_order=True),
                                      old_rows).scalars())
    new_rows = [_activity(n, organisation_id, fingerprint=f"new-{n}") for n in range(40)]
    new_ids = insert_rows(ActivityRecord, new_rows, returning_ids=True)

    assert len(new_ids) == 40 and new_ids == sorted(new_ids) and min(new_ids) > max(old_ids)
    stored = dict(db.session.execute(select(ActivityRecord.fingerprint, ActivityRecord.id)
                                     .where(ActivityRecord.id.in_(new_ids))).all())
    assert [stored[f"new-{n}"] for n in range(40)] == new_ids  # each id is its row's
    without_fingerprint = [c for c in activity_columns if c != "fingerprint"]
    assert _raw("activities", new_ids, without_fingerprint) == _raw("activities", old_ids, without_fingerprint)

    db.session.execute(insert(OutcomeRecord), [_outcome(n, old_ids[n], run_id) for n in range(40)])
    insert_rows(OutcomeRecord, [_outcome(n, new_ids[n], run_id) for n in range(40)])
    old = db.session.scalars(select(OutcomeRecord.id).where(OutcomeRecord.activity_id.in_(old_ids)).order_by(OutcomeRecord.id)).all()
    new = db.session.scalars(select(OutcomeRecord.id).where(OutcomeRecord.activity_id.in_(new_ids)).order_by(OutcomeRecord.id)).all()
    assert len(old) == len(new) == 40 and min(new) > max(old)
    others = [c for c in outcome_columns if c != "activity_id"]
    assert _raw("outcomes", new, others) == _raw("outcomes", old, others)
    # And they read back the same through the models.
    db.session.expire_all()
    assert ([db.session.get(OutcomeRecord, i).details for i in new] == [db.session.get(OutcomeRecord, i).details for i in old])
    assert db.session.get(OutcomeRecord, new[1]).details is None
    assert db.session.get(ActivityRecord, new_ids[0]).fields == old_rows[0]["fields"]


def test_reserved_ids_follow_the_rows_stored_before_and_are_never_given_again(ctx: tuple[int, int]) -> None:
    organisation_id, _ = ctx
    [before] = db.session.execute(insert(ActivityRecord).returning(ActivityRecord.id), [_activity(0, organisation_id)]).scalars()
    first = insert_rows(ActivityRecord, [_activity(n, organisation_id) for n in range(1, 4)], returning_ids=True)
    second = insert_rows(ActivityRecord, [_activity(n, organisation_id) for n in range(4, 7)], returning_ids=True)
    assert before < first[0] < first[1] < first[2] < second[0] < second[1] < second[2]
    # An ordinary insert afterwards gets an id of its own (on PostgreSQL the sequence moved on).
    [later] = db.session.execute(insert(ActivityRecord).returning(ActivityRecord.id), [_activity(9, organisation_id)]).scalars()
    assert later > second[-1]


def test_rows_built_as_they_are_sent_are_stored_as_a_list_of_them_is(ctx: tuple[int, int]) -> None:
    """A generator of tuples with reserved ids (what the import gives) stores what the same rows as a list store."""
    organisation_id, _ = ctx
    columns = ["id", *(c.name for c in ActivityRecord.__table__.c if c.name != "id")]
    listed = insert_rows(ActivityRecord, [_activity(n, organisation_id, fingerprint=f"l-{n}") for n in range(30)],
                         returning_ids=True)
    reserved = reserve_ids(ActivityRecord, 30)
    assert reserved == sorted(reserved) and min(reserved) > max(listed) and reserve_ids(ActivityRecord, 0) == []
    built: list[int] = []

    def rows() -> Iterator[tuple[Any, ...]]:
        for n, activity_id in enumerate(reserved):
            built.append(n)
            row = {**_activity(n, organisation_id, fingerprint=f"g-{n}"), "id": activity_id}
            yield tuple(row.get(c) for c in columns)

    assert insert_rows(ActivityRecord, rows(), columns=columns) == []
    assert built == list(range(30))
    others = [c for c in columns if c not in ("id", "fingerprint")]
    assert _raw("activities", reserved, others) == _raw("activities", listed, others)
    stored = dict(db.session.execute(select(ActivityRecord.fingerprint, ActivityRecord.id)
                                     .where(ActivityRecord.id.in_(reserved))).all())
    assert [stored[f"g-{n}"] for n in range(30)] == reserved
    # Nothing to store: no statement fails, nothing is added.
    assert insert_rows(ActivityRecord, iter(()), columns=columns) == []
    assert db.session.scalar(select(func.count()).select_from(ActivityRecord)) == 60


def test_a_row_the_database_refuses_stores_none_of_the_batch(ctx: tuple[int, int]) -> None:
    organisation_id, _ = ctx
    from sqlalchemy.exc import IntegrityError

    db.session.commit()
    rows = [_activity(n, organisation_id) for n in range(50)]
    rows[37]["fingerprint"] = rows[2]["fingerprint"]  # unique: refused in the middle
    with pytest.raises(IntegrityError):
        insert_rows(ActivityRecord, rows, returning_ids=True)
    db.session.rollback()
    assert db.session.scalars(select(ActivityRecord.id)).all() == []


# -- SQLite: the append-only guard against INSERT OR REPLACE, lifted while a large insert runs ------------------


def _guard(connection: Any) -> str | None:
    """The SQL of the outcomes' replace guard as ``connection`` sees the schema (``None``: not there)."""
    row = connection.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'outcomes_no_replace'"
                             ).fetchone()
    return row[0] if row is not None else None


@pytest.mark.parametrize("fails", [False, True], ids=["stored", "failing in the middle"])
def test_a_large_insert_lifts_the_replace_guard_only_inside_its_transaction(ctx: tuple[int, int], database_url: str,
                                                                            fails: bool,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """From 5,000 rows the outcomes' BEFORE INSERT guard is dropped while the rows go in (0.8 s of an import of
    100,000) and put back, the same SQL, before ``insert_rows`` returns: another connection sees it all the
    while, it is back whether the insert ends or fails, and INSERT OR REPLACE is refused after."""
    import sqlite3

    from core.store import bulk

    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's trigger; PostgreSQL refuses TRUNCATE, which a COPY does not do")
    monkeypatch.setattr(bulk, "_SQLITE_BATCH", 5000)  # rows 5,000 on are built while the first 5,000 are stored
    organisation_id, run_id = ctx
    [activity_id] = insert_rows(ActivityRecord, [_activity(1, organisation_id)], returning_ids=True)
    raw: Any = db.session.connection().connection.dbapi_connection
    before = _guard(raw)
    assert before is not None and "BEFORE INSERT" in before
    columns = list(_outcome(0, activity_id, run_id))
    seen: dict[str, Any] = {}

    def rows() -> Iterator[tuple[Any, ...]]:
        for n in range(6000):
            if n == 5500:  # the first batch of 5,000 is in, the guard lifted
                seen["inside"] = _guard(raw)
                other = sqlite3.connect(make_url(database_url).database)
                seen["other"] = _guard(other)
                other.close()
                if fails:
                    raise RuntimeError("a value the store cannot take")
            yield tuple(_outcome(n, activity_id, run_id).values())

    if fails:
        with pytest.raises(RuntimeError):
            insert_rows(OutcomeRecord, rows(), columns=columns)
    else:
        insert_rows(OutcomeRecord, rows(), columns=columns)
    assert seen == {"inside": None, "other": before}  # lifted for this transaction only
    assert _guard(raw) == before  # back, before anything could commit
    if fails:
        db.session.rollback()
        assert _guard(raw) == before and db.session.scalar(select(func.count()).select_from(OutcomeRecord)) == 0
        return
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(OutcomeRecord)) == 6000
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError, match="append-only"):
        db.session.connection().exec_driver_sql("INSERT OR REPLACE INTO outcomes SELECT * FROM outcomes LIMIT 1")
    db.session.rollback()


def test_a_full_disk_in_the_middle_of_a_large_insert_is_reported_as_such_and_keeps_the_guard(
        ctx: tuple[int, int]) -> None:
    """SQLite may roll the whole transaction back itself on SQLITE_FULL: the guard is then there again, and
    putting it back must not replace the disk-full error with "trigger already exists"."""
    from sqlalchemy.exc import OperationalError

    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's trigger")
    organisation_id, run_id = ctx
    [activity_id] = insert_rows(ActivityRecord, [_activity(1, organisation_id)], returning_ids=True)
    db.session.commit()
    raw: Any = db.session.connection().connection.dbapi_connection
    before = _guard(raw)
    pages = raw.execute("PRAGMA page_count").fetchone()[0]
    raw.execute(f"PRAGMA max_page_count = {pages + 40}")  # room for the first rows, not for 6,000
    try:
        db.session.execute(select(func.count()).select_from(OutcomeRecord))
        insert_rows(ActivityRecord, [_activity(2, organisation_id, fingerprint="opens-the-transaction")])
        columns = list(_outcome(0, activity_id, run_id))
        with pytest.raises(OperationalError, match="full"):
            insert_rows(OutcomeRecord, (tuple(_outcome(n, activity_id, run_id).values()) for n in range(6000)),
                        columns=columns)
        db.session.rollback()
    finally:
        db.session.connection().connection.dbapi_connection.execute("PRAGMA max_page_count = 1073741823")
    assert _guard(db.session.connection().connection.dbapi_connection) == before
    assert db.session.scalar(select(func.count()).select_from(OutcomeRecord)) == 0


def test_a_small_insert_or_one_outside_a_transaction_keeps_the_guard(ctx: tuple[int, int]) -> None:
    from core.store import bulk

    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's trigger")
    db.session.commit()
    raw: Any = db.session.connection().connection.dbapi_connection
    raw.rollback()  # no transaction open: a drop would be committed at once
    assert not raw.in_transaction
    assert bulk._lift_replace_guard(raw, "outcomes") is None and _guard(raw) is not None
    assert bulk._lift_replace_guard(raw, "activities") is None  # a table without the guard


# -- through the import: a failure in the middle of the bulk write ----------------------------------------


def _fail_after(dialect: str, table: str, rows: int) -> tuple[str, str]:
    """SQL creating and dropping a trigger that refuses the ``rows``-th insert into ``table`` and every later one."""
    if dialect == "postgresql":
        return (f"""
            CREATE FUNCTION test_fail_mid() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF (SELECT count(*) FROM {table}) >= {rows} THEN
                RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full';
              END IF;
              RETURN NEW;
            END $$;
            CREATE TRIGGER test_fail_mid BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION test_fail_mid();
        """, "DROP TRIGGER test_fail_mid ON {table}; DROP FUNCTION test_fail_mid();".format(table=table))
    return (f"""CREATE TRIGGER test_fail_mid BEFORE INSERT ON {table}
                WHEN (SELECT count(*) FROM {table}) >= {rows}
                BEGIN SELECT RAISE(ABORT, 'refused in the middle'); END""", "DROP TRIGGER test_fail_mid")


@pytest.mark.parametrize("table", ["activities", "outcomes"])
def test_a_failure_in_the_middle_of_the_bulk_write_stores_nothing(app: Flask, runner, tmp_path: Path, table: str) -> None:
    """The database refuses row 1,500 of 3,000: neither the rows before it nor anything else of the import stays."""
    records = drafting("MID", 3000, organisations=[(credit_code(700 + n), f"新企业{n}") for n in range(40)])
    path = write_json(tmp_path / "mid.json", records)
    with app.app_context():
        create, drop = _fail_after(db.engine.dialect.name, table, 1500)
        db.session.connection().exec_driver_sql(create)
        db.session.commit()
    before = everything(app)
    try:
        result = runner.invoke(args=["import", path])
        assert result.exit_code in (3, 4), result.output
        assert "nothing was stored" in result.output and "Traceback" not in result.output
        assert everything(app) == before
    finally:
        with app.app_context():
            db.session.connection().exec_driver_sql(drop)
            db.session.commit()
    # The same file without the fault: stored whole (the trigger above did fire in the middle).
    result = runner.invoke(args=["import", path])
    assert result.exit_code == 0, result.output
    after = everything(app)
    assert len(after["activities"]) - len(before["activities"]) == 3000
    assert len(after["outcomes"]) - len(before["outcomes"]) == 3000


def test_import_timings_name_each_step(app: Flask, runner, tmp_path: Path) -> None:
    """``stdpolicy import --timings``: how long each step took, on standard error; nothing else changes."""
    path = write_json(tmp_path / "t.json", drafting("TIM", 20))
    result = runner.invoke(args=["import", "--timings", path])
    assert result.exit_code == 0, result.output
    [line] = [line for line in result.stderr.splitlines() if line.startswith("timings: ")]
    steps = [part.split("=")[0] for part in line.removeprefix("timings: ").split(" (")[0].split()]
    assert steps == ["read", "validate", "fingerprints", "organisations", "store_activities", "evaluate",
                     "store_outcomes", "groups", "commit", "total"]
    assert "(20 records)" in line
    assert "stored 20 activities" in result.stdout and "timings" not in result.stdout
    again = runner.invoke(args=["import", path])  # without the option: no timings
    assert again.exit_code == 0 and "timings" not in again.output


@pytest.mark.parametrize("step", ["activities", "outcomes"])
def test_an_error_while_building_the_rows_stores_nothing(app: Flask, runner, tmp_path: Path, step: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The rows are built while they are sent: Python raising at row 1,500 (a plugin's value the store cannot take)
    aborts the COPY or the insert under way, and nothing of the import stays; the next import stores whole."""
    import core.store.activities as store_activities

    records = drafting("BLD", 3000, organisations=[(credit_code(800 + n), f"建行企业{n}") for n in range(40)])
    path = write_json(tmp_path / "build.json", records)
    before = everything(app)
    calls = {"n": 0}
    real = store_activities.group_key if step == "activities" else store_activities._shared

    def failing(*args: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1500:
            raise RuntimeError("a value the store cannot take")
        return real(*args)

    monkeypatch.setattr(store_activities, "group_key" if step == "activities" else "_shared", failing)
    result = runner.invoke(args=["import", path])
    assert calls["n"] == 1500
    assert result.exit_code != 0 and "Traceback" not in result.output, result.output
    monkeypatch.undo()
    assert everything(app) == before
    again = runner.invoke(args=["import", path])
    assert again.exit_code == 0, again.output
    after = everything(app)
    assert len(after["activities"]) - len(before["activities"]) == 3000


def test_an_import_that_grows_the_register_much_has_its_statistics_sampled(app: Flask, runner, tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL: the planner knows the rows an import added at once (``refresh_statistics``), not a minute later
    after autovacuum; the quick sample's setting does not outlive it. SQLite: nothing to do, nothing changes."""
    import core.store.activities as store_activities

    monkeypatch.setattr(store_activities, "_STATISTICS_AFTER", 10)
    path = write_json(tmp_path / "s.json", drafting("STAT", 40))
    result = runner.invoke(args=["import", path])
    assert result.exit_code == 0, result.output
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            assert db.session.scalar(select(func.count()).select_from(ActivityRecord)) == 40
            return
        assert db.session.execute(select(func.count()).select_from(ActivityRecord)).scalar() == 40
        tuples = dict(db.session.execute(sa_text(
            "SELECT relname, reltuples FROM pg_class WHERE relname IN ('activities', 'outcomes')")).all())
        assert tuples["activities"] == 40 and tuples["outcomes"] >= 40
        assert db.session.execute(sa_text("SHOW default_statistics_target")).scalar() != "10"
    small = write_json(tmp_path / "few.json", drafting("FEW", 3, start=40))  # a tenth of the register: no
    assert runner.invoke(args=["import", small]).exit_code == 0
    with app.app_context():
        tuples = dict(db.session.execute(sa_text("SELECT relname, reltuples FROM pg_class WHERE relname = 'activities'")).all())
        assert tuples["activities"] == 40
