"""The activity register: filtered, department-scoped pages, one activity, exports.

What a department sees is decided by the plugins it enabled: the activity
kinds those plugins declare, and the outcomes those plugins computed. Every
function here takes that set of plugins (the admin passes the working
department's) and never shows anything outside it.

Designed for 100,000 stored activities on SQLite (each register page well
under 100 ms there; see the comment above ``_FEW``): a count, the page's
ids, then their rows with organisations, and one grouped query for the
current amounts of the page's activities (never a query per row).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from math import ceil
from typing import Any

from sqlalchemy import Select, String, and_, exists, false, func, or_, select, text, union
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from ..db import db
from ..models import ActivityRecord, Department, Organisation, OutcomeRecord, ParameterVersionRecord
from ..registry import Registry
from ..regions import region_name
from ..standards import normalise
from ..text import Text
from .runcache import RunCache

__all__ = [
    "ActivityDetail",
    "EXPORT_COLUMNS",
    "ExportRow",
    "RegisterFilter",
    "RegisterPage",
    "RegisterRow",
    "activity_detail",
    "export_rows",
    "format_parameters",
    "register_page",
    "version_numbers",
    "visible_kinds",
    "year_range",
]

PER_PAGE = 50


@dataclass
class RegisterFilter:
    """What the register is narrowed to; an empty value does not narrow."""

    #: An organisation's name (part of it), a credit code (its start), a
    #: standard number or committee (part of it, in any usual spelling), or a
    #: record's own id (exactly).
    q: str = ""
    kind: str | None = None
    year: int | None = None
    #: A GB/T 2260 region code (``JIAXING_COUNTIES``).
    county: str | None = None
    plugin: str | None = None
    #: Only activities whose current amount is above zero.
    paid_only: bool = False


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


@dataclass(frozen=True)
class _Scope:
    kinds: list[str]
    #: Plugins whose outcomes count.
    plugins: list[str]


def visible_kinds(registry: Registry, plugins: Collection[str]) -> list[str]:
    """The activity kinds declared by ``plugins`` (those loaded), in declaration order."""
    return [k for name, record in registry.plugins.items() if name in plugins for k in record.kinds]


def _scope(registry: Registry, plugins: Collection[str], filt: RegisterFilter) -> _Scope:
    names = [name for name in registry.plugins if name in plugins]
    if filt.plugin:
        names = [filt.plugin] if filt.plugin in names else []
    kinds = visible_kinds(registry, names)
    if filt.kind:
        kinds = [filt.kind] if filt.kind in kinds else []
    return _Scope(kinds, names)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(column: Any, text: str) -> ColumnElement[bool]:
    """``column`` contains ``text``, ignoring ASCII case.

    SQLite's ``LIKE`` already ignores ASCII case and can scan a covering
    index; ``ilike`` would wrap both sides in ``lower()`` (three times slower
    there). PostgreSQL's ``LIKE`` is case-sensitive, so it gets ``ILIKE``.
    """
    pattern = f"%{_like_escape(text)}%"
    if db.session.get_bind().dialect.name == "sqlite":
        return column.like(pattern, escape="\\")
    return column.ilike(pattern, escape="\\")


def _not_indexed(column: Any) -> Any:
    """``column`` in a form no index serves (``col || ''``, ``col + 0``): keeps a planner off a bad index."""
    return column.concat("") if isinstance(column.type, String) else column + 0


# How a page is read. Each filter (a kind, a county's organisations, a search,
# the paid outcomes) is a set of activity ids that one index yields on its own,
# and also a test on an activity's row; the year is a range of the date index.
# - With several filters, or a year and a filter, one of them *drives*: the
#   year's range of the date index or the filter expected to match fewest
#   activities (cheap counts on their indexes); the others are tested on the
#   rows it yields. SQLite's INTERSECT sorts every
#   set into a temporary table, so building the sets (85,000 ids for the
#   drafting kind) is what cost most.
# - The count is one such driven pass (a search and "paid" have cheaper
#   counts of their own when alone).
# - A search that may find at most _FEW activities drives a pass listing
#   them (the other filters test its rows), and so does every pass that the
#   count would drive: at most _FEW matches, one sorted list gives count and
#   page.
# - When a walk of the date index (newest first) is expected to fill the page
#   within _SHORT_WALK rows, the walk tests each row (no set is built).
# - Else, with at most _FEW matches, the driven rows are sorted;
# - else the walk keeps the ids found in the driven set (built once), reading
#   no row of the activities table until the page's ids are known.
# - A page in the second half of the list is read walking from the oldest
#   end (then put back newest first): no walk is longer than half the list.
# SQLite keeps no statistics unless someone runs ANALYZE, so the shapes are
# chosen here rather than left to its planner; `col + 0` and `col || ''` keep
# it off an index that would be the wrong one. Measured with 100,000
# activities (benchmarks' generator; benchmarks/load_admin.py) on a busy
# 2-core machine, see benchmarks/README.md.

#: Up to this many matching activities, a page reads them through one index and sorts them;
#: above, it walks the date index.
_FEW = 3000
#: A set that can be probed (the paid outcomes) is tested on the rows instead
#: when at most this many rows are expected to reach the test.
_PROBE_ABOVE = 10_000
#: A walk of the date index expected to read at most this many rows tests them
#: on the row (no set is built).
_SHORT_WALK = 5000


@dataclass
class _Plan:
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
        return max(1, self._once("all", lambda: _count_where()))

    def scanned(self) -> int:
        """The activities in the date range (all without one): what a walk of the date index reads at most."""
        return self._once("dates", lambda: _count_where(*self.dates())) if self.dates() else self.everything()

    def size(self, position: int) -> int | None:
        size = self.sizes[position]
        return None if size is None else self._once(position, size)

    def driver(self, *, dates: bool = False) -> int | None:
        """The set cheapest to read through: fewest activities (counted on its own index), weighted.

        With ``dates``, ``None`` when the date range is cheaper still.
        """
        key = ("driver", dates)
        if key not in self._counted:
            if len(self.sets) == 1 and not dates:
                self._counted[key] = 0
            else:
                costs = [(self.size(i) if self.sizes[i] else 1 << 62) * self.weights[i] for i in range(len(self.sets))]
                best = min(range(len(costs)), key=costs.__getitem__)
                self._counted[key] = None if dates and self.scanned() <= costs[best] else best
        return self._counted[key]

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
        once): probed when more than ``_PROBE_ABOVE`` rows are expected to
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
                tests.append(self.tests[i] if rows > _PROBE_ABOVE else self.row_tests[i])
                rows *= selectivity(i)
        return tests

    def driven(self) -> list[ColumnElement[bool]]:
        """Conditions on ``activities`` matching every filter, read through one index.

        The date range or the smallest set drives; the others are tests on its rows.
        """
        if self.dates():
            d = self.driver(dates=True)
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


# One index look-up per kind (a skip scan), not a scan of 100,000 index
# entries; one statement (a recursive CTE, on SQLite and PostgreSQL alike)
# rather than one per kind: each statement costs more in Python than in the
# database.
_STORED_KINDS = text(f"""
    WITH RECURSIVE k(kind) AS (
        SELECT min(kind) FROM {ActivityRecord.__tablename__}
        UNION ALL
        SELECT (SELECT min(a.kind) FROM {ActivityRecord.__tablename__} AS a WHERE a.kind > k.kind)
        FROM k WHERE k.kind IS NOT NULL
    )
    SELECT kind FROM k WHERE kind IS NOT NULL LIMIT 1000
""")


def stored_kinds() -> set[str]:
    """The kinds of the stored activities."""
    return set(db.session.scalars(_STORED_KINDS))


def _search(q: str, plan: _Plan) -> None:
    """Activities whose organisation's name contains ``q`` or credit code starts with it, whose
    subject contains ``q`` (as typed or as a normalised standard number), or whose own id is ``q``:
    added to ``plan`` as a set of ids, as a test on an activity's row, as a count, and as a short list."""
    organisations = select(Organisation.id).where(or_(
        Organisation.name.like(f"%{_like_escape(q)}%", escape="\\"),
        Organisation.credit_code.like(f"{_like_escape(q.upper())}%", escape="\\"),
    )).correlate(None)
    try:
        canonical = normalise(q)
    except Exception:  # noqa: BLE001 - a search box must never fail on odd input
        canonical = q
    spellings = [q] if not canonical or canonical.lower() == q.lower() else [q, canonical]

    def subject_matches(column: Any) -> ColumnElement[bool]:
        return or_(*(_contains(column, text) for text in spellings))

    by_organisation = ActivityRecord.organisation_id.in_(organisations)
    by_subject = select(ActivityRecord.id).where(subject_matches(ActivityRecord.subject)).correlate(None)
    either = union(
        select(ActivityRecord.id).where(by_organisation).correlate(None),
        by_subject,
        select(ActivityRecord.id).where(ActivityRecord.external_id == q).correlate(None),
    ).subquery()
    row = or_(
        _not_indexed(ActivityRecord.organisation_id).in_(organisations),
        _not_indexed(ActivityRecord.external_id) == q,
        subject_matches(ActivityRecord.subject),
    )

    def count(dates: list[ColumnElement[bool]]) -> int:
        # The three ways to match, each counted where the earlier ones did not
        # match: no union of (possibly) tens of thousands of ids to build.
        # (Organisation ids are never NULL, so NOT IN is safe.)
        def n(*where: ColumnElement[bool]) -> int:
            return db.session.scalar(select(func.count()).select_from(ActivityRecord).where(*where, *dates)) or 0

        return (
            n(by_organisation)
            + n(ActivityRecord.id.in_(by_subject), ActivityRecord.organisation_id.not_in(organisations))
            + n(ActivityRecord.external_id == q, ActivityRecord.organisation_id.not_in(organisations),
                ~subject_matches(func.coalesce(ActivityRecord.subject, "")))
        )

    def short(limit: int) -> bool:
        # Most searches find a few activities: one pass over the subjects then
        # gives both the count and the page. Not when the organisations alone
        # already match more than ``limit``.
        return db.session.scalar(select(func.count()).select_from(ActivityRecord).where(by_organisation)) <= limit

    # As the set driving a pass (with other filters), each id counts twice:
    # a union of three index passes, sorted, costs about twice as much per
    # id as another filter's index range.
    plan.add(select(either.c.id).correlate(None), row, ActivityRecord.id.in_(select(either.c.id).correlate(None)),
             lambda: count([]), weight=2, counter=count, short=short)


# The number of activities with a paid current outcome, per database and set
# of plugins, until the next evaluation run (exact: see core.store.runcache).
# The count groups 34,000 outcomes at 100,000 activities: 10-15 ms of every
# "paid only" page.
_PAID_COUNTS = RunCache()


def _paid_count(plugins: Collection[str]) -> int:
    def count() -> int:
        # (GROUP BY: a quarter faster than count(DISTINCT) on SQLite.)
        return db.session.scalar(select(func.count()).select_from(
            select(OutcomeRecord.activity_id).where(
                OutcomeRecord.superseded_at.is_(None), OutcomeRecord.plugin.in_(plugins), OutcomeRecord.amount > 0,
            ).group_by(OutcomeRecord.activity_id).subquery()
        )) or 0

    return _PAID_COUNTS.get(tuple(sorted(plugins)), count)


def _count_where(*where: ColumnElement[bool]) -> int:
    return db.session.scalar(select(func.count()).select_from(ActivityRecord).where(*where)) or 0


def _plan(scope: _Scope, filt: RegisterFilter) -> _Plan:
    if not scope.kinds:
        return _Plan(empty=True)
    plan = _Plan()
    if filt.year:
        plan.since, plan.before = date(filt.year, 1, 1), date(filt.year + 1, 1, 1)
    if filt.kind or not stored_kinds() <= set(scope.kinds):
        by_kind = ActivityRecord.kind.in_(scope.kinds)
        plan.add(select(ActivityRecord.id).where(by_kind), _not_indexed(ActivityRecord.kind).in_(scope.kinds),
                 by_kind, lambda: _count_where(by_kind))
    if filt.county:
        organisations = select(Organisation.id).where(Organisation.region_code == filt.county).correlate(None)
        by_county = ActivityRecord.organisation_id.in_(organisations)
        plan.add(select(ActivityRecord.id).where(by_county), _not_indexed(ActivityRecord.organisation_id).in_(organisations),
                 by_county, lambda: _count_where(by_county))
    q = (filt.q or "").strip()
    if q:
        _search(q, plan)
    if filt.paid_only:
        # Amounts are never negative (integer yuan, 0 when nothing is due), so
        # "the current total is above zero" is "some current outcome is".
        # The set has no DISTINCT: an IN list or INTERSECT needs none, and
        # its count is the counter's (an activity may have several paid
        # outcomes). The row test looks outcomes up by activity (an alias:
        # the export joins the outcomes table itself): cheap for a short
        # walk; a driven pass probes the set instead, built once.
        paid = aliased(OutcomeRecord)
        current_paid = (OutcomeRecord.superseded_at.is_(None), OutcomeRecord.plugin.in_(scope.plugins),
                        OutcomeRecord.amount > 0)
        ids = select(OutcomeRecord.activity_id).where(*current_paid).correlate(None)
        plan.add(
            ids,
            exists().where(paid.activity_id == ActivityRecord.id, paid.superseded_at.is_(None),
                           _not_indexed(paid.plugin).in_(scope.plugins), paid.amount > 0),
            ActivityRecord.id.in_(ids),
            lambda: db.session.scalar(select(func.count()).select_from(OutcomeRecord).where(*current_paid)) or 0,
            test=_not_indexed(ActivityRecord.id).in_(ids),
            counter=lambda dates: None if dates else _paid_count(scope.plugins),
        )
    return plan


def _count(plan: _Plan) -> int:
    if plan.empty:
        return 0
    if not plan.sets:
        return _count_where(*plan.dates())
    if len(plan.sets) == 1 and 0 in plan.counters:
        counted = plan.counters[0](plan.dates())
        if counted is not None:
            return counted
    if len(plan.sets) == 1 and not plan.dates():
        # (Every set without a counter has each id once.)
        return db.session.scalar(select(func.count()).select_from(plan.sets[0].subquery())) or 0
    return _count_where(*plan.driven())


def _short_list(plan: _Plan) -> list[int] | None:
    """Every matching id, newest first, when there are at most ``_FEW``: count and page from one pass.

    Tried when a search may be short (it drives; the other filters are row
    tests), and when the count would be a driven pass anyway (a year and a
    filter, or several filters) expected to find at most ``_FEW``: then the
    page needs no second pass. The pass stops at ``_FEW + 1`` matches
    (``None``: count and walk instead); it has no ORDER BY, so SQLite can
    stop early, and the few rows are sorted here.
    """
    if plan.empty or not plan.sets:
        return None
    where = None
    for position, short in plan.shorts.items():
        if short(_FEW):
            where = [plan.drives[position], *plan.dates(),
                     *(test for i, test in enumerate(plan.row_tests) if i != position)]
            break
    if where is None:
        if len(plan.sets) == 1 and not plan.dates():
            return None  # one index count is cheaper
        if plan.expected() > _FEW:
            return None  # a long list: the pass would be wasted
        where = plan.driven()
    found = db.session.execute(select(ActivityRecord.id, ActivityRecord.date).where(*where).limit(_FEW + 1)).all()
    if len(found) > _FEW:
        return None
    found.sort(key=lambda r: (_as_date(r[1]), r[0]), reverse=True)
    return [r[0] for r in found]


def _where(plan: _Plan, *, few: bool, rows: bool = False) -> list[ColumnElement[bool]]:
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
    return [*where, _not_indexed(ActivityRecord.id).in_(plan.members())]


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
    scope = _scope(registry, plugins, filt)
    plan = _plan(scope, filt)
    newest_first = (ActivityRecord.date.desc(), ActivityRecord.id.desc())

    matching = _short_list(plan)
    total = len(matching) if matching is not None else _count(plan)
    pages = max(1, ceil(total / per_page))
    page = min(max(1, page), pages)
    result = RegisterPage([], total, page, per_page)
    if not total:
        return result
    offset = (page - 1) * per_page

    if matching is not None:
        ids = matching[offset:offset + per_page]
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
        short_walk = bool(plan.sets) and not backwards and (skip + per_page) * plan.scanned() / total <= _SHORT_WALK
        order = (ActivityRecord.date.asc(), ActivityRecord.id.asc()) if backwards else newest_first
        ids = list(db.session.scalars(
            select(ActivityRecord.id)
            .where(*_where(plan, few=total <= _FEW and not short_walk, rows=short_walk))
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
            select(OutcomeRecord.activity_id, OutcomeRecord.rule, func.sum(OutcomeRecord.amount), func.min(OutcomeRecord.id))
            .where(OutcomeRecord.activity_id.in_(ids), OutcomeRecord.superseded_at.is_(None),
                   _not_indexed(OutcomeRecord.plugin).in_(scope.plugins))
            .group_by(OutcomeRecord.activity_id, OutcomeRecord.rule)
            .order_by(OutcomeRecord.activity_id, func.min(OutcomeRecord.id))
        )
        for activity_id, rule, amount, _first in amounts:
            row = rows[activity_id]
            row.rules.append((rule, int(amount or 0)))
            row.amount += int(amount or 0)
    return result


def year_range() -> tuple[int, int] | None:
    """The first and last year of any stored activity (two index look-ups), ``None`` when empty."""
    # Two scalar subqueries: SQLite reads min() or max() off the index only
    # when it is a query's single aggregate.
    first, last = db.session.execute(select(
        select(func.min(ActivityRecord.date)).scalar_subquery(),
        select(func.max(ActivityRecord.date)).scalar_subquery(),
    )).one()
    if first is None or last is None:
        return None
    return _as_date(first).year, _as_date(last).year


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


# -- one activity -------------------------------------------------------------------


@dataclass
class ActivityDetail:
    record: ActivityRecord
    organisation: Organisation
    department: Department | None
    #: Current outcomes of the plugins the department sees, in computing order.
    current: list[OutcomeRecord]
    #: Superseded outcomes of those plugins, most recently superseded first.
    superseded: list[OutcomeRecord]
    #: Parameter version id → its number within its key, for every version the outcomes read.
    sequences: dict[int, int] = field(default_factory=dict)

    @property
    def amount(self) -> int:
        return sum(o.amount for o in self.current)

    def sequence(self, parameter: dict[str, Any]) -> int | None:
        """The number users see for a parameter version an outcome read (``None``: a shipped or proposed value).

        Outcomes stored before the number travelled with them carry only the database id.
        """
        if parameter.get("sequence") is not None:
            return int(parameter["sequence"])
        version = parameter.get("version_id")
        return None if version is None else self.sequences.get(int(version))


def version_numbers(ids: Collection[int] | None = None) -> dict[int, int]:
    """Parameter version id → its number within its key (of ``ids``, or of every version: a few hundred rows)."""
    query = select(ParameterVersionRecord.id, ParameterVersionRecord.sequence)
    if ids is not None:
        if not ids:
            return {}
        query = query.where(ParameterVersionRecord.id.in_(list(ids)))
    return {version_id: sequence for version_id, sequence in db.session.execute(query)}


def activity_detail(registry: Registry, plugins: Collection[str], activity_id: int) -> ActivityDetail | None:
    """An activity and its outcomes; ``None`` if it does not exist or ``plugins`` do not declare its kind."""
    record = db.session.get(ActivityRecord, activity_id)
    if record is None or record.kind not in visible_kinds(registry, plugins):
        return None
    names = [name for name in registry.plugins if name in plugins]
    outcomes = list(db.session.scalars(
        select(OutcomeRecord)
        .where(OutcomeRecord.activity_id == record.id, OutcomeRecord.plugin.in_(names))
        .order_by(OutcomeRecord.id)
    ))
    current = [o for o in outcomes if o.superseded_at is None]
    superseded = sorted((o for o in outcomes if o.superseded_at is not None),
                        key=lambda o: (o.superseded_at, o.id), reverse=True)
    department = db.session.get(Department, record.department_id) if record.department_id is not None else None
    missing = {int(p["version_id"]) for o in outcomes for p in o.parameters or ()
               if p.get("version_id") is not None and p.get("sequence") is None}
    return ActivityDetail(record, record.organisation, department, current, superseded, version_numbers(missing))


# -- export -----------------------------------------------------------------------

#: The columns of an export, in order (the admin names them in the UI language).
EXPORT_COLUMNS = (
    "activity_id", "external_id", "date", "organisation", "credit_code", "county", "kind", "subject",
    "plugin", "plugin_version", "rule", "amount", "clause", "explanation_zh", "explanation_en", "parameters",
)


@dataclass
class ExportRow:
    """One current outcome of an activity, or an activity without any (outcome fields ``None``)."""

    activity_id: int
    external_id: str | None
    date: date
    organisation: str | None
    credit_code: str
    region_code: str
    kind: str
    subject: str | None
    plugin: str | None
    plugin_version: str | None
    rule: str | None
    amount: int | None
    clause: str | None
    explanation_zh: str | None
    explanation_en: str | None
    #: The parameter versions read, ``key=value (#id from date)``, separated by ``; ``.
    parameters: str | None
    #: The activity's own fields as stored (its kind's; an export writes them so the file re-imports).
    fields: dict[str, Any] | None = None
    #: The parameter versions read, as stored (``key``, ``value``, ``effective_from``, ``version_id``).
    parameter_versions: list[dict[str, Any]] | None = None

    @property
    def county(self) -> Text:
        return region_name(self.region_code)


def format_parameters(parameters: list[dict[str, Any]] | None, sequences: dict[int, int] | None = None) -> str:
    """``key=value (#number from date)`` for each parameter version, joined by ``; ``.

    The number is the version's number within its key, as every page shows it
    (``sequences`` maps the database ids of outcomes stored before the number
    travelled with them).
    """
    parts = []
    for p in parameters or ():
        value = p.get("value")
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        version = p.get("sequence")
        if version is None and p.get("version_id") is not None:
            version = (sequences or {}).get(int(p["version_id"]), p["version_id"])
        origin = f"#{version} from {p.get('effective_from')}" if version is not None else f"from {p.get('effective_from')}"
        parts.append(f"{p.get('key')}={shown} ({origin})")
    return "; ".join(parts)


def export_rows(
    registry: Registry, plugins: Collection[str], filt: RegisterFilter | None = None, *, chunk: int = 2000,
) -> Iterator[ExportRow]:
    """Every activity of the filtered register (newest first) with each current outcome, streamed.

    One row per current outcome of the plugins seen; an activity without one
    still gets a row. The database is read ``chunk`` rows at a time.
    """
    filt = filt or RegisterFilter()
    scope = _scope(registry, plugins, filt)
    plan = _plan(scope, filt)
    if plan.empty:
        return
    on = and_(
        OutcomeRecord.activity_id == ActivityRecord.id, OutcomeRecord.superseded_at.is_(None),
        _not_indexed(OutcomeRecord.plugin).in_(scope.plugins),
    ) if scope.plugins else false()
    query = (
        select(
            ActivityRecord.id, ActivityRecord.external_id, ActivityRecord.date, Organisation.name,
            Organisation.credit_code, Organisation.region_code, ActivityRecord.kind, ActivityRecord.subject,
            OutcomeRecord.plugin, OutcomeRecord.plugin_version, OutcomeRecord.rule, OutcomeRecord.amount,
            OutcomeRecord.clause, OutcomeRecord.explanation_zh, OutcomeRecord.explanation_en, OutcomeRecord.parameters,
            ActivityRecord.fields,
        )
        .select_from(ActivityRecord)
        .join(Organisation, ActivityRecord.organisation_id == Organisation.id)
        .outerjoin(OutcomeRecord, on)
        .where(*_where(plan, few=False))
        .order_by(ActivityRecord.date.desc(), ActivityRecord.id.desc(), OutcomeRecord.id)
        .execution_options(yield_per=chunk)
    )
    sequences = version_numbers()
    for r in db.session.execute(query):
        yield ExportRow(
            r[0], r[1], _as_date(r[2]), r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10],
            None if r[11] is None else int(r[11]), r[12], r[13], r[14],
            None if r[8] is None else format_parameters(r[15], sequences), r[16], None if r[8] is None else (r[15] or []),
        )
