"""The rules of 对标达标 and 企业标准“领跑者”, each next to the text it implements.

Statuses, not money: no clause of the document attaches an amount to a
benchmarking result, an adoption or a place on the forerunner list, so every
outcome here is 0 yuan with a status (达标 / 未达标 / 跟踪登记 …).

Rule ids:

====  ==========================================================  ==============
E1    enrolled in a year's campaign                                tracking
B1    every core indicator meets the benchmark (达标)               compliant
B0    a core indicator misses it or has no value (未达标)            non_compliant
A1    adoption of an international or foreign standard (IDT, MOD)  tracking
A2    a Chinese standard not equivalent (NEQ) to one: not adoption tracking
F1    on the forerunner list (领跑者)                                compliant
F2    qualifies and ranked, outside the list                        tracking
F3    qualifies, ranked; no number of forerunners in force          tracking
F4    cannot be ranked (scores and tiers mixed in the group)        held
F0    does not qualify (not self-declared, or below the national    non_compliant
      or industry standard), with the reason
X0    dated before 2022年8月1日: not covered by the document         not_covered
====  ==========================================================  ==============
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from core import Activity, Batch, EvaluationContext, Outcome, ParamValue, Text, date_en, date_zh

from .indicators import IndicatorCheck, check_indicators, decimal, number, required_decimal
from .schemas import CAMPAIGNS, DEGREES
from .standards import SCOPE_NAMES, parse_benchmark_standard

__all__ = ["CLAUSES", "DOCUMENT", "IN_FORCE", "QUOTAS", "TOP_N", "evaluate", "rank", "rule_legend"]

#: The document every outcome cites (its name as published).
DOCUMENT = "《中共嘉兴市委 嘉兴市人民政府关于加快推进标准强市建设的实施意见》"
DOCUMENT_EN = ("the Implementation Opinions of the CPC Jiaxing Municipal Committee and the Jiaxing Municipal "
               "People's Government on Accelerating the Building of a Strong Standards City")

# 本意见自2022年8月1日起施行 (the document's last paragraph)
IN_FORCE = date(2022, 8, 1)

#: The reference table of forerunner numbers per product category, and the city-wide parameter.
QUOTAS = "benchmarking.forerunner_quotas"
TOP_N = "benchmarking.forerunner.top_n"

#: Clause → (its designation as the document numbers it, the passage the rules implement).
CLAUSES: dict[str, tuple[Text, Text]] = {
    # 二(六)1 …持续开展重点领域对标达标行动,合理采用国际标准和国外先进标准。
    "二(六)1": (Text("第二部分第(六)项第1目", "part II, item (6), point 1"),
                Text("持续开展重点领域对标达标行动,合理采用国际标准和国外先进标准",
                     "keep running benchmarking campaigns in key fields; adopt international and advanced foreign "
                     "standards where reasonable")),
    # 二(七)1 …深入推进企业标准“领跑者”制度,推动第三方评价机构发布领跑榜单。
    "二(七)1": (Text("第二部分第(七)项第1目", "part II, item (7), point 1"),
                Text("深入推进企业标准‘领跑者’制度,推动第三方评价机构发布领跑榜单",
                     "advance the enterprise-standard forerunner scheme; have third-party evaluators publish the lists")),
    # 二(七)2 …完善对标达标工作机制,瞄准国际先进标准,提升企业执行标准能力。
    "二(七)2": (Text("第二部分第(七)项第2目", "part II, item (7), point 2"),
                Text("完善对标达标工作机制,瞄准国际先进标准,提升企业执行标准能力",
                     "improve the benchmarking mechanism, aim at advanced international standards")),
}

RULES: dict[str, Text] = {
    "E1": Text("参加对标达标专项行动,登记跟踪", "enrolled in a benchmarking campaign (tracked)"),
    "B1": Text("全部核心指标达到对标标准:达标", "every core indicator meets the benchmark: compliant"),
    "B0": Text("有核心指标未达到对标标准或无实测值:未达标", "a core indicator misses the benchmark or has no value: non-compliant"),
    "A1": Text("等同或修改采用国际标准、国外先进标准,登记计数", "identical or modified adoption (counted)"),
    "A2": Text("与国际标准、国外先进标准非等效,不计为采用", "not equivalent (NEQ): not counted as adoption"),
    "F1": Text("列入企业标准“领跑者”榜单", "on the enterprise-standard forerunner list"),
    "F2": Text("符合条件并参与排名,未进入榜单名额", "qualifies and ranked, outside the list"),
    "F3": Text("符合条件并参与排名,榜单名额尚未设定", "qualifies and ranked; no number of forerunners in force"),
    "F4": Text("同组评价结果既有得分又有等级,无法排名,待审核", "scores and tiers mixed in the group: held for review"),
    "F0": Text("不符合“领跑者”条件(说明写明原因)", "does not qualify as a forerunner (the reason is given)"),
    "X0": Text("早于2022年8月1日,不适用本意见", "before 1 August 2022: not covered by the document"),
}


def rule_legend() -> tuple[tuple[str, Text], ...]:
    return tuple(RULES.items())




def _cite(clause: str) -> Text:
    where, passage = CLAUSES[clause]
    return Text(f"依据{DOCUMENT}{where.zh}“{passage.zh}”,", f"Under {where.en} of {DOCUMENT_EN} (“{passage.en}”): ")


def _join(parts: Sequence[Text], zh: str = ";", en: str = "; ") -> Text:
    return Text(zh.join(p.zh for p in parts), en.join(p.en for p in parts))


def _not_covered(activity: Activity, clause: str) -> Outcome:
    return Outcome.make(
        activity, rule="X0", clause=clause, status="not_covered",
        explanation=Text(
            f"该记录日期为{date_zh(activity.date)},早于{DOCUMENT}施行之日(2022年8月1日),不适用本意见。",
            f"The record is dated {date_en(activity.date)}, before {DOCUMENT_EN} came into force "
            "(2022-08-01): the document does not cover it.",
        ),
        details={"reason": "before_in_force"},
    )


@dataclass(frozen=True)
class CampaignRead:
    """What the campaign table in force says about a record's campaign."""

    note: Text
    found: bool
    snapshot: Any = None


def _campaign(activity: Activity, context: EvaluationContext) -> CampaignRead | None:
    year, field = activity.fields.get("campaign_year"), activity.fields.get("campaign_field")
    if year is None or field is None:
        return None
    snapshot = context.reference(CAMPAIGNS, activity.date)
    name = Text(f"{year}年{field}领域对标达标专项行动", f"the {year} {field} benchmarking campaign")
    if snapshot is None:
        return CampaignRead(Text(f"所属{name.zh}:专项行动清单在{date_zh(activity.date)}无施行版本,未能核对。",
                                 f"Campaign: {name.en}; no campaign list in force on {date_en(activity.date)}, "
                                 "so it could not be checked."), False)
    row = snapshot.get(year, field)
    sample = Text("(示例数据)", " (sample data)") if getattr(snapshot, "sample", False) else Text("", "")
    if row is None:  # validation refuses it; kept for records validated before the version was recorded
        return CampaignRead(Text(f"所属{name.zh}不在{date_zh(activity.date)}施行的专项行动清单{sample.zh}中。",
                                 f"Campaign: {name.en} is not on the campaign list in force{sample.en}."), False, snapshot)
    return CampaignRead(Text(f"所属{name.zh}(专项行动清单第{snapshot.version.sequence}版{sample.zh})。",
                             f"Campaign: {name.en} (campaign list version {snapshot.version.sequence}{sample.en})."),
                        True, snapshot)


# ---------------------------------------------------------------------------
# 二(六)1 持续开展重点领域对标达标行动 — campaigns and their enrolments
# ---------------------------------------------------------------------------

def enrolment(activity: Activity, context: EvaluationContext) -> Outcome:
    clause = "二(六)1"
    if activity.date < IN_FORCE:
        return _not_covered(activity, clause)
    read = _campaign(activity, context)
    assert read is not None  # the kind requires its campaign
    products = activity.fields.get("products") or []
    listed = Text(f"拟对标产品{len(products)}项(" + "、".join(products) + ")。" if products else "未列明拟对标产品。",
                  f"{len(products)} product(s) to benchmark ({', '.join(products)})." if products
                  else "No products listed yet.")
    cite = _cite(clause)
    return Outcome.make(
        activity, rule="E1", clause=clause, status="tracking",
        explanation=Text(f"{cite.zh}该单位参加对标达标专项行动,登记跟踪。{read.note.zh}{listed.zh}",
                         f"{cite.en}the organisation takes part in a benchmarking campaign (tracked). "
                         f"{read.note.en} {listed.en}"),
        details={"campaign": [activity.fields["campaign_year"], activity.fields["campaign_field"]],
                 "campaign_listed": read.found},
        **_refs(read.snapshot),
    )


# ---------------------------------------------------------------------------
# 二(六)1 对标达标 and 二(七)2 瞄准国际先进标准 — benchmarking results
# ---------------------------------------------------------------------------

def result(activity: Activity, context: EvaluationContext) -> Outcome:
    clause = "二(六)1"
    if activity.date < IN_FORCE:
        return _not_covered(activity, clause)
    f = activity.fields
    standard = parse_benchmark_standard(f["benchmark_standard"])
    checks = check_indicators(f["indicators"])
    core = [c for c in checks if c.core]
    failing = [c for c in core if c.meets is not True]
    read = _campaign(activity, context)
    report_date = date.fromisoformat(f["test_report_date"])
    report = Text(f"检测报告{f['test_report']}({date_zh(report_date)})",
                  f"test report {f['test_report']} of {date_en(report_date)}")
    subject = Text(
        f"产品“{f['product']}”({f['product_category']})对标{SCOPE_NAMES[standard.scope].zh}"
        f"{standard.code}({standard.body_name.zh}),依据{report.zh}。",
        f"Product {f['product']!r} ({f['product_category']}) benchmarked against the "
        f"{SCOPE_NAMES[standard.scope].en} {standard.code} ({standard.body_name.en}), per {report.en}. ",
    )
    lines = _join([c.describe() for c in checks])
    cite = _cite(clause)
    if failing:
        named = _join([_shortfall(c) for c in failing], "、", ", ")
        verdict = Text(f"{cite.zh}核心指标{named.zh}未达到对标要求,认定为未达标。",
                       f"{cite.en}core indicator(s) {named.en} miss the benchmark: non-compliant.")
        rule, status = "B0", "non_compliant"
    else:
        verdict = Text(f"{cite.zh}全部{len(core)}项核心指标均达到对标要求,认定为达标。",
                       f"{cite.en}all {len(core)} core indicator(s) meet the benchmark: compliant.")
        rule, status = "B1", "compliant"
    note = read.note if read is not None else Text("", "")
    return Outcome.make(
        activity, rule=rule, clause=clause, status=status, subject=subject,
        explanation=Text(f"{verdict.zh}逐项:{lines.zh}。{note.zh}", f"{verdict.en} Indicators: {lines.en}. {note.en}".rstrip()),
        details={
            "scope": standard.scope, "body": standard.body,
            "failing": [{"name": c.name, "gap": None if c.gap is None else number(c.gap), "missing": c.meets is None}
                        for c in failing],
            "core_indicators": len(core),
        },
        **_refs(read.snapshot if read is not None else None),
    )


def _shortfall(check: IndicatorCheck) -> Text:
    if check.meets is None:
        return Text(f"“{check.name}”(无实测值)", f"{check.name!r} (no value)")
    unit = f" {check.unit}" if check.unit else ""
    gap = number(check.gap) if check.gap is not None else "—"
    return Text(f"“{check.name}”(相差{gap}{unit})", f"{check.name!r} (by {gap}{unit})")


# ---------------------------------------------------------------------------
# 二(六)1 合理采用国际标准和国外先进标准 — adoptions
# ---------------------------------------------------------------------------

def adoption(activity: Activity) -> Outcome:
    clause = "二(六)1"
    if activity.date < IN_FORCE:
        return _not_covered(activity, clause)
    f = activity.fields
    adopted = parse_benchmark_standard(f["adopted_standard"])
    degree = DEGREES[f["degree"]]
    cite = _cite(clause)
    subject = Text(f"我国标准{f['chinese_standard']}与{SCOPE_NAMES[adopted.scope].zh}{adopted.code}的一致性程度为{degree.zh}。",
                   f"Chinese standard {f['chinese_standard']} corresponds to the {SCOPE_NAMES[adopted.scope].en} "
                   f"{adopted.code}: {degree.en}. ")
    if f["degree"] == "NEQ":
        return Outcome.make(
            activity, rule="A2", clause=clause, status="tracking", subject=subject,
            explanation=Text(f"{cite.zh}非等效只表明对应关系,不属于采用(《采用国际标准管理办法》第十二条:"
                             "采用程度分为等同采用和修改采用),登记跟踪,不计入采用数。",
                             f"{cite.en}“not equivalent” only records a correspondence; it is not adoption (the Measures "
                             "for the Administration of Adopting International Standards, art. 12: adoption is identical "
                             "or modified). Tracked, not counted as an adoption."),
            details={"degree": "NEQ", "scope": adopted.scope, "body": adopted.body, "counted": False},
        )
    return Outcome.make(
        activity, rule="A1", clause=clause, status="tracking", subject=subject,
        explanation=Text(f"{cite.zh}属于采用{SCOPE_NAMES[adopted.scope].zh},登记并计入采用数。",
                         f"{cite.en}an adoption of an {SCOPE_NAMES[adopted.scope].en}: tracked and counted."),
        details={"degree": f["degree"], "scope": adopted.scope, "body": adopted.body, "counted": True},
    )


# ---------------------------------------------------------------------------
# 二(七)1 企业标准“领跑者” — qualification, ranking, the list
# ---------------------------------------------------------------------------

@dataclass
class Entry:
    """A forerunner evaluation as ranked: why it does not qualify, or its place."""

    activity: Activity
    checks: list[IndicatorCheck]
    failures: list[Text]
    place: int | None = None


def qualify(activity: Activity) -> Entry:
    """An enterprise qualifies only with a self-declared standard whose core indicators are not below the baseline."""
    f = activity.fields
    checks = check_indicators(f["indicators"])
    failures: list[Text] = []
    if not f["self_declared"]:
        failures.append(Text(f"{f['enterprise_standard']}未在企业标准信息公共服务平台自我声明公开",
                             f"{f['enterprise_standard']} is not self-declared on the public platform"))
    for check in checks:
        if check.core and check.meets is not True:
            if check.meets is None:
                failures.append(Text(f"核心指标“{check.name}”无数值", f"core indicator {check.name!r} has no value"))
            elif check.value is not None and check.gap is not None:
                unit = f" {check.unit}" if check.unit else ""
                failures.append(Text(
                    f"核心指标“{check.name}”为{number(check.value)}{unit},低于{f['baseline_standard']}的要求"
                    f"{check.required.zh}(相差{number(check.gap)}{unit})",
                    f"core indicator {check.name!r} is {number(check.value)}{unit}, below "
                    f"{f['baseline_standard']}'s {check.required.en} (by {number(check.gap)}{unit})"))
    return Entry(activity, checks, failures)


def rank(entries: Sequence[Entry]) -> str | None:
    """Give qualifying entries their places (ties share a place: 1, 1, 3); say why they cannot be ranked, if so.

    By score (higher first) when every qualifying entry has a score, else by
    tier (1 first) when every one has a tier; mixed, ``"mixed"``.
    """
    ranked = [e for e in entries if not e.failures]
    if not ranked:
        return None
    if all(e.activity.fields.get("score") is not None for e in ranked):
        def key(e: Entry) -> Any:
            return -required_decimal(e.activity.fields["score"])
    elif all(e.activity.fields.get("tier") is not None for e in ranked):
        def key(e: Entry) -> Any:
            return e.activity.fields["tier"]
    else:
        return "mixed"
    ordered = sorted(ranked, key=key)
    for n, entry in enumerate(ordered):
        entry.place = n + 1 if n == 0 or key(ordered[n - 1]) != key(entry) else ordered[n - 1].place
    return None


def _quota(category: str, on: date, context: EvaluationContext) -> tuple[int | None, Text, Any, ParamValue | None]:
    """How many forerunners the category's list holds: the category's own number, else the city-wide one."""
    snapshot = context.reference(QUOTAS, on)
    row = snapshot.get(category) if snapshot is not None else None
    sample = Text("(示例数据)", " (sample data)") if snapshot is not None and getattr(snapshot, "sample", False) else Text("", "")
    if snapshot is not None and row is not None and row.get("top_n") is not None:
        n = row["top_n"]
        return n, Text(f"该类别榜单名额为{n}名(领跑者名额表第{snapshot.version.sequence}版{sample.zh})",
                       f"this category's list holds {n} (forerunner quota table version {snapshot.version.sequence}{sample.en})"), snapshot, None
    city = context.parameters.value(TOP_N, on=on)
    if city is not None:
        return city.value, Text(f"榜单名额按全市统一名额{city.value}名", f"the list holds the city-wide number, {city.value}"), snapshot, city
    return None, Text("", ""), snapshot, None


def forerunners(activities: Sequence[Activity], context: EvaluationContext) -> list[Outcome]:
    clause = "二(七)1"
    out: list[Outcome] = []
    groups: dict[tuple[int, str], list[Entry]] = defaultdict(list)
    for activity in activities:
        if activity.date < IN_FORCE:
            out.append(_not_covered(activity, clause))
        else:
            groups[(activity.fields["year"], activity.fields["product_category"])].append(qualify(activity))
    cite = _cite(clause)
    for (year, category), entries in groups.items():
        problem = rank(entries)
        qualifying = [e for e in entries if not e.failures]
        on = max(e.activity.date for e in entries)
        n, quota_text, snapshot, city = _quota(category, on, context)
        refs = _refs(snapshot)
        params = (city,) if city is not None else ()
        group = Text(f"{year}年度“{category}”类别", f"{year}, category {category!r}")
        for entry in entries:
            f = entry.activity.fields
            subject = Text(f"{group.zh}第三方评价({f['evaluator']}),执行标准{f['enterprise_standard']},"
                           f"对比{f['baseline_standard']}。",
                           f"{group.en}: third-party evaluation by {f['evaluator']} of {f['enterprise_standard']}, "
                           f"compared with {f['baseline_standard']}. ")
            details: dict[str, Any] = {"year": year, "category": category, "qualifying": len(qualifying)}
            if entry.failures:
                reasons = _join(entry.failures)
                out.append(Outcome.make(
                    entry.activity, rule="F0", clause=clause, status="non_compliant", subject=subject,
                    explanation=Text(f"{cite.zh}企业标准须自我声明公开且核心指标不低于国家标准或行业标准,"
                                     f"方可参与“领跑者”排名。该单位{reasons.zh},不符合条件。",
                                     f"{cite.en}a forerunner needs a self-declared standard whose core indicators are not "
                                     f"below the national or industry standard. Here {reasons.en}: it does not qualify."),
                    details={**details, "reason": "not_self_declared" if not f["self_declared"] else "below_baseline",
                             "reasons": [r.en for r in entry.failures]},
                ))
                continue
            if problem == "mixed":
                out.append(Outcome.make(
                    entry.activity, rule="F4", clause=clause, status="held", subject=subject,
                    explanation=Text(f"{cite.zh}同一类别同一年度的评价结果中,有的给出得分,有的只给出等级,无法统一排名,"
                                     "请评价机构统一口径后重新评估。",
                                     f"{cite.en}some evaluations of this category and year give a score, others only a "
                                     "tier: they cannot be ranked together. Held until the evaluator gives one measure."),
                    details={**details, "reason": "mixed_measures"}, **refs,
                ))
                continue
            score = decimal(f.get("score"))
            measure = (Text(f"得分{number(score)}", f"score {number(score)}") if score is not None
                       else Text(f"等级{f['tier']}", f"tier {f['tier']}"))
            place = Text(f"{measure.zh},在{len(qualifying)}家符合条件的单位中排名第{entry.place}",
                         f"{measure.en}, ranked {entry.place} of {len(qualifying)} qualifying")
            details["place"] = entry.place
            if n is None:
                out.append(Outcome.make(
                    entry.activity, rule="F3", clause=clause, status="tracking", subject=subject, parameters=params,
                    explanation=Text(f"{cite.zh}该单位符合条件,{place.zh};该类别榜单名额和全市统一名额均未设定,"
                                     "暂不能确定是否列入榜单。",
                                     f"{cite.en}it qualifies, {place.en}; no number of forerunners is set for the category "
                                     "or city-wide, so the list cannot be drawn yet."),
                    details={**details, "reason": "no_quota"}, **refs,
                ))
            elif entry.place is not None and entry.place <= n:
                tie = [e for e in qualifying if e.place == entry.place]
                tied = Text(f"(与另外{len(tie) - 1}家并列)", f" (tied with {len(tie) - 1} other(s))") if len(tie) > 1 else Text("", "")
                out.append(Outcome.make(
                    entry.activity, rule="F1", clause=clause, status="compliant", subject=subject, parameters=params,
                    explanation=Text(f"{cite.zh}该单位符合条件,{place.zh}{tied.zh};{quota_text.zh},列入企业标准“领跑者”榜单。",
                                     f"{cite.en}it qualifies, {place.en}{tied.en}; {quota_text.en}: it is on the "
                                     "enterprise-standard forerunner list."),
                    details={**details, "top_n": n, "tied": len(tie)}, **refs,
                ))
            else:
                out.append(Outcome.make(
                    entry.activity, rule="F2", clause=clause, status="tracking", subject=subject, parameters=params,
                    explanation=Text(f"{cite.zh}该单位符合条件,{place.zh};{quota_text.zh},未进入榜单。",
                                     f"{cite.en}it qualifies, {place.en}; {quota_text.en}: outside the list."),
                    details={**details, "top_n": n}, **refs,
                ))
    return out


def _refs(snapshot: Any) -> dict[str, Any]:
    """``references=`` for ``Outcome.make`` when a reference table was read."""
    return {"references": (snapshot,)} if snapshot is not None else {}


def evaluate(batch: Batch, context: EvaluationContext) -> list[Outcome]:
    out: list[Outcome] = []
    for activity in batch.of_kind("campaign_enrolment"):
        out.append(enrolment(activity, context))
    for activity in batch.of_kind("benchmark_result"):
        out.append(result(activity, context))
    for activity in batch.of_kind("standard_adoption"):
        out.append(adoption(activity))
    out.extend(forerunners(batch.of_kind("forerunner_evaluation"), context))
    return out
