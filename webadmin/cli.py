"""The ``stdpolicy`` console script, and the admin's own commands (users, tokens).

Every command ends a database fault in one line and an exit status (see
``core.cli._common``); ``main`` does the same for anything outside a
command (Flask-Migrate's ``db`` commands, loading the application), so the
console script never answers a database fault with a traceback.
"""

from __future__ import annotations

import errno
import getpass
import os
import sys

import click
from flask.cli import FlaskGroup
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from core.cli._common import actor, print_table, report_fault, resolve_department, with_database
from core.db import db, utcnow
from core.store import audit
from core.store.faults import EXIT_REFUSED, DatabaseFault

from . import sessions
from .models import ROLES, ApiToken, User
from .security import MIN_PASSWORD_LENGTH, hash_token, new_password, new_token, password_weakness

__all__ = ["main", "tokens_group", "users_group"]


def _create_app():
    from . import create_app

    return create_app()


class _Main(FlaskGroup):
    """``FlaskGroup`` that reports database faults and unwritable files in one line, not a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (SQLAlchemyError, DatabaseFault) as exc:
            _rollback_quietly()
            ctx.exit(report_fault(exc))
        except PermissionError as exc:
            click.echo(f"error: permission denied: {exc.filename or ''}; nothing was stored", err=True)
            ctx.exit(EXIT_REFUSED)
        except OSError as exc:
            if exc.errno in (errno.EROFS, errno.ENOSPC, errno.EDQUOT):
                click.echo(f"error: cannot write {exc.filename or ''}: {exc.strerror}; nothing was stored", err=True)
                ctx.exit(EXIT_REFUSED)
            raise


def _rollback_quietly() -> None:
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - no app context, or the connection is gone
        pass


main = _Main(
    name="stdpolicy",
    create_app=_create_app,
    add_version_option=True,
    load_dotenv=False,
    set_debug_flag=False,
    help="Jiaxing standards-city policy as rules: evaluate, import, parameters, plugins, and the admin (run).",
)


WEAKNESS = {
    "characters": "the password contains control characters",
    "short": f"the password needs at least {MIN_PASSWORD_LENGTH} characters",
    "guessable": "the password is too easy to guess: use a longer phrase of several unrelated words",
}


@click.group("users")
def users_group() -> None:
    """Admin users."""


@users_group.command("create")
@click.argument("name")
@click.option("--department", "-d", required=True, metavar="NAME", help="Department code or name.")
@click.option("--role", "-r", type=click.Choice(ROLES), required=True)
@click.option("--password-env", metavar="VAR", help="Read the password from this environment variable.")
@with_database
def create_user(name: str, department: str, role: str, password_env: str | None) -> None:
    """Create user NAME. The password comes from --password-env, a prompt on a
    terminal, or is generated and printed once."""
    dept = resolve_department(department)
    if db.session.scalar(select(User.id).filter_by(username=name)) is not None:
        click.echo(f"error: user {name!r} exists", err=True)
        sys.exit(2)
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
    problem = password_weakness(password, name)
    if problem is not None:
        click.echo(f"error: {WEAKNESS[problem]}", err=True)
        sys.exit(2)
    user = User(username=name, role=role, department_id=dept.id, created_by=actor())
    user.set_password(password)
    db.session.add(user)
    audit("user.create", actor(), name, after={"role": role, "department": dept.code}, department=dept)
    db.session.commit()
    click.echo(f"created {role} {name!r} in {dept.code}" + (f" with password: {password}" if generated else ""))


@users_group.command("reset-password")
@click.argument("name")
@with_database
def reset_password(name: str) -> None:
    """Give user NAME a one-time password (printed once) and end their sessions.

    The user must choose a new password at their next login before anything else.
    """
    user = db.session.scalar(select(User).filter_by(username=name))
    if user is None:
        click.echo(f"error: no user {name!r}", err=True)
        sys.exit(2)
    password = new_password()
    user.set_password(password)
    user.must_change_password = True
    ended = sessions.end_all(user, "reset")
    audit("user.password", actor(), name, after={"password": "reset", "must_change_password": True},
          department=user.department)
    db.session.commit()
    click.echo(f"one-time password for {name!r} (shown once; it must be changed at the next login): {password}")
    click.echo(f"{ended} open session(s) ended" + ("" if user.active else f"; note: {name!r} is deactivated"))


@users_group.command("list")
@with_database
def list_users() -> None:
    """Every user, their role and department."""
    rows = [[u.username, u.role, u.department.code if u.department else "", "yes" if u.active else "no"]
            for u in db.session.scalars(select(User).order_by(User.username))]
    print_table(["user", "role", "department", "active"], rows)


@click.group("tokens")
def tokens_group() -> None:
    """API tokens of departments (for /api/evaluate and /api/plugins)."""


@tokens_group.command("create")
@click.option("--department", "-d", required=True, metavar="NAME", help="Department code or name.")
@click.option("--name", default="api", show_default=True, help="What the token is for.")
@with_database
def create_token(department: str, name: str) -> None:
    """Issue a token for a department; it is printed once and stored hashed."""
    dept = resolve_department(department)
    token = new_token()
    row = ApiToken(department_id=dept.id, name=name, token_hash=hash_token(token), prefix=token[:10], created_by=actor())
    db.session.add(row)
    db.session.flush()
    audit("token.create", actor(), f"{dept.code}/{name}", after={"id": row.id, "prefix": row.prefix}, department=dept)
    db.session.commit()
    click.echo(f"token #{row.id} for {dept.code} ({name}); shown once, keep it secret:")
    click.echo(token)


@tokens_group.command("list")
@with_database
def list_tokens() -> None:
    rows = [[f"#{t.id}", t.department.code, t.name, t.prefix + "…", t.created_at.strftime("%Y-%m-%d"),
             t.revoked_at.strftime("%Y-%m-%d") if t.revoked_at else ""]
            for t in db.session.scalars(select(ApiToken).order_by(ApiToken.id))]
    print_table(["id", "department", "name", "prefix", "created", "revoked"], rows)


@tokens_group.command("revoke")
@click.argument("token_id", type=int)
@with_database
def revoke_token(token_id: int) -> None:
    """Revoke token TOKEN_ID (kept, no longer accepted)."""
    row = db.session.get(ApiToken, token_id)
    if row is None:
        click.echo(f"error: no token #{token_id}", err=True)
        sys.exit(2)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit("token.revoke", actor(), f"{row.department.code}/{row.name}", before={"revoked": False},
              after={"revoked": True, "id": row.id}, department=row.department)
        db.session.commit()
    click.echo(f"token #{token_id} revoked")
