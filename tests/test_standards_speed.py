"""The fast paths of standard-number parsing give what the old parser gave (issue #13).

The parser before the fast paths is kept unchanged in
``benchmarks/baseline/standards_old.py`` and is the oracle here: for every
input, Hypothesis-generated or spelt as registers spell numbers, the new
``normalise`` returns the same text and the new ``_parse`` the same
``StandardNumber`` or a refusal with the same message in both languages.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import standards
from core.standards import InvalidStandardNumber
from core.text import visible_text
from core import identity

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
try:
    from baseline import standards_old as old  # noqa: E402
    from generate import generate  # noqa: E402
finally:
    sys.path.remove(str(BENCHMARKS))

CODES = standards.standard_codes()

PREFIXES = [
    "GB", "GB/T", "GB/Z", "GJB", "GJB/Z", "JB/T", "QC/T", "HG/T", "NB/SH/T", "JGJ", "DB/T", "SJ", "YY/T", "XX/T",
    "DB33", "DB33/T", "DB3304/T", "DB33/", "DB12/", "DB99/T", "DB330/T", "T/ZZB", "T/CAS", "T/ZJ01", "T/ABCDEF",
    "Q/JX", "Q/", "q/jx", "ISO", "ISO/IEC", "IEC", "ISO/TS", "ISO/IEC/IEEE", "ISO/TR", "ISO/DIS", "ITU-T",
    "ITU-R", "gb/t", "Ｇ／Ｔ", "G B/T", "GB /T", "ABCDE", "AMD", "ISO/AMD", "COR/T",
]
SEPARATORS = ["-", "—", "–", "－", " - ", ":", "", " ", "-0"]


def _outcome(module, value: str):
    try:
        return module._parse(value, CODES)
    except InvalidStandardNumber as exc:
        return ("refused", exc.text.zh, exc.text.en)


def _implausible(value: str) -> bool:
    """Whether ``value`` is a number the old parser read and the new one refuses as no standard's (too long, or
    a run of more than six digits outside an enterprise number): ``test_implausible_numbers_are_refused``."""
    full = standards.normalise(visible_text(value)) if visible_text(value).strip() else ""
    return len(full) > standards.MAX_LENGTH or (not full.startswith("Q/") and re.search(r"\d{7,}", full) is not None)


#: Text that may be a number with the slash of its /T or /Z marker left out or mistyped ("GBT 1-2020",
#: "GB-T 1-2020", "DB33T 1-2020", "JBT 1-2020"): deliberately broader than what the parser slashes.
_MAYBE_UNSLASHED = re.compile(r"^\s*(?:G\s*B|D\s*B[\s\d]*|(?!ITU|ISO|IEC)[A-Z]{2,4})\s*[-\\ ]?\s*[TZ]\s*\d")


def _folded(text: str) -> str:
    """``text`` as the parser reads it before its rewriting: visible, NFKC, upper case."""
    return unicodedata.normalize("NFKC", visible_text(text)).upper()


def _squeezed(text: str) -> str:
    """Letters and digits only: the same number whatever its punctuation."""
    return re.sub(r"[^0-9A-Z]", "", _folded(text))


def _same(value: str) -> None:
    # Three deliberate changes since: characters that show nothing (core.text.visible_text) are left out
    # first, a number longer than any standard's is refused (_implausible), and the slash of a /T or /Z
    # marker left out is put back (_MAYBE_UNSLASHED: checked by _slashed_as_before).
    if _MAYBE_UNSLASHED.match(_folded(value).translate(standards._DASHES)):
        _slashed_as_before(value)
        return
    assert standards.normalise(value) == old.normalise(visible_text(value)), value
    if _implausible(value):
        assert _outcome(standards, value)[0] == "refused", value
        return
    assert _outcome(standards, value) == _outcome(old, visible_text(value)), value


def _slashed_as_before(value: str) -> None:
    """What the old parser read stays as it read; what it refused and the new one reads is the old reading
    of the same number with its marker's slash (the same letters and digits, nothing else changed)."""
    new, before = _outcome(standards, value), _outcome(old, visible_text(value))
    if _implausible(value):
        assert isinstance(new, tuple), value
        return
    if isinstance(before, tuple) and isinstance(new, tuple):  # ("refused", zh, en): refused by both
        # as before, or as the old parser refuses the number slashed (the message names it so)
        assert new in (before, _outcome(old, standards.normalise(value))), value
        return
    if not isinstance(before, tuple):
        assert new == before, value
        return
    assert re.search(r"/[TZ] ", new.code), (value, new)
    adoption = value[value.index("("):] if "(" in value else ""
    assert _outcome(old, f"{new.code} {adoption}".strip()) == new, (value, new)
    assert _squeezed(new.code) == _squeezed(value.split("(")[0]), (value, new)


def _real_numbers() -> list[str]:
    numbers = {r["standard_code"] for r in generate(6000, seed=13) if "standard_code" in r}
    extra = {
        "GB/T 1.1—2020", "DB23/T1496.26-2021", "GB18613-2020", "ISO/IEC 27001:2022/Amd 1:2024", "ISO 9001:2015/Cor 1:2016",
        "ITU-T Y.3172 (05/2023)", "ITU-T Y.3172", "GB/T 24025-2009 (ISO 14025:2006, IDT)", "GB/T 24025-2009(ISO 14025:2006,mod)",
        "DB12/ 617-2016", "DB12 617-2016", "Q/JXHR 001-2023", "Q/ JXHR 1", "ISO/TR 10013:2021", "IEC 63202-3:2024",
        "GJB 5000B-2021", "GJB5000B-2021", "T/ZZB 2109-2021", "T/ZJ01 2109-2021", "ISO/DIS 9001", "GB/T 1-1948",
        "GB/T 1-2099", "GB/T 1-93", "DB3304/T 100-2023", "DB330/T 1-2023", "XX/T 1-2020", "ISO/IEC 30141:2024",
        "ＧＢ／Ｔ　４２５８７－２０２３", "GB/T １-2020", "GB/T 1-２０２０", "DB33/T ２５１２-2022", "ISO ９００１:2015", "gb/t 42587-2023", "G B/T 1-2020", "GB / T 1 - 2020", "  GB/T 1-2020  ",
        # The slash of the marker left out or mistyped (_slashed_as_before)
        "GBT 45123-2025", "GBZ 1-2020", "gbt 1-2020", "GB-T 1-2020", "GB T 1-2020", "GB\\T 1-2020", "DB33T 1234-2020",
        "DB3304-T 100-2023", "JBT 1234-2020", "JB T 1234-2020", "JGJT 1-2020", "GBT 1-20201", "XYT 1-2020",
        "GBT 24025-2009 (ISO 14025:2006, IDT)", "JBT/T 1-2020", "JBT/Z 1-2020", "GBT/T 1-2020", "JB/SHT 1-2020",
    }
    return sorted(numbers | extra)


def test_real_looking_numbers_parse_as_before() -> None:
    for value in _real_numbers():
        _same(value)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PREFIXES), st.sampled_from([" ", "", "  ", "/"]),
       st.from_regex(r"\A[0-9]{1,5}(\.[0-9]{1,3}){0,2}[A-Z]?\Z"), st.sampled_from(SEPARATORS),
       st.from_regex(r"\A[0-9]{2,4}\Z"), st.sampled_from(["", "/Amd 1:2024", "/AMD1:2023", "/Cor 1:2020", " (05/2023)",
                                                          " (ISO 9001:2015, IDT)", "(05/2023)", "A"]))
def test_composed_numbers_parse_as_before(prefix: str, gap: str, number: str, sep: str, year: str, tail: str) -> None:
    _same(f"{prefix}{gap}{number}{sep}{year}{tail}")


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet="GBTDJQISOECUZ/ -—:.()0123456789,IDTMOA", max_size=24))
def test_arbitrary_text_parses_as_before(value: str) -> None:
    _same(value)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=20))
def test_any_text_parses_as_before(value: str) -> None:
    _same(value)


@pytest.mark.parametrize(("value", "said"), [
    ("GB/T " + "4" * 5000 + "—2025", "标准编号过长:共5,010个字符,至多100个(GB/T 44444444444444444444444444444444444…)"),
    ("GB/T 4444444-2025", "GB/T 4444444-2025 中的数字 4444444 有7位:标准的顺序号至多6位,年份4位"),
    ("ISO 9001:20152016", "ISO 9001:20152016 中的数字 20152016 有8位:标准的顺序号至多6位,年份4位"),
    ("DB33/T 2512-2022" + " (ISO 9001:2015, IDT)" * 5, "标准编号过长:共121个字符,至多100个(DB33/T 2512-2022 (ISO 9001:2015, IDT) (I…)"),
])
def test_implausible_numbers_are_refused(value: str, said: str) -> None:
    """An applicant's made-up number (5,000 digits, or seven) is no standard's: refused, echoed clipped."""
    with pytest.raises(InvalidStandardNumber) as refused:
        standards.parse(value)
    assert refused.value.text.zh == said
    assert _implausible(value)


@pytest.mark.parametrize("value", ["GB/T 444444-2025", "GB/T 32151.31-2015", "Q/JX 1234567-2024", "DB3304/T 100-2023",
                                   "GB/T 20438.1-2017 (IEC 61508-1:2010, IDT)", "ISO/IEC 27001:2022/Amd 1:2024"])
def test_long_real_numbers_still_parse(value: str) -> None:
    assert standards.parse(value).code == standards.normalise(value).split(" (")[0]  # the adoption note aside


def test_full_width_digits_are_normalised() -> None:
    """A number in canonical form but for its full-width digits is not canonical: NFKC makes them ASCII."""
    for value, canonical in (("GB/T １-2020", "GB/T 1-2020"), ("GB/T 1-２０２０", "GB/T 1-2020"),
                             ("DB33/T ２５１２-2022", "DB33/T 2512-2022")):
        assert standards.normalise(value) == canonical
        assert standards.parse(value).code == canonical


def test_canonical_numbers_skip_the_rewriting(monkeypatch: pytest.MonkeyPatch) -> None:
    """A number already in canonical form does not go through NFKC and the rewriting regexes."""
    class Refusing:
        @staticmethod
        def normalize(*args: object) -> str:
            raise AssertionError("canonical numbers take the fast path")

    monkeypatch.setattr(standards, "unicodedata", Refusing)
    for value in ("GB/T 42587-2023", "DB33/T 2512-2022", "DB33/ 1022-2022", "ISO/IEC 27001:2024", "GJB 5000B-2021",
                  "T/ZZB 2109-2021", "NB/SH/T 1-2020", "IEC 63202-3:2024"):
        assert standards.normalise(value) == value
        standards._parse(value, CODES)


def test_identity_is_cached_and_unchanged() -> None:
    """reward_tiers' identity of a number is computed once per (number, year), the same as uncached."""
    identity.identity_of.cache_clear()
    values = [("ISO/IEC 30141:2024", 2024), ("ITU-T Y.3172", 2019), ("ITU-T Y.3172 (06/2019)", 2020),
              ("GJB 10234A-2020", 2020), ("GB/T 43700-2024", 2024), ("Q/JX 1", 2023), ("GB/T 1-93", 2023)]
    for code, year in values * 3:
        assert identity.identity_of(code, year) == identity.identity_of.__wrapped__(code, year)
        assert identity.identity_of(code, year).key == identity.identity_of.__wrapped__(code, year).key
    info = identity.identity_of.cache_info()
    assert info.misses == len(values) and info.hits >= 2 * len(values)
