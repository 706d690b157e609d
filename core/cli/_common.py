"""Helpers shared by the commands: the acting user, departments, tables."""

from __future__ import annotations

import getpass
import os
import unicodedata
from collections.abc import Sequence

import click

from ..models import Department
from ..store import UnknownDepartment, find_department

__all__ = ["actor", "department_option", "print_table", "resolve_department", "width"]


def actor() -> str:
    """Who runs the command, for the audit log: ``$STDPOLICY_ACTOR`` or ``cli:<login>``."""
    configured = os.environ.get("STDPOLICY_ACTOR")
    if configured:
        return configured
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def resolve_department(name: str | None) -> Department | None:
    """The department named on the command line (code, Chinese or English name)."""
    if name is None:
        return None
    try:
        return find_department(name)
    except UnknownDepartment as exc:
        raise click.BadParameter(str(exc), param_hint="--department") from None


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
