"""The register's filters as parts of a plan: kind, county, search, paid only (and the year's range).

Each filter is added to the ``Plan`` as a set of activity ids one index
yields, a test on an activity's row, the condition that drives a pass, and
(where it has one) a cheap count.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

from sqlalchemy import exists, func, or_, select, text, union
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from ...db import db
from ...models import ActivityRecord, Organisation, OutcomeRecord
from ...standards import normalise
from ..reviews import held_activity_ids
from ..runcache import RunCache
from . import thresholds
from .plan import Plan
from .scope import RegisterFilter, Scope
from .sql import contains, count_where, like_escape, not_indexed, stored_count
from .subjects import subject_ids

__all__ = ["build_plan", "stored_kinds"]


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
    SELECT kind FROM k WHERE kind IS NOT NULL LIMIT {thresholds.MAX_KINDS}
""")


# Only an evaluation run stores activities: the kinds are kept until the next one.
_KINDS = RunCache()


def stored_kinds() -> set[str]:
    """The kinds of the stored activities."""
    return set(_KINDS.get("kinds", lambda: frozenset(db.session.scalars(_STORED_KINDS))))



def add_search(q: str, plan: Plan) -> None:
    """Activities whose organisation's name contains ``q`` or credit code starts with it, whose
    subject contains ``q`` (as typed or as a normalised standard number), or whose own id is ``q``:
    added to ``plan`` as a set of ids, as a test on an activity's row, as a count, and as a short list."""
    organisations = select(Organisation.id).where(or_(
        Organisation.name.like(f"%{like_escape(q)}%", escape="\\"),
        Organisation.credit_code.like(f"{like_escape(q.upper())}%", escape="\\"),
    )).correlate(None)
    try:
        canonical = normalise(q)
    except Exception:  # noqa: BLE001 - a search box must never fail on odd input
        canonical = q
    spellings = [q] if not canonical or canonical.lower() == q.lower() else [q, canonical]

    def subject_matches(column: Any) -> ColumnElement[bool]:
        return or_(*(contains(column, text) for text in spellings))

    by_organisation = ActivityRecord.organisation_id.in_(organisations)
    # On SQLite the subjects are searched in memory (subjects.py) unless they match many.
    found = subject_ids(spellings, thresholds.FEW) if db.session.get_bind().dialect.name == "sqlite" else None
    if found is None:
        by_subject = select(ActivityRecord.id).where(subject_matches(ActivityRecord.subject)).correlate(None)
    else:
        by_subject = select(ActivityRecord.id).where(ActivityRecord.id.in_(found)).correlate(None)
    either = union(
        select(ActivityRecord.id).where(by_organisation).correlate(None),
        by_subject,
        select(ActivityRecord.id).where(ActivityRecord.external_id == q).correlate(None),
    ).subquery()
    row = or_(
        not_indexed(ActivityRecord.organisation_id).in_(organisations),
        not_indexed(ActivityRecord.external_id) == q,
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
        return (db.session.scalar(select(func.count()).select_from(ActivityRecord).where(by_organisation)) or 0) <= limit

    # As the set driving a pass (with other filters), each id counts twice:
    # a union of three index passes, sorted, costs about twice as much per
    # id as another filter's index range.
    plan.add(select(either.c.id).correlate(None), row, ActivityRecord.id.in_(select(either.c.id).correlate(None)),
             lambda: count([]), weight=thresholds.SEARCH_WEIGHT, counter=count, short=short)



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


def build_plan(scope: Scope, filt: RegisterFilter) -> Plan:
    if not scope.kinds:
        return Plan(empty=True)
    plan = Plan()
    if filt.year:
        plan.since, plan.before = date(filt.year, 1, 1), date(filt.year + 1, 1, 1)
    # The sizes and counts of the kind, county and paid sets change only with
    # an evaluation run: kept until the next one (sql.stored_count).
    by_kinds = None
    if filt.kind or not stored_kinds() <= set(scope.kinds):
        by_kind = ActivityRecord.kind.in_(scope.kinds)
        by_kinds = tuple(scope.kinds)
        plan.add(select(ActivityRecord.id).where(by_kind), not_indexed(ActivityRecord.kind).in_(scope.kinds),
                 by_kind, lambda: stored_count(("kinds", by_kinds), lambda: count_where(by_kind)))
    if filt.county:
        organisations = select(Organisation.id).where(Organisation.region_code == filt.county).correlate(None)
        by_county = ActivityRecord.organisation_id.in_(organisations)
        plan.add(select(ActivityRecord.id).where(by_county), not_indexed(ActivityRecord.organisation_id).in_(organisations),
                 by_county, lambda: stored_count(("county", filt.county), lambda: count_where(by_county)))
    plan.key = (by_kinds, filt.county or None, tuple(scope.plugins) if filt.paid_only else None)
    q = (filt.q or "").strip()
    if q:
        plan.key = None  # a search: its count is not kept
        add_search(q, plan)
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
                           not_indexed(paid.plugin).in_(scope.plugins), paid.amount > 0),
            ActivityRecord.id.in_(ids),
            lambda: stored_count(("paid outcomes", tuple(scope.plugins)), lambda: db.session.scalar(
                select(func.count()).select_from(OutcomeRecord).where(*current_paid)) or 0),
            test=not_indexed(ActivityRecord.id).in_(ids),
            counter=lambda dates: None if dates else _paid_count(scope.plugins),
        )
    if filt.review:
        plan.key = None  # review decisions are recorded without an evaluation run
        # Held outcomes are few (a reviewer's queue): their activities as a list of ids.
        held = held_activity_ids(scope.plugins, filt.review)
        plan.add(select(ActivityRecord.id).where(ActivityRecord.id.in_(held)), not_indexed(ActivityRecord.id).in_(held),
                 ActivityRecord.id.in_(held), lambda: len(held), short=lambda limit: len(held) <= limit)
    return plan
