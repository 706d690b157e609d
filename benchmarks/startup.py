"""Issue #13, part B: start-up of ``stdpolicy evaluate``, beside its baseline, and where its time goes.

Prints, in one run (Markdown on standard output, progress on standard error):

1. **start-up**: wall and CPU (``os.wait4``) of ``stdpolicy evaluate`` of a
   tiny file (docs/examples/activities.json), median (min–max) of ``--runs``
   runs, interleaved with the same command of the baseline tree
   (``--baseline``: the code before part B, e.g. /work/baseline-9cd4ca3),
   ``python -c pass`` and the **libraries alone** (``import click, flask,
   flask_sqlalchemy, sqlalchemy.orm, marshmallow, yaml, pluggy``: what any
   evaluate that reads the database through the ORM pays before core's first
   line); after a checked run of each tree whose outputs must be the same bytes;
2. **where the time goes**: CPU time of each step in a fresh interpreter
   (the libraries, core's modules, the models, loading the plugins, the run
   itself), the minimum over ``--steps-runs`` interleaved runs, for each tree.

Both trees are byte-compiled first (an installed package has its ``.pyc``
files; this machine sets ``PYTHONDONTWRITEBYTECODE``). They share one
database, initialised by this code (``stdpolicy init``).

Usage::

    .venv/bin/python benchmarks/startup.py --baseline /work/baseline-9cd4ca3
    .venv/bin/python benchmarks/startup.py --runs 5        # quicker, no baseline
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_evaluate import cpu_model  # noqa: E402
from reworded import reworded_document  # noqa: E402
from startup_and_output import TINY, check_tree, command, environment, log, median, spread  # noqa: E402

PASS = "python -c pass"
LIBRARIES = "libraries alone"
_LIBRARIES = "import click, flask, flask_sqlalchemy, sqlalchemy.orm, marshmallow, yaml, pluggy"


def _argv(name: str, trees: dict[str, Path]) -> tuple[list[str], dict[str, str], Path] | None:
    return None if name in trees else ([sys.executable, "-c", "pass" if name == PASS else _LIBRARIES],
                                       dict(os.environ), ROOT)


def measure(trees: dict[str, Path], instances: dict[str, Path], runs: int) -> dict[str, list[tuple[float, float]]]:
    """(wall, CPU) of each run of each row, interleaved; the first round warms the page cache and is dropped."""
    found: dict[str, list[tuple[float, float]]] = {PASS: [], LIBRARIES: [], **{name: [] for name in trees}}
    for round_ in range(runs + 1):
        for name in found:
            plain = _argv(name, trees)
            if plain is None:
                argv, env, cwd = command(trees[name], "evaluate", str(TINY)), environment(trees[name], instances[name]), trees[name]
            else:
                argv, env, cwd = plain
            start = time.perf_counter()
            proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            error = proc.stderr.read().decode() if proc.stderr else ""
            if os.waitstatus_to_exitcode(status) != 0:
                raise SystemExit(f"{name}: exit status {os.waitstatus_to_exitcode(status)}: {error}")
            if round_:
                found[name].append((wall, usage.ru_utime + usage.ru_stime))
    return found


def same_output(trees: dict[str, Path], instances: dict[str, Path]) -> int:
    """Each tree's output of the tiny file: the same bytes (else stop), the baseline's as this code words it
    (``reworded.py``: the one deliberate change since); their length."""
    outputs = {name: subprocess.run(command(tree, "evaluate", str(TINY)), cwd=tree, env=environment(tree, instances[name]),
                                    capture_output=True, check=True).stdout for name, tree in trees.items()}
    outputs = {name: out if name == "this code" else reworded_document(out.decode("utf-8")).encode("utf-8")
               for name, out in outputs.items()}
    if len(set(outputs.values())) != 1:
        raise SystemExit(f"the outputs differ: { {k: len(v) for k, v in outputs.items()} }")
    return len(next(iter(outputs.values())))


#: Run in a fresh interpreter: the start-up in steps, CPU time (``time.process_time``) at the end of each.
_PHASES = r"""
import time, sys
laps = [("interpreter", time.process_time())]
def lap(name): laps.append((name, time.process_time()))
import click, webadmin.cli; lap("click, the launcher")
getattr(webadmin.cli, "_pause_collector", lambda: None)()  # as the launcher does first (where it does)
import sqlalchemy, sqlalchemy.orm; lap("SQLAlchemy (with its ORM)")
import flask, flask_sqlalchemy; lap("Flask, Flask-SQLAlchemy (Werkzeug, Jinja2)")
import marshmallow; lap("marshmallow")
import yaml, pluggy; lap("PyYAML, pluggy")
import core; lap("core (the plugin API: activities, kinds, parameters ...)")
import core.models; lap("core.models (declaring the ORM models)")
import core.app, core.cli.activities, webadmin.clifaults; lap("the command (core.cli, core.store, core.services)")
import core.registry
registry = core.registry.load_registry(); lap("loading the plugins (their modules, YAML, checks)")
core.app.load_registry = lambda **kw: registry
try:
    webadmin.cli.main(["evaluate", sys.argv[1]], prog_name="stdpolicy")
except SystemExit:
    pass
lap("the run (application, database reads, validation, evaluation, output)")
sys.stderr.write("\n".join(f"{n}\t{t}" for n, t in laps) + "\n")
"""


def where_the_time_goes(trees: dict[str, Path], instances: dict[str, Path], runs: int) -> dict[str, dict[str, float]]:
    """CPU seconds of each step of each tree's start-up (the minimum of ``runs``, interleaved), by step."""
    best: dict[str, dict[str, float]] = {}
    for _ in range(runs):
        for tree_name, tree in trees.items():
            done = subprocess.run([sys.executable, "-c", _PHASES, str(TINY)], cwd=tree, env=environment(tree, instances[tree_name]),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True)
            previous = 0.0
            for line in done.stderr.strip().splitlines()[-11:]:
                name, at = line.rsplit("\t", 1)
                step = best.setdefault(name, {})
                step[tree_name] = min(step.get(tree_name, 1e9), float(at) - previous)
                previous = float(at)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, help="the code before part B (e.g. /work/baseline-9cd4ca3)")
    parser.add_argument("--runs", type=int, default=15, help="interleaved runs of each row")
    parser.add_argument("--steps-runs", type=int, default=5)
    args = parser.parse_args(argv)

    trees = {"this code": ROOT}
    if args.baseline:
        trees["baseline"] = args.baseline.resolve()
    for tree in trees.values():
        compileall.compile_dir(str(tree), quiet=1, workers=1, rx=re.compile(r"/(\.venv|node_modules|tests|\.git)/"))
    out: list[str] = []
    add = out.append
    add("### stdpolicy: start-up of `stdpolicy evaluate`\n")
    add(f"- machine: {len(os.sched_getaffinity(0))} CPUs ({cpu_model()}), Linux {platform.release()}; Python "
        f"{platform.python_version()}; load average {os.getloadavg()[0]:.2f} at start (shared with other jobs: "
        "wall times are noisy, CPU times less so)")
    with tempfile.TemporaryDirectory(prefix="stdpolicy-startup-") as tmp:
        # Each tree initialises its own instance: the schema moved on (migration 0013), and a tree
        # refuses a database migrated beyond what it knows.
        instances = {name: Path(tmp) / f"instance-{i}" for i, name in enumerate(trees)}
        for name, tree in trees.items():
            log(f"init ({name})")
            subprocess.run(command(tree, "init"), cwd=tree, env=environment(tree, instances[name]), check=True,
                           capture_output=True)
            check_tree(tree, environment(tree, instances[name]))
        size = same_output(trees, instances)
        log(f"start-up: {args.runs} interleaved rounds")
        runs = measure(trees, instances, args.runs)
        add(f"\n`stdpolicy evaluate {TINY.relative_to(ROOT)}` ({size:,} bytes of JSON, the same from every tree), "
            f"{args.runs} interleaved runs each, median (min–max):\n")
        add("| | wall s | CPU s | CPU vs baseline |")
        add("|---|---:|---:|---:|")
        base = median([c for _, c in runs["baseline"]]) if "baseline" in runs else None
        for name, values in runs.items():
            cpu = median([c for _, c in values])
            label = {PASS: "`python -c pass`", LIBRARIES: f"libraries alone (`{_LIBRARIES}`)"}.get(name, f"`stdpolicy evaluate`, {name}")
            ratio = f"{cpu / base:.2f}×" if base and name in trees else ""
            add(f"| {label} | {spread([w for w, _ in values])} | {spread([c for _, c in values])} | {ratio} |")

        log("where the time goes")
        steps = where_the_time_goes(trees, instances, args.steps_runs)
        names = list(trees)
        add(f"\nWhere the start-up goes: CPU ms of each step in a fresh interpreter, the minimum of "
            f"{args.steps_runs} interleaved runs for each step (so the sum is below a whole run's median):\n")
        add("| step | " + " | ".join(names) + " |")
        add("|---|" + "---:|" * len(names))
        for step, found in steps.items():
            add(f"| {step} | " + " | ".join(f"{found[n] * 1000:.0f}" for n in names) + " |")
        add("| sum | " + " | ".join(f"{sum(f[n] for f in steps.values()) * 1000:.0f}" for n in names) + " |")
    add(f"\n- load average {os.getloadavg()[0]:.2f} at end")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
