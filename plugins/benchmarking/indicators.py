"""Indicators measured against a required value: the one comparison every benchmarking rule makes.

A benchmark result compares a product's own values with the benchmark
standard's (二(六)1 对标达标); a forerunner evaluation compares the values an
enterprise or group standard declares with the national or industry
standard's (二(七)1 领跑者: not below it). Both are lists of indicators, each
with a direction:

- ``higher`` (越高越好): met when the value is at least the required value;
- ``lower`` (越低越好): met when the value is at most the required value;
- ``range`` (区间): met when the value lies within the bounds, edges included.

Equal to the required value, or on a range's edge, meets it. Values are
``Decimal`` (exact: ``0.1 + 0.2`` is never ``0.30000000000000004`` here).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core import Text

__all__ = ["DIRECTIONS", "IndicatorCheck", "check_indicator", "check_indicators", "decimal", "number", "required_decimal"]

DIRECTIONS: dict[str, Text] = {
    "higher": Text("越高越好", "higher is better"),
    "lower": Text("越低越好", "lower is better"),
    "range": Text("区间", "within a range"),
}


def number(value: Decimal) -> str:
    """A decimal as written, without exponent or trailing zeros (``12.50`` → ``12.5``)."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


@dataclass(frozen=True)
class IndicatorCheck:
    """One indicator checked: whether it meets its requirement, and by how much it misses."""

    name: str
    unit: str
    core: bool
    #: ``True`` met, ``False`` missed, ``None`` no value to check.
    meets: bool | None
    #: How far from the requirement (positive) when missed; ``None`` otherwise.
    gap: Decimal | None
    #: What was required, as read by people (``≥ 95``, ``≤ 0.5``, ``10–12``).
    required: Text
    value: Decimal | None

    def describe(self) -> Text:
        """``抗拉强度 2150 MPa(要求 ≥ 2100 MPa):达到`` — one line of an explanation."""
        unit = f" {self.unit}" if self.unit else ""
        tag = Text("核心指标", "core indicator") if self.core else Text("一般指标", "other indicator")
        if self.meets is None:
            return Text(f"{self.name}({tag.zh}):无实测值,要求{self.required.zh}",
                        f"{self.name} ({tag.en}): no value given, required {self.required.en}")
        shown = number(self.value) if self.value is not None else "—"
        if self.meets:
            return Text(f"{self.name}({tag.zh})为{shown}{unit},要求{self.required.zh}:达到",
                        f"{self.name} ({tag.en}) {shown}{unit}, required {self.required.en}: met")
        gap = number(self.gap) if self.gap is not None else "—"
        return Text(f"{self.name}({tag.zh})为{shown}{unit},要求{self.required.zh}:未达到,相差{gap}{unit}",
                    f"{self.name} ({tag.en}) {shown}{unit}, required {self.required.en}: missed by {gap}{unit}")


def decimal(value: Any) -> Decimal | None:
    """An indicator's number as stored (exact text, or a Decimal) as a Decimal; ``None`` stays ``None``."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def required_decimal(value: Any) -> Decimal:
    """A number the schema requires (a target, a bound): never ``None`` once validated."""
    found = decimal(value)
    if found is None:
        raise ValueError("a required value is missing")
    return found


def _required(direction: str, indicator: Mapping[str, Any], unit: str) -> Text:
    if direction == "higher":
        v = number(required_decimal(indicator["target"]))
        return Text(f"≥ {v}{unit}", f"≥ {v}{unit}")
    if direction == "lower":
        v = number(required_decimal(indicator["target"]))
        return Text(f"≤ {v}{unit}", f"≤ {v}{unit}")
    low, high = number(required_decimal(indicator["minimum"])), number(required_decimal(indicator["maximum"]))
    return Text(f"{low}–{high}{unit}(含端点)", f"{low}–{high}{unit} (edges included)")


def check_indicator(indicator: Mapping[str, Any]) -> IndicatorCheck:
    """Check one indicator as the schema loaded it (``direction``, ``value``, ``target`` or ``minimum``/``maximum``)."""
    direction = indicator["direction"]
    unit = indicator.get("unit") or ""
    required = _required(direction, indicator, f" {unit}" if unit else "")
    value = decimal(indicator.get("value"))
    meets: bool | None
    gap: Decimal | None = None
    if value is None:
        meets = None
    elif direction == "higher":
        target = required_decimal(indicator["target"])
        meets = value >= target
        gap = None if meets else target - value
    elif direction == "lower":
        target = required_decimal(indicator["target"])
        meets = value <= target
        gap = None if meets else value - target
    else:
        low, high = required_decimal(indicator["minimum"]), required_decimal(indicator["maximum"])
        meets = low <= value <= high
        gap = None if meets else (low - value if value < low else value - high)
    return IndicatorCheck(indicator["name"], unit, bool(indicator.get("core")), meets, gap, required, value)


def check_indicators(indicators: Sequence[Mapping[str, Any]]) -> list[IndicatorCheck]:
    return [check_indicator(i) for i in indicators]
