"""The register as rows to export (CSV, XLSX): one row per current outcome, streamed."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, false, select

from ...db import db
from ...models import ActivityRecord, Organisation, OutcomeRecord
from ...registry import Registry
from ...regions import region_name
from ...text import Text
from . import thresholds
from .detail import version_numbers
from .filters import build_plan
from .plan import conditions
from .scope import RegisterFilter, scope_of
from .sql import as_date, not_indexed

__all__ = ["EXPORT_COLUMNS", "ExportRow", "export_rows", "format_parameters"]

#: The columns of an export, in order (the admin names them in the UI language).
EXPORT_COLUMNS = (
    "activity_id", "external_id", "date", "organisation", "credit_code", "county", "kind", "subject",
    "plugin", "plugin_version", "rule", "amount", "clause", "explanation_zh", "explanation_en", "parameters",
)


@dataclass
class ExportRow:
    """One current outcome of an activity, or an activity without any (outcome fields ``None``)."""

    activity_id: int
    external_id: str | None
    date: date
    organisation: str | None
    credit_code: str
    region_code: str
    kind: str
    subject: str | None
    plugin: str | None
    plugin_version: str | None
    rule: str | None
    amount: int | None
    clause: str | None
    explanation_zh: str | None
    explanation_en: str | None
    #: The parameter versions read, ``key=value (#id from date)``, separated by ``; ``.
    parameters: str | None
    #: The activity's own fields as stored (its kind's; an export writes them so the file re-imports).
    fields: dict[str, Any] | None = None
    #: The parameter versions read, as stored (``key``, ``value``, ``effective_from``, ``version_id``).
    parameter_versions: list[dict[str, Any]] | None = None
    #: The outcome's status (``core.OutcomeStatus``) and its details (a held outcome's ``held_amount``, ``held_reasons``).
    status: str | None = None
    details: dict[str, Any] | None = None

    @property
    def held_amount(self) -> int | None:
        """What a held outcome would pay once approved; ``None`` for any other row."""
        if self.status != "held":
            return None
        return int((self.details or {}).get("held_amount", 0))

    @property
    def county(self) -> Text:
        return region_name(self.region_code)


def format_parameters(parameters: list[dict[str, Any]] | None, sequences: dict[int, int] | None = None) -> str:
    """``key=value (#number from date)`` for each parameter version, joined by ``; ``.

    The number is the version's number within its key, as every page shows it
    (``sequences`` maps the database ids of outcomes stored before the number
    travelled with them).
    """
    parts = []
    for p in parameters or ():
        value = p.get("value")
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        version = p.get("sequence")
        if version is None and p.get("version_id") is not None:
            version = (sequences or {}).get(int(p["version_id"]), p["version_id"])
        origin = f"#{version} from {p.get('effective_from')}" if version is not None else f"from {p.get('effective_from')}"
        parts.append(f"{p.get('key')}={shown} ({origin})")
    return "; ".join(parts)


def export_rows(
    registry: Registry, plugins: Collection[str], filt: RegisterFilter | None = None, *, chunk: int | None = None,
) -> Iterator[ExportRow]:
    """Every activity of the filtered register (newest first) with each current outcome, streamed.

    One row per current outcome of the plugins seen; an activity without one
    still gets a row. The database is read ``chunk`` rows at a time (default ``thresholds.EXPORT_CHUNK``).
    """
    filt = filt or RegisterFilter()
    scope = scope_of(registry, plugins, filt)
    plan = build_plan(scope, filt)
    if plan.empty:
        return
    on = and_(
        OutcomeRecord.activity_id == ActivityRecord.id, OutcomeRecord.superseded_at.is_(None),
        not_indexed(OutcomeRecord.plugin).in_(scope.plugins),
    ) if scope.plugins else false()
    query = (
        select(
            ActivityRecord.id, ActivityRecord.external_id, ActivityRecord.date, Organisation.name,
            Organisation.credit_code, Organisation.region_code, ActivityRecord.kind, ActivityRecord.subject,
            OutcomeRecord.plugin, OutcomeRecord.plugin_version, OutcomeRecord.rule, OutcomeRecord.amount,
            OutcomeRecord.clause, OutcomeRecord.explanation_zh, OutcomeRecord.explanation_en, OutcomeRecord.parameters,
            ActivityRecord.fields, OutcomeRecord.status, OutcomeRecord.details,
        )
        .select_from(ActivityRecord)
        .join(Organisation, ActivityRecord.organisation_id == Organisation.id)
        .outerjoin(OutcomeRecord, on)
        .where(*conditions(plan, few=False))
        .order_by(ActivityRecord.date.desc(), ActivityRecord.id.desc(), OutcomeRecord.id)
        .execution_options(yield_per=chunk or thresholds.EXPORT_CHUNK)
    )
    sequences = version_numbers()
    for r in db.session.execute(query):
        yield ExportRow(
            r[0], r[1], as_date(r[2]), r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10],
            None if r[11] is None else int(r[11]), r[12], r[13], r[14],
            None if r[8] is None else format_parameters(r[15], sequences), r[16], None if r[8] is None else (r[15] or []),
            r[17], r[18],
        )
