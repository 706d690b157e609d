"""``stdpolicy init [--demo]``: create or upgrade the database and seed it."""

from __future__ import annotations

import json
import sys
from importlib import resources

import click
from flask import current_app
from flask.cli import with_appcontext

from ..app import get_registry
from ..db import db
from ..environments import MigrationFailed, upgrade_all
from ..services import import_activities, seed, seed_samples
from ..store import find_department
from ..store.permissions import plugin_owner
from ..store.faults import EXIT_REFUSED
from ._common import actor, database_faults

__all__ = ["init_command"]


@click.command("init")
@click.option("--demo", is_flag=True, help="Also add sample organisations and activities from Jiaxing's counties, "
                                          "and the plugins' sample reference data (marked as samples).")
@with_appcontext
@database_faults
def init_command(demo: bool) -> None:
    """Create or upgrade the database, load parameter defaults and shipped reference data, create departments.

    Safe to run again: it applies new migrations (core's, the admin's, then
    every installed plugin's), adds parameter values, reference data versions
    and departments that are missing, and changes nothing a user has changed.
    Exit status 2: a plugin ships reference data that does not fit its own
    row schema; 3: the database cannot be reached or is busy; 4: it refused
    the write, or a migration failed (a plugin's failing migration leaves
    that plugin's tables as they were; the rest is still done).
    """
    registry = get_registry()
    who = actor()
    try:
        failed = upgrade_all(click.echo)
    except MigrationFailed as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_REFUSED)
    if not failed:
        click.echo(f"database at revision head ({_safe_url()})")
    try:
        for line in seed(registry, who):
            click.echo(line)
        if demo:
            for line in seed_samples(registry, who):
                click.echo(line)
    except ValueError as exc:  # a plugin ships reference data that does not fit its own row schema
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
    if demo:
        records = json.loads(resources.files("core").joinpath("data/demo_activities.json").read_text(encoding="utf-8"))
        result = import_activities(registry, records, source="demo data (stdpolicy init --demo)", actor=who,
                                   department=find_department("market_regulation"))
        if not result.ok:  # the shipped data is valid; this guards against a broken install
            raise click.ClickException(f"demo data invalid: {result.report.invalid[0].errors}")
        click.echo(f"demo: stored {len(result.stored)} activities, {len(result.skipped)} already there")
        for plugin, records in registry.demo_records().items():
            result = import_activities(registry, records, source=f"demo data of {plugin} (stdpolicy init --demo)",
                                       actor=who, department=plugin_owner(plugin) or find_department("market_regulation"))
            if not result.ok:
                raise click.ClickException(f"demo data of plugin {plugin} invalid: {result.report.invalid[0].errors}")
            click.echo(f"demo ({plugin}): stored {len(result.stored)} activities, {len(result.skipped)} already there")
    for step in current_app.extensions.get("stdpolicy.init_steps", []):
        step(current_app, click.echo)
    for failure in registry.failures:
        click.echo(f"warning: plugin {failure.name} not loaded ({failure.stage}): {failure.error}"
                   + (f" [{failure.where}]" if failure.where else ""), err=True)
    if failed:
        for migration in failed:
            click.echo(f"error: {migration}", err=True)
        sys.exit(EXIT_REFUSED)


def _safe_url() -> str:
    return db.engine.url.render_as_string(hide_password=True)
