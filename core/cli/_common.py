"""Helpers shared by the commands: the acting user, departments, tables."""

from __future__ import annotations

import functools
import getpass
import os
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click
from flask.cli import with_appcontext

from ..models import Department
from ..store import UnknownDepartment, find_department

__all__ = ["actor", "department_option", "print_table", "require_database", "resolve_department", "width", "with_database"]


def actor() -> str:
    """Who runs the command, for the audit log: ``$STDPOLICY_ACTOR`` or ``cli:<login>``."""
    configured = os.environ.get("STDPOLICY_ACTOR")
    if configured:
        return configured
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def require_database() -> None:
    """Exit with a clear message (status 2) unless the database is migrated to the head revision."""
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from flask import current_app

    from ..app import MIGRATIONS_DIR
    from ..db import db

    with db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    head = ScriptDirectory(MIGRATIONS_DIR).get_current_head()
    if current != head:
        where = db.engine.url.render_as_string(hide_password=True)
        state = "is not set up" if current is None else f"is at revision {current}, this version needs {head}"
        click.echo(f"error: the database ({where}) {state}: run `stdpolicy init`", err=True)
        current_app.logger.debug("database revision %s, head %s", current, head)
        raise SystemExit(2)


def with_database(command: F) -> F:
    """``with_appcontext``, then ``require_database``: a command that reads or writes the database."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        require_database()
        return command(*args, **kwargs)

    return with_appcontext(wrapper)  # type: ignore[return-value]


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
