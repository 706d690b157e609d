"""Approval lists (拨付清单): preview what a list would pay, issue it, frozen; supplementary lists for what changed.

``create`` is the only way a list is issued: from ``stdpolicy approvals
create`` and the admin's 拨付清单 pages alike. Under the writer lock (a
re-evaluation or parameter change must not land between reading the
payable outcomes and storing the list) it gathers the payable outcomes of
the period (``payable_outcomes``: paid as evaluated, or held and approved
by a reviewer), copies each into a row as it will be printed, numbers the
list per year (2024-001, 2024-002 …) and stores it with its digest and
audit entry, all or nothing. An activity already on an earlier list of the
plugin is not listed again: what changed since is a *supplementary* list
of the chain (2024-001-补1), with a row per newly payable outcome, per
changed amount (the difference, naming the earlier row) and per outcome no
longer payable (a negative amount). Issued lists are never changed.

Who may issue: the administrators of the plugin's owning department and
city administrators. The admin checks the user's role; ``create`` checks
that the issuing department owns the plugin unless the caller says a city
administrator issues it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..screening import clipped
from ..text import date_zh
from ..approvals import ListRow, achievement_text, capital_yuan, items_digest, list_number, supplement_number
from ..messages import Bilingual
from ..models import ApprovalListItemRecord, ApprovalListRecord, Department
from ..registry import Registry
from ..regions import region_name
from ..store import approvals as store
from ..store.reviews import Payable, payable_outcomes
from ..store.audit import audit
from ..store.locking import writing
from ..store.permissions import plugin_owner
from ..text import Text

__all__ = [
    "ApprovalRefused",
    "Draft",
    "RequestSchema",
    "county_totals",
    "create",
    "draft",
    "original_of",
    "row_of",
    "verify",
]

#: The plugin whose outcomes are paid by default: 三(二) rewards and subsidies.
DEFAULT_PLUGIN = "reward_tiers"


class ApprovalRefused(Exception):
    """A list that cannot be issued (nothing payable, nothing changed, not permitted, unknown list): nothing stored."""

    def __init__(self, text: Text, field: str | None = None) -> None:
        super().__init__(text.en)
        self.text = text
        #: The request field the refusal is about, if any (``period_from``, ``supplements`` …).
        self.field = field


class RequestSchema(Schema):
    """What a user asks for: a period (both days included), the plugin, an optional note."""

    period_from = fields.Date(required=True, metadata={"label": Text("起始日期", "From")})
    period_to = fields.Date(required=True, metadata={"label": Text("截止日期", "To")})
    plugin = fields.String(load_default=DEFAULT_PLUGIN, validate=validate.Length(min=1, max=100))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    supplements = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=50))

    @validates_schema
    def _period(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("period_from") and data.get("period_to") and data["period_from"] > data["period_to"]:
            raise ValidationError(Bilingual("截止日期早于起始日期", "the end of the period is before its start"),
                                  field_name="period_to")


@dataclass(frozen=True)
class CountyTotal:
    region_code: str
    county: Text
    count: int
    amount: int


@dataclass(frozen=True)
class Draft:
    """A list as it would be issued now (``draft``) — or as it was (``create`` returns the stored record)."""

    plugin: str
    kind: str
    period_from: date
    period_to: date
    title: str
    rows: list[ListRow]
    #: The original list a supplementary list belongs to.
    supplements: ApprovalListRecord | None = None

    @property
    def total(self) -> int:
        return sum(row.amount for row in self.rows)

    @property
    def total_capital(self) -> str:
        return capital_yuan(self.total)

    @property
    def counties(self) -> list[CountyTotal]:
        return county_totals(self.rows)


def county_totals(rows: Iterable[ListRow | ApprovalListItemRecord]) -> list[CountyTotal]:
    """Per county (region code), in code order: rows and amount."""
    count: dict[str, int] = defaultdict(int)
    amount: dict[str, int] = defaultdict(int)
    for row in rows:
        count[row.region_code] += 1
        amount[row.region_code] += int(row.amount)
    return [CountyTotal(code, region_name(code), count[code], amount[code]) for code in sorted(count)]


def original_of(number: str) -> ApprovalListRecord:
    """The original list of the chain ``number`` belongs to (2024-001-补1 → 2024-001).

    :raises ApprovalRefused: no list has that number.
    """
    found = store.find_list(number)
    if found is None:
        raise ApprovalRefused(Text(f"没有编号为 {number} 的拨付清单", f"no approval list is numbered {number}"),
                              field="supplements")
    while found.supplements_id is not None:
        earlier = store.find_list_by_id(found.supplements_id)
        assert earlier is not None
        found = earlier
    return found


def _title(registry: Registry, plugin: str, supplements: ApprovalListRecord | None) -> str:
    record = registry.plugins.get(plugin)
    label = record.description.label.zh if record is not None else ""
    if supplements is None:
        return f"{label}资金拨付清单"
    return f"{label}资金拨付补充清单(补充第{supplements.number}号清单)"


def _row(payable: Payable, amount: int, *, corrects: ApprovalListItemRecord | None = None,
         explanation: Text | None = None) -> ListRow:
    outcome, activity, organisation = payable.outcome, payable.activity, payable.organisation
    return ListRow(
        activity_id=activity.id, outcome_id=outcome.id, organisation_id=organisation.id,
        organisation_name=organisation.name or "", credit_code=organisation.credit_code,
        region_code=organisation.region_code,
        achievement=achievement_text(activity.kind, activity.fields or {}, activity.subject),
        achievement_date=activity.date, rule=outcome.rule, clause=outcome.clause, amount=amount,
        explanation_zh=explanation.zh if explanation else outcome.explanation_zh,
        explanation_en=explanation.en if explanation else outcome.explanation_en,
        parameters=list(outcome.parameters or []), review_decision_id=payable.decision_id,
        corrects_item_id=corrects.id if corrects is not None else None,
    )


def _order(rows: list[ListRow]) -> list[ListRow]:
    """Grouped by county, then by date: the county subtotals follow their rows."""
    return sorted(rows, key=lambda r: (r.region_code, r.achievement_date, r.activity_id, r.rule, r.amount))


def draft(registry: Registry, plugin: str, period_from: date, period_to: date,
          supplements: str | None = None) -> Draft:
    """What a list of ``plugin`` for the period would pay if issued now. Stores nothing.

    With ``supplements`` (the number of an issued list): the supplementary
    list of that list's chain, over the original's period (``period_from``
    and ``period_to`` are then the original's).
    """
    if plugin not in registry.plugins:
        raise ApprovalRefused(Text(f"未加载插件 {clipped(plugin)}", f"no loaded plugin '{clipped(plugin)}'"), field="plugin")
    if supplements is not None:
        return _supplement(registry, original_of(supplements))
    listed = store.listed_activities(plugin)
    rows = [_row(p, p.amount) for p in payable_outcomes(plugin, period_from, period_to)
            if p.activity.id not in listed]
    return Draft(plugin=plugin, kind="original", period_from=period_from, period_to=period_to,
                 title=_title(registry, plugin, None), rows=_order(rows))


def _supplement(registry: Registry, original: ApprovalListRecord) -> Draft:
    chain = store.chain_of(original)
    chain_lists = {original.id: original.number, **{s.id: s.number for s in store.supplements_of(original)}}
    elsewhere = store.listed_activities(original.plugin, exclude_list_ids=chain_lists)
    paid: dict[tuple[int, str], int] = defaultdict(int)
    latest: dict[tuple[int, str], ApprovalListItemRecord] = {}
    for item in chain:
        paid[(item.activity_id, item.rule)] += int(item.amount)
        latest[(item.activity_id, item.rule)] = item
    payable = {(p.activity.id, p.outcome.rule): p
               for p in payable_outcomes(original.plugin, original.period_from, original.period_to)
               if p.activity.id not in elsewhere}

    def where(item: ApprovalListItemRecord) -> Text:
        number = chain_lists[item.list_id]
        return Text(f"原清单{number}第{item.position}行", f"row {item.position} of list {number}")

    rows: list[ListRow] = []
    for key, p in payable.items():
        before = paid.get(key, 0)
        if p.amount == before:
            continue
        earlier = latest.get(key)
        if earlier is None or before == 0:
            rows.append(_row(p, p.amount, corrects=earlier))
            continue
        w = where(earlier)
        note = Text(f"{w.zh}已拨付{before}元,现应拨付{p.amount}元,本清单补差{p.amount - before}元。",
                    f"{w.en} paid {before} yuan; {p.amount} yuan is payable now; this list pays the difference, "
                    f"{p.amount - before} yuan. ")
        rows.append(_row(p, p.amount - before, corrects=earlier,
                         explanation=Text(note.zh + p.outcome.explanation_zh, note.en + p.outcome.explanation_en)))
    gone = [key for key, amount in paid.items() if amount != 0 and key not in payable]
    current = store.current_outcomes(original.plugin, {activity for activity, _ in gone})
    for key in gone:
        earlier = latest[key]
        now = current.get(key[0], [])
        reason = next((o for o in now if o.rule == key[1]), now[0] if now else None)
        w = where(earlier)
        note = Text(f"{w.zh}已拨付{paid[key]}元,现不再符合拨付条件,本清单收回{paid[key]}元。",
                    f"{w.en} paid {paid[key]} yuan; it is no longer payable; this list takes back {paid[key]} yuan. ")
        rows.append(ListRow(
            activity_id=earlier.activity_id, outcome_id=reason.id if reason is not None else earlier.outcome_id,
            organisation_id=earlier.organisation_id, organisation_name=earlier.organisation_name,
            credit_code=earlier.credit_code, region_code=earlier.region_code, achievement=earlier.achievement,
            achievement_date=earlier.achievement_date, rule=earlier.rule, clause=earlier.clause, amount=-paid[key],
            explanation_zh=note.zh + (reason.explanation_zh if reason is not None else ""),
            explanation_en=note.en + (reason.explanation_en if reason is not None else ""),
            parameters=list(reason.parameters or []) if reason is not None else list(earlier.parameters or []),
            corrects_item_id=earlier.id,
        ))
    return Draft(plugin=original.plugin, kind="supplementary", period_from=original.period_from,
                 period_to=original.period_to, title=_title(registry, original.plugin, original),
                 rows=_order(rows), supplements=original)


def _may_issue(plugin: str, department: Department | None, city_admin: bool) -> None:
    if city_admin:
        return
    owner = plugin_owner(plugin)
    if department is None or owner is None or owner.id != department.id:
        who = department.name_zh if department is not None else "未指定部门"
        raise ApprovalRefused(Text(
            f"{who}不是该插件的主管部门,只有主管部门的管理员和市级管理员可以签发拨付清单",
            f"{department.code if department is not None else 'no department'} does not own {plugin}: only the "
            "owning department's administrators and city administrators issue approval lists",
        ), field="department")


def create(registry: Registry, plugin: str, period_from: date, period_to: date, *, actor: str,
           department: Department | None, note: str | None = None, supplements: str | None = None,
           city_admin: bool = False) -> ApprovalListRecord:
    """Issue the list ``draft`` describes, numbered and frozen, with its audit entry (committed).

    :param department: the issuing department (the audit entry names it);
        unless ``city_admin``, it must own ``plugin``.
    :raises ApprovalRefused: not permitted; a period with nothing payable;
        a supplementary list with nothing changed; an unknown list number.
        Nothing is stored.
    """
    with writing("issue an approval list"):
        if supplements is not None:
            plugin = original_of(supplements).plugin
        _may_issue(plugin, department, city_admin)
        found = draft(registry, plugin, period_from, period_to, supplements)
        if not found.rows:
            if found.supplements is not None:
                raise ApprovalRefused(Text(
                    f"自拨付清单{found.supplements.number}签发以来,应拨付金额没有变化,无需补充清单",
                    f"nothing payable changed since list {found.supplements.number} was issued: "
                    "no supplementary list is needed",
                ), field="supplements")
            raise ApprovalRefused(Text(
                f"{date_zh(period_from)}至{date_zh(period_to)}没有尚未列入拨付清单的应拨付事项",
                f"nothing payable from {period_from.isoformat()} to {period_to.isoformat()} that is not on "
                "an issued list already",
            ), field="period_from")
        if found.supplements is not None:
            number = supplement_number(found.supplements.number, len(store.supplements_of(found.supplements)) + 1)
        else:
            number = list_number(period_to.year, store.originals_of_year(period_to.year) + 1)
        digest = items_digest(found.rows)
        record = store.add_list(
            number=number, title=found.title, kind=found.kind, plugin=plugin, period_from=found.period_from,
            period_to=found.period_to, rows=found.rows, digest=digest, issued_by=actor, department=department,
            note=(note or "").strip() or None, supplements=found.supplements,
        )
        audit("approvals.issue", actor, number, department=department, after={
            "number": number, "kind": found.kind, "plugin": plugin,
            "period_from": found.period_from.isoformat(), "period_to": found.period_to.isoformat(),
            "items": len(found.rows), "total_amount": found.total, "digest": digest,
            **({"supplements": found.supplements.number} if found.supplements is not None else {}),
        }, detail=record.note)
        return record


def verify(approval_list: ApprovalListRecord) -> bool:
    """Whether the stored rows still give the digest issued with the list."""
    return items_digest(row_of(item) for item in store.list_items(approval_list)) == approval_list.digest


def row_of(item: ApprovalListItemRecord) -> ListRow:
    """A stored row as the digest and the documents read it."""
    return ListRow(
        activity_id=item.activity_id, outcome_id=item.outcome_id, organisation_id=item.organisation_id,
        organisation_name=item.organisation_name, credit_code=item.credit_code, region_code=item.region_code,
        achievement=item.achievement, achievement_date=item.achievement_date, rule=item.rule, clause=item.clause,
        amount=int(item.amount), explanation_zh=item.explanation_zh, explanation_en=item.explanation_en,
        parameters=list(item.parameters or []), review_decision_id=item.review_decision_id,
        corrects_item_id=item.corrects_item_id,
    )

