"""Unified social credit codes (统一社会信用代码, GB 32100-2015).

python-stdnum's ``cn.uscc`` checks the alphabet, the length and the 18th
check character. It does not check the embedded organisation code
(positions 9–17, GB 11714), whose own check digit is position 17; a code
that passes the first check can still fail this one (``91330402MA2B3C4D79``).
Both are checked here.
"""

from __future__ import annotations

import re

from functools import lru_cache

from stdnum.cn import uscc as _uscc
from stdnum.exceptions import InvalidChecksum, InvalidLength, ValidationError

from .text import Text, visible_text, with_lookalike

__all__ = ["InvalidCreditCode", "organisation_code_check_digit", "validate_credit_code"]

# GB 11714: weights over positions 9–16, values 0–9 and A=10 … Z=35.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


class InvalidCreditCode(ValueError):
    """The code is not a valid unified social credit code; ``text`` says why."""

    def __init__(self, text: Text) -> None:
        super().__init__(text.en)
        self.text = text


def organisation_code_check_digit(body: str) -> str:
    """The GB 11714 check digit of an 8-character organisation code body."""
    total = sum(int(ch, 36) * w for ch, w in zip(body, _ORG_WEIGHTS))
    r = 11 - total % 11
    return "X" if r == 10 else "0" if r == 11 else str(r)


#: Excel's scientific notation for a number ("9.13304E+17"), as a CSV it writes holds it.
_SCIENTIFIC = re.compile(r"\d(?:\.\d+)?[eE]\+?1[5-9]")  # an 18-digit code is E+17


@lru_cache(maxsize=65536)
def validate_credit_code(value: str) -> str:
    """Return the compact, upper-case code, or raise ``InvalidCreditCode``.

    Cached: a batch of 100,000 activities has far fewer organisations.
    Characters that show nothing (``visible_text``: a zero-width space
    pasted with the code) are left out: the code is what the reader sees.
    """
    value = visible_text(value)
    try:
        return _validate(value)
    except InvalidCreditCode as exc:
        raise InvalidCreditCode(with_lookalike(exc.text, value)) from None


def _validate(value: str) -> str:
    try:
        code = _uscc.validate(value)
    except InvalidLength:
        length = len(_uscc.compact(value))
        if _SCIENTIFIC.fullmatch(value.strip()):  # "9.13304E+17": a CSV Excel wrote from a number cell
            raise InvalidCreditCode(Text(
                f"“{value.strip()}”是 Excel 把代码当作数字保存后的科学计数法,末几位已丢失:"
                "请将该列设为“文本”格式后重新填写统一社会信用代码",
                f"{value.strip()!r} is Excel's scientific notation for a code it stored as a number, its last "
                "digits lost: format the column as Text and type the credit code again",
            )) from None
        raise InvalidCreditCode(Text(
            f"统一社会信用代码应为18位,实际为{length}位",
            f"a unified social credit code has 18 characters, got {length}",
        )) from None
    except InvalidChecksum:
        raise InvalidCreditCode(Text(
            "统一社会信用代码校验位(第18位)错误", "the check character (position 18) is wrong",
        )) from None
    except ValidationError:
        raise InvalidCreditCode(Text(
            "统一社会信用代码含有不允许的字符(不得含 I、O、Z、S、V,前8位只能是数字)",
            "invalid characters (I, O, Z, S, V are not used; positions 1–8 are digits)",
        )) from None
    body, check = code[8:16], code[16]
    if not all(ch.isdigit() or "A" <= ch <= "Z" for ch in body):
        raise InvalidCreditCode(Text("组织机构代码(第9–16位)含有无效字符", "the organisation code (positions 9–16) has invalid characters"))
    if organisation_code_check_digit(body) != check:
        raise InvalidCreditCode(Text(
            "组织机构代码(第9–17位)校验位错误(GB 11714)",
            "the organisation code (positions 9–17) fails its GB 11714 check digit",
        ))
    return code
