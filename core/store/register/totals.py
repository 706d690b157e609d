"""Totals of the filtered register: the whole list, per organisation, county, year or rule.

What the city's office asks first ("how much, to whom, in which county"),
over exactly the activities the register lists for the same filter and
department (``scope``, ``filters``): one grouped query over the current
outcomes of the plugins the department sees. Held outcomes (待核实) carry
amount 0 until a reviewer decides; what they would pay is summed apart
(``held``), never into the paid total.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import and_, extract, false, func, select

from ...db import db
from ...models import ActivityRecord, Organisation, OutcomeRecord
from ...registry import Registry
from ...regions import region_name
from ...text import Text
from .filters import build_plan
from .plan import conditions
from .scope import RegisterFilter, scope_of
from .sql import not_indexed

__all__ = ["GROUPS", "Group", "RegisterTotals", "TotalLine", "register_totals"]

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


def register_totals(
    registry: Registry, plugins: Collection[str], filt: RegisterFilter | None = None, group: Group = "organisation",
    *, lines_only: bool = False,
) -> RegisterTotals:
    """The totals of the activities the register lists for ``filt`` (seen by ``plugins``), grouped by ``group``.

    Lines are ordered by paid amount, largest first (then by key). By rule,
    an activity with outcomes of two rules counts in both lines, and the
    activities without any outcome in none; the overall totals count each
    activity once.

    :param lines_only: only each line's activities and paid amount: no held
        amounts, no overall totals (two fewer passes over the register, for a
        caller that has them from another grouping).
    """
    if group not in GROUPS:
        raise ValueError(f"unknown grouping {group!r}; one of {', '.join(GROUPS)}")
    filt = filt or RegisterFilter()
    scope = scope_of(registry, plugins, filt)
    plan = build_plan(scope, filt)
    result = RegisterTotals(group)
    if plan.empty:
        return result
    on = and_(
        OutcomeRecord.activity_id == ActivityRecord.id, OutcomeRecord.superseded_at.is_(None),
        not_indexed(OutcomeRecord.plugin).in_(scope.plugins),
    ) if scope.plugins else false()
    where = conditions(plan, few=False)
    columns = _group_columns(group)

    def base(*selected: Any) -> Any:
        query = select(*selected).select_from(ActivityRecord).join(
            Organisation, ActivityRecord.organisation_id == Organisation.id)
        query = query.join(OutcomeRecord, on) if group == "rule" else query.outerjoin(OutcomeRecord, on)
        return query.where(*where)

    lines: dict[str, TotalLine] = {}
    for row in db.session.execute(
        base(*columns, func.count(func.distinct(ActivityRecord.id)), func.coalesce(func.sum(OutcomeRecord.amount), 0))
        .group_by(*columns)
    ):
        key = str(int(row[0])) if group == "year" else str(row[0])
        line = TotalLine(key, int(row[-2]), int(row[-1]))
        if group == "organisation":
            line.name, line.region_code = row[1], row[2]
        lines[key] = line
    if lines_only:
        result.lines = sorted(lines.values(), key=lambda line: (-line.amount, line.key))
        return result
    # Held outcomes are few (each awaits a reviewer): their would-be amounts are read, not summed in SQL
    # (``details`` is JSON, read alike on SQLite and PostgreSQL).
    for row in db.session.execute(
        base(columns[0], OutcomeRecord.details).where(OutcomeRecord.status == "held")
    ):
        key = str(int(row[0])) if group == "year" else str(row[0])
        held = int((row[1] or {}).get("held_amount", 0))
        lines.setdefault(key, TotalLine(key)).held += held
        result.held += held

    total = db.session.execute(
        select(func.count(func.distinct(ActivityRecord.id)), func.coalesce(func.sum(OutcomeRecord.amount), 0))
        .select_from(ActivityRecord).outerjoin(OutcomeRecord, on).where(*where)
    ).one()
    result.activities, result.amount = int(total[0]), int(total[1])
    result.lines = sorted(lines.values(), key=lambda line: (-line.amount, -line.held, line.key))
    return result
