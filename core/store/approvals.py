"""Approval lists (拨付清单) in the database: read the payable outcomes and the issued lists, add a list.

Adds to the current transaction and never commits (``core.services.approvals``
owns the transaction, the writer lock and the audit entry). What is payable
is ``core.store.reviews.payable_outcomes``'s answer (paid outcomes, and
held ones a reviewer approved). The tables are
append-only: a list, once added, is never changed; a correction is another
(supplementary) list.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date

from sqlalchemy import func, select

from ..approvals import ListRow
from ..db import db
from ..models import ApprovalListItemRecord, ApprovalListRecord, Department, OutcomeRecord

__all__ = [
    "add_list",
    "chain_of",
    "current_outcomes",
    "find_list",
    "find_list_by_id",
    "list_items",
    "listed_activities",
    "lists",
    "originals_of_year",
    "supplements_of",
]


def lists(plugin: str | None = None) -> list[ApprovalListRecord]:
    """Every issued list (of ``plugin``), latest first."""
    query = select(ApprovalListRecord).order_by(ApprovalListRecord.issued_at.desc(), ApprovalListRecord.id.desc())
    if plugin is not None:
        query = query.where(ApprovalListRecord.plugin == plugin)
    return list(db.session.scalars(query))


def find_list(number: str) -> ApprovalListRecord | None:
    """The list numbered ``number`` (as printed: 2024-001, 2024-001-补1)."""
    return db.session.scalar(select(ApprovalListRecord).where(ApprovalListRecord.number == number.strip()))


def find_list_by_id(list_id: int) -> ApprovalListRecord | None:
    return db.session.get(ApprovalListRecord, list_id)


def current_outcomes(plugin: str, activity_ids: Collection[int]) -> dict[int, list[OutcomeRecord]]:
    """The current outcomes of ``plugin`` for those activities: activity id → outcomes."""
    found: dict[int, list[OutcomeRecord]] = {}
    if not activity_ids:
        return found
    for outcome in db.session.scalars(select(OutcomeRecord).where(
            OutcomeRecord.superseded_at.is_(None), OutcomeRecord.plugin == plugin,
            OutcomeRecord.activity_id.in_(list(activity_ids))).order_by(OutcomeRecord.id)):
        found.setdefault(outcome.activity_id, []).append(outcome)
    return found


def list_items(approval_list: ApprovalListRecord) -> list[ApprovalListItemRecord]:
    """The list's rows in their printed order."""
    return list(db.session.scalars(select(ApprovalListItemRecord)
                                   .where(ApprovalListItemRecord.list_id == approval_list.id)
                                   .order_by(ApprovalListItemRecord.position)))


def supplements_of(original: ApprovalListRecord) -> list[ApprovalListRecord]:
    """The supplementary lists of ``original``, in the order they were issued."""
    return list(db.session.scalars(select(ApprovalListRecord)
                                   .where(ApprovalListRecord.supplements_id == original.id)
                                   .order_by(ApprovalListRecord.id)))


def chain_of(original: ApprovalListRecord) -> list[ApprovalListItemRecord]:
    """Every row of ``original`` and of its supplementary lists, in the order they were issued."""
    ids = [original.id, *(s.id for s in supplements_of(original))]
    return list(db.session.scalars(select(ApprovalListItemRecord)
                                   .where(ApprovalListItemRecord.list_id.in_(ids))
                                   .order_by(ApprovalListItemRecord.list_id, ApprovalListItemRecord.position)))


def listed_activities(plugin: str, exclude_list_ids: Collection[int] = ()) -> set[int]:
    """The activities with a row on any issued list of ``plugin`` (except the lists ``exclude_list_ids``)."""
    query = (select(ApprovalListItemRecord.activity_id).distinct()
             .join(ApprovalListRecord, ApprovalListRecord.id == ApprovalListItemRecord.list_id)
             .where(ApprovalListRecord.plugin == plugin))
    if exclude_list_ids:
        query = query.where(ApprovalListItemRecord.list_id.notin_(list(exclude_list_ids)))
    return set(db.session.scalars(query))


def originals_of_year(year: int) -> int:
    """How many original lists are numbered in ``year`` (numbers are per year, whatever the plugin)."""
    return int(db.session.scalar(select(func.count()).select_from(ApprovalListRecord).where(
        ApprovalListRecord.kind == "original", ApprovalListRecord.number.like(f"{year}-%"))) or 0)


def add_list(*, number: str, title: str, kind: str, plugin: str, period_from: date, period_to: date,
             rows: Sequence[ListRow], digest: str, issued_by: str, department: Department | None,
             note: str | None, supplements: ApprovalListRecord | None = None) -> ApprovalListRecord:
    """Add a list and its rows (positions 1, 2, 3 … in the order given) to the current transaction."""
    record = ApprovalListRecord(
        number=number, title=title, kind=kind, supplements_id=supplements.id if supplements is not None else None,
        plugin=plugin, period_from=period_from, period_to=period_to, item_count=len(rows),
        total_amount=sum(row.amount for row in rows), digest=digest, issued_by=issued_by,
        department_id=department.id if department is not None else None, note=note,
    )
    db.session.add(record)
    db.session.flush()
    for position, row in enumerate(rows, start=1):
        db.session.add(ApprovalListItemRecord(
            list_id=record.id, position=position, activity_id=row.activity_id, outcome_id=row.outcome_id,
            review_decision_id=row.review_decision_id, corrects_item_id=row.corrects_item_id,
            organisation_id=row.organisation_id, organisation_name=row.organisation_name,
            credit_code=row.credit_code, region_code=row.region_code, achievement=row.achievement,
            achievement_date=row.achievement_date, rule=row.rule, clause=row.clause, amount=row.amount,
            explanation_zh=row.explanation_zh, explanation_en=row.explanation_en, parameters=row.parameters,
        ))
    db.session.flush()
    return record
