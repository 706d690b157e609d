"""JSON text exactly as the standard library's ``json`` writes it, without its set-up on every call.

``json.dumps(value)`` and ``JSONEncoder(...).encode(value)`` build a new C
encoder (``c_make_encoder``) for each value: for the small values an import
stores 100,000 at a time (an activity's fields, an outcome's details, a
fingerprint's canonical record) that set-up was half the time. Here each
encoder is built once, with the arguments ``json`` itself passes it, so the
text is the same, character for character. The one difference: no check for
circular references (``json`` raises ``ValueError``, these recurse until
``RecursionError``); the values encoded here are read from JSON or loaded
by schemas, and cannot hold themselves.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json.encoder import c_make_encoder, encode_basestring, encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any

__all__ = ["canonical", "dumps", "json_problem"]


def _encoder(*, sort_keys: bool, ensure_ascii: bool, separators: tuple[str, str],
             allow_nan: bool = True) -> Callable[[Any], str]:
    slow = json.JSONEncoder(sort_keys=sort_keys, ensure_ascii=ensure_ascii, separators=separators,
                            allow_nan=allow_nan)
    if c_make_encoder is None:  # pragma: no cover - CPython always has the C accelerator
        return slow.encode
    item_separator, key_separator = separators
    # As JSONEncoder.iterencode calls it (markers None: check_circular off; allow_nan as given, json's default True).
    make = c_make_encoder(None, slow.default, encode_basestring_ascii if ensure_ascii else encode_basestring, None,
                          key_separator, item_separator, sort_keys, False, allow_nan)
    join = "".join

    def encode(value: Any) -> str:
        return join(make(value, 0))

    return encode


#: ``json.dumps(value)`` (what SQLAlchemy's JSON columns store when no serializer is configured).
dumps = _encoder(sort_keys=False, ensure_ascii=True, separators=(", ", ": "))
#: ``json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode(value)``: a fingerprint's text.
canonical = _encoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
_strict = _encoder(sort_keys=False, ensure_ascii=True, separators=(",", ":"), allow_nan=False)


def json_problem(value: Any) -> str | None:
    """Why ``value`` is not a JSON value ``json`` can write (``None``: it is one).

    What the store and the result document can hold: dicts, lists, strings,
    numbers, booleans and null, as ``json`` writes them; NaN and the
    infinities are refused too (``json`` would write them, but they are not
    JSON, and PostgreSQL refuses them). ``Outcome.problem`` asks it of the
    details its quicker test cannot vouch for (a float, a tuple, a subclass …).
    """
    try:
        _strict(value)
    except (TypeError, ValueError, RecursionError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None
