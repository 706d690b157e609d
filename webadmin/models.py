"""Users, their sessions, API tokens and login-throttle counters of the admin.

The tables live in the same database as core's, so every gunicorn worker
sees the same sessions and counters: ending a session or throttling an
address in one worker holds in all of them. They belong to the admin's own
migration environment (``webadmin/migrations``, version table
``alembic_version_webadmin``; core/environments.py), so their models have
a ``MetaData`` of their own (``AdminBase``), not core's.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from pathlib import Path

from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Integer, String, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from core.db import utcnow
from core.models import Department
from core.storage import model_metadata

__all__ = ["MIGRATIONS", "ROLES", "AdminBase", "ApiToken", "RateLimitCounter", "User", "UserSession",
           "check_login_password"]

#: The admin's own revision scripts.
MIGRATIONS = Path(__file__).resolve().parent / "migrations" / "versions"


class AdminBase(DeclarativeBase):
    """The declarative base of the admin's models: the ``webadmin`` migration environment."""

    metadata = model_metadata("webadmin")

#: city_admin: every department and plugin, user management.
#: dept_admin: own department's plugins and their parameters.
#: dept_viewer: read only.
ROLES = ("city_admin", "dept_admin", "dept_viewer")


class User(UserMixin, AdminBase):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    department_id: Mapped[int | None] = mapped_column(ForeignKey(Department.id))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The UI language the user last chose (zh_CN or en).
    language: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))
    #: Set by an administrator's reset (a one-time password): until the user
    #: chooses a new password they can reach nothing but that form.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    department: Mapped[Department | None] = relationship(Department)

    #: The key of the server-side session this object was loaded for (set by
    #: ``webadmin.sessions``; not a column). Flask-Login keeps it in the cookie.
    session_key = None

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def get_id(self) -> str:
        """What Flask-Login keeps in the session cookie: the server-side session's key, never the user's id."""
        if not self.session_key:
            raise RuntimeError("log users in through webadmin.sessions.start(), which gives them a session key")
        return self.session_key

    @property
    def session_stamp(self) -> str:
        """Changes with the password: a session begun under another password is over."""
        return hashlib.sha256(self.password_hash.encode("utf-8")).hexdigest()[:16]

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def is_city_admin(self) -> bool:
        return self.role == "city_admin"

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


#: Per hashing function (tests use a cheaper one): the hash of a random password no one knows.
_dummy_hashes: dict[object, str] = {}


def check_login_password(user: User | None, password: str) -> bool:
    """Whether ``password`` opens ``user``; with no such user, the same work and False.

    An unknown user name is checked against a dummy hash made exactly as real
    ones are, so it is answered in the time a wrong password takes and the
    answer's timing does not tell which names exist. An inactive user's
    password is checked too (the caller refuses them afterwards).
    """
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no stored password has one, but do the same work
        user, password = None, password.encode("utf-8", "replace").decode("utf-8")
    if user is not None:
        return user.check_password(password)
    maker = generate_password_hash
    if maker not in _dummy_hashes:
        _dummy_hashes[maker] = maker(secrets.token_urlsafe(16))
    check_password_hash(_dummy_hashes[maker], password)
    return False


class ApiToken(AdminBase):
    """A department's API token. Only its SHA-256 is stored; revoked, never deleted."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey(Department.id))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The first characters, to tell tokens apart in lists.
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)

    department: Mapped[Department] = relationship(Department)


class UserSession(AdminBase):
    """A login: the cookie carries only its random key, the server decides whether it still holds.

    Only the key's SHA-256 is stored. A session ends on logout, after an idle
    period, at its absolute lifetime, when the password changes (the stamp no
    longer matches), when the user is deactivated, or when an administrator
    ends it; ended sessions are kept (``ended_at``, ``end_reason``) as the
    user's login history.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: ``User.session_stamp`` when the session began.
    password_stamp: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: logout, idle, expired, password, reset, deactivated, ended (by an administrator)
    end_reason: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(200))

    user: Mapped[User] = relationship()


class RateLimitCounter(AdminBase):
    """One fixed-window counter of Flask-Limiter (``webadmin.ratelimit_storage``).

    ``expires_at`` is seconds since the epoch, as the ``limits`` library counts.
    """

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(Float)
