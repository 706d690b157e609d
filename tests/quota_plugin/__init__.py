"""A test plugin with versioned reference data (tests only): energy-quota limit values per standard edition.

``quota.limits`` has one row per (standard, product) with a nested list of
indicators (name, unit, direction, grade limits, access value): the shape
the carbon plugin's quota standards take (issue #8). ``quota_report``
records are validated against the version in force on their date
(``validation_reference``) and evaluated against it (``context.reference``);
outcomes carry the version they read. It also declares a parameter type of
its own (``ratio``) and a parameter using it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate

from core import (
    ActivityKind,
    Batch,
    Bilingual,
    EvaluationContext,
    Outcome,
    ParameterDeclaration,
    ParameterType,
    PluginDescription,
    ReferenceTable,
    Text,
    hookimpl,
    load_reference_versions,
    validation_reference,
)

KIND = "quota_report"
TABLE = "quota.limits"
SECTORS = "quota.sectors"
CLAUSE = "二(五)1"
DIRECTIONS = {"lower": Text("越低越好", "lower is better"), "higher": Text("越高越好", "higher is better")}


def _label(zh: str, en: str, values: dict | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"label": Text(zh, en)}
    if values:
        meta["values"] = values
    return meta


class IndicatorSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata=_label("指标名称", "Indicator"))
    unit = fields.String(required=True, validate=validate.Length(min=1, max=30), metadata=_label("单位", "Unit"))
    direction = fields.String(required=True, validate=validate.OneOf(list(DIRECTIONS)),
                              metadata=_label("方向", "Direction", DIRECTIONS))
    limits = fields.List(fields.Decimal(allow_nan=False), required=True, validate=validate.Length(min=1, max=5),
                         metadata=_label("各级限定值", "Grade limits"))
    access = fields.Decimal(load_default=None, allow_nan=False, metadata=_label("准入值", "Access value"))


class LimitRowSchema(Schema):
    standard = fields.String(required=True, validate=validate.Length(min=1, max=50), metadata=_label("标准编号", "Standard"))
    product = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata=_label("产品", "Product"))
    grades = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5),
                            metadata=_label("等级数", "Grades"))
    indicators = fields.List(fields.Nested(IndicatorSchema), required=True, validate=validate.Length(min=1),
                             metadata=_label("指标", "Indicators"))
    implemented = fields.Date(load_default=None, metadata=_label("实施日期", "Implemented"))
    mandatory = fields.Boolean(load_default=True, metadata=_label("强制性", "Mandatory"))


class SectorRowSchema(Schema):
    sector = fields.String(required=True, validate=validate.Length(min=1, max=50), metadata=_label("行业", "Sector"))
    standard = fields.String(required=True, metadata=_label("核算标准", "Accounting standard"))
    aliases = fields.List(fields.String(validate=validate.Length(min=1)), load_default=list,
                          metadata=_label("别名", "Aliases"))


class ReportSchema(Schema):
    standard = fields.String(required=True, metadata=_label("标准编号", "Standard"))
    product = fields.String(required=True, metadata=_label("产品", "Product"))
    value = fields.Decimal(required=True, allow_nan=False, metadata=_label("实测值", "Measured value"))

    @post_load
    def _known(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        snapshot = validation_reference(TABLE, data["date"])
        if snapshot is not None and snapshot.get(data["standard"], data["product"]) is None:
            raise ValidationError(Bilingual(
                f"该日有效的限额标准({snapshot.version.effective_from} 起)中没有 {data['standard']} {data['product']}",
                f"no {data['standard']} {data['product']} in the quota table in force on that date",
            ), field_name="standard")
        data["value"] = str(data["value"])  # stored activities hold JSON values: the exact decimal as text
        return data


class RatioType(ParameterType):
    """A ratio between 0 and 1, written as a decimal or as ``3/4``."""

    def __init__(self) -> None:
        super().__init__("ratio", Text("比例", "ratio"))

    def field(self, decl: ParameterDeclaration) -> fields.Field:
        return _RatioField(required=True, validate=validate.Range(min=0, max=1))

    def format(self, decl: ParameterDeclaration | None, value: Any, language: str = "zh") -> str:
        return "—" if value is None else f"{Decimal(str(value)) * 100:.0f}%"

    def decode(self, decl: ParameterDeclaration | None, text: str) -> Any:
        import json

        return Decimal(json.loads(text))


class _RatioField(fields.Decimal):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, str) and "/" in value:
            top, _, bottom = value.partition("/")
            try:
                return Decimal(top.strip()) / Decimal(bottom.strip())
            except Exception:
                raise self.make_error("invalid") from None
        return super()._deserialize(value, attr, data, **kwargs)


@hookimpl
def stdpolicy_describe_plugin() -> PluginDescription:
    return PluginDescription(Text("能耗限额(测试)", "Energy quotas (tests)"), Text("测试用", "tests only"),
                             clauses=(CLAUSE,))


@hookimpl
def stdpolicy_register_parameter_types() -> list[ParameterType]:
    return [RatioType()]


@hookimpl
def stdpolicy_register_parameters() -> list[ParameterDeclaration]:
    from core import load_parameter_file

    return load_parameter_file("parameters.yaml", __name__)


@hookimpl
def stdpolicy_register_reference_tables() -> list[ReferenceTable]:
    return [
        ReferenceTable(
            key=TABLE, label=Text("能耗限额标准", "Energy quota standards"), schema=LimitRowSchema,
            key_fields=("standard", "product"), clause=CLAUSE,
            description=Text("单位产品能源消耗限额", "Energy consumption quotas per unit of product"),
            versions=load_reference_versions("limits.yaml", __name__),
        ),
        ReferenceTable(
            key=SECTORS, label=Text("行业核算标准", "Sector accounting standards"), schema=SectorRowSchema,
            key_fields="sector", clause=CLAUSE, versions=load_reference_versions("sectors.yaml", __name__),
        ),
    ]


@hookimpl
def stdpolicy_register_activity_kinds() -> list[ActivityKind]:
    return [ActivityKind(KIND, Text("能耗限额报告", "Energy quota report"), ReportSchema, subject_field="product")]


@hookimpl
def stdpolicy_evaluate(batch: Batch, context: EvaluationContext) -> list[Outcome]:
    out = []
    for activity in batch.of_kind(KIND):
        snapshot = context.reference(TABLE, activity.date)
        row = snapshot.get(activity.fields["standard"], activity.fields["product"]) if snapshot is not None else None
        if row is None:
            out.append(Outcome(activity, "Q0", 0, CLAUSE, Text("无有效限额", "no quota in force"), status="error"))
            continue
        indicator = row["indicators"][0]
        value = Decimal(activity.fields["value"])
        grade = next((n for n, limit in enumerate(indicator["limits"], start=1) if value <= limit), None)
        sample = "(示例数据)" if snapshot.sample else ""
        out.append(Outcome(
            activity, "Q1" if grade else "Q2", 0, CLAUSE,
            Text(f"达到{grade}级{sample}" if grade else f"未达到限定值{sample}",
                 f"grade {grade}" if grade else "below the limit value"),
            references=(snapshot,),
            details={"grade": grade},
        ))
    return out
