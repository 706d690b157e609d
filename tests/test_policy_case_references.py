"""Policy cases that add reference-table versions (references) and fix the evaluation day (evaluated_on)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from core.testing import PolicyCaseError, check_case, load_policy_file, references_with, select_registry

pytestmark = pytest.mark.stdpolicy_plugins("reward_tiers")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cases.policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_references_and_evaluated_on_are_read_per_file_and_per_case(tmp_path: Path) -> None:
    path = write(tmp_path, """
references:
  demo.venues:
    - {from: 2024-01-01, rows: [{name: 甲}]}
cases:
  - name: the file's versions
    evaluated_on: 2025-07-01
    records: [{id: A, kind: standard_drafting, date: 2024-05-06, credit_code: "913304007429141869", standard_code: GB/T 43000-2024, rank: 1}]
    expect: {A: {rule: R2}}
  - name: a case's own
    references:
      demo.venues: [{from: 2025-01-01, rows: [{name: 乙}]}]
    records: [{id: A, kind: standard_drafting, date: 2024-05-06, credit_code: "913304007429141869", standard_code: GB/T 43000-2024, rank: 1}]
    expect: {A: {rule: R2}}
""")
    first, second = load_policy_file(path).cases
    assert first.evaluated_on == date(2025, 7, 1) and second.evaluated_on is None
    assert first.references == {"demo.venues": [{"from": date(2024, 1, 1), "rows": [{"name": "甲"}]}]}
    assert second.references["demo.venues"][0]["rows"] == [{"name": "乙"}]
    # demo.venues is not a table of reward_tiers: the case says so, naming it.
    _evaluation, problems = check_case(first, select_registry(["reward_tiers"]))
    assert problems and "demo.venues" in problems[0]


@pytest.mark.parametrize("entry", [
    "references: {x.y: {from: 2024-01-01}}",
    "references: {x.y: [{from: nonsense, rows: []}]}",
    "references: [1, 2]",
])
def test_malformed_references_name_the_file(tmp_path: Path, entry: str) -> None:
    path = write(tmp_path, entry + """
cases:
  - name: a
    records: [{id: A, kind: standard_drafting}]
    expect: {A: {errors: [date]}}
""")
    with pytest.raises(PolicyCaseError, match="cases.policy.yaml: .*references"):
        load_policy_file(path)


def test_a_bad_evaluation_day_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, """
cases:
  - name: a
    evaluated_on: tomorrow
    records: [{id: A, kind: standard_drafting}]
    expect: {A: {errors: [date]}}
""")
    with pytest.raises(PolicyCaseError, match="evaluated_on"):
        load_policy_file(path)


def test_references_with_refuses_unknown_tables_and_bad_versions() -> None:
    registry = select_registry(["reward_tiers"])
    with pytest.raises(KeyError, match="no.such"):
        references_with(registry, {"no.such": []})
