"""Policy cases: YAML files of input records and the outcomes the policy text requires.

Like OpenFisca's YAML tests, a case is data a policy officer can read and
check against the text — records in the interchange format, expected amounts
and statuses per record — and the test kit runs each case as a test. Files
are named ``*.policy.yaml``; pytest collects them wherever it collects tests
(a plugin keeps them in its ``tests/`` folder)::

    # Rules R1–R4 of 三(二): leading drafters of completed standards.
    plugins: [reward_tiers]              # optional: the installed plugins that evaluate
    parameters:                          # optional: overrides for every case below
      reward_tiers.lead.national: 300000
    defaults:                            # optional: fields every record has unless it gives its own
      date: 2023-05-10
      credit_code: "913304007429141869"
    cases:
      - name: R2 — leading drafter of a national standard
        clause: 三(二)                    # optional: for the reader
        records:
          - {id: A, kind: standard_drafting, standard_code: GB/T 45123—2025, rank: 1}
        expect:
          A: {amount: 300000, rule: R2, status: ok}

What a record's expectation may say (each is optional):

``amount``       the sum of its outcomes' amounts (integer yuan)
``rule``         the rule of its one outcome (or a list: the rules of its outcomes, in order)
``status``       the status of its one outcome (``ok``, ``tracking``, ``compliant`` …)
``plugin``       the plugin of its one outcome
``reason``       its one outcome's ``details["reason"]``
``outcomes``     how many outcomes it has
``explains``     words its one outcome's explanation contains, ``{zh: …, en: …}`` or a string in either
``errors``       the record is invalid, with errors on exactly these fields (a list; ``null`` names the record as a whole)
``held_amount``  what its outcomes held for review (status ``held``, 待核实) would pay (integer yuan; not in ``amount``)
``held``         the codes of its one outcome's held reasons, in order (``[rank_conflict, region]``)
``held_with``    the records (ids) its one outcome's held reasons name as the other party

A case may also give ``parameters`` of its own (on top of the file's),
``total`` (the sum over all its records), ``held_total`` (what all its
held outcomes would pay) and ``evaluated_on`` (the day of the evaluation,
for rules that depend on it, such as an expiry).

``references`` (in the file, or a case's own on top of them) adds versions
of reference tables to the shipped ones, each in force from its date, rows
as a file gives them; validation and evaluation read them alike::

    references:
      carbon.quota_standards:
        - from: 2022-11-01
          rows:
            - {standard: GB 16780-2021, product: 水泥熟料, industry: 建材, indicators: [...]}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from ..registry import Registry
from .evaluation import Evaluation, evaluate

__all__ = ["PolicyCase", "PolicyCaseError", "PolicyFile", "check_case", "load_policy_file"]

_FILE_KEYS = {"plugins", "parameters", "references", "defaults", "cases", "description"}
_CASE_KEYS = {"name", "clause", "description", "records", "expect", "parameters", "references", "evaluated_on",
              "total", "held_total"}
_EXPECT_KEYS = {"amount", "rule", "status", "plugin", "reason", "outcomes", "explains", "errors", "held_amount", "held",
                "held_with"}


class PolicyCaseError(ValueError):
    """A policy-case file that cannot be read: the message names the file, the case and the entry."""


@dataclass(frozen=True)
class PolicyCase:
    """One case: its records, what each must come to, the parameters it runs with."""

    name: str
    records: list[dict[str, Any]]
    expect: dict[str, dict[str, Any]]
    parameters: dict[str, Any] = field(default_factory=dict)
    #: Versions of reference tables added to the shipped ones: ``{key: [{from, rows}]}``.
    references: dict[str, Any] = field(default_factory=dict)
    #: The day of the evaluation (default: today), for rules that depend on it (an expiry).
    evaluated_on: date | None = None
    total: int | None = None
    held_total: int | None = None
    clause: str | None = None
    #: ``file.policy.yaml`` and the case's place in it, for messages.
    where: str = ""


@dataclass(frozen=True)
class PolicyFile:
    """A policy-case file: its cases and the plugins they run with (``None``: the session's)."""

    path: Path
    cases: list[PolicyCase]
    plugins: tuple[str, ...] | None = None


def _plain(value: Any) -> Any:
    """YAML's dates as the interchange format's ISO text (records are JSON-like)."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def load_policy_file(path: str | Path) -> PolicyFile:
    """Read a ``*.policy.yaml`` file; a ``PolicyCaseError`` names what is wrong and where."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise PolicyCaseError(f"{path.name}: not valid YAML: {exc}") from None
    if not isinstance(data, Mapping):
        raise PolicyCaseError(f"{path.name}: expected a mapping with 'cases', got {type(data).__name__}")
    unknown = set(data) - _FILE_KEYS
    if unknown:
        raise PolicyCaseError(f"{path.name}: unknown entries {sorted(unknown)} (known: {sorted(_FILE_KEYS)})")
    plugins = data.get("plugins")
    if plugins is not None and not (isinstance(plugins, list) and all(isinstance(p, str) for p in plugins)):
        raise PolicyCaseError(f"{path.name}: 'plugins' must be a list of plugin names")
    shared = dict(data.get("parameters") or {})
    shared_references = _references(data.get("references"), path.name)
    defaults = _plain(dict(data.get("defaults") or {}))
    cases_data = data.get("cases")
    if not isinstance(cases_data, list) or not cases_data:
        raise PolicyCaseError(f"{path.name}: 'cases' must be a non-empty list")
    cases: list[PolicyCase] = []
    names: set[str] = set()
    for n, item in enumerate(cases_data, start=1):
        where = f"{path.name}, case {n}"
        if not isinstance(item, Mapping):
            raise PolicyCaseError(f"{where}: expected a mapping")
        name = str(item.get("name") or f"case {n}")
        where = f"{path.name}, case {n} ({name})"
        if name in names:
            raise PolicyCaseError(f"{where}: another case has the same name")
        names.add(name)
        unknown = set(item) - _CASE_KEYS
        if unknown:
            raise PolicyCaseError(f"{where}: unknown entries {sorted(unknown)} (known: {sorted(_CASE_KEYS)})")
        records = item.get("records")
        if not isinstance(records, list) or not records or not all(isinstance(r, Mapping) for r in records):
            raise PolicyCaseError(f"{where}: 'records' must be a non-empty list of records")
        records = [{**defaults, **_plain(dict(r))} for r in records]
        refs = [str(r["id"]) if r.get("id") not in (None, "") else f"#{i}" for i, r in enumerate(records, start=1)]
        expect_data = item.get("expect") or {}
        if not isinstance(expect_data, Mapping):
            raise PolicyCaseError(f"{where}: 'expect' maps record ids to expectations")
        expect: dict[str, dict[str, Any]] = {}
        for ref, spec in expect_data.items():
            ref = str(ref)
            if ref not in refs:
                raise PolicyCaseError(f"{where}: 'expect' names record {ref!r}, which is not among the records ({', '.join(refs)})")
            if not isinstance(spec, Mapping):
                raise PolicyCaseError(f"{where}: the expectation of {ref} must be a mapping")
            unknown = set(spec) - _EXPECT_KEYS
            if unknown:
                raise PolicyCaseError(f"{where}: record {ref}: unknown expectations {sorted(unknown)} (known: {sorted(_EXPECT_KEYS)})")
            expect[ref] = dict(spec)
        if not expect and item.get("total") is None and item.get("held_total") is None:
            raise PolicyCaseError(f"{where}: nothing is expected (give 'expect', 'total' or 'held_total')")
        evaluated_on = item.get("evaluated_on")
        if evaluated_on is not None and not isinstance(evaluated_on, date):
            raise PolicyCaseError(f"{where}: 'evaluated_on' must be a date (YYYY-MM-DD)")
        cases.append(PolicyCase(
            name=name, records=records, expect=expect,
            parameters={**shared, **dict(item.get("parameters") or {})},
            references={**shared_references, **_references(item.get("references"), where)},
            evaluated_on=evaluated_on.date() if isinstance(evaluated_on, datetime) else evaluated_on,
            total=item.get("total"), held_total=item.get("held_total"), clause=item.get("clause"), where=where,
        ))
    return PolicyFile(path, cases, tuple(plugins) if plugins is not None else None)


def _references(data: Any, where: str) -> dict[str, Any]:
    """``references``: each table's key with a list of versions ``{from: date, rows: [...]}``."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise PolicyCaseError(f"{where}: 'references' maps reference tables to lists of versions")
    for key, versions in data.items():
        if not isinstance(versions, list) or not all(
                isinstance(v, Mapping) and set(v) == {"from", "rows"} and isinstance(v["from"], date)
                and isinstance(v["rows"], list) for v in versions):
            raise PolicyCaseError(f"{where}: references of {key}: a list of versions, each {{from: YYYY-MM-DD, rows: [...]}}")
    return {str(k): v for k, v in data.items()}


def _explains(spec: Any) -> list[tuple[str, str]]:
    if isinstance(spec, Mapping):
        return [(lang, str(text)) for lang, text in spec.items()]
    return [("any", str(spec))]


def check_case(case: PolicyCase, registry: Registry) -> tuple[Evaluation, list[str]]:
    """Run ``case`` with ``registry``'s plugins; the evaluation and every way it differs from the expectation."""
    try:
        evaluation = evaluate(registry, case.records, parameters=case.parameters, references=case.references,
                              evaluated_on=case.evaluated_on)
    except (KeyError, ValueError) as exc:  # an override naming an unknown parameter, or a bad value
        return Evaluation.__new__(Evaluation), [f"{case.where}: {exc}"]
    problems: list[str] = []
    if evaluation.result.failures:
        problems.extend(f"plugin {name} raised: {error}" for name, error in evaluation.result.failures.items())
    for ref, spec in case.expect.items():
        problems.extend(f"record {ref}: {p}" for p in _check_record(evaluation, ref, spec))
    if case.total is not None and evaluation.total_amount != case.total:
        problems.append(f"total: expected {case.total:,}, got {evaluation.total_amount:,}")
    if case.held_total is not None and evaluation.result.held_amount != case.held_total:
        problems.append(f"held total: expected {case.held_total:,}, got {evaluation.result.held_amount:,}")
    return evaluation, problems


def _check_record(evaluation: Evaluation, ref: str, spec: Mapping[str, Any]) -> Iterator[str]:
    errors = evaluation.errors(ref)
    if "errors" in spec:
        wanted = sorted((str(f) if f is not None else "") for f in (spec["errors"] or []))
        got = sorted(e.field or "" for e in errors)
        if sorted(set(got)) != sorted(set(wanted)) or not errors:
            yield f"expected errors on {wanted or 'the record'}, got {[e.to_json() for e in errors] or 'a valid record'}"
        return
    if errors:
        yield f"invalid: {[e.to_json() for e in errors]}"
        return
    outcomes = evaluation.outcomes(ref)
    if "amount" in spec and evaluation.amount(ref) != spec["amount"]:
        yield (f"amount: expected {spec['amount']:,}, got {evaluation.amount(ref):,} "
               f"({'; '.join(f'{o.plugin}:{o.rule} {o.amount:,} — {o.explanation_en}' for o in outcomes) or 'no outcome'})")
    held = sum(o.held_amount for o in outcomes)
    if "held_amount" in spec and held != spec["held_amount"]:
        yield f"held amount: expected {spec['held_amount']:,}, got {held:,}"
    if "outcomes" in spec and len(outcomes) != spec["outcomes"]:
        yield f"outcomes: expected {spec['outcomes']}, got {len(outcomes)}"
    rule = spec.get("rule")
    if isinstance(rule, list):
        if [o.rule for o in outcomes] != rule:
            yield f"rules: expected {rule}, got {[o.rule for o in outcomes]}"
        rule = None
    single = {k: spec[k] for k in ("status", "plugin", "reason", "explains", "held", "held_with") if k in spec}
    if rule is not None:
        single["rule"] = rule
    if not single:
        return
    if len(outcomes) != 1:
        yield f"expected one outcome to check {sorted(single)}, got {len(outcomes)}"
        return
    outcome = outcomes[0]
    if "rule" in single and outcome.rule != single["rule"]:
        yield f"rule: expected {single['rule']}, got {outcome.rule} ({outcome.explanation_en})"
    if "status" in single and outcome.status != single["status"]:
        yield f"status: expected {single['status']}, got {outcome.status}"
    if "plugin" in single and outcome.plugin != single["plugin"]:
        yield f"plugin: expected {single['plugin']}, got {outcome.plugin}"
    codes = [r.get("code") for r in outcome.held_reasons]
    if "held" in single and codes != list(single["held"] or []):
        yield f"held reasons: expected {single['held']}, got {codes}"
    others = [r["other"].get("activity") for r in outcome.held_reasons if r.get("other")]
    if "held_with" in single and sorted(others) != sorted(str(x) for x in single["held_with"] or []):
        yield f"held with: expected {single['held_with']}, got {others}"
    if "reason" in single and (outcome.details or {}).get("reason") != single["reason"]:
        yield f"reason: expected {single['reason']!r}, got {(outcome.details or {}).get('reason')!r}"
    for lang, words in _explains(single.get("explains")) if "explains" in single else ():
        texts = {"zh": outcome.explanation_zh, "en": outcome.explanation_en}
        haystack = texts.get(lang) if lang in texts else texts["zh"] + "\n" + texts["en"]
        if haystack is None or words not in haystack:
            yield f"explanation ({lang}) does not contain {words!r}: {outcome.explanation_zh} / {outcome.explanation_en}"


def describe(case: PolicyCase, evaluation: Evaluation, problems: Sequence[str]) -> str:
    """A failed case as a report: where it is, what differs, every outcome there was."""
    lines = [f"{case.where}" + (f" [{case.clause}]" if case.clause else "")]
    lines += [f"  ✗ {p}" for p in problems]
    report = getattr(evaluation, "report", None)
    if report is not None:
        lines.append("  outcomes:")
        for item in report.items:
            if hasattr(item, "errors"):
                lines.append(f"    {item.ref}: invalid {[e.to_json() for e in item.errors]}")
                continue
            for o in evaluation.result.for_activity(item):
                lines.append(f"    {item.ref}: {o.plugin}:{o.rule} {o.amount:,} [{o.status}] {o.explanation_zh}")
    return "\n".join(lines)
