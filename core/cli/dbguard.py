"""``stdpolicy db``: Flask-Migrate's commands, with a guard on ``downgrade``.

``stdpolicy db downgrade base`` used to drop every table — the audit log,
the parameter versions, the outcomes — with exit status 0 and no question.
A downgrade that undoes a migration whose downgrade drops recorded history
(the migration module says what in ``DROPS_HISTORY``; a module that does
not say is taken to drop something) now needs ``--drop-history`` *and* the
words ``drop history`` typed at the prompt; otherwise it names what would
be lost, changes nothing and exits with status 2. ``--sql`` (printing the
SQL, running nothing) needs neither.
"""

from __future__ import annotations

import sys
from typing import Any

import click
from flask.cli import with_appcontext

from ..db import db

__all__ = ["CONFIRMATION", "guarded_db_group", "history_dropped"]

#: What the user types to confirm a downgrade that drops history.
CONFIRMATION = "drop history"
_UNDECLARED = "whatever its downgrade drops (the migration does not declare it)"


def history_dropped(target: str) -> list[tuple[str, str]]:
    """(revision, what it drops) for each migration a downgrade to ``target`` undoes that drops history."""
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from ..app import MIGRATIONS_DIR

    with db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current is None:
        return []
    script = ScriptDirectory(MIGRATIONS_DIR)
    try:
        steps = [step.revision for step in script._downgrade_revs(target, current)]
    except Exception as exc:  # noqa: BLE001 - an unknown target, or Alembic changed: refuse to guess
        return [(target, f"cannot tell which migrations a downgrade to {target!r} undoes ({exc})")]
    found = []
    for revision in steps:
        drops = getattr(revision.module, "DROPS_HISTORY", _UNDECLARED)
        if drops:
            found.append((revision.revision, drops))
    return found


def _guarded_downgrade(original: click.Command) -> click.Command:
    @with_appcontext
    @click.pass_context
    def callback(ctx: click.Context, drop_history: bool, **kwargs: Any) -> Any:
        if not kwargs.get("sql"):
            losses = history_dropped(kwargs["revision"])
            if losses:
                for revision, drops in losses:
                    click.echo(f"  {revision}: drops {drops}", err=True)
                if not drop_history:
                    click.echo(f"error: downgrading to {kwargs['revision']!r} drops recorded history (above); "
                               "nothing changed. Back up the database first, then run again with --drop-history "
                               "to be asked for confirmation", err=True)
                    sys.exit(2)
                typed = click.prompt(f"This destroys the history above. Type {CONFIRMATION!r} to go on",
                                     default="", show_default=False, err=True)
                if typed.strip() != CONFIRMATION:
                    click.echo("error: not confirmed; nothing changed", err=True)
                    sys.exit(2)
        return ctx.invoke(original.callback, **kwargs)  # type: ignore[arg-type]

    return click.Command(
        "downgrade",
        callback=callback,
        params=[
            *original.params,
            click.Option(["--drop-history"], is_flag=True,
                         help="Allow a downgrade that drops recorded history (asks for a typed confirmation)."),
        ],
        help=(original.help or "Revert to a previous version")
        + "\n\nA downgrade that drops recorded history (the audit log, parameter versions, outcomes, "
          "name history, users) needs --drop-history and a typed confirmation.",
    )


def guarded_db_group(original: click.Group) -> click.Group:
    """A copy of Flask-Migrate's ``db`` group whose ``downgrade`` is guarded."""
    commands = dict(original.commands)
    commands["downgrade"] = _guarded_downgrade(original.commands["downgrade"])
    return click.Group(
        name=original.name, commands=commands, callback=original.callback, params=list(original.params),
        help=original.help,
    )
