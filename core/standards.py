"""Standard numbers (标准编号): normalise, parse, and tell the level.

Numbers arrive in many spellings: full-width letters (``Ｇ／Ｔ``), em dashes
(``GB/T 1.1—2020``, the official form), a missing space after the code
(``DB23/T1496.26-2021``). ``normalise`` maps them to one canonical form
(``GB/T 1.1-2020``), which is what duplicate detection compares.
``parse`` then recognises the kind of number and its level:

=============== ======================================================
international    ``ISO 9001:2015``, ``ISO/IEC 27001:2022``, ``IEC 62933-5-3:2024``, ``ITU-T Y.3172``
national         ``GB``, ``GB/T``, ``GB/Z``
industry         a sector code (``JB/T``, ``QC/T``, ``NB/SH/T``, ``JGJ``, ``DB/T`` …)
local            ``DB`` + province or city code (``DB33/T 2512-2022``)
military         ``GJB``, ``GJB/Z``
zhejiang_*       ``T/`` + a Zhejiang brand organisation code (``T/ZZB``)
group            other ``T/…``
enterprise       ``Q/…`` (no uniform format: checked leniently)
=============== ======================================================

The code lists live in ``core/data/standard_codes.yaml`` (or the file named
by ``STDPOLICY_STANDARD_CODES``), not in this module.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from . import clock
from .regions import PROVINCES
from .screening import shortened
from .text import Text, visible_text, with_lookalike

__all__ = [
    "BRAND_LEVELS",
    "InvalidStandardNumber",
    "LEVELS",
    "StandardCodes",
    "StandardNumber",
    "normalise",
    "parse",
    "standard_codes",
]

#: Every level a standard can have (the ``level`` field of a drafting record).
LEVELS = (
    "international", "national", "industry", "local", "military",
    "zhejiang_made", "zhejiang_service", "zhejiang_agri", "group", "enterprise",
)
BRAND_LEVELS = ("zhejiang_made", "zhejiang_service", "zhejiang_agri")

LEVEL_NAMES: dict[str, Text] = {
    "international": Text("国际标准", "international standard"),
    "national": Text("国家标准", "national standard"),
    "industry": Text("行业标准", "industry standard"),
    "local": Text("地方标准", "local standard"),
    "military": Text("军用标准", "military standard"),
    "zhejiang_made": Text("“浙江制造”标准", "“Zhejiang Made” standard"),
    "zhejiang_service": Text("“浙江服务”标准", "“Zhejiang Service” standard"),
    "zhejiang_agri": Text("“浙江农产”标准", "“Zhejiang Agricultural” standard"),
    "group": Text("团体标准", "group standard"),
    "enterprise": Text("企业标准", "enterprise standard"),
}


class InvalidStandardNumber(ValueError):
    """Not a standard number this project recognises; ``text`` says why."""

    def __init__(self, text: Text) -> None:
        super().__init__(text.en)
        self.text = text


@dataclass(frozen=True)
class StandardCodes:
    """The configurable code lists (see ``core/data/standard_codes.yaml``)."""

    industry: frozenset[str]
    brands: dict[str, frozenset[str]]
    provincial_committees: frozenset[str] = frozenset()

    @classmethod
    def from_yaml(cls, text: str) -> StandardCodes:
        data = yaml.safe_load(text) or {}
        industry = set(data.get("industry") or ()) | set(data.get("industry_uncertain") or ()) | set(data.get("industry_extra") or ())
        brands = {level: frozenset(data.get("zhejiang_brands", {}).get(level) or ()) for level in BRAND_LEVELS}
        return cls(frozenset(industry), brands, frozenset(data.get("provincial_committees") or ()))


@lru_cache(maxsize=1)
def standard_codes() -> StandardCodes:
    """The code lists in use: ``$STDPOLICY_STANDARD_CODES`` or the shipped file."""
    path = os.environ.get("STDPOLICY_STANDARD_CODES")
    if path:
        return StandardCodes.from_yaml(Path(path).read_text(encoding="utf-8"))
    return StandardCodes.from_yaml(resources.files("core").joinpath("data/standard_codes.yaml").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class StandardNumber:
    """A parsed standard number."""

    #: Canonical form, e.g. ``GB/T 1.1-2020``; adoption notes removed.
    code: str
    #: The level the number itself shows (a group number with an unknown
    #: brand code shows ``group``).
    level: str
    #: Levels a record may declare for this number.
    allowed_levels: frozenset[str]
    prefix: str
    year: int | None = None
    #: ``ISO 14025:2006, IDT`` for ``GB/T 24025-2009 (ISO 14025:2006, IDT)``.
    adopted: str | None = None
    #: An amendment or corrigendum of an existing standard (``…/Amd 1:2024``);
    #: ``year`` is then the amendment's year.
    amendment: bool = False


_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"), "-")
_ADOPTION = re.compile(r"\s*\(\s*(?P<source>[^()]+?)\s*,\s*(?P<degree>IDT|MOD|NEQ)\s*\)\s*$", re.IGNORECASE)
_SPACED_SLASH = re.compile(r"\s*/\s*")
# The slash before a recommended (/T) or guiding (/Z) marker, left out or mistyped as file names and
# keyboards write it: "GBT 45123-2025", "GB T 45123", "GB-T", "GB\T", "DB33T 1234-2020", "JB T 1234".
# A national or local code is known without the code list; an industry code only with a separator
# here (without one, "JBT", _parse asks the code list: JGJ is a code, JGJT is JGJ/T).
_UNSLASHED = re.compile(
    r"^(?P<code>GB|DB\d{2,6}(?=[TZ\-\\ ])|(?!ISO|IEC|ITU)[A-Z]{2,3}(?=\s*[\-\\ ]))\s*[\-\\ ]?\s*(?P<marker>[TZ])\s*(?=\d)"
)
_SPACED_LETTERS = re.compile(r"^(?:[A-Z] )+[A-Z](?=[/ ]|\d)")
_SPACED_DASH = re.compile(r"(?<=\d)\s*-\s*(?=\d)")
# Only a local code carries digits (the region: DB33, DB5323); any other code
# ends at its last letter, so "GB18613-2020" is "GB 18613-2020", not "GB1861 3-2020".
_MISSING_SPACE = re.compile(r"^(?P<prefix>(?:ISO|IEC)(?:/[A-Z]+)*|(?:DB\d{0,6}|[A-Z]{1,4})(?:/[A-Z]{1,5})*/?)\s*(?P<rest>\d)")

_NUM = r"\d+(?:\.\d+)*"
# A part may carry letters where the standard is an IEEE one adopted by ISO/IEC
# (IEEE 802.1Q is ``ISO/IEC/IEEE 8802-1Q:2020``; its overview ``8802-A:2015``).
_INTERNATIONAL = re.compile(
    r"^(?P<body>(?:ISO|IEC)(?:/(?:IEC|IEEE|ASTM|SAE|HL7))*(?:/(?:TS|TR|PAS|IS|IWA))?(?: (?:TS|TR|PAS))?) "
    r"\d+(?:-(?:\d+[A-Z]{0,2}|[A-Z]))*:(?P<year>\d{4})(?P<amendments>(?:/(?:Amd|Cor|AMD|COR) ?\d+:\d{4})*)$"
)
_AMENDMENT_YEAR = re.compile(r":(\d{4})$")
_AMENDMENT = re.compile(r"\s*/\s*(AMD|COR)\s*(\d+)")
_ITU = re.compile(r"^ITU-[TRD] [A-Z]{1,2}\.\d+(?:\.\d+)*(?:-\d+)?(?: \((?:\d{2}/)?(?P<year>\d{4})\))?$")
_DRAFT = re.compile(r"^(?:ISO|IEC)(?:/IEC)?/(?:DIS|FDIS|CD|WD|NP|AWI|PWI|DTS|DTR|DPAS|CDV|ACDV)\b|^(?:ISO|IEC) (?:DIS|FDIS|CD|WD)\b")


#: Spellings that ``normalise`` returns unchanged: plain ASCII, one space
#: between the code and the number, no adoption note, no amendment, every part
#: within the lengths ``_MISSING_SPACE`` reads (a longer or digit-bearing code
#: may be split there). Most numbers arrive like this (``GB/T 42587-2023``,
#: ``DB33/T 2512-2022``, ``DB33/ 1022-2022``, ``ISO/IEC 27001:2024``); they
#: skip the NFKC pass and the seven rewriting regexes (~25 µs → ~0.5 µs).
#: tests/test_standards_speed.py compares the result with the full path's.
#: ASCII digits only: a full-width or other Unicode digit must go through NFKC.
#: Canonical in form but for the slash of GB/T or GB/Z (_UNSLASHED): not taken as they are.
_GB_UNSLASHED = ("GBT", "GBZ")
_CANONICAL = re.compile(
    r"(?:[A-Z]{1,4}(?:/[A-Z]{1,5})*|DB\d{2,6}/T?|(?:ISO|IEC)(?:/[A-Z]+)*) \d+(?:[.-]\d+)*[A-Z]?(?:-\d{2,4}|:\d{4})",
    re.ASCII,
)


def normalise(value: str) -> str:
    """The canonical spelling of a standard number (not yet validated)."""
    if _CANONICAL.fullmatch(value) and "AMD" not in value and "COR" not in value and not value.startswith(_GB_UNSLASHED):
        return value
    return _normalise(value)


def _normalise(value: str) -> str:
    # Format characters (a zero-width space, a soft hyphen pasted with the number) show nothing: left out.
    text = unicodedata.normalize("NFKC", visible_text(value)).translate(_DASHES)
    text = " ".join(text.split())
    adoption = _ADOPTION.search(text)
    suffix = ""
    if adoption:
        suffix = f" ({normalise(adoption['source'])}, {adoption['degree'].upper()})"
        text = text[: adoption.start()]
    if text[:2].upper() == "Q/":  # enterprise numbers keep the company's own spelling
        text = "Q/" + text[2:].lstrip()
    else:
        text = _AMENDMENT.sub(lambda m: f"/{m[1].capitalize()} {m[2]}", text.upper())  # "/AMD1" → "/Amd 1"
    text = _SPACED_LETTERS.sub(lambda m: m[0].replace(" ", ""), text)  # "G B/T" → "GB/T"
    text = _UNSLASHED.sub(r"\g<code>/\g<marker> ", text, count=1)  # "GBT 1-2020", "GB-T 1-2020" → "GB/T 1-2020"
    text = _SPACED_SLASH.sub("/", text)
    text = _SPACED_DASH.sub("-", text)
    if not text.startswith(("ITU-", "Q/")):
        text = _MISSING_SPACE.sub(r"\g<prefix> \g<rest>", text, count=1)
    local = re.match(r"^DB(\d+)/? (\d)", text)  # a mandatory local standard is written "DB12/ 617-2016"
    if local and not text.startswith(f"DB{local[1]}/T"):
        text = f"DB{local[1]}/ {text[local.end(2) - 1:]}"
    return text + suffix


def _year(match: re.Match[str]) -> int | None:
    """The year of a match's ``year`` group (``_year_of``), ``None`` where the number carries none."""
    raw = match["year"]
    return None if raw is None else _year_of(raw)


#: Numbers parsed successfully, per code list. A batch names the same standard
#: once per drafting unit and again in repeated reports: two thirds of the
#: numbers of the benchmark's 100,000 activities are repeats, and parsing was
#: ~15 % of validating them. Only successes are kept: a refusal may depend on
#: today's date (the year check), an acceptance cannot become wrong as days
#: pass. Keyed by the code list's identity (it holds a dict, so it does not
#: hash); the entry keeps the list alive, so the identity cannot be reused.
_PARSED: dict[tuple[str, int], tuple[StandardCodes, StandardNumber]] = {}
_PARSED_MAX = 65_536


def parse(value: str, codes: StandardCodes | None = None) -> StandardNumber:
    """Parse a standard number; raise ``InvalidStandardNumber`` with the reason."""
    codes = codes or standard_codes()
    key = (value, id(codes))
    try:
        held, number = _PARSED[key]
    except (KeyError, TypeError):  # TypeError: not a string, _parse says so
        pass
    else:
        if held is codes:
            return number
    try:
        number = _parse(value, codes)
    except InvalidStandardNumber as exc:
        if not isinstance(value, str):
            raise
        raise InvalidStandardNumber(with_lookalike(exc.text, value)) from None
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.clear()
    _PARSED[key] = (codes, number)
    return number


#: ``frozenset({level})`` for every level, built once.
_ONLY = {level: frozenset({level}) for level in LEVELS}


_new = object.__new__
_set = object.__setattr__


def _number(code: str, level: str, allowed_levels: frozenset[str], prefix: str, year: int | None,
             adopted: str | None, amendment: bool) -> StandardNumber:
    """``StandardNumber(…)`` without the frozen dataclass's ``__init__``.

    A frozen dataclass sets each field through ``object.__setattr__`` (~2 µs
    for seven fields, as much as the rest of parsing a canonical number);
    giving the instance its ``__dict__`` whole gives the same object (equal,
    same hash and repr, pickled alike), still frozen against later assignment.
    """
    number = _new(StandardNumber)
    _set(number, "__dict__", {"code": code, "level": level, "allowed_levels": allowed_levels, "prefix": prefix,
                              "year": year, "adopted": adopted, "amendment": amendment})
    return number


#: The national, military, local, group and industry numbers as one
#: alternation, in the order ``_parse`` used to try their five patterns one by
#: one (baseline/standards_old.py): the first that matches wins either way, and
#: one match costs a fifth of five. Each alternative is a named group
#: (``lastgroup``: which one matched) holding its year as ``<name>_year``.
_FAMILIES = re.compile(
    rf"^(?:(?P<national>GB(?:/[TZ])? {_NUM}-(?P<national_year>\d{{4}}|\d{{2}}))$"
    rf"|(?P<military>GJB(?:/Z)? {_NUM}[A-Z]?-(?P<military_year>\d{{4}}|\d{{2}}))$"
    rf"|(?P<local>DB(?P<region>\d+)(?:/T|/)? {_NUM}-(?P<local_year>\d{{4}}|\d{{2}}))$"
    rf"|(?P<group>T/(?P<org>[A-Z][A-Z0-9]*) {_NUM}-(?P<group_year>\d{{4}}|\d{{2}}))$"
    rf"|(?P<industry>(?P<code>[A-Z]{{2,4}})(?:/(?P<segment>[A-Z]{{2,3}}))?(?:/[TZ])? {_NUM}-(?P<industry_year>\d{{4}}|\d{{2}}))$)"
)
_FAMILY_YEAR = {name: _FAMILIES.groupindex[f"{name}_year"]
                for name in ("national", "military", "local", "group", "industry")}


def _year_of(raw: str) -> int:
    """The year of a number's year digits (two digits: 19xx), refused when implausible."""
    if len(raw) == 2:  # numbers before 1995 carry two-digit years
        return 1900 + int(raw)
    year = int(raw)
    if not 1949 <= year <= clock.today().year + 1:
        raise InvalidStandardNumber(Text(f"年份 {raw} 不合理", f"the year {raw} is not plausible"))
    return year


#: The longest number accepted, in characters once normalised. The longest real
#: ones run to about 60 (``ISO/IEC/IEEE 8802-1Q:2020/Amd 31:2024``, or a national
#: number with its adoption note ``GB/T 20438.1-2017 (IEC 61508-1:2010, IDT)``).
MAX_LENGTH = 100
#: The most digits a sequence number or one of its parts has: national numbers have
#: reached five (``GB/T 45123``), as have ISO and IEC ones (``IEC 62443``); one
#: more leaves room. A longer run (``GB/T 4444444444-2025``) is no standard's.
MAX_DIGITS = 6
_LONG_RUN = re.compile(rf"\d{{{MAX_DIGITS + 1},}}")


def _implausible(full: str) -> None:
    """Refuse a number no standard has: longer than ``MAX_LENGTH``, or (but for an
    enterprise number, whose codes are the company's own) a run of more than ``MAX_DIGITS`` digits."""
    if len(full) > MAX_LENGTH:
        raise InvalidStandardNumber(Text(
            f"标准编号过长:共{len(full):,}个字符,至多{MAX_LENGTH}个({shortened(full, 40)})",
            f"the standard number is too long: {len(full):,} characters, at most {MAX_LENGTH} ({shortened(full, 40)})",
        ))
    if not full.startswith("Q/") and (run := _LONG_RUN.search(full)) is not None:
        digits = run.group()
        raise InvalidStandardNumber(Text(
            f"{shortened(full, MAX_LENGTH)} 中的数字 {shortened(digits, 20)} 有{len(digits)}位:标准的顺序号至多{MAX_DIGITS}位,年份4位",
            f"{shortened(full, MAX_LENGTH)} has a run of {len(digits)} digits ({shortened(digits, 20)}): "
            f"a standard's sequence number has at most {MAX_DIGITS}, its year 4",
        ))


def _parse(value: str, codes: StandardCodes) -> StandardNumber:
    # normalise(), inline: most numbers are canonical already (and so neither empty nor blank)
    if (isinstance(value, str) and _CANONICAL.fullmatch(value) and "AMD" not in value and "COR" not in value
            and not value.startswith(_GB_UNSLASHED)):
        full = value
    elif not isinstance(value, str) or not visible_text(value).strip():
        raise InvalidStandardNumber(Text("标准编号不能为空", "the standard number is empty"))
    else:
        full = _normalise(value)
    if len(full) > 24 or _LONG_RUN.search(full) is not None:  # the common short number skips the call
        _implausible(full)
    if "(" in full and (adoption := _ADOPTION.search(full)):
        code = full[: adoption.start()]
        adopted: str | None = f"{adoption['source']}, {adoption['degree']}"
    else:
        code, adopted = full, None
    if not code.startswith(("Q/", "ISO", "IEC", "ITU")) and (m := _FAMILIES.match(code)) is not None:
        family = m.lastgroup
        raw_year: str = m[_FAMILY_YEAR[family]]  # type: ignore[index]
        # Each family checks what it checked before, in the same order (which refusal comes first).
        if family == "national" or family == "military":
            return _number(code, family, _ONLY[family], code.split(" ")[0], _year_of(raw_year), adopted, False)
        if family == "local":
            region = m["region"]
            if len(region) not in (2, 4) or region[:2] not in PROVINCES:
                raise InvalidStandardNumber(Text(
                    f"地方标准代号 DB{region} 中的行政区划代码无效", f"DB{region}: not a province (2 digits) or city (4 digits) code",
                ))
            return _number(code, "local", _ONLY["local"], f"DB{region}", _year_of(raw_year), adopted, False)
        if family == "group":
            org = m["org"]
            year = _year_of(raw_year)
            for level, orgs in codes.brands.items():
                if org in orgs:
                    return _number(code, level, _ONLY[level], f"T/{org}", year, adopted, False)
            unknown_brands = {level for level, orgs in codes.brands.items() if not orgs}
            return _number(code, "group", frozenset({"group"} | unknown_brands), f"T/{org}", year, adopted, False)
        if m["code"] in codes.industry or code.startswith("DB/T"):
            return _number(code, "industry", _ONLY["industry"], code.split(" ")[0], _year_of(raw_year), adopted, False)
        if m["code"][-1] in "TZ" and m["code"][:-1] in codes.industry and code[len(m["code"])] == " ":
            # An industry code's slash left out ("JBT 1234-2020", "JGJT 1-2020"): the code list tells JGJT from JGJ.
            return _parse(f"{m['code'][:-1]}/{m['code'][-1]}{full[len(m['code']):]}", codes)
        raise InvalidStandardNumber(Text(f"未知的行业标准代号 {m['code']}", f"unknown industry standard code {m['code']}"))
    return _parse_other(code, adopted)


def _parse_other(code: str, adopted: str | None) -> StandardNumber:
    """The numbers of no family: enterprise, international (both tried first, as ever), and the refusals."""

    def number(level: str, prefix: str, year: int | None, allowed: frozenset[str] | None = None,
               amendment: bool = False) -> StandardNumber:
        return _number(code, level, allowed or _ONLY[level], prefix, year, adopted, amendment)

    if code.startswith("Q/"):
        if len(code) < 4 or not re.search(r"\d", code):
            raise InvalidStandardNumber(Text("企业标准编号应为 Q/企业代号 顺序号-年份", "an enterprise standard is Q/<company> <number>-<year>"))
        return number("enterprise", "Q", None)
    if code.startswith(("ISO", "IEC", "ITU")):  # the only numbers the next three patterns can match
        if _DRAFT.match(code):
            raise InvalidStandardNumber(Text(f"{code} 是草案,不是已发布的标准", f"{code} is a draft, not a published standard"))
        if m := _INTERNATIONAL.match(code):
            if "/Cor" in m["amendments"]:
                raise InvalidStandardNumber(Text(
                    f"{code} 是勘误(Cor),只更正错误,不是制定的标准",
                    f"{code} is a corrigendum (Cor): it corrects errors, it is not a standard drafted",
                ))
            if "TR" in re.split(r"[/ ]", m["body"]):
                raise InvalidStandardNumber(Text(
                    f"{code} 是技术报告(TR),不是标准", f"{code} is a technical report (TR), not a standard",
                ))
            year = _year(m)
            amended = _AMENDMENT_YEAR.search(m["amendments"]) if m["amendments"] else None
            if amended is not None:
                year = int(amended[1])
            return number("international", m["body"].split(" ")[0].split("/")[0], year, amendment=bool(m["amendments"]))
        if m := _ITU.match(code):
            return number("international", "ITU", _year(m))
        raise InvalidStandardNumber(Text(
            f"{code} 不是有效的国际标准编号(应如 ISO 9001:2015,年份4位)",
            f"{code} is not a valid international standard number (e.g. ISO 9001:2015, four-digit year)",
        ))
    if code.startswith("GB"):
        raise InvalidStandardNumber(Text(
            f"{code} 不是有效的国家标准编号(应如 GB/T 1.1-2020)", f"{code} is not a valid national standard number (e.g. GB/T 1.1-2020)",
        ))
    if code.startswith("T/"):
        raise InvalidStandardNumber(Text(
            f"{code} 不是有效的团体标准编号(应如 T/ZZB 2109-2021)", f"{code} is not a valid group standard number (e.g. T/ZZB 2109-2021)",
        ))
    raise InvalidStandardNumber(Text(
        f"无法识别的标准编号 {code}(应为 代号 顺序号-年份)", f"unrecognised standard number {code} (expected CODE NUMBER-YEAR)",
    ))
