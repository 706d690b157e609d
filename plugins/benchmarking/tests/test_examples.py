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


def test_a_category_pasted_with_a_space_or_a_zero_width_space_is_ranked_with_its_own() -> None:
    """A forerunner ranking is per category: "电子级玻璃纤维布 " or "电子级玻璃纤维布\u200b" was a category of
    its own, where the second-best enterprise ranked first of one. Pasted names are loaded as they read."""
    from core import load_registry

    registry = load_registry()
    records = [r for r in json.loads(EXAMPLES.read_text(encoding="utf-8")) if r["kind"] == "forerunner_evaluation"]
    for pasted in (" ", "\u3000", "\u200b", "\u00ad"):
        spoilt = [{**r, "product_category": r["product_category"] + pasted} if i == 1 else r for i, r in enumerate(records)]
        report = registry.validate(spoilt)
        assert not report.invalid
        result = registry.evaluate(report.valid)
        second = [o for o in result.outcomes if o.activity.ref == records[1]["id"] and o.plugin == "benchmarking"]
        assert len(second) == 1 and "在3家符合条件的单位中排名第2" in second[0].explanation_zh, second
        assert {a.fields["product_category"] for a in report.valid} == {records[0]["product_category"]}


def test_a_wrong_coded_value_inside_an_indicator_is_named_by_its_labels_in_chinese() -> None:
    """An indicator's direction is a code; the Chinese error lists the labels, as it does for a record's own
    fields (core relabels "Must be one of" for nested fields too), and the English the codes."""
    from core import load_registry

    registry = load_registry()
    record = next(r for r in json.loads(EXAMPLES.read_text(encoding="utf-8")) if r.get("indicators"))
    spoilt = json.loads(json.dumps(record))
    spoilt["indicators"][0]["direction"] = "sideways"
    [invalid] = registry.validate([spoilt]).invalid
    [error] = invalid.errors
    assert error.field == "indicators.0.direction"
    assert error.message == "Must be one of: higher, lower, range."
    assert error.message_zh.startswith("必须是以下之一:") and "higher" not in error.message_zh
