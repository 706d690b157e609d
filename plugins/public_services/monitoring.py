"""What the monitoring pages show, computed from the monitoring outcomes (no SQL, no Flask).

二(三)1 加强标准实施监测 … 及时跟踪标准水平和实施进展: the pages count, per
county and aspect, how many monitored indicators meet their standard; show
each item's trend over the periods; list the indicators below standard (the
alert list). All of it is read from the outcomes' ``details``, which the
rules fill (``rules.evaluate_monitoring``), so a page shows exactly what the
outcomes decided, with the list version they read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from core import Text

from .periods import Period, parse_period

__all__ = ["Cell", "MonitoringRow", "TrendLine", "alerts", "county_aspect_table", "latest", "row_of", "trends"]


@dataclass(frozen=True)
class MonitoringRow:
    """One monitoring record with its current outcome."""

    ref: str
    date: date
    region: str
    item_code: str
    indicator: str
    period: Period
    value: str
    status: str
    rule: str
    explanation: Text
    item_name: str = ""
    indicator_name: str = ""
    unit: str = ""
    standard_value: str | None = None
    direction: str | None = None
    source: str = ""
    #: The list version the outcome read: ``{key, sequence, effective_from, source}``.
    references: tuple[Mapping[str, Any], ...] = ()

    @property
    def aspect(self) -> str:
        return self.item_code.split(".", 1)[0]

    @property
    def quantitative(self) -> bool:
        return self.status in ("compliant", "non_compliant")


def row_of(ref: str, day: date, fields: Mapping[str, Any], status: str, rule: str, explanation: Text,
           details: Mapping[str, Any] | None, references: Sequence[Mapping[str, Any]] = ()) -> MonitoringRow:
    """A ``MonitoringRow`` from a stored activity's fields and its outcome."""
    d = details or {}
    return MonitoringRow(
        ref=ref, date=day, region=fields["region"], item_code=fields["item_code"], indicator=fields["indicator"],
        period=parse_period(fields["period"]), value=str(fields["value"]), status=status, rule=rule,
        explanation=explanation, item_name=d.get("item_name", ""), indicator_name=d.get("indicator_name", ""),
        unit=d.get("unit", ""), standard_value=d.get("standard_value"), direction=d.get("direction"),
        source=fields.get("source", ""), references=tuple(references),
    )


def latest(rows: Iterable[MonitoringRow], *, year: int | None = None) -> list[MonitoringRow]:
    """Per county, item and indicator, the row of the latest period (of ``year``, if given).

    Two records of the same county, item, indicator and period: the later
    dated one (a correction) counts.
    """
    best: dict[tuple[str, str, str], MonitoringRow] = {}
    for row in rows:
        if year is not None and row.period.year != year:
            continue
        key = (row.region, row.item_code, row.indicator)
        seen = best.get(key)
        if seen is None or (row.period.sort_key, row.date) >= (seen.period.sort_key, seen.date):
            best[key] = row
    return sorted(best.values(), key=lambda r: (r.region, _code_key(r.item_code), r.indicator))


@dataclass
class Cell:
    """A county × aspect cell: monitored indicators with a quantitative standard, how many meet it, tracked ones."""

    met: int = 0
    quantitative: int = 0
    tracked: int = 0
    below: list[MonitoringRow] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.quantitative or self.tracked)


def county_aspect_table(rows: Iterable[MonitoringRow], counties: Sequence[str],
                        aspects: Sequence[str]) -> dict[tuple[str, str], Cell]:
    """``{(county, aspect): Cell}`` over the latest rows given (see ``latest``), every pair present."""
    table = {(county, aspect): Cell() for county in counties for aspect in aspects}
    for row in rows:
        cell = table.setdefault((row.region, row.aspect), Cell())
        if row.status == "compliant":
            cell.met += 1
            cell.quantitative += 1
        elif row.status == "non_compliant":
            cell.quantitative += 1
            cell.below.append(row)
        elif row.status == "tracking":
            cell.tracked += 1
    return table


@dataclass(frozen=True)
class TrendLine:
    """One county's values of one indicator of an item, period by period."""

    region: str
    indicator: str
    indicator_name: str
    unit: str
    points: tuple[MonitoringRow, ...]


def trends(rows: Iterable[MonitoringRow], item_code: str) -> tuple[list[Period], list[TrendLine]]:
    """The periods monitored for ``item_code`` (in order) and a line per county and indicator."""
    mine = [r for r in rows if r.item_code == item_code]
    periods = sorted({r.period for r in mine}, key=lambda p: p.sort_key)
    lines: dict[tuple[str, str], dict[Period, MonitoringRow]] = {}
    for row in sorted(mine, key=lambda r: r.date):
        lines.setdefault((row.region, row.indicator), {})[row.period] = row
    out = []
    for (region, indicator), points in sorted(lines.items()):
        ordered = tuple(points[p] for p in periods if p in points)
        last = ordered[-1]
        out.append(TrendLine(region, indicator, last.indicator_name or indicator, last.unit, ordered))
    return periods, out


def alerts(rows: Iterable[MonitoringRow]) -> list[MonitoringRow]:
    """The latest rows below their standard (the alert list), by county and item."""
    return [row for row in rows if row.status == "non_compliant"]


def _code_key(code: str) -> tuple[int, ...]:
    return tuple(int(part) for part in code.split(".") if part.isdecimal() and len(part) <= 12)
