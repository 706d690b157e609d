"""The query planner of the register: which index drives a page, which filters are tests on its rows.

How a page is read. Each filter (a kind, a county's organisations, a search,
the paid outcomes) is a set of activity ids that one index yields on its own,
and also a test on an activity's row; the year is a range of the date index.
- With several filters, or a year and a filter, one of them *drives*: the
  year's range of the date index or the filter expected to match fewest
  activities (cheap counts on their indexes); the others are tested on the
  rows it yields. SQLite's INTERSECT sorts every
  set into a temporary table, so building the sets (85,000 ids for the
  drafting kind) is what cost most.
- The count is one such driven pass (a search and "paid" have cheaper
  counts of their own when alone).
- A search that may find at most thresholds.FEW activities drives a pass listing
  them (the other filters test its rows), and so does every pass that the
  count would drive: at most thresholds.FEW matches, one sorted list gives count and
  page.
- When a walk of the date index (newest first) is expected to fill the page
  within thresholds.SHORT_WALK rows, the walk tests each row (no set is built).
- Else, with at most thresholds.FEW matches, the driven rows are sorted;
- else the walk keeps the ids found in the driven set (built once), reading
  no row of the activities table until the page's ids are known.
- A page in the second half of the list is read walking from the oldest
  end (then put back newest first): no walk is longer than half the list.
SQLite keeps no statistics unless someone runs ANALYZE, so the shapes are
chosen here rather than left to its planner; `col + 0` and `col || ''` keep
it off an index that would be the wrong one. Measured with 100,000
activities (benchmarks' generator; benchmarks/load_admin.py) on a busy
2-core machine, see benchmarks/README.md.

The thresholds that choose between these shapes, and the measurements
behind them, are in ``thresholds``; the filters that fill a plan in ``filters``.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, false, func, select
from sqlalchemy.sql.elements import ColumnElement

from ...db import db
from ...models import ActivityRecord
from . import thresholds
from ..runcache import RunCache
from .sql import as_date, count_where, not_indexed, stored_count

__all__ = ["Plan", "conditions", "count_matching", "short_list", "stored_list"]


@dataclass
class Plan:
    empty: bool = False
    since: date | None = None
    before: date | None = None
    #: Statements each selecting a column of activity ids; an activity must be in all.
    sets: list[Select] = field(default_factory=list)
    #: The same tests on an activity's own row, one per set: cheaper than
    #: building the sets when a walk of the date index soon fills a page.
    row_tests: list[ColumnElement[bool]] = field(default_factory=list)
    #: Each set as a condition on ``activities`` that an index serves: the
    #: condition that drives a pass when that set is expected to be smallest.
    drives: list[ColumnElement[bool]] = field(default_factory=list)
    #: Each set as a test on the rows another set (or the date range) drives:
    #: the row test, or for some sets a probe of the set built once.
    tests: list[ColumnElement[bool]] = field(default_factory=list)
    #: Each set's size (a count on its own index; may overcount), and how
    #: much reading through it costs per id compared with the others.
    sizes: list[Callable[[], int] | None] = field(default_factory=list)
    weights: list[int] = field(default_factory=list)
    #: For some sets (by position), a faster count when that set is the only
    #: one: called with the date conditions.
    counters: dict[int, Callable[[list[ColumnElement[bool]]], int | None]] = field(default_factory=dict)
    #: For some sets (by position), whether they may have at most ``limit``
    #: ids (a cheap check): such a set drives the pass that lists a short list.
    shorts: dict[int, Callable[[int], bool]] = field(default_factory=dict)
    #: What the sets are, when only an evaluation run can change them (no
    #: search, no review state): the list's count is then kept until the next run.
    key: tuple[Any, ...] | None = None
    _counted: dict[Any, Any] = field(default_factory=dict)

    def add(self, ids: Select, row_test: ColumnElement[bool], drive: ColumnElement[bool],
            size: Callable[[], int] | None = None, *, weight: int = 1, test: ColumnElement[bool] | None = None,
            counter: Callable[[list[ColumnElement[bool]]], int | None] | None = None,
            short: Callable[[int], bool] | None = None) -> None:
        if counter is not None:
            self.counters[len(self.sets)] = counter
        if short is not None:
            self.shorts[len(self.sets)] = short
        self.sets.append(ids.correlate(None))
        self.row_tests.append(row_test)
        self.drives.append(drive)
        self.tests.append(row_test if test is None else test)
        self.sizes.append(size)
        self.weights.append(weight)

    def dates(self, column: Any = ActivityRecord.date) -> list[ColumnElement[bool]]:
        where = []
        if self.since is not None:
            where.append(column >= self.since)
        if self.before is not None:
            where.append(column < self.before)
        return where

    def date_tests(self) -> list[ColumnElement[bool]]:
        """The date range as a test on the rows a set drives: ``date(col)`` keeps the planner off the date index."""
        return self.dates(func.date(ActivityRecord.date, type_=ActivityRecord.date.type))

    def _once(self, key: Any, counter: Callable[[], int]) -> int:
        if key not in self._counted:
            self._counted[key] = counter()
        return self._counted[key]

    def everything(self) -> int:
        """All stored activities (at least 1)."""
        return max(1, self._once("all", lambda: stored_count("all", count_where)))

    def scanned(self) -> int:
        """The activities in the date range (all without one): what a walk of the date index reads at most."""
        if not self.dates():
            return self.everything()
        return self._once("dates", lambda: stored_count(("dates", self.since, self.before), lambda: count_where(*self.dates())))

    def size(self, position: int) -> int | None:
        size = self.sizes[position]
        return None if size is None else self._once(position, size)

    def _cost(self, position: int) -> int:
        """What reading through set ``position`` costs: its size (unknown: everything) times its weight."""
        size = self.size(position)
        return (1 << 62 if size is None else size) * self.weights[position]

    def driver(self) -> int:
        """The set cheapest to read through: fewest activities (counted on its own index), weighted."""
        if len(self.sets) == 1:
            return 0
        return min(range(len(self.sets)), key=self._cost)

    def driver_or_dates(self) -> int | None:
        """The cheapest set to read through, or ``None`` when the date range is cheaper still."""
        best = self.driver()
        return None if self.scanned() <= self._cost(best) else best

    def expected(self) -> float:
        """The activities expected to match, taking the filters as independent."""
        fraction = self.scanned() / self.everything()
        for i in range(len(self.sets)):
            size = self.size(i)
            if size is not None:
                fraction *= min(1.0, size / self.everything())
        return fraction * self.everything()

    def _tests_on(self, rows: float, driver: int | None, *, dates: bool) -> list[ColumnElement[bool]]:
        """The tests of every set but ``driver`` (and of the date range) on ``rows`` driven rows.

        Plain row tests first; then the sets that can also be probed (built
        once): probed when more than ``thresholds.PROBE_ABOVE`` rows are expected to
        reach the test, else tested on the row (building the paid set costs
        what 10,000 row look-ups do).
        """
        def selectivity(i: int) -> float:
            size = self.size(i)
            return 1.0 if size is None else min(1.0, size / self.everything())

        tests = self.date_tests() if dates else []
        if dates:
            rows *= self.scanned() / self.everything()
        others = [i for i in range(len(self.sets)) if i != driver]
        for i in others:
            if self.tests[i] is self.row_tests[i]:
                tests.append(self.row_tests[i])
                rows *= selectivity(i)
        for i in others:
            if self.tests[i] is not self.row_tests[i]:
                tests.append(self.tests[i] if rows > thresholds.PROBE_ABOVE else self.row_tests[i])
                rows *= selectivity(i)
        return tests

    def driven(self) -> list[ColumnElement[bool]]:
        """Conditions on ``activities`` matching every filter, read through one index.

        The date range or the smallest set drives; the others are tests on its rows.
        """
        if self.dates():
            d = self.driver_or_dates()
            if d is None:
                return [*self.dates(), *self._tests_on(self.scanned(), None, dates=False)]
            return [self.drives[d], *self._tests_on(self.size(d) or self.everything(), d, dates=True)]
        d = self.driver()
        return [self.drives[d], *self._tests_on(self.size(d) or self.everything(), d, dates=False)]

    def members(self) -> Select:
        """The ids in every set (not the date range): one set, or a driven pass."""
        if len(self.sets) == 1:
            return self.sets[0]
        d = self.driver()
        return select(ActivityRecord.id).where(
            self.drives[d], *self._tests_on(self.size(d) or self.everything(), d, dates=False)).correlate(None)



def count_matching(plan: Plan) -> int:
    """The activities matching ``plan``: kept until the next evaluation run when ``plan.key`` says only a run changes them."""
    if plan.empty:
        return 0
    if plan.key is None:
        return _count(plan)
    return stored_count(("matching", plan.key, plan.since, plan.before), lambda: _count(plan))


def _count(plan: Plan) -> int:
    if not plan.sets:
        return count_where(*plan.dates())
    if len(plan.sets) == 1 and 0 in plan.counters:
        counted = plan.counters[0](plan.dates())
        if counted is not None:
            return counted
    if len(plan.sets) == 1 and not plan.dates():
        # (Every set without a counter has each id once.)
        return db.session.scalar(select(func.count()).select_from(plan.sets[0].subquery())) or 0
    return count_where(*plan.driven())


# The whole list of one filter alone, per database, until the next evaluation run.
_LISTS = RunCache(size=24)


def stored_list(plan: Plan) -> Sequence[int] | None:
    """Every matching id, newest first, of a list filtered by one kind, county or "paid only" alone
    (no year, search or review state); ``None`` for any other list.

    Kept until the next evaluation run (``plan.key``: only a run changes it):
    a later page is a slice of it, not a walk of the date index past
    thousands of rows (50-70 ms deep in a county's list or the paid list at
    100,000 activities). A handful of such lists (the kinds, the counties,
    paid only) of at most one id per activity, as 8-byte integers.
    """
    if plan.empty or plan.key is None or len(plan.sets) != 1 or plan.dates():
        return None
    return _LISTS.get(("list", plan.key), lambda: array("q", db.session.scalars(
        select(ActivityRecord.id).where(plan.drives[0]).order_by(ActivityRecord.date.desc(), ActivityRecord.id.desc()))))


def short_list(plan: Plan) -> list[int] | None:
    """Every matching id, newest first, when there are at most ``thresholds.FEW``: count and page from one pass.

    Tried when a search may be short (it drives; the other filters are row
    tests), and when the count would be a driven pass anyway (a year and a
    filter, or several filters) expected to find at most ``thresholds.FEW``: then the
    page needs no second pass. The pass stops at ``thresholds.FEW + 1`` matches
    (``None``: count and walk instead); it has no ORDER BY, so SQLite can
    stop early, and the few rows are sorted here.
    """
    if plan.empty or not plan.sets:
        return None
    where = None
    for position, short in plan.shorts.items():
        if short(thresholds.FEW):
            where = [plan.drives[position], *plan.dates(),
                     *(test for i, test in enumerate(plan.row_tests) if i != position)]
            break
    if where is None:
        if len(plan.sets) == 1 and not plan.dates():
            return None  # one index count is cheaper
        if plan.expected() > thresholds.FEW:
            return None  # a long list: the pass would be wasted
        where = plan.driven()
    found = list(db.session.execute(
        select(ActivityRecord.id, ActivityRecord.date).where(*where).limit(thresholds.FEW + 1)))
    if len(found) > thresholds.FEW:
        return None
    found.sort(key=lambda r: (as_date(r[1]), r[0]), reverse=True)
    return [r[0] for r in found]


def conditions(plan: Plan, *, few: bool, rows: bool = False) -> list[ColumnElement[bool]]:
    """The conditions on ``activities``.

    ``few``: the matching activities are read through one index (``driven``)
    and sorted. Otherwise the date index is walked, each id looked up in the
    members (built once) or, with ``rows``, tested on its row.
    """
    if plan.empty:
        return [false()]
    where = plan.dates()
    if not plan.sets:
        return where
    if few:
        return plan.driven()
    if rows:
        return [*where, *plan.row_tests]
    return [*where, not_indexed(ActivityRecord.id).in_(plan.members())]
