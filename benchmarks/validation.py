"""Issue #13, part B: validation through the compiled loaders, and standard-number parsing, each beside its baseline.

Prints, in one run (Markdown on standard output, progress on standard error):

1. **validation**: µs a record (CPU and wall) of ``registry.validate`` of the
   ``--n`` generated records (``generate.py``), in a fresh process each,
   interleaved over ``--repeat`` rounds:

   - *compiled*: this code (``core/fastcheck.py``'s loaders, marshmallow for
     what they decline);
   - *marshmallow*: this code with ``ActivityValidator.compiled = False``
     (every record through ``Schema.load``, as before);
   - *baseline*: the code of ``--baseline`` (default /work/baseline-9cd4ca3,
     main before part B), run with ``PYTHONPATH`` pointing at it.

   Before anything is timed, each variant's report is reduced to a digest
   (every item: the Activity's ref, kind, date, credit code, organisation,
   row and fields with their types, or the invalid record's errors in both
   languages); the run stops if the digests differ. The same check runs on
   ``--fuzzed`` mutated records (wrong types, huge numbers, text with
   surrogates or control characters, dropped and added fields), most of
   them invalid;
2. **standard numbers**: µs of CPU a number over the standard numbers of
   ``generate(100000)``: ``_parse`` (every number parsed) and ``parse`` with
   its cache cleared first (as validation calls it), for this code, the
   baseline tree, and the parser before issue #13 (``baseline/standards_old.py``);
   the results must be the same;
3. with ``--cli``: ``stdpolicy evaluate --workers 1 --timings`` of the
   ``--n`` records as JSON Lines, each tree (one checked run whose output
   must be the same bytes, then ``--repeat`` interleaved), the ``validate=``
   figure it prints, wall and CPU (``os.wait4``) and peak RSS.

Usage::

    .venv/bin/python benchmarks/validation.py                      # 100,000 records, 3 rounds
    .venv/bin/python benchmarks/validation.py --n 20000 --repeat 1 --cli
    .venv/bin/python benchmarks/validation.py --baseline /tmp/before

Timings on a shared machine are noisy: the load average is printed at the
start and the end; CPU times are steadier than wall times.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_BASELINE = Path("/work/baseline-9cd4ca3")
_MAIN = "import sys; from webadmin.cli import main; sys.exit(main())"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- what runs in a worker process (its own tree's ``core`` on sys.path) -------------------------------

def _deep(value: Any) -> Any:
    if isinstance(value, dict):
        return ("dict", [(_deep(k), _deep(v)) for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_deep(v) for v in value])
    return (type(value).__name__, repr(value))


def _digest(report: Any) -> str:
    from core.activities import Activity

    h = hashlib.sha256()
    for item in report.items:
        if isinstance(item, Activity):
            shown = ("valid", item.ref, item.kind, _deep(item.date), item.credit_code, _deep(item.organisation),
                     item.row, _deep(item.fields))
        else:
            shown = ("invalid", item.row, item.ref, item.kind, [(e.field, e.message, e.message_zh) for e in item.errors])
        h.update(repr(shown).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def _worker_validate(data: Path, mode: str) -> dict[str, Any]:
    from core import load_registry

    records = [json.loads(line) for line in data.read_text(encoding="utf-8").split("\n") if line]
    registry = load_registry()
    if mode == "marshmallow":
        registry.validator.compiled = False
    parameters = registry.default_parameters()
    sys.path.insert(0, str(HERE))
    from generate import generate

    registry.validate(generate(500, seed=99), parameters)  # imports, compiled loaders; other numbers than the measured
    cpu, wall = time.process_time(), time.perf_counter()
    report = registry.validate(records, parameters)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {"cpu": cpu, "wall": wall, "n": len(records), "valid": len(report.valid), "digest": _digest(report)}


def _worker_parse(numbers_path: Path, which: str) -> dict[str, Any]:
    if which == "standards_old":
        sys.path.insert(0, str(HERE))
        from baseline import standards_old as module
    else:
        from core import standards as module
    from core.standards import InvalidStandardNumber, standard_codes

    numbers = json.loads(numbers_path.read_text(encoding="utf-8"))
    codes = standard_codes()
    found: dict[str, Any] = {}
    for name, fn in (("_parse", module._parse), ("parse", module.parse)):
        module._PARSED.clear() if hasattr(module, "_PARSED") else None
        cpu = time.process_time()
        for number in numbers:
            fn(number, codes)
        found[name] = (time.process_time() - cpu) / len(numbers) * 1e6
    h = hashlib.sha256()
    for number in numbers:
        try:
            shown = repr(module._parse(number, codes))
        except InvalidStandardNumber as exc:
            shown = f"refused {exc.text.zh} {exc.text.en}"
        except Exception as exc:  # noqa: BLE001 - the old module's own exception class
            shown = f"refused {exc.text.zh} {exc.text.en}" if hasattr(exc, "text") else f"raised {exc!r}"
        h.update(shown.encode("utf-8", "surrogatepass"))
    found["digest"] = h.hexdigest()
    return found


# -- the parent -----------------------------------------------------------------------------------------

def environment(tree: Path, instance: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STDPOLICY_")}
    env["PYTHONPATH"] = str(tree)
    # marshmallow lists unknown fields in the order of a set of strings: the same hash seed in every
    # process, so that reports with several unknown fields compare equal.
    env["PYTHONHASHSEED"] = "0"
    if instance is not None:
        env.update(STDPOLICY_INSTANCE_PATH=str(instance), STDPOLICY_SECRET_KEY="benchmark",
                   STDPOLICY_ADMIN_PASSWORD="benchmark-password-7f3a9c", STDPOLICY_ACTOR="cli:benchmark")
    return env


def in_worker(tree: Path, *args: str) -> dict[str, Any]:
    """Run this script's worker with ``tree``'s code; its JSON answer."""
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", *args], cwd=tree,
                          env=environment(tree), capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"worker {args} in {tree} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def check_tree(tree: Path) -> None:
    found = subprocess.run([sys.executable, "-c", "import core; print(core.__file__)"], cwd=tree, env=environment(tree),
                           capture_output=True, text=True, check=True).stdout.strip()
    if not found.startswith(str(tree)):
        raise SystemExit(f"{tree}: imports {found}, not its own core")


def fuzzed(records: list[dict[str, Any]], count: int, seed: int = 13) -> list[Any]:
    """Valid records with one to three fields replaced by hostile values, dropped, or added."""
    rng = random.Random(seed)
    values: list[Any] = [None, True, 0, -1, 100, 2**63, -(2**63) - 1, 1.5, "", " ", "\ud800", "\ufeff2024-08-04",
                         "２０２４-08-04", "2024/8/4", "2024-8-4", "20240804", "9" * 5000, "x" * 20000, "a\x00b", "\u2028",
                         [], {}, ["x"], "national", "first", "GB/T 1-2020", "ＧＢ／Ｔ １-２０２０", "SAC/TC 548", "１"]
    keys = sorted({k for r in records for k in r} | {"unknown", "level_basis"})
    out: list[Any] = []
    for _ in range(count):
        record = dict(rng.choice(records))
        for _ in range(rng.randint(1, 3)):
            action = rng.choice(("replace", "replace", "drop", "add"))
            if action == "drop" and record:
                del record[rng.choice(sorted(record))]
            else:
                key = rng.choice(sorted(record)) if action == "replace" and record else rng.choice(keys)
                record[key] = rng.choice(values)
        out.append(record)
    return out


def write_jsonl(records: list[Any], path: Path, *, ascii_only: bool = False) -> None:
    """JSON Lines; ``ascii_only``: lone surrogates and line separators as ``\\u`` escapes."""
    with path.open("w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=ascii_only) + "\n")


def spread(values: list[float], digits: int = 2) -> str:
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def run_cli(tree: Path, instance: Path, data: Path, stdout_path: Path | None) -> dict[str, Any]:
    argv = [sys.executable, "-c", _MAIN, "evaluate", "--workers", "1", "--timings", str(data)]
    with open(stdout_path or os.devnull, "wb") as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(argv, cwd=tree, env=environment(tree, instance), stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    line = next((l for l in text.splitlines() if l.startswith("timings:")), "")
    laps = dict(part.split("=") for part in line.removeprefix("timings: ").split(" (")[0].split())
    if process.returncode not in (0, 1) or "validate" not in laps:
        raise SystemExit(f"evaluate in {tree}: exit status {process.returncode}:\n{text[-3000:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024,
            "validate": float(laps["validate"].rstrip("s"))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--baseline", type=Path, default=DEFAULT_BASELINE, help="the code before part B (a git archive)")
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fuzzed", type=int, default=20_000, help="mutated records compared (not timed)")
    parser.add_argument("--cli", action="store_true", help="also time `stdpolicy evaluate --timings` of each tree")
    parser.add_argument("--workdir", type=Path, help="where the data files go (default: a temporary folder)")
    args = parser.parse_args(argv)

    if args.worker:
        what, *rest = args.worker
        answer = _worker_validate(Path(rest[0]), rest[1]) if what == "validate" else _worker_parse(Path(rest[0]), rest[1])
        print(json.dumps(answer))
        return 0

    sys.path.insert(0, str(HERE))
    from generate import generate

    baseline = args.baseline.resolve()
    check_tree(ROOT)
    check_tree(baseline)
    out: list[str] = []
    add = out.append
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="stdpolicy-validation-", dir=args.workdir) as tmp:
        work = Path(tmp)
        records = generate(args.n)
        data = work / "records.jsonl"
        write_jsonl(records, data)
        bad = work / "fuzzed.jsonl"
        write_jsonl(fuzzed(records[:5000], args.fuzzed), bad, ascii_only=True)
        numbers_path = work / "numbers.json"
        numbers = [r["standard_code"] for r in generate(100_000) if "standard_code" in r]
        numbers_path.write_text(json.dumps(numbers), encoding="utf-8")

        variants = {"compiled (this code)": (ROOT, "compiled"), "marshmallow (this code, compiled off)": (ROOT, "marshmallow"),
                    f"baseline ({baseline.name})": (baseline, "marshmallow")}
        log("checking: the same reports from every variant")
        for label, path in (("generated", data), ("fuzzed", bad)):
            digests = {name: in_worker(tree, "validate", str(path), mode) for name, (tree, mode) in variants.items()}
            if len({d["digest"] for d in digests.values()}) != 1:
                raise SystemExit(f"validation of the {label} records differs: {digests}")
            first = next(iter(digests.values()))
            log(f"  {label}: {first['n']:,} records, {first['valid']:,} valid, identical reports")
            if label == "fuzzed":
                fuzz_summary = (first["n"], first["valid"])
        timed: dict[str, list[dict[str, Any]]] = {name: [] for name in variants}
        for round_ in range(args.repeat):
            for name, (tree, mode) in variants.items():
                log(f"validate: round {round_ + 1}, {name}")
                timed[name].append(in_worker(tree, "validate", str(data), mode))

        parsers = {"this code (`core.standards`)": (ROOT, "core"), f"baseline ({baseline.name})": (baseline, "core"),
                   "before #13 (`baseline/standards_old.py`)": (ROOT, "standards_old")}
        parsed: dict[str, list[dict[str, Any]]] = {name: [] for name in parsers}
        for round_ in range(args.repeat):
            for name, (tree, which) in parsers.items():
                log(f"parse: round {round_ + 1}, {name}")
                parsed[name].append(in_worker(tree, "parse", str(numbers_path), which))
        if len({r["digest"] for runs in parsed.values() for r in runs}) != 1:
            raise SystemExit("the standard-number parsers disagree")

        cli: dict[str, list[dict[str, Any]]] = {}
        if args.cli:
            trees = {"this code": ROOT, f"baseline ({baseline.name})": baseline}
            # Each tree initialises its own instance: the schema moved on (migration 0013), and a tree
            # refuses a database migrated beyond what it knows.
            instances = {name: work / f"instance-{i}" for i, name in enumerate(trees)}
            for name, tree in trees.items():
                subprocess.run([sys.executable, "-c", _MAIN, "init"], cwd=tree, env=environment(tree, instances[name]),
                               check=True, capture_output=True)
            outputs = {}
            for name, tree in trees.items():
                log(f"evaluate: checked run, {name}")
                path = work / f"out-{len(outputs)}.json"
                run_cli(tree, instances[name], data, path)
                outputs[name] = hashlib.sha256(path.read_bytes()).hexdigest()
                path.unlink()
            if len(set(outputs.values())) != 1:
                raise SystemExit(f"`stdpolicy evaluate` outputs differ: {outputs}")
            cli = {name: [] for name in trees}
            for round_ in range(args.repeat):
                for name, tree in trees.items():
                    log(f"evaluate: round {round_ + 1}, {name}")
                    cli[name].append(run_cli(tree, instances[name], data, None))

    load_end = os.getloadavg()
    add(f"### Validation and standard numbers ({args.n:,} generated records)\n")
    add(f"- machine: {len(os.sched_getaffinity(0))} CPUs, Linux {platform.release()}, Python {platform.python_version()}; "
        f"load average {load_start[0]:.2f} at the start, {load_end[0]:.2f} at the end (a shared machine: CPU times "
        "are the steadier figures)")
    add(f"- every variant gave the same report (digest of every item) on the {args.n:,} generated records and on "
        f"{fuzz_summary[0]:,} mutated ones ({fuzz_summary[1]:,} of them valid)\n")
    base_name = f"baseline ({baseline.name})"
    base_cpu = statistics.median(r["cpu"] for r in timed[base_name])
    add(f"`registry.validate` of {args.n:,} records, µs a record, median (min–max) of {args.repeat}, each in a fresh process:\n")
    add("| | CPU µs/record | wall µs/record | CPU vs baseline |")
    add("|---|---:|---:|---:|")
    for name, runs in timed.items():
        cpu = [r["cpu"] / r["n"] * 1e6 for r in runs]
        wall = [r["wall"] / r["n"] * 1e6 for r in runs]
        add(f"| {name} | {spread(cpu, 1)} | {spread(wall, 1)} | {base_cpu / statistics.median(r['cpu'] for r in runs):.2f}× |")
    add(f"\nStandard numbers: {len(numbers):,} numbers of `generate(100000)` ({len(set(numbers)):,} distinct), µs of CPU "
        f"a number, median (min–max) of {args.repeat}; the same results from each:\n")
    add("| | `_parse` (every number parsed) | `parse` (cache cleared first) |")
    add("|---|---:|---:|")
    for name, runs in parsed.items():
        add(f"| {name} | {spread([r['_parse'] for r in runs])} | {spread([r['parse'] for r in runs])} |")
    if cli:
        add(f"\n`stdpolicy evaluate --workers 1 --timings` of the {args.n:,} records (JSON Lines), the same output bytes, "
            f"median (min–max) of {args.repeat}:\n")
        add("| | `validate=` s | wall s | CPU s | peak RSS MB |")
        add("|---|---:|---:|---:|---:|")
        for name, runs in cli.items():
            add(f"| {name} | {spread([r['validate'] for r in runs])} | {spread([r['wall'] for r in runs])} | "
                f"{spread([r['cpu'] for r in runs])} | {spread([r['rss_mb'] for r in runs], 0)} |")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
