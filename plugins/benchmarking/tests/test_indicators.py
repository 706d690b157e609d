"""The one comparison: an indicator against its requirement, by direction, exactly."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from plugins.benchmarking.indicators import check_indicator, number


def indicator(direction: str, value: str | None, **bounds: str) -> dict:
    return {"name": "x", "unit": "u", "direction": direction, "core": True,
            "value": None if value is None else D(value), **{k: D(v) for k, v in bounds.items()}}


@pytest.mark.parametrize(("item", "meets", "gap"), [
    (indicator("higher", "10", target="10"), True, None),          # equal meets
    (indicator("higher", "9.99", target="10"), False, "0.01"),
    (indicator("lower", "0.5", target="0.5"), True, None),         # equal meets
    (indicator("lower", "0.50001", target="0.5"), False, "0.00001"),
    (indicator("range", "197", minimum="197", maximum="209"), True, None),   # lower edge
    (indicator("range", "209", minimum="197", maximum="209"), True, None),   # upper edge
    (indicator("range", "196.9", minimum="197", maximum="209"), False, "0.1"),
    (indicator("range", "209.1", minimum="197", maximum="209"), False, "0.1"),
    (indicator("higher", None, target="10"), None, None),          # no value: not checked, not met
])
def test_directions_and_edges(item: dict, meets: bool | None, gap: str | None) -> None:
    check = check_indicator(item)
    assert check.meets is meets
    assert (number(check.gap) if check.gap is not None else None) == gap


def test_exact_decimals_no_float_drift() -> None:
    # 0.1 + 0.2 as floats is 0.30000000000000004: as Decimals the requirement is met exactly.
    check = check_indicator(indicator("higher", str(D("0.1") + D("0.2")), target="0.3"))
    assert check.meets is True


def test_the_line_says_value_requirement_and_gap_in_both_languages() -> None:
    line = check_indicator(indicator("lower", "0.11", target="0.10")).describe()
    assert "0.11 u" in line.zh and "≤ 0.1 u" in line.zh and "相差0.01 u" in line.zh
    assert "missed by 0.01 u" in line.en
