"""The database tables of core (SQLAlchemy 2, through Flask-SQLAlchemy).

Append-only by design: parameter versions, reference data versions and
their rows, outcomes, organisation names and the audit log are never
updated or deleted, except that an outcome replaced by a re-evaluation gets
its ``superseded_at``. The migrations add database triggers that refuse any
other change to those tables: UPDATE and DELETE (0001, 0006, 0009),
SQLite's INSERT OR REPLACE and PostgreSQL's TRUNCATE (0005, 0006, 0009).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Model, utcnow
from .regions import region_name
from .text import Text as BiText

__all__ = [
    "ActivityRecord",
    "ApprovalListItemRecord",
    "ApprovalListRecord",
    "AuditEntry",
    "Department",
    "EvaluationRun",
    "Organisation",
    "OrganisationName",
    "OutcomeRecord",
    "ParameterVersionRecord",
    "PluginEnablement",
    "PluginOwner",
    "PluginPermission",
    "ReferenceRowRecord",
    "ReferenceVersionRecord",
    "ReviewDecisionRecord",
    "WhatIfScenario",
]


class Department(Model):
    """A municipal department; it enables the plugins of its policy areas."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    enablements: Mapped[list[PluginEnablement]] = relationship(back_populates="department")

    @property
    def name(self) -> BiText:
        return BiText(self.name_zh, self.name_en)

    def __repr__(self) -> str:
        return f"<Department {self.code}>"


class Organisation(Model):
    """An enterprise or institution, identified by its unified social credit code."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    #: GB/T 2260 region code: positions 3–8 of the credit code.
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def county(self) -> BiText:
        return region_name(self.region_code)


class OrganisationName(Model):
    """A name an organisation had, from the import that first brought it. Append-only.

    The organisation's current name (``Organisation.name``) is the name of
    the latest import that stored one of its activities; this table keeps
    every name it had before (``core.store.organisations``).
    """

    __tablename__ = "organisation_names"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    first_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    #: The file (or other source) of the import that brought the name.
    source: Mapped[str] = mapped_column(String(300))
    #: The import's evaluation run (empty for names found when the table was created).
    run_id: Mapped[int | None] = mapped_column(ForeignKey("evaluation_runs.id"))
    recorded_by: Mapped[str] = mapped_column(String(100))


class ActivityRecord(Model):
    """A stored activity: the validated record, as the kind's schema loaded it."""

    __tablename__ = "activities"
    __table_args__ = (
        Index("ix_activities_kind_group", "kind", "group_key"),
        # The payment history's prefix searches (core.store.history); on PostgreSQL ordered as bytes,
        # which its ranges compare (migration 0014).
        Index("ix_activities_kind_subject", "kind", "subject", postgresql_ops={"subject": "varchar_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(50), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    date: Mapped[date] = mapped_column(Date, index=True)
    #: The kind's own fields (JSON values only).
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: What the activity is about (a standard number, a committee): searched by the register.
    subject: Mapped[str | None] = mapped_column(String(200))
    #: The ``id`` the record had in its source, if any.
    external_id: Mapped[str | None] = mapped_column(String(100), index=True)
    #: SHA-256 of the canonical record: importing the same record twice stores it once.
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(300))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))
    #: The evaluation group's key within the kind (``core.grouping``; ``core.store.incremental.group_key``):
    #: the activities a rule may read together share it. Empty until filled (an import fills it; a
    #: re-evaluation fills any left empty). Re-evaluating whole groups needs their members.
    group_key: Mapped[str | None] = mapped_column(String(200))

    organisation: Mapped[Organisation] = relationship()
    outcomes: Mapped[list[OutcomeRecord]] = relationship(back_populates="activity", order_by="OutcomeRecord.id")

    @property
    def ref(self) -> str:
        """How outcomes and explanations refer to this activity."""
        return self.external_id or f"#{self.id}"


class EvaluationRun(Model):
    """One evaluation that stored outcomes (an import, a re-evaluation)."""

    __tablename__ = "evaluation_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    trigger: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str] = mapped_column(String(100))
    plugins: Mapped[list[str]] = mapped_column(JSON)
    since: Mapped[date | None] = mapped_column(Date)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    activities: Mapped[int] = mapped_column(Integer, default=0)
    outcomes_added: Mapped[int] = mapped_column(Integer, default=0)
    outcomes_superseded: Mapped[int] = mapped_column(Integer, default=0)


class OutcomeRecord(Model):
    """A stored outcome. Current while ``superseded_at`` is empty."""

    __tablename__ = "outcomes"
    __table_args__ = (
        Index("ix_outcomes_activity_current", "activity_id", "superseded_at"),
        Index("ix_outcomes_plugin_dedup", "plugin", "dedup_key"),
        # Current outcomes only, covering plugin, amount and activity: the
        # register's "amount above zero" filter and per-plugin sums read it
        # alone (migration 0003).
        Index("ix_outcomes_current_amount", "plugin", "amount", "activity_id",
              sqlite_where=text("superseded_at IS NULL"), postgresql_where=text("superseded_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"))
    run_id: Mapped[int] = mapped_column(ForeignKey("evaluation_runs.id"), index=True)
    plugin: Mapped[str] = mapped_column(String(100))
    plugin_version: Mapped[str] = mapped_column(String(50))
    rule: Mapped[str] = mapped_column(String(20))
    #: Integer yuan.
    amount: Mapped[int] = mapped_column(BigInteger)
    clause: Mapped[str] = mapped_column(String(50))
    explanation_zh: Mapped[str] = mapped_column(Text)
    explanation_en: Mapped[str] = mapped_column(Text)
    #: The parameter versions read: ``[{key, value, effective_from, version_id}]``.
    parameters: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    #: ``core.OutcomeStatus``: ok, not_covered, error, tracking, compliant, non_compliant, held.
    status: Mapped[str] = mapped_column(String(20), default="ok")
    dedup_key: Mapped[str | None] = mapped_column(String(300))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: The reference data versions read: ``[{key, sequence, version_id, effective_from, source}]``; empty: none.
    reference_data: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime)
    superseded_by_run_id: Mapped[int | None] = mapped_column(ForeignKey("evaluation_runs.id"))

    activity: Mapped[ActivityRecord] = relationship(back_populates="outcomes")

    @property
    def explanation(self) -> BiText:
        return BiText(self.explanation_zh, self.explanation_en)


class ParameterVersionRecord(Model):
    """One recorded value of a policy parameter. Immutable."""

    __tablename__ = "parameter_versions"
    __table_args__ = (UniqueConstraint("key", "sequence", name="uq_parameter_versions_key_sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    #: 1, 2, 3 … per key. Two saves based on the same version collide here.
    sequence: Mapped[int] = mapped_column(Integer)
    #: The value as canonical JSON text (exact: Decimal values as strings).
    value: Mapped[str] = mapped_column(Text)
    effective_from: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    reference: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    #: ``default`` (shipped with the plugin), ``cli`` or ``admin``.
    source: Mapped[str] = mapped_column(String(20))


class ReferenceVersionRecord(Model):
    """One version of a reference table: the whole table as in force from a date. Immutable.

    Its rows are ``ReferenceRowRecord``s (``core.store.refdata``).
    """

    __tablename__ = "reference_versions"
    __table_args__ = (UniqueConstraint("table_key", "sequence", name="uq_reference_versions_table_key_sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The table's key (``carbon.quota_standards``).
    table_key: Mapped[str] = mapped_column(String(200), index=True)
    #: 1, 2, 3 … per table (第N版). Two saves based on the same version collide here.
    sequence: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    reference: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    #: ``shipped``, ``demo`` (sample data), ``cli``, ``admin`` (rows edited in the browser) or ``import`` (a file).
    source: Mapped[str] = mapped_column(String(20))
    row_count: Mapped[int] = mapped_column(Integer)
    #: SHA-256 of the rows' canonical JSON: the same rows shipped twice are stored once.
    digest: Mapped[str] = mapped_column(String(64))


class ReferenceRowRecord(Model):
    """One row of a reference data version, as canonical JSON. Immutable."""

    __tablename__ = "reference_rows"
    __table_args__ = (UniqueConstraint("version_id", "position", name="uq_reference_rows_version_id_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("reference_versions.id"))
    #: 1, 2, 3 … within the version: the order of the rows as recorded.
    position: Mapped[int] = mapped_column(Integer)
    #: The key fields' values as a JSON array: finds a row across versions.
    row_key: Mapped[str] = mapped_column(Text)
    #: The row as its schema dumps it (decimals and dates as text).
    data: Mapped[str] = mapped_column(Text)


class PluginEnablement(Model):
    """Whether a department has a plugin switched on."""

    __tablename__ = "plugin_enablements"
    __table_args__ = (UniqueConstraint("department_id", "plugin", name="uq_plugin_enablements_department_plugin"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    plugin: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(100))

    department: Mapped[Department] = relationship(back_populates="enablements")


class AuditEntry(Model):
    """One change, who made it, and what it was before and after. Append-only."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100), index=True)
    action: Mapped[str] = mapped_column(String(50), index=True)
    target: Mapped[str] = mapped_column(String(300))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    before: Mapped[Any | None] = mapped_column(JSON)
    after: Mapped[Any | None] = mapped_column(JSON)
    detail: Mapped[str | None] = mapped_column(Text)

    department: Mapped[Department | None] = relationship()


class PluginPermission(Model):
    """Whether a city administrator lets a department switch a plugin on.

    A row overrides the default of ``core/data/departments.yaml``
    (``permitted``); without one, the default holds. A switch counts only
    while it is permitted (``core.store.departments.enabled_plugins``).
    """

    __tablename__ = "plugin_permissions"
    __table_args__ = (UniqueConstraint("department_id", "plugin", name="uq_plugin_permissions_department_plugin"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    plugin: Mapped[str] = mapped_column(String(100))
    allowed: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(100))

    department: Mapped[Department] = relationship()


class PluginOwner(Model):
    """The department that owns a plugin: its administrators record the plugin's parameters.

    A row overrides the default of ``core/data/departments.yaml`` (``owns``);
    ``department_id`` empty: no department owns it, only city administrators
    manage it.
    """

    __tablename__ = "plugin_owners"

    id: Mapped[int] = mapped_column(primary_key=True)
    plugin: Mapped[str] = mapped_column(String(100), unique=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(100))

    department: Mapped[Department | None] = relationship()


class ReviewDecisionRecord(Model):
    """A reviewer's decision on a held outcome (待核实): approved or rejected, with a note. Append-only.

    A decision is about the outcome as it was decided on: ``basis`` is a
    digest of what the decision rests on (the activity's fingerprint, the
    plugin, the rule, the amount it would pay and the held reasons' codes).
    After a re-evaluation the latest decision for the activity, plugin and
    rule still applies while the current held outcome has the same basis;
    if the inputs or the amount changed, the outcome is held again.
    A later decision on the same outcome replaces the earlier one in effect,
    never in the table (``core.store.reviews``).
    """

    __tablename__ = "review_decisions"
    __table_args__ = (Index("ix_review_decisions_activity_rule", "activity_id", "plugin", "rule"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"))
    #: The held outcome decided on (it may be superseded later; ``basis`` decides whether the decision still holds).
    outcome_id: Mapped[int] = mapped_column(ForeignKey("outcomes.id"))
    plugin: Mapped[str] = mapped_column(String(100))
    rule: Mapped[str] = mapped_column(String(20))
    #: ``approved`` or ``rejected``.
    decision: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text)
    #: Integer yuan: what the held outcome would pay (``details["held_amount"]``) when decided.
    held_amount: Mapped[int] = mapped_column(BigInteger)
    #: SHA-256 hex of the decision's basis (see the class docstring).
    basis: Mapped[str] = mapped_column(String(64))
    decided_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))


class ApprovalListRecord(Model):
    """An issued approval list (拨付清单): a numbered, frozen batch of payable outcomes. Append-only.

    ``kind`` is ``original`` or ``supplementary``; a supplementary list
    corrects or completes an earlier one (``supplements_id``) and never
    changes it. Its rows are ``ApprovalListItemRecord``s, copies of the
    outcomes as they were when the list was issued, so later parameter
    changes and re-evaluations leave the list as issued.
    """

    __tablename__ = "approval_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The list's number as printed (unique), e.g. ``2024-001``; supplementary lists ``2024-001-补1``.
    number: Mapped[str] = mapped_column(String(50), unique=True)
    title: Mapped[str] = mapped_column(Text)
    #: ``original`` or ``supplementary``.
    kind: Mapped[str] = mapped_column(String(20))
    supplements_id: Mapped[int | None] = mapped_column(ForeignKey("approval_lists.id"))
    #: The plugin whose outcomes the list pays (``reward_tiers``).
    plugin: Mapped[str] = mapped_column(String(100))
    #: The period of the achievements' dates, both days included.
    period_from: Mapped[date] = mapped_column(Date)
    period_to: Mapped[date] = mapped_column(Date)
    item_count: Mapped[int] = mapped_column(Integer)
    #: Integer yuan: the sum of the items' amounts (negative items of a supplementary list included).
    total_amount: Mapped[int] = mapped_column(BigInteger)
    #: SHA-256 hex of the items' canonical JSON: shows the list is as issued.
    digest: Mapped[str] = mapped_column(String(64))
    issued_by: Mapped[str] = mapped_column(String(100))
    issued_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    note: Mapped[str | None] = mapped_column(Text)


class ApprovalListItemRecord(Model):
    """One row of an issued approval list, frozen as issued. Append-only."""

    __tablename__ = "approval_list_items"
    __table_args__ = (UniqueConstraint("list_id", "position", name="uq_approval_list_items_list_id_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("approval_lists.id"))
    #: 1, 2, 3 … the row number as printed.
    position: Mapped[int] = mapped_column(Integer)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"), index=True)
    outcome_id: Mapped[int] = mapped_column(ForeignKey("outcomes.id"))
    #: The approving review decision where the outcome was held.
    review_decision_id: Mapped[int | None] = mapped_column(ForeignKey("review_decisions.id"))
    #: In a supplementary list: the row of an earlier list this row corrects.
    corrects_item_id: Mapped[int | None] = mapped_column(ForeignKey("approval_list_items.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    organisation_name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18))
    region_code: Mapped[str] = mapped_column(String(6))
    #: The achievement as printed (the standard, award or project), and its date.
    achievement: Mapped[str] = mapped_column(Text)
    achievement_date: Mapped[date] = mapped_column(Date)
    rule: Mapped[str] = mapped_column(String(20))
    clause: Mapped[str] = mapped_column(String(50))
    #: Integer yuan; negative in a supplementary row that takes back part of an earlier payment.
    amount: Mapped[int] = mapped_column(BigInteger)
    explanation_zh: Mapped[str] = mapped_column(Text)
    explanation_en: Mapped[str] = mapped_column(Text)
    #: The parameter versions the outcome read, as stored on the outcome.
    parameters: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class WhatIfScenario(Model):
    """A saved budget what-if: proposed parameter versions, kept apart from the real ones.

    The proposals are *not* parameter versions: nothing evaluates with them
    except a what-if (``core.services.whatif``). Recording the scenario
    turns them into parameter versions through the parameter service and
    notes here when, by whom and which versions (the only update a row gets).
    """

    __tablename__ = "whatif_scenarios"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    #: ``[{"key", "value" (the parameter's canonical text, ``encode_value``), "effective_from"}]``, in order.
    proposals: Mapped[Any] = mapped_column(JSON)
    #: The department that planned it (``None``: the command line); a department lists only its own.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    recorded_at: Mapped[datetime | None] = mapped_column(DateTime)
    recorded_by: Mapped[str | None] = mapped_column(String(100))
    #: ``[{"key", "sequence"}]`` of the parameter versions recording stored.
    recorded_versions: Mapped[Any | None] = mapped_column(JSON)

    department: Mapped[Department | None] = relationship()
