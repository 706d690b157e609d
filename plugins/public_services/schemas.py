"""Row schemas of the three lists, the monitoring kind, and the pilots' extension.

二(三)1: 梳理基本公共服务清单、标准清单、责任清单,加强标准实施监测及动态管理.
Every value enters through these schemas — a file, the browser, the shipped
YAML, the command line, an import of monitoring records — and a bad one is
refused with a bilingual message naming its field. Decimals stay
``Decimal`` (never float); codes are checked for their form here, and
against the list in force where a record names an item.
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import Schema, fields, post_load, validate, validates, validates_schema

from core import (
    BoundedDecimal,
    PILOT_PROJECT,
    Bilingual,
    FreeText,
    KindExtension,
    StandardNumberField,
    Text,
    date_zh,
    field_error,
    field_metadata,
    validation_reference,
)

from .periods import InvalidPeriod, parse_period
from .words import COUNTIES, DIRECTIONS, STANDARD_STATUSES

__all__ = [
    "CLASSIFICATION",
    "EXTENSIONS",
    "ClassificationRowSchema",
    "MonitoringSchema",
    "RESPONSIBILITY_LIST",
    "ResponsibilityRowSchema",
    "SERVICE_LIST",
    "STANDARDS_LIST",
    "ServiceRowSchema",
    "StandardRowSchema",
    "item_codes_in_list",
]

#: The reference tables' keys.
CLASSIFICATION = "public_services.classification"
SERVICE_LIST = "public_services.service_list"
STANDARDS_LIST = "public_services.standards_list"
RESPONSIBILITY_LIST = "public_services.responsibility_list"

#: Aspect ``3``, category ``3.1``, item ``3.1.2``: the list's own numbering, aspect → category → item.
ASPECT_CODE = re.compile(r"^[1-9]\d?$")
CATEGORY_CODE = re.compile(r"^[1-9]\d?\.[1-9]\d?$")
ITEM_CODE = re.compile(r"^[1-9]\d?\.[1-9]\d?\.[1-9]\d?$")
#: An indicator's code within its item: letters, digits, ``_`` and ``-``.
INDICATOR_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,29}$")


def _text(zh: str, en: str, *, required: bool = True, multiline: bool = False, max_length: int = 200,
          **kwargs: Any) -> FreeText:
    options: dict[str, Any] = {"required": True} if required else {"load_default": None}
    return FreeText(validate=validate.Length(min=1, max=max_length),
                    metadata=field_metadata(Text(zh, en), multiline=multiline), **options, **kwargs)


def _code(pattern: re.Pattern[str], zh: str, en: str, example: str) -> validate.Regexp:
    return validate.Regexp(pattern, error=_bilingual(f"{zh}格式应如 {example}", f"{en} must look like {example}"))


def _bilingual(zh: str, en: str) -> str:
    return Bilingual(zh, en)


def _decimal(zh: str, en: str, *, required: bool = True) -> BoundedDecimal:
    options: dict[str, Any] = {"required": True} if required else {"load_default": None}
    return BoundedDecimal(allow_nan=False, metadata=field_metadata(Text(zh, en)), **options)


# -- 服务分类: aspects and categories ------------------------------------------------

class ClassificationRowSchema(Schema):
    """An aspect (``3``) or a category (``3.1``) of the national standard's classification."""

    code = fields.String(required=True, validate=validate.Regexp(
        r"^[1-9]\d?(\.[1-9]\d?)?$",
        error=_bilingual("分类代码应为方面(如 3)或类别(如 3.1)", "a code is an aspect (3) or a category (3.1)")),
        metadata=field_metadata(Text("分类代码", "Code")))
    name = _text("名称", "Name", max_length=60)
    name_en = _text("英文名称", "English name", required=False, max_length=120)


# -- 服务清单: the service list -----------------------------------------------------

class ServiceIndicatorSchema(Schema):
    """A quantitative indicator of an item's 服务标准 (its value may be blank: tracked, not yet set)."""

    code = fields.String(required=True, validate=_code(INDICATOR_CODE, "指标代码", "an indicator code", "coverage"),
                         metadata=field_metadata(Text("指标代码", "Indicator code")))
    name = _text("指标名称", "Indicator", max_length=100)
    unit = _text("单位", "Unit", max_length=30)
    direction = fields.String(required=True, validate=validate.OneOf(tuple(DIRECTIONS)),
                              metadata=field_metadata(Text("达标方向", "Direction"), DIRECTIONS))
    value = _decimal("标准值", "Standard value", required=False)


def _unique_indicators(indicators: list[dict[str, Any]], field: str) -> None:
    seen: set[str] = set()
    for item in indicators:
        if item["code"] in seen:
            raise field_error(f"指标代码 {item['code']} 重复", f"indicator code {item['code']} appears twice", field=field)
        seen.add(item["code"])


class ServiceRowSchema(Schema):
    """An item of the basic public service list, with the five fields the national standard gives every item."""

    item_code = fields.String(required=True, validate=_code(ITEM_CODE, "服务项目编号", "an item code", "3.1.2"),
                              metadata=field_metadata(Text("服务项目编号", "Item code")))
    category = fields.String(required=True, validate=_code(CATEGORY_CODE, "所属类别代码", "a category code", "3.1"),
                             metadata=field_metadata(Text("所属类别", "Category")))
    name = _text("服务项目", "Service item", max_length=100)
    recipients = _text("服务对象", "Who is served", multiline=True, max_length=1000)
    content = _text("服务内容", "Content", multiline=True, max_length=2000)
    standard_text = _text("服务标准", "Standard", multiline=True, max_length=2000)
    indicators = fields.List(fields.Nested(ServiceIndicatorSchema), load_default=list,
                             metadata=field_metadata(Text("量化指标", "Quantitative indicators")))
    spending = _text("支出责任", "Spending responsibility", multiline=True, max_length=500)
    lead_department = _text("牵头负责单位", "Lead department", max_length=200)

    @validates_schema
    def _consistent(self, data: dict[str, Any], **kwargs: Any) -> None:
        item, category = data.get("item_code"), data.get("category")
        if item and category and item.rsplit(".", 1)[0] != category:
            raise field_error(f"服务项目编号 {item} 不属于类别 {category}",
                              f"item {item} is not in category {category}", field="item_code")
        _unique_indicators(data.get("indicators") or [], "indicators")


# -- 标准清单: the standards list ---------------------------------------------------

class StandardIndicatorSchema(Schema):
    """The value a supporting standard sets for one of the item's indicators."""

    code = fields.String(required=True, validate=_code(INDICATOR_CODE, "指标代码", "an indicator code", "coverage"),
                         metadata=field_metadata(Text("指标代码", "Indicator code")))
    value = _decimal("指标值", "Value")


class StandardRowSchema(Schema):
    """A standard supporting an item: its number, status and the indicator values it sets."""

    item_code = fields.String(required=True, validate=_code(ITEM_CODE, "服务项目编号", "an item code", "3.1.2"),
                              metadata=field_metadata(Text("服务项目编号", "Item code")))
    standard = StandardNumberField(required=True, metadata=field_metadata(Text("标准编号", "Standard number")))
    title = _text("标准名称", "Title", required=False, max_length=200)
    status = fields.String(required=True, validate=validate.OneOf(tuple(STANDARD_STATUSES)),
                           metadata=field_metadata(Text("标准状态", "Status"), STANDARD_STATUSES))
    issued = fields.Date(load_default=None, metadata=field_metadata(Text("发布日期", "Issued")))
    indicators = fields.List(fields.Nested(StandardIndicatorSchema), load_default=list,
                             metadata=field_metadata(Text("指标值", "Indicator values")))

    @validates_schema
    def _consistent(self, data: dict[str, Any], **kwargs: Any) -> None:
        _unique_indicators(data.get("indicators") or [], "indicators")


# -- 责任清单: the responsibility list ----------------------------------------------

class ResponsibilityRowSchema(Schema):
    """Who answers for an item: the lead department, the cooperating ones, the counties."""

    item_code = fields.String(required=True, validate=_code(ITEM_CODE, "服务项目编号", "an item code", "3.1.2"),
                              metadata=field_metadata(Text("服务项目编号", "Item code")))
    lead_department = _text("牵头负责单位", "Lead department", max_length=200)
    cooperating = fields.List(FreeText(validate=validate.Length(min=1, max=100)), load_default=list,
                              metadata=field_metadata(Text("配合单位", "Cooperating departments")))
    county_duties = _text("县(市、区)职责", "Counties' responsibilities", multiline=True, max_length=2000)
    spending = _text("支出责任", "Spending responsibility", required=False, multiline=True, max_length=500)


# -- 标准实施监测: the monitoring kind -----------------------------------------------

class MonitoringSchema(Schema):
    """``service_monitoring``: one indicator of one item measured in one county for one period.

    The item and the indicator must be in the service list in force on the
    period's last day (``validation_reference``): a record naming what the
    list does not hold, or a period for which no list is in force, is
    refused naming the field.
    """

    region = fields.String(required=True, validate=validate.OneOf(tuple(COUNTIES)),
                           metadata=field_metadata(Text("县(市、区)", "County or district"), COUNTIES))
    item_code = fields.String(required=True, validate=_code(ITEM_CODE, "服务项目编号", "an item code", "3.1.2"),
                              metadata=field_metadata(Text("服务项目编号", "Item code")))
    period = fields.String(required=True, metadata=field_metadata(Text("监测期", "Period")))
    indicator = fields.String(required=True, validate=_code(INDICATOR_CODE, "指标代码", "an indicator code", "coverage"),
                              metadata=field_metadata(Text("指标代码", "Indicator code")))
    value = BoundedDecimal(required=True, allow_nan=False, metadata=field_metadata(Text("实测值", "Measured value")))
    source = _text("数据来源", "Data source", max_length=200)

    @validates("period")
    def _period(self, value: str, **kwargs: Any) -> None:
        try:
            parse_period(value)
        except InvalidPeriod as exc:
            raise field_error(exc.text.zh, exc.text.en) from None

    @post_load
    def _in_the_list(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        period = parse_period(data["period"])
        data["period"] = period.code
        # Stored activities hold JSON: the exact decimal as text.
        data["value"] = str(data["value"])
        if period.start > data["date"]:
            raise field_error(
                f"监测期{period.label.zh}晚于记录日期 {date_zh(data['date'])}:只登记已开始的监测期",
                f"the period {period.label.en} starts after the record's date {data['date']}", field="period")
        snapshot = validation_reference("public_services.service_list", period.end)
        if snapshot is None:
            raise field_error(
                f"{date_zh(period.end)}无有效的服务清单,无法核对服务项目",
                f"no service list is in force on {period.end}: the item cannot be checked", field="item_code")
        row = snapshot.get(data["item_code"])
        if row is None:
            raise field_error(
                f"服务项目 {data['item_code']} 不在{date_zh(snapshot.version.effective_from)}起施行的服务清单中",
                f"item {data['item_code']} is not in the service list in force from {snapshot.version.effective_from}",
                field="item_code")
        if not any(ind["code"] == data["indicator"] for ind in row["indicators"]):
            known = "、".join(ind["code"] for ind in row["indicators"]) or "无"
            raise field_error(
                f"服务项目“{row['name']}”没有指标 {data['indicator']}(清单中的指标:{known})",
                f"item {data['item_code']} has no indicator {data['indicator']} in the list "
                f"(its indicators: {', '.join(ind['code'] for ind in row['indicators']) or 'none'})",
                field="indicator")
        return data


# -- 基本公共服务标准化试点: the shared pilot kind, linked to items ------------------------

def item_codes_in_list(data: dict[str, Any]) -> None:
    """A pilot's ``service_items`` must be items of the service list in force on its date."""
    items = data.get("service_items")
    if not items:
        return
    snapshot = validation_reference("public_services.service_list", data["date"])
    if snapshot is None:
        raise field_error(f"{date_zh(data['date'])}无有效的服务清单,无法核对试点覆盖的服务项目",
                          f"no service list is in force on {data['date']}: the pilot's items cannot be checked",
                          field="service_items")
    missing = [code for code in items if snapshot.get(code) is None]
    if missing:
        raise field_error(f"服务项目 {'、'.join(missing)} 不在该日有效的服务清单中",
                          f"items {', '.join(missing)} are not in the service list in force on that date",
                          field="service_items")


_SERVICE_ITEMS = fields.List(
    fields.String(validate=validate.Regexp(ITEM_CODE, error=_bilingual(
        "服务项目编号格式应如 3.1.2", "an item code must look like 3.1.2"))),
    validate=validate.Length(min=1),
    metadata=field_metadata(Text("覆盖的基本公共服务项目", "Basic public service items covered")))

EXTENSIONS = [KindExtension(PILOT_PROJECT, {"service_items": _SERVICE_ITEMS}, (item_codes_in_list,))]
