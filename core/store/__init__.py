"""Reading and writing the database: the only place core runs SQL.

Rules (plugins) never query; they get what they need through the
evaluation context, which these modules fill from the database.
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
    set_enabled,
)
from .history import StoredHistory
from .parameters import (
    ParameterConflict,
    UnknownParameter,
    latest_sequence,
    load_defaults,
    record_version,
    resolver,
    stored_versions,
)
from .whatif import Preview, preview_version

__all__ = [
    "ImportResult",
    "ParameterConflict",
    "Preview",
    "ReevaluationResult",
    "StoredHistory",
    "UnknownDepartment",
    "UnknownParameter",
    "active_plugins",
    "audit",
    "enabled_plugins",
    "ensure_departments",
    "evaluation_context",
    "find_department",
    "fingerprint",
    "import_records",
    "latest_sequence",
    "load_defaults",
    "preview_version",
    "record_version",
    "reevaluate",
    "resolver",
    "set_enabled",
    "stored_versions",
    "to_activity",
]
