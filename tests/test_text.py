"""Bilingual text and money formatting (core/text.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.text import Text, as_text, format_yuan_en, format_yuan_zh


@pytest.mark.parametrize(
    ("amount", "zh"),
    [
        (1_000_000, "100万元"),
        (300_000, "30万元"),
        (150_000, "15万元"),
        (10_000, "1万元"),
        (15_000, "1.5万元"),
        (12_345, "1.2345万元"),
        (99_999, "9.9999万元"),
        (5_000, "5,000元"),
        (9_999, "9,999元"),
        (1, "1元"),
        (0, "0元"),
        (100_000_000, "10,000万元"),
        (Decimal("15000"), "1.5万元"),
        (Decimal("300000"), "30万元"),
        (-15_000, "-1.5万元"),
        (-5_000, "-5,000元"),
    ],
    ids=lambda v: str(v),
)
def test_format_yuan_zh(amount, zh):
    assert format_yuan_zh(amount) == zh


@pytest.mark.parametrize(
    ("amount", "en"),
    [(1_000_000, "¥1,000,000"), (15_000, "¥15,000"), (5_000, "¥5,000"), (0, "¥0"), (999, "¥999"),
     (Decimal("300000"), "¥300,000")],
    ids=lambda v: str(v),
)
def test_format_yuan_en(amount, en):
    assert format_yuan_en(amount) == en


def test_policy_amounts_read_as_in_the_text():
    # 分别给予100万元、30万元、20万元、20万元奖励 … 30万元、15万元 … 100万元、50万元、20万元 … 100万元、80万元、50万元
    amounts = [1_000_000, 300_000, 200_000, 150_000, 500_000, 800_000]
    assert [format_yuan_zh(a) for a in amounts] == ["100万元", "30万元", "20万元", "15万元", "50万元", "80万元"]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("zh", "中文"), ("zh_CN", "中文"), ("zh-Hans", "中文"), ("en", "English"), ("en_US", "English"),
     ("EN", "English"), ("fr", "中文"), ("", "中文")],
)
def test_text_get(lang, expected):
    assert Text("中文", "English").get(lang) == expected


def test_text_to_json_and_fields():
    text = Text("中文", "English")
    assert text.to_json() == {"zh": "中文", "en": "English"}
    assert (text.zh, text.en) == tuple(text) == ("中文", "English")


@pytest.mark.parametrize(
    "value",
    [Text("中", "en"), {"zh": "中", "en": "en"}, {"zh": "中", "en": "en", "extra": 1}, ("中", "en"), ["中", "en"]],
    ids=["Text", "dict", "dict with extra", "tuple", "list"],
)
def test_as_text_accepts(value):
    assert as_text(value) == Text("中", "en")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"zh": "中"}, "label: needs both 'zh' and 'en', missing 'en'"),
        ({"en": "en"}, "label: needs both 'zh' and 'en', missing 'zh'"),
        ({"zh": "", "en": "en"}, "label: 'zh' and 'en' must be non-empty strings"),
        ({"zh": "中", "en": 3}, "label: 'zh' and 'en' must be non-empty strings"),
        (("中", None), "label: 'zh' and 'en' must be non-empty strings"),
        (("中",), "label: expected {'zh': …, 'en': …}, got ('中',)"),
        (("a", "b", "c"), "label: expected {'zh': …, 'en': …}, got ('a', 'b', 'c')"),
        ("中文", "label: expected {'zh': …, 'en': …}, got '中文'"),
        (None, "label: expected {'zh': …, 'en': …}, got None"),
    ],
    ids=["no en", "no zh", "empty zh", "en not a string", "None in pair", "one item", "three items", "string", "None"],
)
def test_as_text_errors_name_the_place(value, message):
    with pytest.raises(ValueError) as exc:
        as_text(value, where="label")
    assert str(exc.value) == message


def test_as_text_default_place():
    with pytest.raises(ValueError, match=r"^text: "):
        as_text(None)


def test_visible_text_leaves_out_every_format_character_and_nothing_else() -> None:
    import sys
    import unicodedata

    from core.text import visible_text

    everything = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)
    kept = visible_text(everything)
    assert kept == "".join(ch for ch in everything if unicodedata.category(ch) != "Cf")
    assert len(everything) - len(kept) == sum(unicodedata.category(ch) == "Cf" for ch in everything) > 150
    assert visible_text("嘉兴\u200b某某\ufeff公司\u00ad\u202e") == "嘉兴某某公司"
    assert visible_text("嘉兴\u3000某某\u00a0公司\n") == "嘉兴\u3000某某\u00a0公司\n"  # spaces and breaks are not format characters


def test_name_key_compares_names_as_they_read() -> None:
    from core.text import name_key

    same = ["LED 照明试点", " LED  照明试点\u3000", "led 照明试点", "ＬＥＤ　照明试点", "LED \u200b照明试点", "\ufeffLED 照明\u00ad试点"]
    assert {name_key(name) for name in same} == {"led 照明试点"}
    assert name_key("LED照明试点") != name_key("LED照明试点二期")
    # without format characters, the key stored with outcomes before visible_text joined in
    assert name_key("智能制造 数字孪生系列标准") == " ".join("智能制造 数字孪生系列标准".split()).casefold()


def test_lookalike_names_a_letter_that_passes_for_an_english_one() -> None:
    from core.text import lookalike

    assert lookalike("GB/T 45123-2025") is None
    assert lookalike("ＧＢ／Ｔ 45123-2025") is None  # full-width letters are English ones after NFKC
    assert lookalike("Q/嘉兴 001-2020") is None  # Chinese is not a lookalike
    cyrillic = lookalike("GB/Т 45123-2025")
    assert cyrillic is not None and "“Т”是西里尔字母(U+0422)" in cyrillic.zh and "Cyrillic" in cyrillic.en
    greek = lookalike("ΙSO 9001:2015")
    assert greek is not None and "希腊字母(U+0399)" in greek.zh
