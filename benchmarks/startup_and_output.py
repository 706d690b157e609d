"""Issue #13, part A: start-up, JSON output and standard-number parsing, each beside its baseline.

Prints, in one run (Markdown on standard output, progress on standard error):

1. **start-up**: ``stdpolicy evaluate`` of a tiny file (docs/examples/activities.json,
   a few records), median of ``--startup-runs`` runs, beside ``python -c pass``
   and (with ``--baseline``) the code before issue #13 on the same database;
2. **JSON writing** of 100,000 results: ``write_results`` (orjson,
   ``core/interchange/fastjson.py``) against the standard library's encoder
   as it was used before (``output._write_results``), both to /dev/null
   through a UTF-8 text stream, after checking that they give the same bytes;
3. **standard-number parsing**, µs a number over the 85,000 numbers of
   ``generate(100_000)`` (two thirds of them repeats), with each parser's
   cache cleared first: ``core.standards.parse`` against the old parser kept
   in ``baseline/standards_old.py``; also each one's uncached ``_parse``;
4. **evaluate of 100,000 activities**, ``--workers 1``: wall, CPU, peak RSS
   (``os.wait4``), this code and (with ``--baseline``) the old one,
   interleaved, after a checked run of each whose outputs must be the same bytes.

Both code trees are byte-compiled first (``compileall``): an installed
package has its ``.pyc`` files, and a tree without them (this machine sets
``PYTHONDONTWRITEBYTECODE``) would time the compiler.

Usage::

    git archive c9ad97e | (mkdir -p /tmp/stdpolicy-before && tar -x -C /tmp/stdpolicy-before)
    /work/venv/bin/python benchmarks/startup_and_output.py --baseline /tmp/stdpolicy-before
    /work/venv/bin/python benchmarks/startup_and_output.py --n 20000 --repeat 1   # quicker, no baseline

The baseline tree runs on this interpreter's packages (the same Flask,
SQLAlchemy …) with ``PYTHONPATH`` pointing at it; both trees use the same
database, initialised by this code (the schema did not change).
"""

from __future__ import annotations

import argparse
import compileall
import gc
import hashlib
import io
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from bench_evaluate import cpu_model, run_measured  # noqa: E402
from generate import generate, write_records  # noqa: E402
from reworded import reworded_document  # noqa: E402
from baseline import standards_old  # noqa: E402

from core import load_registry  # noqa: E402
from core import standards  # noqa: E402
from core.evaluation import EvaluationContext  # noqa: E402
from core.interchange import output  # noqa: E402

TINY = ROOT / "docs" / "examples" / "activities.json"
_MAIN = "import sys; from webadmin.cli import main; sys.exit(main())"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def spread(values: Sequence[float], digits: int = 3) -> str:
    return f"{median(values):.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def command(tree: Path, *args: str) -> list[str]:
    """``stdpolicy ARGS`` run from the sources in ``tree``."""
    return [sys.executable, "-c", _MAIN, *args]


def environment(tree: Path, instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STDPOLICY_")}
    env.update(PYTHONPATH=str(tree), STDPOLICY_INSTANCE_PATH=str(instance), STDPOLICY_SECRET_KEY="benchmark",
               STDPOLICY_ADMIN_PASSWORD="benchmark-password-7f3a9c", STDPOLICY_ACTOR="cli:benchmark")
    return env


def check_tree(tree: Path, env: dict[str, str]) -> None:
    """The tree's own ``core`` is the one imported (not the installed one)."""
    found = subprocess.run([sys.executable, "-c", "import core; print(core.__file__)"], cwd=tree, env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
    if not found.startswith(str(tree)):
        raise SystemExit(f"{tree}: imports {found}, not its own core")


def startup(trees: dict[str, Path], instance: Path, runs: int) -> dict[str, list[tuple[float, float]]]:
    """(wall, CPU) of each run: ``python -c pass`` and ``stdpolicy evaluate TINY`` of each tree, interleaved."""
    found: dict[str, list[tuple[float, float]]] = {"python -c pass": []}
    found.update({name: [] for name in trees})
    for round_ in range(runs + 1):
        for name in found:
            if name == "python -c pass":
                argv, env, cwd = [sys.executable, "-c", "pass"], dict(os.environ), ROOT
            else:
                argv, env, cwd = command(trees[name], "evaluate", str(TINY)), environment(trees[name], instance), trees[name]
            start = time.perf_counter()
            proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            proc.returncode = os.waitstatus_to_exitcode(status)
            error = proc.stderr.read().decode() if proc.stderr else ""
            if proc.returncode != 0:
                raise SystemExit(f"{name}: exit status {proc.returncode}: {error}")
            if round_:  # the first round warms the page cache
                found[name].append((wall, usage.ru_utime + usage.ru_stime))
    return found


class _Sink(io.RawIOBase):
    """A binary stream that discards what it is given (as /dev/null does, without the system calls)."""

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        return len(data)


def json_writing(n: int, repeat: int) -> dict[str, Any]:
    """Seconds to write ``n`` results with the standard library's encoder and with orjson."""
    registry = load_registry()
    parameters = registry.default_parameters()
    base = min(n, 20_000)
    log(f"json: validating and evaluating {base:,} activities")
    report = registry.validate(generate(base), parameters)
    result = registry.evaluate(report.valid, EvaluationContext(parameters=parameters), plugins=["reward_tiers"])
    report.items = (report.items * (n // base + 1))[:n]  # the same activities again: their outcomes are found by identity
    old, new = io.StringIO(), io.BytesIO()
    output._write_results(report, result, old, None)
    wrapper = io.TextIOWrapper(new, encoding="utf-8", write_through=True)
    output.write_results(report, result, wrapper)
    wrapper.flush()
    same = old.getvalue().encode("utf-8") == new.getvalue()
    if not same:
        raise SystemExit("json: orjson's document differs from the standard library's")
    size = len(new.getvalue())
    wrapper.detach()
    del old, new, wrapper
    times: dict[str, list[float]] = {"stdlib": [], "orjson": []}
    for _ in range(repeat):
        for name in times:
            stream = io.TextIOWrapper(io.BufferedWriter(_Sink(), 1 << 20), encoding="utf-8")
            gc.collect()
            start = time.perf_counter()
            if name == "stdlib":
                with output.paused_gc():
                    output._write_results(report, result, stream, None)
                stream.flush()
            else:
                output.write_results(report, result, stream)
            times[name].append(time.perf_counter() - start)
    return {"n": n, "bytes": size, "times": times, "outcomes": sum(len(result.for_activity(a)) for a in report.valid)}


def parsing(repeat: int) -> dict[str, Any]:
    """µs a number (CPU) for each parser over the benchmark's standard numbers."""
    numbers = [r["standard_code"] for r in generate(100_000) if "standard_code" in r]
    codes = standards.standard_codes()
    found: dict[str, list[float]] = {"old parse": [], "new parse": [], "old _parse (no cache)": [], "new _parse (no cache)": []}

    def run(name: str) -> float:
        module = standards_old if name.startswith("old") else standards
        if "no cache" in name:
            fn: Callable[[str, Any], Any] = module._parse
        else:
            module._PARSED.clear()
            fn = module.parse
        start = time.process_time()
        for number in numbers:
            fn(number, codes)
        return (time.process_time() - start) / len(numbers) * 1e6

    for _ in range(repeat):
        for name in found:
            found[name].append(run(name))
    mismatched = [n for n in numbers[:20_000] if standards._parse(n, codes) != standards_old._parse(n, codes)]
    if mismatched:
        raise SystemExit(f"parsing: the parsers disagree on {mismatched[:5]}")
    return {"numbers": len(numbers), "distinct": len(set(numbers)), "us": found}


def evaluate_cli(trees: dict[str, Path], instance: Path, n: int, repeat: int, workdir: Path) -> dict[str, list[dict[str, Any]]]:
    data = workdir / f"activities-{n}.json"
    with data.open("w", encoding="utf-8") as f:
        write_records(generate(n), f, lines=False)
    digests = {}
    for name, tree in trees.items():
        log(f"evaluate: checked run of {name}")
        checked = run_measured(command(tree, "evaluate", "--workers", "1", str(data)), environment(tree, instance),
                               workdir / f"{name}.check.json", keep_stdout=True)
        if checked["rc"] != 0:
            raise SystemExit(f"evaluate {name}: exit status {checked['rc']}: {checked['stderr'][-2000:]}")
        output = checked["stdout_path"].read_text(encoding="utf-8")
        if name != "this code":  # the one deliberate change since (benchmarks/reworded.py)
            output = reworded_document(output)
        digests[name] = hashlib.sha256(output.encode("utf-8")).hexdigest()
        checked["stdout_path"].unlink()
    if len(set(digests.values())) != 1:
        raise SystemExit(f"evaluate: the outputs differ: {digests}")
    found: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
    for round_ in range(repeat):
        for name, tree in trees.items():
            log(f"evaluate: round {round_ + 1}, {name}")
            found[name].append(run_measured(command(tree, "evaluate", "--workers", "1", str(data)),
                                            environment(tree, instance), workdir / f"{name}.{round_}.json"))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, help="a checkout of the code before issue #13 (git archive c9ad97e)")
    parser.add_argument("--n", type=int, default=100_000, help="activities for the JSON and evaluate figures")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of the evaluate and JSON figures")
    parser.add_argument("--startup-runs", type=int, default=15)
    parser.add_argument("--skip-evaluate", action="store_true")
    args = parser.parse_args(argv)

    trees = {"this code": ROOT}
    if args.baseline:
        trees["before #13"] = args.baseline.resolve()
    for tree in trees.values():
        compileall.compile_dir(str(tree), quiet=1, workers=1,
                               rx=__import__("re").compile(r"/(\.venv|node_modules|tests|\.git)/"))
    out: list[str] = []
    add = out.append
    load = os.getloadavg()[0]
    add(f"### stdpolicy: start-up, JSON output, standard numbers ({args.n:,} activities)\n")
    add(f"- machine: {len(os.sched_getaffinity(0))} CPUs ({cpu_model()}), Linux {platform.release()}; Python "
        f"{platform.python_version()}; load average {load:.2f} at start (shared with other jobs: read wall times with care)")
    with tempfile.TemporaryDirectory(prefix="stdpolicy-bench-") as tmp:
        workdir = Path(tmp)
        instance = workdir / "instance"
        log("init")
        subprocess.run(command(ROOT, "init"), cwd=ROOT, env=environment(ROOT, instance), check=True, capture_output=True)
        for tree in trees.values():
            check_tree(tree, environment(tree, instance))

        log("start-up")
        runs = startup(trees, instance, args.startup_runs)
        add(f"\n`stdpolicy evaluate` of {TINY.name} ({args.startup_runs} runs each, interleaved; median (min–max)):\n")
        add("| | wall s | CPU s |")
        add("|---|---:|---:|")
        for name, values in runs.items():
            label = name if name == "python -c pass" else f"`stdpolicy evaluate`, {name}"
            add(f"| {label} | {spread([w for w, _ in values])} | {spread([c for _, c in values])} |")

        log("json")
        written = json_writing(args.n, max(args.repeat, 3))
        times = written["times"]
        add(f"\nWriting {written['n']:,} results ({written['outcomes']:,} outcomes, "
            f"{written['bytes'] / 2**20:.0f} MiB, the same bytes both ways), s, median (min–max) of {len(times['stdlib'])}:\n")
        add("| standard library (`json.JSONEncoder`, before) | orjson (`fastjson`) | ratio |")
        add("|---:|---:|---:|")
        add(f"| {spread(times['stdlib'])} | {spread(times['orjson'])} | {median(times['stdlib']) / median(times['orjson']):.1f}× |")

        log("parsing")
        parsed = parsing(max(args.repeat, 3))
        us = parsed["us"]
        add(f"\nStandard numbers: {parsed['numbers']:,} numbers of `generate(100000)` ({parsed['distinct']:,} distinct), "
            f"µs of CPU a number, median (min–max) of {len(us['old parse'])}, each cache cleared before a run:\n")
        add("| | before (`baseline/standards_old.py`) | now (`core.standards`) | ratio |")
        add("|---|---:|---:|---:|")
        add(f"| `parse` (with its cache, as validation calls it) | {spread(us['old parse'], 2)} | {spread(us['new parse'], 2)} | "
            f"{median(us['old parse']) / median(us['new parse']):.1f}× |")
        add(f"| `_parse` (every number parsed) | {spread(us['old _parse (no cache)'], 2)} | "
            f"{spread(us['new _parse (no cache)'], 2)} | {median(us['old _parse (no cache)']) / median(us['new _parse (no cache)']):.1f}× |")

        if not args.skip_evaluate:
            log("evaluate")
            cli = evaluate_cli(trees, instance, args.n, args.repeat, workdir)
            add(f"\n`stdpolicy evaluate --workers 1` of {args.n:,} activities (JSON array), {args.repeat} interleaved rounds "
                "after a checked run of each (same output bytes); median (min–max):\n")
            add("| | wall s | CPU s | peak RSS MB |")
            add("|---|---:|---:|---:|")
            for name, values in cli.items():
                add(f"| {name} | {spread([v['wall'] for v in values], 2)} | {spread([v['cpu'] for v in values], 2)} | "
                    f"{spread([v['rss_mb'] for v in values], 0)} |")
    add(f"\n- load average {os.getloadavg()[0]:.2f} at end")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
