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

import orjson

from ..messages import Bilingual
from ..screening import Oversized, RawRecord, key_ok, printable
from .records import InputError, Records

__all__ = ["MISS", "json_array", "json_lines", "loads_record", "looks_like_lines", "not_json", "not_utf8", "quick_record",
           "too_deep"]

#: The standard library's JSON errors in Chinese, by how ``JSONDecodeError.msg`` begins (what follows, such as
#: the escape found, is kept); one not here is shown as it is.
_MESSAGES_ZH = {
    "Expecting value": "此处应有一个值",
    "Expecting ',' delimiter": "此处缺少逗号",
    "Expecting ':' delimiter": "此处缺少冒号",
    "Expecting property name enclosed in double quotes": "字段名须用英文双引号括起",
    "Unterminated string starting at": "字符串缺少结束的引号",
    "Invalid control character at": "字符串中有控制字符",
    "Invalid \\escape": "无效的转义符",
    "Invalid \\uXXXX escape": "无效的 \\u 转义符",
    "Extra data": "数据结束后还有多余的内容",
    "Illegal trailing comma before end of array": "数组末尾多了一个逗号",
    "Illegal trailing comma before end of object": "对象末尾多了一个逗号",
}


def not_json(name: str, exc: json.JSONDecodeError, line: int | None = None) -> InputError:
    """The error for a file (or its JSON Lines ``line``) that is not JSON: where, and what, in both languages."""
    zh = next((words + exc.msg[len(start):] for start, words in _MESSAGES_ZH.items() if exc.msg.startswith(start)),
              exc.msg)
    if line is not None:
        return InputError(f"{name}, line {line}: not JSON ({exc.msg})", f"{name} 第{line}行:不是有效的 JSON({zh})")
    return InputError(f"{name}: not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})",
                      f"{name}:不是有效的 JSON(第{exc.lineno}行第{exc.colno}列:{zh})")


def too_deep(name: str, line: int | None = None, *, what: Bilingual | None = None) -> InputError:
    """The error for JSON nested deeper than Python parses (``RecursionError``); ``what`` the file should hold."""
    if line is not None:
        return InputError(f"{name}, line {line}: nested too deeply", f"{name} 第{line}行:嵌套层级过深")
    what = what or Bilingual("活动记录", "activity records")
    return InputError(f"{name}: nested too deeply to be {what}", f"{name}:嵌套层级过深,不是{what.zh}")


def not_utf8(name: str) -> InputError:
    return InputError(f"{name}: not UTF-8 text (JSON is read as UTF-8)",
                      f"{name}:不是 UTF-8 编码的文本(JSON 文件须为 UTF-8 编码)")


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


#: What ``quick_record`` answers when it cannot be sure: the caller parses with ``_loads``.
MISS: Any = object()


def quick_record(data: str | bytes) -> Any:
    """orjson's value of one record's JSON when it is certainly what ``_loads`` gives, else ``MISS``.

    orjson parses ~4× faster than ``json.loads`` with the repeated-key hook,
    but keeps the last of a repeated key silently and reads an integer beyond
    64 bits as a float. So its value is taken only for a text without a
    backslash — every quote in it then opens or closes a string — whose
    quotes are twice the strings of the value (keys and values: a repeated
    key, dropped, leaves fewer), and which holds no float. Anything else (a
    repeated key, a float, NaN, an escape, text that is not UTF-8, an error)
    is ``MISS``. tests/test_streaming.py compares both on fuzzed records.
    """
    if isinstance(data, bytes):
        if b"\\" in data:
            return MISS
        quotes = data.count(b'"')
    else:
        if "\\" in data:
            return MISS
        quotes = data.count('"')
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        return MISS
    strings = _strings(value)
    if strings < 0 or 2 * strings != quotes:
        return MISS
    return value


def loads_record(text: str) -> Any:
    """``_loads`` of one record (a JSON Lines line): through orjson when ``quick_record`` can be sure."""
    value = quick_record(text)
    return _loads(text) if value is MISS else value


def _strings(value: Any) -> int:
    """Strings in ``value``, object keys included; -1 if it holds a float."""
    kind = type(value)
    if kind is str:
        return 1
    if kind is dict:
        count = len(value)
        for item in value.values():
            kind = type(item)
            if kind is str:
                count += 1
            elif kind is not int and kind is not bool and item is not None:
                nested = _strings(item)
                if nested < 0:
                    return -1
                count += nested
        return count
    if kind is list:
        count = 0
        for item in value:
            nested = _strings(item)
            if nested < 0:
                return -1
            count += nested
        return count
    return -1 if kind is float else 0


def json_array(text: str, name: str) -> Records:
    """The records of a JSON array."""
    try:
        data = _loads(text)
    except json.JSONDecodeError as exc:
        raise not_json(name, exc) from None
    except RecursionError:
        raise too_deep(name) from None
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
            records.append(loads_record(line))
        except json.JSONDecodeError as exc:
            raise not_json(name, exc, number) from None
        except RecursionError:
            raise too_deep(name, number) from None
        numbers.append(number)
    return Records(records, unit="line", numbers=numbers)


def looks_like_lines(text: str) -> bool:
    """Whether text from standard input is JSON Lines rather than one JSON array."""
    stripped = text.lstrip()
    return stripped.startswith("{") and "\n{" in stripped
