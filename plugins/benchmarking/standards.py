"""Benchmark standards: the international or foreign advanced standard a product is measured against.

二(六)1 reads 合理采用国际标准和国外先进标准, and 二(七)2 瞄准国际先进标准: a benchmark
is an international standard (ISO, IEC, ITU — numbers parsed by core's
``parse_standard_number``, the same rules as everywhere in stdpolicy) or a
standard of a recognised foreign body (regional or national: EN, JIS,
ASTM, DIN, BS, ANSI, UL). A Chinese standard is not a benchmark in this
sense, and a body outside the list is refused by name, so a typo in the
body (``ISQ 9001``) never passes as "foreign".

The foreign formats follow each publisher's own identifier syntax as
documented by the PubID project (https://www.pubid.com/publishers/jis,
https://www.pubid.com/publishers/astm/standard, https://www.pubid.com/publishers/bsi,
https://www.pubid.com/concepts/algebra.html for EN's ``+A1:2008``):

===== ==========================================================
EN    ``EN 60335-1:2012``, ``EN 196-3:2005+A1:2008``, ``EN ISO 14683:2019``
JIS   ``JIS C 8990:2009`` (a division letter, 4–5 digits, parts, ``:year``)
ASTM  ``ASTM D638-14``, ``ASTM E8/E8M-22``, ``ASTM D3359-17a``
DIN   ``DIN 1988-300:2012``, ``DIN EN ISO 9001:2015``
BS    ``BS 476-22:1987``, ``BS EN 60335-1:2012+A13:2017``, ``BS ISO 9001:2015``
ANSI  ``ANSI Z535.1-2017``, ``ANSI/UL 1741``
UL    ``UL 94``, ``UL 1741`` (editions rather than years: the year may be absent)
===== ==========================================================

DIN, ANSI and UL numbers are checked leniently (body, number, optional parts
and year): their publishers' schemes vary more than the others'. Readings in
docs/policy-readings.md ("benchmarking").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from core import InvalidStandardNumber, Text, parse_standard_number

__all__ = ["BODIES", "BenchmarkStandard", "InvalidBenchmarkStandard", "parse_benchmark_standard"]

#: Recognised bodies: international (ISO, IEC, ITU) and foreign advanced, with their names.
BODIES: dict[str, Text] = {
    "ISO": Text("国际标准化组织(ISO)", "International Organization for Standardization (ISO)"),
    "IEC": Text("国际电工委员会(IEC)", "International Electrotechnical Commission (IEC)"),
    "ITU": Text("国际电信联盟(ITU)", "International Telecommunication Union (ITU)"),
    "EN": Text("欧洲标准(EN)", "European standard (EN)"),
    "JIS": Text("日本工业标准(JIS)", "Japanese Industrial Standard (JIS)"),
    "ASTM": Text("美国材料与试验协会标准(ASTM)", "ASTM International standard"),
    "DIN": Text("德国标准化学会标准(DIN)", "German standard (DIN)"),
    "BS": Text("英国标准(BS)", "British Standard (BS)"),
    "ANSI": Text("美国国家标准(ANSI)", "American National Standard (ANSI)"),
    "UL": Text("美国保险商实验室标准(UL)", "UL standard"),
}
INTERNATIONAL_BODIES = ("ISO", "IEC", "ITU")

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"), "-")
_PARTS = r"\d+(?:[.-]\d+)*"
_EN_YEAR = r"(?::(?P<year>\d{4}))(?:\+A\d+:\d{4})*"
_FOREIGN: dict[str, re.Pattern[str]] = {
    "EN": re.compile(rf"^EN (?:(?:ISO|IEC|ISO/IEC) )?{_PARTS}{_EN_YEAR}$"),
    "JIS": re.compile(r"^JIS [A-Z] \d{4,5}(?:-\d+)*:(?P<year>\d{4})(?:/AMD ?\d+:\d{4})?$"),
    "ASTM": re.compile(r"^ASTM [A-G]\d{1,5}(?:/[A-G]\d{1,5}M)?M?-(?P<year>\d{2}|\d{4})[a-z]?(?: ?\(\d{4}\))?$"),
    "DIN": re.compile(rf"^DIN (?:(?:EN|ISO|IEC|VDE|SPEC) )*{_PARTS}(?::(?P<year>\d{{4}}))?$"),
    "BS": re.compile(rf"^BS (?:(?:EN|ISO|IEC) )*{_PARTS}(?::(?P<year>\d{{4}}))?(?:\+A\d+:\d{{4}})*$"),
    "ANSI": re.compile(r"^ANSI(?:/[A-Z]+)* [A-Z]{0,2}\d+(?:\.\d+)*(?:-(?P<year>\d{4}))?$"),
    "UL": re.compile(r"^UL \d+[A-Z]?(?:-\d+)*(?::(?P<year>\d{4}))?$"),
}
_BODY = re.compile(r"^([A-Z]+)")


class InvalidBenchmarkStandard(ValueError):
    """Not an international or recognised foreign standard number; ``text`` says why, in both languages."""

    def __init__(self, text: Text) -> None:
        super().__init__(text.en)
        self.text = text


@dataclass(frozen=True)
class BenchmarkStandard:
    """A parsed benchmark standard number."""

    #: Canonical spelling (``JIS C 8990:2009``).
    code: str
    #: ``ISO``, ``IEC``, ``ITU``, ``EN``, ``JIS`` …
    body: str
    #: ``international`` (ISO, IEC, ITU) or ``foreign`` (a foreign advanced standard).
    scope: str
    year: int | None = None

    @property
    def body_name(self) -> Text:
        return BODIES[self.body]


SCOPE_NAMES: dict[str, Text] = {
    "international": Text("国际标准", "international standard"),
    "foreign": Text("国外先进标准", "foreign advanced standard"),
}


def _normalise(value: str) -> str:
    text = unicodedata.normalize("NFKC", value).translate(_DASHES)
    text = " ".join(text.split())
    text = re.sub(r"\s*/\s*", "/", text)
    text = re.sub(r"\s*:\s*", ":", text)
    text = re.sub(r"^(?:[A-Za-z] )+[A-Za-z](?= )", lambda m: m[0].replace(" ", ""), text)  # "I E C 60335" → "IEC 60335"
    # Upper-case all but an ASTM revision letter (``-17a``) and an ISO amendment's ``Amd``.
    head, sep, tail = text.partition(" ")
    return head.upper() + sep + (tail if head.upper() == "ASTM" else tail.upper())


def parse_benchmark_standard(value: object) -> BenchmarkStandard:
    """Parse ``value``; raise ``InvalidBenchmarkStandard`` naming what is wrong."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidBenchmarkStandard(Text("对标标准编号不能为空", "the benchmark standard number is empty"))
    text = _normalise(value)
    found = _BODY.match(text)
    body = found[1] if found else ""
    if body in ("ISO", "IEC", "ITU"):
        try:
            number = parse_standard_number(text)
        except InvalidStandardNumber as exc:
            raise InvalidBenchmarkStandard(exc.text) from None
        return BenchmarkStandard(number.code, body, "international", number.year)
    pattern = _FOREIGN.get(body)
    if pattern is None:
        known = "、".join(BODIES)
        raise InvalidBenchmarkStandard(Text(
            f"{text} 不是国际标准或可识别的国外先进标准(发布机构应为 {known} 之一)",
            f"{text} is not an international or recognised foreign advanced standard "
            f"(the body must be one of {', '.join(BODIES)})",
        ))
    match = pattern.match(text)
    if match is None:
        raise InvalidBenchmarkStandard(Text(
            f"{text} 不是有效的{BODIES[body].zh}编号",
            f"{text} is not a valid {BODIES[body].en} number",
        ))
    raw = match.groupdict().get("year")
    year = None
    if raw:
        year = int(raw) if len(raw) == 4 else (1900 + int(raw) if int(raw) >= 50 else 2000 + int(raw))
    return BenchmarkStandard(text, body, "foreign", year)
