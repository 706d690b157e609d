"""``stdpolicy plugins``, ``enable`` and ``disable``."""

from __future__ import annotations

import sys

import click
from sqlalchemy import select

from ..app import get_registry
from ..db import db
from ..models import Department, PluginEnablement
from ..store import switch_plugin
from ._common import actor, resolve_department, with_database

__all__ = ["disable_command", "enable_command", "plugins_command"]


def enabling_departments() -> dict[str, list[str]]:
    """Plugin name → codes of the departments that enable it."""
    found: dict[str, list[str]] = {}
    rows = db.session.execute(
        select(PluginEnablement.plugin, Department.code)
        .join(Department, PluginEnablement.department_id == Department.id)
        .where(PluginEnablement.enabled.is_(True))
        .order_by(Department.code)
    )
    for plugin, code in rows:
        found.setdefault(plugin, []).append(code)
    return found


@click.command("plugins")
@with_database
def plugins_command() -> None:
    """Every discovered plugin, where it came from, and any that failed to load."""
    registry = get_registry()
    departments = enabling_departments()
    for name, record in registry.plugins.items():
        click.echo(f"{name} {record.version} — {record.description.label.zh} / {record.description.label.en}")
        click.echo(f"    source:      {record.source}")
        click.echo(f"    hooks:       {', '.join(record.hooks)}")
        click.echo(f"    kinds:       {', '.join(record.kinds) or '—'}")
        click.echo(f"    parameters:  {len(record.parameters)}")
        click.echo(f"    enabled by:  {', '.join(departments.get(name, [])) or '—'}")
    for failure in registry.failures:
        click.echo(f"FAILED {failure.name} ({failure.source}) at {failure.stage}: {failure.error}")
    if not registry.plugins and not registry.failures:
        click.echo("no plugins found in the stdpolicy.plugins entry-point group")


def _switch(plugin: str, department: str, enabled: bool) -> None:
    registry = get_registry()
    if plugin not in registry.plugins:
        known = ", ".join(registry.plugins) or "none"
        click.echo(f"error: no loaded plugin {plugin!r} (loaded: {known})", err=True)
        sys.exit(2)
    dept = resolve_department(department)
    assert dept is not None
    changed = switch_plugin(dept, plugin, enabled, actor())
    state = "enabled" if enabled else "disabled"
    if changed:
        click.echo(f"{plugin} {state} for {dept.code}; run `stdpolicy reevaluate` to update stored outcomes")
    else:
        click.echo(f"{plugin} was already {state} for {dept.code}")


@click.command("enable")
@click.argument("plugin")
@click.option("--department", "-d", required=True, metavar="NAME", help="Department code or name.")
@with_database
def enable_command(plugin: str, department: str) -> None:
    """Switch PLUGIN on for a department (audited)."""
    _switch(plugin, department, True)


@click.command("disable")
@click.argument("plugin")
@click.option("--department", "-d", required=True, metavar="NAME", help="Department code or name.")
@with_database
def disable_command(plugin: str, department: str) -> None:
    """Switch PLUGIN off for a department (audited)."""
    _switch(plugin, department, False)
