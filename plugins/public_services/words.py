"""The plugin's words in both languages, and the names its rules and pages share.

Kept apart from the rules so the schemas, the rules and the admin pages say
the same thing the same way (the admin's message catalogue is not the
plugin's: every word here is a ``Text`` pair).
"""

from __future__ import annotations

from core import CITY_REGIONS, Text, clause_words

__all__ = [
    "CLAUSE",
    "CLAUSE_TEXT",
    "COUNTIES",
    "DIRECTIONS",
    "DOCUMENT",
    "NATIONAL_STANDARD",
    "PLUGIN",
    "STANDARD_STATUSES",
    "CLAUSE_WORDS",
    "county_name",
]

PLUGIN = "public_services"

#: The clause as the document numbers it, and as the rules cite it.
CLAUSE = "二(三)1"

#: 《中共嘉兴市委 嘉兴市人民政府关于加快推进标准强市建设的实施意见》 二(三)1, verbatim.
CLAUSE_TEXT = (
    "1.促进基本公共服务优质共享。以标准化推动基本公共服务均等化,建设“幸福一‘嘉’人”品牌服务体系。"
    "推进健康嘉兴建设,研究制定社会心理服务体系建设地方标准和运行规范。"
    "重点完善育儿养老、社会工作、公共教育、公共文化服务、基层医疗卫生等领域标准建设。"
    "深入开展基本公共服务标准化试点,梳理基本公共服务清单、标准清单、责任清单,"
    "加强标准实施监测及动态管理,及时跟踪标准水平和实施进展。"
)

#: The document, as an explanation names it.
DOCUMENT = Text(
    "《中共嘉兴市委 嘉兴市人民政府关于加快推进标准强市建设的实施意见》",
    "the Implementation Opinions of the CPC Jiaxing Municipal Committee and the Jiaxing Municipal "
    "People's Government on Accelerating the Building of a Strong Standards City",
)

#: The clause as an explanation cites it: 第二部分第(三)项第1目 / Part II, item (3), point 1.
CLAUSE_WORDS = clause_words(CLAUSE)

#: The national standard the lists follow (domain-facts.md ✔: 发改社会〔2021〕443号, 2021-04-20).
NATIONAL_STANDARD = Text(
    "《国家基本公共服务标准(2021年版)》(发改社会〔2021〕443号)",
    "the National Basic Public Service Standard (2021 edition, NDRC document 发改社会〔2021〕443号)",
)

#: An indicator's direction: which side of the standard value meets it.
DIRECTIONS = {
    "higher": Text("不低于标准值", "at least the standard value"),
    "lower": Text("不高于标准值", "at most the standard value"),
}

#: A supporting standard's status in the standards list.
STANDARD_STATUSES = {
    "in_force": Text("现行有效", "in force"),
    "replaced": Text("已被代替", "replaced"),
    "withdrawn": Text("已废止", "withdrawn"),
}

#: Jiaxing's county-level divisions (GB/T 2260; domain-facts.md ✔) and the city level: core's table.
COUNTIES: dict[str, Text] = CITY_REGIONS


def county_name(code: str) -> Text:
    """The county's name (its code, in both languages, for one not in Jiaxing)."""
    return COUNTIES.get(code) or Text(f"地区{code}", f"region {code}")

