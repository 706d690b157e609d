"""The plugin's read endpoints of the JSON API (``stdpolicy_register_api_endpoints``).

``GET /api/p/city_targets/targets?year=Y[&county=C]``
    Progress to the 2025 targets (一(二)): what the targets page shows, read
    by ``figures.targets_report``.
``GET /api/p/city_targets/counties?year=Y``
    The county assessment of a year (三(三)): indicators, weights, each
    county's values, weighted score and rank, what the assessment page shows
    (``figures.assessment``).

Core mounts them behind a department token (a department that has not
enabled city_targets gets 404) and describes them in ``/api/openapi.json``
from the schemas below. Counts are integers; scores, weights and 万元 values
are exact decimals sent as strings (never floats). Without ``year`` the
answer is the year the pages show (``figures.default_year``); a year outside
the counting period is refused (400 naming ``year``).
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates

from core import CITY_REGIONS, ApiEndpoint, Text

from .figures import assessment, default_year, period, targets_report

__all__ = ["api_endpoints"]


class YearQuerySchema(Schema):
    """``year``: a year of the counting period (default: the year the pages show)."""

    year = fields.Integer(load_default=None, strict=False,
                          metadata={"description": "A year of the counting period; default: this year, "
                                                   "or the period's last once it is over."})

    @validates("year")
    def _in_period(self, value: int | None, **_: Any) -> None:
        if value is None:
            return
        start, end = period()
        if not start.year <= value <= end.year:
            raise ValidationError(f"{value} is not a year of the counting period {start.year}–{end.year}")


class TargetsQuerySchema(YearQuerySchema):
    county = fields.String(load_default=None, validate=validate.OneOf(list(CITY_REGIONS)),
                           metadata={"description": "A region code of the city (330400 the city level, or a "
                                                    "county-level division); default: the whole city."})


class TextSchema(Schema):
    zh = fields.String(required=True)
    en = fields.String(required=True)


class TargetSchema(Schema):
    target = fields.String(required=True, metadata={"description": "The target's key (international, national, …)."})
    name = fields.Nested(TextSchema, required=True)
    goal = fields.Integer(allow_none=True, metadata={"description": "The goal to 2025 as in force at the period's end."})
    count = fields.Integer(required=True, metadata={"description": "New in the year (and county) asked."})
    cumulative = fields.Integer(required=True,
                                metadata={"description": "New from the period's start to the end of the year asked."})
    share = fields.Decimal(as_string=True, allow_none=True,
                           metadata={"description": "Per cent of the goal reached so far (one decimal)."})
    by_year = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    by_county = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class TargetsSchema(Schema):
    year = fields.Integer(required=True)
    county = fields.String(allow_none=True)
    start = fields.Date(required=True, metadata={"description": "The counting period's first day."})
    end = fields.Date(required=True, metadata={"description": "The counting period's last day."})
    targets = fields.List(fields.Nested(TargetSchema), required=True, attribute="figures")


class IndicatorSchema(Schema):
    key = fields.String(required=True)
    name = fields.Nested(TextSchema, required=True)
    unit = fields.Nested(TextSchema, required=True)


class WeightsVersionSchema(Schema):
    sequence = fields.Integer(required=True)
    effective_from = fields.Date(required=True)
    sample = fields.Boolean(required=True, metadata={"description": "The weights are the shipped sample."})


class CountyRowSchema(Schema):
    county = fields.String(required=True)
    name = fields.Nested(TextSchema, required=True)
    values = fields.Dict(keys=fields.String(), values=fields.Decimal(as_string=True), required=True,
                         metadata={"description": "Indicator → value (counts, rewards in 万元)."})
    contributions = fields.Dict(keys=fields.String(), values=fields.Decimal(as_string=True), required=True,
                                metadata={"description": "Indicator → weight × value (weighted indicators only)."})
    score = fields.Decimal(as_string=True, allow_none=True)
    rank = fields.Integer(allow_none=True)


class CountiesSchema(Schema):
    year = fields.Integer(required=True)
    indicators = fields.List(fields.Nested(IndicatorSchema), required=True)
    weights = fields.Dict(keys=fields.String(), values=fields.Decimal(as_string=True), required=True)
    weights_version = fields.Nested(WeightsVersionSchema, allow_none=True,
                                    metadata={"description": "None: no weights in force, no score, no rank."})
    counties = fields.List(fields.Nested(CountyRowSchema), required=True, attribute="rows")


def targets(year: int | None = None, county: str | None = None) -> Any:
    return targets_report(year or default_year(), county)


def counties(year: int | None = None) -> Any:
    return assessment(year or default_year())


def api_endpoints() -> list[ApiEndpoint]:
    return [
        ApiEndpoint("targets", targets, Text("2025年发展目标完成情况", "Progress to the 2025 targets"),
                    TargetsSchema, TargetsQuerySchema,
                    description=Text("一(二):各项目标的目标值、当年新增、累计完成和完成比例,按年度、按县(市、区)。",
                                     "一(二): each target's goal, new in the year, progress and share, by year "
                                     "and county, as the targets page shows them.")),
        ApiEndpoint("counties", counties, Text("县(市、区)年度考核", "County assessment of a year"),
                    CountiesSchema, YearQuerySchema,
                    description=Text("三(三):各县(市、区)的考核指标、加权得分和排名。",
                                     "三(三): each county's indicators, weighted score and rank, as the "
                                     "assessment page shows them.")),
    ]
