"""Reading and writing the database: the only place core runs SQL.

Rules (plugins) never query; they get what they need through the
evaluation context, which these modules fill from the database. The
writing use cases (``usecases``: import, re-evaluate, record a parameter,
switch a plugin, seed) own their transaction, writer lock and audit entry;
``faults`` sorts database errors into classes a user can act on.
"""

from __future__ import annotations

from .activities import (
    ImportResult,
    ReevaluationResult,
    evaluation_context,
    fingerprint,
    import_records,
    reevaluate,
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
    UnknownParameter,
    latest_sequence,
    load_defaults,
    record_version,
    resolver,
    stored_versions,
)
from .permissions import permission_matrix, plugin_owner, plugin_owners, set_owner, set_permitted
from .usecases import (
    change_owner,
    import_activities,
    permit_plugin,
    record_parameter,
    reevaluate_outcomes,
    seed,
    switch_plugin,
)
from .whatif import Preview, preview_version

__all__ = [
    "DatabaseFault",
    "ImportResult",
    "NameChange",
    "ParameterConflict",
    "Preview",
    "ReevaluationResult",
    "StoredHistory",
    "UnknownDepartment",
    "UnknownParameter",
    "WriterBusy",
    "active_plugins",
    "audit",
    "change_owner",
    "classify",
    "enabled_plugins",
    "ensure_departments",
    "evaluation_context",
    "find_department",
    "fingerprint",
    "import_activities",
    "import_records",
    "latest_sequence",
    "load_defaults",
    "name_changes",
    "name_history",
    "permission_matrix",
    "permit_plugin",
    "permitted_plugins",
    "plugin_owner",
    "plugin_owners",
    "preview_version",
    "record_parameter",
    "record_version",
    "reevaluate",
    "reevaluate_outcomes",
    "resolver",
    "seed",
    "set_enabled",
    "set_owner",
    "set_permitted",
    "stored_versions",
    "switch_plugin",
    "switched_on",
    "to_activity",
    "writing",
]
