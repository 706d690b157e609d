"""Bilingual text, and money, dates and clauses as explanations write them.

Everything a plugin shows to a user (labels, explanations, error messages)
comes in Chinese and English, Chinese first. Money is integer yuan
throughout the project; these helpers only format it. Dates and clauses are
written as an official document writes them in each language
(docs/plugins/explanations.md): ``2022年8月1日`` / ``1 August 2022``,
``第三部分第(二)项`` / ``Part III, item (2)``.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

__all__ = ["Text", "as_text", "clause_words", "date_en", "date_zh", "format_yuan_en", "format_yuan_zh", "lookalike",
           "name_key", "visible_text", "with_lookalike"]


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


def visible_text(text: str) -> str:
    """``text`` without its format characters (Unicode category Cf), which show nothing.

    Zero-width spaces and joiners, the byte-order mark, soft hyphens and the
    bidirectional controls come with text pasted from web pages, PDFs and
    word processors. Left in, they make two names that read the same differ
    (a second one-time reward for the "same" project, a rename that renames
    nothing) and a valid code look invalid for no visible reason; a
    right-to-left override shows a name reversed. Printable text (nearly
    all of it) is returned as it is, without looking at each character.
    """
    if text.isprintable():  # every format character is unprintable
        return text
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def name_key(name: str) -> str:
    """A name (a project's, say) as rules compare it: "the same project" is the one that reads the same.

    Full-width forms, case, runs of spaces, spaces at either end and the
    characters that show nothing (``visible_text``) are set aside:
    ``name_key(" ＬＥＤ  照明\\u200b试点") == name_key("led 照明试点")``. A
    plain name's key is what it was before ``visible_text`` joined in, so the
    one-time keys stored with outcomes still match. reward_tiers pays one
    project (an award's, a pilot's) once by it; city_targets counts a project
    once by it.
    """
    return " ".join(visible_text(unicodedata.normalize("NFKC", name)).split()).casefold()


#: The scripts whose letters pass for English ones in a code (a Cyrillic Т, a Greek Α, a dotless ı).
_LOOKALIKE_SCRIPTS = {"CYRILLIC": Text("西里尔字母", "a Cyrillic letter"), "GREEK": Text("希腊字母", "a Greek letter"),
                      "LATIN": Text("非英文的拉丁字母", "a Latin letter English does not use")}


def lookalike(code: str) -> Text | None:
    """Why a refused code may look right: its first letter that passes for an English one and is not.

    ``GB/Т 45123-2025`` with a Cyrillic Т reads as a valid number and is
    refused; the message alone would leave the clerk staring at it. ``None``
    when every letter is ASCII after NFKC (full-width letters are).
    """
    for ch in unicodedata.normalize("NFKC", code):
        if ch.isalpha() and not ch.isascii():
            script = _LOOKALIKE_SCRIPTS.get(unicodedata.name(ch, "").split(" ")[0])
            if script is not None:
                u = f"U+{ord(ch):04X}"
                return Text(f"其中的“{ch}”是{script.zh}({u}),不是英文字母,请用英文字母重新输入",
                            f"its {ch!r} is {script.en} ({u}), not an English one: type it again in English letters")
    return None


def with_lookalike(reason: Text, code: str) -> Text:
    """``reason`` for refusing ``code``, followed by ``lookalike``'s hint where the code holds such a letter."""
    hint = lookalike(code)
    return reason if hint is None else Text(f"{reason.zh}。{hint.zh}", f"{reason.en}; {hint.en}")


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


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def date_zh(day: date) -> str:
    """A date as an official document writes it: ``2022年8月1日``."""
    return f"{day.year}年{day.month}月{day.day}日"


def date_en(day: date) -> str:
    """A date in an English explanation: ``1 August 2022`` (English month names whatever the process's locale)."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


_NUMERALS = "一二三四五六七八九"
_ROMAN = ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
#: 二(五)1: part, item and point as the document numbers them (the point is optional).
_CLAUSE = re.compile(r"^([一二三四五六七八九十]+)\s*[(（]([一二三四五六七八九十]+)[)）]\s*(\d+)?$")


def _chinese_number(text: str) -> int:
    """一 … 九十九."""
    tens, _, units = text.rpartition("十")
    if "十" not in text:
        return _NUMERALS.index(text) + 1
    return (_NUMERALS.index(tens) + 1 if tens else 1) * 10 + (_NUMERALS.index(units) + 1 if units else 0)


def _roman(number: int) -> str:
    out = ""
    for value, letters in _ROMAN:  # parts are few: up to 39
        while number >= value:
            out, number = out + letters, number - value
    return out


def clause_words(clause: str) -> Text:
    """A clause of the policy as an explanation cites it: ``二(五)1`` → ``第二部分第(五)项第1目`` / ``Part II, item (5), point 1``.

    ``三(二)`` (no point) gives ``第三部分第(二)项`` / ``Part III, item (2)``.
    The English never carries the Chinese numerals. Anything else comes back
    unchanged in both languages.
    """
    found = _CLAUSE.match(clause.strip())
    if found is None:
        return Text(clause, clause)
    part, item, point = found.groups()
    try:
        numbers = _chinese_number(part), _chinese_number(item)
    except ValueError:  # 十十: not a numeral
        return Text(clause, clause)
    zh = f"第{part}部分第({item})项" + (f"第{point}目" if point else "")
    en = f"Part {_roman(numbers[0])}, item ({numbers[1]})" + (f", point {point}" if point else "")
    return Text(zh, en)
