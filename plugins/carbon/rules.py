"""The rules of 二(五)1, each beside the passage it implements, with its explanation.

二(五)1 推动碳达峰、碳中和标准实施应用。实施碳达峰、碳中和标准化提升工程,落实能耗限额、产品设备能效等
强制性标准要求,实施全国统一的碳排放核查核算标准,争取参与制定一批碳标签、碳足迹、碳捕获利用等关键标准,
推行低碳产品标准标识制度。

The decisions are in ``decisions.py`` (plain functions on plain data); this
module reads the reference versions and parameters in force, calls them and
words the outcome as an approval document would: the document, the clause
as the document numbers it, the edition and version compared, the values,
the conclusion. Keys and versions stay in the structured fields
(``details``, ``references``, ``parameters``). No amount unless a dated
parameter sets one.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from core import Activity, Batch, EvaluationContext, Outcome, ParamValue, Text, clause_words, date_en, date_zh

from .decisions import (
    GENERAL_SECTOR,
    decide_accounting,
    decide_certificate,
    decide_quota,
    match_carbon_standard,
    period_start,
)
from .labels import CLAUSE, CLAUSE_TEXT, DOCUMENT, PLANT_TYPES, POLICY_START, TOPICS
from .schemas import ACCOUNTING_TABLE, QUOTA_TABLE, STANDARDS_TABLE

__all__ = ["KINDS", "RULES", "evaluate"]

ENERGY_QUOTA = "energy_quota_report"
ACCOUNTING = "carbon_accounting_report"
CERTIFICATE = "low_carbon_certification"
KINDS = (ENERGY_QUOTA, ACCOUNTING, CERTIFICATE)

BONUS = {"led": "carbon.bonus.led", "participated": "carbon.bonus.participated"}
WARNING_DAYS = "carbon.expiry_warning_days"
#: Used when no version of the warning period is in force (before 2022-08-01).
DEFAULT_WARNING_DAYS = 90

#: Every rule id and what it means (the admin's legend).
RULES: tuple[tuple[str, Text], ...] = (
    ("Q1", Text("能耗限额达标(达到的等级)", "energy quota met (grade reached)")),
    ("Q2", Text("现有企业未达到能耗限额限定值,不达标,列入整改名单", "existing plant below the limit value: non-compliant, to rectify")),
    ("Q3", Text("新建或改扩建企业未达到准入值,不达标,列入整改名单", "new or expanded plant missing the access value: non-compliant, to rectify")),
    ("Q9", Text("无可对照的能耗限额参考数据,暂缓判定", "no quota reference data to check against: held")),
    ("S1", Text("牵头制定碳达峰碳中和相关标准(跟踪登记)", "led the drafting of a carbon standard (tracked)")),
    ("S2", Text("参与制定碳达峰碳中和相关标准(跟踪登记)", "took part in drafting a carbon standard (tracked)")),
    ("S0", Text("碳标准发布日期早于本意见施行日期,不作登记", "a carbon standard published before the Opinions took effect: not tracked")),
    ("A1", Text("碳排放核算符合全国统一标准且已核查", "carbon accounting consistent with the national standard and verified")),
    ("A2", Text("碳排放核算符合全国统一标准,尚未核查", "carbon accounting consistent with the national standard, not yet verified")),
    ("A3", Text("碳排放核算未采用本行业的全国统一标准", "carbon accounting not under the sector's national standard")),
    ("A9", Text("无可对照的行业核算标准参考数据,暂缓判定", "no sector accounting reference data: held")),
    ("L1", Text("低碳产品认证证书有效", "low-carbon product certificate valid")),
    ("L2", Text("低碳产品认证证书即将到期", "low-carbon product certificate expiring soon")),
    ("L3", Text("低碳产品认证证书已过期", "low-carbon product certificate expired")),
)

_CW = clause_words(CLAUSE)
_BASIS = Text(f"依据{DOCUMENT.zh}{_CW.zh}", f"Under {_CW.en} of {DOCUMENT.en}")


def _num(value: Decimal) -> str:
    """Exact digits as written: ``117``, ``0.1175`` (never exponent notation)."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _version_words(snapshot: Any, title: Text) -> Text:
    """``能耗限额标准参考数据第2版,自2022年11月1日起施行,示例数据``."""
    version = snapshot.version
    sample_zh, sample_en = (",示例数据", ", sample data") if snapshot.sample else ("", "")
    return Text(
        f"{title.zh}参考数据第{version.sequence}版,自{date_zh(version.effective_from)}起施行{sample_zh}",
        f"{title.en} reference data version {version.sequence}, in force from {date_en(version.effective_from)}{sample_en}",
    )


# ---------------------------------------------------------------------------
# 落实能耗限额……强制性标准要求
# ---------------------------------------------------------------------------

_QUOTA_TITLE = Text("能耗限额标准", "energy quota standards")


def _limits_words(grades: tuple[Decimal, ...], unit: str, direction: str) -> Text:
    sign = "≤" if direction == "lower" else "≥"
    zh = "、".join(f"{n}级{sign}{_num(g)}" for n, g in enumerate(grades, start=1))
    en = ", ".join(f"grade {n} {sign} {_num(g)}" for n, g in enumerate(grades, start=1))
    return Text(f"{zh} {unit}", f"{en} {unit}")


def _quota(activity: Activity, context: EvaluationContext) -> Outcome:
    f = activity.fields
    year, standard, product, indicator = f["reporting_year"], f["quota_standard"], f["product"], f["indicator"]
    plant = PLANT_TYPES[f["plant_type"]]
    value = Decimal(f["value"])
    subject = Text(
        f"{activity.organisation or activity.credit_code} {year}年度{product}“{indicator}”实测值{_num(value)} {f['unit']}({plant.zh})",
        f"{activity.organisation or activity.credit_code}, {year}, {product}, {indicator} measured at {_num(value)} {f['unit']} ({plant.en})",
    )
    on = period_start(year)
    snapshot = context.reference(QUOTA_TABLE, on)
    row = snapshot.get(standard, product) if snapshot is not None else None
    base_details: dict[str, Any] = {"reporting_year": year, "standard": standard, "product": product,
                                    "plant_type": f["plant_type"]}
    if row is None:
        why = (Text(f"{date_zh(on)}(报告年度起始日)无施行中的能耗限额标准参考数据",
                    f"no energy quota reference data was in force on {date_en(on)} (start of the reporting year)")
               if snapshot is None else
               Text(f"{_version_words(snapshot, _QUOTA_TITLE).zh}未收录 {standard} 对“{product}”的限额",
                    f"{_version_words(snapshot, _QUOTA_TITLE).en} lists no quota of {standard} for {product}"))
        return Outcome(activity, "Q9", 0, CLAUSE, Text(
            f":{_BASIS.zh}“落实能耗限额……强制性标准要求”,应对照 {standard} 核定;{why.zh},暂缓判定。"
            "请由主管部门登记该标准版本的限额后重新评估。",
            f": {_BASIS.en} (enforce the mandatory energy-quota standards), the value is to be checked against "
            f"{standard}; {why.en}, so the decision is held. Record the edition's limit values, then re-evaluate.",
        ), details={**base_details, "reason": "no_reference"}, subject=(subject.zh, subject.en), status="held",
            references=(snapshot,) if snapshot is not None else ())
    decision = decide_quota(row, indicator, value, f["unit"], f["plant_type"])
    version = _version_words(snapshot, _QUOTA_TITLE)
    details = {**base_details, "industry": row.get("industry"), "grade": decision.grade,
               "value": _num(decision.value) if decision.value is not None else None, "unit": decision.unit,
               "limit": _num(decision.limit) if decision.limit is not None else None,
               "access": _num(decision.access) if decision.access is not None else None}
    if decision.rule == "Q9":
        return Outcome(activity, "Q9", 0, CLAUSE, Text(
            f":{_BASIS.zh},{standard} 的“{indicator}”以 {decision.unit} 计,报送单位 {f['unit']} 无法换算,暂缓判定。",
            f": {_BASIS.en}; {standard} states {indicator} in {decision.unit}, to which {f['unit']} does not convert: held.",
        ), details={**details, "reason": "unit"}, subject=(subject.zh, subject.en), status="held", references=(snapshot,))
    assert decision.value is not None and decision.limit is not None
    unit = decision.unit
    converted = Text("", "")
    if decision.value != value or f["unit"] != unit:
        converted = Text(f"(折合{_num(decision.value)} {unit})", f" (= {_num(decision.value)} {unit})")
    compared = Text(
        f"对照 {standard}({version.zh}):{_limits_words(decision.grades, unit, decision.direction).zh},"
        f"限定值{_num(decision.limit)} {unit}"
        + (f",准入值{_num(decision.access)} {unit}" if decision.access is not None else ""),
        f"compared with {standard} ({version.en}): {_limits_words(decision.grades, unit, decision.direction).en}; "
        f"limit value {_num(decision.limit)} {unit}"
        + (f"; access value {_num(decision.access)} {unit}" if decision.access is not None else ""),
    )
    grade = (Text(f"达到{decision.grade}级", f"reaches grade {decision.grade}") if decision.grade
             else Text("未达到任何等级", "reaches no grade"))
    if decision.rule == "Q1":
        if f["plant_type"] == "new":
            held_to = (Text(f"该指标未登记准入值,按限定值核定;实测值{converted.zh}{grade.zh},达到限定值",
                            f"no access value is recorded for the indicator, so the limit value applies; the value{converted.en} {grade.en} and meets the limit value")
                       if decision.access_missing else
                       Text(f"实测值{converted.zh}{grade.zh},达到新建及改扩建企业准入值",
                            f"the value{converted.en} {grade.en} and meets the access value for new and expanded plants"))
        else:
            held_to = Text(f"实测值{converted.zh}{grade.zh},达到限定值", f"the value{converted.en} {grade.en} and meets the limit value")
        return Outcome(activity, "Q1", 0, CLAUSE, Text(
            f":{_BASIS.zh}“落实能耗限额……强制性标准要求”,{compared.zh};{held_to.zh},认定达标。",
            f": {_BASIS.en} (enforce the mandatory energy-quota standards), {compared.en}; {held_to.en}: compliant.",
        ), details=details, subject=(subject.zh, subject.en), status="compliant", references=(snapshot,))
    if decision.rule == "Q2":
        return Outcome(activity, "Q2", 0, CLAUSE, Text(
            f":{_BASIS.zh}“落实能耗限额……强制性标准要求”,{compared.zh};实测值{converted.zh}未达到限定值,认定不达标,"
            "列入整改名单。",
            f": {_BASIS.en} (enforce the mandatory energy-quota standards), {compared.en}; the value{converted.en} "
            "misses the limit value: non-compliant, placed on the rectification list.",
        ), details={**details, "reason": "limit"}, subject=(subject.zh, subject.en), status="non_compliant",
            references=(snapshot,))
    missed = (Text("该指标未登记准入值,按限定值核定,实测值未达到限定值",
                   "no access value is recorded for the indicator, so the limit value applies, and the value misses it")
              if decision.access_missing else
              Text(f"实测值{converted.zh}未达到新建及改扩建企业准入值", f"the value{converted.en} misses the access value for new and expanded plants"))
    return Outcome(activity, "Q3", 0, CLAUSE, Text(
        f":{_BASIS.zh}“落实能耗限额……强制性标准要求”,{compared.zh};{missed.zh},认定不达标,列入整改名单。",
        f": {_BASIS.en} (enforce the mandatory energy-quota standards), {compared.en}; {missed.en}: non-compliant, "
        "placed on the rectification list.",
    ), details={**details, "reason": "access"}, subject=(subject.zh, subject.en), status="non_compliant",
        references=(snapshot,))


# ---------------------------------------------------------------------------
# 争取参与制定一批碳标签、碳足迹、碳捕获利用等关键标准
# ---------------------------------------------------------------------------

_STANDARDS_TITLE = Text("碳标准清单", "carbon standards list")


def _drafting(activity: Activity, context: EvaluationContext) -> Outcome | None:
    """A carbon standard drafted: tracked (S1 led, S2 took part); ``None`` for any other standard."""
    f = activity.fields
    code, rank = f["standard_code"], f["rank"]
    topic, basis, references = f.get("carbon_topic"), "declared", ()
    if topic is None:
        # The list says which standards are carbon standards whatever their date: read on the policy's start at the earliest.
        snapshot = context.reference(STANDARDS_TABLE, max(activity.date, POLICY_START))
        row = match_carbon_standard(code, snapshot) if snapshot is not None else None
        references = (snapshot,) if snapshot is not None else ()
        if row is None:
            # Not a carbon standard: not this plugin's business (reward_tiers and others read it).
            return None
        topic, basis = row["topic"], "list"
    role = "led" if rank == 1 else "participated"
    subject = Text(f"{activity.organisation or activity.credit_code} 起草 {code}(排名第{rank})",
                   f"{activity.organisation or activity.credit_code} drafted {code} (rank {rank})")
    label = TOPICS[topic]
    details: dict[str, Any] = {"topic": topic, "role": role, "topic_basis": basis, "year": activity.date.year}
    if activity.date < POLICY_START:
        return Outcome(activity, "S0", 0, CLAUSE, Text(
            f":{label.zh}标准,发布日期{date_zh(activity.date)}早于{DOCUMENT.zh}施行日期2022年8月1日,不作登记。",
            f": a {label.en} standard published on {date_en(activity.date)}, before the Opinions took effect "
            "(2022-08-01): not tracked.",
        ), details={**details, "reason": "before_policy"}, subject=(subject.zh, subject.en), status="not_covered",
            references=references)
    bonus = context.parameters.value(BONUS[role], activity.date)
    amount = int(bonus.value) if bonus is not None else 0
    how = Text("按申报的碳主题" if basis == "declared" else "按碳标准清单认定",
               "by the topic the record declares" if basis == "declared" else "from the carbon standards list")
    verb = Text("牵头制定" if role == "led" else "参与制定", "led the drafting of" if role == "led" else "took part in drafting")
    money = (Text(f",按参数第{bonus.sequence}版给予奖励{amount:,}元" if bonus.sequence else f",按参数给予奖励{amount:,}元",
                  f"; a bonus of ¥{amount:,} is set by the parameter in force")
             if amount else Text(",该项不涉及资金", "; no money is attached"))
    rule = "S1" if role == "led" else "S2"
    return Outcome(activity, rule, amount, CLAUSE, Text(
        f":{_BASIS.zh}“争取参与制定一批碳标签、碳足迹、碳捕获利用等关键标准”,该标准{how.zh}属于{label.zh}标准,"
        f"{verb.zh}该标准,予以跟踪登记{money.zh}。",
        f": {_BASIS.en} (take part in drafting key carbon-label, carbon-footprint and carbon-capture standards), the "
        f"standard is a {label.en} standard ({how.en}); the organisation {verb.en} it: tracked{money.en}.",
    ), parameters=(bonus,) if bonus is not None else (), details=details, subject=(subject.zh, subject.en),
        status="ok" if amount else "tracking", references=references)


# ---------------------------------------------------------------------------
# 实施全国统一的碳排放核查核算标准
# ---------------------------------------------------------------------------

_ACCOUNTING_TITLE = Text("行业核算标准", "sector accounting standards")


def _accounting(activity: Activity, context: EvaluationContext) -> Outcome:
    f = activity.fields
    year, sector, standard = f["reporting_year"], f["sector"], f["accounting_standard"]
    verified = bool(f.get("verifier") and f.get("verification_date"))
    subject = Text(f"{activity.organisation or activity.credit_code} {year}年度温室气体排放报告"
                   f"(采用 {standard},排放量{f['emissions_tco2e']}吨二氧化碳当量)",
                   f"{activity.organisation or activity.credit_code}, greenhouse-gas report for {year} "
                   f"({standard}, {f['emissions_tco2e']} tCO2e)")
    snapshot = context.reference(ACCOUNTING_TABLE, activity.date)
    if snapshot is None:
        return Outcome(activity, "A9", 0, CLAUSE, Text(
            f":{_BASIS.zh},{date_zh(activity.date)}无施行中的行业核算标准参考数据,暂缓判定。",
            f": {_BASIS.en}; no sector accounting reference data was in force on {date_en(activity.date)}: held.",
        ), details={"reason": "no_reference", "sector": sector, "reporting_year": year},
            subject=(subject.zh, subject.en), status="held")
    decision = decide_accounting(sector, standard, verified, snapshot)
    row = next((r for r in snapshot if r["sector"] == sector), None)
    version = _version_words(snapshot, _ACCOUNTING_TITLE)
    details = {"sector": sector, "reporting_year": year, "consistent": decision.consistent, "verified": verified,
               "expected": list(decision.expected)}
    if decision.rule == "A9" or row is None:
        return Outcome(activity, "A9", 0, CLAUSE, Text(
            f":{_BASIS.zh},{version.zh}未收录该行业,暂缓判定。",
            f": {_BASIS.en}; the {version.en} does not list the sector: held.",
        ), details={**details, "reason": "sector"}, subject=(subject.zh, subject.en), status="held",
            references=(snapshot,))
    sector_words = Text(row["name_zh"], row["name_en"])
    details["sector_name"] = {"zh": row["name_zh"], "en": row["name_en"]}
    expected = (Text(f"应采用 {row['standard']}《{row['title']}》", f"is to apply {row['standard']} ({row['title']})")
                if sector != GENERAL_SECTOR else
                Text(f"应采用 {row['standard']}《{row['title']}》或参考数据未分配给其他行业的 GB/T 32151 部分",
                     f"is to apply {row['standard']} or a part of GB/T 32151 the table assigns to no other sector"))
    lead = Text(
        f":{_BASIS.zh}“实施全国统一的碳排放核查核算标准”,按{version.zh},{sector_words.zh}{expected.zh}",
        f": {_BASIS.en} (apply the national carbon-emission accounting and verification standards), under the "
        f"{version.en}, the sector “{sector_words.en}” {expected.en}",
    )
    if decision.rule == "A3":
        return Outcome(activity, "A3", 0, CLAUSE, Text(
            f"{lead.zh};该报告采用 {standard},与本行业全国统一核算标准不一致,认定不符合。",
            f"{lead.en}; the report applies {standard}, which is not the sector's national standard: non-compliant.",
        ), details={**details, "reason": "standard"}, subject=(subject.zh, subject.en), status="non_compliant",
            references=(snapshot,))
    if decision.rule == "A2":
        return Outcome(activity, "A2", 0, CLAUSE, Text(
            f"{lead.zh};该报告采用的核算标准一致,尚未经第三方核查,予以跟踪。",
            f"{lead.en}; the report applies it, but has not been verified yet: tracked.",
        ), details={**details, "reason": "not_verified"}, subject=(subject.zh, subject.en), status="tracking",
            references=(snapshot,))
    checked = date.fromisoformat(f["verification_date"])
    return Outcome(activity, "A1", 0, CLAUSE, Text(
        f"{lead.zh};该报告采用的核算标准一致,并经{f['verifier']}于{date_zh(checked)}核查,认定符合。",
        f"{lead.en}; the report applies it and was verified by {f['verifier']} on {date_en(checked)}: compliant.",
    ), details=details, subject=(subject.zh, subject.en), status="compliant", references=(snapshot,))


# ---------------------------------------------------------------------------
# 推行低碳产品标准标识制度
# ---------------------------------------------------------------------------

def warning_days(context: EvaluationContext, on: date) -> tuple[int, ParamValue | None]:
    """The warning period in force on ``on`` (the shipped default before any version is in force)."""
    value = context.parameters.value(WARNING_DAYS, on)
    return (int(value.value), value) if value is not None else (DEFAULT_WARNING_DAYS, None)


def _certificate(activity: Activity, context: EvaluationContext) -> Outcome:
    f = activity.fields
    on = context.evaluated_on
    expiry = date.fromisoformat(f["expiry_date"])
    days, param = warning_days(context, on)
    decision = decide_certificate(expiry, on, days)
    subject = Text(
        f"{activity.organisation or activity.credit_code} {f['product']}低碳产品认证证书 {f['certificate_number']}"
        f"({f['certification_body']}依据 {f['standard']} 颁发,有效期至{date_zh(expiry)})",
        f"{activity.organisation or activity.credit_code}, low-carbon product certificate {f['certificate_number']} "
        f"for {f['product']} ({f['certification_body']}, {f['standard']}, valid until {date_en(expiry)})",
    )
    lead = Text(f":{_BASIS.zh}“推行低碳产品标准标识制度”,截至{date_zh(on)}",
                f": {_BASIS.en} (promote low-carbon product standards and labels), as of {date_en(on)}")
    details = {"expiry_date": f["expiry_date"], "days_left": decision.days_left, "warning_days": days,
               "as_of": on.isoformat()}
    if decision.rule == "L3":
        text = Text(f"{lead.zh},该证书已于{date_zh(expiry)}届满,已过期{-decision.days_left}天,认定证书失效。",
                    f"{lead.en}, the certificate lapsed after {date_en(expiry)} ({-decision.days_left} days ago): expired.")
        status = "non_compliant"
    elif decision.rule == "L2":
        left = Text("今日为有效期最后一日" if decision.days_left == 0 else f"距到期还有{decision.days_left}天",
                    "today is its last valid day" if decision.days_left == 0 else f"{decision.days_left} days remain")
        text = Text(f"{lead.zh},证书有效,{left.zh}(提醒期{days}天),请督促及时复评换证。",
                    f"{lead.en}, the certificate is valid and {left.en} (warning period {days} days): renew it in time.")
        status = "compliant"
    else:
        text = Text(f"{lead.zh},证书有效,距到期{decision.days_left}天。",
                    f"{lead.en}, the certificate is valid, {decision.days_left} days before expiry.")
        status = "compliant"
    return Outcome(activity, decision.rule, 0, CLAUSE, text, parameters=(param,) if param is not None else (),
                   details=details, subject=(subject.zh, subject.en), status=status)


def evaluate(batch: Batch, context: EvaluationContext) -> list[Outcome]:
    """Outcomes for every record of the plugin's kinds and every carbon standard drafted (other standards get none)."""
    out: list[Outcome] = []
    for activity in batch.of_kind(ENERGY_QUOTA):
        out.append(_quota(activity, context))
    for activity in batch.of_kind("standard_drafting"):
        outcome = _drafting(activity, context)
        if outcome is not None:
            out.append(outcome)
    for activity in batch.of_kind(ACCOUNTING):
        out.append(_accounting(activity, context))
    for activity in batch.of_kind(CERTIFICATE):
        out.append(_certificate(activity, context))
    return out


#: 二(五)1 verbatim, for pages.
TEXT = CLAUSE_TEXT
