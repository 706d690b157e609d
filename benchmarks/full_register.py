"""Everyday commands on a register that already holds many activities, this code beside a baseline tree.

The issue #13 benchmarks start from an empty register. A city's register is
not empty: applications are evaluated and imported against what it holds,
and parameters change from a date. Here each tree (this code, and
``--baseline DIR``: e.g. ``git archive 4466a98``) builds a register (SQLite;
with ``--pg URL`` a PostgreSQL database of its own on that server) of
``--n`` generated activities (``stdpolicy import``, seed fixed; on
PostgreSQL then ``ANALYZE``, as autovacuum would soon after), and then,
on copies of it, runs and measures (wall, CPU, peak RSS; Markdown on
standard output, progress on standard error):

- ``evaluate`` of ``--n`` other generated records (JSON Lines) against it;
- ``evaluate`` of 3 records against it;
- ``import`` of ``--small`` other records (200), then ``reevaluate --full``
  with this code: how many outcomes the import left different from what
  re-evaluating everything gives (0: none);
- ``reevaluate --since 2022-01-01``;
- ``whatif --set reward_tiers.lead.national=350000 --from 2024-01-01``.

Outputs are compared between the trees: the what-if's must be the same;
the evaluation's may differ where a held reason names one of two records
of the same earlier edition (this code names the one recorded first, as a
re-evaluation of everything does: reward_tiers' series order); the count
of differing results is printed.

Usage::

    git archive 4466a98 | (mkdir -p /tmp/stdpolicy-4466a98 && tar -x -C /tmp/stdpolicy-4466a98)
    python benchmarks/full_register.py --baseline /tmp/stdpolicy-4466a98          # ~6 minutes
    python benchmarks/full_register.py --baseline /tmp/stdpolicy-4466a98 --n 20000
    python benchmarks/full_register.py --baseline /tmp/stdpolicy-4466a98 \
        --pg postgresql+psycopg://postgres@127.0.0.1:55432/stdpolicy
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_evaluate import cpu_model, run_measured  # noqa: E402
from generate import DEFAULT_SEED, generate, write_records  # noqa: E402
from import_bulk import _pg_connect  # noqa: E402
from import_bulk import environment as tree_environment  # noqa: E402

_MAIN = "import sys; from webadmin.cli import main; sys.exit(main())"
#: The seed of the records evaluated and imported against the register (not the register's).
OTHER_SEED = 99
_CHANGED = re.compile(r"(\d+) changed")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Register:
    """Where a register is kept: an instance folder and, on PostgreSQL, a database of its own."""

    def __init__(self, folder: Path, pg: str | None, name: str) -> None:
        self.folder, self.pg, self.name = folder, pg, name
        self.url = None
        if pg is not None:
            from sqlalchemy.engine import make_url

            self.url = make_url(pg).set(database=name).render_as_string(hide_password=False)

    def create(self, template: Register | None = None) -> Register:
        shutil.rmtree(self.folder, ignore_errors=True)
        if template is not None:
            shutil.copytree(template.folder, self.folder)
        else:
            self.folder.mkdir(parents=True)
        if self.pg is not None:
            with _pg(self.pg) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
                admin.execute(f'CREATE DATABASE "{self.name}"'
                              + (f' TEMPLATE "{template.name}"' if template is not None else ""))
        return self

    def analyse(self) -> None:
        """PostgreSQL: ``ANALYZE`` the register, as autovacuum does within a minute or two of a large import
        (the baseline's import leaves that to it): both trees are then measured on the same statistics."""
        if self.pg is not None:
            with _pg(self.pg, self.name) as connection:
                connection.execute("ANALYZE")

    def copy(self, name: str) -> Register:
        return Register(self.folder.parent / name, self.pg, f"{self.name}_{name}").create(self)

    def drop(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        if self.pg is not None:
            with _pg(self.pg) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def _pg(url: str, database: str = "postgres") -> Any:
    """An autocommit connection to ``database`` on ``url``'s server."""
    return _pg_connect(url, database)


def environment(tree: Path, register: Register) -> dict[str, str]:
    return tree_environment(tree, register.folder, register.url)


def check_tree(tree: Path) -> None:
    """Stop unless ``python -c`` started in ``tree`` imports that tree's core (not this checkout's)."""
    found = subprocess.run([sys.executable, "-c", "import core; print(core.__file__)"], cwd=tree,
                           env=environment(tree, Register(tree, None, "")), capture_output=True, text=True,
                           check=True).stdout.strip()
    if not Path(found).resolve().is_relative_to(tree):
        raise SystemExit(f"{tree}: python imports {found}, not the tree's own core")


def run(tree: Path, register: Register, work: Path, label: str, *args: str, keep: bool = False) -> dict[str, Any]:
    here = os.getcwd()
    os.chdir(tree)  # ``python -c`` puts the working folder first on sys.path: the tree's own core
    try:
        measured = run_measured([sys.executable, "-c", _MAIN, *args], environment(tree, register),
                                work / f"{label}.json", keep_stdout=keep)
    finally:
        os.chdir(here)
    if measured["rc"] not in (0, 1):
        raise SystemExit(f"{label}: exit {measured['rc']}\n{measured['stderr'][-2000:]}")
    return measured


def write(path: Path, records: list[dict[str, Any]]) -> Path:
    with open(path, "w", encoding="utf-8") as out:
        write_records(records, out, lines=True)
    return path


def differing_lines(a: Path, b: Path) -> int:
    with open(a, "rb") as fa, open(b, "rb") as fb:
        left, right = fa.read().splitlines(), fb.read().splitlines()
    return sum(x != y for x, y in zip(left, right)) + abs(len(left) - len(right))


def cell(m: dict[str, Any]) -> str:
    return f"{m['wall']:.2f} s, {m['rss_mb']:.0f} MB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, required=True, help="the tree to compare with")
    parser.add_argument("--n", type=int, default=100_000, help="activities in the register (and evaluated)")
    parser.add_argument("--small", type=int, default=200, help="records of the small import")
    parser.add_argument("--work", type=Path, default=None, help="work here and keep it (default: a temporary folder)")
    parser.add_argument("--pg", default=None, help="a PostgreSQL server's URL: each register a database of its own there")
    args = parser.parse_args(argv)
    trees = {"this code": ROOT, "baseline": args.baseline.resolve()}
    for tree in trees.values():
        compileall.compile_dir(str(tree), quiet=1, workers=1)
        check_tree(tree)
    work = (args.work or Path(tempfile.mkdtemp(prefix="stdpolicy-full-register-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    log(f"generating {args.n} + {args.n} records in {work}")
    register = write(work / "register.jsonl", generate(args.n, seed=DEFAULT_SEED))
    others = generate(args.n, seed=OTHER_SEED)
    for record in others:
        record["id"] = "NEW-" + str(record["id"])
    later = write(work / "later.jsonl", others)
    small = write(work / "small.jsonl", others[:args.small])
    three = write(work / "three.jsonl", others[:3])

    results: dict[str, dict[str, Any]] = {}
    for name, tree in trees.items():
        r: dict[str, Any] = {}
        label = name.replace(" ", "_")
        base = Register(work / label / "register", args.pg, f"stdpolicy_fr_{label}").create()
        run(tree, base, work, f"{name}-init", "init")
        log(f"{name}: importing the register")
        r["build"] = run(tree, base, work, f"{name}-build", "import", str(register))
        base.analyse()
        log(f"{name}: evaluate {args.n} against it")
        r["evaluate"] = run(tree, base, work, f"{name}-evaluate", "evaluate", str(later), "--format", "jsonl", keep=True)
        r["three"] = run(tree, base, work, f"{name}-three", "evaluate", str(three), "--format", "jsonl")
        log(f"{name}: import {args.small}, then reevaluate --full (this code)")
        small_register = base.copy("small")
        r["small"] = run(tree, small_register, work, f"{name}-small", "import", str(small))
        if tree != ROOT:  # the baseline's schema may be behind this code's (0014): migrated first, not measured
            run(ROOT, small_register, work, f"{name}-small-upgrade", "db", "upgrade")
        full = run(ROOT, small_register, work, f"{name}-small-full", "reevaluate", "--full", keep=True)
        found = _CHANGED.search(Path(full["stdout_path"]).read_text(encoding="utf-8") + full["stderr"])
        if found is None:
            raise SystemExit(f"{name}: reevaluate --full did not say how many changed")
        r["left_changed"] = int(found.group(1))
        small_register.drop()
        log(f"{name}: reevaluate --since 2022-01-01")
        since_register = base.copy("since")
        r["since"] = run(tree, since_register, work, f"{name}-since", "reevaluate", "--since", "2022-01-01")
        since_register.drop()
        log(f"{name}: whatif")
        r["whatif"] = run(tree, base, work, f"{name}-whatif", "whatif", "--set", "reward_tiers.lead.national=350000",
                          "--from", "2024-01-01", keep=True)
        base.drop()
        results[name] = r

    this, before = results["this code"], results["baseline"]
    evaluated_differ = differing_lines(this["evaluate"]["stdout_path"], before["evaluate"]["stdout_path"])
    whatif_same = Path(this["whatif"]["stdout_path"]).read_bytes() == Path(before["whatif"]["stdout_path"]).read_bytes()
    if not whatif_same:
        raise SystemExit("the what-if's output differs between the trees")
    out = print
    out(f"## A register of {args.n:,} activities ({'PostgreSQL' if args.pg else 'SQLite'})\n")
    out(f"- machine: {cpu_model()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load {os.getloadavg()[0]:.1f}; baseline tree {args.baseline}")
    out(f"- register: `generate({args.n})`, seed {DEFAULT_SEED}, imported by each tree into its own instance "
        f"({cell(before['build'])} baseline, {cell(this['build'])} this code)")
    out(f"- evaluated and imported against it: `generate({args.n}, seed={OTHER_SEED})`, ids prefixed `NEW-`\n")
    out("| command | baseline | this code |")
    out("|---|---:|---:|")
    out(f"| `evaluate` {args.n:,} records (JSON Lines) | {cell(before['evaluate'])} | {cell(this['evaluate'])} |")
    out(f"| `evaluate` 3 records | {cell(before['three'])} | {cell(this['three'])} |")
    out(f"| `import` {args.small} records | {cell(before['small'])} | {cell(this['small'])} |")
    out(f"| … outcomes a re-evaluation of everything then changes | {before['left_changed']} | {this['left_changed']} |")
    out(f"| `reevaluate --since 2022-01-01` | {cell(before['since'])} | {cell(this['since'])} |")
    out(f"| `whatif --set reward_tiers.lead.national=350000 --from 2024-01-01` | {cell(before['whatif'])} | "
        f"{cell(this['whatif'])} |")
    out(f"\n- the what-if's output: the same bytes; the evaluation's: {evaluated_differ} of {args.n:,} results differ "
        "(a held reason naming the other of two records of one earlier edition)")
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
