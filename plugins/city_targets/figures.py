"""The city's figures for a year: progress to the 2025 targets (一(二)) and the county assessment (三(三)).

Read from the stored register through the plugin API (``stored_activities``,
``stored_outcomes``, ``stored_parameters``, ``stored_references``); needs an
application context (a page, a command, a report). ``city_figures(year)``
is what an annual report calls: the targets and the assessment table of one
year, as the pages and the command line show them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from core import (
    CITY_REGIONS,
    SHARED_KINDS,
    Text,
    current_registry,
    region_of,
    stored_activities,
    stored_outcomes,
    stored_parameters,
    stored_references,
    today,
)

from .counting import KINDS, TARGET_NAMES, TARGETS, Item, count_items, in_period

__all__ = ["ASSESSED_COUNTIES", "all_items", "default_year", "Assessment", "CountyRow", "Indicator", "PLUGIN", "TargetFigure", "TargetsReport",
           "WEIGHTS_TABLE", "assessment", "city_figures", "goal_key", "period", "target_items", "targets_report"]

PLUGIN = "city_targets"
WEIGHTS_TABLE = "city_targets.assessment_weights"
ASSESSMENT_CLAUSE = "三(三)"
#: 县(市、区): the seven county-level divisions the assessment ranks (the city level, 330400, is not one).
ASSESSED_COUNTIES = tuple(code for code in CITY_REGIONS if code != "330400")
#: The reward plugin whose current outcomes are the rewards a county received.
REWARD_PLUGIN = "reward_tiers"
REWARDS = "rewards"
_TEN_THOUSAND = Decimal(10000)


def goal_key(target: str) -> str:
    return f"{PLUGIN}.goal.{target}"


def period() -> tuple[date, date]:
    """The counting period of 新增 as the parameters in force today set it."""
    params = stored_parameters()
    on = max(today(), date(2022, 8, 1))
    start = params.value(f"{PLUGIN}.period_start", on)
    end = params.value(f"{PLUGIN}.period_end", on)
    return (start.value if start else date(2022, 1, 1)), (end.value if end else date(2025, 12, 31))


@dataclass
class TargetFigure:
    """One target: its goal (as in force at the period's end) and what counts towards it."""

    target: str
    name: Text
    goal: int | None
    #: New in the year shown (the whole period when no year is chosen).
    count: int
    #: New from the period's start to the end of the year shown (the whole period when none): the progress.
    cumulative: int
    by_year: dict[int, int]
    by_county: dict[str, int]

    @property
    def share(self) -> Decimal | None:
        """Per cent of the goal reached so far (one decimal), ``None`` without a goal."""
        if not self.goal:
            return None
        return (Decimal(self.cumulative) * 100 / Decimal(self.goal)).quantize(Decimal("0.1"))


@dataclass
class TargetsReport:
    start: date
    end: date
    year: int | None
    county: str | None
    years: list[int]
    counties: list[str]
    figures: list[TargetFigure]


def _items() -> dict[str, list[Item]]:
    return count_items(stored_activities(kinds=KINDS))


def targets_report(year: int | None = None, county: str | None = None) -> TargetsReport:
    """Each target's goal and count over the period (in ``year`` and ``county`` if given), by year and county."""
    start, end = period()
    params = stored_parameters()
    items = _items()
    years = list(range(start.year, end.year + 1))
    figures = []
    for target in TARGETS:
        counted = in_period(items[target], start, end)
        goal = params.value(goal_key(target), end)
        selected = in_period(counted, start, end, year=year, county=county)
        so_far = in_period(counted, start, min(end, date(year, 12, 31)) if year else end, county=county)
        by_year = {y: len(in_period(counted, start, end, year=y, county=county)) for y in years}
        by_county = {c: len(in_period(counted, start, end, year=year, county=c)) for c in CITY_REGIONS}
        figures.append(TargetFigure(target, TARGET_NAMES[target], goal.value if goal else None, len(selected),
                                    len(so_far), by_year, by_county))
    return TargetsReport(start, end, year, county, years, list(CITY_REGIONS), figures)


def target_items(target: str, year: int | None = None, county: str | None = None,
                 items: dict[str, list[Item]] | None = None) -> list[Item]:
    """The achievements behind one count (the list one click away from it); ``items`` reuses a count already read."""
    start, end = period()
    return in_period((items or _items())[target], start, end, year=year, county=county)


def all_items() -> dict[str, list[Item]]:
    """Every target's achievements in the register (before the period is applied), read once for several lists."""
    return _items()


def default_year() -> int:
    """The year a page or command shows when none is asked: this year, or the period's last when it is over."""
    return min(today().year, period()[1].year)


# -- the county assessment (三(三)) ------------------------------------------------------


@dataclass(frozen=True)
class Indicator:
    """A column of the assessment: a target's count, the rewards received (万元), or another plugin's figure."""

    key: str
    name: Text
    unit: Text


@dataclass
class CountyRow:
    county: str
    name: Text
    values: dict[str, Decimal]
    #: indicator → weight × value (only the indicators with a weight).
    contributions: dict[str, Decimal] = field(default_factory=dict)
    score: Decimal | None = None
    rank: int | None = None


@dataclass
class Assessment:
    year: int
    indicators: list[Indicator]
    weights: dict[str, Decimal]
    #: The weights version read: its number, its date, whether it is sample data; ``None``: none in force.
    weights_version: dict[str, Any] | None
    rows: list[CountyRow]

    def row(self, county: str) -> CountyRow:
        return next(r for r in self.rows if r.county == county)


def indicators() -> list[Indicator]:
    """The assessment's columns: the seven targets, the rewards received, the figures other plugins declare."""
    found = [Indicator(t, TARGET_NAMES[t], Text("项", "count")) for t in TARGETS]
    found.append(Indicator(REWARDS, Text("获得奖励和补助", "Rewards received"), Text("万元", "10,000 yuan")))
    for plugin, figure in current_registry().figures():
        if plugin in (PLUGIN, REWARD_PLUGIN):  # reward_tiers' figures repeat the targets' counts and the rewards
            continue
        unit = Text("项", "count") if figure.measure == "count" else Text("万元", "10,000 yuan")
        found.append(Indicator(f"{plugin}.{figure.key}", figure.label, unit))
    return found


def _weights(year: int) -> tuple[dict[str, Decimal], dict[str, Any] | None]:
    snapshot = stored_references().snapshot(WEIGHTS_TABLE, date(year, 12, 31))
    if snapshot is None:
        return {}, None
    weights = {row["indicator"]: Decimal(str(row["weight"])) for row in snapshot.rows}
    version = snapshot.version
    return weights, {"sequence": version.sequence, "effective_from": version.effective_from, "sample": snapshot.sample}


def _figure_values(year: int) -> dict[str, dict[str, Decimal]]:
    """Other plugins' declared figures per county in ``year``: activities counted, or their outcome amounts (万元)."""
    values: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    figures = [(p, f) for p, f in current_registry().figures() if p not in (PLUGIN, REWARD_PLUGIN)]
    count_kinds = sorted({k for _, f in figures if f.measure == "count" for k in f.kinds})
    by_kind: dict[str, list[Any]] = defaultdict(list)
    for activity in stored_activities(kinds=count_kinds, since=date(year, 1, 1), until=date(year, 12, 31)):
        by_kind[activity.kind].append(activity)
    for plugin, figure in figures:
        key = f"{plugin}.{figure.key}"
        if figure.measure == "count":
            for kind in figure.kinds:
                for activity in by_kind[kind]:
                    values[key][region_of(activity.credit_code)[0]] += 1
        else:
            for outcome in stored_outcomes(kinds=figure.kinds, plugin=plugin):
                if outcome.activity.date.year == year:
                    values[key][region_of(outcome.activity.credit_code)[0]] += Decimal(outcome.amount) / _TEN_THOUSAND
    return values


def _rewards(year: int) -> dict[str, int]:
    """Yuan per county: the amounts of reward_tiers' current outcomes (paid, not held) on activities of ``year``."""
    paid: dict[str, int] = defaultdict(int)
    for outcome in stored_outcomes(kinds=SHARED_KINDS, plugin=REWARD_PLUGIN, statuses=("ok",)):
        if outcome.activity.date.year == year:
            paid[region_of(outcome.activity.credit_code)[0]] += outcome.amount
    return paid


def assessment(year: int) -> Assessment:
    """三(三): per county, the year's indicators, the weighted score (Σ weight × value) and the ranking."""
    start, end = period()
    items = _items()
    weights, version = _weights(year)
    columns = indicators()
    rewards = _rewards(year)
    others = _figure_values(year)
    rows = []
    for county in ASSESSED_COUNTIES:
        values: dict[str, Decimal] = {}
        for target in TARGETS:
            values[target] = Decimal(len(in_period(items[target], start, end, year=year, county=county)))
        values[REWARDS] = Decimal(rewards.get(county, 0)) / _TEN_THOUSAND
        for column in columns[len(TARGETS) + 1:]:
            values[column.key] = others.get(column.key, {}).get(county, Decimal(0))
        row = CountyRow(county, CITY_REGIONS[county], values)
        if version is not None:
            row.contributions = {c.key: weights[c.key] * values[c.key] for c in columns if c.key in weights}
            row.score = sum(row.contributions.values(), Decimal(0))
        rows.append(row)
    if version is not None:
        # Competition ranking: equal scores share a rank (1, 1, 3).
        ordered = sorted(rows, key=lambda r: (-(r.score or 0), r.county))
        for row in ordered:
            row.rank = 1 + sum(1 for other in ordered if (other.score or 0) > (row.score or 0))
        rows = ordered
    return Assessment(year, columns, weights, version, rows)


def city_figures(year: int) -> dict[str, Any]:
    """What an annual report of ``year`` shows of the targets and the assessment (the pages' and the CLI's figures)."""
    return {"targets": targets_report(year), "assessment": assessment(year)}
