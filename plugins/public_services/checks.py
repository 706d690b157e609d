"""The checks of the three lists (二(三)1 及时跟踪标准水平; the national standard's "not lower").

Pure functions over the rows of the versions in force (any ``Sequence`` of
row dicts as the row schemas load them), so the admin pages, the command
line and tests ask the same questions:

- ``lower_than_national``: a local standard (DB33/T, DB3304/T …) sets an
  indicator of an item lower than a national standard (GB, GB/T) supporting
  the same item sets it — "lower" read with the indicator's direction;
- ``gaps``: an item of the service list with no supporting standard in force;
- ``outdated``: a supporting standard in force older than the review age
  (a dated parameter, 5 years from 2022-08-01), flagged for review.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from core import InvalidStandardNumber, parse_standard_number

from .rules import meets

__all__ = ["Finding", "gaps", "issued_on", "lower_than_national", "outdated", "review_due", "standard_level"]

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Finding:
    """One problem of the lists: which item, which standard, what is wrong (the figures in ``details``)."""

    check: str
    item_code: str
    item_name: str
    standard: str | None
    details: Mapping[str, Any]


def standard_level(number: str) -> str | None:
    """``national``, ``local`` … as the number shows it (``None`` for a number that does not parse)."""
    try:
        return parse_standard_number(number).level
    except InvalidStandardNumber:
        return None


def _items(service_list: Iterable[Row]) -> dict[str, Row]:
    return {row["item_code"]: row for row in service_list}


def _in_force(standards: Iterable[Row]) -> list[Row]:
    return [row for row in standards if row["status"] == "in_force"]


def lower_than_national(service_list: Sequence[Row], standards: Sequence[Row]) -> list[Finding]:
    """Each (item, indicator, local standard, national standard) where the local value is lower.

    Only standards in force count; the direction is the service list's for
    that indicator (an indicator the list does not hold is read as "higher
    is better", the national standard's floor). A local standard that equals
    the national value is not lower.
    """
    items = _items(service_list)
    by_item: dict[str, list[Row]] = {}
    for row in _in_force(standards):
        by_item.setdefault(row["item_code"], []).append(row)
    found = []
    for code, rows in sorted(by_item.items()):
        item = items.get(code)
        directions = {i["code"]: i["direction"] for i in (item or {}).get("indicators", [])}
        national = [r for r in rows if standard_level(r["standard"]) == "national"]
        local = [r for r in rows if standard_level(r["standard"]) == "local"]
        for loc in local:
            for indicator in loc["indicators"]:
                for nat in national:
                    theirs = next((i for i in nat["indicators"] if i["code"] == indicator["code"]), None)
                    if theirs is None:
                        continue
                    direction = directions.get(indicator["code"], "higher")
                    if not meets(Decimal(indicator["value"]), Decimal(theirs["value"]), direction):
                        found.append(Finding("lower", code, (item or {}).get("name", code), loc["standard"], {
                            "indicator": indicator["code"], "local_value": str(indicator["value"]),
                            "national_value": str(theirs["value"]), "national_standard": nat["standard"],
                            "direction": direction,
                        }))
    return found


def gaps(service_list: Sequence[Row], standards: Sequence[Row]) -> list[Finding]:
    """Each item of the service list that no standard in force supports."""
    supported = {row["item_code"] for row in _in_force(standards)}
    listed = {row["item_code"]: row for row in standards}
    return [Finding("gap", row["item_code"], row["name"], None,
                    {"reason": "not_in_force" if row["item_code"] in listed else "none"})
            for row in sorted(service_list, key=lambda r: _sort_key(r["item_code"]))
            if row["item_code"] not in supported]


def issued_on(row: Row) -> date | None:
    """The standard's issue date: its ``issued`` date, else 1 January of its number's year."""
    if row.get("issued") is not None:
        return row["issued"]
    try:
        year = parse_standard_number(row["standard"]).year
    except InvalidStandardNumber:
        return None
    return date(year, 1, 1) if year is not None else None


def review_due(issued: date, review_years: int) -> date:
    """The anniversary ``review_years`` after ``issued`` (29 February → 28 February in a common year)."""
    try:
        return issued.replace(year=issued.year + review_years)
    except ValueError:
        return issued.replace(year=issued.year + review_years, day=28)


def outdated(service_list: Sequence[Row], standards: Sequence[Row], on: date, review_years: int) -> list[Finding]:
    """Each supporting standard in force older than ``review_years`` on ``on``: flagged for review.

    "Older than five years" is read strictly: a standard issued on 1 June
    2019 is flagged from 2 June 2024, not on 1 June 2024.
    """
    items = _items(service_list)
    found = []
    for row in sorted(_in_force(standards), key=lambda r: (_sort_key(r["item_code"]), r["standard"])):
        issued = issued_on(row)
        if issued is None:
            continue
        due = review_due(issued, review_years)
        if on > due:
            found.append(Finding("outdated", row["item_code"], (items.get(row["item_code"]) or {}).get(
                "name", row["item_code"]), row["standard"],
                {"issued": issued.isoformat(), "due": due.isoformat(), "review_years": review_years}))
    return found


def _sort_key(code: str) -> tuple[int, ...]:
    return tuple(int(part) for part in code.split("."))
