"""Issue #13: re-evaluation after one parameter change, incremental against the full one before it.

Prints, in one run (Markdown on standard output, progress on standard error):

1. **re-evaluation after a parameter change**: ``stdpolicy reevaluate`` of
   100,000 stored activities after ``stdpolicy params set KEY VALUE --from
   DAY``, this code (incremental: only the activities that read the changed
   parameter, in whole evaluation groups) and the baseline (``--baseline
   DIR``, the code before: every activity), each on its own copy of one
   database, interleaved; wall, CPU, peak RSS (``os.wait4``); then the
   stored outcomes of both copies are compared (every current outcome's
   activity, plugin and signature: amount, explanation, parameters read …)
   and must be identical;
2. **the parameter preview** (what the admin's Parameters page shows before
   recording a version): ``core.services.preview_parameter`` in a fresh
   process on each tree, the call's wall and CPU time, and the two previews
   must be equal;
3. **a full re-evaluation** with this code (``stdpolicy reevaluate --full``):
   wall, CPU, peak RSS.

The default change is ``reward_tiers.award.third`` (third prizes of the
standard innovation award) from 2024-01-01: about 1 % of the generated
activities read it (the count is printed).

The 100,000 activities (``generate.py``) are imported once, by the
baseline code, into a fresh SQLite instance kept in ``--workdir`` (the
import takes minutes) and re-evaluated once as a whole (an import words
some held outcomes differently from a re-evaluation: a record without its
organisation's name, which the register knows from another record); each
round copies that database file. This code's
copies are upgraded to its schema (``stdpolicy db upgrade``) and re-evaluated
once before the change, which stores the activities' group keys (the
one-off cost after the upgrade is printed too; a new import stores them).

Usage::

    /work/venv/bin/python benchmarks/reevaluate.py --baseline /work/baseline-9cd4ca3
    /work/venv/bin/python benchmarks/reevaluate.py --baseline /work/baseline-9cd4ca3 --n 20000 --repeat 1
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from generate import DEFAULT_SEED, generate, write_records  # noqa: E402
from reworded import reworded_row  # noqa: E402

_MAIN = "import sys; from webadmin.cli import main; sys.exit(main())"
_SIGNATURE = ("activity_id", "plugin", "plugin_version", "rule", "amount", "clause", "explanation_zh",
              "explanation_en", "parameters", "status", "dedup_key", "details", "reference_data")
_PREVIEW = """
import json, resource, sys, time
from datetime import date
from core.app import create_app, get_registry
from core.services.parameters import preview_parameter
app = create_app()
with app.app_context():
    registry = get_registry()
    key, value, day = sys.argv[1], sys.argv[2], date.fromisoformat(sys.argv[3])
    preview_parameter(registry, key, value, day)  # warm: imports, first queries
    cpu0, t0 = time.process_time(), time.perf_counter()
    p = preview_parameter(registry, key, value, day)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    print(json.dumps({"wall": wall, "cpu": cpu, "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      "preview": [p.activities, p.changed, p.current_total, p.new_total, sorted(p.failures)]}))
"""


_REEVALUATE = """
import inspect, json, sys, time
from core.app import create_app, get_registry
from core.services import reevaluate_outcomes
app = create_app()
with app.app_context():
    registry = get_registry()
    options = {}
    if "incremental" in inspect.signature(reevaluate_outcomes).parameters:
        options["incremental"] = sys.argv[1] == "incremental"
    cpu0, t0 = time.process_time(), time.perf_counter()
    done = reevaluate_outcomes(registry, actor="cli:benchmark", **options)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    print(json.dumps({"call_wall": wall, "call_cpu": cpu, "line": f"{done.activities} activities evaluated, "
                      f"{done.changed} changed, {done.unchanged} unchanged; {done.run.outcomes_superseded} "
                      f"outcomes superseded, {done.run.outcomes_added} added"}))
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def environment(tree: Path, instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STDPOLICY_")}
    env.update(PYTHONPATH=str(tree), STDPOLICY_INSTANCE_PATH=str(instance), STDPOLICY_SECRET_KEY="benchmark",
               STDPOLICY_ADMIN_PASSWORD="benchmark-password-7f3a9c", STDPOLICY_ACTOR="cli:benchmark",
               STDPOLICY_LOCK_TIMEOUT="600")
    return env


def run(tree: Path, instance: Path, *args: str, code: str | None = None) -> dict[str, Any]:
    """``stdpolicy ARGS`` (or ``python -c CODE ARGS``) from ``tree``, unmeasured: its wall time and output."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code or _MAIN, *args], cwd=tree, env=environment(tree, instance),
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[:2])} ({tree}) failed with {done.returncode}:\n{done.stderr[-3000:]}")
    return {"wall": time.perf_counter() - start, "stdout": done.stdout, "stderr": done.stderr}


def sqlite_file(instance: Path) -> Path:
    return instance / "stdpolicy.sqlite"


def signatures(instance: Path, baseline: bool = False) -> list[tuple]:
    """The current outcomes; the baseline's as this code words them (``benchmarks/reworded.py``)."""
    with sqlite3.connect(sqlite_file(instance)) as connection:
        rows = connection.execute(
            f"SELECT {', '.join(_SIGNATURE)} FROM outcomes WHERE superseded_at IS NULL").fetchall()
    if baseline:
        rows = [reworded_row(row, _SIGNATURE) for row in rows]
    return sorted(tuple(json.dumps(json.loads(v), sort_keys=True) if isinstance(v, str) and v[:1] in "[{" else v
                        for v in row) for row in rows)


def readers(instance: Path, key: str) -> int:
    with sqlite3.connect(sqlite_file(instance)) as connection:
        return connection.execute("SELECT COUNT(DISTINCT activity_id) FROM outcomes WHERE superseded_at IS NULL "
                                  "AND parameters LIKE ?", (f'%"{key}"%',)).fetchone()[0]


def measured(tree: Path, instance: Path, how: str) -> dict[str, Any]:
    """A re-evaluation (``how``: incremental or full) in a process of its own: the call's wall and CPU time,
    and the whole process's (start-up included: ``os.wait4``) wall, CPU and peak RSS."""
    argv = [sys.executable, "-c", _REEVALUATE, how]
    start = time.perf_counter()
    with open(os.devnull, "w") as sink:
        process = subprocess.Popen(argv, cwd=tree, env=environment(tree, instance), stdout=subprocess.PIPE, stderr=sink,
                                   text=True)
        assert process.stdout is not None
        anon = 0.0
        while True:  # (the output is one short line: the pipe never fills)
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            anon = max(anon, _rss_anon_mb(process.pid))
            time.sleep(0.05)
        process.returncode = os.waitstatus_to_exitcode(status)
        out = process.stdout.read()
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"reevaluate ({tree}) failed with {os.waitstatus_to_exitcode(status)}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss": usage.ru_maxrss / 1024, "anon": anon,
            **json.loads(out.strip().splitlines()[-1])}


def _rss_anon_mb(pid: int) -> float:
    """The process's anonymous resident memory (its heap: not the database file SQLite maps into memory)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", type=Path, required=True, help="the code before (a git archive)")
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--key", default="reward_tiers.award.third")
    parser.add_argument("--value", default="450000")
    parser.add_argument("--day", default="2024-01-01")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp") / f"stdpolicy-reevaluate-{os.getuid()}")
    args = parser.parse_args(argv)
    base = args.baseline.resolve()
    trees = {"this": ROOT, "baseline": base}
    work = args.workdir / f"n{args.n}-s{args.seed}"
    work.mkdir(parents=True, exist_ok=True)
    for tree in trees.values():
        subprocess.run([sys.executable, "-m", "compileall", "-q", "core", "plugins", "webadmin"], cwd=tree,
                       capture_output=True)

    seeded = work / "seeded"
    if not sqlite_file(seeded).exists():
        data = work / "activities.jsonl"
        log(f"generating {args.n} activities")
        with open(data, "w", encoding="utf-8") as out:
            write_records(generate(args.n, seed=args.seed), out, lines=True)
        partial = work / "seeding"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
        log("init and import with the baseline code (once; minutes)")
        run(base, partial, "init")
        done = run(base, partial, "import", str(data))
        log(f"imported in {done['wall']:.1f} s")
        partial.rename(seeded)
    if not (seeded / "settled").exists():
        # An import words some outcomes as the file gives them (an organisation's name missing from a record);
        # a re-evaluation as the register holds them. Both trees start from what re-evaluating everything leaves.
        log("re-evaluating everything once with the baseline code (once)")
        run(base, seeded, "reevaluate")
        (seeded / "settled").touch()

    lines = [f"# Re-evaluation after one parameter change ({args.n:,} stored activities, SQLite)", "",
             f"- change: `{args.key}` = {args.value} from {args.day}; load average at the start {load()} "
             f"({len(os.sched_getaffinity(0))} CPUs)"]
    results: dict[str, list[dict[str, Any]]] = {"this": [], "baseline": [], "full": [], "fill": []}
    previews: dict[str, list[dict[str, Any]]] = {"this": [], "baseline": []}
    checked = False
    for round_ in range(args.repeat):
        copies = {}
        for name in ("this", "baseline"):
            instance = work / f"{name}-{round_}"
            shutil.rmtree(instance, ignore_errors=True)
            shutil.copytree(seeded, instance)
            copies[name] = instance
        run(ROOT, copies["this"], "db", "upgrade")
        results["fill"].append(measured(ROOT, copies["this"], "incremental"))  # stores the group keys: nothing changed
        if round_ == 0:
            lines.append(f"- activities that read `{args.key}`: {readers(copies['this'], args.key):,} "
                         f"({readers(copies['this'], args.key) / args.n:.1%})")
        order = ("this", "baseline") if round_ % 2 == 0 else ("baseline", "this")
        for name in order:
            log(f"round {round_ + 1}: preview, {name}")
            p = json.loads(run(trees[name], copies[name], args.key, args.value, args.day, code=_PREVIEW)["stdout"])
            previews[name].append(p)
        if previews["this"][-1]["preview"] != previews["baseline"][-1]["preview"]:
            raise SystemExit(f"the previews differ: {previews['this'][-1]['preview']} != "
                             f"{previews['baseline'][-1]['preview']}")
        for name in order:
            run(trees[name], copies[name], "params", "set", args.key, args.value, "--from", args.day,
                "--reason", "benchmark", "--reference", "benchmark")
        for name in order:
            log(f"round {round_ + 1}: reevaluate, {name} (load {load()})")
            results[name].append(measured(trees[name], copies[name], "incremental"))
            log(f"  {results[name][-1]['line']}")
        if signatures(copies["this"]) != signatures(copies["baseline"], baseline=True):
            raise SystemExit("the stored outcomes differ after the re-evaluations")
        checked = True
        log(f"round {round_ + 1}: full re-evaluation, this (load {load()})")
        results["full"].append(measured(ROOT, copies["this"], "full"))
        if signatures(copies["this"]) != signatures(copies["baseline"], baseline=True):
            raise SystemExit("the stored outcomes differ after the full re-evaluation")
        for instance in copies.values():
            shutil.rmtree(instance, ignore_errors=True)

    def best(rows: list[dict[str, Any]], what: str) -> float:
        return min(r[what] for r in rows)

    lines += [f"- load average at the end {load()}; figures are the best of {args.repeat} interleaved rounds "
              "(the machine is shared: CPU time is the steadier figure)", "",
              "| | this | baseline | ratio |", "|---|---|---|---|"]
    for label, key in (("the call, wall (s)", "call_wall"), ("the call, CPU (s)", "call_cpu"),
                       ("the process, wall (s)", "wall"), ("the process, CPU (s)", "cpu"),
                       ("the process, peak RSS (MB)", "rss"),
                       ("the process, peak anonymous RSS (MB, sampled)", "anon")):
        mine, theirs = best(results["this"], key), best(results["baseline"], key)
        lines.append(f"| reevaluate after the change: {label} | {mine:.2f} | {theirs:.2f} | {theirs / mine:.1f}× |")
    for label, key in (("wall (s)", "wall"), ("CPU (s)", "cpu")):
        mine, theirs = best(previews["this"], key), best(previews["baseline"], key)
        lines.append(f"| parameter preview (the call), {label} | {mine:.3f} | {theirs:.3f} | {theirs / mine:.1f}× |")
    full = min(results["full"], key=lambda r: r["call_cpu"])
    lines.append(f"| full re-evaluation (nothing to change), the call: wall / CPU (s) | {full['call_wall']:.2f} / "
                 f"{full['call_cpu']:.2f} | | |")
    lines.append(f"| full re-evaluation, the process: peak RSS / anonymous RSS (MB) | {best(results['full'], 'rss'):.0f}"
                 f" / {best(results['full'], 'anon'):.0f} | | |")
    fill = min(results["fill"], key=lambda r: r["call_cpu"])
    lines.append(f"| first reevaluate after `db upgrade` (stores {args.n:,} group keys), the call: wall / CPU (s) | "
                 f"{fill['call_wall']:.2f} / {fill['call_cpu']:.2f} | | |")
    lines += ["", f"- this: {results['this'][-1]['line']}",
              f"- baseline: {results['baseline'][-1]['line']}",
              f"- preview (activities, changed, current total, new total): {previews['this'][-1]['preview'][:4]}",
              "- stored outcomes identical (this, baseline, and after the full re-evaluation): "
              + ("yes" if checked else "not checked")]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
