"""The admin's own use cases, each in one place: users, their sessions, API tokens.

``stdpolicy users …`` / ``stdpolicy tokens …`` (``webadmin.cli``), the
Users and API tokens pages and the JSON API's authentication call these.
Each writing use case is one transaction with its audit entry (committed
together, or rolled back together: ``core.store.locking.writing`` without
the writer lock, as nothing is computed from users or tokens), and checks
the rules about *what* may be done for every caller: a user name's form and
uniqueness, a password's strength, a department for every role but city
administrator, nobody deactivating themselves. *Who* may call them (a city
administrator, a department's administrator) is the admin's check
(``webadmin.access``); the command line runs as the operator.

Errors are ``ServiceError`` subclasses carrying a ``code`` the admin
translates and an English message the command line prints; nothing is
stored when one is raised.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select

from core.db import db, utcnow
from core.models import Department
from core.store import audit
from core.store.locking import writing

from . import sessions
from .models import ROLES, ApiToken, User, UserSession
from .security import MIN_PASSWORD_LENGTH, hash_token, new_password, new_token, password_weakness

__all__ = [
    "USERNAME_PATTERN",
    "InvalidToken",
    "ServiceError",
    "UserProblem",
    "authenticate_token",
    "create_token",
    "create_user",
    "end_session",
    "end_sessions",
    "find_user",
    "list_tokens",
    "list_users",
    "reset_password",
    "revoke_token",
    "set_active",
    "token_used",
]

#: What a user name may hold: letters (any script), digits and ``. @ - _``; 2 to 100 characters.
USERNAME_PATTERN = r"^[\w.@-]{2,100}$"
_USERNAME = re.compile(USERNAME_PATTERN)
#: The longest name of an API token (the column's length).
TOKEN_NAME_MAX = 100


class ServiceError(ValueError):
    """A use case refused: nothing was stored. ``code`` names the reason for the admin's message."""

    code = "refused"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class UserProblem(ServiceError):
    """A user cannot be created or changed so. ``code``: ``name``, ``taken``, ``role``, ``department``,
    ``characters`` / ``short`` / ``guessable`` (the password), ``self``."""


class InvalidToken(ServiceError):
    """An API token that is missing, unknown or revoked (``code``: ``missing``, ``unknown``, ``revoked``)."""


_WEAKNESS = {
    "characters": "the password contains control characters",
    "short": f"the password needs at least {MIN_PASSWORD_LENGTH} characters",
    "guessable": "the password is too easy to guess: use a longer phrase of several unrelated words",
}


# -- users ---------------------------------------------------------------------------------


def find_user(name: str) -> User | None:
    """The user called ``name`` (exactly), if any."""
    return db.session.scalar(select(User).filter_by(username=name))


def list_users() -> Sequence[User]:
    """Every user, by name (users are never deleted)."""
    return db.session.scalars(select(User).order_by(User.username)).all()


def create_user(username: str, *, role: str, department: Department | None, password: str, actor: str,
                must_change_password: bool = False) -> User:
    """Create an active user (audited ``user.create``, committed).

    ``must_change_password``: the password is a one-time password (one that
    was shown on a screen or in a log): the user chooses their own at the
    first login before anything else.

    :raises UserProblem: the name's form (``name``) or another user's
        (``taken``), an unknown ``role``, no department for a department
        role (``department``), a weak password (its ``password_weakness``).
    """
    username = username.strip()
    if not _USERNAME.match(username):
        raise UserProblem("a user name has 2 to 100 letters, digits and . @ - _ only", "name")
    if role not in ROLES:
        raise UserProblem(f"unknown role {role!r} (one of {', '.join(ROLES)})", "role")
    if role != "city_admin" and department is None:
        raise UserProblem("department administrators and viewers need a department", "department")
    problem = password_weakness(password, username)
    if problem is not None:
        raise UserProblem(_WEAKNESS[problem], problem)
    with writing("create a user", lock=False):
        if find_user(username) is not None:
            raise UserProblem(f"user {username!r} exists", "taken")
        user = User(username=username, role=role, department_id=department.id if department else None,
                    created_by=actor, must_change_password=must_change_password)
        user.set_password(password)
        db.session.add(user)
        after = {"role": role, "department": department.code if department else None, "active": True}
        if must_change_password:
            after["must_change_password"] = True
        audit("user.create", actor, username, after=after, department=department)
    return user


def reset_password(user: User, *, actor: str) -> tuple[str, int]:
    """Give ``user`` a one-time password and end their sessions (audited ``user.password``, committed).

    The user must choose a new password at their next login before anything
    else. Returns the password (shown once, never stored in the clear) and
    how many sessions were open.
    """
    with writing("reset a password", lock=False):
        password = new_password()
        user.set_password(password)
        user.must_change_password = True
        ended = sessions.end_all(user, "reset")
        audit("user.password", actor, user.username, after={"password": "reset", "must_change_password": True},
              department=user.department)
    return password, ended


def set_active(user: User, active: bool, *, actor: str) -> bool:
    """Reactivate or deactivate ``user`` (audited, committed); ``False`` if it already was so.

    Deactivating ends the user's sessions at once.

    :raises UserProblem: ``self``: ``actor`` is that user (so some city administrator always stays active).
    """
    if not active and user.username == actor:
        raise UserProblem("nobody can deactivate themselves", "self")
    with writing("activate a user" if active else "deactivate a user", lock=False):
        if user.active == active:
            return False
        user.active = active
        if not active:
            sessions.end_all(user, "deactivated")
        audit("user.activate" if active else "user.deactivate", actor, user.username,
              before={"active": not active}, after={"active": active}, department=user.department)
    return True


def end_sessions(user: User, *, actor: str) -> int:
    """End every open session of ``user`` (audited ``user.sessions_end``, committed); how many were open."""
    with writing("end a user's sessions", lock=False):
        ended = sessions.end_all(user, "ended")
        audit("user.sessions_end", actor, user.username, after={"sessions_ended": ended}, department=user.department)
    return ended


def end_session(user: User, session_id: int, *, actor: str) -> bool:
    """End one session of ``user`` (audited, committed); ``False`` if it had ended (or is not theirs)."""
    with writing("end a session", lock=False):
        record = db.session.get(UserSession, session_id)
        if record is None or record.user_id != user.id or not sessions.end(record.id, "ended"):
            return False
        audit("user.sessions_end", actor, user.username, after={"sessions_ended": 1, "session": record.id},
              department=user.department)
    return True


# -- API tokens ----------------------------------------------------------------------------


def list_tokens(department: Department | None = None) -> Sequence[ApiToken]:
    """The tokens of ``department`` (``None``: of every department), newest first; revoked ones too."""
    query = select(ApiToken).order_by(ApiToken.id.desc())
    if department is not None:
        query = query.where(ApiToken.department_id == department.id)
    return db.session.scalars(query).all()


def create_token(department: Department, name: str, *, actor: str) -> tuple[ApiToken, str]:
    """Issue a token for ``department`` (audited ``token.create``, committed): the row and the token.

    The token is returned once: only its SHA-256 and first characters are stored.

    :raises ServiceError: ``name``: an empty or over-long name.
    """
    name = name.strip()
    if not name or len(name) > TOKEN_NAME_MAX:
        raise ServiceError(f"a token's name has 1 to {TOKEN_NAME_MAX} characters", "name")
    token = new_token()
    with writing("issue an API token", lock=False):
        row = ApiToken(department_id=department.id, name=name, token_hash=hash_token(token), prefix=token[:10],
                       created_by=actor)
        db.session.add(row)
        db.session.flush()
        audit("token.create", actor, f"{department.code}/{name}", after={"id": row.id, "prefix": row.prefix},
              department=department)
    return row, token


def revoke_token(row: ApiToken, *, actor: str) -> bool:
    """Revoke ``row`` (kept, no longer accepted; audited ``token.revoke``, committed); ``False`` if it was."""
    with writing("revoke an API token", lock=False):
        if row.revoked_at is not None:
            return False
        row.revoked_at = utcnow()
        audit("token.revoke", actor, f"{row.department.code}/{row.name}", before={"revoked": False},
              after={"revoked": True, "id": row.id}, department=row.department)
    return True


def authenticate_token(secret: str | None) -> ApiToken:
    """The token row ``secret`` stands for, if it is accepted.

    :raises InvalidToken: ``missing`` (no token given), ``unknown``, ``revoked``.
    """
    secret = (secret or "").strip()
    if not secret:
        raise InvalidToken("send a department API token: Authorization: Bearer <token>", "missing")
    row = db.session.scalar(select(ApiToken).filter_by(token_hash=hash_token(secret)))
    if row is None:
        raise InvalidToken("unknown API token", "unknown")
    if row.revoked_at is not None:
        raise InvalidToken("this API token has been revoked", "revoked")
    return row


def token_used(row: ApiToken) -> None:
    """Record that ``row`` was just accepted (``last_used_at``; committed, not audited: bookkeeping)."""
    row.last_used_at = utcnow()
    db.session.commit()
