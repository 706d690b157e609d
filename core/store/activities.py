"""Storing activities and their outcomes; re-evaluating stored ones.

These functions add to the current transaction and never commit: the use
cases of ``core.services`` call them under the writer lock and commit
once, so an import is stored whole or not at all.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Text, cast, func, select, update

from ..activities import Activity, Reported, ValidationReport
from ..db import db, utcnow
from ..evaluation import EvaluationContext, EvaluationResult
from ..models import ActivityRecord, Department, EvaluationRun, Organisation, OutcomeRecord
from ..outcomes import ERROR_RULE, Outcome, ParamValue
from ..registry import Registry
from .audit import audit
from .bulk import insert_rows, refresh_statistics, reserve_ids
from .departments import active_plugins, enabled_plugins
from .history import StoredHistory
from ..jsontext import canonical, dumps
from .incremental import (ACTIVITY_COLUMNS, Scope, activities_by_id, as_activity, fill_group_keys, group_key,
                          joined_groups, pending_scope, whole_group_chunks)
from .organisations import NameChange, ensure_organisations
from .parameters import require_parameters, resolver
from .refdata import reference_resolver
from .rows import among, plain_rows

__all__ = [
    "ImportResult",
    "ReevaluationResult",
    "evaluation_context",
    "fingerprint",
    "import_records",
    "reevaluate",
    "stored_activities",
    "stored_fingerprints",
    "to_activity",
]

_CHUNK = 500
#: An import of this many activities or more, a tenth of the register or more, has its statistics sampled again.
_STATISTICS_AFTER = 1000


@dataclass
class ReevaluationResult:
    run: EvaluationRun
    activities: int
    changed: int
    unchanged: int
    #: The evaluation itself: its outcomes, and the plugins that raised (``result.failures``).
    result: EvaluationResult | None = None
    #: Only the activities (whole groups) the recorded changes can affect were recomputed.
    incremental: bool = False
    #: Asked for an incremental re-evaluation, recomputed everything: why (``core.store.incremental``).
    everything_because: str | None = None


@dataclass
class ImportResult(Reported):
    """What an import validated, stored and skipped."""

    report: ValidationReport
    stored: list[Activity] = field(default_factory=list)
    #: Valid records not stored: (activity, why) — already stored, or repeated in the file.
    skipped: list[tuple[Activity, str]] = field(default_factory=list)
    run: EvaluationRun | None = None
    result: EvaluationResult | None = None
    #: Known credit codes that arrived with another organisation name (now their current name).
    renamed: list[NameChange] = field(default_factory=list)
    #: The re-evaluation that held a stored partner of a new record at once (a rank claimed by both), if any.
    reevaluated: ReevaluationResult | None = None


def fingerprint(activity: Activity) -> str:
    """SHA-256 of the canonical record (``jsontext.canonical``): kind, date, credit code, source id, fields."""
    source_id = None if activity.ref.startswith("#") else activity.ref
    payload = canonical([activity.kind, activity.date.isoformat(), activity.credit_code, source_id, activity.fields])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def evaluation_context(registry: Registry, department: Department | None = None) -> tuple[EvaluationContext, list[str] | None]:
    """The context and plugins for evaluating against the database.

    With a department, only the plugins it enabled; without, every loaded plugin.

    :raises ParametersNotStored: one of those plugins ships parameters the
        database does not hold yet (installed after ``stdpolicy init``).
    """
    plugins = sorted(enabled_plugins(department)) if department is not None else None
    require_parameters(registry, plugins)
    context = EvaluationContext(
        parameters=resolver(registry),
        history=StoredHistory(),
        department=department.code if department is not None else None,
        references=reference_resolver(registry),
    )
    return context, plugins


def import_records(
    registry: Registry,
    records: Iterable[Any],
    *,
    source: str,
    actor: str,
    department: Department | None = None,
    report: ValidationReport | None = None,
    lap: Callable[[str], None] | None = None,
) -> ImportResult:
    """Validate every record; if all are valid, store the new ones and their outcomes.

    Nothing is added when any record is invalid. A record already stored
    (same fingerprint), or repeated within the input, is skipped. The new
    activities are evaluated by the plugins some department has enabled, and
    the outcomes are stored under one ``EvaluationRun``. A known credit code
    with another organisation name renames the organisation and is kept in
    its name history (``ImportResult.renamed``).

    Adds to the current transaction; ``core.services.import_activities``
    runs it under the writer lock and commits.

    :param report: the records' validation against the parameters stored
        now, if the caller has it; else they are validated here.
    :param lap: called with the name of each step as it ends (``stdpolicy
        import --timings``): ``validate`` (when validated here),
        ``fingerprints``, ``organisations``, ``store_activities``,
        ``evaluate``, ``store_outcomes``, ``groups`` (the groups joined, re-evaluated).
    :raises ParametersNotStored: a plugin some department enabled ships
        parameters the database does not hold yet; nothing is added.
    """
    require_parameters(registry, active_plugins(registry))
    parameters = resolver(registry)
    references = reference_resolver(registry)
    if report is None:
        report = registry.validate(records, parameters, references=references)
        if lap is not None:
            lap("validate")
    lap = lap or _no_lap
    result = ImportResult(report)
    if report.invalid:
        return result

    prints: dict[str, Activity] = {}
    for activity in report.valid:
        fp = fingerprint(activity)
        if fp in prints:
            result.skipped.append((activity, f"same record as {prints[fp].ref}"))
        else:
            prints[fp] = activity
    already = stored_fingerprints(list(prints))
    new: list[tuple[str, Activity]] = []
    for fp, activity in prints.items():
        if fp in already:
            result.skipped.append((activity, "already stored"))
        else:
            new.append((fp, activity))
    lap("fingerprints")

    if new:
        plugins = active_plugins(registry)
        run = _start_run("import", actor, plugins)
        organisations, result.renamed = ensure_organisations(
            [a for _, a in new], source=source, actor=actor, run=run,
        )
        # Evaluated with the names the register now holds, as a re-evaluation will be: a record
        # without a name (or with an earlier one) is named in explanations as the register names it.
        names = _register_names(organisations.values())
        for _, activity in new:
            activity.organisation = names.get(activity.credit_code, activity.organisation)
        lap("organisations")
        # Stored by date, so the ids say which report came first (core.in_recorded_order).
        new.sort(key=lambda item: (item[1].date, item[1].row))
        now = utcnow()
        department_id = department.id if department is not None else None
        stored_source = source[:300]
        subject_fields = {name: kind.subject_field for name, kind in registry.kinds.items()}
        kinds = registry.kinds
        largest = db.session.scalar(select(func.max(ActivityRecord.id))) or 0
        # Ids reserved beforehand, in the order of the rows; then one COPY (PostgreSQL) or executemany
        # (SQLite): far cheaper than SQLAlchemy binding each row. The rows are built as they are sent.
        ids = reserve_ids(ActivityRecord, len(new))
        # (stored id, kind, group key) of each new activity, kept where the register held some already:
        # the groups they join are re-evaluated below.
        grouped: list[tuple[int, str, str]] = []
        keep_groups = grouped.append if largest else None

        def rows() -> Iterator[tuple[Any, ...]]:
            for activity_id, (fp, activity) in zip(ids, new):
                activity.stored_id = activity_id
                subject_field = subject_fields[activity.kind]
                subject = activity.fields.get(subject_field) if subject_field else None
                ref = activity.ref
                key = group_key(kinds, activity)
                if keep_groups is not None:
                    keep_groups((activity_id, activity.kind, key))
                yield (
                    activity_id, activity.kind, organisations[activity.credit_code], activity.date, activity.fields,
                    str(subject)[:200] if subject is not None else None, None if ref.startswith("#") else ref, fp,
                    stored_source, department_id, now, actor, key,
                )

        insert_rows(ActivityRecord, rows(), columns=_ACTIVITY_COLUMNS)
        result.stored = [a for _, a in new]
        lap("store_activities")

        # The ids reserved are all above every stored one (SQLite: by construction; PostgreSQL: the
        # sequence, checked): the history read while evaluating leaves this import's rows out.
        history = StoredHistory(batch_from=ids[0] if ids[0] > largest else None)
        context = EvaluationContext(parameters=parameters, history=history,
                                    department=department.code if department is not None else None,
                                    references=references)
        result.result = registry.evaluate(result.stored, context, plugins=plugins)
        lap("evaluate")
        run.activities = len(result.stored)
        run.outcomes_added = _store_outcomes(run, result.result.outcomes)
        if len(new) >= _STATISTICS_AFTER and len(new) * 10 >= largest + len(new):
            # A tenth or more of the register is new: what the re-evaluation below and the commands
            # after it plan their queries by (PostgreSQL) is sampled again now.
            refresh_statistics([ActivityRecord, OutcomeRecord, Organisation])
        lap("store_outcomes")
        run.finished_at = utcnow()
        result.run = run
        # The new records joined evaluation groups the register already held (the same standard,
        # the same organisation): the stored records of those groups may come out differently now
        # (two organisations claiming one rank are both held; a later edition stored as new is held
        # once an earlier one is there). Those whole groups are re-evaluated now, in this transaction;
        # unchanged outcomes stay as they are. (Re-evaluating everything from the earliest date a
        # held outcome named took 6 s and 700 MB for an import of 200 records into a register of
        # 100,000, and missed stored records dated before it.)
        if grouped:
            joined = joined_groups(registry, grouped, below=ids[0] if ids[0] > largest else None)
            if joined:
                result.reevaluated = reevaluate(registry, actor=actor, activity_ids=joined)

    after: dict[str, Any] = {"stored": len(result.stored), "skipped": len(result.skipped),
                             "run": result.run.id if result.run else None}
    if result.renamed:
        after["renamed"] = [{"credit_code": c.credit_code, "before": c.before, "after": c.after}
                            for c in result.renamed]
    audit("activities.import", actor, source[:300], department=department, after=after)
    lap("groups")
    return result


def _no_lap(name: str) -> None:
    pass


def _register_names(organisation_ids: Iterable[int]) -> dict[str, str | None]:
    """Credit code → the organisation's name in the register, for these organisations."""
    ids = list(organisation_ids)
    names: dict[str, str | None] = {}
    for start in range(0, len(ids), 5000):
        names.update(db.session.execute(
            select(Organisation.credit_code, Organisation.name).where(Organisation.id.in_(ids[start:start + 5000]))
        ).all())
    return names


def stored_fingerprints(prints: Sequence[str]) -> set[str]:
    """Those of ``prints`` that a stored activity has.

    Sent as the driver takes them: SQLAlchemy rendering an ``IN`` of 5,000
    values 20 times cost more than SQLite's lookups (0.25 of 0.4 s for 100,000).
    PostgreSQL gets them all at once as one array (``= ANY``), in binary (``%b``): the
    server parsing 100,000 fingerprints of a text array literal took 0.5 s, 0.14 s this way.
    """
    connection = db.session.connection()
    table = connection.dialect.identifier_preparer.quote(ActivityRecord.__tablename__)
    found: set[str] = set()
    if connection.dialect.name == "postgresql":
        if prints:
            found.update(connection.exec_driver_sql(
                f"SELECT fingerprint FROM {table} WHERE fingerprint = ANY(%b)", (list(prints),)).scalars())
        return found
    for start in range(0, len(prints), _PRINTS_CHUNK):
        chunk = tuple(prints[start:start + _PRINTS_CHUNK])
        found.update(connection.exec_driver_sql(
            f"SELECT fingerprint FROM {table} WHERE fingerprint IN ({', '.join('?' * len(chunk))})", chunk).scalars())
    return found


#: Fingerprints looked up per query on SQLite (an import of 100,000: 20 queries, not 200; SQLite allows 32,766 values).
_PRINTS_CHUNK = 5000


#: The columns of the activity rows ``import_records`` stores, in their order.
_ACTIVITY_COLUMNS = ("id", "kind", "organisation_id", "date", "fields", "subject", "external_id", "fingerprint",
                     "source", "department_id", "created_at", "created_by", "group_key")


def _start_run(trigger: str, actor: str, plugins: list[str], since: date | None = None) -> EvaluationRun:
    run = EvaluationRun(trigger=trigger, actor=actor, plugins=plugins, since=since, started_at=utcnow())
    db.session.add(run)
    db.session.flush()
    return run


def _outcome_values(o: Outcome, run_id: int, now: Any, parameters: list[dict[str, Any]],
                    references: list[dict[str, Any]] | None) -> tuple[Any, ...]:
    """An outcome's row: the values of ``_OUTCOME_COLUMNS`` in their order, given the JSON lists of the
    parameter versions and reference data it read (``None`` when it read none: outcomes stored before
    reference data existed compare equal)."""
    return (o.activity.stored_id, run_id, o.plugin, o.plugin_version, o.rule, o.amount, o.clause,
            o.subject[0] + o.reason[0], o.subject[1] + o.reason[1], parameters, o.status, o.dedup_key,
            o.details, references, now)


def _outcome_row(outcome: Outcome, run_id: int, now: Any) -> dict[str, Any]:
    """An outcome's row as a dict (column → value), its JSON lists made for it alone."""
    references = [r.to_json() for r in outcome.references] if outcome.references else None
    return dict(zip(_OUTCOME_COLUMNS, _outcome_values(outcome, run_id, now, [p.to_json() for p in outcome.parameters],
                                                      references)))


#: The columns of an outcome's row, in the order ``_outcome_values`` gives them.
_OUTCOME_COLUMNS = ("activity_id", "run_id", "plugin", "plugin_version", "rule", "amount", "clause",
                    "explanation_zh", "explanation_en", "parameters", "status", "dedup_key", "details",
                    "reference_data", "computed_at")


def _store_outcomes(run: EvaluationRun, outcomes: Sequence[Outcome]) -> int:
    """Insert ``outcomes`` (their rows as ``_outcome_values`` gives them) under ``run``; how many.

    Outcomes read the same few parameter versions and reference data: each
    distinct tuple of them is turned into its JSON list once, and the rows
    share that list, which the bulk insert then encodes once (it converts
    each object once, ``core.store.bulk``). Only reads of stored versions are
    shared: equal stored reads are the same versions, hence the same values
    and the same JSON.
    """
    if not outcomes:
        return 0
    now = utcnow()
    run_id = run.id
    parameters: dict[tuple[ParamValue, ...], list[dict[str, Any]]] = {}
    references: dict[tuple[Any, ...], list[dict[str, Any]]] = {}

    def rows() -> Iterator[tuple[Any, ...]]:  # built as they are sent (core.store.bulk)
        for o in outcomes:
            params = _shared(parameters, o.parameters)
            if params is None:
                params = [p.to_json() for p in o.parameters]
                if all(p.version_id is not None for p in o.parameters):
                    _share(parameters, o.parameters, params)
            read = None
            if o.references:
                read = _shared(references, o.references)
                if read is None:
                    read = [r.to_json() for r in o.references]
                    _share(references, o.references, read)
            yield _outcome_values(o, run_id, now, params, read)

    insert_rows(OutcomeRecord, rows(), columns=_OUTCOME_COLUMNS)
    return len(outcomes)


def _shared(found: dict[Any, Any], key: tuple[Any, ...]) -> Any:
    try:
        return found.get(key)
    except TypeError:  # an unhashable value (a plugin's own ParamValue holding a list): not shared
        return None


def _share(found: dict[Any, Any], key: tuple[Any, ...], value: Any) -> None:
    with suppress(TypeError):  # unhashable: encoded with its outcome, as it came
        found[key] = value


def stored_activities(*, kinds: Collection[str] | None = None, since: date | None = None) -> list[Activity]:
    """The stored activities (of ``kinds``, dated on or after ``since``) as plugins evaluate them, oldest first.

    One query with their organisations' credit codes and names (never one per activity), read as plain
    rows (no ORM object for each: a fifth of the time for 100,000).
    """
    query = (
        select(*ACTIVITY_COLUMNS)
        .join(Organisation, ActivityRecord.organisation_id == Organisation.id)
        .order_by(ActivityRecord.date, ActivityRecord.id)
    )
    if kinds is not None:
        if not kinds:
            return []
        query = query.where(ActivityRecord.kind.in_(list(kinds)))
    if since is not None:
        query = query.where(ActivityRecord.date >= since)
    return [as_activity(row) for row in plain_rows(query)]


def to_activity(record: ActivityRecord, credit_code: str | None = None, organisation: str | None = None) -> Activity:
    """A stored activity as the ``Activity`` plugins evaluate (as ``as_activity`` makes one of a plain row)."""
    return as_activity((record.id, record.kind, record.date, record.fields, record.external_id,
                        credit_code or record.organisation.credit_code, organisation))


_SIGNATURE_FIELDS = ("plugin_version", "rule", "amount", "clause", "explanation_zh", "explanation_en",
                     "parameters", "status", "dedup_key", "details", "reference_data")


#: Activities evaluated at once by a re-evaluation of everything (whole groups: a chunk may hold more).
REEVALUATION_CHUNK = 10_000
#: The trigger of a run that re-evaluated some whole groups (``reevaluate(activity_ids=…)``): not
#: one of ``core.store.incremental.FULL_TRIGGERS``, since the rest of the register was left as it was.
GROUPS_TRIGGER = "reevaluate_groups"


def reevaluate(registry: Registry, *, actor: str, since: date | None = None,
               incremental: bool = False, activity_ids: Collection[int] | None = None) -> ReevaluationResult:
    """Recompute the stored outcomes of activities dated on or after ``since`` (all if ``None``).

    Uses the parameters, reference data and enablements as they are now. Where an activity's
    outcomes from a plugin differ from the current ones, the current ones are
    marked superseded (when, and by which run) and the new ones added;
    outcomes that come out the same are left as they are. Outcomes of a
    plugin no department enables any more are superseded without a successor.

    The activities are evaluated a chunk of whole evaluation groups at a time
    (``core.grouping``: the same outcomes as all at once; from ``since``, the
    groups' activities from that day, with what came before read from the
    register), so memory stays bounded whatever the register's size;
    ``ReevaluationResult.result`` then holds the plugins' failures and their
    error outcomes, not every outcome. (An incremental re-evaluation's few
    groups are evaluated at once, and its result holds every outcome.)

    :param incremental: (with ``since`` ``None``) recompute only the activities, in
        whole evaluation groups, that the parameter versions recorded since the
        outcomes were computed can affect (``core.store.incremental``); the
        stored result is the one recomputing everything gives. Where that set
        cannot be told safely, everything is recomputed and
        ``ReevaluationResult.everything_because`` says why.
    :param activity_ids: (alone) recompute only these stored activities, which
        must be whole evaluation groups (``joined_groups``, ``group_members``):
        what an import does for the groups its new records join. Chunked as a
        re-evaluation of everything is; the run is not one
        (``core.store.incremental`` does not take it for one).
    """
    if activity_ids is not None and (since is not None or incremental):
        raise ValueError("reevaluate: activity_ids is given alone")
    plugins = active_plugins(registry)
    require_parameters(registry, plugins)
    scope: Scope | None = None
    if activity_ids is not None:  # (their keys filled by whoever chose them)
        scope = Scope(set(activity_ids))
    else:
        fill_group_keys(registry)  # the chunks are cut by group
        if since is None and incremental:
            scope = pending_scope(registry, plugins)
    run = _start_run("reevaluate" if activity_ids is None else GROUPS_TRIGGER, actor, plugins, since)
    partial = scope is not None and not scope.everything
    context = EvaluationContext(
        parameters=resolver(registry),
        # Whole groups read nothing outside themselves: as when everything is evaluated, no history.
        history=StoredHistory(before=since, everything_reevaluated=since is None),
        references=reference_resolver(registry),
    )
    now = utcnow()
    batches: Iterable[list[Activity]]
    # A chunk of whole groups at a time (kinds of an uninstalled plugin stay as they were), but for
    # the few groups an incremental re-evaluation or a small import recomputes. From a date, a
    # chunk holds the groups' activities from that day on; what came before is read (history).
    single = partial and not (activity_ids is not None and len(activity_ids) > REEVALUATION_CHUNK)
    if single:
        assert scope is not None and scope.activity_ids is not None
        batches = [activities_by_id(scope.activity_ids)]
    else:
        among = scope.activity_ids if partial and scope is not None else None
        batches = (activities_by_id(ids) for ids in whole_group_chunks(registry.kinds, REEVALUATION_CHUNK,
                                                                      among=among, since=since))
    kept = EvaluationResult()
    evaluated = superseded = added = 0
    changed_activities: set[int] = set()
    for activities in batches:
        result = registry.evaluate(activities, context, plugins=plugins)
        counts = _replace_changed(run, activities, result, now, changed_activities)
        superseded, added, evaluated = superseded + counts[0], added + counts[1], evaluated + len(activities)
        if single:
            kept = result
        else:
            kept.failures.update(result.failures)
            kept.extend(o for o in result.outcomes if o.rule == ERROR_RULE)
    db.session.expire_all()

    run.activities = evaluated
    run.outcomes_added = added
    run.outcomes_superseded = superseded
    run.finished_at = utcnow()
    after: dict[str, Any] = {"run": run.id, "activities": evaluated, "changed": len(changed_activities),
                             "superseded": superseded, "added": added, "plugins": plugins}
    if activity_ids is not None:
        summary = f"the evaluation groups of {evaluated} activities"
    else:
        summary = f"since {since.isoformat()}" if since else "all activities"
        if scope is not None:
            after["incremental"] = partial
            if scope.reason:
                after["everything_because"] = scope.reason
    audit("outcomes.reevaluate", actor, summary, after=after)
    return ReevaluationResult(run, evaluated, len(changed_activities), evaluated - len(changed_activities), kept,
                              incremental=partial and activity_ids is None,
                              everything_because=scope.reason if scope is not None else None)


#: The compared columns the database keeps as JSON, read back as their stored text (``_replace_changed``).
_JSON_FIELDS = ("parameters", "details", "reference_data")
_SCALAR_FIELDS = tuple(name for name in _SIGNATURE_FIELDS if name not in _JSON_FIELDS)
_CURRENT_COLUMNS = (OutcomeRecord.id, OutcomeRecord.activity_id, OutcomeRecord.plugin,
                    *(getattr(OutcomeRecord, name) for name in _SCALAR_FIELDS),
                    *(cast(getattr(OutcomeRecord, name), Text).label(name) for name in _JSON_FIELDS))


def _replace_changed(run: EvaluationRun, activities: Sequence[Activity], result: EvaluationResult, now: Any,
                     changed_activities: set[int]) -> tuple[int, int]:
    """Supersede the current outcomes of ``activities`` that ``result`` changes, add the new ones; (superseded, added).

    Outcomes are compared per activity and plugin (``_unchanged``); current
    outcomes are read as plain rows through the connection, their JSON as
    the text stored (no ORM objects pile up over chunks, nothing is decoded
    that compares equal).
    """
    new: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    for outcome in result.outcomes:  # (stored activities have ids; outcomes are stamped with their plugin)
        new[outcome.activity.stored_id or 0, outcome.plugin or ""].append(_outcome_row(outcome, run.id, now))
    ids = sorted({a.stored_id for a in activities if a.stored_id is not None})
    current: dict[tuple[int, str], list[Any]] = defaultdict(list)
    if ids:
        for row in plain_rows(select(*_CURRENT_COLUMNS).where(
                OutcomeRecord.superseded_at.is_(None), among(OutcomeRecord.activity_id, ids))):
            current[row.activity_id, row.plugin].append(row)

    superseded_ids: list[int] = []
    added: list[dict[str, Any]] = []
    for key in set(new) | set(current):
        old_rows, new_rows = current.get(key, []), new.get(key, [])
        if _unchanged(old_rows, new_rows):
            continue
        superseded_ids.extend(row.id for row in old_rows)
        added.extend(new_rows)
        changed_activities.add(key[0])
    for start in range(0, len(superseded_ids), _CHUNK):
        db.session.execute(
            update(OutcomeRecord)
            .where(OutcomeRecord.id.in_(superseded_ids[start:start + _CHUNK]))
            .values(superseded_at=now, superseded_by_run_id=run.id),
            execution_options={"synchronize_session": False},
        )
    # As an import stores its outcomes (core.store.bulk): insert() binds each dict row in Python.
    insert_rows(OutcomeRecord, added)
    return len(superseded_ids), len(added)


def _unchanged(old_rows: Sequence[Any], new_rows: Sequence[dict[str, Any]]) -> bool:
    """Whether the stored outcomes ``old_rows`` (JSON as text) are the same as ``new_rows``: their signatures
    (``_signatures``) are equal.

    A stored outcome and a new one of the same values are told at once: the
    same columns, of the same types, and the JSON text the new row would be
    stored as (``jsontext.dumps``, what every outcome is stored with) the
    text stored. Anything else — several outcomes, a NULL, a key order of
    the plugin's that changed — is compared by signature, as it always was
    (signatures took 2.4 s of a re-evaluation of 100,000 unchanged
    activities, and decoding the stored JSON 1 s more).
    """
    if len(old_rows) != len(new_rows):
        return False
    if len(old_rows) == 1:
        old, new = old_rows[0], new_rows[0]
        if all(type(old[i]) is type(new[name]) and old[i] == new[name] for i, name in _SCALAR_AT) \
                and all(_stored_text(new[name]) == old[i] for i, name in _JSON_AT):
            return True
    return _signatures(_decoded(row) for row in old_rows) == _signatures(new_rows)


#: Where each compared column is in a row of ``_CURRENT_COLUMNS`` (after id, activity id and plugin).
_SCALAR_AT = tuple((3 + i, name) for i, name in enumerate(_SCALAR_FIELDS))
_JSON_AT = tuple((3 + len(_SCALAR_FIELDS) + i, name) for i, name in enumerate(_JSON_FIELDS))


def _stored_text(value: Any) -> str | None:
    """The text a JSON column stores for ``value`` (``None`` where ``dumps`` cannot write it: compared by signature)."""
    try:
        return dumps(value)
    except (TypeError, ValueError, RecursionError):
        return None


def _decoded(row: Any) -> dict[str, Any]:
    """A current outcome's compared columns as the ORM would give them (its JSON text decoded)."""
    values = {name: row[i] for i, name in _SCALAR_AT}
    values.update((name, None if row[i] is None else json.loads(row[i])) for i, name in _JSON_AT)
    return values


def _signatures(rows: Iterable[OutcomeRecord | dict[str, Any]]) -> list[str]:
    def signature(row: OutcomeRecord | dict[str, Any]) -> str:
        get = row.get if isinstance(row, dict) else (lambda name: getattr(row, name))
        return json.dumps([get(name) for name in _SIGNATURE_FIELDS], sort_keys=True, default=str, ensure_ascii=False)
    return sorted(signature(row) for row in rows)
