"""``stdpolicy whatif``: budget what-ifs on the stored register — evaluate, save, list, show, compare, record.

``stdpolicy whatif --set KEY=VALUE --from DATE [--set …]`` evaluates the
proposed parameter versions without recording them (``core.services.whatif``);
``save NAME`` keeps them under a name, ``compare A B …`` sets saved
scenarios' totals side by side, and ``record NAME --reason … --reference …``
turns one into real parameter versions and re-evaluates.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

import click
from marshmallow import ValidationError

from ..app import get_registry
from ..messages import flatten_errors
from ..registry import Registry
from ..regions import region_name
from ..screening import clipped
from ..services.whatif import (
    AlreadyRecorded,
    Proposal,
    ScenarioExists,
    ScenarioOutdated,
    UnknownScenario,
    WhatIf,
    evaluate_scenario,
    find_saved,
    load_proposals,
    record_scenario,
    save_scenario,
    saved_scenarios,
    scenario_proposals,
)
from ..text import format_yuan_en
from ._common import actor, plugin_failures, print_table, with_database

__all__ = ["whatif_group"]

_SET_HELP = ("A proposed version, KEY=VALUE (from --from) or KEY=VALUE@YYYY-MM-DD; repeat for several. "
             "VALUE as `stdpolicy params set` takes it.")
_FORMAT = click.Choice(["table", "json"])


def _items(registry: Registry, sets: Sequence[str], effective_from: str | None) -> list[dict[str, Any]]:
    items = []
    for given in sets:
        key, sep, rest = given.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"'{clipped(given)}': write KEY=VALUE", param_hint="--set")
        value, at, day = rest.rpartition("@") if "@" in rest else (rest, "", "")
        day = day if at else (effective_from or "")
        if not day:
            raise click.BadParameter(f"'{clipped(given)}': give --from DATE or KEY=VALUE@DATE", param_hint="--set")
        key = key.strip()
        decl = registry.parameters.get(key)
        items.append({"key": key, "value": decl.value_type.cli_value(decl, value) if decl is not None else value,
                      "effective_from": day})
    return items


def _proposals(registry: Registry, sets: Sequence[str], effective_from: str | None) -> list[Proposal]:
    if not sets:
        raise click.UsageError("propose at least one version: --set KEY=VALUE --from YYYY-MM-DD")
    items = _items(registry, sets, effective_from)
    try:
        return load_proposals(registry, items)
    except ValidationError as exc:
        _invalid(exc, [f"--set {clipped(s)}" for s in sets])
        raise  # not reached


def _invalid(exc: ValidationError, names: Sequence[str] = ()) -> None:
    messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    for position, errors in messages.items():
        where = names[position] if isinstance(position, int) and position < len(names) else str(position)
        for error in flatten_errors(errors if isinstance(errors, dict) else {"_schema": errors}):
            click.echo(f"error: {where}: {error.field}: {error.message}", err=True)
    click.echo("nothing stored", err=True)
    sys.exit(2)


def _yuan(amount: int) -> str:
    return format_yuan_en(amount)


def _signed(amount: int) -> str:
    return ("+" if amount > 0 else "") + format_yuan_en(amount) if amount else "0"


def _print(registry: Registry, whatif: WhatIf) -> None:
    for p in whatif.proposals:
        decl = registry.parameters[p.key]
        click.echo(f"proposed: {p.key} = {decl.value_type.cli_text(decl, p.value)} from {p.effective_from}")
    click.echo(f"re-evaluated {whatif.evaluated} stored activities dated on or after {whatif.since}; "
               f"{len(whatif.changes)} of them change amount")
    click.echo(f"total: {_yuan(whatif.current_total)} now, {_yuan(whatif.proposed_total)} proposed "
               f"({_signed(whatif.difference)})")
    if whatif.current_held or whatif.proposed_held:
        click.echo(f"held for review (not in the totals): {_yuan(whatif.current_held)} now, "
                   f"{_yuan(whatif.proposed_held)} proposed")
    for title, lines, name in (("year", whatif.by_year, str), ("county", whatif.by_county,
                                                                 lambda k: f"{region_name(k).en} ({k})"),
                               ("rule", whatif.by_rule, str)):
        click.echo()
        print_table([title, "now", "proposed", "difference"],
                    [[name(x.key), _yuan(x.current), _yuan(x.proposed), _signed(x.difference)] for x in lines])
    click.echo()
    if whatif.changes:
        print_table(["activity", "date", "organisation", "credit code", "now", "proposed", "difference"],
                    [[c.ref, c.date.isoformat(), c.organisation or "", c.credit_code, _yuan(c.old), _yuan(c.new),
                      _signed(c.difference)] for c in whatif.changes])
    else:
        click.echo("no activity's amount changes")


def _show(registry: Registry, whatif: WhatIf, output: str) -> None:
    if output == "json":
        click.echo(json.dumps(whatif.document(registry), ensure_ascii=False, indent=2))
    else:
        _print(registry, whatif)
    if plugin_failures(_failures_only(whatif), "the what-if is incomplete"):
        sys.exit(5)


class _Failures:
    """What ``plugin_failures`` reads: the plugins that raised (the activities are in the log)."""

    def __init__(self, failures: dict[str, str]) -> None:
        self.failures = failures
        self.outcomes: list[Any] = []


def _failures_only(whatif: WhatIf) -> Any:
    return _Failures(whatif.failures) if whatif.failures else None


_set = click.option("--set", "sets", multiple=True, metavar="KEY=VALUE[@DATE]", help=_SET_HELP)
_from = click.option("--from", "effective_from", metavar="YYYY-MM-DD", help="The day the proposed values take effect.")
_format = click.option("--format", "output", type=_FORMAT, default="table", show_default=True)


@click.group("whatif", invoke_without_command=True)
@_set
@_from
@_format
@click.pass_context
def whatif_group(ctx: click.Context, sets: tuple[str, ...], effective_from: str | None, output: str) -> None:
    """Budget what-if: what proposed parameter versions would pay, on the stored register. Records nothing.

    Without a command: evaluate the --set proposals and compare with the
    current stored outcomes (total, by year, county and rule, and the
    activities whose amount changes).
    """
    if ctx.invoked_subcommand is not None:
        if sets or effective_from:
            raise click.UsageError(f"--set and --from go after `whatif {ctx.invoked_subcommand}`")
        return
    _evaluate(sets, effective_from, output)


@with_database
def _evaluate(sets: tuple[str, ...], effective_from: str | None, output: str) -> None:
    registry = get_registry()
    _show(registry, evaluate_scenario(registry, _proposals(registry, sets, effective_from)), output)


@whatif_group.command("save")
@click.argument("name")
@_set
@_from
@with_database
def save_command(name: str, sets: tuple[str, ...], effective_from: str | None) -> None:
    """Save the --set proposals as scenario NAME (nothing is recorded as a parameter version)."""
    registry = get_registry()
    proposals = _proposals(registry, sets, effective_from)
    try:
        save_scenario(registry, name, proposals, actor=actor())
    except ScenarioExists as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except ValidationError as exc:
        _invalid(exc)
    click.echo(f"saved scenario {name.strip()!r}: {len(proposals)} proposed version(s); "
               f"`stdpolicy whatif show {name.strip()}` evaluates it")


@whatif_group.command("list")
@with_database
def list_command() -> None:
    """The saved scenarios, newest first."""
    rows = []
    for row in saved_scenarios():
        proposed = "; ".join(f"{p['key']}={p['value']} from {p['effective_from']}" for p in row.proposals)
        rows.append([row.name, proposed, row.created_by, row.created_at.strftime("%Y-%m-%d %H:%M"),
                     f"recorded {row.recorded_at:%Y-%m-%d} by {row.recorded_by}" if row.recorded_at else ""])
    print_table(["name", "proposals", "saved by", "saved at (UTC)", ""], rows)


def _saved(name: str) -> tuple[Registry, list[Proposal]]:
    registry = get_registry()
    try:
        return registry, scenario_proposals(registry, find_saved(name))
    except UnknownScenario as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except ValidationError as exc:
        _invalid(exc)
        raise  # not reached


@whatif_group.command("show")
@click.argument("name")
@_format
@with_database
def show_command(name: str, output: str) -> None:
    """Evaluate saved scenario NAME on the register as it is now."""
    registry, proposals = _saved(name)
    _show(registry, evaluate_scenario(registry, proposals), output)


@whatif_group.command("compare")
@click.argument("names", nargs=-1, required=True)
@_format
@with_database
def compare_command(names: tuple[str, ...], output: str) -> None:
    """Saved scenarios' totals side by side: NAME NAME …"""
    if len(names) < 2:
        raise click.UsageError("compare two or more saved scenarios")
    registry = get_registry()
    results = []
    for name in names:
        _registry, proposals = _saved(name)
        results.append((name, evaluate_scenario(registry, proposals)))
    if output == "json":
        click.echo(json.dumps({name: w.document(registry) for name, w in results}, ensure_ascii=False, indent=2))
        return
    rows = [["now", *(_yuan(w.current_total) for _, w in results)],
            ["proposed", *(_yuan(w.proposed_total) for _, w in results)],
            ["difference", *(_signed(w.difference) for _, w in results)],
            ["activities changed", *(str(len(w.changes)) for _, w in results)]]
    years = sorted({x.key for _, w in results for x in w.by_year})
    for year in years:
        rows.append([f"{year} proposed", *(_yuan(next((x.proposed for x in w.by_year if x.key == year), 0))
                                           for _, w in results)])
    print_table(["", *names], rows)


@whatif_group.command("record")
@click.argument("name")
@click.option("--reason", required=True, help="Why the values change (kept with every version and in the audit log).")
@click.option("--reference", required=True, help="The policy document and clause the new values rest on.")
@with_database
def record_command(name: str, reason: str, reference: str) -> None:
    """Record saved scenario NAME as parameter versions, then re-evaluate from its earliest date (one transaction)."""
    registry = get_registry()
    try:
        recorded = record_scenario(registry, name, reason=reason, reference=reference, actor=actor(), source="cli")
    except (UnknownScenario, AlreadyRecorded, ScenarioOutdated) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except ValidationError as exc:
        _invalid(exc)
        return
    for version in recorded.versions:
        decl = registry.parameters[version.key]
        click.echo(f"recorded {version.key} version {version.sequence}: "
                   f"{decl.value_type.cli_text(decl, version.value)} from {version.effective_from}")
    result = recorded.reevaluation
    click.echo(f"re-evaluated {result.activities} activities from {recorded.since}: {result.changed} changed")
    if plugin_failures(result.result, "those activities have error outcomes"):
        sys.exit(5)
