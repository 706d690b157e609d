"""docs/examples/benchmarking.json: every record valid, every one with an explained outcome (the issue's "Done when")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.stdpolicy_plugins("benchmarking", "reward_tiers")

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples" / "benchmarking.json"
KINDS = {"campaign_enrolment", "benchmark_result", "standard_adoption", "forerunner_evaluation"}


def test_the_examples_hold_every_kind() -> None:
    records = json.loads(EXAMPLES.read_text(encoding="utf-8"))
    assert {r["kind"] for r in records} == KINDS


def test_evaluate_the_examples_for_market_regulation(stdpolicy_runner) -> None:
    result = stdpolicy_runner.invoke(args=["evaluate", str(EXAMPLES), "--department", "market_regulation"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    records = json.loads(EXAMPLES.read_text(encoding="utf-8"))
    items = document["results"]
    assert document["invalid"] == 0
    assert len(items) == len(records)
    for item in items:
        assert not item.get("errors"), item
        outcomes = [o for o in item["outcomes"] if o["plugin"] == "benchmarking"]
        assert len(outcomes) == 1, item
        outcome = outcomes[0]
        assert outcome["amount"] == 0
        assert outcome["clause"] in ("二(六)1", "二(七)1")
        assert "实施意见》第二部分第(" in outcome["explanation"]["zh"]
        assert "Implementation Opinions" in outcome["explanation"]["en"]
        assert "benchmarking." not in outcome["explanation"]["zh"]  # no keys inside the Chinese sentence
