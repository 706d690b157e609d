"""Issue #13, part B: ``stdpolicy evaluate`` of 100,000 and 1,000,000 records, JSON Lines in and out.

Prints, in one run (Markdown on standard output, progress on standard error),
for each size: wall time, CPU time (user + system, ``os.wait4``), peak RSS and
the ``--timings`` phases of ``stdpolicy evaluate FILE --timings`` with this
code (streamed: core/streaming.py) and, with ``--baseline DIR``, the code
before (``PYTHONPATH=DIR``: e.g. /work/baseline-9cd4ca3, read whole,
``--workers 1``), interleaved round by round, and the ratio. Each size's
first round keeps both outputs and checks that they are the same bytes
(SHA-256); later rounds write to /dev/null. ``--jsonl-out`` also times
this code's ``--format jsonl`` and checks that its lines are the document's
results.

The input files are generated once (``benchmarks/generate.py``, seeds fixed;
``data_file``) under ``--data`` (default /tmp/stdpolicy-evaluate-stream);
1,000,000 records are ~240 MB. The baseline holds every record, activity and outcome at once
(~2.5 GB at 1,000,000): ``--baseline-max N`` skips it above N records and
says so.

Usage::

    python benchmarks/evaluate_stream.py --baseline /work/baseline-9cd4ca3
    python benchmarks/evaluate_stream.py --sizes 20000 --rounds 1          # quick, no baseline
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_evaluate import cpu_model, run_measured  # noqa: E402
from generate import DEFAULT_SEED, generate  # noqa: E402
from reworded import reworded_document  # noqa: E402

_MAIN = "import sys; from webadmin.cli import main; sys.exit(main())"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def environment(tree: Path, instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STDPOLICY_")}
    env.update(PYTHONPATH=str(tree), STDPOLICY_INSTANCE_PATH=str(instance), STDPOLICY_SECRET_KEY="benchmark",
               STDPOLICY_ADMIN_PASSWORD="benchmark-password-7f3a9c", STDPOLICY_ACTOR="cli:benchmark")
    return env


#: Records generated with one seed: ``generate(1_000_000)`` does not finish (it keeps one TC
#: secretariat per committee, and 50,000 secretariats exhaust the committee numbers it draws from).
BLOCK = 100_000


def data_file(directory: Path, n: int) -> Path:
    """``n`` generated records as JSON Lines, written once.

    Up to ``BLOCK`` records: ``generate(n)``. More: blocks of ``BLOCK`` with
    seeds ``DEFAULT_SEED``, ``DEFAULT_SEED + 1`` …, each block's ids prefixed
    with its number (``B2-BM-000001``) so that every id stays unique; the
    first block is the 100,000-record file.
    """
    path = directory / f"activities-{n}.jsonl"
    if path.exists():
        return path
    log(f"generating {n:,} records → {path}")
    directory.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with open(partial, "w", encoding="utf-8") as out:
        for block, start in enumerate(range(0, n, BLOCK)):
            for record in generate(min(BLOCK, n - start), seed=DEFAULT_SEED + block):
                if block:
                    record["id"] = f"B{block}-{record['id']}"
                out.write(json.dumps(record, ensure_ascii=False))
                out.write("\n")
    partial.rename(path)
    return path


def reworded_sha256(path: Path) -> str:
    """SHA-256 of the baseline's output as this code words it (``benchmarks/reworded.py``: the one deliberate change)."""
    return hashlib.sha256(reworded_document(path.read_text(encoding="utf-8")).encode("utf-8")).hexdigest()


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_tree(tree: Path, env: dict[str, str]) -> None:
    """The tree's own ``core`` is the one imported: run from the tree (``python -c`` puts the current
    folder first on the path, before PYTHONPATH and the editable install)."""
    found = subprocess.run([sys.executable, "-c", "import core; print(core.__file__)"], cwd=tree, env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
    if not found.startswith(str(tree)):
        raise SystemExit(f"{tree}: imports {found}, not its own core")


def run(tree: Path, instance: Path, args: list[str], result: Path, keep: bool) -> dict[str, Any]:
    argv = [sys.executable, "-c", _MAIN, "evaluate", *args]
    here = os.getcwd()
    os.chdir(tree)  # run_measured starts the command in the current folder: the tree's own code first
    try:
        found = run_measured(argv, environment(tree, instance), result, keep_stdout=keep)
    finally:
        os.chdir(here)
    if found["rc"] not in (0, 1):
        raise SystemExit(f"{tree}: exit status {found['rc']}: {found['stderr'][-2000:]}")
    return found


def lines_match(document: Path, lines: Path) -> bool:
    """``--format jsonl``'s lines are the document's results and totals (parsed: the document is large)."""
    with open(document, "rb") as f:
        whole = json.loads(f.read())
    with open(lines, "rb") as f:
        *results, summary = f.read().splitlines()
    ok = len(results) == len(whole["results"]) and all(json.loads(a) == b for a, b in zip(results, whole["results"]))
    return ok and json.loads(summary) == {k: whole[k] for k in ("total_amount", "held_amount", "invalid")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000", help="record counts, comma-separated")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds per size (the first checks outputs)")
    parser.add_argument("--baseline", type=Path, help="the code before (a git archive), run with PYTHONPATH")
    parser.add_argument("--baseline-max", type=int, default=1_000_000, help="largest size the baseline runs at")
    parser.add_argument("--data", type=Path, default=Path("/tmp/stdpolicy-evaluate-stream"))
    parser.add_argument("--jsonl-out", action="store_true", help="also time --format jsonl and check its lines")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    trees = {"this code": ROOT}
    if args.baseline:
        trees["baseline"] = args.baseline.resolve()
    for tree in trees.values():
        compileall.compile_dir(str(tree / "core"), quiet=1)
        compileall.compile_dir(str(tree / "plugins"), quiet=1)
        compileall.compile_dir(str(tree / "webadmin"), quiet=1)
    print(f"### stdpolicy evaluate, JSON Lines in and out ({', '.join(f'{n:,}' for n in sizes)} records)\n")
    print(f"- machine: {len(os.sched_getaffinity(0))} CPUs ({cpu_model()}), Linux {platform.release()}; "
          f"Python {platform.python_version()}; load average at the start {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="stdpolicy-bench-") as tmp:
        # Each tree initialises its own instance: the schema moved on (migration 0013), and a tree
        # refuses a database migrated beyond what it knows.
        instances = {tree: Path(tmp) / f"instance-{i}" for i, tree in enumerate(trees.values())}
        for tree, instance in instances.items():
            check_tree(tree, environment(tree, instance))
            log(f"init ({tree})")
            subprocess.run([sys.executable, "-c", _MAIN, "init"], cwd=tree, env=environment(tree, instance),
                           check=True, capture_output=True)
        rows = []
        for n in sizes:
            path = data_file(args.data, n)
            runs: dict[str, list[dict[str, Any]]] = {}
            for round_ in range(args.rounds):
                for name, tree in trees.items():
                    if name == "baseline" and n > args.baseline_max:
                        continue
                    extra = ["--workers", "1"] if name == "baseline" else []
                    log(f"{n:,}: {name}, round {round_ + 1} (load {os.getloadavg()[0]:.1f})")
                    found = run(tree, instances[tree], [str(path), "--timings", *extra], Path(tmp) / f"{name}-{n}-{round_}",
                                keep=round_ == 0)
                    found["load"] = os.getloadavg()[0]
                    runs.setdefault(name, []).append(found)
                    if args.jsonl_out and name == "this code" and round_ == 0:
                        lines = run(tree, instances[tree], [str(path), "--format", "jsonl"], Path(tmp) / f"lines-{n}", keep=True)
                        found["jsonl_ok"] = lines_match(found["stdout_path"], lines["stdout_path"])
                        found["jsonl"] = lines
                        lines["stdout_path"].unlink()
            same = None
            if "baseline" in runs:
                same = sha256(runs["this code"][0]["stdout_path"]) == reworded_sha256(runs["baseline"][0]["stdout_path"])
            for found in runs.values():
                found[0]["stdout_path"].unlink()
            rows.append((n, runs, same))
        print("\nWall and CPU seconds, median of the rounds; peak RSS the largest (MB); phases from `--timings` "
              "of the first round.\n")
        print("| records | code | wall s | CPU s | peak RSS MB | phases (s) | load | same output |")
        print("| ---: | --- | ---: | ---: | ---: | --- | ---: | --- |")
        for n, runs, same in rows:
            for name, found in runs.items():
                wall = statistics.median(f["wall"] for f in found)
                cpu = statistics.median(f["cpu"] for f in found)
                rss = max(f["rss_mb"] for f in found)
                phases = " ".join(f"{k} {v:.2f}" for k, v in found[0]["phases"].items())
                ratio = ""
                if name == "this code" and "baseline" in runs:
                    base = runs["baseline"]
                    ratio = (f" (×{statistics.median(f['wall'] for f in base) / wall:.1f} wall, "
                             f"×{statistics.median(f['cpu'] for f in base) / cpu:.1f} CPU, "
                             f"{max(f['rss_mb'] for f in base) / rss:.1f}× less memory)")
                check = ("identical (SHA-256)" if same else "DIFFERENT") if same is not None else "no baseline run"
                load = statistics.median(f["load"] for f in found)
                print(f"| {n:,} | {name}{ratio} | {wall:.2f} | {cpu:.2f} | {rss:.0f} | {phases} | {load:.1f} | {check} |")
                if "jsonl" in found[0]:
                    lines = found[0]["jsonl"]
                    print(f"| {n:,} | this code, `--format jsonl` | {lines['wall']:.2f} | {lines['cpu']:.2f} | "
                          f"{lines['rss_mb']:.0f} | | | {'lines = document' if found[0]['jsonl_ok'] else 'DIFFERENT'} |")
            if n > args.baseline_max and args.baseline:
                print(f"| {n:,} | baseline | not run (above --baseline-max {args.baseline_max:,}) | | | | | |")
        if len(rows) > 1:
            (n0, r0, _), (n1, r1, _) = rows[0], rows[-1]
            w0 = statistics.median(f["wall"] for f in r0["this code"])
            w1 = statistics.median(f["wall"] for f in r1["this code"])
            c0 = statistics.median(f["cpu"] for f in r0["this code"])
            c1 = statistics.median(f["cpu"] for f in r1["this code"])
            print(f"\n{n1:,} against {n0:,} records (this code): ×{w1 / w0:.1f} wall, ×{c1 / c0:.1f} CPU "
                  f"for ×{n1 / n0:.0f} the records.")
    if any(same is False for _, _, same in rows):
        raise SystemExit("outputs differ")


if __name__ == "__main__":
    main()
