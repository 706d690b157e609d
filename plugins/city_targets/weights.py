"""The assessment weights of 三(三): a versioned reference table the leading group's office maintains.

三(三) 将标准化工作纳入县(市、区)政府……的年度绩效考核,探索建立……县(市、区)标准化工作评价体系
puts standardisation into the counties' annual assessment but sets no
indicator weights. So none ship as fact: the table's only shipped version is
a sample (`stdpolicy init --demo`, marked 示例数据); the office records the
real weights as a dated version (admin: 参考数据, or `stdpolicy refdata import`).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from marshmallow import Schema, fields, validate, validates

from core import BoundedDecimal, ReferenceTable, Text, field_error, field_metadata, load_reference_versions

from .counting import TARGET_NAMES, TARGETS

__all__ = ["WeightRowSchema", "weights_table"]

_FIGURE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
_NAMES = {**TARGET_NAMES, "rewards": Text("获得奖励和补助(每万元)", "Rewards received (per 10,000 yuan)")}


class WeightRowSchema(Schema):
    """One indicator's weight: a target's count, ``rewards`` (per 万元), or another plugin's figure (``plugin.key``)."""

    indicator = fields.String(required=True, validate=validate.Length(min=1, max=80),
                              metadata=field_metadata(Text("指标", "Indicator"), _NAMES))
    weight = BoundedDecimal(required=True, allow_nan=False, places=None,
                            validate=validate.Range(min=Decimal(0), max=Decimal(1000)),
                            metadata=field_metadata(Text("权重(每项或每万元得分)", "Weight (points per item or per 10,000 yuan)")))

    @validates("indicator")
    def _known(self, value: str, **kwargs: Any) -> None:
        if value not in TARGETS and value != "rewards" and not _FIGURE.match(value):
            raise field_error(
                f"未知指标“{value}”(应为目标类别、rewards 或其他插件的看板指标 插件.指标)",
                f"unknown indicator {value!r} (a target, rewards, or another plugin's dashboard figure plugin.key)",
                field="indicator")


def weights_table() -> ReferenceTable:
    return ReferenceTable(
        key="city_targets.assessment_weights", label=Text("县(市、区)考核指标权重", "County assessment weights"),
        schema=WeightRowSchema, key_fields=("indicator",), clause="三(三)",
        description=Text("年度绩效考核中各指标的权重:得分 = Σ 权重 × 指标值(奖励以万元计)",
                         "The weight of each indicator in the annual assessment: score = Σ weight × value "
                         "(rewards in 10,000 yuan)"),
        versions=load_reference_versions("data/assessment_weights.yaml", __package__ or "plugins.city_targets"),
    )
