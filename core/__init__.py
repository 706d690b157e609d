"""stdpolicy core: the activity registry, plugin hooks, dated parameters.

Plain Python, no web framework::

    from core import load_registry

    registry = load_registry()                     # built-in and installed plugins
    report = registry.validate(records)             # interchange records → activities
    result = registry.evaluate(report.valid)        # outcomes with shipped parameters

Plugins import their marker and declaration types from here::

    from core import hookimpl, ActivityKind, Outcome, Text

The database layer (``core.db``, ``core.models``, ``core.store``) and the
command line (``core.cli``) need Flask-SQLAlchemy and are imported from their
modules, never from here.
"""

from __future__ import annotations

from .activities import (
    Activity,
    EnvelopeSchema,
    InvalidRecord,
    ValidationReport,
    validation_parameters,
    validation_reference,
)
from .declarations import (
    ActivityKind,
    AdminPage,
    DashboardFigure,
    DefaultValue,
    KindExtension,
    ParameterDeclaration,
    PluginDescription,
)
from .evaluation import (
    Batch,
    EmptyHistory,
    EvaluationContext,
    EvaluationResult,
    PaymentHistory,
    PriorPayment,
    in_recorded_order,
)
from .hooks import hookimpl, hookspec
from .kinds import INNOVATION_AWARD, PILOT_PROJECT, SHARED_KINDS, STANDARD_DRAFTING, TC_SECRETARIAT
from .messages import Bilingual, FieldError
from .outcomes import Outcome, ParamValue
from .parameters import Money, ParameterResolver, ParameterVersion, load_parameter_file
from .paramtypes import ParameterType
from .refdata import (
    FieldChange,
    ReferenceRead,
    ReferenceResolver,
    ReferenceSnapshot,
    ReferenceTable,
    ReferenceVersion,
    RowChange,
    RowError,
    RowsInvalid,
    ShippedVersion,
    StoredRowsInvalid,
    UnknownReferenceTable,
    VersionDiff,
    diff_rows,
    load_reference_versions,
)
from .registry import PluginFailure, PluginRecord, PluginWarning, Registry, load_registry
from .storage import (
    PluginStorage,
    check_plugin_migrations,
    core_table,
    database_session,
    plugin_metadata,
    plugin_model_base,
)
from .text import Text, format_yuan_en, format_yuan_zh
from .version import HOOK_API_VERSION, __version__

__all__ = [
    "Activity",
    "ActivityKind",
    "AdminPage",
    "Batch",
    "Bilingual",
    "DashboardFigure",
    "DefaultValue",
    "EmptyHistory",
    "EnvelopeSchema",
    "EvaluationContext",
    "EvaluationResult",
    "FieldChange",
    "FieldError",
    "HOOK_API_VERSION",
    "INNOVATION_AWARD",
    "InvalidRecord",
    "KindExtension",
    "Money",
    "Outcome",
    "PILOT_PROJECT",
    "ParamValue",
    "ParameterDeclaration",
    "ParameterResolver",
    "ParameterType",
    "ParameterVersion",
    "PaymentHistory",
    "PluginDescription",
    "PluginFailure",
    "PluginRecord",
    "PluginStorage",
    "PluginWarning",
    "PriorPayment",
    "ReferenceRead",
    "ReferenceResolver",
    "ReferenceSnapshot",
    "ReferenceTable",
    "ReferenceVersion",
    "Registry",
    "RowChange",
    "RowError",
    "RowsInvalid",
    "SHARED_KINDS",
    "STANDARD_DRAFTING",
    "ShippedVersion",
    "StoredRowsInvalid",
    "TC_SECRETARIAT",
    "Text",
    "UnknownReferenceTable",
    "ValidationReport",
    "VersionDiff",
    "check_plugin_migrations",
    "core_table",
    "database_session",
    "diff_rows",
    "format_yuan_en",
    "format_yuan_zh",
    "hookimpl",
    "hookspec",
    "in_recorded_order",
    "load_parameter_file",
    "load_reference_versions",
    "load_registry",
    "plugin_metadata",
    "plugin_model_base",
    "validation_parameters",
    "validation_reference",
    "__version__",
]
