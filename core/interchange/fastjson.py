"""The result document's JSON through orjson, byte for byte what the standard library wrote.

``stdpolicy evaluate``'s output is specified down to its bytes
(tests/golden): ``json.JSONEncoder(ensure_ascii=False)`` with its default
separators (``", "`` and ``": "``), keys in insertion order, non-ASCII
characters as themselves, control characters escaped. orjson writes compact
JSON (``","`` and ``":"``) and cannot be told otherwise, and a compact
document cannot be re-spaced without parsing its strings. So this module
writes the document's skeleton itself — the keys of a result and of an
outcome, in the order ``output.result_items`` and ``Outcome.to_json`` give
them — and has orjson encode every string in it (orjson escapes exactly as
the standard library does with ``ensure_ascii=False``; tests/test_fastjson.py
checks every code point). Values the skeleton does not know (an outcome's
``details``, a parameter's value, references, errors) go through
``value``, which writes dicts, lists, strings, integers, booleans and null
as the standard library does and hands anything else (a float, a Decimal, a
lone surrogate) to the standard library's encoder, so that what it wrote
(or refused) stays as it was. No value is ever converted through float.

The repeated pieces (plugin names, rules, clauses, kinds, the parameter
versions an outcome read) are encoded once per document.

tests/test_fastjson.py compares this encoder with ``json.dumps`` of
``result_items`` over the golden files and Hypothesis-generated outcomes;
a new key in ``Outcome.to_json`` or ``result_items`` must be added here too
(the test builds outcomes with every optional key and fails otherwise).
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from ..activities import Activity, InvalidRecord
from ..outcomes import Outcome

__all__ = ["ResultEncoder"]

_dumps = orjson.dumps
_STDLIB = json.JSONEncoder(ensure_ascii=False)
_CONSTANTS: dict[Any, bytes] = {True: b"true", False: b"false", None: b"null"}
#: Entries a cache of encoded values keeps before it starts again (memory stays flat over a long stream).
_MAX_CACHED = 10_000


class _Fallback(Exception):
    """A value this encoder does not write byte for byte: the chunk goes to the standard library."""


class ResultEncoder:
    """Encodes results (``output.result_items``) as the standard library would, ~5× faster.

    One encoder per document: it keeps the encoded forms of repeated strings
    and parameter versions while the document is written.
    """

    def __init__(self) -> None:
        self._short: dict[str | None, bytes] = {}
        # id(parameter value) → (the value, kept alive so its id is not reused; its encoding)
        self._params: dict[int, tuple[Any, bytes]] = {}
        # (plugin, version, rule, clause) → the bytes around an outcome's amount
        self._heads: dict[tuple[Any, ...], tuple[bytes, bytes]] = {}
        self._refs: dict[Any, bytes] = {}

    # -- values --------------------------------------------------------------------------------

    def value(self, value: Any) -> bytes:
        """Any JSON value, written as ``json.JSONEncoder(ensure_ascii=False)`` writes it."""
        kind = type(value)
        if kind is str:
            try:
                return _dumps(value)
            except orjson.JSONEncodeError:  # a lone surrogate: the standard library writes it, UTF-8 cannot
                raise _Fallback from None
        if kind is int:
            return int.__repr__(value).encode()
        if kind is bool or value is None:
            return _CONSTANTS[value]
        if kind is dict:
            if not value:
                return b"{}"
            parts = []
            for key, item in value.items():
                if type(key) is not str:  # the standard library converts other keys: leave it to it
                    raise _Fallback
                parts.append(self.short(key) + b": " + self.value(item))
            return b"{" + b", ".join(parts) + b"}"
        if kind is list or kind is tuple:
            return b"[" + b", ".join([self.value(item) for item in value]) + b"]" if value else b"[]"
        raise _Fallback  # float (repr and NaN rules), subclasses, Decimal, date …: the standard library decides

    def short(self, text: str | None) -> bytes:
        """A string that repeats across the document (keys, names, rules), encoded once."""
        try:
            return self._short[text]
        except KeyError:
            if len(self._short) >= _MAX_CACHED:
                self._short.clear()
            found = self._short[text] = self.value(text)
            return found
        except TypeError:  # not hashable, so not a string
            return self.value(text)

    def _parameter(self, used: Any) -> bytes:
        held = self._params.get(id(used))
        if held is not None and held[0] is used:
            return held[1]
        found = self.value(used.to_json())
        if len(self._params) >= _MAX_CACHED:  # a long stream of results must not grow it for ever
            self._params.clear()
        self._params[id(used)] = (used, found)
        return found

    # -- the skeleton ----------------------------------------------------------------------------

    def outcome(self, o: Outcome) -> bytes:
        """``Outcome.to_json()``, encoded."""
        zh, en, amount = o.explanation_zh, o.explanation_en, o.amount
        if type(zh) is not str or type(en) is not str or type(amount) is not int:
            raise _Fallback  # what a plugin may have set by hand: the standard library writes it
        try:
            head = self._heads[o.plugin, o.plugin_version, o.rule, o.clause]
        except KeyError:
            head = self._head(o)
        except TypeError:  # a value that is not hashable, so not a string: written one at a time
            head = self._head(o, keep=False)
        parts = [head[0], b"%d" % amount, head[1], _dumps(zh), b', "en": ', _dumps(en), b'}, "parameters": [',
                 b", ".join([self._parameter(p) for p in o.parameters]) if o.parameters else b"", b"]"]
        if o.references:
            parts += (b', "references": [', b", ".join([self._reference(r) for r in o.references]), b"]")
        if o.status != "ok":
            parts += (b', "status": ', self.short(o.status))
        if o.details:
            parts += (b', "details": ', self.value(o.details))
        parts.append(b"}")
        return b"".join(parts)

    def _head(self, o: Outcome, keep: bool = True) -> tuple[bytes, bytes]:
        """The bytes before an outcome's amount and between it and its Chinese explanation: the same for
        every outcome of one rule."""
        short = self.short
        head = (b'{"plugin": ' + short(o.plugin) + b', "plugin_version": ' + short(o.plugin_version)
                + b', "rule": ' + short(o.rule) + b', "amount": ',
                b', "clause": ' + short(o.clause) + b', "explanation": {"zh": ')
        if keep:
            self._heads[o.plugin, o.plugin_version, o.rule, o.clause] = head
        return head

    def _reference(self, read: Any) -> bytes:
        """A reference read (``ReferenceRead``, a named tuple made anew for each outcome): encoded once per value."""
        try:
            return self._refs[read]
        except KeyError:
            pass
        except TypeError:  # not hashable: not a ReferenceRead
            return self.value(read.to_json())
        found = self.value(read.to_json())
        if len(self._refs) >= _MAX_CACHED:
            self._refs.clear()
        self._refs[read] = found
        return found

    def result(self, item: Activity | InvalidRecord, outcomes: list[Outcome] | None) -> bytes:
        """One result of ``output.result_items``, encoded (``outcomes``: the activity's, ``None`` for an invalid record)."""
        if outcomes is None:
            from .output import _invalid_item

            return self.value(_invalid_item(item))  # type: ignore[arg-type]
        assert isinstance(item, Activity)
        amount = held = 0
        for o in outcomes:
            amount += o.amount
            if o.status == "held":
                held += o.held_amount
        ref = item.ref
        # amount: a sum of ints (Outcome refuses any other amount), written as the standard library writes an int
        parts = [b'{"id": ', _dumps(ref) if type(ref) is str else self.value(ref), b', "kind": ', self.short(item.kind),
                 b', "amount": ', b"%d" % amount]
        if held:
            parts += (b', "held_amount": ', b"%d" % held)
        parts += (b', "outcomes": [', b", ".join([self.outcome(o) for o in outcomes]), b'], "errors": []}')
        return b"".join(parts)

    def results(self, chunk: list[tuple[Activity | InvalidRecord, list[Outcome] | None]]) -> bytes | str:
        """Results joined by ``", "`` (UTF-8).

        A chunk holding a value this encoder leaves to the standard library
        is encoded there whole, and returned as text: written as before, it
        fails where it failed before (a lone surrogate on a UTF-8 stream) and
        nowhere else. ``TypeError`` for what JSON cannot hold, as before.
        """
        try:
            return b", ".join([self.result(item, outcomes) for item, outcomes in chunk])
        except (_Fallback, orjson.JSONEncodeError):  # JSONEncodeError: a lone surrogate, an integer beyond 64 bits
            from .output import result_item

            return _STDLIB.encode([result_item(item, outcomes) for item, outcomes in chunk])[1:-1]
