"""The reference tables the benchmarking plugin reads: campaigns, and forerunner numbers per category.

Both are versioned by core (docs/reference-data.md): a department records a
new version with its effective date, reason and reference, never
overwriting. The plugin ships no cited version of either (the document
gives no campaign, no target and no number of forerunners); the sample
versions are stored by ``stdpolicy init --demo`` only, marked as samples.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from core import ReferenceTable, Text, field_metadata, load_reference_versions

from .rules import QUOTAS
from .schemas import CAMPAIGNS

__all__ = ["CampaignRow", "QuotaRow", "reference_tables"]


class CampaignRow(Schema):
    """A 对标达标 campaign of a year and a key field, with its targets."""

    year = fields.Integer(strict=True, required=True, validate=validate.Range(min=2000, max=2100),
                          metadata=field_metadata(Text("年度", "Year")))
    field = fields.String(required=True, validate=validate.Length(min=1, max=60),
                          metadata=field_metadata(Text("重点领域", "Key field")))
    name = fields.String(load_default="", validate=validate.Length(max=200),
                         metadata=field_metadata(Text("专项行动名称", "Campaign name")))
    target_enterprises = fields.Integer(strict=True, required=True, validate=validate.Range(min=0),
                                        metadata=field_metadata(Text("目标企业数", "Target enterprises")))
    target_products = fields.Integer(strict=True, required=True, validate=validate.Range(min=0),
                                     metadata=field_metadata(Text("目标产品数", "Target products")))


class QuotaRow(Schema):
    """How many forerunners a product category's list holds."""

    category = fields.String(required=True, validate=validate.Length(min=1, max=200),
                             metadata=field_metadata(Text("产品类别", "Product category")))
    top_n = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=1000),
                           metadata=field_metadata(Text("榜单名额", "Forerunners on the list")))


def reference_tables() -> list[ReferenceTable]:
    return [
        ReferenceTable(
            key=CAMPAIGNS,
            label=Text("对标达标专项行动", "Benchmarking campaigns"),
            description=Text("各年度重点领域对标达标专项行动及其目标企业数、产品数",
                             "Each year's campaigns per key field, with target numbers of enterprises and products"),
            schema=CampaignRow, key_fields=("year", "field"), clause="二(六)1",
            versions=tuple(load_reference_versions("campaigns.yaml", __package__)),
        ),
        ReferenceTable(
            key=QUOTAS,
            label=Text("领跑者名额表", "Forerunner quotas"),
            description=Text("各产品类别“领跑者”榜单列入的单位数(未列明的类别按全市统一名额)",
                             "How many forerunners each product category's list holds (others: the city-wide number)"),
            schema=QuotaRow, key_fields=("category",), clause="二(七)1",
            versions=tuple(load_reference_versions("forerunner_quotas.yaml", __package__)),
        ),
    ]
