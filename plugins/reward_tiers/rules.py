"""The rules of 三(二) (加大政策扶持), each next to the text it implements.

Rule ids R1–R13 are those of the policy digest (``shared/policy/README.md``).
``R0`` marks an activity that no tier of 三(二) covers (a group or
enterprise standard, rank 5 or lower, participation in a standard other than
an international or national one); its outcome is 0 and says why.

Amounts are never written here: every amount is a dated parameter read
through ``context.parameters`` on the activity's date, and every outcome
names the version it read.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from core import StandardIdentity as Identity
from core import standard_identity as identity_of
from core import standard_register_prefixes as register_prefixes
from core import standard_spellings as spellings
from core import (
    Activity,
    Batch,
    EmptyHistory,
    EvaluationContext,
    Outcome,
    ParamValue,
    PriorPayment,
    Text,
    award_level_of,
    date_en,
    date_zh,
    format_yuan_en,
    format_yuan_zh,
    in_recorded_order,
    name_key,
)
from core import STANDARD_LEVEL_NAMES as LEVEL_NAMES

from .schemas import AWARD_NAMES, PILOT_LEVEL_NAMES
from .wording import CITE, DOCUMENT, GRANTS, PART, committee_name, ordinal_en, quoted, rank_zh

__all__ = ["CLAUSE", "HELD_REASONS", "Decision", "PLUGIN", "decide_award", "decide_pilot", "decide_secretariat",
           "decide_standard", "evaluate", "rule_legend", "rule_table"]


PLUGIN = "reward_tiers"
CLAUSE = "三(二)"
_P = "reward_tiers."

#: 本意见自2022年8月1日起施行 (the last paragraph).
POLICY_START = date(2022, 8, 1)
#: The credit-code region prefixes (positions 3–8) of the organisations 三(二) rewards: a dated parameter.
REGIONS = _P + "eligible_regions"
#: The group-standard series (organisation codes) known to be each declared Zhejiang brand: dated parameters.
BRAND_SERIES = {"zhejiang_service": _P + "brand_series.zhejiang_service",
                "zhejiang_agri": _P + "brand_series.zhejiang_agri"}

# 三(二) 对牵头制定(排名第一位,不含修订)并完成国际标准、国家标准、行业(或地方、军用)标准、
# “浙江制造”“浙江服务”“浙江农产”标准的企业和机构,分别给予100万元、30万元、20万元、20万元奖励
LEAD: dict[str, tuple[str, str]] = {
    "international": ("R1", _P + "lead.international"),
    "national": ("R2", _P + "lead.national"),
    "industry": ("R3", _P + "lead.industry"),
    "local": ("R3", _P + "lead.local"),
    "military": ("R3", _P + "lead.military"),
    "zhejiang_made": ("R4", _P + "lead.zhejiang_made"),
    "zhejiang_service": ("R4", _P + "lead.zhejiang_service"),
    "zhejiang_agri": ("R4", _P + "lead.zhejiang_agri"),
}

# 对参与制定(排名第二位至第四位)并完成国际标准、国家标准的企业和机构,分别给予30万元、15万元奖励
# (“不含修订” stands inside the leading-drafter clause only: participation in a
# revision is rewarded. docs/policy-readings.md explains this reading.)
PARTICIPATE: dict[str, tuple[str, str]] = {
    "international": ("R5", _P + "participate.international"),
    "national": ("R6", _P + "participate.national"),
}
PARTICIPATE_RANKS = range(2, 5)

# 对承担组建国际、国家、省级专业标准化技术委员会、分委会秘书处的企业以及研究开发和检验检测等其他组织,
# 分别一次性给予100万元、50万元、20万元的专项补助
SECRETARIAT: dict[str, tuple[str, str]] = {
    "international": ("R7", _P + "secretariat.international"),
    "national": ("R8", _P + "secretariat.national"),
    "provincial": ("R9", _P + "secretariat.provincial"),
}

# 对获得中国标准创新贡献奖一、二、三等奖的单位,分别给予100万元、80万元、50万元奖励,获得组织奖的,给予50万元奖励
AWARD: dict[str, tuple[str, str]] = {
    "first": ("R10", _P + "award.first"),
    "second": ("R10", _P + "award.second"),
    "third": ("R10", _P + "award.third"),
    "organization": ("R11", _P + "award.organization"),
}

# 对通过国家级、省级标准化试点项目验收的单位,分别给予最高30万元、20万元奖励
PILOT: dict[str, tuple[str, str]] = {
    "national": ("R12", _P + "pilot_cap.national"),
    "provincial": ("R13", _P + "pilot_cap.provincial"),
}

# What each rule rewards, for the admin's legend and reward table (explanations: wording.GRANTS).
TIER_NAMES: dict[str, Text] = {
    "R1": Text("牵头制定并完成国际标准", "leading drafter of a completed international standard"),
    "R2": Text("牵头制定并完成国家标准", "leading drafter of a completed national standard"),
    "R3": Text("牵头制定并完成行业(或地方、军用)标准", "leading drafter of a completed industry, local or military standard"),
    "R4": Text("牵头制定并完成“浙江制造”“浙江服务”“浙江农产”标准", "leading drafter of a completed Zhejiang Made / Service / Agricultural standard"),
    "R5": Text("参与制定(排名第二至第四)并完成国际标准", "drafter ranked 2nd–4th of a completed international standard"),
    "R6": Text("参与制定(排名第二至第四)并完成国家标准", "drafter ranked 2nd–4th of a completed national standard"),
    "R7": Text("承担国际专业标准化技术委员会(分委会)秘书处,一次性专项补助", "secretariat of an international TC/SC, one-time subsidy"),
    "R8": Text("承担全国专业标准化技术委员会(分委会)秘书处,一次性专项补助", "secretariat of a national TC/SC, one-time subsidy"),
    "R9": Text("承担省级专业标准化技术委员会(分委会)秘书处,一次性专项补助", "secretariat of a provincial TC/SC, one-time subsidy"),
    "R10": Text("获得中国标准创新贡献奖项目奖", "China Standard Innovation Contribution Award, project prize"),
    "R11": Text("获得中国标准创新贡献奖组织奖", "China Standard Innovation Contribution Award, organisation award"),
    "R12": Text("国家级标准化试点项目通过验收(最高限额)", "national standardisation pilot passing acceptance (capped)"),
    "R13": Text("省级标准化试点项目通过验收(最高限额)", "provincial standardisation pilot passing acceptance (capped)"),
}

#: ``R0``: what no tier covers.
NO_TIER = Text("不属于三(二)奖励范围(奖励0元,说明写明原因)",
               "not covered by any tier of 三(二) (¥0; the explanation says why)")


def rule_legend() -> tuple[tuple[str, Text], ...]:
    """Every rule id with what it rewards (R0 last), for the admin's legend."""
    return (*TIER_NAMES.items(), ("R0", NO_TIER))


def rule_table() -> list[tuple[str, str, Text]]:
    """(rule, parameter key, what it rewards) for every rule, in order."""
    rows = []
    for table in (LEAD, PARTICIPATE, SECRETARIAT, AWARD, PILOT):
        for rule, key in table.values():
            rows.append((rule, key, TIER_NAMES[rule]))
    return rows


# ---------------------------------------------------------------------------
# Decisions: what the text says, before amounts and history are consulted
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Decision:
    """The rule an activity falls under, and the parameter that sets its amount.

    ``param`` is ``None`` when the text grants nothing; ``zero`` then says why
    (it follows the activity's subject in the explanation) and ``reason`` is
    its machine-readable code.
    """

    rule: str
    param: str | None = None
    zero: Text | None = None
    reason: str | None = None
    #: ``{"reason": reason}``, shared by every outcome of this decision (read-only).
    details: dict[str, str] | None = field(default=None, init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "details", {"reason": self.reason} if self.reason else None)


@lru_cache(maxsize=None)
def decide_standard(level: str, rank: int, revision: bool, amendment: bool = False,
                    issued: int | None = None) -> Decision:
    """R1–R6 and the readings under them, for one standard-drafting activity.

    ``amendment``: the number is an amendment (``/Amd``) of an existing
    standard; ``issued``: the year the number carries (the year it was issued).
    """
    # 制定…并完成…标准: an amendment changes a standard, it is not one; neither
    # its leading drafter nor a participant is rewarded under 三(二).
    if amendment:
        return Decision("R0", zero=Text(
            f":修改单不是标准。{CITE.zh},对牵头制定和参与制定标准的奖励均不适用于修改单,不予奖励。",
            f": an amendment is not a standard; {CITE.en}, neither the leading drafter nor a participant of "
            "an amendment is rewarded.",
        ), reason="amendment")
    # 本意见自2022年8月1日起施行: a standard issued before 2022 was completed before the policy.
    if issued is not None and issued < POLICY_START.year:
        return Decision("R0", zero=Text(
            f":标准编号所载年份为{issued}年,该标准在{DOCUMENT.zh}施行日期{date_zh(POLICY_START)}之前已经完成,"
            f"不属于该意见{PART.zh}的奖励范围,不予奖励。",
            f": the number carries the year {issued}; the standard was completed before {DOCUMENT.en} took effect "
            f"on {date_en(POLICY_START)} and is not covered by {PART.en}, so no reward is granted.",
        ), reason="issued_before_policy")
    # Group standards other than the three Zhejiang brands, and enterprise
    # standards, are not named in 三(二).
    if level == "group":
        return Decision("R0", zero=Text(
            f":{CITE.zh},团体标准中仅对“浙江制造”“浙江服务”“浙江农产”标准给予奖励,其他团体标准不予奖励。",
            f": {CITE.en}, of group standards only Zhejiang Made, Zhejiang Service and Zhejiang Agricultural "
            "standards are rewarded; no reward is granted for other group standards.",
        ), reason="level")
    if level == "enterprise":
        return Decision("R0", zero=Text(
            f":{DOCUMENT.zh}{PART.zh}未对企业标准设定奖励,不予奖励。",
            f": {PART.en} of {DOCUMENT.en} sets no reward for enterprise standards, so no reward is granted.",
        ), reason="level")
    if rank == 1:
        rule, param = LEAD[level]
        # 牵头制定(排名第一位,不含修订)
        if revision:
            return Decision(rule, zero=Text(
                f":{CITE.zh},对牵头制定标准的奖励不含修订,修订标准的牵头起草单位不予奖励。",
                f": {CITE.en}, the reward for leading the drafting of a standard excludes revisions; the leading "
                "drafter of a revision receives no reward.",
            ), reason="revision")
        return Decision(rule, param)
    if rank in PARTICIPATE_RANKS:
        # 参与制定(排名第二位至第四位)并完成国际标准、国家标准
        if level not in PARTICIPATE:
            name = LEVEL_NAMES[level]
            return Decision("R0", zero=Text(
                f":{CITE.zh},对参与制定、排名第二位至第四位的起草单位,仅就国际标准和国家标准给予奖励,"
                f"参与制定{name.zh}不予奖励。",
                f": {CITE.en}, drafting units ranked second to fourth are rewarded for international and national "
                f"standards only; taking part in drafting a {name.en} is not rewarded.",
            ), reason="participation_level")
        return Decision(*PARTICIPATE[level])
    return Decision("R0", zero=Text(
        f":{CITE.zh},仅对排名第一位的牵头起草单位和排名第二位至第四位的参与起草单位给予奖励,"
        f"排名第{rank_zh(rank)}位不予奖励。",
        f": {CITE.en}, only the leading drafter (ranked first) and the drafting units ranked second to fourth "
        f"are rewarded; a drafting unit ranked {ordinal_en(rank)} receives no reward.",
    ), reason="rank")


@lru_cache(maxsize=None)
def decide_secretariat(committee_level: str) -> Decision:
    """R7–R9."""
    return Decision(*SECRETARIAT[committee_level])


#: A provincial award is no tier of 三(二): it rewards the China award only.
PROVINCIAL_AWARD = Decision("R0", zero=Text(
    f":{CITE.zh},仅对获得中国标准创新贡献奖的单位给予奖励,省级标准创新贡献奖不予奖励"
    "(该奖项计入第一部分第(二)项的发展目标统计)。",
    f": {CITE.en}, a reward is granted for the China Standard Innovation Contribution Award only; no reward is "
    "granted for a provincial award (it counts towards the development targets of Part I, item (2)).",
), reason="provincial_award")


@lru_cache(maxsize=None)
def decide_award(award: str, level: str = "national") -> Decision:
    """R10–R11; R0 for a provincial award (a record without a level is the national one)."""
    # 三(二) 对获得中国标准创新贡献奖一、二、三等奖的单位……给予奖励: the China award, national.
    if level == "provincial":
        return PROVINCIAL_AWARD
    return Decision(*AWARD[award])


@lru_cache(maxsize=None)
def decide_pilot(pilot_level: str, accepted: bool) -> Decision:
    """R12–R13: only a pilot that passed acceptance (通过…验收) is rewarded."""
    rule, param = PILOT[pilot_level]
    if not accepted:
        return Decision(rule, zero=Text(
            f"尚未通过验收:{CITE.zh},仅对通过标准化试点项目验收的单位给予奖励,验收前不予奖励。",
            f" has not passed acceptance: {CITE.en}, only pilots that have passed acceptance are rewarded; "
            "no reward is granted before acceptance.",
        ), reason="not_accepted")
    return Decision(rule, param)


# ---------------------------------------------------------------------------
# Explanations
# ---------------------------------------------------------------------------

class _Words:
    """Explanation fragments, cached: a batch repeats the same few thousand."""

    def __init__(self, context: EvaluationContext) -> None:
        self.context = context
        self._versions: dict[ParamValue, Text] = {}
        self._tails: dict[tuple[str, int], tuple[str, str]] = {}
        self._first: dict[str, date | None] = {}
        self._early: dict[tuple[str, str, date], tuple[str, str]] = {}

    def version(self, value: ParamValue) -> Text:
        """Which amount was read, as a document says it: from when it applies (the version stays in ``parameters``)."""
        text = self._versions.get(value)
        if text is None:
            zh, en = date_zh(value.effective_from), date_en(value.effective_from)
            if value.origin == "what-if":
                text = Text(f"按拟议金额测算,拟自{zh}起执行,尚未登记", f"a proposed amount from {en}, not recorded")
            else:
                text = Text(f"该奖励标准自{zh}起执行", f"the amount in force from {en}")
            self._versions[value] = text
        return text

    def paid(self, rule: str, value: ParamValue) -> tuple[str, str]:
        """``:根据《…》第三部分第(二)项,对…的企业和机构给予30万元奖励(该奖励标准自2022年8月1日起执行)。``"""
        # Keyed by identity: the resolver hands out one ParamValue per version
        # and keeps it (so the id stays valid), and hashing a five-field tuple
        # per activity costs more.
        tail = self._tails.get((rule, id(value)))
        if tail is None:
            version, (who, grant) = self.version(value), GRANTS[rule]
            zh = grant.zh.format(amount=format_yuan_zh(value.value))
            en = grant.en.format(amount=format_yuan_en(value.value))
            tail = self._tails[rule, id(value)] = (
                f":{CITE.zh},对{who.zh}{zh}({version.zh})。",
                f": {CITE.en}, {who.en} receive {en} ({version.en}).",
            )
        return tail

    def not_in_force(self, rule: str, key: str, activity: Activity) -> tuple[str, str]:
        """``:成果日期…早于该项奖励标准的执行日期…`` (cached per rule, key and day)."""
        cached = self._early.get((rule, key, activity.date))
        if cached is None:
            cached = self._early[rule, key, activity.date] = self._not_in_force(rule, key, activity.date)
        return cached

    def before_policy(self, on: date) -> tuple[str, str]:
        """``:成果日期…早于《…》施行日期2022年8月1日,不属于…奖励范围``: whatever amount a version dated earlier gives."""
        return (
            f":成果日期为{date_zh(on)},早于{DOCUMENT.zh}施行日期{date_zh(POLICY_START)},不属于该意见{PART.zh}的奖励范围,"
            "不予奖励。",
            f": dated {date_en(on)}, before {DOCUMENT.en} took effect on {date_en(POLICY_START)}; it is not covered "
            f"by {PART.en}, so no reward is granted.",
        )

    def _not_in_force(self, rule: str, key: str, on: date) -> tuple[str, str]:
        if key not in self._first:
            first = min((v.effective_from for v in self.context.parameters.history(key)), default=None)
            self._first[key] = first
        since = self._first[key]
        who = GRANTS[rule][0]
        if since is None:
            return (f":{DOCUMENT.zh}{PART.zh}对{who.zh}的奖励金额尚未设定,暂不予奖励。",
                    f": no amount has been set for {who.en} under {PART.en} of {DOCUMENT.en}, "
                    "so no reward is granted.")
        return (
            f":成果日期为{date_zh(on)},早于{DOCUMENT.zh}{PART.zh}该项奖励标准的执行日期{date_zh(since)},"
            "没有适用于该日期的奖励标准,不予奖励。",
            f": dated {date_en(on)}, before the amount for {who.en} under {PART.en} of {DOCUMENT.en} applies "
            f"({date_en(since)}); no amount applies on that date, so no reward is granted.",
        )


def _duplicate(prior: PriorPayment | tuple[Activity, int, bool], what: Text) -> tuple[tuple[str, str], dict[str, Any]]:
    """The reason of a repeat: which earlier activity was paid, or is held for review (stored or in this batch alike)."""
    if isinstance(prior, PriorPayment):
        ref, activity_id, day, amount, held = prior.activity_ref, prior.activity_id, prior.date, prior.amount, prior.held
    else:
        activity, amount, held = prior
        ref, activity_id, day = activity.ref, activity.stored_id, activity.date
    once = (f":按照{DOCUMENT.zh}{PART.zh}的奖励规定,{what.zh}只奖励一次。",
            f": under {PART.en} of {DOCUMENT.en}, {what.en} is rewarded once.")
    if held:
        tail = (
            once[0] + f"活动 {ref}({date_zh(day)})的{format_yuan_zh(amount)}正待核实,本条不再重复奖励。",
            once[1] + f" {format_yuan_en(amount)} for activity {ref} ({date_en(day)}) is held for review; "
            "this record is not rewarded again.",
        )
    else:
        tail = (
            once[0] + f"已随活动 {ref}({date_zh(day)})发放{format_yuan_zh(amount)},本条不再重复奖励。",
            once[1] + f" {format_yuan_en(amount)} was already paid with activity {ref} ({date_en(day)}); "
            "this record is not rewarded again.",
        )
    paid_with: dict[str, Any] = {"activity": ref, "activity_id": activity_id, "date": day.isoformat(), "amount": amount}
    if held:
        paid_with["held"] = True
    return tail, {"reason": "duplicate", "paid_with": paid_with}


# ---------------------------------------------------------------------------
# The four kinds
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _Entry:
    """A record of a standard in the register or the batch: who drafted which edition, at which rank."""

    identity: Identity
    credit_code: str
    organisation: str | None
    rank: int
    ref: str
    day: date
    #: Where it stands in the order records were recorded (``core.in_recorded_order``): (0, stored id)
    #: for a stored record, (1, place in the batch) for one not stored. A series is kept in this order,
    #: whether its records come in the batch or from the register, so that the record a reason names
    #: (the first of the latest earlier edition) is the same however the register is evaluated.
    order: tuple[int, int] = (1, 0)

    def party(self) -> dict[str, Any]:
        """The other party of a held reason, as reviewers and approval lists read it."""
        return {"activity": self.ref, "credit_code": self.credit_code, "organisation": self.organisation,
                "date": self.day.isoformat()}


def _recorded(entry: _Entry) -> tuple[int, int]:
    return entry.order


#: Why an outcome is held for review (待核实), by the code in ``details["held_reasons"]`` (the review queue's
#: filter and labels): two organisations claiming one rank, a credit code registered outside the city, a
#: "Zhejiang Made" series the register does not know, a revision flag the register contradicts, one
#: organisation's project recorded with two prizes, two organisations claiming one committee's secretariat.
HELD_REASONS: tuple[tuple[str, Text], ...] = (
    ("rank_conflict", Text("排名冲突", "rank conflict")),
    ("region", Text("注册地不在本市", "registered outside the city")),
    ("brand_series", Text("品牌标准系列未知", "unknown brand series")),
    ("revision_flag", Text("修订标识与登记簿不符", "revision flag contradicts the register")),
    ("prize_conflict", Text("同一项目奖项不一", "one project, two prizes")),
    ("secretariat_conflict", Text("秘书处承担单位冲突", "two secretariats for one committee")),
)


def _held(code: str, zh: str, en: str, other: dict[str, Any] | None = None) -> dict[str, Any]:
    """One reason an outcome is held for review: a stable code, the reason in both languages, the other party."""
    reason: dict[str, Any] = {"code": code, "zh": zh, "en": en}
    if other is not None:
        reason["other"] = other
    return reason


def _who(credit_code: str, organisation: str | None) -> tuple[str, str]:
    """The other party by name and credit code (by the code alone when the record names no organisation)."""
    if not organisation:
        return (f"统一社会信用代码为{credit_code}的单位", f"the organisation with credit code {credit_code}")
    return (f"{organisation}(统一社会信用代码{credit_code})", f"{organisation} (credit code {credit_code})")


class _Kind(ABC):
    """How one activity kind is decided, named, and paid once.

    ``prepare`` returns, for one activity, its decision, its subject in both
    languages (what the explanation starts with), and its one-time key (the
    same organisation and standard, committee or project is paid once; only
    asked for when a reward may be due). ``survey`` first reads what the
    readings across activities need (the register's other records of the
    same standard); ``holds`` gives the kind's reasons to hold an outcome
    for review.
    """

    #: What "the same" means for the one-time rule, in explanations.
    what: Text

    def survey(self, activities: Sequence[Activity], context: EvaluationContext) -> None:
        """Read what the readings across activities need, before ``prepare``."""

    @abstractmethod
    def prepare(self, activity: Activity) -> tuple[Decision, tuple[str, str], str | None]:
        """(decision, (subject zh, subject en), one-time key or None) of one activity."""

    def holds(self, activity: Activity, context: EvaluationContext) -> list[dict[str, Any]]:
        """Reasons of this kind to hold the activity's reward for review (none by default)."""
        return []

    def earlier_keys(self, activity: Activity) -> tuple[str, ...]:
        """The one-time keys an earlier release may have stored this achievement's outcomes under, where they differ.

        Outcomes are never rewritten (only superseded by a re-evaluation), so
        a stored reward keeps the key it was paid under: it is looked up by
        those keys as well.
        """
        return ()

    def pay(self, activity: Activity, decision: Decision, value: ParamValue,
            words: _Words) -> tuple[int, tuple[str, str], dict[str, Any] | None]:
        return value.value, words.paid(decision.rule, value), None


class _StandardDrafting(_Kind):
    what = Text("同一单位的同一标准", "the same organisation's same standard")

    def __init__(self) -> None:
        # (level, rank, revision, level_basis, amendment, issued) → decision and the subject's templates (%s: the number)
        self._cache: dict[tuple[Any, ...], tuple[Decision, str, str]] = {}
        self._identity: dict[int, Identity] = {}
        #: series → every record of it, in the batch and in the register (amendments aside)
        self._series: dict[str, list[_Entry]] = defaultdict(list)
        self._entry: dict[int, _Entry] = {}
        #: (credit code, identity key) → the other spellings the register holds it under (GB 1-2020 for GB/T 1-2020)
        self._spelt: dict[tuple[str, str], set[str]] = defaultdict(set)

    def _identity_of(self, activity: Activity) -> Identity:
        found = self._identity.get(id(activity))
        if found is None:
            found = self._identity[id(activity)] = identity_of(activity.fields["standard_code"], activity.date.year)
        return found

    def survey(self, activities: Sequence[Activity], context: EvaluationContext) -> None:
        for place, activity in enumerate(activities):
            if "/Amd" in activity.fields["standard_code"]:
                continue
            stored_id = activity.stored_id
            entry = _Entry(self._identity_of(activity), activity.credit_code, activity.organisation,
                           activity.fields["rank"], activity.ref, activity.date,
                           (1, place) if stored_id is None else (0, stored_id))
            self._entry[id(activity)] = entry
            self._series[entry.identity.base].append(entry)
        if isinstance(context.history, EmptyHistory) or not self._series:
            return
        ours = {a.stored_id for a in activities if a.stored_id is not None}
        prefixes = {p for entries in self._series.values() for p in register_prefixes(entries[0].identity)}
        stored = getattr(context.history, "activities", None)  # a history written before core 1.1 has none
        joined: set[str] = set()
        for prior in (stored("standard_drafting", prefixes) if stored is not None else ()):
            if prior.activity_id in ours or "/Amd" in prior.subject:
                continue
            identity = identity_of(prior.subject, prior.date.year)
            if prior.subject != identity.key and prior.subject in spellings(identity):
                # Stored before its spellings were one standard: its reward was keyed by the number as given.
                self._spelt[(prior.credit_code, identity.key)].add(prior.subject)
            if identity.base in self._series:
                rank = prior.fields.get("rank")
                self._series[identity.base].append(_Entry(identity, prior.credit_code, prior.organisation,
                                                          rank if isinstance(rank, int) else 0, prior.activity_ref,
                                                          prior.date, (0, prior.activity_id)))
                joined.add(identity.base)
        for base in joined:
            self._series[base].sort(key=_recorded)

    def prepare(self, activity: Activity) -> tuple[Decision, tuple[str, str], str | None]:
        fields = activity.fields
        code = fields["standard_code"]
        identity = self._identity_of(activity)
        signature = (fields["level"], fields["rank"], fields["revision"], fields.get("level_basis"),
                     "/Amd" in code, identity.year)
        cached = self._cache.get(signature)
        if cached is None:
            cached = self._cache[signature] = self._describe(*signature)
        decision, zh, en = cached
        # One standard, one identity: ISO/IEC 30141:2024 is ISO 30141:2024, an ITU-T number with or without its date.
        key = f"standard:{activity.credit_code}:{identity.key}" if decision.param else None
        return decision, (zh % code, en % code), key

    def earlier_keys(self, activity: Activity) -> tuple[str, ...]:
        # Only the spellings the register was found to hold (survey): asking for every spelling of every
        # number would treble the keys an import looks up.
        found = self._spelt.get((activity.credit_code, self._identity_of(activity).key))
        return tuple(f"standard:{activity.credit_code}:{spelt}" for spelt in sorted(found)) if found else ()

    def holds(self, activity: Activity, context: EvaluationContext) -> list[dict[str, Any]]:
        reasons: list[dict[str, Any]] = []
        fields, mine = activity.fields, self._entry.get(id(activity))
        if mine is not None:
            series = self._series[mine.identity.base]
            # Editions are revisions: an earlier edition of the series in the register, or a military
            # standard's edition letter, makes this a revision; a record saying otherwise is held.
            earlier = [e for e in series if e.identity.edition < mine.identity.edition]
            if not fields["revision"] and (earlier or mine.identity.letter):
                if earlier:
                    last = max(earlier, key=lambda e: e.identity.edition)
                    reasons.append(_held(
                        "revision_flag",
                        f"该标准登记为非修订,但同一标准的较早版本已经登记(活动 {last.ref},"
                        f"{last.identity.year or ''}年版),较晚版本应为修订,而对牵头制定的奖励不含修订,请核实",
                        f"recorded as not a revision, but an earlier edition of the same standard is registered "
                        f"(activity {last.ref}, the {last.identity.year or ''} edition): a later edition is a revision, "
                        "and the reward for leading the drafting excludes revisions; please verify",
                        last.party()))
                else:
                    reasons.append(_held(
                        "revision_flag",
                        f"该标准登记为非修订,但军用标准编号中的版次字母{mine.identity.letter}表示修订,请核实",
                        f"recorded as not a revision, but the edition letter {mine.identity.letter} of the military "
                        "standard's number marks a revision; please verify"))
            # Only ranks that exist: one rank per standard; two organisations claiming it are both held.
            for other in series:
                if (other is not mine and other.identity == mine.identity and other.rank == mine.rank
                        and other.credit_code != mine.credit_code):
                    zh, en = _who(other.credit_code, other.organisation)
                    reasons.append(_held(
                        "rank_conflict",
                        f"{zh}也登记为该标准排名第{rank_zh(mine.rank)}位的起草单位(活动 {other.ref}),排名冲突,请核实",
                        f"{_capital(en)} is also registered as the drafting unit ranked {ordinal_en(mine.rank)} on this standard "
                        f"(activity {other.ref}); please verify",
                        other.party()))
        level = fields["level"]
        if level in BRAND_SERIES and fields.get("level_basis") == "declared":
            series_code = fields["standard_code"].split(" ")[0].removeprefix("T/")
            known = context.parameters.value(BRAND_SERIES[level], activity.date)
            if known is None or series_code not in (known.value or ()):
                name = LEVEL_NAMES[level]
                reasons.append(_held(
                    "brand_series",
                    f"申报为{name.zh},但团体标准代号 T/{series_code} 不在已知的{name.zh}系列中,请核实",
                    f"declared a {name.en}, but the group code T/{series_code} is not among the known "
                    f"{name.en} series; please verify"))
        return reasons

    @staticmethod
    def _describe(level: str, rank: int, revision: bool, basis: str | None, amendment: bool,
                  issued: int | None) -> tuple[Decision, str, str]:
        name = LEVEL_NAMES[level]
        rev = ("修订", "a revision") if revision else ("非修订", "not a revision")
        declared = (",级别按申报", ", level as declared") if basis == "declared" else ("", "")
        # "%s" is the number (numbers may contain "%": they are substituted, not formatted).
        return (
            decide_standard(level, rank, revision, amendment, issued),
            f"{name.zh} %s(起草单位排名第{rank_zh(rank)}位,{rev[0]}{declared[0]})",
            f"{_capital(name.en)} %s (drafting unit ranked {ordinal_en(rank)}, {rev[1]}{declared[1]})",
        )


def _capital(text: str) -> str:
    """The English subject opens the sentence: its first letter in capitals (“Zhejiang Made” standard stays)."""
    return text[:1].upper() + text[1:]


class _TcSecretariat(_Kind):
    what = Text("同一单位承担同一技术委员会的秘书处", "the same organisation's secretariat of the same committee")

    def __init__(self) -> None:
        #: committee → (credit code, organisation, ref, date) of each record claiming its secretariat, batch and register
        self._claims: dict[str, list[tuple[str, str | None, str, date]]] = defaultdict(list)

    def survey(self, activities: Sequence[Activity], context: EvaluationContext) -> None:
        # A committee has one secretariat: two organisations claiming one are held, each naming the other
        # (a joint secretariat is the reviewer's to approve). The group is the committee (core.grouping).
        for activity in activities:
            self._claims[activity.fields["committee_code"]].append(
                (activity.credit_code, activity.organisation, activity.ref, activity.date))
        stored = getattr(context.history, "activities", None)
        if isinstance(context.history, EmptyHistory) or stored is None or not self._claims:
            return
        ours = {a.stored_id for a in activities if a.stored_id is not None}
        for prior in stored("tc_secretariat", list(self._claims)):
            if prior.activity_id not in ours and prior.subject in self._claims:  # the prefix is the whole number
                self._claims[prior.subject].append(
                    (prior.credit_code, prior.organisation, prior.activity_ref, prior.date))

    def holds(self, activity: Activity, context: EvaluationContext) -> list[dict[str, Any]]:
        claims = self._claims.get(activity.fields["committee_code"], ())
        other = next((c for c in claims if c[0] != activity.credit_code), None)
        if other is None:
            return []
        credit_code, organisation, ref, day = other
        who = _who(credit_code, organisation)
        return [_held(
            "secretariat_conflict",
            f"{who[0]}也登记为该技术委员会秘书处的承担单位(活动 {ref}),一个技术委员会只有一个秘书处,请核实",
            f"{who[1]} is also recorded as this committee's secretariat (activity {ref}): a committee has one "
            "secretariat; please verify",
            {"activity": ref, "credit_code": credit_code, "organisation": organisation, "date": day.isoformat()})]

    def prepare(self, activity: Activity) -> tuple[Decision, tuple[str, str], str | None]:
        fields = activity.fields
        code = fields["committee_code"]
        name = committee_name(code, fields["committee_level"])
        # 一次性: the same organisation and committee is subsidised once.
        return (decide_secretariat(fields["committee_level"]),
                (f"承担{name.zh} 秘书处", f"Secretariat of the {name.en}"),
                f"committee:{activity.credit_code}:{code}")


class _InnovationAward(_Kind):
    # Awards are per project and per round: the same organisation's same prize
    # for the same project is paid once; the organisation award once per round (year).
    what = Text("同一单位就同一项目获得的同一奖项(组织奖为同一届)",
                "the same organisation's same prize for the same project (the organisation award: in the same round)")

    #: The prizes given to a project (the organisation award has none).
    PRIZES = ("first", "second", "third")

    def __init__(self) -> None:
        #: id(activity) → its prize-conflict reasons (survey)
        self._conflicts: dict[int, list[dict[str, Any]]] = {}

    def survey(self, activities: Sequence[Activity], context: EvaluationContext) -> None:
        # One project, one prize: the same organisation's project recorded with two prizes (in the batch, or
        # one paid or held in the register) is held, each record naming the other; the reviewer decides.
        projects: dict[tuple[str, str], list[Activity]] = defaultdict(list)
        for activity in activities:
            fields = activity.fields
            if fields.get("project") and fields["award"] in self.PRIZES and award_level_of(fields) == "national":
                projects[(activity.credit_code, name_key(fields["project"]))].append(activity)
        for group in projects.values():
            for activity in group:
                other = next((o for o in group if o.fields["award"] != activity.fields["award"]), None)
                if other is not None:
                    self._conflict(activity, other.fields["award"], other.ref, other.date, activity.credit_code)
        if isinstance(context.history, EmptyHistory) or not projects:
            return
        asked: dict[str, tuple[str, str, str]] = {}
        for (credit_code, project), group in projects.items():
            given = {a.fields["award"] for a in group}
            for prize in self.PRIZES:
                if prize not in given:
                    asked[f"award:{credit_code}:{prize}:{project}"] = (credit_code, project, prize)
        ours = {a.stored_id for a in activities if a.stored_id is not None}
        for found, prior in context.history.paid(PLUGIN, list(asked)).items():
            credit_code, project, prize = asked[found]
            if prior.activity_id in ours:
                continue  # in the batch: found there
            for activity in projects[(credit_code, project)]:
                self._conflict(activity, prize, prior.activity_ref, prior.date, credit_code)

    def _conflict(self, activity: Activity, prize: str, ref: str, day: date, credit_code: str) -> None:
        reasons = self._conflicts.setdefault(id(activity), [])
        if reasons:
            return  # one reason names one other record
        other = AWARD_NAMES[prize]
        reasons.append(_held(
            "prize_conflict",
            f"同一项目另有记录为{other.zh}(活动 {ref}),同一项目只获一个奖项,请核实",
            f"the same project is recorded with the {other.en} too (activity {ref}): a project receives one "
            "prize; please verify",
            {"activity": ref, "credit_code": credit_code, "organisation": activity.organisation,
             "date": day.isoformat()}))

    def holds(self, activity: Activity, context: EvaluationContext) -> list[dict[str, Any]]:
        return self._conflicts.get(id(activity), [])

    def prepare(self, activity: Activity) -> tuple[Decision, tuple[str, str], str | None]:
        fields = activity.fields
        award, project = AWARD_NAMES[fields["award"]], fields.get("project")
        level = award_level_of(fields)
        name = ("中国", "China") if level == "national" else ("浙江省", "Zhejiang")
        return (decide_award(fields["award"], level),
                (f"获得{name[0]}标准创新贡献奖{award.zh}" + (f"(获奖项目{quoted(project).zh})" if project else ""),
                 f"{_capital(award.en)} of the {name[1]} Standard Innovation Contribution Award"
                 + (f" for the project {quoted(project).en}" if project else "")),
                (f"award:{activity.credit_code}:{fields['award']}:{name_key(project)}" if project
                 else f"award:{activity.credit_code}:{fields['award']}:{activity.date.year}")
                if level == "national" else None)


class _PilotProject(_Kind):
    what = Text("同一单位的同一试点项目(未填写项目名称的,为同一年度同一级别的试点)",
                "the same organisation's same pilot (without a project name: the same level in the same year)")

    def prepare(self, activity: Activity) -> tuple[Decision, tuple[str, str], str | None]:
        fields = activity.fields
        level, project = PILOT_LEVEL_NAMES[fields["pilot_level"]], fields.get("project")
        return (decide_pilot(fields["pilot_level"], fields["accepted"]),
                (f"{level.zh}标准化试点项目" + (quoted(project).zh if project else ""),
                 f"{_capital(level.en)} standardisation pilot" + (f" {quoted(project).en}" if project else "")),
                f"pilot:{activity.credit_code}:{name_key(project)}" if project
                else f"pilot:{activity.credit_code}:{fields['pilot_level']}:{activity.date.year}")

    def earlier_keys(self, activity: Activity) -> tuple[str, ...]:
        # A pilot's project used to be compared as typed ("LED照明试点" and "ＬＥＤ照明试点" were two pilots).
        project = activity.fields.get("project")
        return (f"pilot:{activity.credit_code}:{project}",) if project else ()

    def pay(self, activity: Activity, decision: Decision, cap: ParamValue,
            words: _Words) -> tuple[int, tuple[str, str], dict[str, Any] | None]:
        granted = activity.fields.get("granted_amount")
        zh, en = words.paid(decision.rule, cap)
        if granted is None:
            # 最高: the grant is decided on assessment; until then the cap is the figure.
            return cap.value, (
                zh + f"实际金额尚未核定,暂按上限{format_yuan_zh(cap.value)}计列,以评审核定金额为准。",
                en + f" The amount actually granted is not yet decided: the cap of {format_yuan_en(cap.value)} is "
                "shown until the assessment decides it.",
            ), {"upper_bound": True}
        if granted > cap.value:
            # Validation refuses this; a cap lowered after validation still binds.
            return cap.value, (
                zh + f"核定金额{format_yuan_zh(granted)}超过上限,按上限{format_yuan_zh(cap.value)}发放。",
                en + f" The granted {format_yuan_en(granted)} exceeds the cap; the cap of "
                f"{format_yuan_en(cap.value)} is paid.",
            ), {"capped_from": granted}
        return granted, (
            zh + f"核定金额{format_yuan_zh(granted)},未超过上限,按核定金额发放。",
            en + f" The granted {format_yuan_en(granted)} is within the cap and is paid.",
        ), None


KINDS: dict[str, type[_Kind]] = {
    "standard_drafting": _StandardDrafting,
    "tc_secretariat": _TcSecretariat,
    "innovation_award": _InnovationAward,
    "pilot_project": _PilotProject,
}


def _evaluate_kind(kind: _Kind, activities: list[Activity], context: EvaluationContext, words: _Words) -> list[Outcome]:
    # The first report is the one paid: stored first, else earliest dated (core.in_recorded_order).
    ordered = in_recorded_order(activities)
    kind.survey(ordered, context)
    prepared = [kind.prepare(activity) for activity in ordered]
    stored: dict[str, PriorPayment] = {}
    keys = {p[2] for p in prepared}
    keys.discard(None)
    # An achievement reported with a date before 2022-08-01 is not paid later under a new date:
    # its earliest report, stored or in this batch, decides.
    first_report: dict[str, tuple[date, str]] = {}
    for activity, (_decision, _subject, key) in zip(ordered, prepared):
        if key is not None and (key not in first_report or activity.date < first_report[key][0]):
            first_report[key] = (activity.date, activity.ref)
    if not isinstance(context.history, EmptyHistory) and keys:  # nothing stored: no keys to look up
        # Rewards stored under an earlier release's key are found by it (earlier → today's key).
        earlier = {old: key for activity, (_d, _s, key) in zip(ordered, prepared) if key is not None
                   for old in kind.earlier_keys(activity) if old != key}
        asked = keys | earlier.keys()
        for found, prior in context.history.paid(PLUGIN, asked).items():
            key = found if found in keys else earlier.get(found, found)
            if key not in stored or prior.date < stored[key].date:
                stored[key] = prior
        reports = getattr(context.history, "reported", None)  # a history written before core 1.1 has none
        for found, prior in (reports(PLUGIN, asked) if reports is not None else {}).items():
            key = found if found in keys else earlier.get(found, found)
            if prior.date < first_report[key][0]:
                first_report[key] = (prior.date, prior.activity_ref)
    in_batch: dict[str, tuple[Activity, int, bool]] = {}
    value_of = context.parameters.value
    in_force: dict[tuple[str, date], ParamValue | None] = {}  # (key, day) → value: a dict lookup beats the call
    # Most kinds pay the parameter's value; only those that override pay() need the call.
    pay = kind.pay if type(kind).pay is not _Kind.pay else None
    paid = words.paid
    out: list[Outcome] = []
    append = out.append
    # Outcome's optional arguments by position (parameters, dedup_key, details, subject, status): see core/outcomes.py.
    for activity, (decision, subject, key) in zip(ordered, prepared):
        if decision.param is None:
            append(Outcome(activity, decision.rule, 0, CLAUSE, decision.zero, (), None, decision.details, subject,
                           _NOT_COVERED))
            continue
        try:
            value = in_force[decision.param, activity.date]
        except KeyError:
            value = in_force[decision.param, activity.date] = value_of(decision.param, activity.date)
        if value is None:
            append(Outcome(activity, decision.rule, 0, CLAUSE, words.not_in_force(decision.rule, decision.param, activity),
                           (), key, _NOT_IN_FORCE, subject, _NOT_COVERED))
            continue
        # 本意见自2022年8月1日起施行: an achievement dated before it is not covered. The shipped amounts start
        # that day; a version recorded with an earlier date (a slip of the year, 2002 for 2022) must not pay it.
        if activity.date < POLICY_START:
            append(Outcome(activity, decision.rule, 0, CLAUSE, words.before_policy(activity.date), (value,), key,
                           _BEFORE_POLICY, subject, _NOT_COVERED))
            continue
        if key is not None:
            day, ref = first_report[key]
            if day < POLICY_START and activity.date >= POLICY_START:
                append(Outcome(activity, decision.rule, 0, CLAUSE, (
                    f":该成果已于{date_zh(day)}申报(活动 {ref}),早于{DOCUMENT.zh}施行日期{date_zh(POLICY_START)},"
                    f"以新的日期再次申报的,不属于该意见{PART.zh}的奖励范围,不予奖励。",
                    f": this achievement was reported on {date_en(day)} (activity {ref}), before {DOCUMENT.en} took "
                    f"effect on {date_en(POLICY_START)}; reported again under a new date, it is not covered by "
                    f"{PART.en} and receives no reward.",
                ), (value,), key, {"reason": "reported_before_policy", "reported": {"activity": ref, "date": day.isoformat()}},
                    subject, _NOT_COVERED))
                continue
        prior = (stored.get(key) or in_batch.get(key)) if key is not None else None
        if prior is not None:
            tail, details = _duplicate(prior, kind.what)
            append(Outcome(activity, decision.rule, 0, CLAUSE, tail, (value,), key, details, subject, _NOT_COVERED))
            continue
        if pay is None:
            amount, tail, details = value.value, paid(decision.rule, value), None
        else:
            amount, tail, details = pay(activity, decision, value, words)
        held = (kind.holds(activity, context) + _region_holds(activity, context)) if amount else []
        if held:
            # 待核实: nothing is due until a reviewer decides; the amount it would pay and why travel in details.
            details = {**(details or {}), "reason": held[0]["code"], "held_amount": amount, "held_reasons": held}
            reasons_zh = ";".join(r["zh"] for r in held)
            reasons_en = "; ".join(r["en"] for r in held)
            append(Outcome(activity, decision.rule, 0, CLAUSE, (
                tail[0] + f"该奖励待核实:{reasons_zh}。核实前暂不发放。",
                tail[1] + f" Held for review: {reasons_en}. Nothing is paid until it is verified.",
            ), (value,), key, details, subject, _HELD))
            if key is not None:
                in_batch.setdefault(key, (activity, amount, True))
            continue
        append(Outcome(activity, decision.rule, amount, CLAUSE, tail, (value,), key, details, subject))
        if amount and key is not None:
            in_batch.setdefault(key, (activity, amount, False))
    return out


def _region_holds(activity: Activity, context: EvaluationContext) -> list[dict[str, Any]]:
    """三(二) rewards this city's enterprises and institutions: a credit code registered elsewhere is held."""
    regions = context.parameters.value(REGIONS, activity.date)
    if regions is None or not regions.value:
        return []
    region = activity.credit_code[2:8]
    if any(region.startswith(prefix) for prefix in regions.value):
        return []
    return [_held(
        "region",
        f"统一社会信用代码 {activity.credit_code} 的登记管理机关行政区划代码为{region},不在本市范围内,请核实",
        f"the credit code {activity.credit_code} was registered in region {region}, outside the city; please verify",
    )]


_NOT_COVERED = "not_covered"
_HELD = "held"
_NOT_IN_FORCE = {"reason": "not_in_force"}
_BEFORE_POLICY = {"reason": "before_policy"}


def evaluate(batch: Batch, context: EvaluationContext) -> list[Outcome]:
    """Every outcome of 三(二) for the batch."""
    words = _Words(context)
    out: list[Outcome] = []
    for name, kind in KINDS.items():
        activities = batch.of_kind(name)
        if activities:
            out.extend(_evaluate_kind(kind(), activities, context, words))
    return out
