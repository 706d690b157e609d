"""A page of the register: the activities a department sees, newest first, with their current amounts.

Designed for 100,000 stored activities on SQLite (each register page well
under 100 ms there: ``thresholds``): a count, the page's ids, then their
rows with organisations, and one grouped query for the current amounts of
the page's activities (never a query per row).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from math import ceil

from sqlalchemy import case, func, select

from ...db import db
from ...models import ActivityRecord, Organisation, OutcomeRecord
from ...registry import Registry
from ...regions import region_name
from ...text import Text
from ..reviews import review_states
from ..runcache import RunCache
from . import thresholds
from .filters import build_plan
from .plan import conditions, count_matching, short_list, stored_list
from .scope import PER_PAGE, RegisterFilter, scope_of
from .sql import as_date, not_indexed

__all__ = ["RegisterPage", "RegisterRow", "register_page", "year_range"]


@dataclass
class RegisterRow:
    """One activity in a register page."""

    id: int
    external_id: str | None
    date: date
    kind: str
    subject: str | None
    organisation: str | None
    credit_code: str
    region_code: str
    #: The current amount: the sum of the current outcomes the department sees.
    amount: int = 0
    #: ``(rule, amount)`` of each rule with a current outcome, in the order computed.
    rules: list[tuple[str, int]] = field(default_factory=list)
    #: The rules whose current outcome is held for review (待核实): amount 0 until a reviewer decides.
    held: set[str] = field(default_factory=set)
    #: Rule → the review state of its held outcome: ``pending``, ``approved`` or ``rejected``.
    reviews: dict[str, str] = field(default_factory=dict)

    @property
    def county(self) -> Text:
        return region_name(self.region_code)

    @property
    def ref(self) -> str:
        return self.external_id or f"#{self.id}"


@dataclass
class RegisterPage:
    """A page of the register; the attribute names are those the admin's ``pager`` macro reads."""

    rows: list[RegisterRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1

    @property
    def first(self) -> int:
        """The 1-based position of the page's first row (0 on an empty page)."""
        return (self.page - 1) * self.per_page + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return (self.page - 1) * self.per_page + len(self.rows)


def register_page(
    registry: Registry,
    plugins: Collection[str],
    filt: RegisterFilter | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> RegisterPage:
    """One page of the activities ``plugins`` declare, newest first, with current amounts.

    A page number past the end gives the last page.
    """
    filt = filt or RegisterFilter()
    scope = scope_of(registry, plugins, filt)
    plan = build_plan(scope, filt)
    newest_first = (ActivityRecord.date.desc(), ActivityRecord.id.desc())

    matching = stored_list(plan)
    if matching is None:
        matching = short_list(plan)
    total = len(matching) if matching is not None else count_matching(plan)
    pages = max(1, ceil(total / per_page))
    page = min(max(1, page), pages)
    result = RegisterPage([], total, page, per_page)
    if not total:
        return result
    offset = (page - 1) * per_page

    if matching is not None:
        ids = list(matching[offset:offset + per_page])
    else:
        # A page in the second half is read from the oldest end: positions
        # [offset, end) newest first are [total - end, total - offset) oldest first.
        end = min(offset + per_page, total)
        backwards = offset > total - end
        skip = total - end if backwards else offset
        # Walking the date index, about (skip + page) × scanned / matching
        # rows are read before the page is full (scanned: the rows in the
        # date range): with row tests when that is short. Only newest first:
        # the oldest activities are often from before a policy began (none
        # paid), so a walk from that end may read far more than expected.
        short_walk = bool(plan.sets) and not backwards and (skip + per_page) * plan.scanned() / total <= thresholds.SHORT_WALK
        order = (ActivityRecord.date.asc(), ActivityRecord.id.asc()) if backwards else newest_first
        ids = list(db.session.scalars(
            select(ActivityRecord.id)
            .where(*conditions(plan, few=total <= thresholds.FEW and not short_walk, rows=short_walk))
            .order_by(*order)
            .limit(end - offset).offset(skip)
        ))
        if backwards:
            ids.reverse()
    rows: dict[int, RegisterRow] = {}
    for r in db.session.execute(
        select(ActivityRecord.id, ActivityRecord.external_id, ActivityRecord.date, ActivityRecord.kind,
               ActivityRecord.subject, Organisation.name, Organisation.credit_code, Organisation.region_code)
        .join(Organisation, ActivityRecord.organisation_id == Organisation.id)
        .where(ActivityRecord.id.in_(ids))
    ):
        rows[r[0]] = RegisterRow(*r)
    result.rows = [rows[i] for i in ids if i in rows]

    if scope.plugins:
        # One grouped query for the page. The plugin test is kept off the
        # (plugin, dedup_key) index so the planner uses (activity_id, superseded_at).
        amounts = db.session.execute(
            select(OutcomeRecord.activity_id, OutcomeRecord.rule, func.sum(OutcomeRecord.amount), func.min(OutcomeRecord.id),
                   func.max(case((OutcomeRecord.status == "held", 1), else_=0)))
            .where(OutcomeRecord.activity_id.in_(ids), OutcomeRecord.superseded_at.is_(None),
                   not_indexed(OutcomeRecord.plugin).in_(scope.plugins))
            .group_by(OutcomeRecord.activity_id, OutcomeRecord.rule)
            .order_by(OutcomeRecord.activity_id, func.min(OutcomeRecord.id))
        )
        for activity_id, rule, amount, _first, held in amounts:
            row = rows[activity_id]
            row.rules.append((rule, int(amount or 0)))
            if held:
                row.held.add(rule)
            row.amount += int(amount or 0)
        held = [activity_id for activity_id, row in rows.items() if row.held]
        for (activity_id, rule), state in review_states(held, scope.plugins).items():
            rows[activity_id].reviews[rule] = state
    return result


# Only an evaluation run stores activities: the years are kept until the next one.
_YEARS = RunCache()


def year_range() -> tuple[int, int] | None:
    """The first and last year of any stored activity (two index look-ups), ``None`` when empty."""
    return _YEARS.get("years", _year_range)


def _year_range() -> tuple[int, int] | None:
    # Two scalar subqueries: SQLite reads min() or max() off the index only
    # when it is a query's single aggregate.
    first, last = db.session.execute(select(
        select(func.min(ActivityRecord.date)).scalar_subquery(),
        select(func.max(ActivityRecord.date)).scalar_subquery(),
    )).one()
    if first is None or last is None:
        return None
    return as_date(first).year, as_date(last).year
