"""Unified social credit codes (core/uscc.py, GB 32100-2015 and GB 11714).

Valid codes are built here with check characters computed from the formulas
in shared/policy/domain-facts.md, independently of the code under test.
"""

from __future__ import annotations

import re

import pytest
from stdnum.cn import uscc as stdnum_uscc

from core.uscc import InvalidCreditCode, organisation_code_check_digit, validate_credit_code

HAN = re.compile(r"[\u4e00-\u9fff]")

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def org_check(body: str) -> str:
    """GB 11714 check digit of positions 9–16 (domain-facts.md)."""
    total = sum((int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10) * w for ch, w in zip(body, ORG_WEIGHTS))
    r = 11 - total % 11
    return {10: "X", 11: "0"}.get(r, str(r))


def uscc_check(first17: str) -> str:
    """GB 32100 check character of positions 1–17 (domain-facts.md)."""
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def build(prefix8: str, body8: str) -> str:
    """A code with both check characters right: authority+type+region, organisation code body."""
    first17 = prefix8 + body8 + org_check(body8)
    return first17 + uscc_check(first17)


BUILT = {
    "Nanhu enterprise": build("91330402", "MA2B3C4D"),
    "Haining enterprise": build("91330481", "30791234"),
    "Jiashan individual business": build("92330421", "MA28K7QH"),
    "Tongxiang co-operative": build("93330483", "MA2JXKP1"),
    "public institution": build("12330400", "47000123"),
    "social group": build("51330400", "50123456"),
}


def test_the_builder_reproduces_a_real_code():
    # The real Jiaxing code from python-stdnum's tests checks out with the formulas above.
    real = "913304007429141869"
    assert org_check(real[8:16]) == real[16]
    assert uscc_check(real[:17]) == real[17]


def test_the_builder_covers_the_org_check_special_cases():
    # r = 10 → X and r = 11 → 0 occur; make sure codes with them validate.
    bodies = [f"{n:08d}" for n in range(60)]
    x_body = next(b for b in bodies if org_check(b) == "X")
    zero_body = next(b for b in bodies if org_check(b) == "0")
    for body in (x_body, zero_body):
        code = build("91330400", body)
        assert validate_credit_code(code) == code
    assert organisation_code_check_digit(x_body) == "X"
    assert organisation_code_check_digit(zero_body) == "0"


@pytest.mark.parametrize("code", ["913304007429141869", *BUILT.values()], ids=["real", *BUILT])
def test_valid_codes(code):
    assert validate_credit_code(code) == code


@pytest.mark.parametrize(
    ("raw", "compact"),
    [
        (" 9133 0400 7429 1418 69 ", "913304007429141869"),
        ("913304007429141869".lower(), "913304007429141869"),
        (BUILT["Nanhu enterprise"].lower(), BUILT["Nanhu enterprise"]),
        ("91330400-7429141869", "913304007429141869"),
    ],
    ids=["spaces", "lower-case", "lower-case letters", "hyphen"],
)
def test_codes_are_compacted_and_upper_cased(raw, compact):
    assert validate_credit_code(raw) == compact


@pytest.mark.parametrize("body", ["MA2B3C4D", "30791234", "7429141X", "ABCDEFGH", "00000000"])
def test_organisation_code_check_digit_matches_the_formula(body):
    assert organisation_code_check_digit(body) == org_check(body)


def _refused(code: str):
    with pytest.raises(InvalidCreditCode) as exc:
        validate_credit_code(code)
    text = exc.value.text
    assert HAN.search(text.zh), "the Chinese reason is in Chinese"
    assert text.en and not HAN.search(text.en), "the English reason is in English"
    assert str(exc.value) == text.en
    return text


@pytest.mark.parametrize(
    ("code", "length"),
    [("91330400742914186", 17), ("9133040074291418690", 19), ("", 0), ("9", 1)],
    ids=["17", "19", "empty", "1"],
)
def test_wrong_length(code, length):
    text = _refused(code)
    assert text.en == f"a unified social credit code has 18 characters, got {length}"
    assert text.zh == f"统一社会信用代码应为18位,实际为{length}位"


@pytest.mark.parametrize("letter", list("IOZSV"))
@pytest.mark.parametrize("position", [10, 17], ids=["in the organisation code", "as the check character"])
def test_letters_outside_the_alphabet(letter, position):
    code = "913304007429141869"
    bad = code[:position] + letter + code[position + 1:]
    text = _refused(bad)
    assert "I, O, Z, S, V" in text.en
    assert "I、O、Z、S、V" in text.zh


@pytest.mark.parametrize("bad", ["A13304007429141869", "91A304007429141869", "9133040#7429141869"],
                         ids=["letter at 1", "letter in region", "symbol"])
def test_other_bad_characters(bad):
    text = _refused(bad)
    assert "invalid characters" in text.en


@pytest.mark.parametrize("wrong", [c for c in "0123456789ABCDEFGHJKLMNPQRTUWXY" if c != "9"][:6])
def test_wrong_18th_check_character(wrong):
    text = _refused("91330400742914186" + wrong)
    assert text.en == "the check character (position 18) is wrong"
    assert "第18位" in text.zh


def test_organisation_code_check_is_enforced_where_python_stdnum_is_not():
    code = "91330402MA2B3C4D79"
    assert stdnum_uscc.is_valid(code)  # passes GB 32100's check character …
    text = _refused(code)  # … but fails GB 11714
    assert text.en == "the organisation code (positions 9–17) fails its GB 11714 check digit"
    assert "GB 11714" in text.zh and "组织机构代码" in text.zh


def test_every_wrong_17th_character_is_caught_even_with_a_matching_18th():
    # Change position 17 and recompute position 18: only the organisation
    # code check can notice.
    good = BUILT["Haining enterprise"]
    for ch in "0123456789X":
        if ch == good[16]:
            continue
        first17 = good[:16] + ch
        code = first17 + uscc_check(first17)
        assert stdnum_uscc.is_valid(code)
        with pytest.raises(InvalidCreditCode, match="GB 11714"):
            validate_credit_code(code)


def test_characters_that_show_nothing_are_not_part_of_a_code() -> None:
    """A zero-width space or a byte-order mark pasted with the code: the code is what the reader sees (it was
    refused as "19 characters" where 18 could be seen)."""
    for pasted in ("\ufeff913304007429141869", "9133040074\u200b29141869", "913304007429141869\u2060"):
        assert validate_credit_code(pasted) == "913304007429141869"


def test_a_code_with_a_letter_that_passes_for_an_english_one_says_which() -> None:
    with pytest.raises(InvalidCreditCode) as refused:
        validate_credit_code("91330482MA2AH5Т006")  # a Cyrillic Т
    assert "其中的“Т”是西里尔字母(U+0422)" in refused.value.text.zh


@pytest.mark.parametrize("given", ["9.13304E+17", "9.13304007429142E+17", "9e17", " 9.1E+17 ", "1.2e15"])
def test_excels_scientific_notation_is_named(given):
    """A CSV Excel wrote from a number cell holds the code as 9.13304E+17: the refusal says what happened."""
    text = _refused(given)
    assert "Excel" in text.zh and "科学计数法" in text.zh and "format the column as Text" in text.en


def test_a_short_number_in_scientific_notation_is_only_too_short():
    assert _refused("1e5").zh == "统一社会信用代码应为18位,实际为3位"
