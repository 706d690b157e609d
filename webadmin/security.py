"""Secrets: the session key, API tokens, one-time passwords, and how strong a password must be.

``SECRET_KEY`` comes from ``STDPOLICY_SECRET_KEY`` or from ``secret_key`` in
the instance folder, a random key written once (mode 0600) by ``stdpolicy
init`` or the first start. There is no constant key in the code.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import unicodedata
from pathlib import Path

from flask import Flask
from zxcvbn import zxcvbn

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "MIN_PASSWORD_SCORE",
    "ensure_secret_key_file",
    "hash_token",
    "is_clean_text",
    "load_secret_key",
    "new_password",
    "new_token",
    "password_weakness",
]

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
    """A random password for a first administrator or a reset (shown once; ~96 bits)."""
    return secrets.token_urlsafe(12)


MIN_PASSWORD_LENGTH = 10
#: zxcvbn's score (0–4) a chosen password needs: 3 is "safely unguessable:
#: moderate protection from an offline slow-hash scenario" (~10^8 guesses and more).
MIN_PASSWORD_SCORE = 3
#: Words of this system an attacker would try first.
_CONTEXT_WORDS = ("stdpolicy", "jiaxing", "嘉兴", "standards", "标准")


def is_clean_text(text: str) -> bool:
    """No lone surrogates (not storable as UTF-8) and no control characters."""
    return not any(unicodedata.category(char) in ("Cc", "Cs") for char in text)


#: The characters of a password zxcvbn scores: its own limit since 4.5 (it raised ValueError on
#: a longer one: a long passphrase answered 500).
_SCORED = 72


def password_weakness(password: str, *context: str) -> str | None:
    """Why ``password`` cannot be chosen — ``"characters"``, ``"short"`` or ``"guessable"`` — or None.

    zxcvbn (Dropbox's estimator) counts the guesses an attacker with
    dictionaries of common passwords, names, words, keyboard patterns, dates
    and the ``context`` (the user name) would need. Only the first
    ``_SCORED`` characters are scored: zxcvbn's time grows with length, a
    longer password is strong by its length alone, and zxcvbn 4.5 refuses
    (raises on) anything longer.
    """
    if not is_clean_text(password):
        return "characters"
    if len(password) < MIN_PASSWORD_LENGTH:
        return "short"
    words = [word for word in (*context, *_CONTEXT_WORDS) if word]
    if zxcvbn(password[:_SCORED], user_inputs=words)["score"] < MIN_PASSWORD_SCORE:
        return "guessable"
    return None


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Tokens are long random strings: a plain SHA-256 is enough to store them."""
    # surrogatepass: a header holding a lone surrogate (no real client sends one) is an unknown token, not a 500.
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
