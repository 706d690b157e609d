"""What the records and reference rows of 二(五)1 look like, checked at the edge.

Three activity kinds of the plugin's own (energy-quota reports, carbon
accounting reports, low-carbon product certificates), one extension of
core's shared ``standard_drafting`` kind (the carbon topic a record may
declare), and the row schemas of the three reference tables (quota standard
editions, the list of carbon standards, the sector ↔ accounting standard
table).

Activities are stored as JSON: decimals are kept as their exact text, dates
as ISO text (``post_load`` puts them back so).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates

from core import (
    STANDARD_DRAFTING,
    Bilingual,
    BoundedDecimal,
    FreeText,
    InvalidStandardNumber,
    KindExtension,
    StandardNumberField,
    Text,
    date_zh,
    field_error,
    field_metadata,
    parse_standard_number,
    today,
    validation_reference,
)

from .decisions import GENERAL_SECTOR, period_start, series_of
from .labels import DIRECTIONS, PLANT_TYPES, TOPICS
from .units import UnknownUnit, convert, normalise_unit

__all__ = [
    "ACCOUNTING_TABLE",
    "AccountingReportSchema",
    "AccountingRowSchema",
    "CarbonStandardRowSchema",
    "CertificateSchema",
    "EXTENSIONS",
    "EnergyQuotaReportSchema",
    "QUOTA_TABLE",
    "QuotaRowSchema",
    "STANDARDS_TABLE",
]

QUOTA_TABLE = "carbon.quota_standards"
STANDARDS_TABLE = "carbon.carbon_standards"
ACCOUNTING_TABLE = "carbon.accounting_standards"

_POSITIVE = validate.Range(min=Decimal(0), min_inclusive=False)
_YEAR = validate.Range(min=2000, max=2100)


def _series(value: str) -> None:
    """A standard number without its year (``GB/T 32151``, ``ISO 14067``) or with it."""
    text = value.strip()
    probe = text if series_of(text) != text else (f"{text}:2000" if text.startswith(("ISO", "IEC")) else f"{text}-2000")
    try:
        parse_standard_number(probe)
    except InvalidStandardNumber as exc:
        raise field_error(f"不是有效的标准编号:{exc.text.zh}", f"not a valid standard number: {exc.text.en}") from None


# ---------------------------------------------------------------------------
# Reference rows
# ---------------------------------------------------------------------------

class IndicatorSchema(Schema):
    """One indicator of a quota standard: its unit, direction, grade limits, limit and access values."""

    name = FreeText(required=True, validate=validate.Length(min=1, max=100),
                    metadata=field_metadata(Text("指标名称", "Indicator")))
    unit = FreeText(required=True, validate=validate.Length(min=1, max=30),
                    metadata=field_metadata(Text("单位", "Unit")))
    direction = fields.String(required=True, validate=validate.OneOf(list(DIRECTIONS)),
                              metadata=field_metadata(Text("方向", "Direction"), DIRECTIONS))
    grades = fields.List(BoundedDecimal(allow_nan=False), required=True, validate=validate.Length(min=1, max=5),
                         metadata=field_metadata(Text("各级限定值(1级为最先进)", "Grade limits (grade 1 most advanced)")))
    limit = BoundedDecimal(load_default=None, allow_nan=False,
                           metadata=field_metadata(Text("限定值", "Limit value")))
    access = BoundedDecimal(load_default=None, allow_nan=False,
                            metadata=field_metadata(Text("准入值(新建及改扩建)", "Access value (new and expanded plants)")))

    @validates("unit")
    def _known_unit(self, value: str, **kwargs: Any) -> None:
        try:
            normalise_unit(value)
        except UnknownUnit:
            raise field_error(f"未知单位“{value}”", f"unknown unit {value!r}") from None

    @post_load
    def _ordered(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        grades, lower = data["grades"], data["direction"] == "lower"
        if any((a > b) if lower else (a < b) for a, b in zip(grades, grades[1:])):
            raise field_error("各级限定值应从1级(最先进)到末级依次放宽",
                              "grade limits must loosen from grade 1 (most advanced) to the last", field="grades")
        return data


class QuotaRowSchema(Schema):
    """``carbon.quota_standards``: one product of one edition of a mandatory quota standard."""

    standard = FreeText(required=True, validate=validate.Length(min=1, max=50),
                        metadata=field_metadata(Text("标准编号(含年份)", "Standard (edition)")))
    title = FreeText(load_default="", validate=validate.Length(max=200),
                     metadata=field_metadata(Text("标准名称", "Title")))
    product = FreeText(required=True, validate=validate.Length(min=1, max=100),
                       metadata=field_metadata(Text("产品", "Product")))
    industry = FreeText(required=True, validate=validate.Length(min=1, max=50),
                        metadata=field_metadata(Text("行业", "Industry")))
    implemented = fields.Date(load_default=None, metadata=field_metadata(Text("实施日期", "In force from")))
    indicators = fields.List(fields.Nested(IndicatorSchema), required=True, validate=validate.Length(min=1),
                             metadata=field_metadata(Text("指标", "Indicators")))

    @validates("standard")
    def _edition(self, value: str, **kwargs: Any) -> None:
        try:
            number = parse_standard_number(value)
        except InvalidStandardNumber as exc:
            raise field_error(exc.text.zh, exc.text.en) from None
        if number.year is None:
            raise field_error("请写明版本年份(如 GB 16780-2021)", "give the edition's year (e.g. GB 16780-2021)")

    @post_load
    def _canonical(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        data["standard"] = parse_standard_number(data["standard"]).code
        return data


class CarbonStandardRowSchema(Schema):
    """``carbon.carbon_standards``: a carbon standard (or series) and its topic."""

    standard = FreeText(required=True, validate=[validate.Length(min=1, max=50), _series],
                        metadata=field_metadata(Text("标准编号(不含年份可涵盖各版本、各部分)",
                                                     "Standard (without its year: every edition and part)")))
    title = FreeText(required=True, validate=validate.Length(min=1, max=200),
                     metadata=field_metadata(Text("标准名称", "Title")))
    topic = fields.String(required=True, validate=validate.OneOf(list(TOPICS)),
                          metadata=field_metadata(Text("碳主题", "Carbon topic"), TOPICS))


class AccountingRowSchema(Schema):
    """``carbon.accounting_standards``: the national accounting standard each sector applies."""

    sector = fields.String(required=True, validate=[validate.Length(min=1, max=40),
                                                    validate.Regexp(r"^[a-z][a-z0-9_]*$")],
                           metadata=field_metadata(Text("行业代码", "Sector code")))
    name_zh = FreeText(required=True, validate=validate.Length(min=1, max=60),
                       metadata=field_metadata(Text("行业名称", "Sector (Chinese)")))
    name_en = FreeText(required=True, validate=validate.Length(min=1, max=80),
                       metadata=field_metadata(Text("行业名称(英文)", "Sector (English)")))
    standard = FreeText(required=True, validate=[validate.Length(min=1, max=50), _series],
                        metadata=field_metadata(Text("核算标准", "Accounting standard")))
    title = FreeText(load_default="", validate=validate.Length(max=200),
                     metadata=field_metadata(Text("标准名称", "Title")))


# ---------------------------------------------------------------------------
# Activity kinds
# ---------------------------------------------------------------------------

def _year_not_after(data: dict[str, Any], field: str = "reporting_year") -> None:
    day: date | None = data.get("date")
    if day is not None and data[field] > day.year:
        raise field_error(f"报告年度 {data[field]} 晚于报送日期 {date_zh(day)}",
                          f"reporting year {data[field]} is after the report's date {day.isoformat()}", field=field)


class EnergyQuotaReportSchema(Schema):
    """``energy_quota_report``: a product's measured energy consumption for a year, against a quota standard.

    The activity's date is the day the report was made; ``reporting_year``
    the year the consumption covers.
    """

    reporting_year = fields.Integer(required=True, strict=True, validate=_YEAR,
                                    metadata=field_metadata(Text("报告年度", "Reporting year")))
    product = FreeText(required=True, validate=validate.Length(min=1, max=100),
                       metadata=field_metadata(Text("产品", "Product")))
    quota_standard = StandardNumberField(required=True,
                                         metadata=field_metadata(Text("能耗限额标准编号", "Quota standard")))
    indicator = FreeText(required=True, validate=validate.Length(min=1, max=100),
                         metadata=field_metadata(Text("指标", "Indicator")))
    value = BoundedDecimal(required=True, allow_nan=False, validate=_POSITIVE,
                           metadata=field_metadata(Text("实测值", "Measured value")))
    unit = FreeText(required=True, validate=validate.Length(min=1, max=30),
                    metadata=field_metadata(Text("单位", "Unit")))
    plant_type = fields.String(required=True, validate=validate.OneOf(list(PLANT_TYPES)),
                               metadata=field_metadata(Text("企业类型", "Plant type"), PLANT_TYPES))

    @validates("unit")
    def _known_unit(self, value: str, **kwargs: Any) -> None:
        try:
            normalise_unit(value)
        except UnknownUnit:
            raise field_error(f"未知单位“{value}”", f"unknown unit {value!r}") from None

    @post_load
    def _against_edition(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        _year_not_after(data)
        on = period_start(data["reporting_year"])
        snapshot = validation_reference(QUOTA_TABLE, on)
        # No version of the table in force: the record cannot be checked here; its outcome says so.
        if snapshot is not None:
            _check_against(snapshot, data, on)
        data["value"] = str(data["value"])
        return data


def _check_against(snapshot: Any, data: dict[str, Any], on: date) -> None:
    standard, product = data["quota_standard"], data["product"]
    rows = snapshot.find(standard=standard)
    if not rows:
        others = sorted({r["standard"] for r in snapshot if series_of(r["standard"]) == series_of(standard)})
        hint_zh = f"该年度适用的版本为 {'、'.join(others)}" if others else "参考数据中没有该标准"
        hint_en = f"the edition in force for that year is {', '.join(others)}" if others else "the reference data lists no such standard"
        raise field_error(
            f"{standard} 在{date_zh(on)}(报告年度起始日)未施行:{hint_zh}",
            f"{standard} was not in force on {on.isoformat()} (start of the reporting year): {hint_en}",
            field="quota_standard")
    row = next((r for r in rows if r["product"] == product), None)
    if row is None:
        known = "、".join(r["product"] for r in rows)
        raise field_error(f"{standard} 未规定产品“{product}”的限额(已登记:{known})",
                          f"{standard} sets no quota for product {product!r} (listed: {known})", field="product")
    indicator = next((i for i in row["indicators"] if i["name"] == data["indicator"]), None)
    if indicator is None:
        known = "、".join(i["name"] for i in row["indicators"])
        raise field_error(f"{standard} 对“{product}”未规定指标“{data['indicator']}”(已登记:{known})",
                          f"{standard} sets no indicator {data['indicator']!r} for {product!r} (listed: {known})",
                          field="indicator")
    try:
        convert(data["value"], data["unit"], indicator["unit"])
    except UnknownUnit:
        raise field_error(f"单位 {data['unit']} 不能换算为该指标的单位 {indicator['unit']}",
                          f"unit {data['unit']} does not convert to the indicator's unit {indicator['unit']}",
                          field="unit") from None


class AccountingReportSchema(Schema):
    """``carbon_accounting_report``: an organisation's greenhouse-gas report for a year."""

    reporting_year = fields.Integer(required=True, strict=True, validate=_YEAR,
                                    metadata=field_metadata(Text("报告年度", "Reporting year")))
    sector = FreeText(required=True, validate=validate.Length(min=1, max=40),
                      metadata=field_metadata(Text("行业", "Sector")))
    accounting_standard = StandardNumberField(required=True,
                                              metadata=field_metadata(Text("采用的核算标准", "Accounting standard applied")))
    emissions_tco2e = BoundedDecimal(required=True, allow_nan=False,
                                     validate=validate.Range(min=Decimal(0)),
                                     metadata=field_metadata(Text("排放量(吨二氧化碳当量)", "Emissions (tCO2e)")))
    verifier = FreeText(load_default=None, validate=validate.Length(min=1, max=200),
                        metadata=field_metadata(Text("核查机构", "Verifier")))
    verification_date = fields.Date(load_default=None, metadata=field_metadata(Text("核查日期", "Verification date")))

    @post_load
    def _consistent(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        _year_not_after(data)
        errors: dict[str, list[Any]] = {}
        if (data.get("verifier") is None) != (data.get("verification_date") is None):
            missing = "verification_date" if data.get("verification_date") is None else "verifier"
            errors[missing] = [Bilingual("核查机构与核查日期应同时填写", "give both the verifier and the verification date")]
        checked = data.get("verification_date")
        if checked is not None and checked.year < data["reporting_year"]:
            errors["verification_date"] = [Bilingual(
                f"核查日期 {date_zh(checked)} 早于报告年度 {data['reporting_year']}",
                f"verification date {checked.isoformat()} is before the reporting year {data['reporting_year']}",
            )]
        elif checked is not None and checked > today():  # a verification may follow the report, not today
            errors["verification_date"] = [Bilingual(
                f"核查日期 {date_zh(checked)} 晚于今天:只登记已完成的核查",
                f"verification date {checked.isoformat()} is in the future: only completed verifications are recorded",
            )]
        snapshot = validation_reference(ACCOUNTING_TABLE, data["date"])
        if snapshot is not None:
            sector = _sector_code(snapshot, data["sector"])
            if sector is None:
                given = data["sector"] if len(data["sector"]) <= 40 else data["sector"][:40] + "…"
                names_zh = "、".join(str(r["name_zh"]) for r in snapshot)  # names only: codes stay out of the Chinese
                names_en = ", ".join(f"{r['name_en']} ({r['sector']})" for r in snapshot)
                errors["sector"] = [Bilingual(f"未知行业“{given}”,可选:{names_zh}",
                                              f"unknown sector {given!r}; known: {names_en}")]
            else:
                data["sector"] = sector
        if errors:
            raise ValidationError(errors)
        data["emissions_tco2e"] = str(data["emissions_tco2e"])
        if checked is not None:
            data["verification_date"] = checked.isoformat()
        return data


def _sector_code(snapshot: Any, given: str) -> str | None:
    """The sector code for a code or a Chinese or English name."""
    text = given.strip()
    for row in snapshot:
        if text in (row["sector"], row["name_zh"]) or text.lower() == row["name_en"].lower():
            return str(row["sector"])
    return None


class CertificateSchema(Schema):
    """``low_carbon_certification``: a low-carbon product certificate an organisation holds."""

    product = FreeText(required=True, validate=validate.Length(min=1, max=100),
                       metadata=field_metadata(Text("产品", "Product")))
    certificate_number = FreeText(required=True, validate=validate.Length(min=1, max=60),
                                  metadata=field_metadata(Text("证书编号", "Certificate number")))
    certification_body = FreeText(required=True, validate=validate.Length(min=1, max=200),
                                  metadata=field_metadata(Text("认证机构", "Certification body")))
    standard = StandardNumberField(required=True, metadata=field_metadata(Text("认证依据标准", "Standard")))
    issue_date = fields.Date(required=True, metadata=field_metadata(Text("发证日期", "Issued on")))
    expiry_date = fields.Date(required=True, metadata=field_metadata(Text("有效期至", "Valid until")))

    @post_load
    def _dates(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if data["issue_date"] > data["date"]:  # held on the record's date: issued by then
            raise field_error(f"发证日期 {date_zh(data['issue_date'])} 晚于记录日期 {date_zh(data['date'])}:只登记已颁发的证书",
                              f"issued on {data['issue_date'].isoformat()}, after the record's date "
                              f"{data['date'].isoformat()}: only certificates already issued are recorded",
                              field="issue_date")
        if data["expiry_date"] <= data["issue_date"]:
            raise field_error(f"有效期至 {date_zh(data['expiry_date'])} 不晚于发证日期 {date_zh(data['issue_date'])}",
                              "the expiry date must be after the issue date", field="expiry_date")
        data["issue_date"] = data["issue_date"].isoformat()
        data["expiry_date"] = data["expiry_date"].isoformat()
        return data


# ---------------------------------------------------------------------------
# The carbon topic a standard-drafting record may declare
# ---------------------------------------------------------------------------

CARBON_TOPIC = fields.String(
    validate=validate.OneOf(list(TOPICS)),
    metadata=field_metadata(Text("碳主题", "Carbon topic"), TOPICS),
)

EXTENSIONS = [KindExtension(STANDARD_DRAFTING, {"carbon_topic": CARBON_TOPIC})]

#: The general sector's code, for pages.
GENERAL = GENERAL_SECTOR
