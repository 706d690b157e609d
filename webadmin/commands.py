"""The admin's command group (every command of ``stdpolicy`` but the light ones), and its own commands (users, tokens).

The console script is ``webadmin.cli:main``, a launcher: ``stdpolicy
evaluate`` runs without the admin application, every other command comes
here. Every command ends a database fault in one line and an exit status
(see ``core.cli._common``); ``main`` does the same for anything outside a
command (Flask-Migrate's ``db`` commands, loading the application), so the
console script never answers a database fault with a traceback.
"""

from __future__ import annotations

import getpass
import os
import sys
from typing import NoReturn

import click
from flask.cli import FlaskGroup

from core.cli._common import ROW_ID, actor, print_table, resolve_department, with_core_database
from core.db import db

from . import services
from .clifaults import FaultReporting
from .models import ROLES, ApiToken, User
from .security import new_password

__all__ = ["main", "tokens_group", "users_group"]


def _create_app():
    from . import create_app

    return create_app()


class _Main(FaultReporting, FlaskGroup):
    """``FlaskGroup`` that reports database faults and unwritable files in one line, not a traceback."""


main = _Main(
    name="stdpolicy",
    create_app=_create_app,
    add_version_option=True,
    load_dotenv=False,
    set_debug_flag=False,
    help="Jiaxing standards-city policy as rules: evaluate, import, parameters, plugins, and the admin (run).",
)


@click.group("users")
def users_group() -> None:
    """Admin users."""


def _refused(exc: services.ServiceError) -> NoReturn:
    click.echo(f"error: {exc.message}; nothing was stored", err=True)
    sys.exit(2)


def _user(name: str) -> User:
    user = services.find_user(name)
    if user is None:
        click.echo(f"error: no user {name!r}", err=True)
        sys.exit(2)
    return user


@users_group.command("create")
@click.argument("name")
@click.option("--department", "-d", metavar="NAME",
              help="Department code or name (required for department administrators and viewers).")
@click.option("--role", "-r", type=click.Choice(ROLES), required=True)
@click.option("--password-env", metavar="VAR", help="Read the password from this environment variable.")
@with_core_database
def create_user(name: str, department: str | None, role: str, password_env: str | None) -> None:
    """Create user NAME. The password comes from --password-env, a prompt on a
    terminal, or is generated and printed once."""
    dept = resolve_department(department)
    if password_env:
        password = os.environ.get(password_env)
        if not password:
            click.echo(f"error: ${password_env} is empty", err=True)
            sys.exit(2)
        generated = False
    elif sys.stdin.isatty():
        password = getpass.getpass("password: ")
        generated = False
    else:
        password, generated = new_password(), True
    try:
        services.create_user(name, role=role, department=dept, password=password, actor=actor())
    except services.ServiceError as exc:
        _refused(exc)
    where = f" in {dept.code}" if dept is not None else ""
    click.echo(f"created {role} {name.strip()!r}{where}" + (f" with password: {password}" if generated else ""))


@users_group.command("reset-password")
@click.argument("name")
@with_core_database
def reset_password(name: str) -> None:
    """Give user NAME a one-time password (printed once) and end their sessions.

    The user must choose a new password at their next login before anything else.
    """
    user = _user(name)
    password, ended = services.reset_password(user, actor=actor())
    click.echo(f"one-time password for {name!r} (shown once; it must be changed at the next login): {password}")
    click.echo(f"{ended} open session(s) ended" + ("" if user.active else f"; note: {name!r} is deactivated"))


@users_group.command("deactivate")
@click.argument("name")
@with_core_database
def deactivate_user(name: str) -> None:
    """Deactivate user NAME: they can no longer log in, and their sessions end (kept in the audit log)."""
    user = _user(name)
    try:
        changed = services.set_active(user, False, actor=actor())
    except services.ServiceError as exc:
        _refused(exc)
    click.echo(f"{name!r} deactivated; their sessions have ended" if changed else f"{name!r} was already inactive")


@users_group.command("activate")
@click.argument("name")
@with_core_database
def activate_user(name: str) -> None:
    """Let user NAME log in again."""
    user = _user(name)
    changed = services.set_active(user, True, actor=actor())
    click.echo(f"{name!r} can log in again" if changed else f"{name!r} was already active")


@users_group.command("end-sessions")
@click.argument("name")
@with_core_database
def end_user_sessions(name: str) -> None:
    """End every session of user NAME: they must log in again."""
    ended = services.end_sessions(_user(name), actor=actor())
    click.echo(f"{ended} open session(s) of {name!r} ended")


@users_group.command("list")
@with_core_database
def list_users() -> None:
    """Every user, their role and department."""
    rows = [[u.username, u.role, u.department.code if u.department else "", "yes" if u.active else "no"]
            for u in services.list_users()]
    print_table(["user", "role", "department", "active"], rows)


@click.group("tokens")
def tokens_group() -> None:
    """API tokens of departments (for /api/evaluate and /api/plugins)."""


@tokens_group.command("create")
@click.option("--department", "-d", required=True, metavar="NAME", help="Department code or name.")
@click.option("--name", default="api", show_default=True, help="What the token is for.")
@with_core_database
def create_token(department: str, name: str) -> None:
    """Issue a token for a department; it is printed once and stored hashed."""
    dept = resolve_department(department)
    assert dept is not None
    try:
        row, token = services.create_token(dept, name, actor=actor())
    except services.ServiceError as exc:
        _refused(exc)
    click.echo(f"token #{row.id} for {dept.code} ({row.name}); shown once, keep it secret:")
    click.echo(token)


@tokens_group.command("list")
@with_core_database
def list_tokens() -> None:
    """Every department's tokens, oldest first (revoked ones too)."""
    rows = [[f"#{t.id}", t.department.code, t.name, t.prefix + "…", t.created_at.strftime("%Y-%m-%d"),
             t.revoked_at.strftime("%Y-%m-%d") if t.revoked_at else ""]
            for t in reversed(services.list_tokens())]
    print_table(["id", "department", "name", "prefix", "created", "revoked"], rows)


@tokens_group.command("revoke")
@click.argument("token_id", type=ROW_ID)
@with_core_database
def revoke_token(token_id: int) -> None:
    """Revoke token TOKEN_ID (kept, no longer accepted)."""
    row = db.session.get(ApiToken, token_id)
    if row is None:
        click.echo(f"error: no token #{token_id}", err=True)
        sys.exit(2)
    services.revoke_token(row, actor=actor())
    click.echo(f"token #{token_id} revoked")
