"""Reading JSON arrays and JSON Lines of activity records.

Python's ``json`` accepts a key given twice (the last wins) and refuses a
whole document over one integer of more than 4,300 digits. Here a repeated
key makes its object a ``RawRecord`` whose problem names the key, and an
over-long integer becomes an ``Oversized`` marker in its place: both become
field errors of their record (``core.screening``), never the whole file's.
JSON Lines are split at line feeds only, never at U+2028 or U+2029, which
JSON allows inside strings.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from ..messages import Bilingual
from ..screening import Oversized, RawRecord, key_ok, printable
from .records import InputError, Records

__all__ = ["json_array", "json_lines", "looks_like_lines"]


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    record = dict(pairs)
    if len(record) != len(pairs):
        return _with_repeated_keys(pairs, record)
    return record


def _with_repeated_keys(pairs: list[tuple[str, Any]], record: dict[str, Any]) -> RawRecord:
    problems: dict[str | None, list[Bilingual]] = {}
    for key, times in Counter(key for key, _ in pairs).items():
        if times > 1:
            shown = printable(key, 60)
            message = Bilingual(f"字段 {shown} 出现了 {times} 次;每个字段只能给出一次",
                                f"the key {shown} is given {times} times; give each field once")
            problems.setdefault(key if key_ok(key) else None, []).append(message)
    return RawRecord(record, problems=problems)


def _integer(text: str) -> int | Oversized:
    try:
        return int(text)
    except ValueError:  # more digits than sys.get_int_max_str_digits()
        return Oversized(len(text.lstrip("-")))


def _loads(text: str) -> Any:
    """``json.loads`` with repeated keys kept as problems; a second pass only for over-long integers."""
    try:
        return json.loads(text, object_pairs_hook=_object)
    except json.JSONDecodeError:
        raise
    except ValueError:  # "Exceeds the limit (4300 digits) for integer string conversion"
        return json.loads(text, object_pairs_hook=_object, parse_int=_integer)


def json_array(text: str, name: str) -> Records:
    """The records of a JSON array."""
    try:
        data = _loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name}: not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})",
                         f"{name}:不是有效的 JSON({exc.lineno}行{exc.colno}列:{exc.msg})") from None
    except RecursionError:
        raise InputError(f"{name}: nested too deeply to be activity records",
                         f"{name}:嵌套层级过深,不是活动记录") from None
    if not isinstance(data, list):
        found = {dict: "object", str: "string", int: "number", float: "number", bool: "boolean"}.get(type(data), type(data).__name__)
        raise InputError(f"{name}: expected a JSON array of activity records, got a {found if data is not None else 'null'}",
                         f"{name}:应为活动记录的 JSON 数组(以 [ 开头)")
    return Records(data)


def json_lines(text: str, name: str) -> Records:
    """The records of JSON Lines: one per line feed; blank lines are skipped."""
    records: list[Any] = []
    numbers: list[int] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip(" \t\r"):
            continue
        try:
            records.append(_loads(line))
        except json.JSONDecodeError as exc:
            raise InputError(f"{name}, line {number}: not JSON ({exc.msg})",
                             f"{name} 第{number}行:不是有效的 JSON({exc.msg})") from None
        except RecursionError:
            raise InputError(f"{name}, line {number}: nested too deeply", f"{name} 第{number}行:嵌套层级过深") from None
        numbers.append(number)
    return Records(records, unit="line", numbers=numbers)


def looks_like_lines(text: str) -> bool:
    """Whether text from standard input is JSON Lines rather than one JSON array."""
    stripped = text.lstrip()
    return stripped.startswith("{") and "\n{" in stripped
