"""Helpers shared by the commands: the acting user, departments, tables, database faults.

Exit status of every command: 0 done; 1 some records invalid (``evaluate``,
``import``); 2 unreadable input, a bad argument, or a database not set up
(not migrated, or an enabled plugin's parameters not stored yet: run
``stdpolicy init``); 3 the database cannot be reached or is busy
(``EXIT_UNAVAILABLE``); 4 the database refused the write (``EXIT_REFUSED``);
5 a plugin raised during evaluation (``EXIT_PLUGIN_FAILED``: ``evaluate``,
``import``, ``reevaluate``; its activities got error outcomes, a summary
goes to standard error). A database fault is reported in one line on
standard error (what happened, what to do) and nothing is half-stored: the
use case's transaction is rolled back. ``STDPOLICY_DEBUG=1`` adds the
traceback.
"""

from __future__ import annotations

import functools
import getpass
import os
import sys
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from ..db import MAX_ROW_ID
from ..evaluation import EvaluationResult
from ..models import Department
from ..outcomes import ERROR_RULE
from ..store import ParametersNotStored, UnknownDepartment, find_department
from ..store.faults import DatabaseFault, classify

__all__ = [
    "EXIT_PLUGIN_FAILED",
    "ROW_ID",
    "actor",
    "database_faults",
    "department_option",
    "plugin_failures",
    "print_table",
    "report_fault",
    "require_database",
    "resolve_department",
    "width",
    "with_core_database",
    "with_database",
]

#: A row id given on the command line (an outcome, a token): a whole number the databases can hold.
ROW_ID = click.IntRange(1, MAX_ROW_ID)


#: A plugin raised during evaluation: its activities got error outcomes (distinct from 1–4).
EXIT_PLUGIN_FAILED = 5


def plugin_failures(result: EvaluationResult | None, consequence: str) -> bool:
    """Print to standard error which plugins raised and on which activities; whether any did.

    ``consequence`` says what it means for this command's output or stored data.
    """
    if result is None or not result.failures:
        return False
    failed: dict[str, list[str]] = {}
    for outcome in result.outcomes:
        if outcome.rule == ERROR_RULE and outcome.plugin in result.failures:
            failed.setdefault(outcome.plugin, []).append(outcome.activity.ref)
    count = len(result.failures)
    click.echo(f"error: {count} plugin{'s' if count > 1 else ''} raised during evaluation; {consequence}", err=True)
    for plugin, error in result.failures.items():
        refs = failed.get(plugin, [])
        shown = ", ".join(refs[:10]) + (f", … ({len(refs) - 10} more)" if len(refs) > 10 else "")
        click.echo(f"    {plugin}: {len(refs)} activit{'y' if len(refs) == 1 else 'ies'} with an error outcome"
                   f"{f' ({shown})' if refs else ''}: {error}", err=True)
    click.echo("    the log has each traceback; fix the plugin (or disable it) and evaluate again", err=True)
    return True


def actor() -> str:
    """Who runs the command, for the audit log: ``$STDPOLICY_ACTOR`` or ``cli:<login>``."""
    configured = os.environ.get("STDPOLICY_ACTOR")
    if configured:
        return configured
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def require_database(plugin_tables: bool = True) -> None:
    """Exit with a clear message (status 2) unless the database is migrated to the head revision.

    Core's tables, the admin's (in the admin's application), and the tables
    of every plugin some department has switched on: each environment at
    its head (core/environments.py). A plugin switched on nowhere is not
    asked; uninstalled plugins' tables are not looked at.

    :param plugin_tables: ``False`` for the commands that run no plugin code
        (switching plugins, users and tokens): they keep working while a
        plugin's tables are behind, so a plugin can still be switched off.
    """
    from flask import current_app
    from sqlalchemy import select

    from ..db import db
    from ..environments import environments, state
    from ..models import PluginEnablement

    known = environments()
    with db.engine.connect() as connection:
        core = state(known[0], connection)
        if core.up_to_date:
            enabled = set(connection.scalars(select(PluginEnablement.plugin).where(PluginEnablement.enabled.is_(True))))
            if not plugin_tables:
                enabled.clear()
            behind = [found for env in known[1:] if env.kind != "plugin" or env.name in enabled
                      if not (found := state(env, connection)).up_to_date]
        else:
            behind = [core]
    if not behind:
        return
    found = behind[0]
    where = db.engine.url.render_as_string(hide_password=True)
    if found.kind == "core":
        whose = f"the database ({where})"
    elif found.kind == "application":
        whose = f"the admin's tables in the database ({where})"
    else:
        whose = f"the tables of plugin {found.name} in the database ({where})"
    current, heads = ", ".join(found.current), ", ".join(found.heads)
    problem = "is not set up" if found.kind == "core" and not found.current else (
        "are not set up" if not found.current else
        f"{'is' if found.kind == 'core' else 'are'} at revision {current}, this version needs {heads}")
    click.echo(f"error: {whose} {problem}: run `stdpolicy init`", err=True)
    current_app.logger.debug("database revisions behind: %s", behind)
    raise SystemExit(2)


def _where() -> str:
    from ..db import db

    try:
        return db.engine.url.render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - only for the message
        return "?"


def report_fault(exc: BaseException) -> int:
    """Print the one-line message for a database error; its exit status.

    An error no class fits is still one line (the database's own first line)
    with status 4: the database refused the operation, nothing was stored.
    """
    fault = classify(exc)
    if fault is None:
        orig = exc.orig if isinstance(exc, DBAPIError) else exc
        first = (str(orig).strip().splitlines() or [type(orig).__name__])[0][:300]
        fault = DatabaseFault("refused", f"the database refused the operation ({first}): nothing was stored")
    click.echo(f"error: {fault.message} [database: {_where()}]", err=True)
    if os.environ.get("STDPOLICY_DEBUG"):
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    return fault.exit_code


def _rollback_quietly() -> None:
    from ..db import db

    try:
        db.session.rollback()
    except SQLAlchemyError:  # the connection is gone: the server rolls back
        pass


def database_faults(command: F) -> F:
    """Turn a database fault raised by ``command`` into one line and its exit status (rolled back).

    So too a plugin's parameters not stored yet (``ParametersNotStored``): status 2, "run `stdpolicy init`".
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (SQLAlchemyError, DatabaseFault) as exc:
            _rollback_quietly()
            sys.exit(report_fault(exc))
        except ParametersNotStored as exc:  # a plugin installed after `init`: not a ¥0 for everything
            _rollback_quietly()
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


def with_database(command: F) -> F:
    """``with_appcontext``, then ``require_database``: a command that reads or writes the database.

    Database faults end in one line and their exit status (``database_faults``).
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        require_database()
        return command(*args, **kwargs)

    return with_appcontext(database_faults(wrapper))  # type: ignore[return-value]


def with_core_database(command: F) -> F:
    """``with_database`` for a command that runs no plugin code: a plugin's tables may be behind.

    Switching plugins on and off, permissions, users and tokens keep working
    then, so the plugin whose tables are behind can still be switched off.
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        require_database(plugin_tables=False)
        return command(*args, **kwargs)

    return with_appcontext(database_faults(wrapper))  # type: ignore[return-value]


def resolve_department(name: str | None) -> Department | None:
    """The department named on the command line (code, Chinese or English name)."""
    if name is None:
        return None
    try:
        return find_department(name)
    except UnknownDepartment as exc:
        raise click.BadParameter(str(exc), param_hint="--department") from None


F = TypeVar("F", bound=Callable[..., Any])

department_option = click.option(
    "--department", "-d", metavar="NAME", help="Department code or name (e.g. market_regulation, 市场监督管理局).",
)


def width(text: str) -> int:
    """Display width: Chinese characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A plain, aligned text table."""
    cells = [[str(c) for c in headers]] + [[("" if c is None else str(c)) for c in row] for row in rows]
    widths = [max(width(row[i]) for row in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        click.echo("  ".join(c + " " * (widths[i] - width(c)) for i, c in enumerate(row)).rstrip())
        if n == 0:
            click.echo("  ".join("-" * w for w in widths))
