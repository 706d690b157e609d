"""``stdpolicy db downgrade``, guarded, in every migration environment.

``stdpolicy db downgrade base`` used to drop every table — the audit log,
the parameter versions, the outcomes — with exit status 0 and no question.
A downgrade that undoes a migration whose downgrade drops recorded history
(the migration module says what in ``DROPS_HISTORY``; a module that does
not say is taken to drop something) now needs ``--drop-history`` *and* the
words ``drop history`` typed at the prompt; otherwise it names what would
be lost, changes nothing and exits with status 2. ``--sql`` (printing the
SQL, running nothing) needs neither.

The same holds in the admin's environment and each plugin's (``--env``).
Core's downgrade below ``0008_environments`` first takes the admin's and
the plugins' environments to base, since they are built on it; the guard
lists what every one of those steps drops.
"""

from __future__ import annotations

import sys
from typing import Any

import click
from flask.cli import with_appcontext

from ..db import db
from ..environments import (
    CORE,
    ENVIRONMENTS_SINCE,
    Environment,
    UnknownEnvironment,
    current_revisions,
    describe_step,
    downgrade,
    environment,
    environments,
    states,
)
from ._common import database_faults

__all__ = ["CONFIRMATION", "downgrade_command", "downgrade_plan", "history_dropped"]

#: What the user types to confirm a downgrade that drops history.
CONFIRMATION = "drop history"
_UNDECLARED = "whatever its downgrade drops (the migration does not declare it)"


def _steps(env: Environment, target: str, current: tuple[str, ...]) -> list[Any]:
    """The revisions a downgrade of ``env`` from ``current`` to ``target`` undoes, newest first."""
    script = env.script()
    steps = script._downgrade_revs(target, current[0] if len(current) == 1 else current)  # type: ignore[arg-type]
    return [step.revision for step in steps]


def downgrade_plan(name: str, target: str) -> list[tuple[Environment, str]]:
    """The downgrades, in order, that ``stdpolicy db downgrade TARGET --env NAME`` runs.

    Core's downgrade below ``ENVIRONMENTS_SINCE`` is preceded by the
    plugins' (last first) and the admin's, each to base. A plugin no longer
    installed whose tables are still there stops it: its scripts are needed
    to take them down (``click.ClickException``).
    """
    env = environment(name)
    if env.kind != CORE:
        return [(env, target)]
    with db.engine.connect() as connection:
        current = current_revisions(connection, env.version_table)
        if not current or ENVIRONMENTS_SINCE not in {r.revision for r in _steps(env, target, current)}:
            return [(env, target)]
        known = environments()
        left = [s for s in states(connection, known) if not s.installed and s.current]
        if left:
            names = ", ".join(f"{s.name} (at {', '.join(s.current)})" for s in left)
            raise click.ClickException(
                f"core's tables below {ENVIRONMENTS_SINCE} cannot hold the tables of plugins no longer installed: "
                f"{names}. Install them again and run `stdpolicy db downgrade base --env NAME` for each first")
        plan = [(other, "base") for other in reversed(known)
                if other.kind != CORE and current_revisions(connection, other.version_table)]
    return [*plan, (env, target)]


def history_dropped(plan: list[tuple[Environment, str]]) -> list[tuple[str, str, str]]:
    """(environment, revision, what it drops) for each migration the plan undoes that drops history."""
    found = []
    with db.engine.connect() as connection:
        for env, target in plan:
            current = current_revisions(connection, env.version_table)
            if not current:
                continue
            try:
                steps = _steps(env, target, current)
            except Exception as exc:  # noqa: BLE001 - an unknown target, or Alembic changed: refuse to guess
                found.append((env.name, target, f"cannot tell which migrations a downgrade to {target!r} "
                                                f"undoes ({exc})"))
                continue
            for revision in steps:
                drops = getattr(revision.module, "DROPS_HISTORY", _UNDECLARED)
                if drops:
                    found.append((env.name, revision.revision, drops))
    return found


@click.command("downgrade")
@click.argument("revision", default="-1")
@click.option("--env", "env_name", default=CORE, show_default=True, metavar="NAME",
              help="The migration environment: core, webadmin or a plugin's name.")
@click.option("--sql", is_flag=True, help="Print the SQL instead of running it (no confirmation needed).")
@click.option("--drop-history", is_flag=True,
              help="Allow a downgrade that drops recorded history (asks for a typed confirmation).")
@with_appcontext
@database_faults
def downgrade_command(revision: str, env_name: str, sql: bool, drop_history: bool) -> None:
    """Revert the database to a previous revision (default: one step back), in one environment.

    A downgrade that drops recorded history (the audit log, parameter
    versions, outcomes, name history, users, a plugin's records) needs
    --drop-history and a typed confirmation. Core's downgrade below
    0008_environments first takes the admin's and the plugins' tables to
    base.
    """
    try:
        plan = downgrade_plan(env_name, revision)
    except UnknownEnvironment as exc:
        raise click.BadParameter(str(exc), param_hint="--env") from None
    if sql:
        for env, target in plan:
            downgrade(env, target, sql=True)
        return
    losses = history_dropped(plan)
    if losses:
        for name, step, drops in losses:
            click.echo(f"  {name} {step}: drops {drops}", err=True)
        if not drop_history:
            click.echo(f"error: downgrading to {revision!r} drops recorded history (above); nothing changed. "
                       "Back up the database first, then run again with --drop-history to be asked for "
                       "confirmation", err=True)
            sys.exit(2)
        typed = click.prompt(f"This destroys the history above. Type {CONFIRMATION!r} to go on",
                             default="", show_default=False, err=True)
        if typed.strip() != CONFIRMATION:
            click.echo("error: not confirmed; nothing changed", err=True)
            sys.exit(2)
    for env, target in plan:
        before, after = downgrade(env, target)
        click.echo(describe_step(env, before, after))
