"""Re-measure the register planner's thresholds (core/store/register/thresholds.py) on 100,000 activities.

Each threshold chooses between two shapes of the same query; this script
times both shapes on either side of it, in this process (SQLite runs in
it, so CPU time — steadier than wall time on a shared machine — is what a
page costs), and prints where one overtakes the other. Both shapes must
return the same ids: it stops with an error when they do not.

    /work/venv/bin/python benchmarks/load_admin.py --reuse /tmp/lc100k --prepare-only   # the instance, once
    /work/venv/bin/python benchmarks/register_thresholds.py /tmp/lc100k [--repeat 5]

The output is Markdown. Figures: median CPU milliseconds of ``--repeat``
interleaved runs (the two shapes alternate).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def cpu_ms(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median CPU milliseconds of ``repeat`` runs of ``run`` (after one untimed run), and its result."""
    result = run()
    times = []
    for _ in range(repeat):
        start = time.process_time()
        run()
        times.append((time.process_time() - start) * 1000)
    return statistics.median(times), result


def interleaved(a: Callable[[], Any], b: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Median CPU ms of ``a`` and of ``b``, run alternately; their results must agree."""
    first, second = a(), b()
    if first != second:
        sys.exit(f"the two shapes disagree: {str(first)[:200]} != {str(second)[:200]}")
    ta, tb = [], []
    for _ in range(repeat):
        for run, times in ((a, ta), (b, tb)):
            start = time.process_time()
            run()
            times.append((time.process_time() - start) * 1000)
    return statistics.median(ta), statistics.median(tb)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    print("| " + " | ".join(headers) + " |")
    print("|" + "|".join("---:" for _ in headers) + "|")
    for row in rows:
        print("| " + " | ".join(f"{c:.1f}" if isinstance(c, float) else f"{c:,}" if isinstance(c, int) else str(c)
                                for c in row) + " |")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("instance", type=Path, help="an instance prepared by load_admin.py --prepare-only")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ["STDPOLICY_INSTANCE_PATH"] = str(args.instance)
    os.environ.setdefault("STDPOLICY_SECRET_KEY", "register-thresholds-not-for-production")
    os.environ.pop("STDPOLICY_DATABASE_URL", None)

    from sqlalchemy import exists, func, select
    from sqlalchemy.orm import aliased

    from core.db import db
    from core.models import ActivityRecord, Organisation, OutcomeRecord
    from core.store.register import thresholds
    from core.store.register.filters import build_plan
    from core.store.register.plan import Plan, conditions, count_matching
    from core.store.register.scope import RegisterFilter, Scope
    from core.store.register.sql import not_indexed
    from webadmin import create_app

    repeat = args.repeat
    app = create_app()
    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(ActivityRecord))
        kinds = sorted(db.session.scalars(select(ActivityRecord.kind).distinct()))
        print(f"### Register thresholds: {total:,} activities (SQLite {db.session.connection().dialect.server_version_info})\n")
        print(f"- {time.strftime('%Y-%m-%d %H:%M')}, load average {os.getloadavg()[0]:.2f}; median CPU ms of {repeat} "
              "interleaved runs\n")
        org_ids = list(db.session.scalars(select(Organisation.id).order_by(Organisation.id)))
        per_org = dict(db.session.execute(select(ActivityRecord.organisation_id, func.count()).group_by(
            ActivityRecord.organisation_id)).all())

        def organisations_for(n: int) -> int:
            """The highest organisation id such that organisations up to it report about ``n`` activities."""
            seen = 0
            for org in org_ids:
                seen += per_org.get(org, 0)
                if seen >= n:
                    return org
            return org_ids[-1]

        def org_plan(n: int) -> Plan:
            """A plan with one filter matching about ``n`` activities: the county filter's shape, on a range of organisations."""
            last = organisations_for(n)
            organisations = select(Organisation.id).where(Organisation.id <= last).correlate(None)
            drive = ActivityRecord.organisation_id.in_(organisations)
            plan = Plan()
            plan.add(select(ActivityRecord.id).where(drive), not_indexed(ActivityRecord.organisation_id).in_(organisations),
                     drive, lambda: db.session.scalar(select(func.count()).select_from(ActivityRecord).where(drive)) or 0)
            return plan

        newest_first = (ActivityRecord.date.desc(), ActivityRecord.id.desc())

        # -- FEW --------------------------------------------------------------------------------
        print("#### `FEW`: one sorted pass over every match, or a count and a walk of the date index\n")
        print("Page 1 and the middle page of a one-filter list of *n* activities. *Sorted pass*: every "
              "matching id and date through the filter's index (LIMIT FEW + 1), sorted here: count and page "
              "at once. *Count + walk*: the filter's count, then the date index walked newest first (oldest "
              "first past the middle), each id looked up in the filter's set.\n")
        rows = []
        for n in (500, 1000, 2000, 3000, 4000, 6000, 10000, 20000):
            plan = org_plan(n)
            matches = count_matching(plan)

            def sorted_pass(page: int, plan: Plan = plan, matches: int = matches) -> list[int]:
                found = db.session.execute(select(ActivityRecord.id, ActivityRecord.date)
                                           .where(*plan.driven()).limit(matches + 1)).all()
                found.sort(key=lambda r: (str(r[1]), r[0]), reverse=True)
                return [r[0] for r in found][(page - 1) * 50:page * 50]

            def count_walk(page: int, plan: Plan = plan, matches: int = matches) -> list[int]:
                count_matching(Plan(sets=plan.sets, row_tests=plan.row_tests, drives=plan.drives, tests=plan.tests,
                                    sizes=plan.sizes, weights=plan.weights))
                offset = (page - 1) * 50
                end = min(offset + 50, matches)
                backwards = offset > matches - end
                order = (ActivityRecord.date.asc(), ActivityRecord.id.asc()) if backwards else newest_first
                ids = list(db.session.scalars(select(ActivityRecord.id).where(*conditions(plan, few=False))
                                              .order_by(*order).limit(end - offset)
                                              .offset(matches - end if backwards else offset)))
                return ids[::-1] if backwards else ids

            middle = max(1, matches // 100)
            s1, w1 = interleaved(lambda: sorted_pass(1), lambda: count_walk(1), repeat)
            sm, wm = interleaved(lambda: sorted_pass(middle), lambda: count_walk(middle), repeat)
            rows.append([matches, s1, w1, sm, wm])
        table(["n matching", "sorted pass, page 1", "count + walk, page 1", "sorted pass, middle page",
               "count + walk, middle page"], rows)

        # -- SHORT_WALK ----------------------------------------------------------------------------
        print("#### `SHORT_WALK`: a walk of the date index testing each row, or probing a set built once\n")
        print("One filter (a county's ~14 % of the activities, and the paid outcomes' ~34 %); pages further "
              "in make the walk read more rows before the page is full. *Rows read* is (skip + 50) × "
              "all / matching, what the planner expects.\n")
        county = db.session.scalar(select(Organisation.region_code).group_by(Organisation.region_code)
                                   .order_by(func.count().desc()).limit(1))
        rows = []
        for label, filt in (("county", RegisterFilter(county=county)), ("paid only", RegisterFilter(paid_only=True))):
            plan = build_plan(Scope(kinds, ["reward_tiers"]), filt)
            matches = count_matching(plan)
            for page in (1, 5, 20, 50, 100, 200):
                skip = (page - 1) * 50
                if skip + 50 > matches // 2:
                    break
                read = int((skip + 50) * total / matches)

                def walk(rows_: bool, plan: Plan = plan, skip: int = skip) -> list[int]:
                    return list(db.session.scalars(select(ActivityRecord.id).where(*conditions(plan, few=False, rows=rows_))
                                                   .order_by(*newest_first).limit(50).offset(skip)))

                tr, ts = interleaved(lambda: walk(True), lambda: walk(False), repeat)
                rows.append([label, page, read, tr, ts])
        table(["filter", "page", "rows read", "row tests", "set built once"], rows)

        # -- PROBE_ABOVE ---------------------------------------------------------------------------
        print("#### `PROBE_ABOVE`: the paid test on the rows another filter drives: a look-up per row, or the set built once\n")
        paid = aliased(OutcomeRecord)
        current_paid = (OutcomeRecord.superseded_at.is_(None), OutcomeRecord.plugin.in_(["reward_tiers"]),
                        OutcomeRecord.amount > 0)
        paid_ids = select(OutcomeRecord.activity_id).where(*current_paid).correlate(None)
        row_test = exists().where(paid.activity_id == ActivityRecord.id, paid.superseded_at.is_(None),
                                  not_indexed(paid.plugin).in_(["reward_tiers"]), paid.amount > 0)
        probe = not_indexed(ActivityRecord.id).in_(paid_ids)
        rows = []
        for n in (1000, 3000, 6000, 10000, 15000, 25000, 40000):
            last = organisations_for(n)
            drive = ActivityRecord.organisation_id.in_(select(Organisation.id).where(Organisation.id <= last))

            def counted(test: Any, drive: Any = drive) -> int:
                return db.session.scalar(select(func.count()).select_from(ActivityRecord).where(drive, test)) or 0

            reach = db.session.scalar(select(func.count()).select_from(ActivityRecord).where(drive))
            tr, tp = interleaved(lambda: counted(row_test), lambda: counted(probe), repeat)
            rows.append([reach, tr, tp])
        table(["rows reaching the test", "look-up per row", "set built once, probed"], rows)

        # -- SEARCH_WEIGHT -------------------------------------------------------------------------
        print("#### `SEARCH_WEIGHT`: reading through a search's ids against another filter's index, per id\n")
        rows = []
        for label, q in (("organisation name (2 characters)", "嘉兴"), ("standard number", "GB/T 4")):
            search = build_plan(Scope(kinds, ["reward_tiers"]), RegisterFilter(q=q))
            n_search = count_matching(search)
            start = time.process_time()
            for _ in range(repeat):
                db.session.scalar(select(func.count()).select_from(ActivityRecord).where(search.drives[0]))
            per_search = (time.process_time() - start) * 1000 / repeat / max(1, n_search) * 1000
            rows.append([label, n_search, per_search])
        plan = org_plan(14000)
        n_org = count_matching(plan)
        start = time.process_time()
        for _ in range(repeat):
            db.session.scalar(select(func.count()).select_from(ActivityRecord).where(plan.drives[0]))
        per_org_id = (time.process_time() - start) * 1000 / repeat / max(1, n_org) * 1000
        rows.append(["organisations' index range (a county's shape)", n_org, per_org_id])
        table(["driving set", "ids", "µs CPU per id"], rows)

        # -- EXPORT_CHUNK --------------------------------------------------------------------------
        print("#### `EXPORT_CHUNK`: rows fetched at a time by an export of the whole register\n")
        from core.store.register import export_rows

        rows = []
        for chunk in (500, 2000, 10000):
            def export(chunk: int = chunk) -> int:
                return sum(1 for _ in export_rows(__import__("core.app", fromlist=["x"]).get_registry(),
                                                  ["reward_tiers"], chunk=chunk))
            ms, count = cpu_ms(export, 1)
            tracemalloc.start()
            export()
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            rows.append([chunk, count, ms, peak])
        table(["chunk", "rows", "CPU ms", "peak MiB (tracemalloc)"], rows)
        print(f"Current values: FEW {thresholds.FEW}, SHORT_WALK {thresholds.SHORT_WALK}, PROBE_ABOVE "
              f"{thresholds.PROBE_ABOVE}, SEARCH_WEIGHT {thresholds.SEARCH_WEIGHT}, EXPORT_CHUNK {thresholds.EXPORT_CHUNK}.")


if __name__ == "__main__":
    main()
