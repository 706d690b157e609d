"""Secrets: the session key, API tokens, first-admin passwords.

``SECRET_KEY`` comes from ``STDPOLICY_SECRET_KEY`` or from ``secret_key`` in
the instance folder, a random key written once (mode 0600) by ``stdpolicy
init`` or the first start. There is no constant key in the code.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from flask import Flask

__all__ = ["ensure_secret_key_file", "hash_token", "load_secret_key", "new_password", "new_token"]

SECRET_FILE = "secret_key"
TOKEN_PREFIX = "stp_"


def load_secret_key(app: Flask) -> str:
    """The key: ``STDPOLICY_SECRET_KEY``, else the instance file (written on first use)."""
    configured = os.environ.get("STDPOLICY_SECRET_KEY")
    if configured:
        return configured
    path, _ = ensure_secret_key_file(app)
    return path.read_text(encoding="ascii").strip()


def ensure_secret_key_file(app: Flask) -> tuple[Path, bool]:
    """Write a random key to the instance folder unless one is there; (path, created).

    ``O_EXCL`` makes concurrent first starts (several gunicorn workers) agree
    on one key: the first writes it, the others read it.
    """
    path = Path(app.instance_path) / SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path, False
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32))
    return path, True


def new_password() -> str:
    """A random password for a first administrator (shown once)."""
    return secrets.token_urlsafe(12)


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Tokens are long random strings: a plain SHA-256 is enough to store them."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
