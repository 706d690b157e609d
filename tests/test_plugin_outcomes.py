"""core.stored_outcomes, reference_url and region_of: what a plugin's page reads of the stored data.

A plugin's page lists its own current outcomes (a rectification list, certificates due) without SQL:
the reward_tiers outcomes of an import are read back with their activities, organisations and links;
a superseded outcome is not among them; another plugin's are not either.
"""

from __future__ import annotations

import json

import pytest

from core import Text, region_of, stored_outcomes
from core.testing import SAMPLE_CREDIT_CODES

pytestmark = pytest.mark.stdpolicy_plugins("reward_tiers")


def test_region_of_a_credit_code() -> None:
    assert region_of("91330421MA2D0L608J") == ("330421", Text("嘉善县", "Jiashan County"))
    assert region_of("913304007429141869")[0] == "330400"
    assert region_of("911100001000000000")[1].zh == "北京市"


def test_stored_outcomes_are_the_plugins_current_ones(stdpolicy_app, stdpolicy_runner, tmp_path) -> None:
    code = SAMPLE_CREDIT_CODES[0]
    records = [{"id": "A", "kind": "standard_drafting", "date": "2024-05-06", "credit_code": code,
                "organisation": "甲单位", "standard_code": "GB/T 43000-2024", "rank": 1},
               {"id": "B", "kind": "tc_secretariat", "date": "2024-06-01", "credit_code": code,
                "organisation": "甲单位", "committee_code": "SAC/TC 548", "committee_level": "national"}]
    path = tmp_path / "records.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    assert stdpolicy_runner.invoke(args=["import", str(path)]).exit_code == 0
    with stdpolicy_app.test_request_context("/"):
        found = stored_outcomes(kinds=["standard_drafting"], plugin="reward_tiers")
        assert [(o.activity.ref, o.rule, o.amount, o.plugin) for o in found] == [("A", "R2", 300000, "reward_tiers")]
        assert found[0].activity.organisation == "甲单位" and found[0].activity.credit_code == code
        assert found[0].explanation.zh and found[0].url and found[0].url.endswith(str(found[0].activity.stored_id))
        assert stored_outcomes(kinds=["standard_drafting"], plugin="no_such_plugin") == []
        assert [o.activity.ref for o in stored_outcomes(kinds=["standard_drafting", "tc_secretariat"],
                                                        plugin="reward_tiers", statuses=["ok"])] == ["A", "B"]
    # A new amount and a re-evaluation supersede the stored outcome: only the current one is read.
    changed = stdpolicy_runner.invoke(args=["params", "set", "reward_tiers.lead.national", "400000",
                                            "--from", "2024-01-01", "--reason", "测试"])
    assert changed.exit_code == 0, changed.output
    assert stdpolicy_runner.invoke(args=["reevaluate"]).exit_code == 0
    with stdpolicy_app.app_context():
        again = stored_outcomes(kinds=["standard_drafting"], plugin="reward_tiers")
        assert [(o.activity.ref, o.amount) for o in again] == [("A", 400000)]
        assert again[0].url is None                              # no request: no links
        with pytest.raises(RuntimeError):
            stored_outcomes(kinds=["standard_drafting"])         # outside a page, name the plugin
