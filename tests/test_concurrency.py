"""Concurrent commands: every stored outcome reflects what was in force when its command committed.

Real processes run the real ``stdpolicy`` side by side on one database:
imports, ``params set``, ``disable``/``enable`` and ``reevaluate``. Each
change is followed by a re-evaluation in the same process, as an
administrator would do; so once they have all finished, a further
``reevaluate`` must change nothing. Before the writer lock, an import that
read the parameters before a concurrent ``params set`` committed its
outcomes after that change's re-evaluation, and a later re-evaluation
changed them (3 runs of 3 on PostgreSQL), every command reporting success.

Two imports that both bring the same new organisation (under different
names) both succeed: one organisation, both names in its history.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from core.db import db
from core.models import ActivityRecord, Organisation, OrganisationName, OutcomeRecord
from core.store.organisations import ensure_organisations

from fault_support import KEY, credit_code, drafting, start_stdpolicy, stdpolicy, write_json

SHARED = credit_code(4242)


def _files(tmp_path: Path, n: int, size: int) -> list[str]:
    files = []
    for i in range(n):
        organisations = [(SHARED, f"共同新设有限公司{i}号名称"), *((credit_code(100 * i + k), f"企业{i}-{k}") for k in range(4))]
        files.append(write_json(tmp_path / f"import-{i}.json",
                                drafting(f"C{i}", size, start=i * size, organisations=organisations)))
    return files


def _run_all(url: str, instance: Path, scripts: list[list[list[str]]]) -> list[list[tuple[int, str, str]]]:
    """Each script (a list of commands) in its own thread, one process per command, all at once."""
    results: list[list[tuple[int, str, str]]] = [[] for _ in scripts]
    start = threading.Barrier(len(scripts))

    def run(n: int) -> None:
        start.wait()
        for args in scripts[n]:
            process = start_stdpolicy(url, instance, *args, env={"STDPOLICY_LOCK_TIMEOUT": "120"})
            out, err = process.communicate(timeout=300)
            results[n].append((process.returncode, out, err))

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(scripts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_imports_parameter_changes_switches_and_reevaluations_leave_nothing_stale(
        app: Flask, database_url: str, tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    files = _files(tmp_path, 3, 1500)
    scripts = [
        [["import", files[0]]],
        [["import", files[1]]],
        [["params", "set", KEY, "350000", "--from", "2024-01-01", "--reason", "raised", "--reference", "doc"],
         ["reevaluate"]],
        [["import", files[2]]],
        [["disable", "reward_tiers", "-d", "market_regulation"], ["reevaluate"],
         ["enable", "reward_tiers", "-d", "market_regulation"], ["reevaluate"]],
        [["reevaluate"]],
    ]
    results = _run_all(database_url, instance, scripts)
    for script, outcome in zip(scripts, results):
        for args, (code, out, err) in zip(script, outcome):
            assert code == 0, (args, err)

    final = stdpolicy(database_url, instance, "reevaluate")
    assert final.returncode == 0, final.stderr
    assert re.search(r"activities evaluated, 0 changed", final.stdout), final.stdout

    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ActivityRecord)) == 4500
        current = db.session.scalars(select(OutcomeRecord.amount).where(OutcomeRecord.superseded_at.is_(None))).all()
        assert len(current) == 4500 and set(current) == {350000}
        [shared] = db.session.scalars(select(Organisation).filter_by(credit_code=SHARED)).all()
        names = db.session.scalars(select(OrganisationName.name).filter_by(organisation_id=shared.id)
                                   .order_by(OrganisationName.id)).all()
        assert sorted(names) == sorted(f"共同新设有限公司{i}号名称" for i in range(3))
        assert shared.name == names[-1]  # the latest imported is current


def test_two_imports_creating_the_same_new_organisation_both_succeed(app: Flask, database_url: str,
                                                                    tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    files = _files(tmp_path, 2, 300)
    results = _run_all(database_url, instance, [[["import", files[0]]], [["import", files[1]]]])
    for [(code, out, err)] in results:
        assert code == 0, err
        assert "IntegrityError" not in err and "Traceback" not in err
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Organisation).filter_by(credit_code=SHARED)) == 1
        assert db.session.scalar(select(func.count()).select_from(ActivityRecord)) == 600
    renamed = [out for [(code, out, err)] in results if "renamed" in out]
    assert len(renamed) == 1  # the second import found the first one's name and says so
    assert SHARED in renamed[0]


def test_an_organisation_created_by_another_connection_meanwhile_is_read_back(app: Flask) -> None:
    """The upsert itself: another transaction commits the same new credit code first (no lock taken here)."""
    from sqlalchemy import event

    from core.activities import Activity
    from datetime import date

    def activity(name: str, row: int) -> Activity:
        return Activity("standard_drafting", date(2024, 5, 1), SHARED, {}, ref=f"R{row}", organisation=name, row=row)

    with app.app_context():
        engine = db.engine

    def first(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        if statement.startswith("INSERT INTO organisations") and not done:
            done.append(True)
            # Another connection creates the organisation and commits, between our look-up and our insert.
            with engine.connect() as other:
                other.execute(Organisation.__table__.insert().values(
                    credit_code=SHARED, name="别人先建的名称", region_code=SHARED[2:8], created_at=date(2024, 1, 1)))
                other.commit()

    done: list[bool] = []
    with app.app_context():
        event.listen(engine, "before_cursor_execute", first)
        try:
            ids, changes = ensure_organisations([activity("我们的名称", 1)], source="f.json", actor="tests", run=None)
            db.session.commit()
        finally:
            event.remove(engine, "before_cursor_execute", first)
        assert done
        [org] = db.session.scalars(select(Organisation).filter_by(credit_code=SHARED)).all()
        assert ids == {SHARED: org.id}
        assert org.name == "我们的名称"
        names = db.session.scalars(select(OrganisationName.name).filter_by(organisation_id=org.id)).all()
        assert names == ["我们的名称"]


def test_a_parameter_change_during_an_import_waits_for_it(app: Flask) -> None:
    """Threads with their own connections, the race forced: the import pauses after reading the parameters.

    Without the writer lock the change and its re-evaluation land in that
    pause, the import then stores outcomes computed with the old value, and
    a later re-evaluation changes every one of them. With it, the change
    waits for the import to commit.
    """
    from sqlalchemy import event

    from core.app import get_registry
    from core.services import import_activities, record_parameter, reevaluate_outcomes

    records = drafting("T", 200)
    reached, changed = threading.Event(), threading.Event()
    errors: list[BaseException] = []
    with app.app_context():
        engine = db.engine

    def pause(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        # The import's first write: everything it computes from has been read.
        if threading.current_thread().name == "importer" and statement.startswith("INSERT INTO evaluation_runs") \
                and not reached.is_set():
            reached.set()
            changed.wait(timeout=2)

    def importer() -> None:
        try:
            with app.app_context():
                assert import_activities(get_registry(), records, source="t.json", actor="importer").ok
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    def changer() -> None:
        try:
            assert reached.wait(timeout=60)
            with app.app_context():
                registry = get_registry()
                record_parameter(registry, KEY, {"value": "350000", "effective_from": "2024-01-01", "reason": "r",
                                                 "reference": "doc"}, actor="changer", source="cli")
                reevaluate_outcomes(registry, actor="changer")
            changed.set()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    app.config["STDPOLICY_LOCK_TIMEOUT"] = 60
    event.listen(engine, "before_cursor_execute", pause)
    try:
        threads = [threading.Thread(target=importer, name="importer"), threading.Thread(target=changer)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        event.remove(engine, "before_cursor_execute", pause)
    assert not errors, errors

    with app.app_context():
        done = reevaluate_outcomes(get_registry(), actor="check")
        assert (done.activities, done.changed) == (200, 0)
        current = db.session.scalars(select(OutcomeRecord.amount).where(OutcomeRecord.superseded_at.is_(None))).all()
        assert sorted(set(current)) == [350000]


def test_an_import_validated_before_a_parameter_change_is_validated_again_under_the_lock(app: Flask) -> None:
    """The import validates before it takes the lock; a version recorded in between makes it validate again."""
    from sqlalchemy import event

    from core.app import get_registry
    from core.services import import_activities, record_parameter

    pilot = {"id": "P-1", "kind": "pilot_project", "date": "2024-05-01", "credit_code": credit_code(7),
             "pilot_level": "national", "accepted": True, "granted_amount": 300000, "project": "试点"}
    with app.app_context():
        engine = db.engine
    lowered: list[bool] = []

    def lower_the_cap_first(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        if threading.current_thread().name == "importer" and not lowered and (
                statement.startswith("BEGIN IMMEDIATE") or "pg_advisory_xact_lock" in statement):
            lowered.append(True)

            def lower() -> None:
                with app.app_context():
                    record_parameter(get_registry(), "reward_tiers.pilot_cap.national",
                                     {"value": "250000", "effective_from": "2024-01-01", "reason": "lowered",
                                      "reference": "doc"}, actor="changer", source="cli")

            other = threading.Thread(target=lower)
            other.start()
            other.join()

    results = []

    def importer() -> None:
        with app.app_context():
            results.append(import_activities(get_registry(), [pilot], source="p.json", actor="importer"))

    event.listen(engine, "before_cursor_execute", lower_the_cap_first)
    try:
        thread = threading.Thread(target=importer, name="importer")
        thread.start()
        thread.join(timeout=60)
    finally:
        event.remove(engine, "before_cursor_execute", lower_the_cap_first)
    assert lowered
    [result] = results
    assert not result.ok
    [invalid] = result.report.invalid
    assert [e.field for e in invalid.errors] == ["granted_amount"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ActivityRecord)) == 0
