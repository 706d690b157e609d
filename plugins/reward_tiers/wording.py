"""How an explanation of 三(二) is worded: as an official writes it in an approval document.

Every outcome's Chinese explanation names the document by its full title and
the clause as the document numbers it (三、保障措施 → (二)加大政策扶持:
第三部分第(二)项), writes dates as 2022年8月1日 and ranks as 排名第一位,
calls committees by their proper names, and keeps rule ids, parameter keys
and version numbers out of the sentence: they stay in the outcome's
structured fields (``rule``, ``clause``, ``parameters``, ``details``). The
English says the same. docs/plugins/explanations.md states the style; the
tests scan every explanation for it.
"""

from __future__ import annotations

import re

from core import Text

__all__ = ["CITE", "DOCUMENT", "GRANTS", "PART", "committee_name", "ordinal_en", "quoted", "rank_zh"]

#: The document, as its title reads (the two issuing bodies separated by a space, as on its masthead).
DOCUMENT = Text(
    "《中共嘉兴市委 嘉兴市人民政府关于加快推进标准强市建设的实施意见》",
    "the Implementation Opinions of the CPC Jiaxing Municipal Committee and the Jiaxing Municipal People's "
    "Government on Accelerating the Building of a Strong Standards City",
)
#: The clause as the document numbers it: part 三、保障措施, item (二)加大政策扶持.
PART = Text("第三部分第(二)项", "Part III, item (2)")
#: "Under part III, item (2) of the document" — the opening of every citation.
CITE = Text(f"根据{DOCUMENT.zh}{PART.zh}", f"under {PART.en} of {DOCUMENT.en}")

_REWARD = Text("给予{amount}奖励", "a reward of {amount}")
_UP_TO = Text("给予最高{amount}奖励", "a reward of up to {amount}")
_SUBSIDY = Text("一次性给予{amount}专项补助", "a one-time special subsidy of {amount}")
#: Who each rule rewards, and the grant as the clause names it (``{amount}``: the amount), as the clause says it.
GRANTS: dict[str, tuple[Text, Text]] = {
    "R1": (Text("牵头制定并完成国际标准的企业和机构", "enterprises and institutions that lead the drafting of a completed international standard"),
           _REWARD),
    "R2": (Text("牵头制定并完成国家标准的企业和机构", "enterprises and institutions that lead the drafting of a completed national standard"),
           _REWARD),
    "R3": (Text("牵头制定并完成行业(或地方、军用)标准的企业和机构",
                "enterprises and institutions that lead the drafting of a completed industry, local or military standard"),
           _REWARD),
    "R4": (Text("牵头制定并完成“浙江制造”“浙江服务”“浙江农产”标准的企业和机构",
                "enterprises and institutions that lead the drafting of a completed Zhejiang Made, Zhejiang Service "
                "or Zhejiang Agricultural standard"),
           _REWARD),
    "R5": (Text("参与制定并完成国际标准、排名第二位至第四位的企业和机构",
                "enterprises and institutions ranked second to fourth in drafting a completed international standard"),
           _REWARD),
    "R6": (Text("参与制定并完成国家标准、排名第二位至第四位的企业和机构",
                "enterprises and institutions ranked second to fourth in drafting a completed national standard"),
           _REWARD),
    "R7": (Text("承担组建国际专业标准化技术委员会、分技术委员会秘书处的企业和其他组织",
                "enterprises and other organisations that take on the secretariat of an international technical "
                "committee or sub-committee"),
           _SUBSIDY),
    "R8": (Text("承担组建全国专业标准化技术委员会、分技术委员会秘书处的企业和其他组织",
                "enterprises and other organisations that take on the secretariat of a national professional "
                "standardisation technical committee or sub-committee"),
           _SUBSIDY),
    "R9": (Text("承担组建省级专业标准化技术委员会、分技术委员会秘书处的企业和其他组织",
                "enterprises and other organisations that take on the secretariat of a provincial professional "
                "standardisation technical committee or sub-committee"),
           _SUBSIDY),
    "R10": (Text("获得中国标准创新贡献奖一、二、三等奖的单位",
                 "organisations that win a first, second or third prize of the China Standard Innovation Contribution Award"),
            _REWARD),
    "R11": (Text("获得中国标准创新贡献奖组织奖的单位",
                 "organisations that win the organisation award of the China Standard Innovation Contribution Award"),
            _REWARD),
    "R12": (Text("通过国家级标准化试点项目验收的单位", "organisations whose national standardisation pilot passes acceptance"),
            _UP_TO),
    "R13": (Text("通过省级标准化试点项目验收的单位", "organisations whose provincial standardisation pilot passes acceptance"),
            _UP_TO),
}

_DIGITS = "〇一二三四五六七八九"


def rank_zh(rank: int) -> str:
    """排名第一位 … 第九十九位: ranks as the document writes them (the number only: 一, 十二, 九十九)."""
    if rank < 10:
        return _DIGITS[rank]
    tens, ones = divmod(rank, 10)
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


def ordinal_en(rank: int) -> str:
    """1st, 2nd, 3rd, 4th … 11th, 12th, 13th, 21st."""
    suffix = "th" if 10 <= rank % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(rank % 10, "th")
    return f"{rank}{suffix}"






def quoted(name: str) -> Text:
    """A name in quotation marks; quotation marks inside it become single ones (‘’), never doubled."""
    inner = name.strip().strip("“”\"")
    zh = inner.replace("“", "‘").replace("”", "’")
    return Text(f"“{zh}”", f"“{zh}”")


_BODIES = {
    "ISO/IEC": Text("", ""),  # named in committee_name
    "ISO": Text("国际标准化组织", "ISO"),
    "IEC": Text("国际电工委员会", "IEC"),
    "ITU-T": Text("国际电信联盟电信标准化部门", "ITU-T"),
    "ITU-R": Text("国际电信联盟无线电通信部门", "ITU-R"),
    "ITU-D": Text("国际电信联盟电信发展部门", "ITU-D"),
}
_LEVEL = {
    "national": Text("全国专业标准化", "national professional standardisation"),
    "provincial": Text("省级专业标准化", "provincial professional standardisation"),
}


def committee_name(code: str, level: str) -> Text:
    """A committee by its proper name and number: 全国专业标准化技术委员会 SAC/TC 548.

    A sub-committee (``…/SC n``) is a 分技术委员会 (全国专业标准化分技术委员会 SAC/TC 20/SC 3);
    an international committee is named after its organisation (国际标准化组织技术委员会 ISO/TC 207).
    """
    sub = "/SC " in code
    if level == "international":
        body = next((b for b in _BODIES if code.startswith((b + "/", b + " "))), None)
        if body == "ISO/IEC":  # JTC 1: the joint technical committee, and its sub-committees
            joint = Text("国际标准化组织和国际电工委员会联合技术委员会", "ISO/IEC joint technical committee")
            return (Text(f"{joint.zh}分技术委员会 {code}", f"sub-committee {code} of the {joint.en}") if sub
                    else Text(f"{joint.zh} {code}", f"{joint.en} {code}"))
        org = _BODIES[body] if body else Text("国际", "international")
    else:
        org = _LEVEL.get(level, Text("", ""))
    if sub:
        return Text(f"{org.zh}分技术委员会 {code}", f"{org.en} sub-committee {code}")
    return Text(f"{org.zh}技术委员会 {code}", f"{org.en} technical committee {code}")


# -- the style, as the tests check it -------------------------------------------------

#: What an explanation may not contain: rule ids, parameter keys, version markers, ISO dates.
FORBIDDEN: dict[str, re.Pattern[str]] = {
    "rule id": re.compile(r"(?<![A-Za-z0-9])R\d+(?![0-9])"),
    "internal key": re.compile(r"(?<![A-Za-z0-9_])[a-z][a-z0-9]*(?:_[a-z0-9]+)+|(?<![A-Za-z0-9_.])[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*"),
    "version number": re.compile(r"(?<![A-Za-z])[vV]\d|第[0-9一二三四五六七八九十]+版|\bversion \d"),
    "ISO date": re.compile(r"(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)"),
    "doubled quotation marks": re.compile(r"““|””|‘‘|’’|\"\"|“”"),
    "clause shorthand": re.compile(r"三\(二\)|三（二）"),
}


def style_problems(text: str, lang: str) -> list[str]:
    """What in ``text`` breaks the style (empty when nothing): forbidden marks, nesting, missing citation."""
    problems = [f"{what}: {m.group(0)!r}" for what, pattern in FORBIDDEN.items() for m in pattern.finditer(text)]
    depth = deepest = title = 0
    for char in text:
        if char in "(（[【":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")）]】":
            depth -= 1
        elif char == "《":
            title += 1
            if title > 1:
                problems.append("《》 inside 《》")
        elif char == "》":
            title -= 1
    if deepest >= 3:
        problems.append(f"brackets {deepest} deep")
    if depth or title:
        problems.append("unbalanced brackets")
    if lang == "zh":
        if DOCUMENT.zh not in text:
            problems.append("the document's title is missing")
        if PART.zh not in text:
            problems.append(f"{PART.zh} is missing")
        problems += [f"date not written as 2022年8月1日: {m.group(0)!r}"
                     for m in re.finditer(r"\d+年0\d月|\d+月0\d日", text)]
    else:
        if DOCUMENT.en not in text:
            problems.append("the document's title is missing")
        if PART.en not in text:
            problems.append(f"{PART.en} is missing")
    return problems
