"""Units of measured energy-quota values, and the exact conversions between them.

A quota standard states each indicator in one unit (``kgce/t``, ``kW·h/t`` …);
an enterprise may report in another of the same dimension (``tce/t``). The
conversions are decimal scalings only (1 tce = 1000 kgce, 1 MW·h = 1000 kW·h,
1 t = 1000 kg), so a converted value is exact: ``Decimal``, never a float.
Conversions between dimensions (electricity to coal equivalent, GJ to kgce)
depend on a conversion coefficient a standard fixes per edition; they are
refused here rather than guessed.

Hand-written rather than ``pint``: pint has no standard-coal-equivalent
units, and works in floats unless every quantity is built with care.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

__all__ = ["UnknownUnit", "convert", "normalise_unit", "same_unit"]

# Each unit: its dimension and its factor to the dimension's base unit.
_NUMERATORS: dict[str, tuple[str, Decimal]] = {
    "gce": ("coal", Decimal("0.001")),
    "kgce": ("coal", Decimal(1)),
    "tce": ("coal", Decimal(1000)),
    "kW·h": ("electricity", Decimal(1)),
    "MW·h": ("electricity", Decimal(1000)),
    "GW·h": ("electricity", Decimal(1000000)),
    "MJ": ("heat", Decimal(1)),
    "GJ": ("heat", Decimal(1000)),
    "m3": ("volume", Decimal(1)),
    "t": ("mass", Decimal(1000)),
    "kg": ("mass", Decimal(1)),
}
_DENOMINATORS: dict[str, tuple[str, Decimal]] = {
    "g": ("mass", Decimal("0.001")),
    "kg": ("mass", Decimal(1)),
    "t": ("mass", Decimal(1000)),
    "m3": ("volume", Decimal(1)),
    "m2": ("area", Decimal(1)),
}

# Chinese and other common spellings of the same units.
_ALIASES = {
    "千克标准煤": "kgce", "千克标煤": "kgce", "kgce": "kgce",
    "吨标准煤": "tce", "吨标煤": "tce", "tce": "tce",
    "克标准煤": "gce", "克标煤": "gce", "gce": "gce",
    "千瓦时": "kW·h", "kwh": "kW·h", "kw·h": "kW·h", "kw.h": "kW·h", "度": "kW·h",
    "兆瓦时": "MW·h", "mwh": "MW·h", "mw·h": "MW·h", "mw.h": "MW·h",
    "吉瓦时": "GW·h", "gwh": "GW·h", "gw·h": "GW·h",
    "兆焦": "MJ", "mj": "MJ", "吉焦": "GJ", "gj": "GJ",
    "立方米": "m3", "m³": "m3", "m3": "m3", "平方米": "m2", "m²": "m2", "m2": "m2",
    "吨": "t", "t": "t", "千克": "kg", "公斤": "kg", "kg": "kg", "克": "g", "g": "g",
}


class UnknownUnit(ValueError):
    """A unit this module does not know, or two units that do not convert."""


def _part(text: str) -> str:
    key = text.strip()
    canonical = _ALIASES.get(key) or _ALIASES.get(key.lower())
    if canonical is None:
        raise UnknownUnit(text)
    return canonical


def normalise_unit(text: str) -> str:
    """``千克标准煤/吨`` → ``kgce/t``; ``kWh/t`` → ``kW·h/t``. ``UnknownUnit`` if not known."""
    cleaned = unicodedata.normalize("NFKC", text).replace("・", "·").replace("⋅", "·").strip()
    cleaned = re.sub(r"\s+", "", cleaned)
    if cleaned.startswith("(") and cleaned.endswith(")"):
        cleaned = cleaned[1:-1]
    parts = cleaned.split("/")
    if len(parts) == 1:
        return _part(parts[0])
    if len(parts) != 2 or not parts[0] or not parts[1]:
        raise UnknownUnit(text)
    return f"{_part(parts[0])}/{_part(parts[1])}"


def _factor(unit: str) -> tuple[tuple[str, str | None], Decimal]:
    top, _, bottom = unit.partition("/")
    dim, factor = _NUMERATORS[top] if top in _NUMERATORS else _DENOMINATORS[top]
    if not bottom:
        return (dim, None), factor
    if bottom not in _DENOMINATORS:
        raise UnknownUnit(unit)
    bdim, bfactor = _DENOMINATORS[bottom]
    return (dim, bdim), factor / bfactor


def same_unit(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` name the same unit (after normalising both)."""
    try:
        return normalise_unit(a) == normalise_unit(b)
    except UnknownUnit:
        return a.strip() == b.strip()


def convert(value: Decimal, unit: str, to: str) -> Decimal:
    """``value`` in ``unit`` expressed in ``to``, exactly. ``UnknownUnit`` if either is unknown
    or their dimensions differ (``kW·h/t`` does not become ``kgce/t`` without a coefficient)."""
    if same_unit(unit, to):
        return value
    source, target = normalise_unit(unit), normalise_unit(to)
    sdim, sfactor = _factor(source)
    tdim, tfactor = _factor(target)
    if sdim != tdim:
        raise UnknownUnit(f"{unit} → {to}")
    result = value * sfactor / tfactor
    # 0.1 tce/t → 100 kgce/t, not 100.0: the digits a person would write.
    return result.quantize(Decimal(1)) if result == result.to_integral_value() else result.normalize()
