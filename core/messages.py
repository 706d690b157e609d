"""Validation messages in both languages.

Marshmallow produces English messages. A validator of ours raises a
``Bilingual`` message (an English ``str`` that also carries its Chinese),
and the standard marshmallow messages are translated from the table below,
so every field error reaches the CLI, the API and the admin in both
languages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from marshmallow import ValidationError

from .text import Text

__all__ = ["Bilingual", "FieldError", "field_error", "flatten_errors", "to_zh"]


class Bilingual(str):
    """An English message that carries its Chinese twin as ``.zh``."""

    zh: str

    def __new__(cls, zh: str, en: str) -> Bilingual:
        obj = super().__new__(cls, en)
        obj.zh = zh
        return obj

    @classmethod
    def of(cls, text: Text) -> Bilingual:
        return cls(text.zh, text.en)


def field_error(zh: str, en: str, *, field: str | None = None) -> ValidationError:
    """A marshmallow ``ValidationError`` whose message is in both languages; raise it.

    In a field's ``_deserialize`` or a ``@validates`` method, leave ``field``
    out (marshmallow knows the field); in a ``@post_load`` or
    ``@validates_schema`` hook, name it (``field="granted_amount"``), or
    leave it out for a problem of the record as a whole::

        raise field_error("核定金额超过上限", "the granted amount exceeds the cap", field="granted_amount")

    The CLI, the API and the admin show the Chinese or the English half.
    """
    message = Bilingual(zh, en)
    if field is None:
        return ValidationError(message)
    return ValidationError(message, field_name=field)


_EXACT = {
    "Missing data for required field.": "缺少必填字段。",
    "Field may not be null.": "字段不能为空值。",
    "Invalid value.": "无效的值。",
    "Invalid input type.": "输入类型无效。",
    "Unknown field.": "未知字段。",
    "Not a valid string.": "不是有效的字符串。",
    "Not a valid integer.": "不是有效的整数。",
    "Not a valid number.": "不是有效的数字。",
    "Not a valid boolean.": "应为“是”或“否”。",
    "Not a valid date.": "不是有效的日期(应如 2024-08-04)。",
    "Not a valid datetime.": "不是有效的日期时间。",
    "Not a valid list.": "不是有效的列表。",
    "Not a valid mapping type.": "不是有效的对象。",
    "Number too large.": "数值过大。",
    "Special numeric values (nan or infinity) are not permitted.": "不允许 NaN 或无穷大。",
    "Not a whole number of yuan.": "金额必须是整数元(不能有小数)。",
    "Must not be negative.": "不能为负数。",
    "Must not be blank.": "不能为空。",
    "String does not match expected pattern.": "格式不符合要求。",
}

_PATTERNS = [
    (re.compile(r"^Must be greater than or equal to (.+) and less than or equal to (.+)\.$"), "必须大于等于 {0} 且小于等于 {1}。"),
    (re.compile(r"^Must be greater than or equal to (\S+) and less than (\S+)\.$"), "必须大于等于 {0} 且小于 {1}。"),
    (re.compile(r"^Must be greater than or equal to (.+)\.$"), "必须大于等于 {0}。"),
    (re.compile(r"^Must be less than or equal to (.+)\.$"), "必须小于等于 {0}。"),
    # Range(min_inclusive=False / max_inclusive=False): the bound is one word, so "greater than (…)" cannot
    # take "or equal to 1" for its bound.
    (re.compile(r"^Must be greater than (\S+) and less than or equal to (\S+)\.$"), "必须大于 {0} 且小于等于 {1}。"),
    (re.compile(r"^Must be greater than (\S+) and less than (\S+)\.$"), "必须大于 {0} 且小于 {1}。"),
    (re.compile(r"^Must be greater than (\S+)\.$"), "必须大于 {0}。"),
    (re.compile(r"^Must be less than (\S+)\.$"), "必须小于 {0}。"),
    (re.compile(r"^Must be one of: (.+)\.$"), "必须是以下之一:{0}。"),
    (re.compile(r"^Shorter than minimum length (.+)\.$"), "长度不能少于 {0}。"),
    (re.compile(r"^Longer than maximum length (.+)\.$"), "长度不能超过 {0}。"),
    (re.compile(r"^Length must be between (.+) and (.+)\.$"), "长度必须在 {0} 到 {1} 之间。"),
]


def to_zh(message: str) -> str:
    """The Chinese of a validation message (the English when none is known)."""
    zh = getattr(message, "zh", None)
    if zh:
        return zh
    if message in _EXACT:
        return _EXACT[message]
    for pattern, template in _PATTERNS:
        match = pattern.match(message)
        if match:
            return template.format(*match.groups())
    return message


@dataclass(frozen=True)
class FieldError:
    """One problem with one field of one input record.

    ``field`` is the field's name (``rank``, ``credit_code``; nested as
    ``values.2``), or ``None`` for a problem with the record as a whole.
    """

    field: str | None
    message: str
    message_zh: str

    @classmethod
    def make(cls, field: str | None, message: str) -> FieldError:
        return cls(field, str(message), to_zh(message))

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "message": self.message, "message_zh": self.message_zh}


def flatten_errors(messages: Any, prefix: str | None = None) -> list[FieldError]:
    """Marshmallow's nested ``{field: [messages]}`` as a flat list."""
    out: list[FieldError] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key == "_schema":
                name = prefix
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            out.extend(flatten_errors(value, name))
    elif isinstance(messages, (list, tuple)):
        for message in messages:
            if isinstance(message, (dict, list, tuple)):
                out.extend(flatten_errors(message, prefix))
            else:
                out.append(FieldError.make(prefix, message))
    else:
        out.append(FieldError.make(prefix, messages))
    return out
