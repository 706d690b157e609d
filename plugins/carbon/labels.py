"""The plugin's words in both languages: the document, its clauses, coded values.

Kept in one place so that schemas, explanations and pages name things the
same way. Explanations quote the clause the way the document numbers it
(第二部分第(五)项第1目); the short key (``二(五)1``) stays in the
structured fields.
"""

from __future__ import annotations

from datetime import date

from core import Text

__all__ = [
    "ACCOUNTING_CLAUSE",
    "CLAUSE",
    "CLAUSE_TEXT",
    "DIRECTIONS",
    "DOCUMENT",
    "GREEN_CLAUSE",
    "PLANT_TYPES",
    "POLICY_START",
    "TOPICS",
]

#: 二(五)1 — every rule of the plugin implements it.
CLAUSE = "二(五)1"
#: 二(五)3 — clean-production and green standards (the topics ``other`` may name).
GREEN_CLAUSE = "二(五)3"
ACCOUNTING_CLAUSE = CLAUSE

#: The day the Opinions take effect (本意见自2022年8月1日起施行).
POLICY_START = date(2022, 8, 1)

DOCUMENT = Text(
    "《中共嘉兴市委 嘉兴市人民政府关于加快推进标准强市建设的实施意见》",
    "the Implementation Opinions of the CPC Jiaxing Municipal Committee and the Jiaxing Municipal "
    "People's Government on Accelerating the Building of a Strong Standards City",
)

#: 二(五)1, verbatim.
CLAUSE_TEXT = (
    "1.推动碳达峰、碳中和标准实施应用。实施碳达峰、碳中和标准化提升工程,落实能耗限额、产品设备能效等强制性标准要求,"
    "实施全国统一的碳排放核查核算标准,争取参与制定一批碳标签、碳足迹、碳捕获利用等关键标准,推行低碳产品标准标识制度。"
)






DIRECTIONS = {
    "lower": Text("越低越好", "lower is better"),
    "higher": Text("越高越好", "higher is better"),
}

PLANT_TYPES = {
    "existing": Text("现有企业", "existing plant"),
    "new": Text("新建或改扩建企业", "new or expanded plant"),
}

TOPICS = {
    "carbon_label": Text("碳标签", "carbon label"),
    "carbon_footprint": Text("碳足迹", "carbon footprint"),
    "ccus": Text("碳捕获利用与封存", "carbon capture, utilisation and storage"),
    "carbon_accounting": Text("碳排放核算核查", "carbon accounting and verification"),
    "energy_quota": Text("能耗限额", "energy consumption quota"),
    "energy_efficiency": Text("产品设备能效", "energy efficiency of products and equipment"),
    "other": Text("其他碳达峰碳中和及绿色标准", "other carbon-peak, carbon-neutrality or green standard"),
}
