"""The rules of 二(三)1 the plugin runs: monitoring records against the list, pilots linked to items.

Each rule sits under the passage it implements. Outcomes are statuses, not
money (二(三)1 grants nothing): amount 0, status ``compliant``,
``non_compliant``, ``tracking`` or ``not_covered``, the explanation in the
style of an approval document, the list version read in the structured
fields (``references``) and the figures in ``details`` (what the pages count).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from core import Activity, Batch, EvaluationContext, Outcome, Text, date_en, date_zh

from .periods import parse_period
from .schemas import SERVICE_LIST
from .words import CLAUSE, CLAUSE_WORDS, DIRECTIONS, DOCUMENT, county_name

__all__ = [
    "KIND",
    "RULES",
    "evaluate",
    "evaluate_monitoring",
    "evaluate_pilot",
    "format_value",
    "meets",
    "rule_legend",
]

#: The plugin's own kind.
KIND = "service_monitoring"

RULES: dict[str, Text] = {
    "PS1": Text("监测指标达到服务清单标准值", "the monitored indicator meets the list's standard value"),
    "PS2": Text("监测指标低于服务清单标准值", "the monitored indicator is below the list's standard value"),
    "PS3": Text("该指标在服务清单中无量化标准值,跟踪登记", "no quantitative standard for the indicator: tracked"),
    "PS0": Text("无法对照服务清单核对", "cannot be checked against the service list"),
    "PP1": Text("基本公共服务标准化试点,跟踪登记", "basic public service standardisation pilot: tracked"),
    "PP0": Text("不属于基本公共服务标准化试点", "not a basic public service standardisation pilot"),
}


def rule_legend() -> tuple[tuple[str, Text], ...]:
    return tuple(RULES.items())


_BASIS = Text(
    f"依据{DOCUMENT.zh}{CLAUSE_WORDS.zh}“加强标准实施监测及动态管理,及时跟踪标准水平和实施进展”。",
    f"Under {CLAUSE_WORDS.en} ({CLAUSE}) of {DOCUMENT.en}: monitor how standards are implemented.",
)


def format_value(value: Decimal | str, unit: str) -> Text:
    """``92.5%`` / ``3 人`` style: the exact decimal as recorded, with its unit."""
    text = str(value)
    if unit in ("%", "‰"):
        return Text(f"{text}{unit}", f"{text}{unit}")
    return Text(f"{text}{unit}", f"{text} {unit}")


def meets(value: Decimal, standard: Decimal, direction: str) -> bool:
    """Whether ``value`` meets ``standard``: not lower (``higher``) or not higher (``lower``); equal meets."""
    return value >= standard if direction == "higher" else value <= standard


# 二(三)1 加强标准实施监测及动态管理,及时跟踪标准水平和实施进展。
def evaluate_monitoring(activity: Activity, context: EvaluationContext) -> Outcome:
    """One monitoring record against the service list in force on its period's last day."""
    f = activity.fields
    period = parse_period(f["period"])
    region = county_name(f["region"])
    value = Decimal(f["value"])
    details: dict[str, Any] = {"region": f["region"], "item_code": f["item_code"], "indicator": f["indicator"],
                               "period": period.code, "value": f["value"],
                               "aspect": f["item_code"].split(".", 1)[0]}
    snapshot = context.reference(SERVICE_LIST, period.end)
    row = snapshot.get(f["item_code"]) if snapshot is not None else None
    indicator = next((i for i in row["indicators"] if i["code"] == f["indicator"]), None) if row else None
    subject = Text(f"{region.zh}{period.label.zh}:", f"{region.en}, {period.label.en}: ")
    if snapshot is None or row is None or indicator is None:
        details["reason"] = "no_list" if snapshot is None else "not_in_list"
        why = (Text(f"{date_zh(period.end)}无有效的服务清单,无法核对。",
                    f"no service list is in force on {date_en(period.end)}; the record cannot be checked. ")
               if snapshot is None else
               Text(f"服务项目 {f['item_code']} 的指标 {f['indicator']} 已不在{date_zh(snapshot.version.effective_from)}"
                    "起施行的服务清单中,无法核对。",
                    f"item {f['item_code']}, indicator {f['indicator']} is no longer in the service list in force "
                    f"from {date_en(snapshot.version.effective_from)}; the record cannot be checked. "))
        return Outcome.make(activity, rule="PS0", clause=CLAUSE, status="not_covered", subject=subject,
                            explanation=Text(why.zh + _BASIS.zh, why.en + _BASIS.en), details=details,
                            references=(snapshot,) if snapshot is not None else ())
    sample = Text("(示例数据)", " (sample data)") if snapshot.sample else Text("", "")
    listed = Text(f"服务清单({date_zh(snapshot.version.effective_from)}起施行){sample.zh}",
                  f"the service list in force from {date_en(snapshot.version.effective_from)}{sample.en}")
    measured = format_value(f["value"], indicator["unit"])
    what = Text(f"服务项目“{row['name']}”指标“{indicator['name']}”实测值为{measured.zh},",
                f"{row['name']}, {indicator['name']}: measured {measured.en}; ")
    details.update(direction=indicator["direction"], unit=indicator["unit"], item_name=row["name"],
                   indicator_name=indicator["name"])
    if indicator.get("value") is None:
        text = Text(f"{what.zh}{listed.zh}对该指标未规定量化标准值,予以跟踪登记。",
                    f"{what.en}{listed.en} sets no quantitative value for it: tracked. ")
        return Outcome.make(activity, rule="PS3", clause=CLAUSE, status="tracking", subject=subject,
                            explanation=Text(text.zh + _BASIS.zh, text.en + _BASIS.en), details=details,
                            references=(snapshot,))
    standard = indicator["value"]
    details["standard_value"] = str(standard)
    bound = DIRECTIONS[indicator["direction"]]
    standard_text = format_value(standard, indicator["unit"])
    rule_text = Text(f"{listed.zh}规定的标准为{bound.zh.replace('标准值', '')}{standard_text.zh},",
                     f"{listed.en} requires {bound.en.replace('the standard value', standard_text.en)}; ")
    if meets(value, standard, indicator["direction"]):
        verdict = Text("达到标准。", "the standard is met. ")
        rule, status = "PS1", "compliant"
    else:
        verdict = Text("未达到标准,列入预警。", "below the standard: on the alert list. ")
        rule, status = "PS2", "non_compliant"
    return Outcome.make(
        activity, rule=rule, clause=CLAUSE, status=status, subject=subject,
        explanation=Text(what.zh + rule_text.zh + verdict.zh + _BASIS.zh,
                         what.en + rule_text.en + verdict.en + _BASIS.en),
        details=details, references=(snapshot,),
    )


# 二(三)1 深入开展基本公共服务标准化试点
def evaluate_pilot(activity: Activity, context: EvaluationContext) -> Outcome:
    """A pilot project: tracked as a basic public service pilot when it names the items it covers."""
    f = activity.fields
    items = f.get("service_items") or []
    project = f.get("project") or ""
    name = Text(f"试点项目“{project}”" if project else "试点项目", f"pilot {project!r}" if project else "a pilot")
    basis = Text(f"依据{DOCUMENT.zh}{CLAUSE_WORDS.zh}“深入开展基本公共服务标准化试点”。",
                 f"Under {CLAUSE_WORDS.en} ({CLAUSE}) of {DOCUMENT.en}: basic public service standardisation pilots.")
    if not items:
        return Outcome.make(activity, rule="PP0", clause=CLAUSE, status="not_covered", details={"reason": "no_items"},
                            explanation=Text(f"{name.zh}未登记所覆盖的基本公共服务项目,不属于基本公共服务标准化试点。",
                                             f"{name.en} names no basic public service item: not a basic public "
                                             "service standardisation pilot."))
    state = (Text("已通过验收", "has passed acceptance") if f.get("accepted")
             else Text("已立项,尚未通过验收", "is approved, not yet accepted"))
    snapshot = context.reference(SERVICE_LIST, activity.date)
    names = [(snapshot.get(code) or {}).get("name", code) if snapshot is not None else code for code in items]
    sample = (Text("(服务项目名称取自示例数据)", " (item names from sample data)")
              if snapshot is not None and snapshot.sample else Text("", ""))
    return Outcome.make(
        activity, rule="PP1", clause=CLAUSE, status="tracking",
        details={"reason": "accepted" if f.get("accepted") else "approved", "service_items": list(items)},
        explanation=Text(
            f"{name.zh}为基本公共服务标准化试点,覆盖服务项目“{'”“'.join(names)}”{sample.zh},{state.zh},予以跟踪登记。"
            f"{basis.zh}",
            f"{name.en} is a basic public service standardisation pilot covering {', '.join(names)}{sample.en}; it "
            f"{state.en}: tracked. {basis.en}"),
        references=(snapshot,) if snapshot is not None else (),
    )


def evaluate(batch: Batch, context: EvaluationContext) -> list[Outcome]:
    out = [evaluate_monitoring(activity, context) for activity in batch.of_kind(KIND)]
    out += [evaluate_pilot(activity, context) for activity in batch.of_kind("pilot_project")]
    return out
