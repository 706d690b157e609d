"""Which stored activities a parameter change can affect: re-evaluate those, in whole groups.

Every outcome records the parameter versions it read (``OutcomeRecord.parameters``:
``[{key, value, effective_from, version_id, …}]``). A new version ``w`` of a key,
effective from ``D``, changes the value in force only on ``D`` and later, up
to the next version. An outcome that read version ``v`` (in force from ``F``
until the next version ``N`` believed when the outcome was computed) read it
on some day in ``[F, N)``; ``w`` changes what that day reads exactly when
``F ≤ D < N``. Those outcomes' activities, with every activity of their
evaluation groups (``core.grouping``: the one-time chain of a standard, the
forerunners of a year and category), are re-evaluated; evaluating whole
groups gives what evaluating everything would (tests/test_grouping.py).

A read leaves no trace in two cases, and then the set cannot be told safely
and the caller evaluates everything instead, saying why (``Scope.reason``):
a version that covers days on which no version was in force before (the
rules read "not in force" and record nothing), and a key that no stored
outcome records (read, if at all, without recording: e.g. the region list a
hold consults, or a cap read by validation). So is everything else a
re-evaluation picks up besides parameter versions: reference data recorded,
plugins enabled, disabled or upgraded since the outcomes were computed
(organisations renamed since are re-evaluated with their groups: the
explanations name them). The
rule this relies on: a plugin records in an outcome each parameter version
that outcome depends on whenever it records one of that key (keys it never
records are handled by the fallback above).

What "since the outcomes were computed" means: the start of the last
re-evaluation of everything (which left every outcome as the parameters
then made it), else of the oldest run whose outcomes are current; each
outcome is compared with the versions recorded after its own run started.
Ties count as later (the check errs toward re-evaluating).

One thing changes outcomes with nothing recorded: the day. The outcomes of
kinds declared ``daily`` (``ActivityKind.daily``: their rules read
``evaluated_on``) computed on an earlier day are recomputed too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import String, bindparam, case, cast, func, select, update

from .. import clock
from ..activities import Activity
from ..db import db
from ..grouping import group_of
from ..models import (ActivityRecord, EvaluationRun, Organisation, OrganisationName, OutcomeRecord, ParameterVersionRecord,
                      PluginEnablement, ReferenceVersionRecord)
from ..registry import Registry
from .departments import active_plugins
from .rows import among as among_values, plain_rows

__all__ = ["ACTIVITY_COLUMNS", "Change", "Scope", "activities_by_id", "affected_by", "as_activity", "fill_group_keys",
           "group_key", "group_members", "joined_groups", "pending_scope", "proposal_scope", "whole_group_chunks"]

_CHUNK = 500
#: Timestamps this close count as simultaneous (the change may be the later one); the clock has microseconds.
_TIE = timedelta(0)
#: Re-evaluations of everything: they leave every outcome as the parameters then in force make it.
FULL_TRIGGERS = ("reevaluate",)


def group_key(kinds: Mapping[str, Any], activity: Activity) -> str:
    """The stored form of ``activity``'s group key within its kind ("" for a kind that is one group).

    Cut to the column's 200 characters: two groups that share a cut key are
    re-evaluated together, which is still a union of whole groups.
    """
    _, key = group_of(kinds, activity)
    return "" if key is None else repr(key)[:200]


def fill_group_keys(registry: Registry) -> int:
    """Store the group key of every activity of a loaded kind that has none yet; how many were filled.

    Rows migrated from before the column, or stored by a path that did not fill it.
    """
    query = (
        select(ActivityRecord.id, ActivityRecord.kind, ActivityRecord.date, ActivityRecord.fields, Organisation.credit_code)
        .join(Organisation, ActivityRecord.organisation_id == Organisation.id)
        .where(ActivityRecord.group_key.is_(None), ActivityRecord.kind.in_(list(registry.kinds)))
    )
    rows = [{"_id": id_, "_key": group_key(registry.kinds, Activity(kind, day, code, dict(fields or {})))}
            for id_, kind, day, fields, code in db.session.execute(query)]
    table = ActivityRecord.__table__
    statement = update(table).where(table.c.id == bindparam("_id")).values(group_key=bindparam("_key"))  # type: ignore[arg-type]
    for start in range(0, len(rows), 5000):
        db.session.execute(statement, rows[start:start + 5000], execution_options={"synchronize_session": False})
    return len(rows)


def group_members(activity_ids: Collection[int]) -> set[int]:
    """``activity_ids`` and every stored activity in the same evaluation group as one of them."""
    groups: dict[str, set[str]] = defaultdict(set)
    ids = sorted(activity_ids)
    if not ids:
        return set()
    # Ids and keys each in one bound value (``rows.among``), the rows plain (as ``activities_by_id``).
    for kind, key in plain_rows(select(ActivityRecord.kind, ActivityRecord.group_key)
                                .where(among_values(ActivityRecord.id, ids))):
        groups[kind].add(key or "")
    members = set(ids)
    for kind, keys in groups.items():
        members.update(id_ for id_, in plain_rows(select(ActivityRecord.id).where(
            ActivityRecord.kind == kind, among_values(ActivityRecord.group_key, sorted(keys)))))
    return members


def joined_groups(registry: Registry, new: Iterable[tuple[int, str, str]], *, below: int | None = None) -> set[int]:
    """The whole evaluation groups that activities just stored joined: the ids of the activities stored
    before in their groups, and of the new ones in the same groups.

    Empty when every new activity is in a group the register did not hold.

    :param new: (stored id, kind, group key as stored: ``group_key``) of each new activity.
    :param below: every activity stored before has a smaller id than this
        (the new ones are then not read back).
    """
    fill_group_keys(registry)
    new_ids: set[int] = set()
    by_group: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for activity_id, kind, key in new:
        new_ids.add(activity_id)
        by_group[kind][key].append(activity_id)
    found: set[int] = set()
    for kind, groups in by_group.items():
        # The kind's keys in one bound value (``rows.among``): 100,000 new activities asked in lists of 500 took
        # 200 queries and ORM rows.
        query = select(ActivityRecord.id, ActivityRecord.group_key).where(
            ActivityRecord.kind == kind, among_values(ActivityRecord.group_key, sorted(groups)))
        if below is not None:
            query = query.where(ActivityRecord.id < below)
        for id_, stored_key in plain_rows(query):
            if id_ not in new_ids:
                found.add(id_)
                found.update(groups[stored_key or ""])
    return found


@dataclass(frozen=True)
class Change:
    """A parameter version to account for: recorded (``recorded_at``) or proposed (``None``: after everything)."""

    key: str
    effective_from: date
    recorded_at: datetime | None = None
    version_id: int | None = None


@dataclass
class Scope:
    """What to re-evaluate: ``activity_ids`` (whole groups), or everything when ``activity_ids`` is ``None``."""

    activity_ids: set[int] | None
    #: Why everything (``None`` when the set was determined).
    reason: str | None = None
    #: The changes accounted for.
    changes: list[Change] = field(default_factory=list)
    #: (``pending_scope``) when each run's current outcomes were last confirmed, as read (``affected_by``'s ``runs``).
    runs: dict[int, datetime] | None = None

    @property
    def everything(self) -> bool:
        return self.activity_ids is None


@dataclass(frozen=True)
class _Version:
    id: int
    effective_from: date
    recorded_at: datetime


def _versions(keys: Iterable[str]) -> dict[str, list[_Version]]:
    found: dict[str, list[_Version]] = defaultdict(list)
    wanted = sorted(set(keys))
    for start in range(0, len(wanted), _CHUNK):
        for key, id_, day, at in db.session.execute(
            select(ParameterVersionRecord.key, ParameterVersionRecord.id, ParameterVersionRecord.effective_from,
                   ParameterVersionRecord.recorded_at).where(ParameterVersionRecord.key.in_(wanted[start:start + _CHUNK]))
        ):
            found[key].append(_Version(id_, day, at))
    return found


def _like(key: str) -> str:
    escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f'%"{escaped}"%'


def _readers(registry: Registry, key: str) -> list[tuple[int, int, list[dict[str, Any]]]]:
    """(activity id, run id, recorded reads) of the current outcomes that recorded a read of ``key``."""
    query = (
        select(OutcomeRecord.activity_id, OutcomeRecord.run_id, OutcomeRecord.parameters)
        .join(ActivityRecord, OutcomeRecord.activity_id == ActivityRecord.id)
        .where(OutcomeRecord.superseded_at.is_(None), ActivityRecord.kind.in_(list(registry.kinds)),
               cast(OutcomeRecord.parameters, String).like(_like(key), escape="\\"))
    )
    return [(a, r, [p for p in (reads or ()) if isinstance(p, dict) and p.get("key") == key])
            for a, r, reads in db.session.execute(query)]


def affected_by(registry: Registry, changes: Collection[Change], runs: Mapping[int, datetime] | None = None) -> Scope:
    """The activities (whole groups) whose outcomes ``changes`` can alter, or everything and why.

    :param runs: when the outcomes of each run were last confirmed: the run's
        start, or the last re-evaluation of everything if later (it left them
        as they were because they came out the same). Loaded here when not
        given. An outcome confirmed before a change was recorded may be
        stale; one confirmed after it already used it.
    """
    by_key: dict[str, list[Change]] = defaultdict(list)
    for change in changes:
        if change.key in registry.parameters:  # a key no loaded plugin declares: nothing reads it
            by_key[change.key].append(change)
    if not by_key:
        return Scope(set(), changes=list(changes))
    versions = _versions(by_key)
    started = dict(runs) if runs is not None else None
    candidates: set[int] = set()
    for key, key_changes in by_key.items():
        readers = _readers(registry, key)
        if not readers:
            return Scope(None, f"no stored outcome records a read of {key}: who reads it cannot be told",
                         list(changes))
        if started is None:
            started = _run_starts()
        for change in key_changes:
            # Days on which no version was in force before the change: read as "not in force", unrecorded.
            earlier = [v.effective_from for v in versions[key]
                       if v.id != change.version_id and (change.recorded_at is None or v.recorded_at < change.recorded_at)]
            if not earlier or change.effective_from < min(earlier):
                return Scope(None, f"{key} had no version in force on {change.effective_from.isoformat()}: "
                                   "outcomes of such days record no read", list(changes))
        cache: dict[tuple[int, int], tuple[date, date | None]] = {}
        for activity_id, run_id, reads in readers:
            run_start = started.get(run_id)
            for read in reads:
                version_id = read.get("version_id")
                for change in key_changes:
                    if change.recorded_at is not None and run_start is not None and run_start > change.recorded_at + _TIE:
                        continue  # computed after the change was recorded: it used it
                    if version_id is None:  # a value not stored (cannot happen in the register): be safe
                        candidates.add(activity_id)
                        break
                    span = cache.get((version_id, run_id))
                    if span is None:
                        span = cache[version_id, run_id] = _span(versions[key], version_id, read, run_start)
                    start, end = span
                    if start <= change.effective_from and (end is None or change.effective_from < end):
                        candidates.add(activity_id)
                        break
    return Scope(group_members(candidates) if candidates else set(), changes=list(changes))


def _span(versions: list[_Version], version_id: int, read: Mapping[str, Any], run_start: datetime | None) -> tuple[date, date | None]:
    """``[F, N)``: the days version ``version_id`` was in force for a run that started at ``run_start``.

    ``N`` counts the versions recorded before the run (others did not exist
    then); unknown times widen the span, never narrow it.
    """
    mine = next((v for v in versions if v.id == version_id), None)
    start = mine.effective_from if mine is not None else date.fromisoformat(str(read["effective_from"]))
    later = [v.effective_from for v in versions
             if v.effective_from > start and run_start is not None and v.recorded_at < run_start - _TIE]
    return start, (min(later) if later else None)


@dataclass(frozen=True)
class _Current:
    """What the current outcomes were computed by, from one pass over them."""

    runs: frozenset[int]
    plugin_versions: frozenset[tuple[str, str]]
    errors: bool


def _current() -> _Current:
    rows = db.session.execute(
        select(OutcomeRecord.run_id, OutcomeRecord.plugin, OutcomeRecord.plugin_version,
               func.max(case((OutcomeRecord.status == "error", 1), else_=0)))
        .where(OutcomeRecord.superseded_at.is_(None))
        .group_by(OutcomeRecord.run_id, OutcomeRecord.plugin, OutcomeRecord.plugin_version)
    ).all()
    return _Current(frozenset(r[0] for r in rows), frozenset((r[1], r[2]) for r in rows), any(r[3] for r in rows))


def _run_starts(current: _Current | None = None) -> dict[int, datetime]:
    """When the outcomes of each run that has current ones were last confirmed (``affected_by``'s ``runs``)."""
    runs = sorted((current or _current()).runs)
    starts = {id_: at for id_, at in db.session.execute(
        select(EvaluationRun.id, EvaluationRun.started_at).where(EvaluationRun.id.in_(runs)))}
    full = _last_full()
    if full is not None:
        starts = {id_: max(at, full[0]) for id_, at in starts.items()}
    return starts


def _last_full() -> tuple[datetime, list[str] | None] | None:
    """When the last finished re-evaluation of everything started, and its plugins."""
    row = db.session.execute(
        select(EvaluationRun.started_at, EvaluationRun.plugins)
        .where(EvaluationRun.trigger.in_(FULL_TRIGGERS), EvaluationRun.since.is_(None), EvaluationRun.finished_at.is_not(None))
        .order_by(EvaluationRun.started_at.desc(), EvaluationRun.id.desc()).limit(1)
    ).first()
    return (row[0], row[1]) if row is not None else None


def pending_scope(registry: Registry, plugins: Collection[str], *, imports: bool = True, days: bool = True) -> Scope:
    """What ``stdpolicy reevaluate`` must recompute for the stored outcomes to be what evaluating everything gives now.

    Activities stored since the last re-evaluation of everything are in it
    too, with their groups: an import evaluates its records as the file
    gives them (an organisation's name missing from a record, which the
    register knows from another), a re-evaluation as the register holds them.
    So are the activities of ``daily`` kinds whose outcomes were computed on
    an earlier day (a certificate's days left change every day).

    :param plugins: the plugins that evaluate now (``active_plugins``).
    :param imports: whether to count the activities stored since (the
        previews, which add amounts only, do not).
    :param days: whether to count the daily kinds' outcomes of earlier days
        (the previews, which compare a proposal with what is stored, do not:
        the day's change is not the proposal's).
    """
    current = _current()
    starts = _run_starts(current)
    if not starts:
        return Scope(None, "no current outcomes")
    last_full = _last_full()
    if imports and last_full is None:
        return Scope(None, "the register was never re-evaluated as a whole since its activities were imported")
    since = min(starts.values())  # (each is at least the last full re-evaluation's start)
    since_tied = since - _TIE
    # Which plugins computed the current outcomes: the last full run's, and every later run's.
    later_plugins = list(db.session.scalars(select(EvaluationRun.plugins).where(EvaluationRun.started_at >= since_tied)))
    if last_full is None:
        later_plugins += list(db.session.scalars(select(EvaluationRun.plugins).where(EvaluationRun.id.in_(list(starts)))))
    elif last_full[1] is not None:
        later_plugins.append(last_full[1])
    if any(set(p or ()) != set(plugins) for p in later_plugins):
        return Scope(None, "plugins were enabled or disabled since the outcomes were computed")
    if db.session.scalar(select(func.count()).select_from(PluginEnablement).where(PluginEnablement.changed_at >= since_tied)):
        return Scope(None, "plugins were enabled or disabled since the outcomes were computed")
    if current.errors:
        return Scope(None, "some outcomes are errors of a plugin that raised")
    versions_now = {name: str(registry.plugins[name].version) for name in plugins if name in registry.plugins}
    for plugin, version in current.plugin_versions:
        if plugin in versions_now and version != versions_now[plugin]:
            return Scope(None, f"plugin {plugin} was upgraded since its outcomes were computed")
    if db.session.scalar(select(func.count()).select_from(ReferenceVersionRecord)
                         .where(ReferenceVersionRecord.recorded_at >= since_tied)):
        return Scope(None, "reference data was recorded since the outcomes were computed")
    changes = [Change(key, day, at, id_) for key, day, at, id_ in db.session.execute(
        select(ParameterVersionRecord.key, ParameterVersionRecord.effective_from, ParameterVersionRecord.recorded_at,
               ParameterVersionRecord.id).where(ParameterVersionRecord.recorded_at >= since_tied)
        .order_by(ParameterVersionRecord.id))]
    # An organisation renamed since: explanations name it (its own, and the other party's of a held rank);
    # and (``imports``) the activities stored since.
    renamed = select(OrganisationName.organisation_id).group_by(OrganisationName.organisation_id).having(
        func.count() > 1, func.max(OrganisationName.first_seen_at) >= since_tied)
    named = set(db.session.scalars(select(ActivityRecord.id).where(
        ActivityRecord.organisation_id.in_(renamed), ActivityRecord.kind.in_(list(registry.kinds)))))
    if imports and last_full is not None:
        named |= set(db.session.scalars(select(ActivityRecord.id).where(
            ActivityRecord.created_at >= last_full[0] - _TIE, ActivityRecord.kind.in_(list(registry.kinds)))))
        everything = db.session.scalar(select(func.count()).select_from(ActivityRecord)) or 0
        if len(named) * 2 > everything:
            return Scope(None, "most activities were stored since the last re-evaluation of everything")
    if days:
        named |= _stale_by_day(registry, starts)
    scope = affected_by(registry, changes, starts) if changes else Scope(set())
    if named and scope.activity_ids is not None:
        scope.activity_ids |= group_members(named)
    scope.runs = starts
    return scope


def proposal_scope(registry: Registry, changes: Collection[Change]) -> set[int] | None:
    """The stored activities (whole groups) that recording ``changes`` can alter, or ``None``: evaluate every one.

    For the previews of a parameter version and the what-if, which compare
    what evaluating would give with the stored outcomes: ``None`` too while
    those outcomes are not what the stored parameters, reference data and
    enablements make them (``pending_scope``), since the amounts taken from
    them would not be the ones evaluating gives.
    """
    pending = pending_scope(registry, active_plugins(registry), imports=False, days=False)
    if pending.everything or pending.activity_ids:
        return None
    return affected_by(registry, changes, pending.runs).activity_ids


def _stale_by_day(registry: Registry, starts: Mapping[int, datetime]) -> set[int]:
    """The activities of ``daily`` kinds whose current outcomes were computed (or last confirmed) before today.

    A run's day is the city's day of its start (``core.clock``): the day its
    rules read as ``evaluated_on``.
    """
    daily = [name for name, kind in registry.kinds.items() if kind.daily]
    today = clock.today()
    earlier = [run for run, at in starts.items() if clock.local(at).date() < today]
    if not daily or not earlier:
        return set()
    found: set[int] = set()
    for start in range(0, len(earlier), _CHUNK):
        found.update(db.session.scalars(
            select(OutcomeRecord.activity_id).distinct()
            .join(ActivityRecord, OutcomeRecord.activity_id == ActivityRecord.id)
            .where(OutcomeRecord.superseded_at.is_(None), OutcomeRecord.run_id.in_(earlier[start:start + _CHUNK]),
                   ActivityRecord.kind.in_(daily))))
    return found


#: A stored activity's columns as plugins evaluate it, and its organisation's (joined): ``as_activity`` takes them.
ACTIVITY_COLUMNS = (ActivityRecord.id, ActivityRecord.kind, ActivityRecord.date, ActivityRecord.fields,
                    ActivityRecord.external_id, Organisation.credit_code, Organisation.name)


def as_activity(row: Any) -> Activity:
    """A row of ``ACTIVITY_COLUMNS`` as the ``Activity`` plugins evaluate (``ref``: the record's own id, else ``#id``)."""
    id_, kind, day, fields, external_id, code, name = row
    return Activity(kind, day, code, dict(fields), ref=external_id or f"#{id_}", organisation=name, stored_id=id_)


def activities_by_id(activity_ids: Collection[int]) -> list[Activity]:
    """The stored activities ``activity_ids`` as plugins evaluate them, oldest first (as ``stored_activities``)."""
    if not activity_ids:
        return []
    # The ids in one bound value (``rows.among``): in lists of 500, PostgreSQL's driver parsed each
    # statement of 500 placeholders anew (a tenth of a re-evaluation of everything).
    found = plain_rows(
        select(*ACTIVITY_COLUMNS)
        .join(Organisation, ActivityRecord.organisation_id == Organisation.id)
        .where(among_values(ActivityRecord.id, sorted(activity_ids)))
    ).all()
    found.sort(key=lambda row: (row[2], row[0]))
    return [as_activity(row) for row in found]


def whole_group_chunks(kinds: Collection[str], size: int, *, among: Collection[int] | None = None,
                       since: date | None = None) -> Iterator[list[int]]:
    """The ids of every stored activity of ``kinds``, cut into chunks of whole groups of about ``size`` or more.

    Activities come by kind and group key, so a group is never cut (a chunk
    grows past ``size`` rather than split one); the keys must be filled
    (``fill_group_keys``). Only the ids are held, never the register.

    :param among: only these ids (whole groups themselves).
    :param since: only activities dated on or after this day (of each group,
        those from that day on).
    """
    query = select(ActivityRecord.id, ActivityRecord.kind, ActivityRecord.group_key).where(
        ActivityRecord.kind.in_(list(kinds)))
    if since is not None:
        query = query.where(ActivityRecord.date >= since)
    if among is not None:  # those ids alone are read (every activity's key was, to keep a few)
        query = query.where(among_values(ActivityRecord.id, sorted(among)))
    rows = plain_rows(query.order_by(ActivityRecord.kind, ActivityRecord.group_key, ActivityRecord.id)).all()
    chunk: list[int] = []
    last: tuple[str, str | None] | None = None
    for id_, kind, key in rows:
        if len(chunk) >= size and (kind, key) != last:
            yield chunk
            chunk = []
        chunk.append(id_)
        last = (kind, key)
    if chunk:
        yield chunk
