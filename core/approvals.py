"""Approval lists (拨付清单): what a row says, money in capital numerals, the list's digest and numbers.

Pure functions, no database: ``core.store.approvals`` keeps the lists,
``core.services.approvals`` issues them, ``core.documents`` prints them.
A list is frozen when issued, so everything printed on it is copied into
its rows then (``ListRow``): the organisation's name as it was, the
achievement as printed, the amount paid. The digest is computed from those
copies, so anyone can check a list is as issued.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from .kinds.schemas import AWARD_NAMES, COMMITTEE_LEVEL_NAMES, PILOT_LEVEL_NAMES
from .text import clause_words

__all__ = [
    "ListRow",
    "achievement_text",
    "capital_yuan",
    "clause_as_printed",
    "items_digest",
    "list_number",
    "supplement_number",
]


def capital_yuan(amount: int) -> str:
    """Integer yuan in Chinese capital numerals as finance writes them: 300000 → 叁拾万元整, 100500 → 壹拾万零伍佰元整.

    ``cn2an``'s ``rmb`` mode writes the leading 壹拾 and the zeros inside
    (壹仟零伍拾万元整) as Chinese finance practice does; a negative amount
    (a supplementary list taking money back) is 负….
    """
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"amounts are integer yuan, got {amount!r}")
    import cn2an  # on use: importing it takes ~0.3 s, which every other command would pay

    return str(cn2an.an2cn(amount, "rmb"))


def clause_as_printed(clause: str) -> str:
    """A clause as the document numbers it: 三(二) → 第三部分第(二)项, 二(五)1 → 第二部分第(五)项第1目; anything else unchanged."""
    return clause_words(clause).zh


def achievement_text(kind: str, fields: Mapping[str, Any], subject: str | None = None) -> str:
    """The achievement as an approval list prints it: the standard's number and title, the committee, award or project.

    Chinese only: the list is a Chinese document. A kind not known here is
    printed by its subject (what the register searches), never by a key.
    """
    if kind == "standard_drafting":
        number = str(fields.get("standard_code") or subject or "")
        title = fields.get("title")
        return f"{number}《{title}》" if title else number
    if kind == "tc_secretariat":
        level = COMMITTEE_LEVEL_NAMES.get(str(fields.get("committee_level")))
        code = str(fields.get("committee_code") or subject or "")
        name = fields.get("committee_name")
        body = f"{code} {name}" if name else code
        prefix = f"{level.zh}专业标准化技术委员会" if level is not None else "专业标准化技术委员会"
        return f"承担{prefix} {body} 秘书处"
    if kind == "innovation_award":
        award = AWARD_NAMES.get(str(fields.get("award")))
        text = f"中国标准创新贡献奖{award.zh if award is not None else ''}"
        project = fields.get("project")
        return f"{text}(获奖项目:{project})" if project else text
    if kind == "pilot_project":
        level = PILOT_LEVEL_NAMES.get(str(fields.get("pilot_level")))
        project = fields.get("project")
        text = f"{level.zh if level is not None else ''}标准化试点项目"
        return f"{text}“{project}”" if project else text
    return subject or ""


def list_number(year: int, sequence: int) -> str:
    """The number of the ``sequence``-th original list of ``year``: 2024-001."""
    return f"{year}-{sequence:03d}"


def supplement_number(original: str, sequence: int) -> str:
    """The number of the ``sequence``-th supplementary list to ``original``: 2024-001-补1."""
    return f"{original}-补{sequence}"


@dataclass(frozen=True)
class ListRow:
    """One row of an approval list as it is (or would be) issued: copies, never references to what may change."""

    activity_id: int
    outcome_id: int
    organisation_id: int
    organisation_name: str
    credit_code: str
    region_code: str
    achievement: str
    achievement_date: date
    rule: str
    clause: str
    #: Integer yuan; negative in a supplementary row that takes back (part of) an earlier payment.
    amount: int
    explanation_zh: str
    explanation_en: str
    parameters: list[dict[str, Any]] = field(default_factory=list)
    review_decision_id: int | None = None
    #: In a supplementary list: the earlier row this row corrects.
    corrects_item_id: int | None = None

    def canonical(self, position: int) -> dict[str, Any]:
        """The row as the digest reads it (JSON values only)."""
        data = asdict(self)
        data["achievement_date"] = self.achievement_date.isoformat()
        data["position"] = position
        return data


def items_digest(rows: Iterable[ListRow]) -> str:
    """SHA-256 hex of the rows' canonical JSON, in their order (positions 1, 2, 3 …)."""
    payload = [row.canonical(position) for position, row in enumerate(rows, start=1)]
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
