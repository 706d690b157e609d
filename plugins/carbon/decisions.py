"""What the text of 二(五) makes of one record, before any wording: plain functions on plain data.

Each function takes the record's values and the reference rows it is checked
against and returns a small decision (rule id, status, the facts an
explanation names). ``rules.py`` turns decisions into outcomes with their
explanations; the admin pages and the tests call these functions directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from .units import UnknownUnit, convert

__all__ = [
    "AccountingDecision",
    "CertificateDecision",
    "QuotaDecision",
    "decide_accounting",
    "decide_certificate",
    "decide_quota",
    "grade_reached",
    "match_carbon_standard",
    "meets",
    "period_start",
    "series_of",
]


def period_start(year: int) -> date:
    """The day a reporting year's quota edition is read on: 1 January of that year.

    An annual consumption figure is held to the edition in force when the
    year began; an edition that takes effect during the year applies from the
    next reporting year on (docs/policy-readings.md, carbon, reading 2).
    """
    return date(year, 1, 1)


def series_of(code: str) -> str:
    """A standard number without its year: ``GB 16780-2021`` → ``GB 16780``; ``ISO 14067:2018`` → ``ISO 14067``."""
    text = code.strip()
    if ":" in text and text.split(" ", 1)[0].startswith(("ISO", "IEC")):
        return text.split(":", 1)[0]
    head, sep, tail = text.rpartition("-")
    if sep and tail.isdigit() and len(tail) in (2, 4):
        return head
    return text


# ---------------------------------------------------------------------------
# 1. Energy-consumption quotas (落实能耗限额……强制性标准要求)
# ---------------------------------------------------------------------------

def meets(value: Decimal, limit: Decimal, direction: str) -> bool:
    """A value meets a limit: at most the limit when lower is better, at least it when higher is better.

    Exactly at the limit meets it (“≤ 限定值”; GB/T 12723: compliant with a grade ⇔ value ≤ its limit).
    """
    return value <= limit if direction == "lower" else value >= limit


def grade_reached(value: Decimal, grades: Sequence[Decimal], direction: str) -> int | None:
    """The most advanced grade (1 = most advanced) whose limit the value meets; ``None`` if none."""
    for number, limit in enumerate(grades, start=1):
        if meets(value, limit, direction):
            return number
    return None


@dataclass(frozen=True)
class QuotaDecision:
    """The decision on one energy-quota report.

    ``rule``: ``Q1`` meets the requirement (``grade`` reached, possibly none
    for a new plant held to its access value); ``Q2`` an existing plant below
    the limit value (不达标, rectification); ``Q3`` a new or expanded plant
    missing the access value; ``Q9`` not checkable (no row, no conversion).
    """

    rule: str
    status: str
    grade: int | None = None
    #: The value in the indicator's unit (converted if reported in another).
    value: Decimal | None = None
    unit: str = ""
    #: The limit value and the access value compared (in the indicator's unit).
    limit: Decimal | None = None
    access: Decimal | None = None
    grades: tuple[Decimal, ...] = ()
    direction: str = "lower"
    #: ``limit`` or ``access``: which requirement decided.
    requirement: str = "limit"
    #: The access value was not recorded: a new plant was held to the limit value.
    access_missing: bool = False
    reason: str | None = None


def _indicator(row: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    return next((i for i in row.get("indicators") or () if i["name"] == name), None)


def limit_of(indicator: Mapping[str, Any]) -> Decimal:
    """The limit value (限定值): the one recorded, else the least advanced grade's limit."""
    limit = indicator.get("limit")
    return Decimal(limit) if limit is not None else Decimal(indicator["grades"][-1])


def decide_quota(row: Mapping[str, Any] | None, indicator_name: str, value: Decimal, unit: str,
                 plant_type: str) -> QuotaDecision:
    """Grade an energy-quota report against its standard edition's row."""
    indicator = _indicator(row, indicator_name) if row is not None else None
    if indicator is None:
        return QuotaDecision("Q9", "held", reason="no_row")
    target_unit = indicator["unit"]
    try:
        converted = convert(value, unit, target_unit)
    except UnknownUnit:
        return QuotaDecision("Q9", "held", reason="unit", unit=target_unit)
    direction = indicator["direction"]
    grades = tuple(Decimal(g) for g in indicator["grades"])
    limit = limit_of(indicator)
    access = Decimal(indicator["access"]) if indicator.get("access") is not None else None
    grade = grade_reached(converted, grades, direction)
    common = dict(value=converted, unit=target_unit, limit=limit, access=access, grades=grades, direction=direction)
    if plant_type == "new":
        if access is None:
            # No access value recorded for the indicator: the new plant is held to the limit value, and told so.
            if meets(converted, limit, direction):
                return QuotaDecision("Q1", "compliant", grade=grade, access_missing=True, **common)
            return QuotaDecision("Q3", "non_compliant", grade=grade, requirement="limit", access_missing=True,
                                 reason="access", **common)
        if meets(converted, access, direction):
            return QuotaDecision("Q1", "compliant", grade=grade, requirement="access", **common)
        return QuotaDecision("Q3", "non_compliant", grade=grade, requirement="access", reason="access", **common)
    if meets(converted, limit, direction):
        return QuotaDecision("Q1", "compliant", grade=grade, **common)
    return QuotaDecision("Q2", "non_compliant", grade=None, reason="limit", **common)


# ---------------------------------------------------------------------------
# 2. Carbon standards (争取参与制定一批碳标签、碳足迹、碳捕获利用等关键标准)
# ---------------------------------------------------------------------------

def match_carbon_standard(code: str, rows: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The row of the carbon-standard list a standard number falls under, if any.

    A row names a standard without its year (``GB/T 24067``) and covers every
    edition of it, and a series row (``GB/T 32151``) covers its parts
    (``GB/T 32151.31-2024``). The most specific row wins (of rows naming the
    same standard, the first).

    Every standard-drafting record asks this: the list is indexed by the
    standard each row names, once per version of the list, and the number's
    own series and its parents (``GB/T 32151.31`` → ``GB/T 32151``) are looked
    up, longest first — what comparing with every row gives.
    """
    index = _index_of(rows)
    series = series_of(code)
    found = index.get(series)
    if found is not None:
        return found
    end = series.rfind(".")
    while end >= 0:
        found = index.get(series[:end])
        if found is not None:
            return found
        end = series.rfind(".", 0, end)
    return None


#: id(rows) → (rows, {series named: its first row}); rows kept so that their id is not reused.
_INDEXES: dict[int, tuple[Any, dict[str, Mapping[str, Any]]]] = {}


def _index_of(rows: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    held = _INDEXES.get(id(rows))
    if held is not None and held[0] is rows:
        return held[1]
    index: dict[str, Mapping[str, Any]] = {}
    for row in rows:
        index.setdefault(series_of(row["standard"]), row)
    # Only an immutable collection (a reference snapshot's rows are shared, never changed) is kept.
    if isinstance(rows, (tuple, frozenset)) or type(rows).__name__ == "ReferenceSnapshot":
        if len(_INDEXES) > 64:
            _INDEXES.clear()
        _INDEXES[id(rows)] = (rows, index)
    return index


# ---------------------------------------------------------------------------
# 3. Carbon accounting (实施全国统一的碳排放核查核算标准)
# ---------------------------------------------------------------------------

#: The sector code whose reports follow the general rules (GB/T 32150).
GENERAL_SECTOR = "other_industry"


@dataclass(frozen=True)
class AccountingDecision:
    """``A1`` consistent and verified; ``A2`` consistent, not yet verified; ``A3`` not
    consistent with the sector's national standard; ``A9`` the sector is not in the table."""

    rule: str
    status: str
    consistent: bool
    verified: bool
    expected: tuple[str, ...] = ()
    reason: str | None = None


def decide_accounting(sector: str, standard: str, verified: bool,
                      rows: Sequence[Mapping[str, Any]]) -> AccountingDecision:
    """Check the accounting standard a report applied against the sector ↔ standard table.

    A sector with its own part of GB/T 32151 must apply that part (any
    edition). The general sector (``other_industry``) applies GB/T 32150 or a
    part of GB/T 32151 the table assigns to no sector (the table need not
    list every part: docs/policy-readings.md, carbon, reading 5).
    """
    row = next((r for r in rows if r["sector"] == sector), None)
    if row is None:
        return AccountingDecision("A9", "held", False, verified, reason="sector")
    applied = series_of(standard)
    if sector == GENERAL_SECTOR:
        assigned = {series_of(r["standard"]) for r in rows if r["sector"] != GENERAL_SECTOR}
        consistent = applied == series_of(row["standard"]) or (
            applied.startswith("GB/T 32151.") and applied not in assigned)
    else:
        consistent = applied == series_of(row["standard"])
    expected = (row["standard"],)
    if not consistent:
        return AccountingDecision("A3", "non_compliant", False, verified, expected, reason="standard")
    if not verified:
        return AccountingDecision("A2", "tracking", True, False, expected, reason="not_verified")
    return AccountingDecision("A1", "compliant", True, True, expected)


# ---------------------------------------------------------------------------
# 4. Low-carbon product certificates (推行低碳产品标准标识制度)
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class CertificateDecision:
    """``L1`` valid; ``L2`` valid and expiring within the warning period; ``L3`` expired."""

    rule: str
    status: str
    days_left: int


def decide_certificate(expiry: date, on: date, warning_days: int) -> CertificateDecision:
    """A certificate is valid through its expiry date (有效期至 that day, inclusive) and expired from the next day."""
    days_left = (expiry - on).days
    if days_left < 0:
        return CertificateDecision("L3", "non_compliant", days_left)
    if days_left <= warning_days:
        return CertificateDecision("L2", "compliant", days_left)
    return CertificateDecision("L1", "compliant", days_left)


def expiring_before(on: date, warning_days: int) -> date:
    """The last expiry date that counts as expiring on ``on``."""
    return on + timedelta(days=warning_days)
