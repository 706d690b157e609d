"""Login throttling with Flask-Limiter: by account and address together, and by address.

Only failed attempts count (a wrong password, an unknown or inactive user);
a successful login costs nothing. The limits stack, so the wait grows with
the failures: by default, for one user name from one address, 5 failures a
minute, 10 in 15 minutes, 20 an hour, 50 a day; from one address over all
user names, 20 a minute, 100 an hour, 500 a day. While a limit is reached
that address is answered 429 with ``Retry-After`` — even for the right
password, so guessing goes no faster — but every other address, the real
administrator's included, logs in as usual: an attacker cannot lock anyone
out from elsewhere.

The client address is the connection's, or the one a configured number of
trusted reverse proxies report (``STDPOLICY_TRUSTED_PROXIES``, werkzeug's
ProxyFix; see ``webadmin.create_app``): with 0, the default, an
``X-Forwarded-For`` header is ignored, so it cannot be forged to dodge the
limits.

The counters are kept in the database (``webadmin.ratelimit_storage``), so
every gunicorn worker counts together; ``STDPOLICY_RATELIMIT_STORAGE_URI``
chooses another ``limits`` storage (``redis://…``) where there is one.
``LOGIN_LIMITS_PER_ACCOUNT`` and ``LOGIN_LIMITS_PER_ADDRESS`` in the
configuration (``STDPOLICY_LOGIN_LIMITS_PER_ACCOUNT``/``…_PER_ADDRESS``,
in Flask-Limiter's notation) change the limits.
"""

from __future__ import annotations

import hashlib
import math
import os
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, g, request
from flask.wrappers import Response
from flask_limiter import Limiter
from limits import parse_many

from . import ratelimit_storage

__all__ = [
    "DEFAULT_LIMITS_PER_ACCOUNT",
    "DEFAULT_LIMITS_PER_ADDRESS",
    "client_address",
    "init_app",
    "limiter",
    "mark_failure",
    "retry_after",
    "throttle_failures",
]

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_LIMITS_PER_ACCOUNT = "5 per minute; 10 per 15 minutes; 20 per hour; 50 per day"
DEFAULT_LIMITS_PER_ADDRESS = "20 per minute; 100 per hour; 500 per day"


def client_address() -> str:
    """The client's address: the connection's, or what the trusted proxies reported."""
    return request.remote_addr or "unknown"


limiter = Limiter(
    key_func=client_address,
    headers_enabled=False,
    strategy="fixed-window",
    # Evaluate every limit, so the answer names the longest wait, not the first found.
    fail_on_first_breach=False,
    key_prefix="stdpolicy",
)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _account_at_address() -> str:
    """The key of one user name from one address (the name hashed: any text fits the key)."""
    return f"{client_address()}|{_digest((request.form.get('username') or '').strip())}"


def _signed_in_user() -> str:
    from flask_login import current_user

    return f"user:{getattr(current_user, 'id', 'anonymous')}"


def mark_failure() -> None:
    """Count this request against the throttle (a wrong password): called by the view."""
    g.throttle_failure = True


def _failed(response: Response) -> bool:
    return bool(g.get("throttle_failure"))


def throttle_failures(kind: str) -> Callable[[F], F]:
    """Throttle a view's POSTs that call ``mark_failure``.

    ``kind`` ``"login"``: by user name and address, and by address;
    ``"password"``: by the signed-in user (checking one's current password).
    """

    def decorate(view: F) -> F:
        if kind == "login":
            view = limiter.limit(lambda: current_app.config["LOGIN_LIMITS_PER_ADDRESS"], key_func=client_address,
                                 methods=["POST"], deduct_when=_failed)(view)
            view = limiter.limit(lambda: current_app.config["LOGIN_LIMITS_PER_ACCOUNT"], key_func=_account_at_address,
                                 methods=["POST"], deduct_when=_failed)(view)
        elif kind == "password":
            view = limiter.limit(lambda: current_app.config["LOGIN_LIMITS_PER_ACCOUNT"], key_func=_signed_in_user,
                                 methods=["POST"], deduct_when=_failed)(view)
        else:  # pragma: no cover - a programming error
            raise ValueError(kind)
        return view

    return decorate


def retry_after() -> int:
    """Seconds until every limit this request reached has room again (at least 1)."""
    breached = [limit for limit in limiter.current_limits if limit.breached]
    if not breached:
        return 1
    return max(1, math.ceil(max(limit.window[0] for limit in breached) - time.time()))


def init_app(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", os.environ.get("STDPOLICY_RATELIMIT_STORAGE_URI")
                          or f"{ratelimit_storage.SCHEME}://")
    app.config.setdefault("LOGIN_LIMITS_PER_ACCOUNT", os.environ.get("STDPOLICY_LOGIN_LIMITS_PER_ACCOUNT")
                          or DEFAULT_LIMITS_PER_ACCOUNT)
    app.config.setdefault("LOGIN_LIMITS_PER_ADDRESS", os.environ.get("STDPOLICY_LOGIN_LIMITS_PER_ADDRESS")
                          or DEFAULT_LIMITS_PER_ADDRESS)
    for name in ("LOGIN_LIMITS_PER_ACCOUNT", "LOGIN_LIMITS_PER_ADDRESS"):
        try:
            parse_many(app.config[name])
        except ValueError as exc:
            raise RuntimeError(f"{name} ({app.config[name]!r}) is not a list of limits such as "
                               f"'5 per minute; 20 per hour': {exc}") from None
    limiter.init_app(app)
