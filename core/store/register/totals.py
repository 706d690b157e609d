"""Totals of the filtered register: the whole list, per organisation, county, year or rule.

What the city's office asks first ("how much, to whom, in which county"),
over exactly the activities the register lists for the same filter and
department (``scope``, ``filters``): one grouped query over the current
outcomes of the plugins the department sees. Held outcomes (待核实) carry
amount 0 until a reviewer decides; what they would pay is summed apart
(``held``), never into the paid total.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator
from dataclasses import astuple, dataclass, field, replace
from typing import Any, Literal

from sqlalchemy import and_, extract, false, func, select

from ...db import db
from ...models import ActivityRecord, Organisation, OutcomeRecord
from ...registry import Registry
from ...regions import region_name
from ...text import Text
from ..runcache import RunCache
from .filters import build_plan
from .plan import conditions
from .scope import RegisterFilter, Scope, scope_of
from .sql import not_indexed

__all__ = ["GROUPS", "Group", "RegisterBreakdown", "RegisterTotals", "TotalLine", "register_breakdown",
           "register_totals"]

Group = Literal["organisation", "county", "year", "rule"]
#: The ways the totals are grouped.
GROUPS: tuple[Group, ...] = ("organisation", "county", "year", "rule")


@dataclass
class TotalLine:
    """One group's totals: its key (credit code, region code, year or rule), activities, paid and held yuan."""

    key: str
    activities: int = 0
    #: Integer yuan of the current outcomes (held ones count 0).
    amount: int = 0
    #: Integer yuan that held outcomes would pay once approved.
    held: int = 0
    #: The organisation's name (organisation lines).
    name: str | None = None
    #: The organisation's region code (organisation lines).
    region_code: str | None = None

    @property
    def county(self) -> Text:
        """The county (or province) of a county line, or of an organisation line's organisation."""
        return region_name(self.region_code or self.key)


@dataclass
class RegisterTotals:
    """The filtered register's totals, and its lines grouped one way."""

    group: Group
    activities: int = 0
    amount: int = 0
    held: int = 0
    lines: list[TotalLine] = field(default_factory=list)


def _group_columns(group: Group) -> list[Any]:
    if group == "organisation":
        return [Organisation.credit_code, Organisation.name, Organisation.region_code]
    if group == "county":
        return [Organisation.region_code]
    if group == "year":
        return [extract("year", ActivityRecord.date)]
    return [OutcomeRecord.rule]


@dataclass
class RegisterBreakdown:
    """The register's paid yuan by year, by county and by rule at once (what a what-if compares with)."""

    #: Integer yuan of the current outcomes (held ones count 0).
    amount: int = 0
    #: Integer yuan that held outcomes would pay once approved.
    held: int = 0
    #: Paid yuan of each year (``"2024"``) and each county (region code) with at least one activity.
    by_year: dict[str, int] = field(default_factory=dict)
    by_county: dict[str, int] = field(default_factory=dict)
    #: Paid yuan of each rule with at least one current outcome.
    by_rule: dict[str, int] = field(default_factory=dict)


def _scoped(scope: Scope, filt: RegisterFilter) -> tuple[Any, Any] | None:
    """The join condition of the current outcomes ``scope`` counts, and the filter's conditions; ``None``: nothing listed."""
    plan = build_plan(scope, filt)
    if plan.empty:
        return None
    on = and_(
        OutcomeRecord.activity_id == ActivityRecord.id, OutcomeRecord.superseded_at.is_(None),
        not_indexed(OutcomeRecord.plugin).in_(scope.plugins),
    ) if scope.plugins else false()
    return on, conditions(plan, few=False)


def _listed(on: Any, where: Any, *selected: Any, outcomes_only: bool = False) -> Any:
    """``selected`` over the listed activities, their organisations and current outcomes (``on``)."""
    query = select(*selected).select_from(ActivityRecord).join(
        Organisation, ActivityRecord.organisation_id == Organisation.id)
    query = query.join(OutcomeRecord, on) if outcomes_only else query.outerjoin(OutcomeRecord, on)
    return query.where(*where)


def _held(on: Any, where: Any, column: Any) -> Iterator[tuple[Any, int]]:
    """(``column``, would-be yuan) of each held outcome listed.

    Held outcomes are few (each awaits a reviewer): their would-be amounts are
    read, not summed in SQL (``details`` is JSON, read alike on SQLite and
    PostgreSQL).
    """
    for row in db.session.execute(_listed(on, where, column, OutcomeRecord.details)
                                  .where(OutcomeRecord.status == "held")):
        yield row[0], int((row[1] or {}).get("held_amount", 0))


def register_breakdown(registry: Registry, plugins: Collection[str],
                       filt: RegisterFilter | None = None) -> RegisterBreakdown:
    """The listed activities' paid yuan by year, county and rule, and the held yuan: two passes over the register.

    The same figures as ``register_totals`` grouped by ``year``, ``county``
    and ``rule`` (its lines' amounts, with its overall and held totals),
    which takes four passes for the paid amounts (three groupings and the
    overall total) where one grouping by all three gives them.
    """
    result = RegisterBreakdown()
    filt = filt or RegisterFilter()
    scoped = _scoped(scope_of(registry, plugins, filt), filt)
    if scoped is None:
        return result
    on, where = scoped
    year = extract("year", ActivityRecord.date)
    columns = [year, Organisation.region_code, OutcomeRecord.rule]
    by_year: dict[str, int] = defaultdict(int)
    by_county: dict[str, int] = defaultdict(int)
    by_rule: dict[str, int] = defaultdict(int)
    for row in db.session.execute(_listed(on, where, *columns, func.coalesce(func.sum(OutcomeRecord.amount), 0))
                                  .group_by(*columns)):
        amount = int(row[3])
        by_year[str(int(row[0]))] += amount
        by_county[str(row[1])] += amount
        if row[2] is not None:  # an activity without a current outcome seen: in its year and county only
            by_rule[str(row[2])] += amount
        result.amount += amount
    result.by_year, result.by_county, result.by_rule = dict(by_year), dict(by_county), dict(by_rule)
    result.held = sum(held for _, held in _held(on, where, year))
    return result


def register_totals(
    registry: Registry, plugins: Collection[str], filt: RegisterFilter | None = None, group: Group = "organisation",
) -> RegisterTotals:
    """The totals of the activities the register lists for ``filt`` (seen by ``plugins``), grouped by ``group``.

    Lines are ordered by paid amount, largest first (then by key). By rule,
    an activity with outcomes of two rules counts in both lines, and the
    activities without any outcome in none; the overall totals count each
    activity once.
    """
    if group not in GROUPS:
        raise ValueError(f"unknown grouping {group!r}; one of {', '.join(GROUPS)}")
    filt = filt or RegisterFilter()
    scope = scope_of(registry, plugins, filt)  # what the registry contributes: the kinds and plugins shown
    if filt.review is not None:  # review decisions are recorded without an evaluation run: not kept
        return _totals(scope, filt, group)
    found = _TOTALS.get((tuple(scope.kinds), tuple(scope.plugins), astuple(filt), group),
                        lambda: _totals(scope, filt, group))
    # A copy: the caller may sort or change it; the kept one serves the next request.
    return replace(found, lines=[replace(line) for line in found.lines])


#: Totals by (plugins, filter, grouping), until the next evaluation run (core.store.runcache): only
#: runs change activities, outcomes and organisations' names. The city's office switches between
#: groupings and filters, and a grouping of 100,000 activities takes 0.3 s (SQLite).
_TOTALS = RunCache(size=16)


def _totals(scope: Scope, filt: RegisterFilter, group: Group) -> RegisterTotals:
    result = RegisterTotals(group)
    scoped = _scoped(scope, filt)
    if scoped is None:
        return result
    on, where = scoped
    columns = _group_columns(group)

    def key_of(value: Any) -> str:
        return str(int(value)) if group == "year" else str(value)  # a year comes as a number

    lines: dict[str, TotalLine] = {}
    for row in db.session.execute(
        _listed(on, where, *columns, func.count(func.distinct(ActivityRecord.id)),
                func.coalesce(func.sum(OutcomeRecord.amount), 0), outcomes_only=group == "rule")
        .group_by(*columns)
    ):
        key = key_of(row[0])
        line = TotalLine(key, int(row[-2]), int(row[-1]))
        if group == "organisation":
            line.name, line.region_code = row[1], row[2]
        lines[key] = line
    for value, held in _held(on, where, columns[0]):
        key = key_of(value)
        lines.setdefault(key, TotalLine(key)).held += held
        result.held += held
    if group == "rule":  # an activity may be in two rules' lines, or in none: counted over the register
        total = db.session.execute(
            select(func.count(func.distinct(ActivityRecord.id)), func.coalesce(func.sum(OutcomeRecord.amount), 0))
            .select_from(ActivityRecord).outerjoin(OutcomeRecord, on).where(*where)
        ).one()
        result.activities, result.amount = int(total[0]), int(total[1])
    else:  # each listed activity is in exactly one line: the lines add up to the totals
        result.activities = sum(line.activities for line in lines.values())
        result.amount = sum(line.amount for line in lines.values())
    result.lines = sorted(lines.values(), key=lambda line: (-line.amount, -line.held, line.key))
    return result
