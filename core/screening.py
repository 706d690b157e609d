"""What a raw record may hold before any schema sees it.

Every record from every edge (a file, the API, the admin's upload, plain
Python) goes through ``ActivityValidator.validate_one``, which calls
``screen`` first. It refuses what no field of any kind may hold, so no
plugin's schema has to think of it and nothing of it reaches a plugin, the
output or the database:

- text that is not valid Unicode text: a lone surrogate (``"\\ud800"``,
  which no UTF-8 encoder writes, so the output or the database would fail);
- control characters (C0, DEL, C1; PostgreSQL refuses NUL in text): none in
  a single-line field; a field whose schema declares
  ``metadata={"multiline": True}`` may hold tab, line feed and carriage
  return. No field of the built-in kinds is multi-line;
- text longer than ``MAX_TEXT`` characters (every field is shorter);
- integers outside the databases' 64-bit range, integer literals too long
  for Python to convert (``Oversized``, made by the JSON reader), and the
  non-numbers NaN and Infinity that Python's JSON reader accepts;
- problems the reader found (``RawRecord.problems``): a key given twice in
  one JSON object, cells beyond a CSV row's header.

Each is an error of the field that holds it (of the record, for a bad key),
so the rest of the record is still checked and the rest of the batch is
evaluated as if the record were not there.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection
from typing import Any

from .messages import Bilingual

__all__ = [
    "MAX_INTEGER",
    "MAX_TEXT",
    "Oversized",
    "RawRecord",
    "clipped",
    "clipped_words",
    "key_ok",
    "printable",
    "safe_text",
    "screen",
    "shortened",
]

#: The largest magnitude of an integer in a record: PostgreSQL's and SQLite's 64-bit integers.
MAX_INTEGER = 2**63 - 1
#: The longest text a field may hold, in characters.
MAX_TEXT = 10_000

_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_MULTILINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


class Oversized:
    """An integer literal too long to convert (Python refuses more than 4,300 digits).

    The JSON reader keeps one in the record's place instead of failing the
    whole file; ``screen`` makes it an error of its field.
    """

    __slots__ = ("digits",)

    def __init__(self, digits: int) -> None:
        self.digits = digits

    def __repr__(self) -> str:
        return f"<integer of {self.digits:,} digits>"

    def __reduce__(self) -> tuple[Any, tuple[int]]:
        return Oversized, (self.digits,)


class RawRecord(dict):
    """A record as read, with the problems the reader found in it.

    ``problems`` maps a field name (``None``: the record as a whole) to its
    messages: a key given twice, cells beyond the header.
    """

    problems: dict[str | None, list[Bilingual]]

    def __init__(self, *args: Any, problems: dict[str | None, list[Bilingual]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.problems = problems or {}

    def __reduce__(self) -> tuple[Any, ...]:
        return _raw_record, (dict(self), self.problems)


def _raw_record(data: dict[str, Any], problems: dict[str | None, list[Bilingual]]) -> RawRecord:
    return RawRecord(data, problems=problems)


def _u(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def _text_problem(value: str, multiline: bool) -> Bilingual | None:
    """What is wrong with a string that is not plainly printable (``None``: nothing)."""
    found = _SURROGATE.search(value)
    if found:
        return Bilingual(f"不是有效的文本:含有孤立的代理码位 {_u(found.group())}",
                         f"not valid text: it holds a lone surrogate code point ({_u(found.group())})")
    found = (_CONTROL_MULTILINE if multiline else _CONTROL).search(value)
    if found:
        ch = found.group()
        if ch in "\t\n\r":
            return Bilingual(f"含有换行符或制表符({_u(ch)}):该字段只能是单行文本",
                             f"holds a line break or tab ({_u(ch)}); this field is a single line of text")
        return Bilingual(f"含有控制字符 {_u(ch)},不能接受", f"holds the control character {_u(ch)}, which is not allowed")
    if len(value) > MAX_TEXT:
        return Bilingual(f"长度不能超过 {MAX_TEXT}。", f"Longer than maximum length {MAX_TEXT}.")
    return None


def _too_large(digits: int | None = None) -> Bilingual:
    if digits is not None:
        return Bilingual(f"数值过大(一个{digits:,}位的整数)。", f"Number too large (an integer of {digits:,} digits).")
    return Bilingual("数值过大。", "Number too large.")


_NOT_FINITE = Bilingual("不允许 NaN 或无穷大。", "Special numeric values (nan or infinity) are not permitted.")


def _value_problem(value: Any, multiline: bool, depth: int = 0) -> Bilingual | None:
    """What is wrong with one value, looking inside lists and objects."""
    t = type(value)
    if t is str:
        if len(value) <= MAX_TEXT and value.isprintable():
            return None
        return _text_problem(value, multiline)
    if t is int:
        return None if -MAX_INTEGER <= value <= MAX_INTEGER else _too_large()
    if value is None or t is bool:
        return None
    if t is float:
        return None if math.isfinite(value) else _NOT_FINITE
    if t is Oversized:
        return _too_large(value.digits)
    if isinstance(value, (list, tuple)):
        for item in value:
            problem = _value_problem(item, multiline, depth + 1)
            if problem:
                return problem
        return None
    if isinstance(value, dict):
        if isinstance(value, RawRecord) and value.problems:
            return next(iter(m for messages in value.problems.values() for m in messages))
        for key, item in value.items():
            problem = _key_problem(key) or _value_problem(item, multiline, depth + 1)
            if problem:
                return problem
        return None
    if isinstance(value, str):  # a str subclass
        return _value_problem(str(value), multiline, depth)
    if isinstance(value, int):
        return _value_problem(int(value), multiline, depth)
    return None  # dates, decimals …: the schema decides


def key_ok(key: Any) -> bool:
    """Whether a record's key is one ``screen`` lets through."""
    return _key_problem(key) is None


def _key_problem(key: Any) -> Bilingual | None:
    if type(key) is str and key.isprintable() and len(key) <= 200:
        return None
    if not isinstance(key, str):
        return None  # JSON keys are text; a caller's own non-text key is the schema's to refuse
    return _text_problem(key, False) or (
        Bilingual("字段名过长", "field name too long") if len(key) > 200 else None
    )


def screen(record: dict[Any, Any], multiline: Collection[str] = ()) -> dict[str | None, list[Bilingual]] | None:
    """The problems of a raw record, by field (``None``: the record); ``None`` when it has none.

    Cheap on the common path: a plainly printable string, an integer in
    range, ``None`` or a boolean costs one type check and one C call.
    """
    found: dict[str | None, list[Bilingual]] | None = None
    if type(record) is not dict and isinstance(record, RawRecord) and record.problems:
        found = {name: list(messages) for name, messages in record.problems.items()}
    for key, value in record.items():
        t = type(value)
        if t is str:
            if value.isprintable() and len(value) <= MAX_TEXT:
                problem = None
            else:
                problem = _text_problem(value, key in multiline)
        elif t is int:
            problem = None if -MAX_INTEGER <= value <= MAX_INTEGER else _too_large()
        elif value is None or t is bool:
            problem = None
        else:
            problem = _value_problem(value, key in multiline)
        if problem is None and type(key) is str and key.isprintable() and len(key) <= 200:
            continue  # the common case, without a call per key
        key_problem = _key_problem(key)
        if key_problem is not None:
            if found is None:
                found = {}
            found.setdefault(None, []).append(Bilingual(
                f"字段名 {printable(key)} {key_problem.zh}", f"the field name {printable(key)} {key_problem}",
            ))
        elif problem is not None:
            if found is None:
                found = {}
            found.setdefault(key, []).append(problem)
    return found


def printable(value: Any, limit: int = 200) -> str:
    """``value`` as JSON text safe to show anywhere: no surrogate, no control character.

    Chinese stays as it is; what is unsafe is written as a ``\\uXXXX`` escape.
    """
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    text = _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def safe_text(text: str) -> str:
    """``text`` with every surrogate and control character written as a ``\\uXXXX`` escape."""
    if text.isprintable():
        return text
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def shortened(text: str, limit: int) -> str:
    """The start of ``text`` as a message in either language shows it: printable (``safe_text``), and "…"
    where it was cut (``clipped`` adds the length, in English)."""
    return safe_text(text[:limit]) + ("…" if len(text) > limit else "")


def clipped(given: str, limit: int = 80) -> str:
    """``given`` (an argument, a key, a path) as an error message repeats it: printable (``safe_text``), and
    past ``limit`` characters its start and its length. A key of 5,000 digits is not echoed whole."""
    text = safe_text(given)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(given):,} characters)"


#: A run of this many characters without a space, in a message: an argument repeated whole (``clipped_words``).
_LONG_WORD = re.compile(r"\S{200,}")


def clipped_words(message: str) -> str:
    """``message`` with every run of 200 characters or more without a space clipped (``clipped``): for
    messages built by others (click's "unexpected extra argument"), which repeat an argument whole."""
    return _LONG_WORD.sub(lambda m: clipped(m.group()), message)
