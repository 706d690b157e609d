"""Issue #13 in one run: every benchmark of its targets, each figure beside its baseline.

Runs, one after the other, the benchmarks of the issue's targets with the
same baseline tree (the code before the issue's part B, from a ``git
archive``), and prints their Markdown reports in order under one heading
with the machine's load before and after each — the figures the README's
performance table quotes::

    git archive 9cd4ca3 | (mkdir -p /tmp/stdpolicy-before && tar -x -C /tmp/stdpolicy-before)
    python benchmarks/issue13.py --baseline /tmp/stdpolicy-before            # ~1 hour
    python benchmarks/issue13.py --baseline /tmp/stdpolicy-before --quick    # reduced sizes, ~15 minutes
    python benchmarks/issue13.py --baseline /tmp/stdpolicy-before --only startup,validation

Each benchmark checks on the way that this code and the baseline give the
same results (output bytes, validation reports, stored rows, pages) and
stops with an error if they do not; this script then reports that benchmark
as failed and goes on with the next. The PostgreSQL import runs when
``--pg URL`` (or ``STDPOLICY_DATABASE_URL``) names a server.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: name → (script, its arguments, the reduced arguments of --quick): in the issue's order.
BENCHMARKS: dict[str, tuple[str, list[str], list[str]]] = {
    "evaluate": ("evaluate_stream.py", ["--sizes", "100000,1000000", "--jsonl-out"],
                 ["--sizes", "20000,100000", "--rounds", "1"]),
    "startup": ("startup.py", [], ["--runs", "5"]),
    "validation": ("validation.py", ["--cli"], ["--n", "20000", "--repeat", "1"]),
    "reevaluate": ("reevaluate.py", [], ["--n", "20000", "--repeat", "1"]),
    "import": ("import_bulk.py", [], ["--n", "20000", "--repeat", "1"]),
    "admin": ("load_admin.py", [], ["--n", "20000", "--duration", "20", "--rounds", "2"]),
}


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() else "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, required=True, help="the code before part B (a git archive)")
    parser.add_argument("--quick", action="store_true", help="reduced sizes and rounds")
    parser.add_argument("--only", help="comma-separated: " + ", ".join(BENCHMARKS))
    parser.add_argument("--pg", help="PostgreSQL URL for the import benchmark (default: $STDPOLICY_DATABASE_URL)")
    args = parser.parse_args(argv)
    chosen = args.only.split(",") if args.only else list(BENCHMARKS)
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    print(f"# Issue #13: every target beside its baseline ({time.strftime('%Y-%m-%d %H:%M %Z')})\n")
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; baseline tree {args.baseline}.\n")
    failed = []
    for name in chosen:
        script, full, quick = BENCHMARKS[name]
        command = [sys.executable, str(HERE / script), "--baseline", str(args.baseline), *(quick if args.quick else full)]
        if name == "import" and (args.pg or os.environ.get("STDPOLICY_DATABASE_URL")):
            command += ["--pg", args.pg or os.environ["STDPOLICY_DATABASE_URL"]]
        print(f"## {name} (`{script}`)\n\nload before: {_load()}\n", flush=True)
        print(f"[{name}] {' '.join(command[1:])}", file=sys.stderr, flush=True)
        started = time.monotonic()
        done = subprocess.run(command, stdout=subprocess.PIPE, text=True)
        print(done.stdout.rstrip() + "\n", flush=True)
        status = "ok" if done.returncode == 0 else f"FAILED (exit {done.returncode})"
        print(f"load after: {_load()}; {time.monotonic() - started:.0f} s; {status}\n", flush=True)
        if done.returncode:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
