"""The records of 对标达标 and 领跑者, validated at the edge.

Four kinds (docs/policy-readings.md, "benchmarking", states each reading):

- ``campaign_enrolment`` — an enterprise enrols in a year's campaign of a key field;
- ``benchmark_result`` — a product measured against an international or foreign
  advanced standard, indicator by indicator;
- ``standard_adoption`` — a Chinese standard adopting an international or foreign standard;
- ``forerunner_evaluation`` — a third party's evaluation of a self-declared
  enterprise or group standard for the 领跑者 list.

Everything that can be told from the record alone is checked here, in both
languages and by field (nested ones as ``indicators.2.target``); what needs the
reference data in force (the year's campaigns) is checked by ``RECORD_CHECKS``
on the loaded record, which knows its date.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import Schema, fields, post_load, validate, validates_schema

from core import (
    BoundedDecimal,
    FreeText,
    KindExtension,
    StandardNumberField,
    Text,
    YesNo,
    field_error,
    field_metadata,
    validation_reference,
)

from .indicators import DIRECTIONS
from .standards import InvalidBenchmarkStandard, parse_benchmark_standard

__all__ = [
    "ADOPTION_LEVELS",
    "BenchmarkResultSchema",
    "CAMPAIGNS",
    "CampaignEnrolmentSchema",
    "DEGREES",
    "ForerunnerEvaluationSchema",
    "IndicatorSchema",
    "KIND_CHECKS",
    "StandardAdoptionSchema",
]

#: The reference table of campaigns (``benchmarking.campaigns``), keyed by year and field.
CAMPAIGNS = "benchmarking.campaigns"

#: Degree of correspondence (一致性程度, GB/T 20000.2): IDT and MOD are adoption, NEQ is not.
DEGREES: dict[str, Text] = {
    "IDT": Text("等同采用(IDT)", "identical (IDT)"),
    "MOD": Text("修改采用(MOD)", "modified (MOD)"),
    "NEQ": Text("非等效(NEQ)", "not equivalent (NEQ)"),
}

#: The levels of a Chinese standard that may adopt one (the Zhejiang brands are group standards).
ADOPTION_LEVELS = ("national", "industry", "local", "group", "zhejiang_made", "zhejiang_service", "zhejiang_agri",
                   "enterprise")

_STRING: dict[str, Any] = {"validate": validate.Length(min=1, max=200)}


def _label(zh: str, en: str, values: dict[str, Text] | None = None) -> dict[str, Any]:
    return field_metadata(Text(zh, en), values)


class IndicatorSchema(Schema):
    """One indicator: what is measured, which way is better, the value and what is required."""

    name = FreeText(required=True, metadata=_label("指标名称", "Indicator"), **_STRING)
    unit = FreeText(load_default="", validate=validate.Length(max=40), metadata=_label("单位", "Unit"))
    direction = fields.String(required=True, validate=validate.OneOf(tuple(DIRECTIONS)),
                              metadata=_label("方向", "Direction", DIRECTIONS))
    value = BoundedDecimal(allow_none=True, load_default=None, allow_nan=False,
                           metadata=_label("实测值", "Value"))
    target = BoundedDecimal(allow_none=True, load_default=None, allow_nan=False,
                            metadata=_label("要求值", "Required value"))
    minimum = BoundedDecimal(allow_none=True, load_default=None, allow_nan=False,
                             metadata=_label("区间下限", "Range minimum"))
    maximum = BoundedDecimal(allow_none=True, load_default=None, allow_nan=False,
                             metadata=_label("区间上限", "Range maximum"))
    core = YesNo(load_default=False, metadata=_label("核心指标", "Core indicator"))

    @post_load
    def _as_text(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        # Activities are stored as JSON: decimals travel as exact text ("0.10"), read back with Decimal().
        for name in ("value", "target", "minimum", "maximum"):
            if data.get(name) is not None:
                data[name] = format(data[name], "f")
        return data

    @validates_schema
    def _requirement(self, data: dict[str, Any], **kwargs: Any) -> None:
        direction = data.get("direction")
        if direction in ("higher", "lower"):
            if data.get("target") is None:
                raise field_error("“越高越好”“越低越好”的指标须填写要求值",
                                  "an indicator that is higher or lower is better needs its required value",
                                  field="target")
            if data.get("minimum") is not None or data.get("maximum") is not None:
                raise field_error("区间上下限只用于“区间”指标", "range bounds are for range indicators only",
                                  field="minimum" if data.get("minimum") is not None else "maximum")
        elif direction == "range":
            for bound in ("minimum", "maximum"):
                if data.get(bound) is None:
                    raise field_error("“区间”指标须填写区间上下限", "a range indicator needs both bounds", field=bound)
            if data["minimum"] > data["maximum"]:  # still Decimals here: validation runs before post_load
                raise field_error("区间下限大于上限", "the range minimum is above its maximum", field="minimum")
            if data.get("target") is not None:
                raise field_error("“区间”指标用区间上下限,不填要求值",
                                  "a range indicator takes bounds, not a required value", field="target")


def _indicators(zh: str, en: str) -> fields.List:
    return fields.List(fields.Nested(IndicatorSchema), required=True, validate=validate.Length(min=1, max=200),
                       metadata=_label(zh, en))


def _no_repeats_and_a_core(indicators: list[dict[str, Any]]) -> None:
    seen: set[str] = set()
    for n, indicator in enumerate(indicators):
        name = indicator["name"].strip()
        if name in seen:
            raise field_error(f"指标“{name}”重复填写", f"the indicator {name!r} is given twice", field=f"indicators.{n}.name")
        seen.add(name)
    if not any(i.get("core") for i in indicators):
        raise field_error("至少应有一项核心指标", "at least one indicator must be a core indicator", field="indicators")


class _Campaign(Schema):
    campaign_year = fields.Integer(strict=True, allow_none=True, load_default=None,
                                   validate=validate.Range(min=2000, max=2100),
                                   metadata=_label("专项行动年度", "Campaign year"))
    campaign_field = FreeText(allow_none=True, load_default=None, validate=validate.Length(min=1, max=60),
                              metadata=_label("专项行动领域", "Campaign field"))

    @validates_schema
    def _both_or_neither(self, data: dict[str, Any], **kwargs: Any) -> None:
        year, field = data.get("campaign_year"), data.get("campaign_field")
        if (year is None) != (field is None):
            missing = "campaign_field" if field is None else "campaign_year"
            raise field_error("专项行动须同时填写年度和领域", "a campaign is named by its year and its field", field=missing)


class CampaignEnrolmentSchema(_Campaign):
    """An enterprise enrols in a 对标达标 campaign (二(六)1): the campaign is required."""

    campaign_year = fields.Integer(strict=True, required=True, validate=validate.Range(min=2000, max=2100),
                                   metadata=_label("专项行动年度", "Campaign year"))
    campaign_field = FreeText(required=True, validate=validate.Length(min=1, max=60),
                              metadata=_label("专项行动领域", "Campaign field"))
    products = fields.List(FreeText(validate=validate.Length(min=1, max=200)), load_default=list,
                           metadata=_label("对标产品", "Products to benchmark"))
    plan = FreeText(allow_none=True, load_default=None, validate=validate.Length(max=300),
                    metadata=_label("对标方案", "Benchmarking plan"))


class BenchmarkResultSchema(_Campaign):
    """A product's benchmarking result (对标结果), indicator by indicator."""

    product = FreeText(required=True, metadata=_label("产品名称", "Product"), **_STRING)
    product_category = FreeText(required=True, metadata=_label("产品类别", "Product category"), **_STRING)
    benchmark_standard = FreeText(required=True, metadata=_label("对标标准", "Benchmark standard"))
    indicators = _indicators("对标指标", "Indicators")
    test_report = FreeText(required=True, validate=validate.Length(min=1, max=100),
                           metadata=_label("检测报告编号", "Test report number"))
    test_report_date = fields.Date(required=True, metadata=_label("检测报告日期", "Test report date"))

    @validates_schema
    def _indicators_named_once(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("indicators"):
            _no_repeats_and_a_core(data["indicators"])

    @post_load
    def _canonical(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        data["test_report_date"] = data["test_report_date"].isoformat()  # stored as JSON
        try:
            data["benchmark_standard"] = parse_benchmark_standard(data["benchmark_standard"]).code
        except InvalidBenchmarkStandard as exc:
            raise field_error(exc.text.zh, exc.text.en, field="benchmark_standard") from None
        return data


class StandardAdoptionSchema(Schema):
    """A Chinese standard that adopts an international or foreign advanced standard (二(六)1)."""

    chinese_standard = StandardNumberField(parsed=True, required=True,
                                           metadata=_label("我国标准编号", "Chinese standard"))
    adopted_standard = FreeText(required=True, metadata=_label("被采用标准", "Standard adopted"))
    degree = fields.String(required=True, validate=validate.OneOf(tuple(DEGREES)),
                           metadata=_label("一致性程度", "Degree of correspondence", DEGREES))
    title = FreeText(allow_none=True, load_default=None, validate=validate.Length(max=300),
                     metadata=_label("标准名称", "Title"))

    @post_load
    def _check(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        number = data["chinese_standard"]
        if number.level not in ADOPTION_LEVELS:
            raise field_error(f"{number.code} 不是我国的国家、行业、地方、团体或企业标准",
                              f"{number.code} is not a Chinese national, industry, local, group or enterprise standard",
                              field="chinese_standard")
        try:
            adopted = parse_benchmark_standard(data["adopted_standard"])
        except InvalidBenchmarkStandard as exc:
            raise field_error(exc.text.zh, exc.text.en, field="adopted_standard") from None
        if number.adopted:  # "GB/T 24025-2009 (ISO 14025:2006, IDT)": the number says it too
            source, _, degree = number.adopted.rpartition(", ")
            if degree != data["degree"]:
                raise field_error(f"标准编号注明的一致性程度为 {degree},与填写的 {data['degree']} 不一致",
                                  f"the number says {degree}, the record says {data['degree']}", field="degree")
            try:
                same = parse_benchmark_standard(source).code == adopted.code
            except InvalidBenchmarkStandard:
                same = False
            if not same:
                raise field_error(f"标准编号注明采用 {source},与填写的 {adopted.code} 不一致",
                                  f"the number says it adopts {source}, the record says {adopted.code}",
                                  field="adopted_standard")
        data["chinese_standard"] = number.code
        data["chinese_level"] = number.level
        data["adopted_standard"] = adopted.code
        return data


class ForerunnerEvaluationSchema(Schema):
    """A third-party evaluation for the enterprise-standard forerunner list (二(七)1)."""

    year = fields.Integer(strict=True, required=True, validate=validate.Range(min=2000, max=2100),
                          metadata=_label("评价年度", "Year"))
    product_category = FreeText(required=True, metadata=_label("产品类别", "Product category"), **_STRING)
    enterprise_standard = StandardNumberField(parsed=True, required=True,
                                              metadata=_label("执行的企业标准或团体标准", "Enterprise or group standard"))
    self_declared = YesNo(required=True, metadata=_label("已在企业标准信息公共服务平台自我声明公开",
                                                                  "Self-declared on the public platform"))
    baseline_standard = StandardNumberField(parsed=True, required=True,
                                            metadata=_label("对比的国家或行业标准", "National or industry standard compared"))
    evaluator = FreeText(required=True, metadata=_label("第三方评价机构", "Third-party evaluator"), **_STRING)
    indicators = _indicators("评价指标", "Indicators")
    score = BoundedDecimal(allow_none=True, load_default=None, allow_nan=False, places=None,
                           validate=validate.Range(min=0, max=100), metadata=_label("评价得分", "Score"))
    tier = fields.Integer(strict=True, allow_none=True, load_default=None, validate=validate.Range(min=1, max=10),
                          metadata=_label("评价等级(1为最高)", "Tier (1 is the highest)"))

    @validates_schema
    def _score_or_tier(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("score") is None and data.get("tier") is None:
            raise field_error("须填写评价得分或评价等级", "give the evaluator's score or tier", field="score")
        if data.get("indicators"):
            _no_repeats_and_a_core(data["indicators"])

    @post_load
    def _check(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        own = data["enterprise_standard"]
        if own.level not in ("enterprise", "group", "zhejiang_made", "zhejiang_service", "zhejiang_agri"):
            raise field_error(f"{own.code} 不是企业标准(Q/…)或团体标准(T/…)",
                              f"{own.code} is not an enterprise (Q/…) or group (T/…) standard",
                              field="enterprise_standard")
        base = data["baseline_standard"]
        if base.level not in ("national", "industry"):
            raise field_error(f"{base.code} 不是国家标准或行业标准", f"{base.code} is not a national or industry standard",
                              field="baseline_standard")
        data["enterprise_standard"] = own.code
        data["baseline_standard"] = base.code
        if data.get("score") is not None:
            data["score"] = format(data["score"], "f")  # stored as JSON: exact text
        return data


def campaign_in_force(record: dict[str, Any]) -> None:
    """A named campaign must be one of the year's campaigns in the table in force on the record's date.

    With no version of the table in force the campaign cannot be checked here;
    the outcome says so (``rules``), the record is not refused for it.
    """
    year, field = record.get("campaign_year"), record.get("campaign_field")
    if year is None or field is None:
        return
    snapshot = validation_reference(CAMPAIGNS, record["date"])
    if snapshot is None:
        return
    if snapshot.get(year, field) is None:
        known = "、".join(f"{row['year']}年{row['field']}" for row in snapshot.rows) or "无"
        raise field_error(f"{year}年“{field}”不是{record['date'].year}年{record['date'].month}月{record['date'].day}日"
                          f"施行的专项行动清单中的专项行动(清单中有:{known})",
                          f"{year} {field!r} is not a campaign of the list in force on {record['date'].isoformat()}",
                          field="campaign_field")


def report_before_result(record: dict[str, Any]) -> None:
    if date.fromisoformat(record["test_report_date"]) > record["date"]:
        raise field_error("检测报告日期晚于结果日期", "the test report is dated after the result", field="test_report_date")


KIND_CHECKS = [
    KindExtension("campaign_enrolment", validators=(campaign_in_force,)),
    KindExtension("benchmark_result", validators=(campaign_in_force, report_before_result)),
]
