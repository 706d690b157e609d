"""Reading and writing the database: the only place core runs SQL.

Rules (plugins) never query; they get what they need through the
evaluation context, which these modules fill from the database. The
functions here add to the current transaction and never commit; the use
cases that own a transaction, the writer lock and the audit entry are in
``core.services``. ``faults`` sorts database errors into classes a user
can act on.
"""

from __future__ import annotations

from .activities import (
    ImportResult,
    ReevaluationResult,
    evaluation_context,
    fingerprint,
    import_records,
    reevaluate,
    stored_activities,
    to_activity,
)
from .audit import audit
from .departments import (
    UnknownDepartment,
    active_plugins,
    enabled_plugins,
    ensure_departments,
    find_department,
    permitted_plugins,
    set_enabled,
    switched_on,
)
from .faults import DatabaseFault, WriterBusy, classify
from .history import StoredHistory
from .locking import writing
from .organisations import NameChange, name_changes, name_history
from .parameters import (
    ParameterConflict,
    ParametersNotStored,
    UnknownParameter,
    latest_sequence,
    load_defaults,
    record_version,
    require_parameters,
    resolver,
    stored_versions,
    unstored_parameters,
)
from .permissions import permission_matrix, plugin_owner, plugin_owners, set_owner, set_permitted
from .refdata import (
    RecordedReference,
    ReferenceConflict,
    latest_reference_sequence,
    load_shipped_references,
    record_reference_version,
    reference_resolver,
    reference_table,
    stored_reference_versions,
)
from .reviews import Payable, decision_basis, effective_decisions, payable_outcomes

__all__ = [
    "DatabaseFault",
    "ImportResult",
    "NameChange",
    "ParameterConflict",
    "ParametersNotStored",
    "Payable",
    "RecordedReference",
    "ReevaluationResult",
    "ReferenceConflict",
    "StoredHistory",
    "UnknownDepartment",
    "UnknownParameter",
    "WriterBusy",
    "active_plugins",
    "audit",
    "classify",
    "decision_basis",
    "effective_decisions",
    "enabled_plugins",
    "ensure_departments",
    "evaluation_context",
    "find_department",
    "fingerprint",
    "import_records",
    "latest_reference_sequence",
    "latest_sequence",
    "load_defaults",
    "load_shipped_references",
    "name_changes",
    "name_history",
    "payable_outcomes",
    "permission_matrix",
    "permitted_plugins",
    "plugin_owner",
    "plugin_owners",
    "record_reference_version",
    "record_version",
    "require_parameters",
    "reevaluate",
    "reference_resolver",
    "reference_table",
    "resolver",
    "set_enabled",
    "set_owner",
    "set_permitted",
    "stored_activities",
    "stored_reference_versions",
    "stored_versions",
    "switched_on",
    "to_activity",
    "unstored_parameters",
    "writing",
]
