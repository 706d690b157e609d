"""``stdpolicy plugins``, ``enable``, ``disable``, ``permit`` and ``forbid``.

``enable`` switches a plugin on only for a department permitted it, as in the
admin: ``permit`` (a city administrator's decision, audited) comes first.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import click
from sqlalchemy import select

from ..app import get_registry
from ..db import db
from ..models import Department, PluginEnablement
from ..screening import clipped
from ..services import NotPermitted, permit_plugin, switch_plugin
from ..store import permitted_plugins, plugin_owners
from ..version import HOOK_API_VERSION
from ._common import actor, resolve_department, with_core_database

__all__ = ["disable_command", "enable_command", "forbid_command", "permit_command", "plugins_command"]


def permitting_departments() -> dict[str, list[str]]:
    """Plugin name → codes of the departments permitted to switch it on."""
    found: dict[str, list[str]] = {}
    for department in db.session.scalars(select(Department).order_by(Department.code)):
        for plugin in sorted(permitted_plugins(department)):
            found.setdefault(plugin, []).append(department.code)
    return found


def enabling_departments() -> dict[str, list[str]]:
    """Plugin name → codes of the departments that switched it on (``*``: not permitted, no effect)."""
    found: dict[str, list[str]] = {}
    rows = db.session.execute(
        select(PluginEnablement.plugin, Department.code)
        .join(Department, PluginEnablement.department_id == Department.id)
        .where(PluginEnablement.enabled.is_(True))
        .order_by(Department.code)
    )
    permitted = permitting_departments()
    for plugin, code in rows:
        found.setdefault(plugin, []).append(code if code in permitted.get(plugin, ()) else f"{code}*")
    return found


@click.command("plugins")
@click.option("--verbose", "-v", is_flag=True, help="Also print the traceback of each plugin that failed.")
@with_core_database
def plugins_command(verbose: bool) -> None:
    """Every discovered plugin, where it came from, what it evaluates, and any that failed to load.

    A failure names the file and line that raised; --verbose adds the traceback.
    Warnings (a stdpolicy_* function without @hookimpl, no hook API range
    declared, a kind read that no plugin declares) follow.
    """
    registry = get_registry()
    departments = enabling_departments()
    permitted = permitting_departments()
    owners = plugin_owners(registry.plugins)
    if registry.base is not None:
        base = registry.base
        click.echo(f"{base.name} {base.version} — {base.description.label.zh} / {base.description.label.en} "
                   f"(built into core, hook API {HOOK_API_VERSION})")
        click.echo(f"    kinds:       {', '.join(base.kinds)}")
    for name, record in registry.plugins.items():
        owner = owners.get(name)
        click.echo(f"{name} {record.version} — {record.description.label.zh} / {record.description.label.en}")
        click.echo(f"    source:      {record.source}")
        click.echo(f"    hook API:    {record.description.api or '— (not declared)'}")
        click.echo(f"    hooks:       {', '.join(record.hooks)}")
        click.echo(f"    kinds:       {', '.join(record.kinds) or '—'}")
        if record.reads:
            click.echo(f"    reads:       {', '.join(record.reads)}")
        extended = sorted({e.kind for e in record.extensions})
        if extended:
            click.echo(f"    extends:     {', '.join(extended)}")
        click.echo(f"    parameters:  {len(record.parameters)}")
        if record.reference_tables:
            click.echo(f"    reference:   {', '.join(record.reference_tables)}")
        if record.parameter_types:
            click.echo(f"    types:       {', '.join(record.parameter_types)}")
        click.echo(f"    owner:       {owner.code if owner else '— (city administrators only)'}")
        click.echo(f"    permitted:   {', '.join(permitted.get(name, [])) or '—'}")
        click.echo(f"    enabled by:  {', '.join(departments.get(name, [])) or '—'}")
    for failure in registry.failures:
        click.echo(f"FAILED {failure.name} ({failure.source}) at {failure.stage}: {failure.error}")
        if failure.where:
            click.echo(f"    at {failure.where}")
        if failure.kinds:
            click.echo(f"    declares:    {', '.join(failure.kinds)}")
        if verbose and failure.traceback:
            for line in failure.traceback.rstrip().splitlines():
                click.echo(f"    | {line}")
    for warning in registry.warnings:
        click.echo(f"WARNING {warning.name} ({warning.source}): {warning.message}")
    if registry.failures and not verbose and any(f.traceback for f in registry.failures):
        click.echo("(`stdpolicy plugins --verbose` prints each failure's traceback)")
    if any(code.endswith("*") for codes in departments.values() for code in codes):
        click.echo("* switched on but not permitted: no effect until `stdpolicy permit PLUGIN --department D`")
    if not registry.plugins and not registry.failures:
        click.echo("no plugins found in the stdpolicy.plugins entry-point group")


def _loaded(plugin: str) -> None:
    registry = get_registry()
    if plugin not in registry.plugins:
        known = ", ".join(registry.plugins) or "none"
        click.echo(f"error: no loaded plugin '{clipped(plugin)}' (loaded: {known})", err=True)
        sys.exit(2)


def _switch(plugin: str, department: str, enabled: bool) -> None:
    dept = resolve_department(department)
    assert dept is not None
    if not enabled and plugin not in get_registry().plugins:
        # Uninstalled, or failing to load: its switch stays in the database and can still be turned off.
        if plugin not in {e.plugin for e in dept.enablements}:
            known = ", ".join(get_registry().plugins) or "none"
            click.echo(f"error: no plugin '{clipped(plugin)}' is loaded or was ever switched on for {dept.code} "
                       f"(loaded: {known})", err=True)
            sys.exit(2)
        click.echo(f"note: {plugin} is not loaded (uninstalled, or it failed to load: `stdpolicy plugins`)", err=True)
    else:
        _loaded(plugin)
    try:
        changed = switch_plugin(dept, plugin, enabled, actor())
    except NotPermitted:
        click.echo(f"error: {dept.code} is not permitted to switch on {plugin}; a city administrator permits it first: "
                   f"`stdpolicy permit {plugin} --department {dept.code}`. Nothing changed.", err=True)
        sys.exit(2)
    state = "enabled" if enabled else "disabled"
    if changed:
        click.echo(f"{plugin} {state} for {dept.code}; run `stdpolicy reevaluate` to update stored outcomes")
    else:
        click.echo(f"{plugin} was already {state} for {dept.code}")


def _permission(plugin: str, department: str, allowed: bool) -> None:
    _loaded(plugin)
    dept = resolve_department(department)
    assert dept is not None
    was_on = plugin in {e.plugin for e in dept.enablements if e.enabled}
    changed = permit_plugin(dept, plugin, allowed, actor())
    if not changed:
        click.echo(f"{dept.code} was already {'permitted' if allowed else 'not permitted'} to switch on {plugin}")
    elif allowed:
        click.echo(f"{dept.code} may now switch on {plugin} (`stdpolicy enable {plugin} --department {dept.code}`)")
    else:
        click.echo(f"{dept.code} may no longer switch on {plugin}"
                   + ("; it was switched off: run `stdpolicy reevaluate` to update stored outcomes" if was_on else ""))


def _command(name: str, act: Callable[[str, str, bool], None], value: bool, doc: str) -> click.Command:
    """``stdpolicy NAME PLUGIN --department D``: ``act(plugin, department, value)``."""

    @click.command(name, help=doc)
    @click.argument("plugin")
    @click.option("--department", "-d", required=True, metavar="NAME", help="Department code or name.")
    @with_core_database
    def command(plugin: str, department: str) -> None:
        act(plugin, department, value)

    return command


enable_command = _command("enable", _switch, True, "Switch PLUGIN on for a department (audited).")
disable_command = _command("disable", _switch, False,
                           "Switch PLUGIN off for a department (audited). Works for a plugin no longer installed, or "
                           "failing to load, too: its switch is kept in the database until turned off.")
permit_command = _command("permit", _permission, True,
                          "Let a department switch PLUGIN on (a city administrator's decision; audited).")
forbid_command = _command("forbid", _permission, False,
                          "Stop a department from switching PLUGIN on; switches it off for them (audited).")
