"""Standard numbers: normalisation, level inference, invalid input (core/standards.py).

The expectations come from shared/policy/domain-facts.md ("Standard numbers").
"""

from __future__ import annotations

import re

import pytest

from core import clock
from core.identity import identity_of
from core.standards import (
    BRAND_LEVELS,
    LEVEL_NAMES,
    LEVELS,
    InvalidStandardNumber,
    StandardCodes,
    normalise,
    parse,
    standard_codes,
)

HAN = re.compile(r"[\u4e00-\u9fff]")


# ---------------------------------------------------------------------------
# Normalisation
# ---------------------------------------------------------------------------

# Every dash domain-facts.md names: U+2010–U+2015, U+2212 (minus), U+FF0D (full-width).
DASHES = ["\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212", "\uff0d"]


@pytest.mark.parametrize("dash", DASHES, ids=[f"U+{ord(d):04X}" for d in DASHES])
def test_every_dash_variant_becomes_a_hyphen(dash):
    assert normalise(f"GB/T 1.1{dash}2020") == "GB/T 1.1-2020"
    assert parse(f"GB/T 1.1{dash}2020").code == "GB/T 1.1-2020"


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("ＧＢ／Ｔ 1.1—2020", "GB/T 1.1-2020"),
        ("ＧＢ／Ｔ　１．１－２０２０", "GB/T 1.1-2020"),  # full-width digits, ideographic space
        ("ＤＢ３３／Ｔ　２５１２－２０２２", "DB33/T 2512-2022"),
        ("GB/T 1.1—2020", "GB/T 1.1-2020"),  # the official em dash
        ("GB/T1.1—2020", "GB/T 1.1-2020"),  # missing space after the code
        ("DB23/T1496.26-2021", "DB23/T 1496.26-2021"),
        ("DB5323/T76-2024", "DB5323/T 76-2024"),
        ("T/ZZB2109—2021", "T/ZZB 2109-2021"),
        ("NB/SH/T0001-2019", "NB/SH/T 0001-2019"),
        ("DB/T1-2020", "DB/T 1-2020"),
        ("ISO9001:2015", "ISO 9001:2015"),
        ("GB18613-2020", "GB 18613-2020"),  # mandatory code, no slash, missing space
        ("GJB9001B-2009", "GJB 9001B-2009"),
        ("  GB/T   1.1   -   2020  ", "GB/T 1.1-2020"),  # extra spaces
        ("GB / T 1.1 — 2020", "GB/T 1.1-2020"),
        ("G B/T 1.1-2020", "GB/T 1.1-2020"),
        ("gb/t 1.1-2020", "GB/T 1.1-2020"),  # lower case
        ("DB12/617-2016", "DB12/ 617-2016"),  # mandatory local standard keeps its slash
        ("DB12/ 617-2016", "DB12/ 617-2016"),
        ("DB33/ T 2512-2022", "DB33/T 2512-2022"),
        ("iso 9001:2015/amd 1:2024", "ISO 9001:2015/Amd 1:2024"),
        ("ITU—T Y.3172", "ITU-T Y.3172"),
        ("q/abc 001-2020", "Q/abc 001-2020"),  # enterprise numbers keep their own spelling
        ("GB/T 24025—2009（ISO 14025:2006，IDT）", "GB/T 24025-2009 (ISO 14025:2006, IDT)"),
        ("GB/T24025-2009(ISO 14025:2006,idt)", "GB/T 24025-2009 (ISO 14025:2006, IDT)"),
        # pasted with characters that show nothing: a byte-order mark, a zero-width space, a soft hyphen, a mark
        ("\ufeffGB/T 1.1-2020", "GB/T 1.1-2020"),
        ("GB/T\u200b 1.1-2020", "GB/T 1.1-2020"),
        ("GB/T 1.1\u00ad-2020", "GB/T 1.1-2020"),
        ("\u200eDB33/T 2512-2022\u2060", "DB33/T 2512-2022"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_normalise(raw, canonical):
    assert normalise(raw) == canonical


def test_normalise_is_idempotent():
    for raw in ("ＧＢ／Ｔ 1.1—2020", "DB23/T1496.26-2021", "DB12/ 617-2016", "GB/T 24025-2009 (ISO 14025:2006, IDT)"):
        once = normalise(raw)
        assert normalise(once) == once


def test_spellings_of_one_number_parse_to_one_code():
    spellings = ["GB/T 1.1-2020", "GB/T 1.1—2020", "GB/T1.1—2020", "ＧＢ／Ｔ 1.1—2020", " gb/t 1.1 − 2020 "]
    assert {parse(s).code for s in spellings} == {"GB/T 1.1-2020"}


@pytest.mark.parametrize(("raw", "code"), [
    # As file names write it ("/" cannot be in one) and as keyboards slip: the marker's slash put back.
    ("GBT 45123-2025", "GB/T 45123-2025"),
    ("GBT45123—2025", "GB/T 45123-2025"),
    ("gbt 45123-2025", "GB/T 45123-2025"),
    ("GBZ 41479-2022", "GB/Z 41479-2022"),
    ("GB T 45123-2025", "GB/T 45123-2025"),
    ("GB-T 45123-2025", "GB/T 45123-2025"),
    ("GB\\T 45123-2025", "GB/T 45123-2025"),
    ("DB33T 2512-2022", "DB33/T 2512-2022"),
    ("DB3304-T 100-2023", "DB3304/T 100-2023"),
    ("JBT 1234-2020", "JB/T 1234-2020"),
    ("JB T 1234-2020", "JB/T 1234-2020"),
    ("JGJT 125-2016", "JGJ/T 125-2016"),  # JGJ is a code of its own: the list tells JGJT from it
    ("JTT 1234-2020", "JT/T 1234-2020"),  # so is JT
    ("GBT 24025-2009 (ISO 14025:2006, IDT)", "GB/T 24025-2009"),
])
def test_a_markers_slash_left_out_is_put_back(raw, code):
    assert parse(raw).code == code
    assert identity_of(parse(raw).code, 2020).key == identity_of(code, 2020).key  # one standard, paid once


@pytest.mark.parametrize(("raw", "said"), [
    ("XYT 1234-2020", "未知的行业标准代号 XYT"),  # no code XY to put the slash after
    ("GB 45123-2025", None),  # a mandatory national number has no marker: unchanged
    ("JGJ 125-2016", None),
    ("DB33 2512-2022", None),  # nor a mandatory local one (written DB33/)
])
def test_no_slash_is_invented(raw, said):
    if said is None:
        assert "/T" not in parse(raw).code and "/Z" not in parse(raw).code
    else:
        with pytest.raises(InvalidStandardNumber) as refused:
            parse(raw)
        assert refused.value.text.zh == said


# ---------------------------------------------------------------------------
# Level inference
# ---------------------------------------------------------------------------

LEVEL_CASES = [
    # international
    ("ISO 9001:2015", "international", "ISO", 2015),
    ("ISO/IEC 27001:2022", "international", "ISO", 2022),
    ("ISO/TS 14067:2013", "international", "ISO", 2013),
    ("IEC 62933-5-3:2024", "international", "IEC", 2024),
    ("ISO 9001:2015/Amd 1:2024", "international", "ISO", 2024),  # an amendment: its own year
    ("ITU-T Y.3172 (06/2019)", "international", "ITU", 2019),
    # national
    ("GB 16780-2021", "national", "GB", 2021),
    ("GB/T 1.1-2020", "national", "GB/T", 2020),
    ("GB/T 32151.31—2024", "national", "GB/T", 2024),
    ("GB/Z 41296-2022", "national", "GB/Z", 2022),
    ("GB 3100-93", "national", "GB", 1993),  # two-digit year before 1995
    # industry
    ("JB/T 10391-2008", "industry", "JB/T", 2008),
    ("QC/T 29106-2014", "industry", "QC/T", 2014),
    ("SJ/T 11363-2006", "industry", "SJ/T", 2006),
    ("YY/T 0287-2017", "industry", "YY/T", 2017),
    ("HG/T 20592-2009", "industry", "HG/T", 2009),
    ("JGJ 3-2010", "industry", "JGJ", 2010),
    ("CJJ 1-2008", "industry", "CJJ", 2008),
    ("JJF 1059.1-2012", "industry", "JJF", 2012),
    ("JJG 196-2006", "industry", "JJG", 2006),
    ("TSG 21-2016", "industry", "TSG", 2016),
    ("NB/SH/T 0001-2019", "industry", "NB/SH/T", 2019),
    ("DB/T 29-2008", "industry", "DB/T", 2008),  # DB/T is the earthquake industry, not local
    ("GF 1-2020", "industry", "GF", 2020),  # an "uncertain" code, accepted
    # local
    ("DB33/T 2512-2022", "local", "DB33", 2022),
    ("DB33/T 778—2010", "local", "DB33", 2010),
    ("DB5323/T 76—2024", "local", "DB5323", 2024),
    ("DB3304/T 1-2023", "local", "DB3304", 2023),
    ("DB12/ 617-2016", "local", "DB12", 2016),
    ("DB23/T1496.26-2021", "local", "DB23", 2021),
    # military
    ("GJB 9001C-2017", "military", "GJB", 2017),
    ("GJB 9001B-2009", "military", "GJB", 2009),
    ("GJB/Z 170-2013", "military", "GJB/Z", 2013),
    # group: Zhejiang Made, other group standards
    ("T/ZZB 2109—2021", "zhejiang_made", "T/ZZB", 2021),
    ("T/CAS 290-2017", "group", "T/CAS", 2017),
    ("T/ZNZ 1-2022", "group", "T/ZNZ", 2022),
    # enterprise
    ("Q/ABC 001-2020", "enterprise", "Q", None),
    ("Q/JX 12.3-2021", "enterprise", "Q", None),
]


@pytest.mark.parametrize(("raw", "level", "prefix", "year"), LEVEL_CASES, ids=[c[0] for c in LEVEL_CASES])
def test_level_inference(raw, level, prefix, year):
    number = parse(raw)
    assert number.level == level
    assert number.prefix == prefix
    assert number.year == year
    assert number.level in number.allowed_levels
    assert number.adopted is None
    assert number.amendment is ("/Amd" in raw)


def test_every_level_is_covered_by_the_cases():
    shown = {case[1] for case in LEVEL_CASES}
    # zhejiang_service / zhejiang_agri have no organisation code in the shipped
    # lists; they are covered by the STDPOLICY_STANDARD_CODES tests below.
    assert shown == set(LEVELS) - {"zhejiang_service", "zhejiang_agri"}


def test_level_names_are_bilingual_for_every_level():
    assert set(LEVEL_NAMES) == set(LEVELS)
    for name in LEVEL_NAMES.values():
        assert HAN.search(name.zh) and name.en and not HAN.search(name.en)


def test_group_number_without_a_known_brand_code_may_be_declared_a_codeless_brand():
    # zhejiang_service and zhejiang_agri have no known organisation code: a
    # record may declare them for any group number. zhejiang_made has one (ZZB).
    assert parse("T/CAS 290-2017").allowed_levels == frozenset({"group", "zhejiang_service", "zhejiang_agri"})
    assert parse("T/ZZB 2109-2021").allowed_levels == frozenset({"zhejiang_made"})
    assert parse("GB/T 1.1-2020").allowed_levels == frozenset({"national"})


@pytest.mark.parametrize(
    ("raw", "code", "adopted"),
    [
        ("GB/T 24025-2009 (ISO 14025:2006, IDT)", "GB/T 24025-2009", "ISO 14025:2006, IDT"),
        ("GB/T 19001-2016 (ISO 9001:2015, IDT)", "GB/T 19001-2016", "ISO 9001:2015, IDT"),
        ("GB/T 1-2020 (ISO 1:2000, mod)", "GB/T 1-2020", "ISO 1:2000, MOD"),
        ("GB/T 24067—2024（ISO 14067:2018，NEQ）", "GB/T 24067-2024", "ISO 14067:2018, NEQ"),
    ],
    ids=["IDT", "IDT-9001", "MOD-lowercase", "NEQ-fullwidth"],
)
def test_adoption_note_is_split_off(raw, code, adopted):
    number = parse(raw)
    assert number.code == code
    assert number.adopted == adopted
    assert number.level == "national"  # the adopting standard is national, not international


AMENDMENTS = [
    # (input, canonical code, prefix, year: the latest amendment's)
    ("ISO 9001:2015/Amd 1:2024", "ISO 9001:2015/Amd 1:2024", "ISO", 2024),
    ("iso 9001:2015/amd 1:2024", "ISO 9001:2015/Amd 1:2024", "ISO", 2024),
    ("IEC 60335-1:2020/AMD1:2023", "IEC 60335-1:2020/Amd 1:2023", "IEC", 2023),  # one spelling: one key
    ("ISO 9001:2015/Amd 1:2024/Amd 2:2025", "ISO 9001:2015/Amd 1:2024/Amd 2:2025", "ISO", 2025),
    ("ISO 9001:2015 / Amd 1:2024", "ISO 9001:2015/Amd 1:2024", "ISO", 2024),
    ("ISO/IEC 27001:2022/Amd 1:2024", "ISO/IEC 27001:2022/Amd 1:2024", "ISO", 2024),
]


@pytest.mark.parametrize(("raw", "code", "prefix", "year"), AMENDMENTS, ids=[c[0] for c in AMENDMENTS])
def test_an_amendment_carries_its_own_year(raw, code, prefix, year):
    number = parse(raw)
    assert number.amendment is True
    assert number.code == code
    assert number.level == "international" and number.prefix == prefix
    assert number.year == year


@pytest.mark.parametrize("raw", ["ISO 9001:2015/Cor 1:2016", "ISO 9001:2015/Amd 1:2024/Cor 1:2025", "IEC 60335-1:2020/COR1:2021"])
def test_a_corrigendum_is_not_a_standard(raw):
    with pytest.raises(InvalidStandardNumber) as info:
        parse(raw)
    assert "corrigendum" in info.value.text.en and "勘误" in info.value.text.zh


@pytest.mark.parametrize("raw", ["ISO 9001:2015", "ISO/TS 14067:2013", "GB/T 1.1-2020", "ITU-T Y.3172 (06/2019)",
                                 "GB/T 19001-2016 (ISO 9001:2015, IDT)", "Q/ABC 001-2020"])
def test_other_numbers_are_not_amendments(raw):
    assert parse(raw).amendment is False


TECHNICAL_REPORTS = [
    # (input, canonical code in the reason)
    ("ISO/TR 14069:2013", "ISO/TR 14069:2013"),
    ("iso/tr 14069:2013", "ISO/TR 14069:2013"),
    ("IEC TR 62933-2-200:2021", "IEC TR 62933-2-200:2021"),
    ("IEC/TR 62933-2-200:2021", "IEC/TR 62933-2-200:2021"),
    ("ISO/IEC TR 27550:2019", "ISO/IEC TR 27550:2019"),
    ("ISO/IEC/TR 27550:2019", "ISO/IEC/TR 27550:2019"),
    ("ISO/TR 14069:2013/Amd 1:2024", "ISO/TR 14069:2013/Amd 1:2024"),
]


@pytest.mark.parametrize(("raw", "code"), TECHNICAL_REPORTS, ids=[c[0] for c in TECHNICAL_REPORTS])
def test_technical_reports_are_not_standards(raw, code):
    with pytest.raises(InvalidStandardNumber) as exc:
        parse(raw)
    text = exc.value.text
    assert text.en == f"{code} is a technical report (TR), not a standard"
    assert text.zh == f"{code} 是技术报告(TR),不是标准"
    assert str(exc.value) == text.en


@pytest.mark.parametrize(("raw", "prefix"), [("ISO/TS 14067:2013", "ISO"), ("IEC TS 62933-5-1:2017", "IEC"),
                                             ("ISO/PAS 45005:2020", "ISO"), ("ISO/IWA 42:2022", "ISO")])
def test_other_deliverables_are_still_international(raw, prefix):
    # Only technical reports are refused; specifications (TS), PAS and IWA are taken as international.
    number = parse(raw)
    assert (number.level, number.prefix) == ("international", prefix)


@pytest.mark.parametrize(("raw", "code"), [
    ("ISO/IEC/IEEE 8802-1Q:2020", "ISO/IEC/IEEE 8802-1Q:2020"),
    ("iso/iec/ieee 8802-1ae:2020/amd 1:2021", "ISO/IEC/IEEE 8802-1AE:2020/Amd 1:2021"),
    ("ISO/IEC/IEEE 8802-A:2015", "ISO/IEC/IEEE 8802-A:2015"),
])
def test_ieee_parts_with_letters_are_international(raw, code):
    # IEEE 802.1Q adopted by ISO/IEC is part "1Q" of ISO/IEC/IEEE 8802; its overview is part "A".
    number = parse(raw)
    assert (number.code, number.level) == (code, "international")
    assert identity_of(number.code, 0).base == "ISO/IEEE " + code.split()[1].split(":")[0]


@pytest.mark.parametrize("raw", ["ISO 9001-1ABC:2015", "ISO 9001A:2015", "ISO 9001-:2015"])
def test_letters_stop_at_two_after_a_part(raw):
    with pytest.raises(InvalidStandardNumber):
        parse(raw)


def test_plausible_years():
    assert parse("GB/T 1-1949").year == 1949
    next_year = clock.today().year + 1
    assert parse(f"GB/T 1-{next_year}").year == next_year
    for year in (1948, clock.today().year + 2):
        with pytest.raises(InvalidStandardNumber) as exc:
            parse(f"GB/T 1-{year}")
        assert str(year) in exc.value.text.zh and str(year) in exc.value.text.en


# ---------------------------------------------------------------------------
# Invalid input
# ---------------------------------------------------------------------------

INVALID = [
    # (input, a fragment of the English reason, a fragment of the Chinese reason)
    ("GB/T", "not a valid national standard number", "不是有效的国家标准编号"),
    ("GB/X 123-2020", "not a valid national standard number", "不是有效的国家标准编号"),
    ("GB/T 123-20201", "not a valid national standard number", "不是有效的国家标准编号"),
    ("DB3/T 12-2020", "DB3: not a province", "DB3"),
    ("DB99/T 1-2020", "DB99: not a province", "DB99"),
    ("DB331/T 1-2020", "DB331: not a province", "DB331"),  # 3 digits: neither province nor city
    ("T/ 123-2020", "not a valid group standard number", "不是有效的团体标准编号"),
    ("ISO 9001:15", "not a valid international standard number", "不是有效的国际标准编号"),
    ("ISO 9001", "not a valid international standard number", "不是有效的国际标准编号"),
    ("XY/T 1-2020", "unknown industry standard code XY", "未知的行业标准代号 XY"),
    ("Q/ABC", "an enterprise standard is", "企业标准编号"),
    ("hello", "unrecognised standard number", "无法识别的标准编号"),
    ("", "empty", "不能为空"),
    ("   ", "empty", "不能为空"),
]


@pytest.mark.parametrize(("raw", "en", "zh"), INVALID, ids=[c[0] or "<empty>" for c in INVALID])
def test_invalid_numbers_are_refused_with_a_bilingual_reason(raw, en, zh):
    with pytest.raises(InvalidStandardNumber) as exc:
        parse(raw)
    text = exc.value.text
    assert en in text.en
    assert zh in text.zh
    assert HAN.search(text.zh), "the Chinese reason is in Chinese"
    assert not HAN.search(text.en), "the English reason is in English"
    assert str(exc.value) == text.en
    assert isinstance(exc.value, ValueError)


@pytest.mark.parametrize(
    "raw",
    ["ISO/DIS 9001", "ISO/DIS 14067:2017", "ISO/FDIS 14064-1:2018", "ISO/CD 1:2020", "IEC/CDV 62933:2024",
     "ISO/IEC/DIS 27001:2022", "ISO DIS 1:2020", "iso/dis 9001:2015"],
)
def test_drafts_are_not_published_standards(raw):
    with pytest.raises(InvalidStandardNumber) as exc:
        parse(raw)
    assert "is a draft, not a published standard" in exc.value.text.en
    assert "是草案" in exc.value.text.zh


def test_non_string_is_refused():
    with pytest.raises(InvalidStandardNumber) as exc:
        parse(None)  # type: ignore[arg-type]
    assert exc.value.text.en == "the standard number is empty"


# ---------------------------------------------------------------------------
# Configurable code lists
# ---------------------------------------------------------------------------

CUSTOM_CODES = """
industry: [XY, JB]
industry_extra: [ABCD]
zhejiang_brands:
  zhejiang_made: [ZZB, ZJZZ]
  zhejiang_service: [ZJFW]
  zhejiang_agri: [ZNZ]
"""


@pytest.fixture
def custom_codes(tmp_path, monkeypatch):
    path = tmp_path / "codes.yaml"
    path.write_text(CUSTOM_CODES, encoding="utf-8")
    standard_codes.cache_clear()
    monkeypatch.setenv("STDPOLICY_STANDARD_CODES", str(path))
    yield path
    monkeypatch.delenv("STDPOLICY_STANDARD_CODES")
    standard_codes.cache_clear()


def test_shipped_lists():
    codes = standard_codes()
    assert len(codes.industry) == 71 + 5 + 5
    assert {"JB", "QC", "DB", "GF", "JGJ", "TSG"} <= codes.industry
    assert codes.brands == {
        "zhejiang_made": frozenset({"ZZB"}),
        "zhejiang_service": frozenset(),
        "zhejiang_agri": frozenset(),
    }
    # Zhejiang's committee numbering is not settled: ZJ/TC n is assumed
    assert codes.provincial_committees == frozenset({"ZJ"})


def test_environment_file_replaces_the_lists(custom_codes):
    assert standard_codes().industry == frozenset({"XY", "JB", "ABCD"})
    assert standard_codes().provincial_committees == frozenset()  # not in the custom file: none
    # a code only the custom file knows
    assert parse("XY/T 1-2020").level == "industry"
    assert parse("ABCD 7-2021").level == "industry"
    # a shipped code the custom file leaves out
    with pytest.raises(InvalidStandardNumber, match="unknown industry standard code QC"):
        parse("QC/T 29106-2014")
    # brand codes for every brand, enforced both ways
    assert parse("T/ZJFW 1-2023").level == "zhejiang_service"
    assert parse("T/ZNZ 1-2022").level == "zhejiang_agri"
    assert parse("T/ZJZZ 5-2022").level == "zhejiang_made"
    assert parse("T/CAS 290-2017").allowed_levels == frozenset({"group"})
    # DB/T stays the earthquake industry whatever the list says
    assert parse("DB/T 29-2008").level == "industry"


def test_cache_is_cleared_after_the_environment_test(custom_codes):
    assert parse("T/ZJFW 1-2023").level == "zhejiang_service"
    standard_codes.cache_clear()
    custom_codes.write_text("industry: [JB]\n", encoding="utf-8")
    # a fresh read sees the new file; brands left out are empty
    assert standard_codes().industry == frozenset({"JB"})
    assert standard_codes().brands == {level: frozenset() for level in BRAND_LEVELS}
    assert parse("T/ZJFW 1-2023").level == "group"


def test_provincial_committees_are_read_from_the_lists():
    codes = StandardCodes.from_yaml("industry: [XY]\nprovincial_committees: [ZJ, JS]\n")
    assert codes.provincial_committees == frozenset({"ZJ", "JS"})
    assert StandardCodes.from_yaml("provincial_committees:\n").provincial_committees == frozenset()


def test_explicit_codes_argument_overrides_the_file():
    codes = StandardCodes.from_yaml("industry: [XY]\nzhejiang_brands: {zhejiang_made: [ZZB]}\n")
    assert parse("XY/T 1-2020", codes).level == "industry"
    with pytest.raises(InvalidStandardNumber):
        parse("JB/T 10391-2008", codes)
    # the shipped lists are untouched
    assert parse("JB/T 10391-2008").level == "industry"
    with pytest.raises(InvalidStandardNumber):
        parse("XY/T 1-2020")


def test_empty_codes_file():
    codes = StandardCodes.from_yaml("")
    assert codes.industry == frozenset()
    assert codes.brands == {level: frozenset() for level in BRAND_LEVELS}
    assert codes.provincial_committees == frozenset()


def test_a_number_with_a_letter_that_passes_for_an_english_one_says_which() -> None:
    """``GB/Т 45123-2025`` (a Cyrillic Т) reads as valid: the refusal names the letter."""
    with pytest.raises(InvalidStandardNumber) as refused:
        parse("GB/Т 45123-2025")
    assert refused.value.text.zh.endswith("其中的“Т”是西里尔字母(U+0422),不是英文字母,请用英文字母重新输入")
    assert "Cyrillic letter (U+0422)" in refused.value.text.en
