"""``stdpolicy db``: Flask-Migrate's commands, over core's, the admin's and the plugins' migrations.

Replaced or added here (core/environments.py has the machinery):

- ``db upgrade [REVISION] [--env NAME]``: core's migrations, then the
  admin's, then every installed plugin's, each to its head; a REVISION
  other than head, or ``--env``, upgrades one environment;
- ``db downgrade`` (core/cli/dbguard.py): guarded, in any environment;
- ``db status``: each environment's revision and head, and the tables of
  plugins no longer installed (kept, never dropped);
- ``db check``: Alembic's autogenerate in each environment, its own tables only;
- ``db revision`` / ``db migrate`` with ``--env NAME``: a new revision script
  in that environment's ``versions/`` (a plugin author's next migration).

The rest (``current``, ``history``, ``stamp`` …) are Flask-Migrate's, on core's.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

import click
from flask.cli import with_appcontext

from ..db import db
from ..environments import (
    CORE,
    Environment,
    MigrationFailed,
    State,
    UnknownEnvironment,
    describe_step,
    environment,
    environments,
    is_fault,
    model_differences,
    state,
    states,
    upgrade,
    upgrade_all,
)
from ..store.faults import EXIT_REFUSED
from ._common import database_faults, print_table
from .dbguard import downgrade_command

__all__ = ["database_group", "next_revision_id"]

_env_option = click.option("--env", "env_name", metavar="NAME",
                           help="Only this migration environment: core, webadmin or a plugin's name.")


def _environment(name: str) -> Environment:
    try:
        return environment(name)
    except UnknownEnvironment as exc:
        raise click.BadParameter(str(exc), param_hint="--env") from None


def _require_core_at_head() -> None:
    core = environment(CORE)
    with db.engine.connect() as connection:
        found = state(core, connection)
    if not found.up_to_date:
        click.echo(f"error: core's tables are {found.summary}: upgrade them first (`stdpolicy db upgrade`)", err=True)
        sys.exit(2)


@click.command("upgrade")
@click.argument("revision", default="head")
@_env_option
@click.option("--sql", is_flag=True, help="Print the SQL instead of running it.")
@with_appcontext
@database_faults
def upgrade_command(revision: str, env_name: str | None, sql: bool) -> None:
    """Upgrade the database: core's migrations, the admin's, then every installed plugin's.

    With a REVISION other than head, core's migrations only (or those of
    --env) go to it. A plugin's migration that fails leaves that plugin's
    tables as they were; the others are upgraded and the status is 4.
    """
    if env_name is None and revision in ("head", "heads"):
        if sql:
            for env in environments():
                upgrade(env, "heads", sql=True)
            return
        try:
            failures = upgrade_all(click.echo)
        except MigrationFailed as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_REFUSED)
        if failures:
            for failure in failures:
                click.echo(f"error: {failure}", err=True)
            sys.exit(EXIT_REFUSED)
        return
    env = _environment(env_name or CORE)
    if sql:
        upgrade(env, revision, sql=True)
        return
    if env.kind != CORE:
        _require_core_at_head()
    target = "heads" if revision == "head" else revision
    try:
        before, after = upgrade(env, target)
    except Exception as exc:
        if is_fault(exc):
            raise
        click.echo(f"error: {MigrationFailed(env, exc)}", err=True)
        sys.exit(EXIT_REFUSED)
    click.echo(describe_step(env, before, after))


def _state_text(found: State) -> str:
    if not found.installed:
        return "not installed: its tables are kept"
    if not found.current:
        return "not set up: run `stdpolicy init`"
    if found.up_to_date:
        return "up to date"
    return "behind: run `stdpolicy init`"


@click.command("status")
@with_appcontext
@database_faults
def status_command() -> None:
    """Each migration environment: its version table, revision and head.

    Also lists the tables of plugins that are no longer installed (kept as
    they are). Exit status 2 when an installed environment is not at its
    head (run `stdpolicy init`).
    """
    with db.engine.connect() as connection:
        found = states(connection)
    print_table(
        ["environment", "version table", "revision", "head", "state"],
        [(s.name, s.version_table, ", ".join(s.current) or "—", ", ".join(s.heads) or "—", _state_text(s))
         for s in found],
    )
    if any(s.installed and not s.up_to_date for s in found):
        sys.exit(2)


@click.command("check")
@_env_option
@with_appcontext
@database_faults
def check_command(env_name: str | None) -> None:
    """Compare each environment's models with its migrated tables (Alembic's autogenerate).

    Each environment compares its own tables only: a plugin's or the
    admin's tables are never reported as extra in core's. Exit status 1 when
    a difference is found or an environment is not at its head.
    """
    known = environments()
    chosen = known if env_name is None else [_environment(env_name)]
    failed = False
    with db.engine.connect() as connection:
        for env in chosen:
            found = state(env, connection)
            if not found.up_to_date:
                click.echo(f"{env.name}: {found.summary}: run `stdpolicy db upgrade` first")
                failed = True
                continue
            differences = model_differences(env, connection, known)
            if differences:
                failed = True
                click.echo(f"{env.name}: the models and the migrations differ:")
                for difference in differences:
                    click.echo(f"    {difference}")
            else:
                click.echo(f"{env.name}: no differences")
    if failed:
        sys.exit(1)


def next_revision_id(env: Environment, message: str | None) -> str:
    """``NNNN_<topic>``: the number after the highest in ``env``, the topic from ``message`` (≤ 32 characters)."""
    numbers = [int(match.group(1)) for revision in env.script().walk_revisions()
               if (match := re.match(r"^(\d{4})_", revision.revision))]
    topic = re.sub(r"[^a-z0-9]+", "_", (message or "revision").lower()).strip("_") or "revision"
    return f"{max(numbers, default=0) + 1:04d}_{topic}"[:32].rstrip("_")


def _revision_in(env: Environment, message: str | None, autogenerate: bool, rev_id: str | None) -> None:
    from alembic import command

    config = env.config()
    config.cmd_opts = argparse.Namespace(autogenerate=autogenerate, quiet=True)  # our own line says it
    scripts = command.revision(config, message=message, autogenerate=autogenerate,
                               rev_id=rev_id or next_revision_id(env, message))
    written = scripts if isinstance(scripts, list) else [scripts]
    for script in filter(None, written):
        click.echo(f"{env.name}: wrote {script.path}")
    if not any(written):
        click.echo(f"{env.name}: no changes in the models; nothing written")


def _with_env(original: click.Command, autogenerate: bool | None) -> click.Command:
    """Flask-Migrate's ``revision``/``migrate`` with ``--env``: another environment's versions/ folder."""

    @with_appcontext
    @click.pass_context
    def callback(ctx: click.Context, env_name: str | None, **kwargs: Any) -> Any:
        if env_name in (None, CORE):
            return ctx.invoke(original.callback, **kwargs)  # type: ignore[arg-type]
        env = _environment(env_name)
        if env.kind != CORE:
            _require_core_at_head()
        generate = kwargs.get("autogenerate", False) if autogenerate is None else autogenerate
        database_faults(_revision_in)(env, kwargs.get("message"), generate, kwargs.get("rev_id"))

    return click.Command(
        original.name, callback=callback, params=[*original.params, click.Option(
            ["--env", "env_name"], metavar="NAME", help="The migration environment: core (default), webadmin or a "
                                                         "plugin's name.")],
        help=(original.help or "") + "\n\nWith --env NAME, a revision of the admin's or a plugin's migrations "
                                     "(id NNNN_<topic>, in its versions/ folder).",
    )


def database_group(original: click.Group) -> click.Group:
    """Flask-Migrate's ``db`` group, over every migration environment (module docstring)."""
    commands = dict(original.commands)
    commands.update({
        "upgrade": upgrade_command,
        "downgrade": downgrade_command,
        "status": status_command,
        "check": check_command,
        "revision": _with_env(original.commands["revision"], None),
        "migrate": _with_env(original.commands["migrate"], True),
    })
    return click.Group(
        name=original.name, commands=commands, callback=original.callback, params=list(original.params),
        help="Database migrations: core's, the admin's and each plugin's (`stdpolicy db status`).",
    )
