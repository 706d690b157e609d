"""Issue #13: ``stdpolicy import`` of 100,000 activities into a fresh instance, this code beside the baseline.

Prints Markdown on standard output (progress on standard error): for SQLite,
and for PostgreSQL when ``--pg URL`` (or ``STDPOLICY_DATABASE_URL``) names
a server, the wall time, CPU time and peak RSS of ``stdpolicy import FILE``
into a fresh ``stdpolicy init`` instance, for this code and the baseline
tree (``--baseline``, a ``git archive`` of the code before; run from its
sources with ``PYTHONPATH``, on this interpreter), ``--repeat`` rounds
interleaved (each round imports with both trees, each into an instance of
its own), the ratio of the medians, and this code's split
(``stdpolicy import --timings``: read, validate, fingerprints,
organisations, store_activities, evaluate, store_outcomes, groups,
commit; *startup* is the rest of the wall time).

After the first round the two instances' tables the import writes
(activities, outcomes, organisations and their names, evaluation runs, the
audit log) are dumped as the database holds them — PostgreSQL's text of
each value, SQLite's value — and must be identical, but for the times of
day (columns of a date-time type, compared only for being empty or not).
The benchmark stops if they differ.

CPU time is the command's own (``os.wait4``): on PostgreSQL the server's
work (COPY, index updates) is not in it, and is in the wall time.

Usage::

    python benchmarks/import_bulk.py --baseline /work/baseline-9cd4ca3 --pg postgresql+psycopg://postgres@127.0.0.1:55432/x
    python benchmarks/import_bulk.py --n 20000 --repeat 1      # quicker; SQLite only without a URL
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import os
import platform
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from bench_evaluate import cpu_model, run_measured  # noqa: E402
from generate import DEFAULT_SEED, generate, write_records  # noqa: E402
from reworded import NEW_VERSION, OLD_VERSION, REWORDED, reworded_english  # noqa: E402

_MAIN = "import sys; from webadmin.cli import main; sys.exit(main())"
#: The tables an import writes.
TABLES = ("organisations", "organisation_names", "evaluation_runs", "activities", "outcomes", "audit_log")
PHASES = ("read", "validate", "fingerprints", "organisations", "store_activities", "evaluate", "store_outcomes",
          "groups", "commit")
TARGETS = {"SQLite": 6.0, "PostgreSQL": 10.0}
#: Columns this code stores that the baseline's schema has not: not compared (core migration 0013).
ADDED_COLUMNS = {"group_key"}
#: How the baseline's import named the other party of a rank conflict whose record gives no organisation
#: name; this code names it as the register does (as a re-evaluation always did). Such explanations may differ.
_UNNAMED = ("统一社会信用代码为", "the organisation with credit code ", '"organisation": null')


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def spread(values: Sequence[float], digits: int = 2) -> str:
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def environment(tree: Path, instance: Path, url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STDPOLICY_")}
    env.update(PYTHONPATH=str(tree), STDPOLICY_INSTANCE_PATH=str(instance), STDPOLICY_SECRET_KEY="benchmark",
               STDPOLICY_ADMIN_PASSWORD="benchmark-password-7f3a9c", STDPOLICY_ACTOR="cli:benchmark")
    if url:
        env["STDPOLICY_DATABASE_URL"] = url
    return env


def command(*args: str) -> list[str]:
    return [sys.executable, "-c", _MAIN, *args]


# -- PostgreSQL databases of their own ---------------------------------------------------------------


def _pg_connect(url: str, database: str) -> Any:
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return psycopg.connect(host=u.host or "localhost", port=u.port or 5432, user=u.username, password=u.password,
                           dbname=database, autocommit=True)


@contextmanager
def pg_database(url: str, name: str) -> Iterator[str]:
    """A new, empty database on ``url``'s server, dropped at the end; its URL."""
    from sqlalchemy.engine import make_url

    with _pg_connect(url, "postgres") as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with _pg_connect(url, "postgres") as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- the stored rows ----------------------------------------------------------------------------------


def dump(url: str | None, instance: Path) -> dict[str, list[tuple[Any, ...]]]:
    """The import's tables as the database holds them; date-time values only as empty or not."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    if url:
        from sqlalchemy.engine import make_url

        with _pg_connect(url, make_url(url).database or "") as connection:
            for table in TABLES:
                columns = connection.execute(
                    "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s "
                    "AND table_schema = 'public' ORDER BY ordinal_position", (table,)).fetchall()
                selected = ", ".join(
                    f"({name} IS NULL)" if kind.startswith("timestamp") else f"{name}::text" for name, kind in columns
                    if name not in ADDED_COLUMNS)
                found[table] = [tuple(r) for r in connection.execute(f"SELECT {selected} FROM {table} ORDER BY id")]
        return found
    with sqlite3.connect(instance / "stdpolicy.sqlite") as connection:
        for table in TABLES:
            columns = connection.execute(f"PRAGMA table_info({table})").fetchall()
            selected = ", ".join(
                f"({c[1]} IS NULL)" if c[2].upper() in ("DATETIME", "TIMESTAMP") else f"{c[1]}, typeof({c[1]})"
                for c in columns if c[1] not in ADDED_COLUMNS)
            found[table] = [tuple(r) for r in connection.execute(f"SELECT {selected} FROM {table} ORDER BY id")]
    return found


def compare(dumps: dict[str, dict[str, list[tuple[Any, ...]]]]) -> str:
    """One line saying the stored rows are identical (with their counts and digest), or stop."""
    (first_name, first), *others = dumps.items()
    renamed = reworded = rekeyed = 0
    for name, other in others:
        for table in TABLES:
            if first[table] != other[table]:
                rows = [(a, b) for a, b in zip(first[table], other[table]) if a != b]
                if table == "outcomes" and len(first[table]) == len(other[table]):
                    # Differences the rules were changed to make, column by column (_explained).
                    kept = []
                    for a, b in rows:
                        reasons = _explained(a, b)
                        if reasons is None:
                            kept.append((a, b))
                        else:
                            renamed += "named" in reasons
                            reworded += "reworded" in reasons
                            rekeyed += "keyed" in reasons
                    rows = kept
                    if not rows:
                        continue
                example = rows[0] if rows else f"{len(first[table])} rows against {len(other[table])}"
                raise SystemExit(f"stored rows differ in {table} between {first_name} and {name}: {example}")
    digest = hashlib.sha256(repr([first[t] for t in TABLES]).encode()).hexdigest()[:16]
    counts = ", ".join(f"{t} {len(first[t]):,}" for t in TABLES)
    named = (f"; {renamed:,} outcomes name the other party of a rank conflict as the register does where the "
             "baseline's import wrote the unnamed form") if renamed else ""
    named += (f"; {reworded:,} outcomes of {', '.join(sorted(REWORDED))} in their reworded English (dates, clause "
              "numbers) and version 1.0.1") if reworded else ""
    named += (f"; {rekeyed:,} outcomes of a standard written without /T keyed by its /T spelling (8bb0131: "
              "GB, GB/T and GB/Z are one series)") if rekeyed else ""
    return f"identical ({counts}; sha256 {digest}…, date-times compared as set or empty{named})"


def _explained(a: tuple[Any, ...], b: tuple[Any, ...]) -> set[str] | None:
    """Why two outcome rows differ, column by column, or ``None`` when a column's difference is none of these.

    - ``named``: one names the other party (texts, details) where the
      baseline's import wrote the unnamed form;
    - ``reworded``: a reworded plugin's version and English explanation
      (``REWORDED``);
    - ``keyed``: the one-time key's spelling of one standard. Since 8bb0131 a
      national, industry or local number's key takes the recommended marker
      (``standard:…:DB33/ 2304-2022`` is keyed ``standard:…:DB33/T
      2304-2022``), so that the codes of one series are paid once; the
      baseline keyed the number as written.

    A row may differ for more than one reason (a key respelt in a row that
    now names the other party), each in its own column.
    """
    reworded_row = bool(set(a) & REWORDED)
    reasons: set[str] = set()
    for x, y in zip(a, b):
        if x == y:
            continue
        if reworded_row and ({x, y} == {OLD_VERSION, NEW_VERSION} or (
                isinstance(x, str) and isinstance(y, str) and (y == reworded_english(x) or x == reworded_english(y)))):
            reasons.add("reworded")
        elif isinstance(x, str) and isinstance(y, str) and _one_key(x, y):
            reasons.add("keyed")
        elif isinstance(x, str) and isinstance(y, str) and any(u in x or u in y for u in _UNNAMED):
            reasons.add("named")
        else:
            return None
    return reasons


def _one_key(x: str, y: str) -> bool:
    """Two one-time keys of the same organisation's same standard, spelt differently."""
    from core import standard_identity  # this code's own: run from the checkout

    def edition(key: str) -> tuple[str, str] | None:
        kind, sep, rest = key.partition(":")
        credit_code, sep2, code = rest.partition(":")
        if kind != "standard" or not sep or not sep2:
            return None
        try:
            return credit_code, standard_identity(code, 0).key
        except ValueError:
            return None

    found = edition(x)
    return found is not None and found == edition(y)


# -- the runs -----------------------------------------------------------------------------------------


def check_tree(tree: Path) -> None:
    """Run from ``tree``, Python imports the tree's own ``core`` (not the installed one)."""
    found = subprocess.run([sys.executable, "-c", "import core; print(core.__file__)"], cwd=tree,
                           env=environment(tree, tree / "no-instance", None), capture_output=True, text=True,
                           check=True).stdout.strip()
    if not found.startswith(str(tree)):
        raise SystemExit(f"{tree}: imports {found}, not its own core")


def import_once(tree: Path, this: bool, data: Path, workdir: Path, label: str, url: str | None,
                keep_dump: bool) -> tuple[dict[str, Any], dict[str, list[tuple[Any, ...]]] | None]:
    """``stdpolicy init`` then ``stdpolicy import`` (both by ``tree``) into a fresh instance."""
    instance = workdir / f"instance-{label}"
    # Each tree initialises its own instance: the schema moved on (0013 added activities.group_key), and a
    # tree refuses a database migrated beyond what it knows.
    init = subprocess.run(command("init"), cwd=tree, env=environment(tree, instance, url), capture_output=True, text=True)
    if init.returncode != 0:
        raise SystemExit(f"init ({label}): exit status {init.returncode}: {init.stderr[-2000:]}")
    argv = command("import", *(["--timings"] if this else []), str(data))
    here = os.getcwd()
    os.chdir(tree)  # ``python -c`` puts the working folder first on sys.path: the tree's own core, not this one
    try:
        measured = run_measured(argv, environment(tree, instance, url), workdir / f"{label}.json")
    finally:
        os.chdir(here)
    if measured["rc"] != 0:
        raise SystemExit(f"import ({label}): exit status {measured['rc']}: {measured['stderr'][-2000:]}")
    stored = dump(url, instance) if keep_dump else None
    subprocess.run(["rm", "-rf", str(instance)], check=False)
    return measured, stored


def database_runs(name: str, trees: dict[str, Path], data: Path, workdir: Path, repeat: int,
                  server: str | None) -> tuple[dict[str, list[dict[str, Any]]], str]:
    found: dict[str, list[dict[str, Any]]] = {t: [] for t in trees}
    check = ""
    for round_ in range(repeat):
        dumps = {}
        for tree_name, tree in trees.items():
            label = f"{name}-{round_}-{'this' if tree == ROOT else 'base'}"
            log(f"{name}: round {round_ + 1}, {tree_name}")
            if server:
                with pg_database(server, f"bench_import_{os.getpid()}_{label.lower().replace('-', '_')}") as url:
                    measured, stored = import_once(tree, tree == ROOT, data, workdir, label, url, round_ == 0)
            else:
                measured, stored = import_once(tree, tree == ROOT, data, workdir, label, None, round_ == 0)
            found[tree_name].append(measured)
            if stored is not None:
                dumps[tree_name] = stored
        if round_ == 0 and len(dumps) > 1:
            check = compare(dumps)
        elif round_ == 0:
            check = "not compared (no baseline)"
    return found, check


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, help="the code before (e.g. /work/baseline-9cd4ca3)")
    parser.add_argument("--pg", default=os.environ.get("STDPOLICY_DATABASE_URL"),
                        help="a PostgreSQL URL: its server gets a database per run (default: $STDPOLICY_DATABASE_URL)")
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds per database")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args(argv)

    trees = {"this code": ROOT}
    if args.baseline:
        trees = {"baseline": args.baseline.resolve(), "this code": ROOT}
    for tree in trees.values():
        check_tree(tree)
        compileall.compile_dir(str(tree), quiet=1, workers=1, rx=re.compile(r"/(\.venv|node_modules|tests|\.git)/"))
    databases: list[tuple[str, str | None]] = [] if args.skip_sqlite else [("SQLite", None)]
    if args.pg:
        databases.append(("PostgreSQL", args.pg))

    out: list[str] = []
    add = out.append
    add(f"### stdpolicy import of {args.n:,} activities\n")
    add(f"- machine: {len(os.sched_getaffinity(0))} CPUs ({cpu_model()}), Linux {platform.release()}; Python "
        f"{platform.python_version()}; load average {os.getloadavg()[0]:.2f} at start (shared: read wall times with care)")
    with tempfile.TemporaryDirectory(prefix="stdpolicy-import-bench-") as tmp:
        workdir = Path(tmp)
        data = workdir / f"activities-{args.n}.jsonl"
        with data.open("w", encoding="utf-8") as f:
            write_records(generate(args.n), f, lines=True)
        add(f"- data: `generate({args.n})`, seed {DEFAULT_SEED}, JSON Lines, {data.stat().st_size / 2**20:.1f} MiB; "
            f"each import into a fresh `stdpolicy init` instance; {args.repeat} interleaved round(s)")
        for name, server in databases:
            runs, check = database_runs(name, trees, data, workdir, args.repeat, server)
            add(f"\n**{name}**: stored rows {check}. Median (min–max):\n")
            add("| | wall s | CPU s (the command's) | peak RSS MB |")
            add("|---|---:|---:|---:|")
            for tree_name, values in runs.items():
                add(f"| {tree_name} | {spread([v['wall'] for v in values])} | {spread([v['cpu'] for v in values])} | "
                    f"{spread([v['rss_mb'] for v in values], 0)} |")
            if "baseline" in runs:
                base, this = runs["baseline"], runs["this code"]
                add(f"| **ratio baseline / this code** | **{statistics.median(v['wall'] for v in base) / statistics.median(v['wall'] for v in this):.2f}×** | "
                    f"{statistics.median(v['cpu'] for v in base) / statistics.median(v['cpu'] for v in this):.2f}× | |")
            phases = [v["phases"] for v in runs["this code"] if v["phases"]]
            if phases:
                add(f"\nThis code's split (`--timings`, wall s, median of {len(phases)}; startup = the rest):\n")
                add("| " + " | ".join(["startup", *PHASES]) + " |")
                add("|" + "---:|" * (len(PHASES) + 1))
                startup = statistics.median(v["wall"] - v["phases"].get("total", 0.0) for v in runs["this code"])
                add("| " + " | ".join([f"{startup:.2f}", *(f"{statistics.median(p.get(k, 0.0) for p in phases):.2f}" for k in PHASES)]) + " |")
            wall = statistics.median(v["wall"] for v in runs["this code"])
            if args.n == 100_000:
                target = TARGETS[name]
                add(f"\n- target (issue #13) {name} ≤ {target:.0f} s wall: {'met' if wall <= target else 'MISSED'} ({wall:.2f} s)")
    add(f"- load average {os.getloadavg()[0]:.2f} at end")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
