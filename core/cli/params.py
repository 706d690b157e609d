"""``stdpolicy params list|history|set``: dated policy parameters."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, time

import click
from marshmallow import ValidationError

from .. import clock
from ..app import get_registry
from ..messages import flatten_errors
from ..declarations import ParameterDeclaration
from ..parameters import ParameterVersion
from ..screening import clipped
from ..services import default_reference, first_in_force, record_parameter
from ..store import ParameterConflict, UnknownParameter, resolver
from ._common import actor, print_table, with_database

__all__ = ["params_group"]

_DAY = click.DateTime(formats=["%Y-%m-%d"])


@click.group("params")
def params_group() -> None:
    """Policy parameters: values with effective dates and their history."""


@params_group.command("list")
@click.argument("plugin", required=False)
@click.option("--on", "on", type=_DAY, help="Show the values in force on this day (default: today).")
@click.option("--believed-at", type=_DAY, help="Ignore versions recorded after this day: what we believed then.")
@with_database
def list_command(plugin: str | None, on: datetime | None, believed_at: datetime | None) -> None:
    """Every parameter (of PLUGIN) with the value in force."""
    registry = get_registry()
    if plugin is not None and plugin not in registry.plugins:
        raise click.BadParameter(f"no loaded plugin '{clipped(plugin)}'", param_hint="PLUGIN")
    # The end of that day in the city's time zone (core.clock), as the naive UTC the database keeps.
    believed = (
        datetime.combine(believed_at.date(), time.max, tzinfo=clock.zone()).astimezone(UTC).replace(tzinfo=None)
        if believed_at else None
    )
    params = resolver(registry, believed_at=believed)
    day = on.date() if on else clock.today()
    rows = []
    for key, decl in registry.parameters.items():
        if plugin is not None and registry.parameter_plugin[key] != plugin:
            continue
        current = params.current(key, day)
        rows.append([
            key,
            "—" if current is None else _show(decl, current.value),
            decl.unit.en,
            "not in force" if current is None else current.effective_from.isoformat(),
            "" if current is None else _version(current),
            decl.clause,
            decl.label.zh,
        ])
    click.echo(f"values in force on {day.isoformat()}" + (f", as believed at {believed_at.date()}" if believed_at else ""))
    print_table(["key", "value", "unit", "in force from", "version", "clause", "label"], rows)


@params_group.command("history")
@click.argument("key")
@with_database
def history_command(key: str) -> None:
    """Every recorded version of KEY, oldest first (nothing is ever deleted)."""
    registry = get_registry()
    params = resolver(registry)
    try:
        history = params.history(key)
    except KeyError:
        raise click.BadParameter(f"unknown parameter '{clipped(key)}'; `stdpolicy params list` shows the keys", param_hint="KEY") from None
    today = params.current(key)
    decl = registry.parameters[key]
    click.echo(f"{key} — {decl.label.zh} / {decl.label.en} ({decl.value_type.label.en}, {decl.unit.en}, {decl.clause})")
    print_table(
        ["version", "in force from", "value", f"recorded at ({clock.zone_name()})", "by", "source", "reason", "reference", ""],
        [[_version(v), v.effective_from.isoformat(), _show(decl, v.value),
          clock.local(v.recorded_at).strftime("%Y-%m-%d %H:%M:%S") if v.recorded_at else "", v.recorded_by, v.source,
          v.reason, v.reference, "← in force today" if today is not None and v.id == today.id else ""]
         for v in history],
    )


@params_group.command("set", context_settings={"ignore_unknown_options": True})
@click.argument("key")
@click.argument("value")
@click.option("--from", "effective_from", required=True, metavar="YYYY-MM-DD", help="The day the value takes effect.")
@click.option("--reason", required=True, help="Why the value changes (kept in the history and the audit log).")
@click.option("--reference", help="The policy document and clause (default: that of the latest version).")
@with_database
def set_command(key: str, value: str, effective_from: str, reason: str, reference: str | None) -> None:
    """Record a new version of KEY: VALUE from --from on.

    Earlier versions stay as they are; activities dated before --from keep
    the value in force on their date. Run `stdpolicy reevaluate --since DATE`
    afterwards to update stored outcomes. The audit log records the change
    under the department that owns the parameter's plugin.
    """
    registry = get_registry()
    decl = registry.parameters.get(key)
    given = decl.value_type.cli_value(decl, value) if decl is not None else value
    try:
        before = resolver(registry)  # the versions as they were: the new one is not the first of them
        if reference is None:
            reference = default_reference(registry, key, before)
            click.echo(f"no --reference given: using {reference!r}", err=True)
        version = record_parameter(
            registry, key,
            {"value": given, "effective_from": effective_from, "reason": reason, "reference": reference},
            actor=actor(), source="cli",
        )
    except UnknownParameter as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except ValidationError as exc:
        for error in flatten_errors(exc.messages):
            click.echo(f"error: {error.field}: {error.message}", err=True)
        if decl is not None and decl.value_type.describe(decl, "en"):
            click.echo(f"value: {decl.value_type.describe(decl, 'en')}", err=True)
        click.echo("nothing stored", err=True)
        sys.exit(2)
    except ParameterConflict as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(f"recorded {key} version {version.sequence}: {_show(registry.parameters[key], version.value)} "
               f"from {version.effective_from}")
    first = first_in_force(registry, key, version.effective_from, before)
    if first is not None:
        click.echo(f"warning: {version.effective_from} is before the first version of {key} (in force from {first}): "
                   f"activities dated between the two now read this value; check the year", err=True)


def _version(version: ParameterVersion) -> str:
    """The version's number within its key, as the admin shows it (第2版: version 2); shipped values unstored: "shipped"."""
    return str(version.sequence) if version.id is not None else "shipped"


def _show(decl: ParameterDeclaration, value: object) -> str:
    """A value as its type prints it on the command line (``ParameterType.cli_text``: 300,000, true, a choice's code …)."""
    return decl.value_type.cli_text(decl, value)
