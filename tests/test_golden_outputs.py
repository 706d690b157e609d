"""Golden outputs: every interchange file valid today keeps its outcomes, byte for byte.

``stdpolicy evaluate`` replays each file of ``docs/examples`` and a
fixed-seed slice of the benchmark generator (``benchmarks/generate.py``)
against a freshly initialised database, on a fixed day, and compares its
standard output and exit status with what was recorded in ``tests/golden/``
from the code before the plugin platform (issue #7) moved the shared
activity kinds into core. An intended change of output re-records them::

    STDPOLICY_GOLDEN_RECORD=1 pytest tests/test_golden_outputs.py

and the diff of ``tests/golden/`` then shows, in review, exactly what changed.
"""

from __future__ import annotations

import gzip
import json
import os
import sys
from pathlib import Path

import pytest
import time_machine

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
EXAMPLES = ROOT / "docs" / "examples"
RECORD = os.environ.get("STDPOLICY_GOLDEN_RECORD") == "1"

#: The day every replay runs on (Asia/Shanghai noon): after every date in the inputs.
TODAY = "2026-06-30T12:00:00+08:00"

#: Records of the benchmark slice, and its seed (benchmarks/generate.py's default).
BENCHMARK_RECORDS = 1500

#: name → (input file, extra arguments of `stdpolicy evaluate`, expected exit status).
CASES: dict[str, tuple[str, tuple[str, ...], int]] = {
    "activities.json": ("activities.json", (), 0),
    "activities.jsonl": ("activities.jsonl", (), 0),
    "with-errors.json": ("with-errors.json", (), 1),
    "activities.market_regulation.json": ("activities.json", ("--department", "market_regulation"), 0),
    "activities.civil_affairs.json": ("activities.json", ("--department", "civil_affairs"), 0),
    "activities.table-zh.txt": ("activities.json", ("--format", "table", "--lang", "zh"), 0),
    "with-errors.table-zh.txt": ("with-errors.json", ("--format", "table", "--lang", "zh"), 1),
    "with-errors.table-en.txt": ("with-errors.json", ("--format", "table", "--lang", "en"), 1),
    f"benchmark-{BENCHMARK_RECORDS}.json.gz": ("benchmark", (), 0),
    f"benchmark-{BENCHMARK_RECORDS}.table-zh.txt.gz": ("benchmark", ("--format", "table", "--lang", "zh"), 0),
}


def _benchmark_file(tmp_path: Path) -> Path:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from generate import DEFAULT_SEED, generate
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    path = tmp_path / "benchmark.json"
    path.write_text(json.dumps(generate(BENCHMARK_RECORDS, seed=DEFAULT_SEED), ensure_ascii=False), encoding="utf-8")
    return path


def _read(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def _write(path: Path, data: bytes) -> None:
    # mtime=0: the same output gives the same file, so a re-recording without change shows no diff.
    path.write_bytes(gzip.compress(data, mtime=0) if path.suffix == ".gz" else data)


def _first_difference(expected: bytes, actual: bytes) -> str:
    """Where the two outputs part: the line, for a readable failure on megabytes of output."""
    old, new = expected.decode("utf-8").splitlines(), actual.decode("utf-8").splitlines()
    for number, (a, b) in enumerate(zip(old, new), start=1):
        if a != b:
            at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            return f"line {number}, column {at + 1}:\n  recorded: …{a[max(0, at - 200):at + 200]}\n  now:      …{b[max(0, at - 200):at + 200]}"
    return f"recorded {len(old)} lines, now {len(new)}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_evaluate_output_is_unchanged(name: str, runner, tmp_path: Path) -> None:
    source, arguments, status = CASES[name]
    path = _benchmark_file(tmp_path) if source == "benchmark" else EXAMPLES / source
    with time_machine.travel(TODAY, tick=False):
        result = runner.invoke(args=["evaluate", str(path), *arguments], catch_exceptions=False)
    output = result.stdout_bytes
    golden = GOLDEN / name
    if RECORD:
        _write(golden, output)
    assert result.exit_code == status, result.output
    assert golden.exists(), f"{golden} not recorded: STDPOLICY_GOLDEN_RECORD=1 pytest {Path(__file__).name}"
    expected = _read(golden)
    assert output == expected, f"{name}: the output changed at {_first_difference(expected, output)}"
