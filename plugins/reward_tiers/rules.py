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
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from core import (
    Activity,
    Batch,
    EmptyHistory,
    EvaluationContext,
    Outcome,
    ParamValue,
    PriorPayment,
    Text,
    format_yuan_en,
    format_yuan_zh,
    in_recorded_order,
)
from core import STANDARD_LEVEL_NAMES as LEVEL_NAMES

from .schemas import AWARD_NAMES, COMMITTEE_LEVEL_NAMES, PILOT_LEVEL_NAMES

__all__ = ["CLAUSE", "Decision", "PLUGIN", "decide_award", "decide_pilot", "decide_secretariat", "decide_standard", "evaluate",
           "rule_legend", "rule_table"]


PLUGIN = "reward_tiers"
CLAUSE = "三(二)"
_P = "reward_tiers."

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

# What each rule rewards, for explanations.
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
def decide_standard(level: str, rank: int, revision: bool) -> Decision:
    """R1–R6 and the readings under them, for one standard-drafting activity."""
    # Group standards other than the three Zhejiang brands, and enterprise
    # standards, are not named in 三(二).
    if level == "group":
        return Decision("R0", zero=Text(
            f":{CLAUSE}不奖励团体标准(团体标准中仅奖励“浙江制造”“浙江服务”“浙江农产”标准)。",
            f": {CLAUSE} rewards no group standard (of group standards, only the three Zhejiang brands).",
        ), reason="level")
    if level == "enterprise":
        return Decision("R0", zero=Text(
            f":{CLAUSE}不奖励企业标准。", f": {CLAUSE} rewards no enterprise standard.",
        ), reason="level")
    if rank == 1:
        rule, param = LEAD[level]
        # 牵头制定(排名第一位,不含修订)
        if revision:
            return Decision(rule, zero=Text(
                f":{CLAUSE}{rule}只奖励牵头制定的新标准(“不含修订”),修订不予奖励。",
                f": {rule} of {CLAUSE} rewards leading drafters of new standards only (revisions excluded, “不含修订”).",
            ), reason="revision")
        return Decision(rule, param)
    if rank in PARTICIPATE_RANKS:
        # 参与制定(排名第二位至第四位)并完成国际标准、国家标准
        if level not in PARTICIPATE:
            return Decision("R0", zero=Text(
                ":参与制定(排名第二至第四)只奖励国际标准和国家标准。",
                ": taking part (rank 2–4) is rewarded for international and national standards only.",
            ), reason="participation_level")
        return Decision(*PARTICIPATE[level])
    return Decision("R0", zero=Text(
        f":{CLAUSE}只奖励排名第一(牵头)和第二至第四(参与)的起草单位,排名第{rank}不予奖励。",
        f": {CLAUSE} rewards drafters ranked 1st (lead) and 2nd–4th (participation) only; rank {rank} gets nothing.",
    ), reason="rank")


@lru_cache(maxsize=None)
def decide_secretariat(committee_level: str) -> Decision:
    """R7–R9."""
    return Decision(*SECRETARIAT[committee_level])


@lru_cache(maxsize=None)
def decide_award(award: str) -> Decision:
    """R10–R11."""
    return Decision(*AWARD[award])


@lru_cache(maxsize=None)
def decide_pilot(pilot_level: str, accepted: bool) -> Decision:
    """R12–R13: only a pilot that passed acceptance (通过…验收) is rewarded."""
    rule, param = PILOT[pilot_level]
    if not accepted:
        return Decision(rule, zero=Text(
            f":尚未通过验收,{CLAUSE}{rule}只奖励通过验收的试点项目。",
            f": has not passed acceptance (验收); {rule} of {CLAUSE} rewards accepted pilots only.",
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
        self._first: dict[str, str | None] = {}
        self._early: dict[tuple[str, str, date], tuple[str, str]] = {}

    def version(self, value: ParamValue) -> Text:
        text = self._versions.get(value)
        if text is None:
            since = value.effective_from.isoformat()
            if value.origin == "what-if":
                text = Text(f"参数 {value.key} 拟议值(未登记),自{since}起", f"parameter {value.key}, proposed value (not recorded) from {since}")
            elif value.version_id is None:
                text = Text(f"参数 {value.key} 内置值,自{since}起施行", f"parameter {value.key}, shipped value in force from {since}")
            else:
                # The version's number within its key, as every page and command shows it.
                text = Text(f"参数 {value.key} 第{value.sequence}版,自{since}起施行",
                            f"parameter {value.key} version {value.sequence}, in force from {since}")
            self._versions[value] = text
        return text

    def paid(self, rule: str, value: ParamValue) -> tuple[str, str]:
        """``: rule R2 of 三(二) (…) grants ¥300,000 (parameter … version #3 …).``"""
        # Keyed by identity: the resolver hands out one ParamValue per version
        # and keeps it (so the id stays valid), and hashing a five-field tuple
        # per activity costs more.
        tail = self._tails.get((rule, id(value)))
        if tail is None:
            version, tier, amount = self.version(value), TIER_NAMES[rule], value.value
            tail = self._tails[rule, id(value)] = (
                f":适用{CLAUSE}{rule}({tier.zh}),奖励{format_yuan_zh(amount)}({version.zh})。",
                f": rule {rule} of {CLAUSE} ({tier.en}) grants {format_yuan_en(amount)} ({version.en}).",
            )
        return tail

    def not_in_force(self, rule: str, key: str, activity: Activity) -> tuple[str, str]:
        """``: dated …, before the first version of KEY takes effect …`` (cached per rule, key and day)."""
        cached = self._early.get((rule, key, activity.date))
        if cached is None:
            cached = self._early[rule, key, activity.date] = self._not_in_force(rule, key, activity.date)
        return cached

    def _not_in_force(self, rule: str, key: str, on: date) -> tuple[str, str]:
        if key not in self._first:
            first = min((v.effective_from for v in self.context.parameters.history(key)), default=None)
            self._first[key] = first.isoformat() if first else None
        first, day = self._first[key], on.isoformat()
        if first is None:
            return (f":参数 {key} 没有任何版本,{CLAUSE}{rule}不予奖励。",
                    f": parameter {key} has no version at all, so {rule} of {CLAUSE} grants nothing.")
        return (
            f":日期{day}早于参数 {key} 的首个版本生效日({first}),没有覆盖该日期的政策版本,不予奖励(本意见自2022年8月1日起施行)。",
            f": dated {day}, before the first version of {key} takes effect ({first}); "
            f"no policy version covers that date, so {rule} of {CLAUSE} grants nothing.",
        )


def _duplicate(prior: PriorPayment | tuple[Activity, int], what: Text) -> tuple[tuple[str, str], dict[str, Any]]:
    """The reason of a repeat: which earlier activity was paid (stored or in this batch alike)."""
    if isinstance(prior, PriorPayment):
        ref, activity_id, day, amount = prior.activity_ref, prior.activity_id, prior.date, prior.amount
    else:
        activity, amount = prior
        ref, activity_id, day = activity.ref, activity.stored_id, activity.date
    tail = (
        f":同一单位的{what.zh}只奖励一次,已随活动 {ref}({day.isoformat()})发放{format_yuan_zh(amount)},本条不再奖励。",
        f": one reward per organisation and {what.en}; {format_yuan_en(amount)} was already paid with activity {ref} ({day.isoformat()}).",
    )
    return tail, {"reason": "duplicate", "paid_with": {"activity": ref, "activity_id": activity_id, "date": day.isoformat(), "amount": amount}}


# ---------------------------------------------------------------------------
# The four kinds
# ---------------------------------------------------------------------------

class _Kind(ABC):
    """How one activity kind is decided, named, and paid once.

    ``prepare`` returns, for one activity, its decision, its subject in both
    languages (what the explanation starts with), and its one-time key (the
    same organisation and standard, committee or project is paid once; only
    asked for when a reward may be due).
    """

    #: What "the same" means for the one-time rule, in explanations.
    what: Text

    @abstractmethod
    def prepare(self, activity: Activity) -> tuple[Decision, tuple[str, str], str | None]:
        """(decision, (subject zh, subject en), one-time key or None) of one activity."""

    def pay(self, activity: Activity, decision: Decision, value: ParamValue,
            words: _Words) -> tuple[int, tuple[str, str], dict[str, Any] | None]:
        return value.value, words.paid(decision.rule, value), None


class _StandardDrafting(_Kind):
    what = Text("标准", "standard")

    def __init__(self) -> None:
        # (level, rank, revision, level_basis) → decision and the subject's templates (%s: the number)
        self._cache: dict[tuple[Any, ...], tuple[Decision, str, str]] = {}

    def prepare(self, activity: Activity) -> tuple[Decision, tuple[str, str], str | None]:
        fields = activity.fields
        signature = (fields["level"], fields["rank"], fields["revision"], fields.get("level_basis"))
        cached = self._cache.get(signature)
        if cached is None:
            cached = self._cache[signature] = self._describe(*signature)
        decision, zh, en = cached
        code = fields["standard_code"]
        key = f"standard:{activity.credit_code}:{code}" if decision.param else None
        return decision, (zh % code, en % code), key

    @staticmethod
    def _describe(level: str, rank: int, revision: bool, basis: str | None) -> tuple[Decision, str, str]:
        name = LEVEL_NAMES[level]
        rev = ("修订", "a revision") if revision else ("非修订", "not a revision")
        declared = (",级别按申报", ", level as declared") if basis == "declared" else ("", "")
        return (
            decide_standard(level, rank, revision),
            f"{name.zh} %s(排名第{rank},{rev[0]}{declared[0]})",
            f"{name.en} %s (rank {rank}, {rev[1]}{declared[1]})",
        )


class _TcSecretariat(_Kind):
    what = Text("技术委员会秘书处", "committee secretariat")

    def prepare(self, activity: Activity) -> tuple[Decision, tuple[str, str], str | None]:
        fields = activity.fields
        level, code = COMMITTEE_LEVEL_NAMES[fields["committee_level"]], fields["committee_code"]
        # 一次性: the same organisation and committee is subsidised once.
        return (decide_secretariat(fields["committee_level"]),
                (f"承担{level.zh}技术委员会 {code} 秘书处", f"secretariat of the {level.en} committee {code}"),
                f"committee:{activity.credit_code}:{code}")


class _InnovationAward(_Kind):
    # Without a project name, two prizes of the same class in the same year
    # for one organisation are taken to be one report made twice: paid once.
    what = Text("获奖项目(未填项目时为同年度同一奖项)", "award (the same project; without one, the same prize in the same year)")

    def prepare(self, activity: Activity) -> tuple[Decision, tuple[str, str], str | None]:
        fields = activity.fields
        award, project = AWARD_NAMES[fields["award"]], fields.get("project")
        return (decide_award(fields["award"]),
                (f"中国标准创新贡献奖{award.zh}" + (f"({project})" if project else ""),
                 f"China Standard Innovation Contribution Award, {award.en}" + (f" ({project})" if project else "")),
                f"award:{activity.credit_code}:{project}" if project
                else f"award:{activity.credit_code}:{fields['award']}:{activity.date.year}")


class _PilotProject(_Kind):
    what = Text("试点项目(未填项目时为同年度同级试点)", "pilot (the same project; without one, the same level in the same year)")

    def prepare(self, activity: Activity) -> tuple[Decision, tuple[str, str], str | None]:
        fields = activity.fields
        level, project = PILOT_LEVEL_NAMES[fields["pilot_level"]], fields.get("project")
        return (decide_pilot(fields["pilot_level"], fields["accepted"]),
                (f"{level.zh}标准化试点项目" + (f"“{project}”" if project else ""),
                 f"{level.en} standardisation pilot" + (f" “{project}”" if project else "")),
                f"pilot:{activity.credit_code}:{project}" if project
                else f"pilot:{activity.credit_code}:{fields['pilot_level']}:{activity.date.year}")

    def pay(self, activity: Activity, decision: Decision, cap: ParamValue,
            words: _Words) -> tuple[int, tuple[str, str], dict[str, Any] | None]:
        granted = activity.fields.get("granted_amount")
        zh, en = words.paid(decision.rule, cap)
        if granted is None:
            # 最高: the grant is decided on assessment; until then the cap is the figure.
            return cap.value, (
                zh + "该金额为上限(“最高”),实际金额以评审核定为准。",
                en + " This is the upper bound (“最高”): the amount actually granted is decided on assessment.",
            ), {"upper_bound": True}
        if granted > cap.value:
            # Validation refuses this; a cap lowered after validation still binds.
            return cap.value, (
                zh + f"核定金额{format_yuan_zh(granted)}超过上限,按上限发放。",
                en + f" The granted {format_yuan_en(granted)} exceeds the cap; the cap is paid.",
            ), {"capped_from": granted}
        tier, version = TIER_NAMES[decision.rule], words.version(cap)
        return granted, (
            f":适用{CLAUSE}{decision.rule}({tier.zh}),核定奖励{format_yuan_zh(granted)},"
            f"未超过上限{format_yuan_zh(cap.value)}({version.zh})。",
            f": rule {decision.rule} of {CLAUSE} ({tier.en}): granted {format_yuan_en(granted)}, "
            f"within the cap of {format_yuan_en(cap.value)} ({version.en}).",
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
    prepared = [kind.prepare(activity) for activity in ordered]
    stored: dict[str, PriorPayment] = {}
    if not isinstance(context.history, EmptyHistory):  # nothing stored: no keys to look up
        keys = {p[2] for p in prepared}
        keys.discard(None)
        if keys:
            stored = dict(context.history.paid(PLUGIN, keys))
    in_batch: dict[str, tuple[Activity, int]] = {}
    value_of = context.parameters.value
    in_force: dict[tuple[str, date], ParamValue | None] = {}  # (key, day) → value: a dict lookup beats the call
    # Most kinds pay the parameter's value; only those that override pay() need the call.
    pay = kind.pay if type(kind).pay is not _Kind.pay else None
    paid = words.paid
    out: list[Outcome] = []
    append = out.append
    # Outcome's optional arguments by position (parameters, dedup_key, details, subject): see core/outcomes.py.
    for activity, (decision, subject, key) in zip(ordered, prepared):
        if decision.param is None:
            append(Outcome(activity, decision.rule, 0, CLAUSE, decision.zero, (), None, decision.details, subject))
            continue
        try:
            value = in_force[decision.param, activity.date]
        except KeyError:
            value = in_force[decision.param, activity.date] = value_of(decision.param, activity.date)
        if value is None:
            append(Outcome(activity, decision.rule, 0, CLAUSE, words.not_in_force(decision.rule, decision.param, activity),
                           (), key, _NOT_IN_FORCE, subject))
            continue
        prior = (stored.get(key) or in_batch.get(key)) if key is not None else None
        if prior is not None:
            tail, details = _duplicate(prior, kind.what)
            append(Outcome(activity, decision.rule, 0, CLAUSE, tail, (value,), key, details, subject))
            continue
        if pay is None:
            amount, tail, details = value.value, paid(decision.rule, value), None
        else:
            amount, tail, details = pay(activity, decision, value, words)
        append(Outcome(activity, decision.rule, amount, CLAUSE, tail, (value,), key, details, subject))
        if amount and key is not None:
            in_batch.setdefault(key, (activity, amount))
    return out


_NOT_IN_FORCE = {"reason": "not_in_force"}


def evaluate(batch: Batch, context: EvaluationContext) -> list[Outcome]:
    """Every outcome of 三(二) for the batch."""
    words = _Words(context)
    out: list[Outcome] = []
    for name, kind in KINDS.items():
        activities = batch.of_kind(name)
        if activities:
            out.extend(_evaluate_kind(kind(), activities, context, words))
    return out
