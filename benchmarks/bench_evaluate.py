"""Benchmark: evaluating 100,000 reward activities, in-process and through the CLI.

Not a test: it measures and prints, and checks correctness on the way (every
generated record validates; the framework and the plain function agree on
every amount; the CLI's output agrees with the in-process result).

    /work/venv/bin/python benchmarks/bench_evaluate.py              # 100,000 activities, 3 CLI runs
    /work/venv/bin/python benchmarks/bench_evaluate.py --n 20000 --repeat 5
    /work/venv/bin/python benchmarks/bench_evaluate.py --skip-cli  # in-process only

What it does (benchmarks/README.md explains every figure):

1. generates ``--n`` valid activities (``generate.py``, seeded);
2. validates them once in-process (``registry.validate``, timed on its own,
   not part of the ratio) and asserts none is invalid;
3. 5 × ``--repeat`` times, interleaved: the framework (``registry.evaluate`` of
   the ``reward_tiers`` plugin, shipped parameters, outcomes with
   explanations) and ``plain_amounts`` below (the same amounts, no
   framework), both with the cyclic GC paused (the framework pauses it
   itself; the plain function gets the same treatment), and asserts both
   give the same amount for every activity;
4. measures peak memory of each with ``tracemalloc`` (a separate, untimed run);
5. writes the activities to a temporary JSON file, runs ``stdpolicy init``
   into a temporary instance folder, then ``stdpolicy evaluate --timings FILE``
   once to check its output (untimed warm-up) and ``--repeat`` times with
   standard output to ``/dev/null``, reading each run's wall time, CPU time
   and peak RSS (``os.wait4``) and its phase timings (``--timings``);
6. prints a Markdown report and whether each target is met.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import DEFAULT_SEED, generate, write_records  # noqa: E402

from core import Activity, load_registry  # noqa: E402
from core.evaluation import EvaluationContext  # noqa: E402
from core.gcpause import paused_gc  # noqa: E402

PLUGIN = "reward_tiers"

#: Targets of the issue.
TARGET_RATIO = 3.0
TARGET_CLI_SECONDS = 10.0
TARGET_CLI_MB = 500.0


# ---------------------------------------------------------------------------
# The plain function: the same amounts, without the framework
# ---------------------------------------------------------------------------

# The amounts of 三(二) as parameters.yaml ships them (integer yuan), in force
# from 2022-08-01. ``check_plain_tables`` compares them with the shipped
# parameters before anything is timed, so a changed YAML fails loudly here
# instead of as a mismatch of amounts.
POLICY_START = date(2022, 8, 1)
LEAD = {"international": 1_000_000, "national": 300_000, "industry": 200_000, "local": 200_000,
        "military": 200_000, "zhejiang_made": 200_000, "zhejiang_service": 200_000, "zhejiang_agri": 200_000}
PARTICIPATE = {"international": 300_000, "national": 150_000}
SECRETARIAT = {"international": 1_000_000, "national": 500_000, "provincial": 200_000}
AWARD = {"first": 1_000_000, "second": 800_000, "third": 500_000, "organization": 500_000}
PILOT_CAP = {"national": 300_000, "provincial": 200_000}
_TABLES = {"lead": LEAD, "participate": PARTICIPATE, "secretariat": SECRETARIAT, "award": AWARD, "pilot_cap": PILOT_CAP}


def plain_amounts(activities: Sequence[Activity]) -> list[int]:
    """The amount due for each activity under R1–R13, as plain Python.

    What a programmer would write without the framework: the tier tables as
    dicts, nothing before 2022-08-01, a leading drafter of a revision gets
    nothing, ranks 2–4 only for international and national standards, the
    one-time rule (the earliest report of the same organisation and standard,
    committee, or project is paid; an award or pilot without a project counts
    as the same prize or level in the same year), a pilot's granted amount up
    to the cap. No outcomes, no explanations, no parameter versions.
    """
    amounts = [0] * len(activities)
    # The earliest achievement is the one paid; input order breaks ties.
    order = sorted(range(len(activities)), key=lambda i: activities[i].date)
    paid: set[tuple[Any, ...]] = set()
    for i in order:
        activity = activities[i]
        if activity.date < POLICY_START:
            continue
        fields = activity.fields
        kind = activity.kind
        if kind == "standard_drafting":
            rank = fields["rank"]
            if rank == 1:
                if fields["revision"]:
                    continue
                amount = LEAD.get(fields["level"])
            elif rank <= 4:
                amount = PARTICIPATE.get(fields["level"])
            else:
                continue
            if amount is None:  # group and enterprise standards; rank 2–4 below national
                continue
            key: tuple[Any, ...] = ("standard", activity.credit_code, fields["standard_code"])
        elif kind == "tc_secretariat":
            amount = SECRETARIAT[fields["committee_level"]]
            key = ("committee", activity.credit_code, fields["committee_code"])
        elif kind == "innovation_award":
            amount = AWARD[fields["award"]]
            project = fields["project"]
            key = (("award", activity.credit_code, project) if project
                   else ("award", activity.credit_code, fields["award"], activity.date.year))
        elif kind == "pilot_project":
            if not fields["accepted"]:
                continue
            cap = PILOT_CAP[fields["pilot_level"]]
            granted = fields["granted_amount"]
            amount = cap if granted is None or granted > cap else granted
            project = fields["project"]
            key = (("pilot", activity.credit_code, project) if project
                   else ("pilot", activity.credit_code, fields["pilot_level"], activity.date.year))
        else:
            continue
        if key in paid:
            continue
        if amount:
            paid.add(key)
        amounts[i] = amount
    return amounts


def check_plain_tables(registry: Any) -> None:
    """The plain function's tables are the shipped parameters (one version each, from 2022-08-01)."""
    params = registry.default_parameters()
    for group, table in _TABLES.items():
        for name, amount in table.items():
            key = f"{PLUGIN}.{group}.{name}"
            history = params.history(key)
            shipped = [(v.effective_from, v.value) for v in history]
            if shipped != [(POLICY_START, amount)]:
                raise SystemExit(f"plain_amounts is out of date: {key} ships {shipped}, the benchmark assumes "
                                 f"{[(POLICY_START, amount)]}; update the tables in {__file__}")
    unknown = {k for k in registry.parameters if k.startswith(PLUGIN + ".")} - {
        f"{PLUGIN}.{g}.{n}" for g, t in _TABLES.items() for n in t}
    if unknown:
        raise SystemExit(f"plain_amounts does not know the parameters {sorted(unknown)}; update {__file__}")


# ---------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------

def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds of this process, result) of one call, GC paused."""
    gc.collect()
    with paused_gc():
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        return time.perf_counter() - wall, time.process_time() - cpu, result


def traced_peak(fn: Callable[[], Any]) -> float:
    """Peak bytes allocated by Python during ``fn()`` (tracemalloc), in MB."""
    gc.collect()
    tracemalloc.start()
    try:
        with paused_gc():
            result = fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del result
    return peak / 1e6


def maxrss_mb(ru_maxrss: int) -> float:
    # Linux reports kilobytes, macOS bytes.
    return ru_maxrss / 1e6 if sys.platform == "darwin" else ru_maxrss / 1024


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _spin(n: int = 3_000_000) -> None:
    x = 0
    for i in range(n):
        x += i


def two_process_speedup() -> float:
    """How much two CPU-bound processes get done at once, relative to one (2.0: two idle cores).

    Tells whether ``--workers 2`` can pay on this machine at this moment.
    """
    import multiprocessing

    context = multiprocessing.get_context("fork")
    one = []
    two = []
    for _ in range(3):
        start = time.perf_counter()
        _spin()
        one.append(time.perf_counter() - start)
        start = time.perf_counter()
        procs = [context.Process(target=_spin) for _ in range(2)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        two.append(time.perf_counter() - start)
    return 2 * median(one) / median(two)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f}" if seconds > 0 else "∞"


# ---------------------------------------------------------------------------
# The CLI
# ---------------------------------------------------------------------------

_TIMING = re.compile(r"(\w+)=([0-9.]+)s")


def stdpolicy_executable() -> str:
    beside = Path(sys.executable).with_name("stdpolicy")
    if beside.exists():
        return str(beside)
    found = shutil.which("stdpolicy")
    if not found:
        raise SystemExit("the stdpolicy console script was not found (pip install -e . in this venv)")
    return found


# The command is started by a small launcher process, not by this one: a child
# exec'd straight from a big process reports that process's peak RSS as its
# own (Linux carries the old address space's high-water mark over exec), and
# this process holds the activities. The launcher times the command and
# reads its rusage with os.wait4.
_LAUNCHER = """
import json, os, subprocess, sys, time
out, argv = sys.argv[1], sys.argv[2:]
with open(out + ".stdout", "wb") if out.endswith(".check") else open(os.devnull, "wb") as stdout:
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=stdout, stderr=open(out + ".stderr", "wb"))
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
with open(out, "w") as f:
    json.dump({"pid": proc.pid, "rc": os.waitstatus_to_exitcode(status), "wall": wall,
               "cpu": usage.ru_utime + usage.ru_stime, "maxrss": usage.ru_maxrss}, f)
"""


def _tree_memory(root: int) -> tuple[float, float]:
    """(sum of PSS, sum of RSS) in MB of ``root``'s descendants, from /proc."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    stat = f.read()
                parents[int(entry)] = int(stat[stat.rindex(b")") + 2:].split()[1])
            except (OSError, ValueError):
                continue
    tree, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - tree
        tree |= frontier
    pss = rss = 0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
        except OSError:
            continue
    return pss / 1024, rss / 1024


def run_measured(argv: list[str], env: dict[str, str], result_path: Path, *, keep_stdout: bool = False) -> dict[str, Any]:
    """Run a command; its exit code, wall time, CPU time, peak RSS, and sampled memory of its processes.

    Standard output goes to /dev/null, or to ``<result_path>.check.stdout``
    with ``keep_stdout``.
    """
    if keep_stdout:
        result_path = result_path.with_name(result_path.name + ".check")
    launcher = subprocess.Popen([sys.executable, "-c", _LAUNCHER, str(result_path), *argv], env=env)
    peak_pss = peak_rss_sum = 0.0
    sampling = Path("/proc/self/smaps_rollup").exists()
    while launcher.poll() is None:
        if sampling:
            pss, rss = _tree_memory(launcher.pid)
            peak_pss, peak_rss_sum = max(peak_pss, pss), max(peak_rss_sum, rss)
        time.sleep(0.1)
    measured = json.loads(result_path.read_text())
    stderr = Path(str(result_path) + ".stderr").read_text(encoding="utf-8", errors="replace")
    return {
        "rc": measured["rc"],
        "wall": measured["wall"],
        "cpu": measured["cpu"],
        "rss_mb": maxrss_mb(measured["maxrss"]),
        "pss_sum_mb": peak_pss if sampling else None,
        "rss_sum_mb": peak_rss_sum if sampling else None,
        "phases": {name: float(v) for name, v in _TIMING.findall(stderr.split("timings:", 1)[-1])} if "timings:" in stderr else {},
        "stderr": stderr,
        "stdout_path": Path(str(result_path) + ".stdout") if keep_stdout else None,
    }


def run_cli(records: list[dict[str, Any]], expected: dict[str, int], repeat: int, workdir: Path,
            settings: Sequence[int]) -> dict[str, Any]:
    """``stdpolicy evaluate`` with each ``--workers`` setting: one checked warm-up each, then
    ``repeat`` rounds, each running every setting once (interleaved)."""
    exe = stdpolicy_executable()
    data = workdir / "activities.json"
    with open(data, "w", encoding="utf-8") as out:
        write_records(records, out)
    env = dict(os.environ)
    env.update({
        "STDPOLICY_INSTANCE_PATH": str(workdir / "instance"),
        # Set so that init neither generates nor prints secrets.
        "STDPOLICY_SECRET_KEY": "benchmark-only-secret-key",
        "STDPOLICY_ADMIN_PASSWORD": "benchmark-only-password",
    })
    env.pop("STDPOLICY_DATABASE_URL", None)  # a fresh SQLite file in the temporary instance folder
    init = subprocess.run([exe, "init"], env=env, capture_output=True, text=True)
    if init.returncode != 0:
        raise SystemExit(f"stdpolicy init failed:\n{init.stdout}\n{init.stderr}")

    def command(workers: int) -> list[str]:
        return [exe, "evaluate", "--timings", "--workers", str(workers), str(data)]

    # Warm-up (page cache, .pyc files) and correctness: the output must agree
    # with the in-process result, and be the same bytes whatever --workers says.
    output_mb, digests = 0.0, {}
    for workers in settings:
        check = run_measured(command(workers), env, workdir / "run.json", keep_stdout=True)
        if check["rc"] != 0:
            raise SystemExit(f"stdpolicy evaluate exited with {check['rc']}:\n{check['stderr'][-3000:]}")
        out_path = check["stdout_path"]
        raw = out_path.read_bytes()
        digests[workers] = hashlib.sha256(raw).hexdigest()
        document = json.loads(raw)
        got = {item["id"]: item["amount"] for item in document["results"]}
        if document["invalid"] or got != expected:
            wrong = [k for k in expected if got.get(k) != expected[k]][:5]
            raise SystemExit(f"the CLI (--workers {workers}) disagrees with the in-process result "
                             f"(invalid: {document['invalid']}, e.g. {wrong})")
        output_mb = len(raw) / 1e6
        del raw, document, got
        out_path.unlink()
    if len(set(digests.values())) > 1:
        raise SystemExit(f"the CLI's output depends on --workers: {digests}")

    runs: dict[int, list[dict[str, Any]]] = {w: [] for w in settings}
    for i in range(repeat):
        for workers in settings:
            run = run_measured(command(workers), env, workdir / "run.json")
            if run["rc"] != 0:
                raise SystemExit(f"stdpolicy evaluate exited with {run['rc']}:\n{run['stderr'][-3000:]}")
            runs[workers].append(run)
            print(f"  CLI round {i + 1}/{repeat}, --workers {workers}: {run['wall']:.2f} s wall, {run['cpu']:.2f} s CPU, "
                  f"{run['rss_mb']:.0f} MB peak RSS", file=sys.stderr)
    return {"runs": runs, "input_mb": data.stat().st_size / 1e6, "output_mb": output_mb}


def cli_report(cli: dict[str, Any], n: int, repeat: int, add: Callable[[str], None]) -> list[tuple[str, bool, str]]:
    """The CLI tables; the verdicts on the targets."""
    settings = list(cli["runs"])

    def cell(values: list[float], fmt: str) -> str:
        return f"{median(values):{fmt}} ({min(values):{fmt}}–{max(values):{fmt}})" if values else "–"

    def column(metric: Callable[[dict[str, Any]], float | None], fmt: str) -> list[str]:
        return [cell([v for r in cli["runs"][w] if (v := metric(r)) is not None], fmt) for w in settings]

    add("")
    add(f"`stdpolicy evaluate --workers N FILE > /dev/null` (input {cli['input_mb']:.0f} MB JSON, output "
        f"{cli['output_mb']:.0f} MB, the same bytes for every N; SQLite instance from `stdpolicy init`). "
        f"{repeat} rounds after a checked warm-up, each round running every N once; median (min–max):")
    add("")
    add("| | " + " | ".join(f"`--workers {w}`" for w in settings) + " |")
    add("|---|" + "---:|" * len(settings))
    add("| wall s | " + " | ".join(column(lambda r: r["wall"], ".2f")) + " |")
    add("| CPU s (user + sys, all its processes) | " + " | ".join(column(lambda r: r["cpu"], ".2f")) + " |")
    add("| activities/s (median wall) | " + " | ".join(
        rate(n, median([r["wall"] for r in cli["runs"][w]])) for w in settings) + " |")
    add("| peak RSS MB (largest process, `wait4`) | " + " | ".join(column(lambda r: r["rss_mb"], ".0f")) + " |")
    add("| peak PSS MB, all its processes (sampled every 0.1 s) | " + " | ".join(column(lambda r: r["pss_sum_mb"], ".0f")) + " |")
    add("| peak RSS MB, all its processes summed (sampled) | " + " | ".join(column(lambda r: r["rss_sum_mb"], ".0f")) + " |")
    names = ["read", "validate", "evaluate", "write"]
    add("")
    add("Where the CLI's time goes (`--timings`, median wall s and share; *startup* is the rest: "
        "interpreter, imports, app and plugin loading, exit):")
    add("")
    add("| | startup | " + " | ".join(names) + " |")
    add("|---|" + "---:|" * (len(names) + 1))
    for w in settings:
        runs = [r for r in cli["runs"][w] if r["phases"]]
        if not runs:
            continue
        whole = median([r["wall"] for r in runs])
        values = [median([r["wall"] - r["phases"].get("total", 0.0) for r in runs]),
                  *(median([r["phases"].get(k, 0.0) for r in runs]) for k in names)]
        add(f"| `--workers {w}` | " + " | ".join(f"{v:.2f} ({v / whole:.0%})" for v in values) + " |")
    verdicts = []
    for w in settings:
        walls = [r["wall"] for r in cli["runs"][w]]
        rss = [r["rss_mb"] for r in cli["runs"][w]]
        pss = [r["pss_sum_mb"] for r in cli["runs"][w] if r["pss_sum_mb"] is not None]
        verdicts.append((f"`--workers {w}`: CLI on {n:,} activities under {TARGET_CLI_SECONDS:.0f} s (median wall)",
                         median(walls) < TARGET_CLI_SECONDS, f"{median(walls):.2f} s"))
        worst = max(max(rss), max(pss, default=0.0))
        verdicts.append((f"`--workers {w}`: CLI under {TARGET_CLI_MB:.0f} MB (largest of peak RSS and all processes' peak PSS)",
                         worst < TARGET_CLI_MB, f"{worst:.0f} MB"))
    return verdicts


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="number of activities (default 100000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed CLI runs (default 3); the in-process comparison runs 5x as many pairs")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"generator seed (default {DEFAULT_SEED})")
    parser.add_argument("--skip-cli", action="store_true", help="in-process figures only")
    parser.add_argument("--workers", default="1,2", metavar="N[,N…]",
                        help="the --workers settings of stdpolicy evaluate to compare, interleaved (default 1,2)")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep the files (default: a temporary folder)")
    args = parser.parse_args(argv)
    n, repeat = args.n, max(1, args.repeat)

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    load_at_start = os.getloadavg()
    t = time.perf_counter()
    records = generate(n, args.seed)
    generated_in = time.perf_counter() - t
    kinds = Counter(r["kind"] for r in records)
    progress(f"generated {n:,} activities in {generated_in:.1f} s")

    registry = load_registry()
    if PLUGIN not in registry.plugins:
        raise SystemExit(f"the {PLUGIN} plugin is not loaded: {registry.failures}")
    check_plain_tables(registry)

    # (a) Validation, once; not part of the ratio.
    wall, cpu = time.perf_counter(), time.process_time()
    report = registry.validate(records, registry.default_parameters())
    validation = (time.perf_counter() - wall, time.process_time() - cpu)
    if report.invalid:
        first = report.invalid[0]
        raise SystemExit(f"{len(report.invalid)} generated records are invalid, e.g. row {first.row} "
                         f"{first.record}: {[e.to_json() for e in first.errors]}")
    valid = report.valid
    assert len(valid) == n
    progress(f"validated in {validation[0]:.1f} s")

    # (b), (c) Framework and plain function, interleaved, GC paused for both.
    def framework() -> Any:
        context = EvaluationContext(parameters=registry.default_parameters())
        return registry.evaluate(valid, context, plugins=[PLUGIN])

    fw_runs: list[tuple[float, float]] = []
    plain_runs: list[tuple[float, float]] = []
    result = None
    in_process_repeat = 5 * repeat  # ~0.5 s a pair: more runs, steadier medians
    for i in range(in_process_repeat):
        result = None  # free the previous result outside the timing
        pw, pc, amounts = timed(lambda: plain_amounts(valid))
        plain_runs.append((pw, pc))
        fw, fc, result = timed(framework)
        fw_runs.append((fw, fc))
        progress(f"  in-process run {i + 1}/{in_process_repeat}: framework {fw:.3f} s, plain {pw:.3f} s")

    # Correctness: one outcome per activity, with an explanation; the same amounts.
    assert result is not None and not result.failures, result.failures if result else None
    assert len(result.outcomes) == n
    framework_amounts = {}
    for outcome in result.outcomes:
        assert outcome.explanation_zh and outcome.explanation_en and outcome.clause, outcome
        framework_amounts[id(outcome.activity)] = outcome.amount
    mismatches = [(a.ref, amounts[i], framework_amounts[id(a)]) for i, a in enumerate(valid) if amounts[i] != framework_amounts[id(a)]]
    if mismatches:
        raise SystemExit(f"plain_amounts disagrees with the framework on {len(mismatches)} activities, e.g. {mismatches[:5]}")
    expected = {a.ref: amounts[i] for i, a in enumerate(valid)}
    by_rule = Counter(o.rule for o in result.outcomes)
    zero_reasons = Counter((o.details or {}).get("reason", "paid") for o in result.outcomes)
    total = result.total_amount
    result = None

    # (d) Peak memory of the call itself (separate, untimed runs: tracemalloc is slow).
    fw_peak = traced_peak(framework)
    plain_peak = traced_peak(lambda: plain_amounts(valid))
    rss_in_process = maxrss_mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)

    # (e) The CLI end to end.
    cli = None
    settings = [int(w) for w in args.workers.split(",") if w.strip()]
    if not args.skip_cli:
        progress(f"CLI: writing {n:,} activities, stdpolicy init, a checked warm-up run and {repeat} timed runs "
                 f"for each of --workers {', '.join(map(str, settings))}")
        if args.keep:
            workdir = Path(args.keep)
            workdir.mkdir(parents=True, exist_ok=True)
            cli = run_cli(records, expected, repeat, workdir, settings)
        else:
            with tempfile.TemporaryDirectory(prefix="stdpolicy-bench-") as tmp:
                cli = run_cli(records, expected, repeat, Path(tmp), settings)
    load_at_end = os.getloadavg()
    parallelism = two_process_speedup()

    # -- report ----------------------------------------------------------------------
    fw_wall = median([w for w, _ in fw_runs])
    plain_wall = median([w for w, _ in plain_runs])
    fw_cpu = median([c for _, c in fw_runs])
    plain_cpu = median([c for _, c in plain_runs])
    ratio = fw_wall / plain_wall
    ratio_min = min(w for w, _ in fw_runs) / min(w for w, _ in plain_runs)
    ratio_cpu = fw_cpu / plain_cpu

    lines = []
    add = lines.append
    add(f"### stdpolicy benchmark: {n:,} activities")
    add("")
    add(f"- machine: {len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()} CPUs "
        f"({cpu_model()}), {platform.system()} {platform.release()}; Python {platform.python_version()}; "
        f"load average {load_at_start[0]:.2f} at start, {load_at_end[0]:.2f} at end; "
        f"two CPU-bound processes run at {parallelism:.2f}× the speed of one")
    add(f"- data: seed {args.seed}, " + ", ".join(f"{k} {v:,}" for k, v in kinds.most_common())
        + f"; generated in {generated_in:.1f} s")
    add(f"- outcomes: total ¥{total:,}; by rule " + ", ".join(f"{k} {v:,}" for k, v in sorted(by_rule.items(), key=lambda kv: int(kv[0][1:]))))
    add("- amount and reason: " + ", ".join(f"{k} {v:,}" for k, v in sorted(zero_reasons.items(), key=lambda kv: -kv[1])))
    add(f"- in-process validation (once, not in the ratio): {validation[0]:.2f} s wall, {validation[1]:.2f} s CPU, "
        f"{validation[1] / n * 1e6:.0f} µs CPU per activity")
    add("")
    add(f"In-process evaluation, median of {in_process_repeat} interleaved runs, cyclic GC paused for both:")
    add("")
    add("| | wall s | CPU s | activities/s | peak memory (tracemalloc) |")
    add("|---|---:|---:|---:|---:|")
    add(f"| framework: `registry.evaluate`, R1–R13, outcomes with explanations | {fw_wall:.3f} | {fw_cpu:.3f} | {rate(n, fw_wall)} | {fw_peak:.0f} MB |")
    add(f"| plain Python function, same amounts | {plain_wall:.3f} | {plain_cpu:.3f} | {rate(n, plain_wall)} | {plain_peak:.0f} MB |")
    add(f"| **ratio framework / plain** | **{ratio:.2f}×** | {ratio_cpu:.2f}× | min/min {ratio_min:.2f}× | |")
    add("")
    add(f"Peak RSS of the benchmark process (records, validated activities, results): {rss_in_process:.0f} MB.")
    verdicts = [("in-process evaluation within 3× of the plain function (median wall)", ratio <= TARGET_RATIO,
                 f"{ratio:.2f}×")]
    if cli:
        verdicts.extend(cli_report(cli, n, repeat, add))
    add("")
    add("Targets:")
    add("")
    for what, ok, figure in verdicts:
        add(f"- {'met' if ok else 'MISSED'}: {what}: {figure}")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
