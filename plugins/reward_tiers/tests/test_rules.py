"""Rules R1–R13 of 三(二) (plugins/reward_tiers), through the public API.

Every test goes the way a caller does: ``registry.validate(records)``, then
``registry.evaluate(report.valid)`` and ``result.for_activity(activity)``;
``registry`` is the test kit's registry of reward_tiers alone (the plugin's
tests run on ``core`` and ``core.testing`` only, like a third party's). The
readable one-case-per-rule form is in ``*.policy.yaml`` beside this file.
Amounts are those of the policy text (shared/policy/README.md):

    对牵头制定(排名第一位,不含修订)并完成国际标准、国家标准、行业(或地方、军用)标准、
    “浙江制造”“浙江服务”“浙江农产”标准的企业和机构,分别给予100万元、30万元、20万元、20万元奖励,
    对参与制定(排名第二位至第四位)并完成国际标准、国家标准的企业和机构,分别给予30万元、15万元奖励;
    对承担组建国际、国家、省级专业标准化技术委员会、分委会秘书处的……分别一次性给予100万元、50万元、20万元的专项补助;
    对获得中国标准创新贡献奖一、二、三等奖的单位,分别给予100万元、80万元、50万元奖励,获得组织奖的,给予50万元奖励;
    对通过国家级、省级标准化试点项目验收的单位,分别给予最高30万元、20万元奖励。
    本意见自2022年8月1日起施行
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from core import (
    Activity,
    EvaluationContext,
    InvalidRecord,
    ParameterResolver,
    ParameterVersion,
    ParamValue,
    PriorActivity,
    PriorPayment,
    PriorReport,
    format_yuan_en,
    format_yuan_zh,
    standard_codes,
    today,
)
from plugins.reward_tiers.schemas import committee_level_of
from plugins.reward_tiers.wording import style_problems

HAN = re.compile(r"[\u4e00-\u9fff]")
ROOT = Path(__file__).resolve().parents[3]


# reward_tiers alone: another built-in plugin that reads standard_drafting (carbon) adds outcomes of its own.
pytestmark = pytest.mark.stdpolicy_plugins("reward_tiers")


@pytest.fixture
def registry(stdpolicy_registry):
    """The kit's registry of reward_tiers (no database)."""
    return stdpolicy_registry

CLAUSE = "三(二)"
IN_FORCE = date(2022, 8, 1)
ORG = "913304007429141869"  # a real Jiaxing code (python-stdnum's tests)
OTHER_ORG = "91330402MA2B3C4D1N"  # built with both check characters (see test_uscc.py)
DAY = "2023-05-10"


# ---------------------------------------------------------------------------
# Records and helpers
# ---------------------------------------------------------------------------

def drafting(standard_code: str, rank: int = 1, *, date: str = DAY, org: str = ORG, **extra: Any) -> dict[str, Any]:
    return {"kind": "standard_drafting", "date": date, "credit_code": org,
            "standard_code": standard_code, "rank": rank, **extra}


def secretariat(committee_code: str, committee_level: str, *, date: str = DAY, org: str = ORG, **extra: Any) -> dict[str, Any]:
    return {"kind": "tc_secretariat", "date": date, "credit_code": org,
            "committee_code": committee_code, "committee_level": committee_level, **extra}


#: A prize is given to a project (awards are per project and per round): the record names it.
AWARDED_PROJECT = "《智能制造 工业互联网平台 通用要求》国家标准"


def award(which: str, *, date: str = DAY, org: str = ORG, **extra: Any) -> dict[str, Any]:
    if which != "organization":
        extra.setdefault("project", AWARDED_PROJECT)
    return {"kind": "innovation_award", "date": date, "credit_code": org, "award": which, **extra}


def pilot(level: str, accepted: bool = True, *, date: str = DAY, org: str = ORG, **extra: Any) -> dict[str, Any]:
    return {"kind": "pilot_project", "date": date, "credit_code": org,
            "pilot_level": level, "accepted": accepted, **extra}


def run(registry, *records, context: EvaluationContext | None = None):
    """Validate and evaluate; every record must be valid. Returns (activities, result)."""
    report = registry.validate(list(records))
    assert not report.invalid, [item.errors for item in report.invalid]
    result = registry.evaluate(report.valid, context)
    assert not result.failures
    return report.valid, result


def outcome_of(result, activity: Activity):
    outcomes = result.for_activity(activity)
    assert len(outcomes) == 1, outcomes
    return outcomes[0]


def evaluate_one(registry, record, context: EvaluationContext | None = None):
    activities, result = run(registry, record, context=context)
    return outcome_of(result, activities[0])


#: The document and clause every explanation cites, as the document titles and numbers them.
DOCUMENT_ZH = "《中共嘉兴市委 嘉兴市人民政府关于加快推进标准强市建设的实施意见》"
DOCUMENT_EN = ("the Implementation Opinions of the CPC Jiaxing Municipal Committee and the Jiaxing Municipal "
               "People's Government on Accelerating the Building of a Strong Standards City")
CITE_ZH = f"根据{DOCUMENT_ZH}第三部分第(二)项"
CITE_EN = f"under Part III, item (2) of {DOCUMENT_EN}"

#: Whom each rule rewards and how, in the words of 三(二) (zh, en; {amount}: the amount).
GRANTED = {
    "R1": ("对牵头制定并完成国际标准的企业和机构给予{amount}奖励",
           "enterprises and institutions that lead the drafting of a completed international standard receive a reward of {amount}"),
    "R2": ("对牵头制定并完成国家标准的企业和机构给予{amount}奖励",
           "enterprises and institutions that lead the drafting of a completed national standard receive a reward of {amount}"),
    "R3": ("对牵头制定并完成行业(或地方、军用)标准的企业和机构给予{amount}奖励",
           "enterprises and institutions that lead the drafting of a completed industry, local or military standard "
           "receive a reward of {amount}"),
    "R4": ("对牵头制定并完成“浙江制造”“浙江服务”“浙江农产”标准的企业和机构给予{amount}奖励",
           "enterprises and institutions that lead the drafting of a completed Zhejiang Made, Zhejiang Service or "
           "Zhejiang Agricultural standard receive a reward of {amount}"),
    "R5": ("对参与制定并完成国际标准、排名第二位至第四位的企业和机构给予{amount}奖励",
           "enterprises and institutions ranked second to fourth in drafting a completed international standard "
           "receive a reward of {amount}"),
    "R6": ("对参与制定并完成国家标准、排名第二位至第四位的企业和机构给予{amount}奖励",
           "enterprises and institutions ranked second to fourth in drafting a completed national standard "
           "receive a reward of {amount}"),
    "R7": ("对承担组建国际专业标准化技术委员会、分技术委员会秘书处的企业和其他组织一次性给予{amount}专项补助",
           "enterprises and other organisations that take on the secretariat of an international technical committee "
           "or sub-committee receive a one-time special subsidy of {amount}"),
    "R8": ("对承担组建全国专业标准化技术委员会、分技术委员会秘书处的企业和其他组织一次性给予{amount}专项补助",
           "enterprises and other organisations that take on the secretariat of a national professional "
           "standardisation technical committee or sub-committee receive a one-time special subsidy of {amount}"),
    "R9": ("对承担组建省级专业标准化技术委员会、分技术委员会秘书处的企业和其他组织一次性给予{amount}专项补助",
           "enterprises and other organisations that take on the secretariat of a provincial professional "
           "standardisation technical committee or sub-committee receive a one-time special subsidy of {amount}"),
    "R10": ("对获得中国标准创新贡献奖一、二、三等奖的单位给予{amount}奖励",
            "organisations that win a first, second or third prize of the China Standard Innovation Contribution "
            "Award receive a reward of {amount}"),
    "R11": ("对获得中国标准创新贡献奖组织奖的单位给予{amount}奖励",
            "organisations that win the organisation award of the China Standard Innovation Contribution Award "
            "receive a reward of {amount}"),
    "R12": ("对通过国家级标准化试点项目验收的单位给予最高{amount}奖励",
            "organisations whose national standardisation pilot passes acceptance receive a reward of up to {amount}"),
    "R13": ("对通过省级标准化试点项目验收的单位给予最高{amount}奖励",
            "organisations whose provincial standardisation pilot passes acceptance receive a reward of up to {amount}"),
}


def zh_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def en_date(day: date) -> str:
    return f"{day.day} {day:%B} {day.year}"


def paid_sentence(rule: str, amount: int, since: date = IN_FORCE, *, proposed: bool = False) -> tuple[str, str]:
    """The sentence that grants ``amount`` under ``rule`` (after the subject), in both languages."""
    zh, en = GRANTED[rule]
    if proposed:
        when = (f"按拟议金额测算,拟自{zh_date(since)}起执行,尚未登记", f"a proposed amount from {en_date(since)}, not recorded")
    else:
        when = (f"该奖励标准自{zh_date(since)}起执行", f"the amount in force from {en_date(since)}")
    return (f":{CITE_ZH},{zh.format(amount=format_yuan_zh(amount))}({when[0]})。",
            f": {CITE_EN}, {en.format(amount=format_yuan_en(amount))} ({when[1]}).")


def assert_document_style(outcome) -> None:
    """No rule id, parameter key, version number or ISO date inside the sentence; the document cited."""
    problems = {lang: style_problems(text, lang) for lang, text in
                (("zh", outcome.explanation_zh), ("en", outcome.explanation_en))}
    assert problems == {"zh": [], "en": []}, (outcome.explanation_zh, outcome.explanation_en)


def assert_paid(outcome, rule: str, key: str, amount: int, *, subject: str, since: date = IN_FORCE,
                origin: str = "shipped") -> None:
    """A paid outcome: rule, exact int amount, clause and the parameter version in the structured
    fields; an explanation naming the subject, then citing the document and clause, whom it
    rewards, the amount and from when it applies, in both languages.

    Without a database the value is unstored: a plugin's shipped default, or a
    proposed (what-if) version; the explanation says when it is proposed.
    """
    assert outcome.rule == rule
    assert type(outcome.amount) is int and outcome.amount == amount
    assert outcome.clause == CLAUSE
    assert outcome.status == "ok"
    assert outcome.plugin == "reward_tiers"
    assert outcome.parameters == (ParamValue(key, amount, since, None, origin),)
    zh, en = outcome.explanation
    assert subject in zh and subject in en
    sentence = paid_sentence(rule, amount, since, proposed=origin == "what-if")
    assert sentence[0] in zh and sentence[1] in en
    assert_document_style(outcome)
    assert HAN.search(zh)


def assert_zero(outcome, rule: str, reason: str, *, subject: str, zh: str, en: str) -> None:
    assert outcome.rule == rule
    assert type(outcome.amount) is int and outcome.amount == 0
    assert outcome.clause == CLAUSE
    assert outcome.details["reason"] == reason
    assert subject in outcome.explanation_zh and subject in outcome.explanation_en
    assert zh in outcome.explanation_zh
    assert en in outcome.explanation_en
    assert_document_style(outcome)


# ---------------------------------------------------------------------------
# R1–R4: leading drafter (rank 1, not a revision)
# ---------------------------------------------------------------------------

LEAD = [
    # (standard number, declared level, date (its publication), rule, parameter, amount)
    # The date falls in the number's year or the next (schemas.StandardDraftingSchema).
    ("ISO 14068-1:2023", None, DAY, "R1", "lead.international", 1_000_000),
    ("IEC 62933-5-3:2024", None, "2024-05-10", "R1", "lead.international", 1_000_000),
    ("ISO/IEC 27001:2022", "international", "2022-10-25", "R1", "lead.international", 1_000_000),
    ("ITU-T Y.3172 (06/2023)", None, "2023-06-22", "R1", "lead.international", 1_000_000),
    ("GB/T 32151.31-2023", None, DAY, "R2", "lead.national", 300_000),
    ("GB 21258-2024", None, "2024-05-10", "R2", "lead.national", 300_000),
    ("GB/Z 41296-2022", None, DAY, "R2", "lead.national", 300_000),  # published in the year after its number's
    ("GB/T 24067-2024 (ISO 14067:2018, MOD)", None, "2024-08-23", "R2", "lead.national", 300_000),
    ("JB/T 14001-2023", None, DAY, "R3", "lead.industry", 200_000),
    ("NB/SH/T 6025-2023", None, DAY, "R3", "lead.industry", 200_000),
    ("DB33/T 2512-2022", None, "2022-11-30", "R3", "lead.local", 200_000),
    ("DB3304/T 101-2023", "local", DAY, "R3", "lead.local", 200_000),
    ("GJB 10248-2023", None, DAY, "R3", "lead.military", 200_000),
    ("T/ZZB 3421-2024", None, "2024-04-18", "R4", "lead.zhejiang_made", 200_000),
    ("T/ZJFW 12-2023", "zhejiang_service", DAY, "R4", "lead.zhejiang_service", 200_000),
    ("T/ZNZ 3-2023", "zhejiang_agri", DAY, "R4", "lead.zhejiang_agri", 200_000),
]


def known_brand_series(registry, **series: list[str]) -> EvaluationContext:
    """The shipped parameters, with these group codes known as each declared Zhejiang brand's series."""
    return EvaluationContext(parameters=registry.default_parameters().with_versions([
        ParameterVersion(key=f"reward_tiers.brand_series.{level}", value=codes, effective_from=IN_FORCE,
                         reference="test") for level, codes in series.items()]))


@pytest.mark.parametrize(("number", "level", "day", "rule", "param", "amount"), LEAD, ids=[c[0] for c in LEAD])
def test_leading_drafter(registry, number, level, day, rule, param, amount):
    record = drafting(number, 1, date=day, **({"level": level} if level else {}))
    # A declared 浙江服务 / 浙江农产 standard is paid when its group code is a known series of the brand.
    outcome = evaluate_one(registry, record, known_brand_series(registry, zhejiang_service=["ZJFW"], zhejiang_agri=["ZNZ"]))
    code = number.split(" (")[0]
    assert_paid(outcome, rule, f"reward_tiers.{param}", amount, subject=code)
    stored = outcome.activity.fields["standard_code"]
    assert f"{stored}(起草单位排名第一位,非修订" in outcome.explanation_zh
    assert f"{stored} (drafting unit ranked 1st, not a revision" in outcome.explanation_en
    assert outcome.details is None


def test_declared_brand_level_is_said_to_be_declared(registry):
    # No organisation code is known for 浙江服务: the declaration is trusted, and the explanation says so.
    outcome = evaluate_one(registry, drafting("T/ZJFW 12-2023", 1, level="zhejiang_service"))
    assert "级别按申报" in outcome.explanation_zh
    assert "level as declared" in outcome.explanation_en
    inferred = evaluate_one(registry, drafting("T/ZZB 3120-2023", 1, level="zhejiang_made"))
    assert "级别按申报" not in inferred.explanation_zh
    assert "level as declared" not in inferred.explanation_en


@pytest.mark.parametrize(("answer", "revision"), [("是", True), ("否", False), ("对", True), ("错", False)])
def test_a_revision_answered_in_chinese_is_read_as_it_is_in_a_file(registry, answer, revision):
    # 是否修订: 是 — in JSON as in a CSV file or a form.
    report = registry.validate([drafting("GB/T 1-2023", 1, revision=answer)])
    assert not report.invalid
    assert report.valid[0].fields["revision"] is revision


@pytest.mark.parametrize(
    ("number", "rule"),
    [("ISO 14068-1:2023", "R1"), ("GB/T 32151.31-2023", "R2"), ("DB33/T 2512-2022", "R3"), ("T/ZZB 3120-2023", "R4")],
    ids=["international", "national", "local", "zhejiang_made"],
)
def test_leading_drafter_of_a_revision_gets_nothing(registry, number, rule):
    outcome = evaluate_one(registry, drafting(number, 1, revision=True))
    assert_zero(outcome, rule, "revision", subject=number,
                zh=f"(起草单位排名第一位,修订):{CITE_ZH},对牵头制定标准的奖励不含修订,修订标准的牵头起草单位不予奖励。",
                en=f" (drafting unit ranked 1st, a revision): {CITE_EN}, the reward for leading the drafting of a "
                   "standard excludes revisions; the leading drafter of a revision receives no reward.")
    assert outcome.parameters == ()  # nothing was read: the text grants nothing
    assert outcome.dedup_key is None


# ---------------------------------------------------------------------------
# R5–R6: participation (rank 2–4), international and national only
# ---------------------------------------------------------------------------

PARTICIPATE = [
    (number, rank, rule, param, amount)
    for number, rule, param, amount in [
        ("ISO 14068-1:2023", "R5", "participate.international", 300_000),
        ("GB/T 32151.31-2023", "R6", "participate.national", 150_000),
    ]
    for rank in (2, 3, 4)
]


@pytest.mark.parametrize(("number", "rank", "rule", "param", "amount"), PARTICIPATE,
                         ids=[f"{c[0]}-rank{c[1]}" for c in PARTICIPATE])
@pytest.mark.parametrize("revision", [False, True], ids=["new", "revision"])
def test_participation(registry, number, rank, rule, param, amount, revision):
    # 不含修订 stands in the leading-drafter clause only: a revision is paid at rank 2–4.
    outcome = evaluate_one(registry, drafting(number, rank, revision=revision))
    assert_paid(outcome, rule, f"reward_tiers.{param}", amount, subject=number)
    ordinal = {2: ("二", "2nd"), 3: ("三", "3rd"), 4: ("四", "4th")}[rank]
    flag = ("修订", "a revision") if revision else ("非修订", "not a revision")
    assert f"{number}(起草单位排名第{ordinal[0]}位,{flag[0]}):" in outcome.explanation_zh
    assert f"{number} (drafting unit ranked {ordinal[1]}, {flag[1]}): " in outcome.explanation_en


@pytest.mark.parametrize(
    "number",
    ["JB/T 14001-2023", "DB33/T 2512-2022", "GJB 10248-2023", "T/ZZB 3120-2023"],
    ids=["industry", "local", "military", "zhejiang_made"],
)
@pytest.mark.parametrize("rank", [2, 4])
def test_participation_in_other_levels_gets_nothing(registry, number, rank):
    outcome = evaluate_one(registry, drafting(number, rank))
    assert_zero(outcome, "R0", "participation_level", subject=number,
                zh=f"{CITE_ZH},对参与制定、排名第二位至第四位的起草单位,仅就国际标准和国家标准给予奖励,参与制定",
                en=f"{CITE_EN}, drafting units ranked second to fourth are rewarded for international and national "
                   "standards only; taking part in drafting a")
    assert outcome.parameters == ()


@pytest.mark.parametrize("rank", [5, 6, 20])
@pytest.mark.parametrize("number", ["ISO 14068-1:2023", "GB/T 32151.31-2023"], ids=["international", "national"])
def test_rank_five_and_below_gets_nothing(registry, number, rank):
    outcome = evaluate_one(registry, drafting(number, rank))
    ordinal = {5: ("五", "5th"), 6: ("六", "6th"), 20: ("二十", "20th")}[rank]
    assert_zero(outcome, "R0", "rank", subject=number,
                zh=f"(起草单位排名第{ordinal[0]}位,非修订):{CITE_ZH},仅对排名第一位的牵头起草单位和排名第二位至第四位的"
                   f"参与起草单位给予奖励,排名第{ordinal[0]}位不予奖励。",
                en=f"{CITE_EN}, only the leading drafter (ranked first) and the drafting units ranked second to fourth "
                   f"are rewarded; a drafting unit ranked {ordinal[1]} receives no reward.")


GROUP_ZH = f":{CITE_ZH},团体标准中仅对“浙江制造”“浙江服务”“浙江农产”标准给予奖励,其他团体标准不予奖励。"
GROUP_EN = (f": {CITE_EN}, of group standards only Zhejiang Made, Zhejiang Service and Zhejiang Agricultural standards "
            "are rewarded; no reward is granted for other group standards.")
ENTERPRISE_ZH = f":{DOCUMENT_ZH}第三部分第(二)项未对企业标准设定奖励,不予奖励。"
ENTERPRISE_EN = f": Part III, item (2) of {DOCUMENT_EN} sets no reward for enterprise standards, so no reward is granted."


@pytest.mark.parametrize(
    ("number", "rank", "revision", "zh", "en"),
    [
        ("T/CAS 290-2023", 1, False, GROUP_ZH, GROUP_EN),
        ("T/CAS 290-2023", 2, False, GROUP_ZH, GROUP_EN),
        ("T/CAS 290-2023", 1, True, GROUP_ZH, GROUP_EN),
        ("Q/JXAB 001-2023", 1, False, ENTERPRISE_ZH, ENTERPRISE_EN),
        ("Q/JXAB 001-2023", 3, False, ENTERPRISE_ZH, ENTERPRISE_EN),
    ],
    ids=["group-rank1", "group-rank2", "group-revision", "enterprise-rank1", "enterprise-rank3"],
)
def test_group_and_enterprise_standards_get_nothing(registry, number, rank, revision, zh, en):
    outcome = evaluate_one(registry, drafting(number, rank, revision=revision))
    assert_zero(outcome, "R0", "level", subject=number, zh=zh, en=en)
    assert outcome.dedup_key is None


# ---------------------------------------------------------------------------
# R7–R9: secretariats; R10–R11: awards
# ---------------------------------------------------------------------------

SECRETARIATS = [
    # (committee, level, rule, parameter, amount, the committee by its proper name: zh, en)
    ("ISO/TC 207/SC 7", "international", "R7", "secretariat.international", 1_000_000,
     "国际标准化组织分技术委员会", "ISO sub-committee"),
    ("ISO/IEC JTC 1/SC 27", "international", "R7", "secretariat.international", 1_000_000,
     "国际标准化组织和国际电工委员会联合技术委员会分技术委员会", "sub-committee"),
    ("ISO/IEC JTC 1", "international", "R7", "secretariat.international", 1_000_000,
     "国际标准化组织和国际电工委员会联合技术委员会", "ISO/IEC joint technical committee"),
    ("IEC/TC 120", "international", "R7", "secretariat.international", 1_000_000,  # ITU-T study groups: refused
     "国际电工委员会技术委员会", "IEC technical committee"),
    ("IEC/TC 61", "international", "R7", "secretariat.international", 1_000_000,
     "国际电工委员会技术委员会", "IEC technical committee"),
    ("SAC/TC 548", "national", "R8", "secretariat.national", 500_000,
     "全国专业标准化技术委员会", "national professional standardisation technical committee"),
    ("SAC/TC 118/SC 1", "national", "R8", "secretariat.national", 500_000,
     "全国专业标准化分技术委员会", "national professional standardisation sub-committee"),
    ("ZJ/TC 12", "provincial", "R9", "secretariat.provincial", 200_000,
     "省级专业标准化技术委员会", "provincial professional standardisation technical committee"),
    ("ZJ/TC 31/SC 2", "provincial", "R9", "secretariat.provincial", 200_000,
     "省级专业标准化分技术委员会", "provincial professional standardisation sub-committee"),
]


@pytest.mark.parametrize(("code", "level", "rule", "param", "amount", "zh", "en"), SECRETARIATS,
                         ids=[c[0] for c in SECRETARIATS])
def test_secretariat(registry, code, level, rule, param, amount, zh, en):
    outcome = evaluate_one(registry, secretariat(code, level))
    assert_paid(outcome, rule, f"reward_tiers.{param}", amount, subject=code)
    assert outcome.explanation_zh.startswith(f"承担{zh} {code} 秘书处:{CITE_ZH},")
    assert outcome.explanation_en.startswith(f"Secretariat of the {en} {code}" if en != "sub-committee"
                                             else f"Secretariat of the sub-committee {code} of the ISO/IEC joint")


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [("sac/tc548", "SAC/TC 548"), ("SAC TC 548", "SAC/TC 548"), ("ＩＳＯ／ＴＣ　２０７／ＳＣ　７", "ISO/TC 207/SC 7")],
    ids=["lower-case", "space", "full-width"],
)
def test_committee_codes_are_canonical(registry, raw, canonical):
    level = "international" if canonical.startswith("ISO") else "national"
    activities, _ = run(registry, secretariat(raw, level))
    assert activities[0].fields["committee_code"] == canonical


AWARDS = [
    ("first", "R10", "award.first", 1_000_000, "一等奖", "first prize"),
    ("second", "R10", "award.second", 800_000, "二等奖", "second prize"),
    ("third", "R10", "award.third", 500_000, "三等奖", "third prize"),
    ("organization", "R11", "award.organization", 500_000, "组织奖", "organisation award"),
]


@pytest.mark.parametrize(("which", "rule", "param", "amount", "zh", "en"), AWARDS, ids=[c[0] for c in AWARDS])
def test_innovation_award(registry, which, rule, param, amount, zh, en):
    outcome = evaluate_one(registry, award(which, project="GB/T 32150-2015 工业企业温室气体排放核算"))
    assert_paid(outcome, rule, f"reward_tiers.{param}", amount, subject="GB/T 32150-2015")
    assert outcome.explanation_zh.startswith(
        f"获得中国标准创新贡献奖{zh}(获奖项目“GB/T 32150-2015 工业企业温室气体排放核算”):{CITE_ZH},")
    assert outcome.explanation_en.startswith(
        f"{en[0].upper()}{en[1:]} of the China Standard Innovation Contribution Award for the project "
        f"“GB/T 32150-2015 工业企业温室气体排放核算”: {CITE_EN},")


# ---------------------------------------------------------------------------
# R12–R13: pilots, capped
# ---------------------------------------------------------------------------

CAPS = [("national", "R12", "pilot_cap.national", 300_000), ("provincial", "R13", "pilot_cap.provincial", 200_000)]


@pytest.mark.parametrize(("level", "rule", "param", "cap"), CAPS, ids=[c[0] for c in CAPS])
def test_pilot_without_a_granted_amount_is_the_cap(registry, level, rule, param, cap):
    outcome = evaluate_one(registry, pilot(level, project="嘉兴市秀洲区服务业标准化试点"))
    assert_paid(outcome, rule, f"reward_tiers.{param}", cap, subject="嘉兴市秀洲区服务业标准化试点")
    assert outcome.details == {"upper_bound": True}
    assert outcome.explanation_zh.endswith(f"实际金额尚未核定,暂按上限{format_yuan_zh(cap)}计列,以评审核定金额为准。")
    assert outcome.explanation_en.endswith(f"The amount actually granted is not yet decided: the cap of "
                                           f"{format_yuan_en(cap)} is shown until the assessment decides it.")


@pytest.mark.parametrize(("level", "rule", "param", "cap"), CAPS, ids=[c[0] for c in CAPS])
@pytest.mark.parametrize("fraction", [0, 0.5, 1], ids=["zero", "half", "cap"])
def test_pilot_granted_within_the_cap_is_paid_as_granted(registry, level, rule, param, cap, fraction):
    granted = int(cap * fraction)
    outcome = evaluate_one(registry, pilot(level, granted_amount=granted))
    assert outcome.rule == rule
    assert type(outcome.amount) is int and outcome.amount == granted
    assert outcome.details is None
    assert outcome.parameters == (ParamValue(f"reward_tiers.{param}", cap, IN_FORCE, None, "shipped"),)
    zh, en = paid_sentence(rule, cap)
    assert outcome.explanation_zh.endswith(zh + f"核定金额{format_yuan_zh(granted)},未超过上限,按核定金额发放。")
    assert outcome.explanation_en.endswith(en + f" The granted {format_yuan_en(granted)} is within the cap and is paid.")
    assert_document_style(outcome)


@pytest.mark.parametrize(("level", "cap"), [("national", 300_000), ("provincial", 200_000)])
def test_pilot_granted_above_the_cap_is_refused(registry, level, cap):
    report = registry.validate([pilot(level, granted_amount=cap + 1), pilot(level, granted_amount="300,000" if level == "national" else 200_000)])
    (bad,) = report.invalid
    assert bad.row == 1
    (error,) = bad.errors
    assert error.field == "granted_amount"
    assert error.message == f"the granted amount ¥{cap + 1:,} exceeds the cap ¥{cap:,} in force on that date"
    assert error.message_zh == f"核定金额 {cap + 1:,} 元超过该日有效的上限 {cap:,} 元"
    assert [a.fields["granted_amount"] for a in report.valid] == [cap]


def test_pilot_cap_lowered_after_validation_still_binds(registry):
    report = registry.validate([pilot("national", granted_amount=280_000, date="2024-03-01")])
    lowered = registry.default_parameters().with_versions([ParameterVersion(
        key="reward_tiers.pilot_cap.national", value=250_000, effective_from=date(2024, 1, 1), reference="test",
    )])
    result = registry.evaluate(report.valid, EvaluationContext(parameters=lowered))
    outcome = outcome_of(result, report.valid[0])
    assert outcome.amount == 250_000
    assert outcome.details == {"capped_from": 280_000}
    assert outcome.explanation_zh.endswith("核定金额28万元超过上限,按上限25万元发放。")
    assert outcome.explanation_en.endswith("The granted ¥280,000 exceeds the cap; the cap of ¥250,000 is paid.")
    assert_document_style(outcome)


@pytest.mark.parametrize(("level", "rule"), [("national", "R12"), ("provincial", "R13")])
@pytest.mark.parametrize("granted", [None, 100_000], ids=["no grant", "granted"])
def test_pilot_not_accepted_gets_nothing(registry, level, rule, granted):
    extra = {} if granted is None else {"granted_amount": granted}
    outcome = evaluate_one(registry, pilot(level, False, **extra))
    name = {"national": ("国家级", "National"), "provincial": ("省级", "Provincial")}[level]
    assert_zero(outcome, rule, "not_accepted", subject="",
                zh=f"{name[0]}标准化试点项目尚未通过验收:{CITE_ZH},仅对通过标准化试点项目验收的单位给予奖励,验收前不予奖励。",
                en=f"{name[1]} standardisation pilot has not passed acceptance: {CITE_EN}, only pilots that have passed "
                   "acceptance are rewarded; no reward is granted before acceptance.")
    assert outcome.parameters == ()


# ---------------------------------------------------------------------------
# The date the policy takes effect
# ---------------------------------------------------------------------------

ONE_OF_EACH = [
    # standards numbered 2022, so that both 2022-07-31 and 2022-08-01 fall in their year
    ("lead", drafting("GB/T 41472-2022"), "R2", "reward_tiers.lead.national", 300_000),
    ("participate", drafting("ISO/IEC 27001:2022", 3), "R5", "reward_tiers.participate.international", 300_000),
    ("secretariat", secretariat("SAC/TC 548", "national"), "R8", "reward_tiers.secretariat.national", 500_000),
    ("award", award("second"), "R10", "reward_tiers.award.second", 800_000),
    ("pilot", pilot("provincial"), "R13", "reward_tiers.pilot_cap.provincial", 200_000),
]


@pytest.mark.parametrize(("record", "rule", "key", "amount"), [c[1:] for c in ONE_OF_EACH], ids=[c[0] for c in ONE_OF_EACH])
def test_nothing_before_2022_08_01_and_paid_from_it(registry, record, rule, key, amount):
    before = dict(record, date="2022-07-31", id="before")
    if "standard_code" in before:  # another organisation at the same rank of the same standard would be a conflict
        before["standard_code"] = before["standard_code"].replace("41472", "41473").replace("27001", "27002")
    if "committee_code" in before:  # so would another organisation claiming the same committee's secretariat
        before["committee_code"] = "SAC/TC 549"
    on = dict(record, date="2022-08-01", id="on", credit_code=OTHER_ORG)  # another organisation: no duplicate
    activities, result = run(registry, before, on)

    too_early = outcome_of(result, activities[0])
    assert too_early.rule == rule
    assert too_early.amount == 0
    assert too_early.details == {"reason": "not_in_force"}
    assert too_early.parameters == ()
    who_en = GRANTED[rule][1].split(" receive ")[0]
    assert (f":成果日期为2022年7月31日,早于{DOCUMENT_ZH}第三部分第(二)项该项奖励标准的执行日期2022年8月1日,"
            "没有适用于该日期的奖励标准,不予奖励。") in too_early.explanation_zh
    assert (f": dated 31 July 2022, before the amount for {who_en} under Part III, item (2) of {DOCUMENT_EN} "
            "applies (1 August 2022); no amount applies on that date, so no reward is granted.") in too_early.explanation_en
    assert_document_style(too_early)

    paid = outcome_of(result, activities[1])
    assert paid.rule == rule and paid.amount == amount
    assert paid.parameters == (ParamValue(key, amount, IN_FORCE, None, "shipped"),)


def test_a_parameter_without_any_version(registry):
    empty = ParameterResolver(registry.parameters, [])
    outcome = evaluate_one(registry, drafting("GB/T 32151.31-2023"), EvaluationContext(parameters=empty))
    assert outcome.amount == 0 and outcome.details == {"reason": "not_in_force"}
    assert outcome.explanation_zh.endswith(
        f":{DOCUMENT_ZH}第三部分第(二)项对牵头制定并完成国家标准的企业和机构的奖励金额尚未设定,暂不予奖励。")
    assert outcome.explanation_en.endswith(
        ": no amount has been set for enterprises and institutions that lead the drafting of a completed national "
        f"standard under Part III, item (2) of {DOCUMENT_EN}, so no reward is granted.")
    assert_document_style(outcome)


# ---------------------------------------------------------------------------
# One reward per organisation and standard / committee / project
# ---------------------------------------------------------------------------

def _assert_repeat(outcome, earlier: Activity, amount: int, *, rule: str, key: str, value: int) -> None:
    assert outcome.rule == rule
    assert outcome.amount == 0
    assert outcome.details == {
        "reason": "duplicate",
        "paid_with": {"activity": earlier.ref, "activity_id": None, "date": earlier.date.isoformat(), "amount": amount},
    }
    assert outcome.parameters == (ParamValue(key, value, IN_FORCE, None, "shipped"),)
    # dates as a document writes them: 2023年3月1日, 1 March 2023
    day = earlier.date
    assert (f"只奖励一次。已随活动 {earlier.ref}({zh_date(day)})发放{format_yuan_zh(amount)},本条不再重复奖励。"
            in outcome.explanation_zh)
    assert (f" is rewarded once. {format_yuan_en(amount)} was already paid with activity {earlier.ref} "
            f"({en_date(day)}); this record is not rewarded again." in outcome.explanation_en)
    assert f"按照{DOCUMENT_ZH}第三部分第(二)项的奖励规定," in outcome.explanation_zh
    assert_document_style(outcome)


@pytest.mark.parametrize("reverse", [False, True], ids=["earliest first", "earliest last"])
def test_same_organisation_and_standard_is_paid_once(registry, reverse):
    records = [
        drafting("GB/T 32151.31—2023", 1, date="2023-03-01", id="first"),
        drafting("GB/T32151.31-2023", 1, date="2023-09-01", id="repeat"),  # another spelling, the same number
    ]
    activities, result = run(registry, *(reversed(records) if reverse else records))
    by_ref = {a.ref: a for a in activities}
    first, repeat = outcome_of(result, by_ref["first"]), outcome_of(result, by_ref["repeat"])
    assert first.amount == 300_000 and first.details is None
    _assert_repeat(repeat, by_ref["first"], 300_000, rule="R2", key="reward_tiers.lead.national", value=300_000)
    assert first.dedup_key == repeat.dedup_key
    assert ORG in first.dedup_key and "GB/T 32151.31-2023" in first.dedup_key
    assert result.total_amount == 300_000


def test_same_date_repeat_input_order_decides(registry):
    activities, result = run(registry, drafting("GB/T 1-2023", id="a"), drafting("GB/T 1-2023", id="b"))
    assert [outcome_of(result, a).amount for a in activities] == [300_000, 0]
    assert outcome_of(result, activities[1]).details["paid_with"]["activity"] == "a"


def test_lead_and_participation_in_one_standard_is_paid_once(registry):
    activities, result = run(registry, drafting("GB/T 1-2023", 2, date="2023-02-01", id="p"),
                             drafting("GB/T 1-2023", 1, date="2023-06-01", id="l"))
    participation, lead = (outcome_of(result, a) for a in activities)
    assert participation.rule == "R6" and participation.amount == 150_000
    _assert_repeat(lead, activities[0], 150_000, rule="R2", key="reward_tiers.lead.national", value=300_000)


def test_different_organisations_or_standards_are_paid_separately(registry):
    activities, result = run(
        registry,
        drafting("GB/T 1-2023", 1),
        drafting("GB/T 1-2023", 2, org=OTHER_ORG),
        drafting("GB/T 2-2023", 1),
        secretariat("SAC/TC 118", "national"),
        secretariat("SAC/TC 118/SC 1", "national"),  # a sub-committee is another committee
        secretariat("SAC/TC 119", "national", org=OTHER_ORG),
    )
    assert [outcome_of(result, a).amount for a in activities] == [300_000, 150_000, 300_000, 500_000, 500_000, 500_000]


def test_an_achievement_reported_before_the_policy_is_not_paid_under_a_new_date(registry):
    # 本意见自2022年8月1日起施行: an achievement first reported before that day was completed before the
    # policy; reported again under a later date, it is still not covered (docs/policy-readings.md).
    activities, result = run(registry, drafting("GB/T 41001-2022", date="2022-07-01", id="early"),
                             drafting("GB/T 41001-2022", date="2022-08-15", id="later"),
                             secretariat("SAC/TC 548", "national", date="2022-06-30", id="tc-early"),
                             secretariat("SAC/TC548", "national", date="2023-01-05", id="tc-later"))
    early, later, tc_early, tc_later = (outcome_of(result, a) for a in activities)
    assert [early.amount, later.amount, tc_early.amount, tc_later.amount] == [0, 0, 0, 0]
    assert early.details == {"reason": "not_in_force"}
    for outcome, ref, zh_day in ((later, "early", "2022年7月1日"), (tc_later, "tc-early", "2022年6月30日")):
        assert outcome.status == "not_covered"
        assert outcome.details["reason"] == "reported_before_policy"
        assert outcome.details["reported"]["activity"] == ref
        assert (f":该成果已于{zh_day}申报(活动 {ref}),早于{DOCUMENT_ZH}施行日期2022年8月1日,以新的日期再次申报的,"
                "不属于该意见第三部分第(二)项的奖励范围,不予奖励。") in outcome.explanation_zh
        assert (f" (activity {ref}), before {DOCUMENT_EN} took effect on 1 August 2022; reported again under a new "
                "date, it is not covered by Part III, item (2) and receives no reward.") in outcome.explanation_en
        assert_document_style(outcome)
    # another organisation's report of the same committee is not that achievement: it is a second claim to
    # the committee's one secretariat, held for review (a secretariat moved is the reviewer's to confirm)
    activities, result = run(registry, secretariat("SAC/TC 548", "national", date="2022-06-30"),
                             secretariat("SAC/TC 548", "national", date="2023-01-05", org=OTHER_ORG))
    other = outcome_of(result, activities[1])
    assert (other.amount, other.status, other.details["held_amount"], other.details["reason"]) == (
        0, "held", 500_000, "secretariat_conflict")


@pytest.mark.parametrize("reverse", [False, True], ids=["earliest first", "earliest last"])
def test_same_organisation_and_committee_is_paid_once(registry, reverse):
    records = [
        secretariat("SAC/TC 548", "national", date="2022-10-01", id="tc-1"),
        secretariat("sac/tc548", "national", date="2024-01-15", id="tc-2"),
    ]
    activities, result = run(registry, *(reversed(records) if reverse else records))
    by_ref = {a.ref: a for a in activities}
    assert outcome_of(result, by_ref["tc-1"]).amount == 500_000
    repeat = outcome_of(result, by_ref["tc-2"])
    _assert_repeat(repeat, by_ref["tc-1"], 500_000, rule="R8", key="reward_tiers.secretariat.national", value=500_000)
    assert repeat.explanation_zh.startswith("承担全国专业标准化技术委员会 SAC/TC 548 秘书处:")
    assert "的奖励规定,同一单位承担同一技术委员会的秘书处只奖励一次。" in repeat.explanation_zh
    assert ", the same organisation's secretariat of the same committee is rewarded once." in repeat.explanation_en


def test_same_award_project_and_same_pilot_project_are_paid_once(registry):
    activities, result = run(
        registry,
        award("first", project="P1", date="2023-01-10", id="a1"),
        award("first", project="P1", date="2023-02-10", id="a2"),
        pilot("national", project="X", granted_amount=120_000, date="2023-01-10", id="p1"),
        pilot("national", project="X", date="2023-02-10", id="p2"),
    )
    amounts = {a.ref: outcome_of(result, a).amount for a in activities}
    assert amounts == {"a1": 1_000_000, "a2": 0, "p1": 120_000, "p2": 0}
    assert outcome_of(result, activities[3]).details["paid_with"] == {
        "activity": "p1", "activity_id": None, "date": "2023-01-10", "amount": 120_000,
    }


#: One project as an applicant might type it again: a space at either end (ASCII, full-width, no-break), a
#: zero-width space, a soft hyphen, a byte-order mark. Each was a second project, paid again, before FreeText.
SAME_PROJECT = ["LED照明标准化试点", "LED照明标准化试点 ", "\u3000LED照明标准化试点", "\u00a0LED照明标准化试点",
                "LED照明\u200b标准化试点", "LED照明标准化\u00ad试点", "\ufeffLED照明标准化试点\u200f"]
#: The same again in other case or full-width letters: stored as given, compared by core.name_key.
SAME_PROJECT_OTHERWISE_WRITTEN = ["led照明标准化试点", "ＬＥＤ照明标准化试点", "Led照明标准化试点"]


@pytest.mark.parametrize("kind", ["award", "pilot"])
def test_a_project_typed_again_another_way_is_not_paid_again(registry, kind):
    """(一次性) The same project is the one that reads the same: a trailing space or a zero-width space does not
    make a second project."""
    make = (lambda project, i: award("first", project=project, date=f"2023-01-{10 + i}", id=f"x{i}")) if kind == "award" \
        else (lambda project, i: pilot("national", project=project, date=f"2023-01-{10 + i}", id=f"x{i}"))
    projects = SAME_PROJECT + SAME_PROJECT_OTHERWISE_WRITTEN
    activities, result = run(registry, *(make(project, i) for i, project in enumerate(projects)))
    amounts = [outcome_of(result, a).amount for a in activities]
    assert amounts[0] > 0 and amounts[1:] == [0] * (len(projects) - 1)
    assert len({outcome_of(result, a).dedup_key for a in activities}) == 1
    # stored as it reads
    assert {a.fields["project"] for a in activities} == {"LED照明标准化试点", *SAME_PROJECT_OTHERWISE_WRITTEN}


def test_a_pilot_paid_under_the_key_it_was_stored_with_is_not_paid_again(registry):
    """Pilots' projects used to be compared as typed, and stored outcomes keep the key they were paid under:
    a record of the same project written otherwise finds the payment by that key."""
    paid = PriorPayment("pilot:" + ORG + ":LED照明标准化试点", 41, "OLD-7", date(2023, 1, 10), 300_000, "R12")
    history = FakeHistory({paid.dedup_key: paid})
    context = EvaluationContext(parameters=registry.default_parameters(), history=history)
    outcome = evaluate_one(registry, pilot("national", project="LED照明标准化试点 ", date="2024-03-01"), context)
    assert outcome.amount == 0 and outcome.dedup_key == "pilot:" + ORG + ":led照明标准化试点"
    assert "已随活动 OLD-7(2023年1月10日)发放30万元,本条不再重复奖励。" in outcome.explanation_zh
    assert history.calls == [("reward_tiers", {outcome.dedup_key, paid.dedup_key})]
    # A project whose name is its own key asks once.
    history.calls.clear()
    outcome = evaluate_one(registry, pilot("national", project="光伏运维试点", date="2024-03-01"), context)
    assert outcome.amount == 300_000 and history.calls == [("reward_tiers", {outcome.dedup_key})]


def test_a_stored_award_project_with_characters_that_show_nothing_is_the_same_project(registry):
    """A record stored before FreeText trimmed names keeps its spelling; an award's project still compares as it reads."""
    stored = Activity("innovation_award", date(2023, 1, 10), ORG, {"award": "first", "project": " 智能制造\u200b标准 "},
                      ref="old")
    new = Activity("innovation_award", date(2023, 2, 10), ORG, {"award": "first", "project": "智能制造标准"}, ref="new")
    result = registry.evaluate([stored, new])
    assert [outcome_of(result, a).amount for a in (stored, new)] == [1_000_000, 0]


def test_a_standard_paid_under_another_code_of_its_series_is_not_paid_again(registry):
    """GB 45123-2025 and GB/T 45123-2025 are one standard (one series of numbers): a reward stored under the
    number as given (the key before they were one) is found through the register's record of it, and only
    spellings the register holds are asked for."""
    stored = PriorActivity(41, "OLD-7", "standard_drafting", date(2025, 6, 20), ORG, "嘉兴市某某制造有限公司",
                           "GB 45123-2025", {"rank": 1})
    paid = PriorPayment(f"standard:{ORG}:GB 45123-2025", 41, "OLD-7", date(2025, 6, 20), 300_000, "R2")
    history = FakeHistory({paid.dedup_key: paid}, stored=[stored])
    context = EvaluationContext(parameters=registry.default_parameters(), history=history)
    outcome = evaluate_one(registry, drafting("GB/T 45123-2025", date="2025-07-01"), context)
    assert outcome.amount == 0 and outcome.dedup_key == f"standard:{ORG}:GB/T 45123-2025"
    assert "已随活动 OLD-7(2025年6月20日)发放30万元" in outcome.explanation_zh
    assert history.calls == [("reward_tiers", {outcome.dedup_key, paid.dedup_key})]
    # A number the register holds under one spelling only asks for its own key.
    history.calls.clear()
    outcome = evaluate_one(registry, drafting("GB/T 45124-2025", date="2025-07-01"), context)
    assert outcome.amount == 300_000 and history.calls == [("reward_tiers", {outcome.dedup_key})]


def test_a_secretariat_the_register_holds_for_another_organisation_is_held(registry):
    """A committee has one secretariat: a claim stored for another organisation (the same committee; not its
    sub-committee, which the prefix also reads) holds the new claim, naming the stored one."""
    stored = [PriorActivity(41, "OLD-7", "tc_secretariat", date(2023, 3, 1), OTHER_ORG, "平湖光电新能源有限公司",
                            "SAC/TC 548", {"committee_level": "national"}),
              PriorActivity(42, "OLD-8", "tc_secretariat", date(2023, 3, 1), OTHER_ORG, "平湖光电新能源有限公司",
                            "SAC/TC 548/SC 1", {"committee_level": "national"})]
    context = EvaluationContext(parameters=registry.default_parameters(), history=FakeHistory({}, stored=stored))
    outcome = evaluate_one(registry, secretariat("SAC/TC 548", "national", date="2024-03-01"), context)
    assert (outcome.amount, outcome.status, outcome.details["held_amount"]) == (0, "held", 500_000)
    [reason] = outcome.details["held_reasons"]
    assert reason["other"]["activity"] == "OLD-7"
    assert reason["zh"].startswith("平湖光电新能源有限公司(统一社会信用代码") and "一个技术委员会只有一个秘书处" in reason["zh"]
    outcome = evaluate_one(registry, secretariat("SAC/TC 548/SC 2", "national", date="2024-03-01"), context)
    assert outcome.amount == 500_000


class FakeHistory:
    """Stored data with some rewards already paid, by dedup key, and some stored activities."""

    def __init__(self, paid: Mapping[str, PriorPayment], stored: list[PriorActivity] | None = None,
                 reported: Mapping[str, PriorReport] | None = None) -> None:
        self._paid = dict(paid)
        self._stored = list(stored or [])
        self._reported = dict(reported or {})
        self.calls: list[tuple[str, set[str]]] = []

    def paid(self, plugin: str, keys: Collection[str]) -> Mapping[str, PriorPayment]:
        self.calls.append((plugin, set(keys)))
        return {key: self._paid[key] for key in keys if key in self._paid}

    def reported(self, plugin: str, keys: Collection[str]) -> Mapping[str, PriorReport]:
        return {key: self._reported[key] for key in keys if key in self._reported}

    def activities(self, kind: str, prefixes: Collection[str]) -> list[PriorActivity]:
        return [a for a in self._stored if a.kind == kind and a.subject.startswith(tuple(prefixes))]


@pytest.mark.parametrize(
    ("record", "rule", "key", "value"),
    [
        (drafting("GB/T 32151.31-2023"), "R2", "reward_tiers.lead.national", 300_000),
        (secretariat("SAC/TC 548", "national"), "R8", "reward_tiers.secretariat.national", 500_000),
    ],
    ids=["standard", "committee"],
)
def test_repeat_of_a_stored_payment(registry, record, rule, key, value):
    # The key a payment is stored under is whatever the plugin gives; read it from a first run.
    dedup_key = evaluate_one(registry, record).dedup_key
    assert dedup_key and ORG in dedup_key
    prior = PriorPayment(dedup_key=dedup_key, activity_id=42, activity_ref="HN-2022-007",
                         date=date(2022, 9, 1), amount=value, rule=rule)
    history = FakeHistory({dedup_key: prior})
    context = EvaluationContext(parameters=registry.default_parameters(), history=history)
    other = dict(record, credit_code=OTHER_ORG)
    if "standard_code" in other:  # another organisation leading the same standard would be a rank conflict
        other["standard_code"] = "GB/T 32151.32-2023"
    if "committee_code" in other:  # another organisation claiming the same secretariat would be held
        other["committee_code"] = "SAC/TC 549"
    activities, result = run(registry, record, other, context=context)

    repeat = outcome_of(result, activities[0])
    assert repeat.rule == rule and repeat.amount == 0
    assert repeat.details == {"reason": "duplicate", "paid_with": {
        "activity": "HN-2022-007", "activity_id": 42, "date": "2022-09-01", "amount": value}}
    assert repeat.parameters == (ParamValue(key, value, IN_FORCE, None, "shipped"),)
    assert "已随活动 HN-2022-007(2022年9月1日)发放" in repeat.explanation_zh
    assert "already paid with activity HN-2022-007 (1 September 2022)" in repeat.explanation_en
    assert_document_style(repeat)
    assert outcome_of(result, activities[1]).amount == value  # another organisation is not a repeat
    # the plugin asked once per kind, for exactly the keys of the batch
    assert history.calls == [("reward_tiers", {dedup_key, outcome_of(result, activities[1]).dedup_key})]


def test_stored_payment_outranks_an_earlier_activity_in_the_batch(registry):
    record = drafting("GB/T 1-2023", date="2023-01-01")
    dedup_key = evaluate_one(registry, record).dedup_key
    prior = PriorPayment(dedup_key, 7, "OLD-1", date(2023, 6, 1), 300_000, "R2")
    context = EvaluationContext(parameters=registry.default_parameters(), history=FakeHistory({dedup_key: prior}))
    activities, result = run(registry, record, dict(record, date="2023-02-01"), context=context)
    assert [outcome_of(result, a).amount for a in activities] == [0, 0]
    assert {outcome_of(result, a).details["paid_with"]["activity"] for a in activities} == {"OLD-1"}


# ---------------------------------------------------------------------------
# Dated parameters in the rules
# ---------------------------------------------------------------------------

def test_a_new_amount_applies_from_its_effective_date_only(registry):
    resolver = registry.default_parameters().with_versions([ParameterVersion(
        key="reward_tiers.lead.national", value=350_000, effective_from=date(2025, 1, 1), reference="test",
    )])
    context = EvaluationContext(parameters=resolver)
    activities, result = run(
        registry,
        drafting("GB/T 1-2024", date="2024-12-31"),
        drafting("GB/T 2-2025", date="2025-01-01"),
        drafting("GB/T 3-2025", date="2025-06-30"),
        drafting("GB/T 4-2025", 2, date="2025-06-30"),  # another parameter: unchanged
        context=context,
    )
    before, on, after, participation = (outcome_of(result, a) for a in activities)
    assert_paid(before, "R2", "reward_tiers.lead.national", 300_000, subject="GB/T 1-2024")
    assert_paid(on, "R2", "reward_tiers.lead.national", 350_000, subject="GB/T 2-2025", since=date(2025, 1, 1),
                origin="what-if")
    assert_paid(after, "R2", "reward_tiers.lead.national", 350_000, subject="GB/T 3-2025", since=date(2025, 1, 1),
                origin="what-if")
    assert "35万元" in on.explanation_zh and "¥350,000" in on.explanation_en
    assert "2022年8月1日" not in on.explanation_zh and "2022年8月1日" in before.explanation_zh
    assert participation.amount == 150_000
    # what the evaluation read is on record
    assert {
        ParamValue("reward_tiers.lead.national", 300_000, IN_FORCE, None, "shipped"),
        ParamValue("reward_tiers.lead.national", 350_000, date(2025, 1, 1), None, "what-if"),
        ParamValue("reward_tiers.participate.national", 150_000, IN_FORCE, None, "shipped"),
    } <= resolver.reads


def test_a_stored_version_is_named_by_its_number(registry):
    versions = [
        ParameterVersion(key=key, value=decl.defaults[0].value, effective_from=decl.defaults[0].effective_from,
                         reference="shipped", id=i + 1, recorded_at=datetime(2022, 8, 1), sequence=1)
        for i, (key, decl) in enumerate(registry.parameters.items()) if decl.defaults  # shipped values only
    ]
    versions.append(ParameterVersion(key="reward_tiers.award.first", value=1_200_000, effective_from=date(2024, 1, 1),
                                     reference="嘉政发〔2024〕1号", id=77, recorded_at=datetime(2023, 12, 1), sequence=2))
    resolver = ParameterResolver(registry.parameters, versions)
    outcome = evaluate_one(registry, award("first", date="2024-05-01"), EvaluationContext(parameters=resolver))
    assert outcome.amount == 1_200_000
    assert outcome.parameters == (ParamValue("reward_tiers.award.first", 1_200_000, date(2024, 1, 1), 77, "stored", 2),)
    assert outcome.parameters[0].origin == "stored"
    # The version (its number within its key, as every page and command names it) is in the
    # structured field above; the sentence says from when the amount applies, as a document does.
    assert "(该奖励标准自2024年1月1日起执行)" in outcome.explanation_zh
    assert "(the amount in force from 1 January 2024)" in outcome.explanation_en
    assert "77" not in outcome.explanation_en and "77" not in outcome.explanation_zh
    assert "第2版" not in outcome.explanation_zh and "version" not in outcome.explanation_en
    assert "proposed" not in outcome.explanation_en and "拟议" not in outcome.explanation_zh
    assert_document_style(outcome)


# ---------------------------------------------------------------------------
# Where a value comes from: stored, shipped, proposed (what-if)
# ---------------------------------------------------------------------------

def test_proposed_values_are_named_apart_from_stored_and_shipped_ones(registry):
    # A proposed (what-if) amount is not in force: the sentence says so. Whether an amount in
    # force is stored or shipped is no matter for the document; the structured field tells.
    record = drafting("GB/T 32151.31-2023")
    key = "reward_tiers.lead.national"
    in_force = ("(该奖励标准自2022年8月1日起执行)", "(the amount in force from 1 August 2022)")
    # shipped: the plugin's default, no database
    shipped = evaluate_one(registry, record)
    assert shipped.parameters[0].origin == "shipped"
    assert in_force[0] in shipped.explanation_zh and in_force[1] in shipped.explanation_en
    # proposed: the same amount and date, added as a what-if, is not called shipped
    resolver = registry.default_parameters().with_versions([ParameterVersion(
        key=key, value=300_000, effective_from=date(2023, 1, 1), reference="test", id=5,
    )])
    proposed = evaluate_one(registry, record, EvaluationContext(parameters=resolver))
    assert proposed.amount == 300_000
    assert proposed.parameters == (ParamValue(key, 300_000, date(2023, 1, 1), None, "what-if"),)
    assert "(按拟议金额测算,拟自2023年1月1日起执行,尚未登记)" in proposed.explanation_zh
    assert "(a proposed amount from 1 January 2023, not recorded)" in proposed.explanation_en
    assert "该奖励标准" not in proposed.explanation_zh and "in force" not in proposed.explanation_en
    # stored: named by its number
    stored = ParameterResolver(registry.parameters, [ParameterVersion(
        key=key, value=300_000, effective_from=IN_FORCE, reference="shipped", id=3, recorded_at=datetime(2022, 8, 1),
        sequence=1,
    )])
    recorded = evaluate_one(registry, record, EvaluationContext(parameters=stored))
    assert recorded.parameters == (ParamValue(key, 300_000, IN_FORCE, 3, "stored", 1),)
    assert in_force[0] in recorded.explanation_zh and in_force[1] in recorded.explanation_en
    assert recorded.explanation == shipped.explanation
    for outcome in (shipped, proposed, recorded):
        assert_document_style(outcome)
    # the JSON form of an outcome does not carry the origin
    for outcome in (shipped, proposed, recorded):
        (param,) = outcome.to_json()["parameters"]
        assert set(param) == {"key", "value", "effective_from", "version_id", "sequence"}


def test_a_proposed_cap_is_named_as_proposed(registry):
    resolver = registry.default_parameters().with_versions([ParameterVersion(
        key="reward_tiers.pilot_cap.provincial", value=250_000, effective_from=date(2024, 1, 1), reference="test",
    )])
    activities, result = run(registry, pilot("provincial", project="嘉兴市秀洲区服务业标准化试点", date="2024-03-01"),
                             pilot("provincial", granted_amount=100_000, date="2024-03-01", org=OTHER_ORG),
                             context=EvaluationContext(parameters=resolver))
    cap, granted = (outcome_of(result, a) for a in activities)
    assert_paid(cap, "R13", "reward_tiers.pilot_cap.provincial", 250_000, subject="嘉兴市秀洲区服务业标准化试点",
                since=date(2024, 1, 1), origin="what-if")
    assert cap.details == {"upper_bound": True}
    assert granted.amount == 100_000
    assert "(按拟议金额测算,拟自2024年1月1日起执行,尚未登记)" in granted.explanation_zh
    assert "(a proposed amount from 1 January 2024, not recorded)" in granted.explanation_en


# ---------------------------------------------------------------------------
# 并完成: the date is the publication date, in the number's year or the next
# ---------------------------------------------------------------------------

def _date_error(code: str, year: int, day: str) -> tuple[str, str]:
    return (f"the year {year} of {code} does not match the date {day} (the date is the standard's publication date)",
            f"标准编号 {code} 的年份 {year} 与日期 {day} 不符(日期应为该标准的发布日期)")


DATED = [
    # (id, number, date): accepted
    ("first day of its year", "GB/T 1-2023", "2023-01-01"),
    ("last day of the next year", "GB/T 1-2023", "2024-12-31"),
    ("international, next year", "ISO 14068-1:2023", "2024-01-15"),
    ("ITU with a year", "ITU-T Y.3172 (06/2023)", "2023-06-22"),
    ("adopted: the adopting standard's year", "GB/T 24067-2024 (ISO 14067:2018, MOD)", "2024-08-23"),
    ("local, next year", "DB33/T 2598-2023", "2024-01-12"),
    ("ITU without a year: not checked", "ITU-T Y.3172", "2025-03-01"),
    ("enterprise: not checked", "Q/JXAB 001-2019", "2025-03-01"),
]


@pytest.mark.parametrize(("number", "day"), [c[1:] for c in DATED], ids=[c[0] for c in DATED])
def test_date_in_the_numbers_year_or_the_next_is_accepted(registry, number, day):
    report = registry.validate([drafting(number, 2, date=day)])
    assert not report.invalid, report.invalid
    (activity,) = report.valid
    assert activity.date == date.fromisoformat(day)
    assert activity.fields["standard_code"] == number.split(" (ISO")[0]


UNDATED = [
    # (id, number, the year it shows, date): refused
    ("the year before", "GB/T 1-2023", 2023, "2022-12-31"),
    ("two years after", "GB/T 1-2023", 2023, "2025-01-01"),
    ("an old standard reported anew", "ISO 14067:2018", 2018, DAY),
    ("ITU with an old year", "ITU-T Y.3172 (06/2019)", 2019, DAY),
    ("adopted: not the adopted standard's year", "GB/T 24067-2024 (ISO 14067:2018, MOD)", 2024, "2018-05-10"),
    ("two-digit year", "GB 3100-93", 1993, DAY),
    ("two-digit year, today", "GB 3100-93", 1993, today().isoformat()),
    ("military", "GJB 9001C-2017", 2017, DAY),
    ("Zhejiang Made", "T/ZZB 2109-2021", 2021, DAY),
]


@pytest.mark.parametrize(("number", "year", "day"), [c[1:] for c in UNDATED], ids=[c[0] for c in UNDATED])
@pytest.mark.parametrize("rank", [1, 3])
def test_date_outside_the_numbers_year_is_refused(registry, number, year, day, rank):
    report = registry.validate([drafting(number, rank, date=day), GOOD])
    (bad,) = report.invalid
    assert bad.row == 1
    (error,) = bad.errors
    assert error.field == "date"
    code = number.split(" (ISO")[0]
    assert (error.message, error.message_zh) == _date_error(code, year, day)
    assert len(report.valid) == 1  # the rest is still valid


def test_an_amendment_is_dated_by_its_own_year(registry):
    amendment = "ISO 9001:2015/Amd 1:2024"
    report = registry.validate([
        drafting(amendment, 2, date="2024-03-01", revision=True, id="ok"),
        drafting(amendment, 2, date="2025-12-31", revision=True, id="next year"),
        drafting(amendment, 2, date="2023-05-10", revision=True, id="the base standard's era"),
        drafting(amendment, 2, date="2026-01-01", revision=True, id="two years after"),
    ])
    assert [a.ref for a in report.valid] == ["ok", "next year"]
    assert [(i.ref, [e.field for e in i.errors]) for i in report.invalid] == [
        ("the base standard's era", ["date"]), ("two years after", ["date"]),
    ]
    assert report.invalid[0].errors[0].message == _date_error(amendment, 2024, "2023-05-10")[0]


# ---------------------------------------------------------------------------
# Amendments are revisions
# ---------------------------------------------------------------------------

AMENDMENT_CASES = ["ISO 9001:2015/Amd 1:2024", "IEC 60335-1:2020/Amd 1:2024", "ISO 9001:2015/Amd 1:2023/Amd 2:2024"]


@pytest.mark.parametrize("number", AMENDMENT_CASES)
@pytest.mark.parametrize("revision", [None, False], ids=["revision missing", "revision false"])
def test_an_amendment_not_recorded_as_a_revision_is_refused(registry, number, revision):
    extra = {} if revision is None else {"revision": revision}
    report = registry.validate([GOOD, drafting(number, 1, date="2024-06-01", **extra)])
    (bad,) = report.invalid
    assert bad.row == 2
    (error,) = bad.errors
    assert error.field == "revision"
    assert error.message == f"{number} amends an existing standard: record it as a revision (revision: true)"
    assert error.message_zh == f"{number} 是对已有标准的修改单,应按修订登记(是否修订:是)"
    assert HAN.search(error.message_zh)
    assert error.to_json() == {"field": "revision", "message": error.message, "message_zh": error.message_zh}


@pytest.mark.parametrize("number", AMENDMENT_CASES)
def test_amendments_are_not_standards_neither_lead_nor_participant_is_paid(registry, number):
    # 制定…并完成…标准: an amendment changes a standard, it is not one (docs/policy-readings.md).
    activities, result = run(registry, drafting(number, 1, date="2024-06-01", revision=True),
                             drafting(number, 3, date="2024-06-01", revision=True, org=OTHER_ORG))
    lead, participant = (outcome_of(result, a) for a in activities)
    assert activities[0].fields["standard_code"] == number and activities[0].fields["level"] == "international"
    for outcome in (lead, participant):
        assert_zero(outcome, "R0", "amendment", subject=number,
                    zh=f":修改单不是标准。{CITE_ZH},对牵头制定和参与制定标准的奖励均不适用于修改单,不予奖励。",
                    en=f": an amendment is not a standard; {CITE_EN}, neither the leading drafter nor a participant "
                       "of an amendment is rewarded.")
        assert outcome.status == "not_covered" and outcome.dedup_key is None


def test_an_amendment_does_not_stop_its_base_standard_from_being_paid(registry):
    activities, result = run(registry, drafting("ISO 14068-1:2023/Amd 1:2024", 2, date="2024-06-01", revision=True),
                             drafting("ISO 14068-1:2023", 2, date="2024-06-01"))
    amendment, other = (outcome_of(result, a) for a in activities)
    assert [amendment.amount, other.amount] == [0, 300_000]
    assert other.status == "ok"


# ---------------------------------------------------------------------------
# Committees: international, national (SAC) or provincial (listed prefixes) only
# ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("code", "level"),
    [("ISO/TC 207", "international"), ("IEC/TC 61", "international"), ("ISO/IEC JTC 1", "international"),
     ("ISO/IEC JTC 1/SC 27", "international"), ("ITU-T SG 13", "international"), ("SAC/TC 548", "national"),
     ("SAC/TC 118/SC 1", "national"), ("ZJ/TC 31", "provincial"), ("ZJ/TC 31/SC 2", "provincial"),
     ("CEN/TC 350", None), ("ASTM/TC 1", None), ("JS/TC 5", None)],
)
def test_committee_level_of(code, level):
    assert committee_level_of(code) == level


OTHER_BODIES = ["CEN/TC 350", "ASTM/TC 1", "IEEE/TC 7", "JS/TC 5", "cen tc350"]


@pytest.mark.parametrize("raw", OTHER_BODIES)
@pytest.mark.parametrize("level", ["international", "national", "provincial"])
def test_committee_of_another_body_is_refused(registry, raw, level):
    report = registry.validate([GOOD, secretariat(raw, level), GOOD_AFTER])
    assert [type(item).__name__ for item in report.items] == ["Activity", "InvalidRecord", "Activity"]
    (error,) = report.invalid[0].errors
    assert error.field == "committee_code"
    code = {"cen tc350": "CEN/TC 350"}.get(raw, raw)
    assert error.message == (f"{code} is not an international (ISO, IEC, ITU), national (SAC) "
                             "or provincial standardisation committee")
    assert error.message_zh == f"{code} 不是国际(ISO、IEC、ITU)、全国(SAC)或省级专业标准化技术委员会"
    assert [registry.evaluate(report.valid).amount(a) for a in report.valid] == [300_000, 500_000]


def test_a_provincial_committee_declared_national_is_refused(registry):
    (bad,) = registry.validate([secretariat("ZJ/TC 31", "national")]).invalid
    (error,) = bad.errors
    assert error.field == "committee_level"
    assert error.message == "level 'national' contradicts ZJ/TC 31, a provincial committee"
    assert error.message_zh == "级别“全国”与编号 ZJ/TC 31 不符(编号显示为省级专业标准化技术委员会)"


@pytest.fixture
def codes_file(tmp_path, monkeypatch):
    """Write a standard-code file (the shipped one with ``provincial_committees`` replaced) and use it."""
    shipped = (ROOT / "core" / "data" / "standard_codes.yaml").read_text(encoding="utf-8")
    assert "provincial_committees: [ZJ]" in shipped

    def use(provincial: str) -> None:
        path = tmp_path / "codes.yaml"
        path.write_text(shipped.replace("provincial_committees: [ZJ]", provincial), encoding="utf-8")
        monkeypatch.setenv("STDPOLICY_STANDARD_CODES", str(path))
        standard_codes.cache_clear()

    yield use
    monkeypatch.delenv("STDPOLICY_STANDARD_CODES", raising=False)
    standard_codes.cache_clear()


def test_provincial_prefixes_come_from_the_code_lists(registry, codes_file):
    codes_file("provincial_committees: [ZJ, JS]")
    activities, result = run(registry, secretariat("JS/TC 5", "provincial"), secretariat("ZJ/TC 31", "provincial"))
    assert [(outcome_of(result, a).rule, outcome_of(result, a).amount) for a in activities] == [
        ("R9", 200_000), ("R9", 200_000)]

    codes_file("provincial_committees: []")
    (bad,) = registry.validate([secretariat("ZJ/TC 31", "provincial")]).invalid
    assert [e.field for e in bad.errors] == ["committee_code"]
    assert "is not an international (ISO, IEC, ITU), national (SAC) or provincial" in bad.errors[0].message


# ---------------------------------------------------------------------------
# Awards and pilots without a project: once per organisation, class or level, and year
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("reverse", [False, True], ids=["earliest first", "earliest last"])
def test_awards_are_paid_once_per_organisation_prize_and_project(registry, reverse):
    # Awards are per project and per round: the same organisation's same prize for the same project is paid once.
    records = [
        award("first", project="嘉兴市智能家居标准体系", date="2022-12-01", id="a1"),
        award("first", project="嘉兴市智能家居标准体系 ", date="2023-03-20", id="a2"),  # the same project, spaced
        award("first", project="光伏组件回收利用标准", date="2022-12-01", id="a3"),  # another project
        award("second", project="光伏组件回收利用标准", date="2024-12-01", org=OTHER_ORG, id="a4"),  # another prize
        award("first", project="嘉兴市智能家居标准体系", date="2022-12-01", org=OTHER_ORG, id="a5"),
        award("organization", date="2022-12-01", id="a6"),
        award("organization", date="2022-12-20", id="a7"),  # the organisation award, twice in one round
        award("organization", date="2024-12-01", id="a8"),  # the next round (every two years)
    ]
    activities, result = run(registry, *(reversed(records) if reverse else records))
    by_ref = {a.ref: a for a in activities}
    amounts = {ref: outcome_of(result, a).amount for ref, a in by_ref.items()}
    assert amounts == {"a1": 1_000_000, "a2": 0, "a3": 1_000_000, "a4": 800_000, "a5": 1_000_000,
                       "a6": 500_000, "a7": 0, "a8": 500_000}
    repeat = outcome_of(result, by_ref["a2"])
    _assert_repeat(repeat, by_ref["a1"], 1_000_000, rule="R10", key="reward_tiers.award.first", value=1_000_000)
    assert "的奖励规定,同一单位就同一项目获得的同一奖项(组织奖为同一届)只奖励一次。" in repeat.explanation_zh
    assert (", the same organisation's same prize for the same project (the organisation award: in the same round) "
            "is rewarded once.") in repeat.explanation_en
    _assert_repeat(outcome_of(result, by_ref["a7"]), by_ref["a6"], 500_000, rule="R11",
                   key="reward_tiers.award.organization", value=500_000)


def test_one_project_recorded_with_two_prizes_is_held_each_naming_the_other(registry):
    """A project receives one prize: the same organisation's project recorded with another prize, in another
    round too, is held for review (prize_conflict), both records, whichever came first."""
    records = [award("first", project="嘉兴市智能家居标准体系", date="2022-12-01", id="a1"),
               award("second", project="嘉兴市智能家居标准体系", date="2024-12-01", id="a4")]
    for ordered in (records, records[::-1]):
        activities, result = run(registry, *ordered)
        by_ref = {a.ref: outcome_of(result, a) for a in activities}
        assert {ref: (o.amount, o.status, o.details["held_amount"]) for ref, o in by_ref.items()} == {
            "a1": (0, "held", 1_000_000), "a4": (0, "held", 800_000)}
        assert [r["other"]["activity"] for r in by_ref["a4"].details["held_reasons"]] == ["a1"]
        assert "同一项目另有记录为一等奖(活动 a1),同一项目只获一个奖项,请核实" in by_ref["a4"].explanation_zh


def test_a_prize_paid_in_the_register_holds_the_same_project_with_another_prize(registry):
    """The register's side: a first prize paid for the project finds a second prize recorded later."""
    paid = PriorPayment(f"award:{ORG}:first:嘉兴市智能家居标准体系", 41, "OLD-7", date(2022, 12, 1), 1_000_000, "R10")
    history = FakeHistory({paid.dedup_key: paid})
    context = EvaluationContext(parameters=registry.default_parameters(), history=history)
    outcome = evaluate_one(registry, award("second", project="嘉兴市智能家居标准体系", date="2024-12-01"), context)
    assert (outcome.amount, outcome.status, outcome.details["held_amount"]) == (0, "held", 800_000)
    assert outcome.details["held_reasons"][0]["other"]["activity"] == "OLD-7"


@pytest.mark.parametrize("which", ["first", "second", "third"])
@pytest.mark.parametrize("project", [None, "", "   "], ids=["missing", "empty", "blank"])
def test_a_prize_without_its_project_is_refused(registry, which, project):
    record = {"kind": "innovation_award", "date": DAY, "credit_code": ORG, "award": which}
    if project is not None:
        record["project"] = project
    report = registry.validate([GOOD, record])
    (bad,) = report.invalid
    (error,) = bad.errors
    assert error.field == "project"
    if project != "":  # an empty text is refused by the kind itself (too short)
        assert "请填写获奖项目名称" in error.message_zh and "give its name" in error.message
        assert which not in error.message_zh  # the prize by its Chinese name
    # the organisation award is given to the organisation: no project needed
    assert not registry.validate([award("organization")]).invalid


def test_awards_with_different_projects_in_one_year_are_each_paid(registry):
    activities, result = run(registry, award("first", project="P1", date="2023-03-01"),
                             award("first", project="P2", date="2023-03-01"))
    assert [outcome_of(result, a).amount for a in activities] == [1_000_000, 1_000_000]


def test_pilots_without_a_project_are_paid_once_per_organisation_level_and_year(registry):
    activities, result = run(
        registry,
        pilot("national", granted_amount=120_000, date="2023-01-10", id="p1"),
        pilot("national", date="2023-09-10", id="p2"),  # the same level, the same year: a repeat
        pilot("provincial", date="2023-09-10", id="p3"),  # another level
        pilot("national", date="2024-01-10", id="p4"),  # another year
        pilot("national", date="2023-09-10", org=OTHER_ORG, id="p5"),  # another organisation
        pilot("national", project="X", date="2023-09-10", id="p6"),  # a named project is its own achievement
    )
    by_ref = {a.ref: a for a in activities}
    amounts = {ref: outcome_of(result, a).amount for ref, a in by_ref.items()}
    assert amounts == {"p1": 120_000, "p2": 0, "p3": 200_000, "p4": 300_000, "p5": 300_000, "p6": 300_000}
    repeat = outcome_of(result, by_ref["p2"])
    _assert_repeat(repeat, by_ref["p1"], 120_000, rule="R12", key="reward_tiers.pilot_cap.national", value=300_000)
    assert "同一单位的同一试点项目(未填写项目名称的,为同一年度同一级别的试点)只奖励一次。" in repeat.explanation_zh
    assert ("the same organisation's same pilot (without a project name: the same level in the same year) "
            "is rewarded once.") in repeat.explanation_en


def test_an_unpaid_pilot_does_not_block_a_later_one_in_the_year(registry):
    # Not accepted (nothing due), or granted nothing: the later accepted pilot is the first reward.
    activities, result = run(registry, pilot("national", False, date="2023-02-01"),
                             pilot("national", granted_amount=0, date="2023-03-01"),
                             pilot("national", date="2023-10-01"))
    assert [outcome_of(result, a).amount for a in activities] == [0, 0, 300_000]
    assert outcome_of(result, activities[1]).details is None


@pytest.mark.parametrize(
    ("record", "rule", "key", "value"),
    [
        (award("organization", date="2023-12-01"), "R11", "reward_tiers.award.organization", 500_000),
        (pilot("provincial", date="2023-12-01"), "R13", "reward_tiers.pilot_cap.provincial", 200_000),
    ],
    ids=["organisation award", "pilot"],
)
def test_a_stored_payment_without_a_project_counts_for_its_year(registry, record, rule, key, value):
    dedup_key = evaluate_one(registry, record).dedup_key
    assert dedup_key and ORG in dedup_key
    prior = PriorPayment(dedup_key=dedup_key, activity_id=9, activity_ref="OLD-9",
                         date=date(2023, 4, 1), amount=value, rule=rule)
    history = FakeHistory({dedup_key: prior})
    activities, result = run(registry, record, dict(record, date="2024-01-05"),
                             context=EvaluationContext(parameters=registry.default_parameters(), history=history))
    same_year, next_year = (outcome_of(result, a) for a in activities)
    assert same_year.amount == 0
    assert same_year.details["paid_with"] == {"activity": "OLD-9", "activity_id": 9, "date": "2023-04-01", "amount": value}
    assert same_year.parameters == (ParamValue(key, value, IN_FORCE, None, "shipped"),)
    assert next_year.amount == value and next_year.dedup_key != dedup_key
    assert history.calls == [("reward_tiers", {dedup_key, next_year.dedup_key})]


# ---------------------------------------------------------------------------
# The shipped example and demo files
# ---------------------------------------------------------------------------

SHIPPED_FILES = ["docs/examples/activities.json", "core/data/demo_activities.json"]


@pytest.mark.parametrize("name", SHIPPED_FILES)
def test_shipped_activity_files_validate_completely(registry, name):
    records = json.loads((ROOT / name).read_text(encoding="utf-8"))
    assert records
    report = registry.validate(records)
    assert report.invalid == [], [(item.ref, item.errors) for item in report.invalid]
    assert [a.ref for a in report.valid] == [r["id"] for r in records]
    result = registry.evaluate(report.valid)
    assert not result.failures
    for activity in report.valid:
        (outcome,) = result.for_activity(activity)
        assert outcome.clause == CLAUSE
        assert outcome.status == ("ok" if outcome.amount else "not_covered"), outcome


def test_demo_repeat_is_paid_once(registry):
    # JX-016 repeats JX-002 (the same organisation and GB/T 42587-2023), dated in the number's next year.
    records = json.loads((ROOT / "core/data/demo_activities.json").read_text(encoding="utf-8"))
    report = registry.validate(records)
    by_ref = {a.ref: a for a in report.valid}
    assert by_ref["JX-016"].date == date(2024, 3, 3)
    assert by_ref["JX-016"].fields["standard_code"] == by_ref["JX-002"].fields["standard_code"] == "GB/T 42587-2023"
    result = registry.evaluate(report.valid)
    assert result.amount(by_ref["JX-002"]) == 300_000
    repeat = outcome_of(result, by_ref["JX-016"])
    assert repeat.amount == 0 and repeat.details["reason"] == "duplicate"
    assert repeat.details["paid_with"]["activity"] == "JX-002"


# ---------------------------------------------------------------------------
# Every outcome, whatever the kind
# ---------------------------------------------------------------------------

def test_every_outcome_is_complete(registry):
    records = [drafting(number, 1, date=day, **({"level": level} if level else {})) for number, level, day, *_ in LEAD]
    records += [drafting("ISO 14083:2023", r) for r in (2, 5)] + [drafting("T/CAS 1-2023"), drafting("Q/AB 1-2023")]
    records += [secretariat(c, lvl) for c, lvl, *_ in SECRETARIATS]
    records += [award(a, project=a) for a, *_ in AWARDS]
    records += [pilot("national"), pilot("provincial", False), drafting("GB/T 9-2022", date="2022-01-01")]
    activities, result = run(registry, *records)
    assert len(result.outcomes) == len(activities) == len(records)
    for activity in activities:
        (outcome,) = result.for_activity(activity)
        assert outcome.activity is activity
        assert re.fullmatch(r"R(0|1[0-3]|[1-9])", outcome.rule)
        assert type(outcome.amount) is int and outcome.amount >= 0
        assert outcome.clause == CLAUSE
        assert outcome.plugin == "reward_tiers" and outcome.plugin_version == "1.0.0"
        assert HAN.search(outcome.explanation_zh) and outcome.explanation_en
        subject = activity.fields.get("standard_code") or activity.fields.get("committee_code")
        if subject:
            assert subject in outcome.explanation_zh and subject in outcome.explanation_en
        if activity.kind == "standard_drafting":
            rank = activity.fields["rank"]
            ordinal = {1: ("一", "1st"), 2: ("二", "2nd"), 5: ("五", "5th")}[rank]
            assert f"起草单位排名第{ordinal[0]}位" in outcome.explanation_zh
            assert f"drafting unit ranked {ordinal[1]}" in outcome.explanation_en
        for value in outcome.parameters:  # the version read: in the structured field, its date in the sentence
            day = value.effective_from
            assert f"{day.year}年{day.month}月{day.day}日" in outcome.explanation_zh
            assert en_date(day) in outcome.explanation_en
        assert_document_style(outcome)
        if outcome.amount:
            assert len(outcome.parameters) == 1
        json = outcome.to_json()
        assert json["amount"] == outcome.amount and json["clause"] == CLAUSE and json["rule"] == outcome.rule
        assert json["explanation"] == {"zh": outcome.explanation_zh, "en": outcome.explanation_en}
    assert result.total_amount == sum(o.amount for o in result.outcomes)


# ---------------------------------------------------------------------------
# Bad input: field-level errors, the rest of the input still evaluated
# ---------------------------------------------------------------------------

GOOD = drafting("GB/T 32151.31-2023", id="good-before")
GOOD_AFTER = secretariat("SAC/TC 548", "national", id="good-after")

# Far enough ahead that it is still in the future when the test runs: the list is
# built when the module is collected, and "tomorrow" became today for a run that
# crossed midnight in Beijing (CI failed so, at 16:00 UTC).
FUTURE = date(today().year + 2, 1, 1).isoformat()

BAD = [
    # (id, record, field, English message (fragment), Chinese message (fragment))
    ("bad credit code", drafting("GB/T 1-2023", credit_code="913304007429141868"),
     "credit_code", "the check character (position 18) is wrong", "校验位"),
    ("credit code failing GB 11714", drafting("GB/T 1-2023", org="91330402MA2B3C4D79"),
     "credit_code", "GB 11714", "组织机构代码"),
    ("short credit code", drafting("GB/T 1-2023", org="9133040074291418"),
     "credit_code", "has 18 characters, got 16", "18位"),
    ("impossible date", drafting("GB/T 1-2023", date="2023-02-30"), "date", "Not a valid date.", "不是有效的日期"),
    ("date not ISO", drafting("GB/T 1-2023", date="10/05/2023"), "date", "Not a valid date.", "不是有效的日期"),
    ("future date", drafting("GB/T 1-2023", date=FUTURE), "date", "date is in the future", "日期晚于今天"),
    ("mistyped year", secretariat("SAC/TC 548", "national", date="0202-06-20"), "date", "date before 1949: check the year",
     "日期早于1949年:请核对年份"),
    ("unknown kind", dict(drafting("GB/T 1-2023"), kind="standard_writing"), "kind", "unknown kind 'standard_writing'", "未知的活动类型"),
    ("missing kind", {k: v for k, v in drafting("GB/T 1-2023").items() if k != "kind"},
     "kind", "Missing data for required field.", "缺少必填字段"),
    ("kind not a string", dict(drafting("GB/T 1-2023"), kind=3), "kind", "unknown kind 3", "未知的活动类型"),
    ("rank as string", drafting("GB/T 1-2023", rank="1"), "rank", "Not a valid integer.", "不是有效的整数"),
    ("rank as float", drafting("GB/T 1-2023", rank=1.0), "rank", "Not a valid integer.", "不是有效的整数"),
    ("rank as bool", drafting("GB/T 1-2023", rank=True), "rank", "Not a valid integer.", "不是有效的整数"),
    ("rank zero", drafting("GB/T 1-2023", rank=0), "rank",
     "Must be greater than or equal to 1 and less than or equal to 99.", "必须大于等于 1 且小于等于 99"),
    ("rank 100", drafting("GB/T 1-2023", rank=100), "rank",
     "Must be greater than or equal to 1 and less than or equal to 99.", "必须大于等于 1 且小于等于 99"),
    ("ITU-T study group", secretariat("ITU-T SG 13", "international"), "committee_code",
     "ITU-T SG 13 is an ITU study group, not a professional standardisation technical committee",
     "不是专业标准化技术委员会或分技术委员会"),
    ("missing rank", {k: v for k, v in drafting("GB/T 1-2023").items() if k != "rank"},
     "rank", "Missing data for required field.", "缺少必填字段"),
    ("revision maybe", drafting("GB/T 1-2023", revision="maybe"), "revision", "Not a valid boolean.", "应为“是”或“否”"),
    ("bad standard number", drafting("GB/X 123-2020"), "standard_code", "not a valid national standard number", "不是有效的国家标准编号"),
    ("draft standard", drafting("ISO/DIS 14067:2017"), "standard_code", "is a draft", "是草案"),
    ("technical report", drafting("ISO/TR 14069:2013"), "standard_code",
     "ISO/TR 14069:2013 is a technical report (TR), not a standard", "ISO/TR 14069:2013 是技术报告(TR),不是标准"),
    ("IEC technical report", drafting("IEC TR 62933-2-200:2021"), "standard_code",
     "is a technical report (TR), not a standard", "是技术报告(TR)"),
    ("date not in the number's year", drafting("GB/T 1-2021"), "date",
     "the year 2021 of GB/T 1-2021 does not match the date 2023-05-10", "标准编号 GB/T 1-2021 的年份 2021 与日期 2023-05-10 不符"),
    ("amendment not a revision", drafting("ISO 9001:2015/Amd 1:2024", date="2024-03-01"), "revision",
     "ISO 9001:2015/Amd 1:2024 amends an existing standard: record it as a revision (revision: true)", "修改单"),
    ("Zhejiang Made declared national", drafting("T/ZZB 3120-2023", level="national"),
     "level", "level 'national' contradicts the number T/ZZB 3120-2023", "与标准编号 T/ZZB 3120-2023 不符"),
    ("national declared local", drafting("GB/T 1-2023", level="local"),
     "level", "level 'local' contradicts the number GB/T 1-2023, which is a national standard", "编号显示为国家标准"),
    ("group declared Zhejiang Made", drafting("T/CAS 290-2023", level="zhejiang_made"),
     "level", "contradicts the number T/CAS 290-2023", "不符"),
    ("unknown level", drafting("GB/T 1-2023", level="galactic"), "level", "Must be one of:", "必须是以下之一"),
    ("committee level contradicts", secretariat("SAC/TC 548", "provincial"),
     "committee_level", "level 'provincial' contradicts SAC/TC 548, a national committee", "编号显示为全国专业标准化技术委员会"),
    ("working group", secretariat("SAC/TC 548/WG 1", "national"), "committee_code", "unrecognised committee number", "无法识别的技术委员会编号"),
    ("committee of 300 more digits", secretariat("SAC/TC 20/SC 3" + "4" * 300, "national"), "committee_code",
     "unrecognised committee number SAC/TC 20/SC 344444444444444444444444444… (e.g.",
     "无法识别的技术委员会编号 SAC/TC 20/SC 344444444444444444444444444…(应如"),
    ("standard number of seven digits", drafting("GB/T 4444444-2023"), "standard_code",
     "GB/T 4444444-2023 has a run of 7 digits (4444444): a standard's sequence number has at most 6, its year 4",
     "GB/T 4444444-2023 中的数字 4444444 有7位:标准的顺序号至多6位,年份4位"),
    ("European committee", secretariat("CEN/TC 350", "international"), "committee_code",
     "CEN/TC 350 is not an international (ISO, IEC, ITU), national (SAC) or provincial standardisation committee",
     "CEN/TC 350 不是国际(ISO、IEC、ITU)、全国(SAC)或省级专业标准化技术委员会"),
    ("ASTM committee", secretariat("ASTM/TC 1", "provincial"), "committee_code",
     "ASTM/TC 1 is not an international", "不是国际(ISO、IEC、ITU)、全国(SAC)或省级专业标准化技术委员会"),
    ("unknown award", award("fourth"), "award", "Must be one of: first, second, third, organization.",
     "必须是以下之一:一等奖、二等奖、三等奖、组织奖。"),
    ("negative grant", pilot("national", granted_amount=-1), "granted_amount", "Must not be negative.", "不能为负数"),
    ("negative grant text", pilot("national", granted_amount="-1,000"), "granted_amount", "Must not be negative.", "不能为负数"),
    ("fractional grant", pilot("national", granted_amount=1.5), "granted_amount", "Not a whole number of yuan.", "整数元"),
    ("fractional grant text", pilot("national", granted_amount="1.5"), "granted_amount", "Not a whole number of yuan.", "整数元"),
    ("float grant", pilot("national", granted_amount=1000.0), "granted_amount", "Not a whole number of yuan.", "整数元"),
    ("boolean grant", pilot("national", granted_amount=True), "granted_amount", "Not a whole number of yuan.", "整数元"),
    ("superscript grant", pilot("national", granted_amount="²"), "granted_amount", "Not a whole number of yuan.", "整数元"),
    ("accepted missing", {k: v for k, v in pilot("national").items() if k != "accepted"},
     "accepted", "Missing data for required field.", "缺少必填字段"),
    ("unknown field", drafting("GB/T 1-2023", amount=300000), "amount", "Unknown field.", "未知字段"),
    ("id not a string", drafting("GB/T 1-2023", id=["x"]), "id", "Not a valid string.", "不是有效的字符串"),
    ("blank organisation", drafting("GB/T 1-2023", organisation=""), "organisation", "Length must be between 1 and 200.", "长度必须在 1 到 200 之间"),
    ("a number", 5, None, "each record must be a JSON object", "每条记录必须是一个 JSON 对象"),
    ("a string", "GB/T 1-2023", None, "each record must be a JSON object", "每条记录必须是一个 JSON 对象"),
    ("a list", [drafting("GB/T 1-2023")], None, "each record must be a JSON object", "每条记录必须是一个 JSON 对象"),
    ("null", None, None, "each record must be a JSON object", "每条记录必须是一个 JSON 对象"),
]


@pytest.mark.parametrize(("record", "field", "en", "zh"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_record_gives_field_errors_and_the_rest_is_evaluated(registry, record, field, en, zh):
    report = registry.validate([GOOD, record, GOOD_AFTER])
    assert [type(item).__name__ for item in report.items] == ["Activity", "InvalidRecord", "Activity"]
    bad = report.items[1]
    assert isinstance(bad, InvalidRecord) and bad.row == 2
    assert bad.record is record
    assert [e.field for e in bad.errors] == [field], bad.errors
    (error,) = bad.errors
    assert en in error.message
    assert zh in error.message_zh
    assert HAN.search(error.message_zh)
    assert error.to_json() == {"field": field, "message": error.message, "message_zh": error.message_zh}

    result = registry.evaluate(report.valid)
    assert [result.amount(a) for a in report.valid] == [300_000, 500_000]
    assert not result.for_activity(bad)  # type: ignore[arg-type]


def test_all_errors_of_one_record_are_reported(registry):
    record = drafting("GB/X 1-2020", rank="1", date="2023-02-30", org="913304007429141868", revision="maybe", colour="red")
    (bad,) = registry.validate([record]).invalid
    assert {e.field for e in bad.errors} == {"standard_code", "rank", "date", "credit_code", "revision", "colour"}
    assert all(e.message and HAN.search(e.message_zh) for e in bad.errors)


def test_duplicate_ids_in_one_input(registry):
    report = registry.validate([
        drafting("GB/T 1-2023", id="X-1"),
        drafting("GB/T 2-2023", id="X-2"),
        drafting("GB/T 3-2023", id="X-1"),
        drafting("GB/T 4-2023", id="X-1"),
        drafting("GB/T 5-2023"),  # no id: referred to by row
        drafting("GB/T 6-2023"),
    ])
    assert [item.ref for item in report.valid] == ["X-1", "X-2", "#5", "#6"]
    first_repeat, second_repeat = report.invalid
    assert (first_repeat.row, first_repeat.ref, second_repeat.row) == (3, "X-1", 4)
    (error,) = first_repeat.errors
    assert error.field == "id"
    assert error.message == "the same id as row 1"
    assert error.message_zh == "编号与第1行重复"
    result = registry.evaluate(report.valid)
    assert result.total_amount == 4 * 300_000


def test_integer_ids_are_kept_as_strings(registry):
    report = registry.validate([drafting("GB/T 1-2023", id=7), drafting("GB/T 2-2023", id="7")])
    assert report.valid[0].ref == "7"
    assert report.invalid[0].errors[0].message == "the same id as row 1"


def test_validated_fields_are_normalised(registry):
    report = registry.validate([
        drafting("ＧＢ／Ｔ 32151.31—2023", org="9133 0400 7429 1418 69".lower()),
        drafting("GB/T 1-2023", level="national"),
        drafting("T/ZJFW 12-2023", level="zhejiang_service"),
        pilot("national", granted_amount="250,000"),
    ])
    a, b, c, d = report.valid
    assert a.credit_code == ORG
    assert a.fields == {"standard_code": "GB/T 32151.31-2023", "level": "national", "level_basis": "inferred",
                        "rank": 1, "revision": False, "title": None}
    assert b.fields["level_basis"] == "inferred"
    assert c.fields["level_basis"] == "declared"
    assert d.fields["granted_amount"] == 250_000 and type(d.fields["granted_amount"]) is int


# -- spellings of one committee are one committee; every error of a record at once ------

def test_committee_spellings_are_one_committee_paid_once(registry):
    first = secretariat("ZJ/TC 31", "provincial", id="slash", date="2023-03-01")
    second = secretariat("zj tc31", "provincial", id="spaces", date="2023-09-01")
    activities, result = run(registry, first, second)
    assert [a.fields["committee_code"] for a in activities] == ["ZJ/TC 31", "ZJ/TC 31"]
    (paid,) = result.for_activity(activities[0])
    (repeat,) = result.for_activity(activities[1])
    assert (paid.rule, paid.amount) == ("R9", 200_000)
    assert repeat.amount == 0 and repeat.details["paid_with"]["activity"] == "slash"


def test_a_body_that_only_starts_like_iso_is_not_international(registry):
    report = registry.validate([secretariat("ISOX/TC 1", "international")])
    (error,) = report.invalid[0].errors
    assert error.field == "committee_code"


def test_every_schema_level_error_of_a_record_is_reported(registry):
    record = drafting("T/ZZB 3421-2015", date="2024-04-18", level="national")
    (invalid,) = registry.validate([record]).invalid
    assert {e.field for e in invalid.errors} == {"date", "level"}
    assert all(e.message_zh != e.message for e in invalid.errors)
