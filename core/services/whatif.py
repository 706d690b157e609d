"""Budget what-if: proposed parameter versions evaluated on the stored register, saved, compared, recorded.

A *scenario* is a list of proposed parameter versions (key, value,
effective date), OpenFisca's "reform": nothing is recorded. Evaluating it
(``evaluate_scenario``) is what re-evaluating the register from the earliest
proposed date would do once the versions were recorded — the same
activities (every stored activity of a known kind dated on or after that
day), the same payment history (``StoredHistory(before=that day)``), the
parameters as stored plus the proposals (``ParameterResolver.with_versions``,
as the Parameters page's preview) — and it is compared with the *current
stored outcomes*, not with a second evaluation (so only the activities the
proposals can change are evaluated, ``core.store.incremental``, while the
stored outcomes are up to date with what is recorded): so the prediction is what
``record_scenario`` then stores, activity by activity (a test holds it to
that). Totals are over the whole register the caller sees (its plugins),
current versus proposed, by year, county (the organisation's region code,
``core.region_of``) and rule. Money is integer yuan; held outcomes (待核实)
count 0 and what they would pay is reported apart.

Saving keeps the proposals under a name (``whatif_scenarios``); recording
turns them into parameter versions through ``core.store.record_version``
(validation, the audit entry, the writer lock) and re-evaluates from the
earliest date, all in one transaction.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from marshmallow import Schema, ValidationError, fields

from ..activities import Activity
from ..evaluation import EvaluationContext
from ..models import Department, WhatIfScenario
from ..parameters import ParameterVersion, decode_value, encode_value, value_field
from ..regions import region_of
from ..registry import Registry
from ..screening import clipped
from ..store.activities import ReevaluationResult, reevaluate, stored_activities
from ..store.departments import active_plugins
from ..store.history import StoredHistory
from ..store.incremental import Change, activities_by_id, proposal_scope
from ..store.locking import writing
from ..store.parameters import latest_sequence, record_version, require_parameters, resolver
from ..store.permissions import plugin_owner
from ..store.refdata import reference_resolver
from ..store.register.scope import visible_kinds
from ..store.register.totals import register_breakdown
from ..store.whatif import ScenarioExists, add_scenario, count_stored, current_outcomes, find_scenario, mark_recorded, scenarios

__all__ = [
    "ActivityChange",
    "Proposal",
    "RecordedScenario",
    "ScenarioExists",
    "ScenarioOutdated",
    "UnknownScenario",
    "WhatIf",
    "WhatIfLine",
    "evaluate_scenario",
    "load_proposals",
    "record_scenario",
    "save_scenario",
    "saved_scenarios",
    "scenario_proposals",
]


class UnknownScenario(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no saved scenario named '{clipped(name)}'; `stdpolicy whatif list` shows them")
        self.name = name


@dataclass(frozen=True)
class Proposal:
    """One proposed parameter version: ``value`` (typed, loaded through the parameter's field) from ``effective_from``."""

    key: str
    value: Any
    effective_from: date

    def stored(self, registry: Registry) -> dict[str, Any]:
        """As a saved scenario keeps it: the value in the parameter's canonical text."""
        return {"key": self.key, "value": encode_value(registry.parameters[self.key], self.value),
                "effective_from": self.effective_from.isoformat()}

    def submitted(self, registry: Registry) -> Any:
        """The value as a submission carries it (canonical JSON: decimals as text), for ``record_version``."""
        return json.loads(encode_value(registry.parameters[self.key], self.value))


class _ProposalSchema(Schema):
    key = fields.String(required=True)
    value = fields.Raw(required=True, allow_none=False)
    effective_from = fields.Date(required=True)


def load_proposals(registry: Registry, items: Sequence[Mapping[str, Any]], *,
                   managed: Collection[str] | None = None) -> list[Proposal]:
    """Proposals from submitted ``{"key", "value", "effective_from"}`` items (values as text or typed).

    :param managed: the plugins whose parameters the caller may plan with
        (a department: those it owns); ``None``: every plugin.
    :raises ValidationError: ``messages`` maps each bad item's position to
        its fields' errors (``{0: {"value": [...]}}``); nothing is loaded.
    """
    if not items:
        raise ValidationError({"_schema": ["propose at least one parameter version"]})
    errors: dict[Any, Any] = {}
    proposals: list[Proposal] = []
    for n, item in enumerate(items):
        try:
            data = _ProposalSchema().load(dict(item))
        except ValidationError as exc:
            errors[n] = exc.messages
            continue
        except (TypeError, ValueError):
            errors[n] = {"_schema": ["not a proposal: give key, value and effective_from"]}
            continue
        key = data["key"]
        decl = registry.parameters.get(key)
        if decl is None:
            errors[n] = {"key": [f"unknown parameter '{clipped(key)}'"]}
            continue
        if managed is not None and registry.parameter_plugin[key] not in managed:
            errors[n] = {"key": [f"'{clipped(key)}' belongs to a plugin your department does not own"]}
            continue
        try:
            value = value_field(decl).deserialize(data["value"])
        except ValidationError as exc:
            errors[n] = {"value": exc.messages}
            continue
        proposals.append(Proposal(key, value, data["effective_from"]))
    if errors:
        raise ValidationError(errors)
    return proposals


@dataclass
class WhatIfLine:
    """One group (a year, a county's region code, a rule): the register's total now and with the proposals."""

    key: str
    current: int = 0
    proposed: int = 0

    @property
    def difference(self) -> int:
        return self.proposed - self.current


@dataclass
class ActivityChange:
    """An activity whose amount the proposals change: integer yuan now (stored) and proposed."""

    activity_id: int
    ref: str
    date: date
    kind: str
    credit_code: str
    organisation: str | None
    old: int
    new: int
    #: Amount per rule, now and proposed.
    old_rules: dict[str, int] = field(default_factory=dict)
    new_rules: dict[str, int] = field(default_factory=dict)
    old_held: int = 0
    new_held: int = 0

    @property
    def difference(self) -> int:
        return self.new - self.old

    @property
    def region_code(self) -> str:
        return region_of(self.credit_code)[0]


@dataclass
class WhatIf:
    """What recording ``proposals`` and re-evaluating from ``since`` would change in the register."""

    proposals: list[Proposal]
    since: date
    #: The plugins whose outcomes are compared (the caller's view).
    plugins: list[str]
    #: Stored activities re-evaluated (dated on or after ``since``).
    evaluated: int
    current_total: int
    proposed_total: int
    current_held: int
    proposed_held: int
    by_year: list[WhatIfLine]
    by_county: list[WhatIfLine]
    by_rule: list[WhatIfLine]
    #: The activities whose amount (or held amount) changes, largest change first.
    changes: list[ActivityChange]
    failures: dict[str, str] = field(default_factory=dict)

    @property
    def difference(self) -> int:
        return self.proposed_total - self.current_total

    def document(self, registry: Registry) -> dict[str, Any]:
        """The what-if as JSON (``stdpolicy whatif --format json``): amounts as integers of yuan."""
        def lines(items: Iterable[WhatIfLine]) -> list[dict[str, Any]]:
            return [{"key": x.key, "current": x.current, "proposed": x.proposed, "difference": x.difference}
                    for x in items]

        return {
            "proposals": [p.stored(registry) for p in self.proposals],
            "since": self.since.isoformat(),
            "plugins": self.plugins,
            "evaluated": self.evaluated,
            "current_total": self.current_total,
            "proposed_total": self.proposed_total,
            "difference": self.difference,
            "current_held": self.current_held,
            "proposed_held": self.proposed_held,
            "by_year": lines(self.by_year),
            "by_county": lines(self.by_county),
            "by_rule": lines(self.by_rule),
            "changes": [{"activity_id": c.activity_id, "id": c.ref, "date": c.date.isoformat(), "kind": c.kind,
                         "credit_code": c.credit_code, "organisation": c.organisation, "county": c.region_code,
                         "old": c.old, "new": c.new, "difference": c.difference, "old_held": c.old_held,
                         "new_held": c.new_held, "old_rules": c.old_rules, "new_rules": c.new_rules}
                        for c in self.changes],
            "failures": self.failures,
        }


def _lines(current: Mapping[str, int], delta: Mapping[str, int]) -> list[WhatIfLine]:
    keys = sorted(set(current) | {k for k, v in delta.items() if v})
    return [WhatIfLine(k, current.get(k, 0), current.get(k, 0) + delta.get(k, 0)) for k in keys]


def evaluate_scenario(registry: Registry, proposals: Sequence[Proposal], *,
                      plugins: Collection[str] | None = None, incremental: bool = True) -> WhatIf:
    """What recording ``proposals`` (then re-evaluating from their earliest date) would change. Stores nothing.

    :param plugins: the plugins whose outcomes are compared and totalled
        (a department's view); ``None``: every loaded plugin.
    :param incremental: evaluate only the activities the proposals can
        change (``core.store.incremental``), the others being as stored;
        ``False``: every activity on or after the earliest date.
    :raises ParametersNotStored: a plugin some department enabled ships
        parameters the database does not hold yet.
    """
    if not proposals:
        raise ValueError("a what-if needs at least one proposal")
    since = min(p.effective_from for p in proposals)
    scope = [name for name in registry.plugins if plugins is None or name in plugins]
    active = active_plugins(registry)
    require_parameters(registry, active)
    # Only the plugins seen and switched on are evaluated: each plugin's outcomes depend on the
    # activities, the parameters and its own stored history, never on another plugin's outcomes.
    evaluated_plugins = [name for name in scope if name in active]
    proposed = resolver(registry).with_versions([
        ParameterVersion(key=p.key, value=p.value, effective_from=p.effective_from, reference="what-if",
                         reason="what-if", recorded_by="what-if", source="what-if")
        for p in proposals
    ])
    kinds = visible_kinds(registry, evaluated_plugins)
    narrowed = proposal_scope(registry, [Change(p.key, p.effective_from) for p in proposals]) if incremental else None
    if narrowed is None:
        activities = stored_activities(kinds=kinds, since=since)
        stored = len(activities)
    else:
        # Only the activities the proposals can affect (whole groups): the others come out as stored.
        wanted = set(kinds)
        activities = [a for a in activities_by_id(narrowed) if a.date >= since and a.kind in wanted]
        stored = count_stored(since, kinds)
    context = EvaluationContext(parameters=proposed, history=StoredHistory(before=since),
                                references=reference_resolver(registry))
    result = registry.evaluate(activities, context, plugins=evaluated_plugins)

    by_id: dict[int, Activity] = {a.stored_id or 0: a for a in activities}
    new_rules: dict[int, dict[str, int]] = defaultdict(dict)
    new_held: dict[int, int] = defaultdict(int)
    for outcome in result.outcomes:
        activity_id = outcome.activity.stored_id or 0
        rules = new_rules[activity_id]
        rules[outcome.rule] = rules.get(outcome.rule, 0) + int(outcome.amount)
        new_held[activity_id] += outcome.held_amount
    old_rules: dict[int, dict[str, int]] = defaultdict(dict)
    old_held: dict[int, int] = defaultdict(int)
    seen = set(scope)
    for row in current_outcomes(since, list(registry.kinds), narrowed):
        if row.plugin not in seen:
            continue
        rules = old_rules[row.activity_id]
        rules[row.rule] = rules.get(row.rule, 0) + row.amount
        old_held[row.activity_id] += row.held

    changes: list[ActivityChange] = []
    stored_extra = set(old_rules) - set(by_id)  # outcomes of activities no plugin seen evaluates any more
    if stored_extra:
        for activity in stored_activities(since=since, kinds=list(registry.kinds)):
            if activity.stored_id in stored_extra:
                by_id[activity.stored_id] = activity
    for activity_id, activity in by_id.items():
        old, new = old_rules.get(activity_id, {}), new_rules.get(activity_id, {})
        old_total, new_total = sum(old.values()), sum(new.values())
        if old_total == new_total and old_held[activity_id] == new_held[activity_id] and \
                {r: a for r, a in old.items() if a} == {r: a for r, a in new.items() if a}:
            continue
        changes.append(ActivityChange(activity_id, activity.ref, activity.date, activity.kind, activity.credit_code,
                                      activity.organisation, old_total, new_total, dict(old), dict(new),
                                      old_held[activity_id], new_held[activity_id]))
    changes.sort(key=lambda c: (-abs(c.difference), c.date, c.activity_id))

    delta_year: dict[str, int] = defaultdict(int)
    delta_county: dict[str, int] = defaultdict(int)
    delta_rule: dict[str, int] = defaultdict(int)
    for change in changes:
        delta_year[str(change.date.year)] += change.difference
        delta_county[change.region_code] += change.difference
        for rule in set(change.old_rules) | set(change.new_rules):
            delta_rule[rule] += change.new_rules.get(rule, 0) - change.old_rules.get(rule, 0)

    current = register_breakdown(registry, scope)

    return WhatIf(
        proposals=list(proposals),
        since=since,
        plugins=scope,
        evaluated=stored,
        current_total=current.amount,
        proposed_total=current.amount + sum(c.difference for c in changes),
        current_held=current.held,
        proposed_held=current.held + sum(c.new_held - c.old_held for c in changes),
        by_year=_lines(current.by_year, delta_year),
        by_county=_lines(current.by_county, delta_county),
        by_rule=_lines(current.by_rule, delta_rule),
        changes=changes,
        failures=dict(result.failures),
    )


# -- saved scenarios ---------------------------------------------------------------


def save_scenario(registry: Registry, name: str, proposals: Sequence[Proposal], *, actor: str,
                  department: Department | None = None) -> WhatIfScenario:
    """Save ``proposals`` as ``name`` (committed). Nothing is recorded as a parameter version.

    :raises ScenarioExists: the name is taken (nothing stored).
    :raises ValidationError: the name is blank or longer than 100 characters.
    """
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError({"name": ["give the scenario a name of 1 to 100 characters"]})
    if not proposals:
        raise ValidationError({"_schema": ["propose at least one parameter version"]})
    with writing("save a what-if scenario"):
        # The latest version of each key when saved: recording refuses if another was recorded since
        # (``ScenarioOutdated``), as a parameter form refuses a save based on an older version.
        stored = [{**p.stored(registry), "based_on": latest_sequence(p.key)} for p in proposals]
        return add_scenario(name, stored, actor=actor, department=department)


def saved_scenarios(department: Department | None = None) -> list[WhatIfScenario]:
    """The saved scenarios, newest first (a department's own; ``None``: all)."""
    return scenarios(department)


def scenario_proposals(registry: Registry, row: WhatIfScenario) -> list[Proposal]:
    """A saved scenario's proposals, typed. :raises ValidationError: a parameter is no longer declared."""
    out: list[Proposal] = []
    for n, item in enumerate(row.proposals or []):
        decl = registry.parameters.get(item.get("key", ""))
        if decl is None:
            raise ValidationError({n: {"key": [f"parameter {item.get('key')!r} is no longer declared by a loaded plugin"]}})
        out.append(Proposal(decl.key, decode_value(decl, item["value"]), date.fromisoformat(item["effective_from"])))
    return out


def find_saved(name: str) -> WhatIfScenario:
    """:raises UnknownScenario: none is saved under ``name``."""
    row = find_scenario(name)
    if row is None:
        raise UnknownScenario(name)
    return row


class ScenarioOutdated(ValueError):
    """A parameter of the scenario got a new version after the scenario was saved: its effect was computed on older values."""

    def __init__(self, row: WhatIfScenario, key: str, based_on: int, latest: int) -> None:
        super().__init__(f"scenario {row.name!r} was saved when {key} was at version {based_on}; version {latest} "
                         "was recorded since: review the what-if on the current values and save it again under a new name")
        self.row, self.key, self.based_on, self.latest = row, key, based_on, latest


class AlreadyRecorded(ValueError):
    def __init__(self, row: WhatIfScenario) -> None:
        super().__init__(f"scenario {row.name!r} was recorded at {row.recorded_at:%Y-%m-%d %H:%M} UTC by {row.recorded_by}")
        self.row = row


@dataclass(frozen=True)
class RecordedScenario:
    """What recording a scenario stored: the parameter versions, and the re-evaluation from ``since``."""

    name: str
    versions: list[ParameterVersion]
    since: date
    reevaluation: ReevaluationResult


def record_scenario(
    registry: Registry, name: str, *, reason: str, reference: str, actor: str, source: str,
    department: Department | None = None, managed: Collection[str] | None = None,
) -> RecordedScenario:
    """Record saved scenario ``name`` as parameter versions and re-evaluate from its earliest date (committed).

    One transaction under the writer lock: every version (validated, audited,
    based on the latest version of its key at this moment) and the
    re-evaluation are stored together, or nothing is.

    :param managed: the plugins the caller may record for (``None``: all).
    :raises UnknownScenario, AlreadyRecorded: nothing stored.
    :raises ScenarioOutdated: a parameter of the scenario got a version after it was saved; nothing stored.
    :raises ValidationError: a version does not load (blank reason or
        reference, a value no longer allowed), or the caller does not own a
        parameter's plugin; nothing stored.
    """
    with writing("record a what-if scenario"):
        row = find_saved(name)
        if row.recorded_at is not None:
            raise AlreadyRecorded(row)
        proposals = scenario_proposals(registry, row)
        for item in row.proposals or []:
            based_on = item.get("based_on")  # absent in scenarios saved before the check existed
            if based_on is not None and latest_sequence(item["key"]) != based_on:
                raise ScenarioOutdated(row, item["key"], based_on, latest_sequence(item["key"]))
        for n, proposal in enumerate(proposals):
            if managed is not None and registry.parameter_plugin[proposal.key] not in managed:
                raise ValidationError({n: {"key": [f"{proposal.key!r} belongs to a plugin your department does not own"]}})
        versions = []
        for proposal in proposals:
            owner = department if department is not None else plugin_owner(registry.parameter_plugin[proposal.key])
            versions.append(record_version(
                registry, proposal.key,
                {"value": proposal.submitted(registry), "effective_from": proposal.effective_from.isoformat(),
                 "reason": reason, "reference": reference},
                actor=actor, source=source, department=owner,
            ))
        since = min(p.effective_from for p in proposals)
        mark_recorded(row, actor=actor, versions=[{"key": v.key, "sequence": v.sequence} for v in versions])
        reevaluation = reevaluate(registry, actor=actor, since=since)
        return RecordedScenario(row.name, versions, since, reevaluation)
