"""How spreadsheet columns are named: the common fields, the register's own columns.

A CSV or XLSX header may name a field by its key (``rank``), by the label
its kind's schema declares (``metadata={"label": Text("起草单位排名", …)}``,
in either language) or, for the common fields, by the names below
(``编号``, ``类型``, ``日期``, ``统一社会信用代码``, ``单位名称`` …). The
register's exports write the first name of each list in the admin's
language, so an exported file reads back (``webadmin/views/register.py``).

The register's computed columns (the plugin, rule, amount, explanation …
of each outcome) are named here too: an import skips them, as they are
results, not part of the activity.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

from ..text import Text

if TYPE_CHECKING:
    from ..registry import Registry

__all__ = ["COMMON", "COMPUTED", "field_label", "normalise"]

#: The common fields: the label exports write, then other names a header may use.
COMMON: dict[str, tuple[Text, tuple[str, ...]]] = {
    "id": (Text("登记编号", "Record id"), ("编号", "记录编号", "id")),
    "kind": (Text("活动类型", "Kind"), ("类型", "kind")),
    "date": (Text("日期", "Date"), ("date",)),
    "credit_code": (Text("统一社会信用代码", "Credit code"), ("信用代码", "credit_code", "unified social credit code")),
    "organisation": (Text("单位名称", "Organisation"), ("单位", "组织名称", "organization", "organisation name")),
}

#: Columns of the register's exports that are results, not input: an import skips them.
COMPUTED: dict[str, Text] = {
    "activity_id": Text("活动序号", "Activity id"),
    "county": Text("县(市、区)", "County"),
    "kind_label": Text("活动类型名称", "Kind name"),
    "subject": Text("事项", "Subject"),
    "plugin": Text("政策插件", "Plugin"),
    "plugin_version": Text("插件版本", "Plugin version"),
    "rule": Text("规则", "Rule"),
    "amount": Text("金额(元)", "Amount (yuan)"),
    "status": Text("结果状态", "Status"),
    "held_amount": Text("待核实金额(元)", "Amount held for review (yuan)"),
    "review": Text("核实结果", "Review"),
    "clause": Text("条款", "Clause"),
    "explanation_zh": Text("说明(中文)", "Explanation (Chinese)"),
    "explanation_en": Text("说明(英文)", "Explanation (English)"),
    "parameters": Text("参数版本", "Parameter versions"),
}


def normalise(name: str) -> str:
    """A header or a value label as compared: NFKC (full-width forms), case and spacing folded."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def field_label(registry: Registry, kind: str | None, name: str | None) -> Text | None:
    """How a user knows field ``name`` of ``kind``: its declared label, or a common field's."""
    if name is None:
        return None
    if name in COMMON:
        return COMMON[name][0]
    declared = registry.kinds.get(kind) if kind else None
    return declared.field_label(name) if declared is not None else None
