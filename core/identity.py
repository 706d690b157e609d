"""One standard, one identity: the same standard written differently is one standard.

A canonical number (``core``'s ``StandardNumberField`` has already applied
NFKC, dash and spacing rules) still admits spellings that name the same
standard, and the one-time rule and the readings across the register
(editions, ranks) must compare standards, not spellings:

- ISO and ISO/IEC share one number series: ``ISO/IEC 30141:2024`` is
  ``ISO 30141:2024``;
- an ITU-T Recommendation is named with or without its date suffix:
  ``ITU-T Y.3172 (06/2019)`` and ``ITU-T Y.3172`` published in 2019 are one;
- a standard's *series* (``GB/T 43700``) outlives its editions (``-2022``,
  ``-2024``); a military standard's edition letter (``GJB 10234A``) is part
  of its edition, not its series;
- mandatory, recommended and guidance numbers share one sequence: ``GB``,
  ``GB/T`` and ``GB/Z`` standards are numbered in one series (the parts of
  GB 17625 are ``GB 17625.1``, ``GB/T 17625.2``, ``GB/Z 17625.3``), as are an
  industry's (``JB``, ``JB/T``) and a province's (``DB33/``, ``DB33/T``): a
  number is one standard whichever of the three codes it is written with,
  and a standard turned from mandatory to recommended (``GB 12345-2010``,
  then ``GB/T 12345-2020``) is a later edition of its series. The series
  is spelt with ``/T``, the code most numbers carry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

__all__ = ["Identity", "identity_of", "register_prefixes", "spellings"]

# Part of the plugin API as ``StandardIdentity``, ``standard_identity`` and
# ``standard_register_prefixes`` (core/__init__.py): reward_tiers compares
# standards by it (readings 1–2) and city_targets counts each standard once by it.

_INTERNATIONAL = re.compile(r"^(?P<body>(?:ISO|IEC)\S*(?: (?:TS|TR|PAS))?) (?P<num>\d+(?:-(?:\d+[A-Z]{0,2}|[A-Z]))*):(?P<year>\d{4})(?P<amd>/.*)?$")
_ITU = re.compile(r"^(?P<base>ITU-[TRD] [A-Z]{1,2}\.\d+(?:\.\d+)*(?:-\d+)?)(?: \((?:\d{2}/)?(?P<year>\d{4})\))?$")
_MILITARY = re.compile(r"^(?P<base>GJB(?:/Z)? \d+(?:\.\d+)*)(?P<letter>[A-Z]?)-(?P<year>\d{2}|\d{4})$")
_DATED = re.compile(r"^(?P<base>.+)-(?P<year>\d{2}|\d{4})$")
#: A national, industry or local code and the marker that says mandatory (none; a local one ``/``),
#: recommended (``/T``) or guidance (``/Z``). Not a group (``T/…``), enterprise (``Q/…``) or military number.
_TYPED = re.compile(r"^(?P<code>GB|DB\d+|(?!GJB)[A-Z]{2,4}(?:/[A-Z]{2,3})?)(?P<marker>/[TZ]|/)? (?P<rest>\d.*)$")


@dataclass(frozen=True, order=True)
class Identity:
    """A standard as the readings compare it: its series and its edition.

    ``edition`` orders editions of one series: (year, letter). ``year`` is
    the year the number carries (the year the standard was issued), ``None``
    where the number carries none (an enterprise standard).
    """

    base: str
    year: int | None
    letter: str = ""
    #: The identity as text: the number as written (``GB/T 43700-2024``, ``ISO 30141:2024``,
    #: ``ITU-T Y.3172 (2019)``, ``GJB 10234A-2020``), so one-time keys stored before identities
    #: were compared stay the same; a national, industry or local number with the recommended
    #: marker (``GB 43700-2024`` → ``GB/T 43700-2024``), so the codes of one series share a key.
    key: str = field(default="", compare=False)

    @property
    def edition(self) -> tuple[int, str]:
        return (self.year or 0, self.letter)


def _year(text: str) -> int:
    return 1900 + int(text) if len(text) == 2 else int(text)


@lru_cache(maxsize=65_536)
def identity_of(code: str, published_year: int) -> Identity:
    """The identity of a canonical standard number (an ITU-T number without its date: the publication year).

    Cached: a pure function of its arguments returning a frozen value, and a
    batch names the same standard again and again (two thirds of the
    benchmark's numbers are repeats); building the dataclass costs more than
    matching.
    """
    if m := _INTERNATIONAL.match(code):
        body = m["body"]
        if body == "ISO/IEC" or body.startswith(("ISO/IEC/", "ISO/IEC ")):
            body = "ISO" + body[len("ISO/IEC"):]
        base = f"{body} {m['num']}"
        return Identity(base, int(m["year"]), "", f"{base}:{m['year']}{m['amd'] or ''}")
    if m := _ITU.match(code):
        year = int(m["year"]) if m["year"] else published_year
        return Identity(m["base"], year, "", f"{m['base']} ({year})")
    if m := _MILITARY.match(code):
        return Identity(m["base"], _year(m["year"]), m["letter"], code)
    if m := _DATED.match(code):
        key = _recommended(code)
        return Identity(_recommended(m["base"]), _year(m["year"]), "", key)
    return Identity(code, None, "", code)


def _recommended(code: str) -> str:
    """``code`` spelt with the recommended marker (``GB 1-2020`` → ``GB/T 1-2020``; ``GB/T …`` as it is)."""
    m = _TYPED.match(code)
    if m is None or m["marker"] == "/T":
        return code
    return f"{m['code']}/T {m['rest']}"


def register_prefixes(identity: Identity) -> tuple[str, ...]:
    """How the register may spell numbers of this series, as prefixes of the stored number.

    Wider than the series (``GB/T 4370`` would also find ``GB/T 43700``): the
    caller computes each found number's identity and compares.
    """
    base = identity.base
    if base.startswith("ISO") and not base.startswith("ISO/IEC"):
        return (base, "ISO/IEC" + base[3:])
    m = _TYPED.match(base)
    if m is not None and m["marker"] == "/T":
        code, rest = m["code"], m["rest"]
        if code.startswith("DB") and code != "DB":
            return (base, f"{code}/ {rest}")
        return (base, f"{code} {rest}", f"{code}/Z {rest}")
    return (base,)


def spellings(identity: Identity) -> tuple[str, ...]:
    """Every way a number of this identity may be written (its key first): ``GB/T 1-2020``, ``GB 1-2020``,
    ``GB/Z 1-2020``; ``ISO 30141:2024``, ``ISO/IEC 30141:2024``. One-time keys stored before two of them
    were one identity were stored under the spelling given: look each up."""
    key, base = identity.key, identity.base
    if not key.startswith(base):
        return (key,)
    return tuple(prefix + key[len(base):] for prefix in register_prefixes(identity))
