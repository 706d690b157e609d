"""Server-side sessions: the login cookie carries a random key, the database decides.

Flask's signed cookie keeps the UI's small state (language, working
department, CSRF token) and, for Flask-Login, the key of a ``UserSession``
row; only the key's SHA-256 is stored. Every request looks the row up, so a
session ends everywhere at once — in every gunicorn worker, on SQLite and
PostgreSQL — when it is ended on the server:

- on logout (a cookie copied before logout opens nothing afterwards);
- after ``SESSION_IDLE_TIMEOUT`` without a request (``STDPOLICY_SESSION_IDLE_MINUTES``,
  default 30) and at ``SESSION_MAX_AGE`` whatever the activity
  (``STDPOLICY_SESSION_MAX_HOURS``, default 8);
- when the password changes (the row's stamp no longer matches the user's),
  the user is deactivated, or an administrator ends it.

``last_seen_at`` is written at most once a minute per session (``TOUCH_INTERVAL``),
so idle time is measured to the minute without a write on every request.
The writes a request makes only to keep this book (last seen, marking an
expired session ended) go through their own short transaction, never the
request's, so they cannot commit or roll back a view's pending changes.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, g, request
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from core.db import db, utcnow

from .models import User, UserSession
from .security import hash_token

__all__ = [
    "DEFAULT_IDLE_MINUTES",
    "DEFAULT_MAX_HOURS",
    "TOUCH_INTERVAL",
    "SessionView",
    "current_session_id",
    "end",
    "end_all",
    "load",
    "open_session_counts",
    "sessions_of",
    "start",
]

log = logging.getLogger(__name__)

DEFAULT_IDLE_MINUTES = 30
DEFAULT_MAX_HOURS = 8
#: How stale ``last_seen_at`` may get before a request writes it again.
TOUCH_INTERVAL = timedelta(minutes=1)


def _idle() -> timedelta:
    return current_app.config["SESSION_IDLE_TIMEOUT"]


def _max_age() -> timedelta:
    return current_app.config["SESSION_MAX_AGE"]


def start(user: User) -> str:
    """A new session for ``user`` (added to the request's transaction: the caller commits); its key.

    The key is set on ``user`` for Flask-Login's ``login_user``.
    """
    key = secrets.token_urlsafe(32)
    now = utcnow()
    agent = request.headers.get("User-Agent", "")
    record = UserSession(
        key_hash=hash_token(key), user_id=user.id, password_stamp=user.session_stamp, created_at=now,
        last_seen_at=now, address=(request.remote_addr or "")[:64] or None,
        user_agent=agent.encode("utf-8", "replace").decode("utf-8")[:200] or None,
    )
    db.session.add(record)
    db.session.flush()
    g.user_session_id = record.id
    user.session_key = key
    return key


def _why_over(record: UserSession, user: User, now: datetime) -> str | None:
    """Why the session no longer holds, or None while it does."""
    if record.ended_at is not None:
        return record.end_reason or "ended"
    if not user.active:
        return "deactivated"
    if record.password_stamp != user.session_stamp:
        return "password"
    if now - record.created_at >= _max_age():
        return "expired"
    if now - record.last_seen_at >= _idle():
        return "idle"
    return None


def load(key: str) -> User | None:
    """The user of the session with ``key`` if it still holds (Flask-Login's user loader)."""
    if not key or len(key) > 100:
        return None
    now = utcnow()
    row = db.session.execute(
        select(UserSession, User).join(User, User.id == UserSession.user_id)
        .where(UserSession.key_hash == hash_token(key))
    ).first()
    if row is None:
        return None
    record, user = row
    reason = _why_over(record, user, now)
    if reason is not None:
        if record.ended_at is None:
            _bookkeeping(update(UserSession).where(UserSession.id == record.id, UserSession.ended_at.is_(None))
                         .values(ended_at=now, end_reason=reason))
        return None
    if now - record.last_seen_at >= TOUCH_INTERVAL:
        _bookkeeping(update(UserSession).where(UserSession.id == record.id).values(last_seen_at=now))
    g.user_session_id = record.id
    user.session_key = key
    return user


def _bookkeeping(statement) -> None:
    """Run ``statement`` in its own short transaction; a failure is logged, not the request's problem."""
    try:
        with db.engine.begin() as connection:
            connection.execute(statement)
    except SQLAlchemyError:
        log.warning("could not update a session's bookkeeping", exc_info=True)


def current_session_id() -> int | None:
    """The ``UserSession`` id of this request's login, if any."""
    return g.get("user_session_id")


def end(session_id: int, reason: str) -> bool:
    """End one session (in the request's transaction); whether it was still open."""
    result = db.session.execute(
        update(UserSession).where(UserSession.id == session_id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason=reason)
    )
    return result.rowcount > 0


def end_all(user: User, reason: str) -> int:
    """End every open session of ``user`` (in the request's transaction); how many were open.

    Sessions already past their idle or absolute limit are closed too: they
    were not usable, but are marked with this reason rather than left open.
    """
    result = db.session.execute(
        update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason=reason)
    )
    return result.rowcount


@dataclass(frozen=True)
class SessionView:
    """A session as the users page shows it."""

    id: int
    created_at: datetime
    last_seen_at: datetime
    address: str | None
    user_agent: str | None
    #: None while the session holds; else why it ended (logout, idle, expired, …).
    ended: str | None
    current: bool


def sessions_of(user: User, limit: int = 50) -> list[SessionView]:
    """``user``'s sessions, newest first: open ones, then the recent ended ones."""
    now = utcnow()
    rows = db.session.scalars(
        select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id.desc()).limit(limit)
    ).all()
    views = []
    for record in rows:
        views.append(SessionView(record.id, record.created_at, record.last_seen_at, record.address, record.user_agent,
                                 _why_over(record, user, now), record.id == current_session_id()))
    return sorted(views, key=lambda v: (v.ended is not None, -v.id))


def open_session_counts() -> dict[int, int]:
    """user id → number of sessions that still hold (for the users list)."""
    now = utcnow()
    rows = db.session.execute(
        select(UserSession, User).join(User, User.id == UserSession.user_id)
        .where(UserSession.ended_at.is_(None), UserSession.last_seen_at > now - _idle(),
               UserSession.created_at > now - _max_age())
    ).all()
    counts: dict[int, int] = {}
    for record, user in rows:
        if _why_over(record, user, now) is None:
            counts[user.id] = counts.get(user.id, 0) + 1
    return counts
