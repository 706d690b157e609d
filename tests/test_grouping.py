"""Evaluation groups (core/grouping.py): any union of whole groups evaluates as the whole input does.

Streaming evaluation and chunked re-evaluation cut their input into parts of
whole groups; these tests check the contract that makes that safe, for every
built-in kind: the benchmark generator's records (one-time repeats, rank
conflicts, editions of one series), every plugin's demo records, and
generated batches crowded with repeats, evaluated whole and in parts, give
every activity the same outcomes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import resources
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import (Activity, EvaluationContext, Registry, group_by_committee, group_by_organisation,
                  group_by_standard_series, load_registry)
from core.grouping import group_of, partition

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from generate import generate  # noqa: E402

#: Evaluate on a fixed day: explanations and some readings depend on it.
DAY = date(2026, 6, 30)


def _outcomes(registry: Registry, activities: list[Activity]) -> dict[int, list[str]]:
    context = EvaluationContext(parameters=registry.default_parameters(), evaluated_on=DAY,
                                references=registry.default_references(demo=True))
    result = registry.evaluate(activities, context)
    assert not result.failures
    out: dict[int, list[str]] = defaultdict(list)
    for outcome in result.outcomes:
        out[id(outcome.activity)].append(json.dumps(
            [outcome.plugin, outcome.rule, outcome.amount, outcome.status, outcome.dedup_key,
             outcome.explanation.zh, outcome.explanation.en, outcome.details,
             [(p.key, p.value, str(p.effective_from)) for p in outcome.parameters]],
            ensure_ascii=False, sort_keys=True, default=str))
    return out


def _in_parts(registry: Registry, activities: list[Activity], parts: int) -> dict[int, list[str]]:
    split: dict[int, list[Activity]] = defaultdict(list)
    for activity in activities:
        split[partition(group_of(registry.kinds, activity), parts)].append(activity)
    out: dict[int, list[str]] = {}
    for part in split.values():
        out.update(_outcomes(registry, part))
    return out


def _same_in_parts(registry: Registry, activities: list[Activity], parts: tuple[int, ...]) -> None:
    whole = _outcomes(registry, activities)
    for n in parts:
        assert _in_parts(registry, activities, n) == whole, f"{n} parts"


def test_benchmark_records_evaluate_alike_in_parts(registry: Registry) -> None:
    report = registry.validate(generate(6000, seed=11))
    assert not report.invalid
    assert len({partition(group_of(registry.kinds, a), 64) for a in report.valid}) == 64
    _same_in_parts(registry, report.valid, (2, 7, 64))


def test_every_plugins_demo_records_evaluate_alike_in_parts() -> None:
    registry = load_registry()  # every built-in plugin, whatever a test module's mark says
    records = json.loads(resources.files("core").joinpath("data/demo_activities.json").read_text(encoding="utf-8"))
    records += [record for found in registry.demo_records().values() for record in found]
    report = registry.validate(records, references=registry.default_references(demo=True))
    assert report.valid and not report.invalid
    kinds = {activity.kind for activity in report.valid}
    assert {"standard_drafting", "forerunner_evaluation", "campaign_enrolment"} <= kinds
    _same_in_parts(registry, report.valid, (2, 5, 40))


def test_a_partition_is_the_same_in_every_process() -> None:
    # crc32 of the group's repr: not Python's hash, which changes with PYTHONHASHSEED.
    assert partition(("standard_drafting", "GB/T 43700"), 64) == partition(("standard_drafting", "GB/T 43700"), 64)
    code = "from core.grouping import partition; print([partition(('tc_secretariat', f'9133{i}'), 7) for i in range(50)])"
    seen = {subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": seed}, check=True,
                           capture_output=True, text=True).stdout for seed in ("1", "2")}
    assert len(seen) == 1 and len(set(json.loads(seen.pop()))) == 7
    assert partition(("x", "\ud800"), 7) in range(7)  # a lone surrogate in a key does not raise


def test_shared_kinds_group_by_series_and_organisation(registry: Registry) -> None:
    assert registry.kinds["standard_drafting"].group is group_by_standard_series
    assert registry.kinds["tc_secretariat"].group is group_by_committee  # one secretariat per committee
    assert registry.kinds["innovation_award"].group is group_by_organisation
    report = registry.validate([
        {"kind": "standard_drafting", "id": "a", "date": "2024-05-01", "credit_code": "91330481MAX9D8G93W",
         "standard_code": "ISO/IEC 30141:2024", "level": "international", "rank": 1, "revision": False},
        {"kind": "standard_drafting", "id": "b", "date": "2024-06-01", "credit_code": "91330481MAX9D8G93W",
         "standard_code": "ISO 30141:2024", "level": "international", "rank": 1, "revision": False},
    ])
    assert not report.invalid
    a, b = report.valid
    # ISO/IEC and ISO are one series: one group, so the one-time rule sees both.
    assert group_of(registry.kinds, a) == group_of(registry.kinds, b) == ("standard_drafting", "ISO 30141")


_CODES = ["91330481MAX9D8G93W", "91330481MANFHTHF54", "91330483MA84N1UA6N"]


def _standard(i: int, code: str, number: str, rank: int, day: str, level: str) -> dict[str, Any]:
    return {"kind": "standard_drafting", "id": f"s{i}", "date": day, "credit_code": code, "standard_code": number,
            "level": level, "rank": rank, "revision": False}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(
    st.sampled_from(_CODES),
    st.sampled_from(["GB/T 43700-2024", "GB/T 43700-2022", "ISO/IEC 30141:2024", "ISO 30141:2024",
                     "DB33/T 2500-2023", "GB 37432-2024"]),
    st.integers(1, 3),
    st.integers(0, 1),
    st.sampled_from(["03-01", "07-01", "08-04", "09-01"]),
), min_size=1, max_size=30), st.integers(2, 9))
def test_crowded_batches_evaluate_alike_in_parts(registry: Registry, rows: list[tuple[str, str, int, int, str]],
                                                parts: int) -> None:
    # Repeats, other editions, ISO/IEC spellings and rank conflicts, all in few series, around the policy's start.
    levels = {"GB/T": "national", "GB ": "national", "ISO": "international", "DB3": "local"}
    records = [_standard(i, code, number, rank, f"{int(number[-4:]) + later}-{day}",
                         next(v for k, v in levels.items() if number.startswith(k)))
               for i, (code, number, rank, later, day) in enumerate(rows)]
    records += [{"kind": "tc_secretariat", "id": f"t{i}", "date": f"{2022 + later}-{day}", "credit_code": code,
                 "committee_code": "SAC/TC 548", "committee_level": "national"}
                for i, (code, _number, _rank, later, day) in enumerate(rows[:8])]
    report = registry.validate(records)
    assert not report.invalid, report.invalid[:1]
    _same_in_parts(registry, report.valid, (parts,))


@pytest.mark.parametrize("kind", ["standard_drafting", "tc_secretariat", "innovation_award", "pilot_project",
                                  "talent_enterprise", "energy_quota_report", "carbon_accounting_report",
                                  "low_carbon_certification", "campaign_enrolment", "benchmark_result",
                                  "standard_adoption", "forerunner_evaluation", "service_monitoring"])
def test_every_built_in_kind_declares_its_group(kind: str) -> None:
    # A kind without one is correct but held in memory whole; the built-in ones say what they read together.
    registry = load_registry()
    assert kind in registry.kinds
    assert registry.kinds[kind].group is not None
