"""Region codes (GB/T 2260) of the unified social credit code, positions 3–8.

The register filters organisations by county; Jiaxing's county-level units
are named here in both languages. Codes outside Jiaxing are shown by
province, which is all the city's staff need to tell them apart.
"""

from __future__ import annotations

from .text import Text

__all__ = ["CITY_REGIONS", "JIAXING_COUNTIES", "PROVINCES", "region_name", "region_of"]

#: Jiaxing city and its county-level divisions (domain-facts.md, ✔).
JIAXING_COUNTIES: dict[str, Text] = {
    "330400": Text("嘉兴市(市本级)", "Jiaxing (city level)"),
    "330402": Text("南湖区", "Nanhu District"),
    "330411": Text("秀洲区", "Xiuzhou District"),
    "330421": Text("嘉善县", "Jiashan County"),
    "330424": Text("海盐县", "Haiyan County"),
    "330481": Text("海宁市", "Haining"),
    "330482": Text("平湖市", "Pinghu"),
    "330483": Text("桐乡市", "Tongxiang"),
}

#: The plugin API's copy (``core.CITY_REGIONS``): the city level and the county-level divisions, by region code.
CITY_REGIONS: dict[str, Text] = dict(JIAXING_COUNTIES)

#: Province-level codes (first two digits of a GB/T 2260 code).
PROVINCES: dict[str, Text] = {
    "11": Text("北京市", "Beijing"), "12": Text("天津市", "Tianjin"), "13": Text("河北省", "Hebei"),
    "14": Text("山西省", "Shanxi"), "15": Text("内蒙古自治区", "Inner Mongolia"),
    "21": Text("辽宁省", "Liaoning"), "22": Text("吉林省", "Jilin"), "23": Text("黑龙江省", "Heilongjiang"),
    "31": Text("上海市", "Shanghai"), "32": Text("江苏省", "Jiangsu"), "33": Text("浙江省", "Zhejiang"),
    "34": Text("安徽省", "Anhui"), "35": Text("福建省", "Fujian"), "36": Text("江西省", "Jiangxi"),
    "37": Text("山东省", "Shandong"), "41": Text("河南省", "Henan"), "42": Text("湖北省", "Hubei"),
    "43": Text("湖南省", "Hunan"), "44": Text("广东省", "Guangdong"), "45": Text("广西壮族自治区", "Guangxi"),
    "46": Text("海南省", "Hainan"), "50": Text("重庆市", "Chongqing"), "51": Text("四川省", "Sichuan"),
    "52": Text("贵州省", "Guizhou"), "53": Text("云南省", "Yunnan"), "54": Text("西藏自治区", "Tibet"),
    "61": Text("陕西省", "Shaanxi"), "62": Text("甘肃省", "Gansu"), "63": Text("青海省", "Qinghai"),
    "64": Text("宁夏回族自治区", "Ningxia"), "65": Text("新疆维吾尔自治区", "Xinjiang"),
    "71": Text("台湾省", "Taiwan"), "81": Text("香港特别行政区", "Hong Kong"), "82": Text("澳门特别行政区", "Macao"),
}


def region_name(region_code: str) -> Text:
    """The county (inside Jiaxing) or province (outside) of a region code."""
    if region_code in JIAXING_COUNTIES:
        return JIAXING_COUNTIES[region_code]
    if region_code.startswith("3304"):
        return Text("嘉兴市", "Jiaxing")
    province = PROVINCES.get(region_code[:2])
    if province is None:
        return Text(f"地区 {region_code}", f"region {region_code}")
    return province


def region_of(credit_code: str) -> tuple[str, Text]:
    """The region code (positions 3–8 of a unified social credit code) and its name (county or province)."""
    code = credit_code[2:8]
    return code, region_name(code)
