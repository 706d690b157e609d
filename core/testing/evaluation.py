"""Evaluating records in a test: validate, evaluate, look outcomes up by record id.

No database: parameters are the plugins' shipped values, with any
overrides a test gives (proposed values, as the admin's preview computes
them: outcomes name them "proposed (not recorded)").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..activities import Activity, InvalidRecord, ValidationReport
from ..evaluation import EmptyHistory, EvaluationContext, EvaluationResult, PaymentHistory
from ..messages import FieldError
from ..outcomes import Outcome
from ..parameters import ParameterResolver, ParameterVersion, value_field
from ..refdata import ReferenceResolver
from ..registry import Registry

__all__ = ["Evaluation", "evaluate", "parameters_with", "references_with"]

#: The date an override takes effect when its parameter has no shipped value to start from.
_EARLIEST = date(1900, 1, 1)


def _override_versions(registry: Registry, key: str, given: Any) -> list[ParameterVersion]:
    decl = registry.parameters.get(key)
    if decl is None:
        known = ", ".join(sorted(registry.parameters)) or "none"
        raise KeyError(f"parameter override {key!r}: no loaded plugin declares it (declared: {known})")
    if isinstance(given, Mapping) and "value" in given:
        given = [given]
    if not (isinstance(given, Sequence) and not isinstance(given, str) and given and all(
            isinstance(item, Mapping) and "value" in item for item in given)):
        # A bare value: in force from the first shipped value's date, replacing every later one.
        start = decl.defaults[0].effective_from if decl.defaults else _EARLIEST
        given = [{"from": start, "value": given}]
    versions = []
    for item in given:
        start = item.get("from", decl.defaults[0].effective_from if decl.defaults else _EARLIEST)
        if isinstance(start, str):
            start = date.fromisoformat(start)
        value = value_field(decl).deserialize(item["value"])  # typed and bounded as a recorded version would be
        versions.append(ParameterVersion(key=key, value=value, effective_from=start, reference="test override",
                                         reason="test override", source="what-if"))
    return versions


def parameters_with(registry: Registry, overrides: Mapping[str, Any] | None = None) -> ParameterResolver:
    """The shipped parameter values of ``registry``'s plugins, with ``overrides`` on top.

    ``overrides`` maps a key to a value (in force from the date its first
    shipped value starts, so the policy's start still holds), or to one or
    more ``{"from": date, "value": …}`` (in force from that date). Values are
    checked like a recorded version (type, bounds): a wrong one raises.
    """
    resolver = registry.default_parameters()
    if not overrides:
        return resolver
    extra = [v for key, given in overrides.items() for v in _override_versions(registry, key, given)]
    return resolver.with_versions(extra)


@dataclass
class Evaluation:
    """The validation report and the evaluation result of some records, looked up by record id.

    A record without ``id`` is ``#N``, its place in the input (1-based).
    """

    report: ValidationReport
    result: EvaluationResult

    def _item(self, ref: str) -> Activity | InvalidRecord:
        for item in self.report.items:
            if item.ref == ref:
                return item
        raise KeyError(f"no record {ref!r} (records: {', '.join(i.ref for i in self.report.items)})")

    def activity(self, ref: str) -> Activity:
        """The validated activity of record ``ref`` (an ``AssertionError`` naming its errors if it is invalid)."""
        item = self._item(ref)
        if isinstance(item, InvalidRecord):
            raise AssertionError(f"record {ref} is invalid: {[e.to_json() for e in item.errors]}")
        return item

    def outcomes(self, ref: str, plugin: str | None = None) -> list[Outcome]:
        """Every outcome of record ``ref`` (of ``plugin`` only, if given)."""
        found = self.result.for_activity(self.activity(ref))
        return [o for o in found if plugin is None or o.plugin == plugin]

    def outcome(self, ref: str, plugin: str | None = None) -> Outcome:
        """The one outcome of record ``ref`` (an ``AssertionError`` if there are none or several)."""
        found = self.outcomes(ref, plugin)
        if len(found) != 1:
            raise AssertionError(f"record {ref}: expected one outcome, got {len(found)}: {found}")
        return found[0]

    def amount(self, ref: str) -> int:
        """The sum of record ``ref``'s outcome amounts (integer yuan)."""
        return sum(o.amount for o in self.outcomes(ref))

    def errors(self, ref: str) -> list[FieldError]:
        """The validation errors of record ``ref`` (empty when it is valid)."""
        item = self._item(ref)
        return item.errors if isinstance(item, InvalidRecord) else []

    @property
    def valid(self) -> list[Activity]:
        return self.report.valid

    @property
    def invalid(self) -> list[InvalidRecord]:
        return self.report.invalid

    @property
    def total_amount(self) -> int:
        return self.result.total_amount


def references_with(registry: Registry, versions: Mapping[str, Any] | None = None, *,
                    demo: bool = False) -> ReferenceResolver:
    """The shipped reference versions (and the samples, with ``demo``), plus ``versions`` of chosen tables.

    ``versions`` maps a table's key to a list of versions, each ``{"from": date, "rows": [...]}``
    (rows as a file would give them): they are added as if recorded, in order,
    each in force from its date. A table given here keeps its shipped versions
    too; a later version wins from its date.
    """
    resolver = registry.default_references(demo=demo)
    for key, given in (versions or {}).items():
        if key not in registry.reference_tables:
            raise KeyError(f"unknown reference table {key!r}")
        if not isinstance(given, Sequence) or isinstance(given, (str, bytes)):
            raise ValueError(f"reference table {key}: give a list of versions, each {{from: date, rows: [...]}}")
        for version in given:
            if not isinstance(version, Mapping) or set(version) != {"from", "rows"}:
                raise ValueError(f"reference table {key}: each version is {{from: date, rows: [...]}}")
            day = version["from"]
            day = day if isinstance(day, date) else date.fromisoformat(str(day))
            resolver = resolver.with_version(key, list(version["rows"]), day)
    return resolver


def evaluate(registry: Registry, records: Iterable[Mapping[str, Any]], *,
             parameters: Mapping[str, Any] | None = None, evaluated_on: date | None = None,
             department: str | None = None, history: PaymentHistory | None = None,
             plugins: Iterable[str] | None = None, references: Mapping[str, Any] | None = None,
             demo: bool = False) -> Evaluation:
    """Validate ``records`` (interchange format) and evaluate the valid ones, without a database.

    Reference tables read (``context.reference``) hold their shipped versions (and ``references``).

    :param parameters: overrides of the shipped values (``parameters_with``);
        schemas validate against them too (a cap, say).
    :param references: versions of reference tables added to the shipped ones
        (``references_with``); validation and evaluation read them alike.
    :param demo: read the sample versions of reference tables too (``stdpolicy init --demo``'s).
    :param plugins: the plugins that evaluate (default: every loaded one).
    :param history: one-time rewards already paid (default: none).
    """
    resolver = parameters_with(registry, parameters)
    tables = references_with(registry, references, demo=demo)
    report = registry.validate([dict(r) for r in records], resolver, references=tables)
    context = EvaluationContext(parameters=resolver, history=history or EmptyHistory(), department=department,
                                references=tables)
    if evaluated_on is not None:
        context.evaluated_on = evaluated_on
    result = registry.evaluate(report.valid, context, plugins=list(plugins) if plugins is not None else None)
    return Evaluation(report, result)
