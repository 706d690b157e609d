"""Bilingual text and money formatting.

Everything a plugin shows to a user (labels, explanations, error messages)
comes in Chinese and English, Chinese first. Money is integer yuan
throughout the project; these helpers only format it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

__all__ = ["Text", "format_yuan_en", "format_yuan_zh", "as_text"]


class Text(NamedTuple):
    """A piece of user-facing text in Chinese (``zh``) and English (``en``)."""

    zh: str
    en: str

    def get(self, lang: str) -> str:
        """The text in ``lang`` (``zh``, ``zh_CN``, ``en`` …); Chinese otherwise."""
        return self.en if lang.lower().startswith("en") else self.zh

    def to_json(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}


def as_text(value: Any, *, where: str = "text") -> Text:
    """Coerce a ``{"zh": …, "en": …}`` mapping, a pair or a ``Text`` to ``Text``.

    Declarations written as YAML or plain dicts go through this, so a missing
    language is caught at start-up rather than on a page.
    """
    if isinstance(value, Text):
        return value
    if isinstance(value, dict):
        try:
            zh, en = value["zh"], value["en"]
        except KeyError as exc:
            raise ValueError(f"{where}: needs both 'zh' and 'en', missing {exc}") from None
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        zh, en = value
    else:
        raise ValueError(f"{where}: expected {{'zh': …, 'en': …}}, got {value!r}")
    if not isinstance(zh, str) or not isinstance(en, str) or not zh or not en:
        raise ValueError(f"{where}: 'zh' and 'en' must be non-empty strings")
    return Text(zh, en)


def format_yuan_en(amount: int | Decimal) -> str:
    """``1000000`` → ``¥1,000,000``."""
    return f"¥{amount:,}"


def format_yuan_zh(amount: int | Decimal) -> str:
    """``1000000`` → ``100万元``; amounts under ten thousand yuan → ``5,000元``.

    Chinese officials read reward amounts in 万元 (ten thousand yuan), as the
    policy text itself writes them ("100万元").
    """
    if amount and amount % 10000 == 0:
        return f"{amount // 10000:,}万元"
    if amount >= 10000 or amount <= -10000:
        wan = Decimal(amount) / 10000
        return f"{wan.normalize():f}万元"
    return f"{amount:,}元"
