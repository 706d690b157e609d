"""A storage for the ``limits`` library (Flask-Limiter's counters) in the application's database.

Flask-Limiter's in-memory storage is per process: behind gunicorn each worker
would count on its own, and a restart would forget every throttle. Redis or
memcached would be shared, but a bureau's deployment often has no such
service — it always has the database. This storage keeps the counters in the
``rate_limits`` table of the admin's own database (SQLite or PostgreSQL), so
all workers, and a restarted server, count together. A deployment that has
Redis can use it instead: ``STDPOLICY_RATELIMIT_STORAGE_URI=redis://host:6379``.

It implements the fixed-window strategy: a counter per key with the moment
its window ends. An increment is one atomic statement
(``INSERT … ON CONFLICT DO UPDATE … RETURNING``, on SQLite 3.35+ and
PostgreSQL), so concurrent requests never lose a count. Each operation runs
in its own short transaction on the current application's engine, apart from
the request's session. Expired rows are deleted now and then by increments.
"""

from __future__ import annotations

import hashlib
import random
import time

from limits.errors import ConfigurationError
from limits.storage import Storage
from sqlalchemy import case, delete, func, select
from sqlalchemy.exc import SQLAlchemyError

from core.db import db

from .models import RateLimitCounter

__all__ = ["DatabaseStorage", "SCHEME"]

SCHEME = "stdpolicy-db"
#: Keys longer than the column are stored as their SHA-256 (Flask-Limiter's keys name the limit and the key function's value).
KEY_LENGTH = 255
#: One increment in this many also deletes the expired counters.
PURGE_ONE_IN = 200

_table = RateLimitCounter.__table__


def _insert(dialect: str):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the project runs on these two
        raise ConfigurationError(f"the {SCHEME} rate-limit storage supports SQLite and PostgreSQL, not {dialect}")
    return insert(_table)


class DatabaseStorage(Storage):
    """Counters in the ``rate_limits`` table: ``stdpolicy-db://``."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: float | str | bool) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    @staticmethod
    def _key(key: str) -> str:
        if len(key) <= KEY_LENGTH:
            return key
        return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Add ``amount`` to the counter; a counter past its window starts a new one of ``expiry`` seconds."""
        now = time.time()
        engine = db.engine
        statement = _insert(engine.dialect.name).values(key=self._key(key), count=amount, expires_at=now + expiry)
        live = _table.c.expires_at > now
        statement = statement.on_conflict_do_update(
            index_elements=[_table.c.key],
            set_={
                "count": case((live, _table.c.count + amount), else_=amount),
                "expires_at": case((live, _table.c.expires_at), else_=now + expiry),
            },
        ).returning(_table.c.count)
        with engine.begin() as connection:
            count = connection.execute(statement).scalar_one()
            if random.randrange(PURGE_ONE_IN) == 0:
                connection.execute(delete(_table).where(_table.c.expires_at <= now))
        return int(count)

    def get(self, key: str) -> int:
        with db.engine.connect() as connection:
            count = connection.execute(
                select(_table.c.count).where(_table.c.key == self._key(key), _table.c.expires_at > time.time())
            ).scalar()
        return int(count or 0)

    def get_expiry(self, key: str) -> float:
        with db.engine.connect() as connection:
            expires = connection.execute(
                select(_table.c.expires_at).where(_table.c.key == self._key(key))
            ).scalar()
        now = time.time()
        return float(expires) if expires is not None and expires > now else now

    def check(self) -> bool:
        try:
            with db.engine.connect() as connection:
                connection.execute(select(func.count()).select_from(_table))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with db.engine.begin() as connection:
            return connection.execute(delete(_table)).rowcount

    def clear(self, key: str) -> None:
        with db.engine.begin() as connection:
            connection.execute(delete(_table).where(_table.c.key == self._key(key)))
