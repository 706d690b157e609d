"""Explanations fit for a document (docs/plugins/explanations.md), checked on every explanation there is.

Every reward_tiers explanation produced on docs/examples and on the policy
cases beside this file is scanned: the Chinese names the document
《中共嘉兴市委 嘉兴市人民政府关于加快推进标准强市建设的实施意见》 and 第三部分第(二)项, writes
dates as 2022年8月1日 and ranks as 排名第一位; neither language carries a rule
id (R2), a parameter key (reward_tiers.lead.national), a version number
(第1版, v1), an ISO date, 《》 inside 《》, doubled quotation marks or
brackets three deep. The scanner itself is tested first, so that it can fail.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from core.testing import check_case, evaluate, load_policy_file
from plugins.reward_tiers.wording import style_problems

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent

pytestmark = pytest.mark.stdpolicy_plugins("reward_tiers")

GOOD_ZH = ("国家标准 GB/T 45123-2025(起草单位排名第一位,非修订):根据《中共嘉兴市委 嘉兴市人民政府关于加快推进标准强市建设的实施意见》"
           "第三部分第(二)项,对牵头制定并完成国家标准的企业和机构给予30万元奖励(该奖励标准自2022年8月1日起执行)。")
GOOD_EN = ("National standard GB/T 45123-2025 (drafting unit ranked 1st, not a revision): under Part III, item (2) of "
           "the Implementation Opinions of the CPC Jiaxing Municipal Committee and the Jiaxing Municipal People's "
           "Government on Accelerating the Building of a Strong Standards City, enterprises and institutions that lead "
           "the drafting of a completed national standard receive a reward of ¥300,000 (the amount in force from "
           "1 August 2022).")


def test_a_sentence_in_the_style_passes() -> None:
    assert style_problems(GOOD_ZH, "zh") == []
    assert style_problems(GOOD_EN, "en") == []


@pytest.mark.parametrize(("bad", "problem"), [
    (GOOD_ZH.replace("根据", "适用R2,根据"), "rule id: 'R2'"),
    (GOOD_ZH.replace("(该奖励标准", "(参数 reward_tiers.lead.national,该奖励标准"), "internal key"),
    (GOOD_ZH.replace("(该奖励标准", "(held_amount,该奖励标准"), "internal key: 'held_amount'"),
    (GOOD_ZH.replace("(该奖励标准", "(第2版,该奖励标准"), "version number: '第2版'"),
    (GOOD_ZH.replace("(该奖励标准", "(v1,该奖励标准"), "version number"),
    (GOOD_ZH.replace("自2022年8月1日", "自2022-08-01"), "ISO date"),
    (GOOD_ZH.replace("自2022年8月1日", "自2022年08月01日"), "date not written as 2022年8月1日"),
    (GOOD_ZH.replace("国家标准的企业", "““国家标准””的企业"), "doubled quotation marks"),
    (GOOD_ZH.replace("关于加快", "关于《加快》"), "《》 inside 《》"),
    (GOOD_ZH.replace("非修订)", "非修订(见(附件))"), "brackets 3 deep"),
    (GOOD_ZH.replace("第三部分第(二)项", "三(二)"), "第三部分第(二)项 is missing"),
    (GOOD_ZH.replace("《中共嘉兴市委 嘉兴市人民政府关于加快推进标准强市建设的实施意见》", "本意见"),
     "the document's title is missing"),
], ids=["rule id", "parameter key", "internal code", "版", "v1", "ISO date", "zero-padded date", "doubled quotes",
        "nested title", "three deep", "shorthand clause", "no title"])
def test_the_scanner_finds_what_a_document_may_not_carry(bad: str, problem: str) -> None:
    found = style_problems(bad, "zh")
    assert any(p.startswith(problem) for p in found), found


def test_the_scanner_reads_the_english_too() -> None:
    assert any(p.startswith("rule id") for p in style_problems(GOOD_EN.replace("under", "rule R2, under"), "en"))
    assert any(p.startswith("version number") for p in style_problems(GOOD_EN + " (version 2)", "en"))
    assert "the document's title is missing" in style_problems(GOOD_EN.replace("the Implementation Opinions", "it"), "en")


def _outcomes_of_the_policy_cases(registry) -> list[tuple[str, object]]:
    found = []
    for path in sorted(HERE.glob("*.policy.yaml")):
        for case in load_policy_file(path).cases:
            evaluation, problems = check_case(case, registry)
            assert not problems, (case.name, problems)
            found += [(f"{path.name}: {case.name}", o) for o in evaluation.result.outcomes if o.plugin == "reward_tiers"]
    return found


def _outcomes_of_the_examples(registry) -> list[tuple[str, object]]:
    found = []
    for path in sorted((ROOT / "docs" / "examples").glob("*.json*")):
        text = path.read_text(encoding="utf-8")
        records = ([json.loads(line) for line in text.splitlines() if line.strip()] if path.suffix == ".jsonl"
                   else json.loads(text))
        evaluation = evaluate(registry, records)
        found += [(path.name, o) for o in evaluation.result.outcomes if o.plugin == "reward_tiers"]
    return found


def test_every_explanation_of_the_examples_and_the_policy_cases_is_fit_for_a_document(stdpolicy_registry) -> None:
    outcomes = _outcomes_of_the_policy_cases(stdpolicy_registry) + _outcomes_of_the_examples(stdpolicy_registry)
    statuses = {o.status for _, o in outcomes}
    # every kind of outcome is there: paid, not covered for each reason, held for each reason
    assert statuses == {"ok", "not_covered", "held"}
    reasons = {(o.details or {}).get("reason") for _, o in outcomes}
    assert {"revision", "level", "rank", "participation_level", "amendment", "issued_before_policy", "before_policy", "not_in_force",
            "duplicate", "reported_before_policy", "not_accepted", "rank_conflict", "region", "brand_series",
            "revision_flag"} <= reasons
    assert {o.rule for _, o in outcomes} >= {f"R{n}" for n in range(0, 14)}
    bad = {}
    for where, outcome in outcomes:
        for lang, text in (("zh", outcome.explanation_zh), ("en", outcome.explanation_en)):
            problems = style_problems(text, lang)
            # ranks as the document writes them: 排名第一位, never 排名第1
            problems += [f"rank in figures: {m.group(0)!r}" for m in re.finditer(r"排名第\d", text)]
            # committees by their proper names
            problems += [f"committee by a short name: {m.group(0)!r}"
                         for m in re.finditer(r"(?:国际|全国|省级)技术委员会", text)]
            if problems:
                bad[f"{where} / {outcome.activity.ref} / {lang}"] = (problems, text)
        if outcome.status == "held":  # 待核实 with the reason, in both languages
            assert "该奖励待核实:" in outcome.explanation_zh and "核实前暂不发放。" in outcome.explanation_zh
            assert "Held for review: " in outcome.explanation_en
            for reason in outcome.details["held_reasons"]:
                assert reason["zh"] in outcome.explanation_zh and reason["en"] in outcome.explanation_en
    assert not bad, json.dumps(bad, ensure_ascii=False, indent=1)


def test_every_explanation_of_the_recorded_benchmark_is_fit_for_a_document() -> None:
    # tests/golden's 1,500 generated records (test_golden_outputs.py keeps the recording current).
    document = json.loads(gzip.decompress((ROOT / "tests" / "golden" / "benchmark-1500.json.gz").read_bytes()))
    explanations = [o["explanation"] for r in document["results"] for o in r["outcomes"] if o["plugin"] == "reward_tiers"]
    assert len(explanations) > 1000
    bad = [(lang, e[lang], style_problems(e[lang], lang)) for e in explanations for lang in ("zh", "en")
           if style_problems(e[lang], lang)]
    assert not bad, bad[:5]
