"""Monitoring periods: a year (``2024``) or a quarter (``2024Q3``).

Offices write periods many ways (``2024年``, ``2024年第3季度``, ``2024-Q3``,
``2024 q3``); they are read into one canonical form so that the same
period is one period on every page and in every trend.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from core import Text

__all__ = ["InvalidPeriod", "Period", "parse_period"]

_YEAR = re.compile(r"^(?P<year>\d{4})年?$")
_QUARTER = re.compile(r"^(?P<year>\d{4})(?:年)?[-\s/]*(?:第)?(?:Q(?P<q1>[1-4])|(?P<q2>[1-4])季度|(?P<q3>[一二三四])季度)$",
                      re.IGNORECASE)
_CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4}


class InvalidPeriod(ValueError):
    """A period that is neither a year nor a quarter; ``text`` says so in both languages."""

    def __init__(self, value: str) -> None:
        given = value if len(value) <= 40 else value[:40] + "…"  # a pasted paragraph is not echoed whole
        self.text = Text(
            f"“{given}”不是有效的监测期:应为年度(如 2024)或季度(如 2024Q3、2024年第3季度)",
            f"{given!r} is not a monitoring period: a year (2024) or a quarter (2024Q3)",
        )
        super().__init__(self.text.en)


@dataclass(frozen=True)
class Period:
    """A year, or a quarter of a year (``quarter`` 1–4)."""

    year: int
    quarter: int | None = None

    @property
    def sort_key(self) -> tuple[int, int]:
        """Chronological order: a year's quarters, then the year's own figure (the whole year)."""
        return (self.year, self.quarter or 5)

    @property
    def code(self) -> str:
        """The canonical form: ``2024`` or ``2024Q3``."""
        return f"{self.year}Q{self.quarter}" if self.quarter else str(self.year)

    @property
    def start(self) -> date:
        return date(self.year, 3 * (self.quarter - 1) + 1, 1) if self.quarter else date(self.year, 1, 1)

    @property
    def end(self) -> date:
        if not self.quarter:
            return date(self.year, 12, 31)
        month = 3 * self.quarter
        return date(self.year, month, 31 if month in (3, 12) else 30)

    @property
    def label(self) -> Text:
        if self.quarter:
            return Text(f"{self.year}年第{self.quarter}季度", f"Q{self.quarter} {self.year}")
        return Text(f"{self.year}年度", f"{self.year}")

    def __str__(self) -> str:
        return self.code


def parse_period(value: str) -> Period:
    """``2024``, ``2024年``, ``2024Q3``, ``2024-Q3``, ``2024年第3季度``, ``2024年第三季度`` → a ``Period``."""
    if not isinstance(value, str):
        raise InvalidPeriod(str(value))
    text = unicodedata.normalize("NFKC", value).strip()
    found = _YEAR.match(text)
    if found:
        year, quarter = int(found["year"]), None
    else:
        found = _QUARTER.match(text)
        if not found:
            raise InvalidPeriod(value)
        year = int(found["year"])
        quarter = int(found["q1"] or found["q2"]) if (found["q1"] or found["q2"]) else _CHINESE_DIGITS[found["q3"]]
    if not 2000 <= year <= 2100:
        raise InvalidPeriod(value)
    return Period(year, quarter)
