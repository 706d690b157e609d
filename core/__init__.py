"""stdpolicy core: the activity registry, plugin hooks, dated parameters.

Plain Python, no web framework::

    from core import load_registry

    registry = load_registry()                     # built-in and installed plugins
    report = registry.validate(records)             # interchange records → activities
    result = registry.evaluate(report.valid)        # outcomes with shipped parameters

**The plugin API** is what this package exports (``__all__``); plugins import
it from here and from nowhere else in ``core`` or ``webadmin``::

    from core import hookimpl, ActivityKind, Outcome, Text

The test kit is ``core.testing`` (a pytest plugin, see docs/plugins/testing.md).
Every other module of ``core`` and all of ``webadmin`` are private: they may
change in any release. tests/test_public_api.py fails when a built-in plugin
reaches past this list.

``import core`` stays light (no Flask, no database engine, no openpyxl, no
Babel): ``stdpolicy evaluate`` starts with it. The helpers of plugins' admin
pages need Flask and are imported on first use (PEP 562 ``__getattr__``),
listed in ``__all__`` and typed like the rest.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .activities import (
    Activity,
    EnvelopeSchema,
    InvalidRecord,
    ValidationReport,
    validation_parameters,
    validation_reference,
)
from .clock import today
from .declarations import (
    ActivityKind,
    AdminPage,
    ApiEndpoint,
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
    PriorActivity,
    PriorPayment,
    PriorReport,
    in_recorded_order,
)
from .fields import BoundedDecimal, CreditCodeField, FreeText, StandardNumberField, YesNo, field_metadata
from .grouping import by_committee as group_by_committee
from .grouping import by_organisation as group_by_organisation
from .grouping import by_standard_series as group_by_standard_series
from .hooks import hookimpl, hookspec
from .identity import Identity as StandardIdentity
from .identity import identity_of as standard_identity
from .identity import spellings as standard_spellings
from .identity import register_prefixes as standard_register_prefixes
from .interchange.workbook import formulas_as_text
from .kinds import INNOVATION_AWARD, PILOT_PROJECT, SHARED_KINDS, STANDARD_DRAFTING, TALENT_ENTERPRISE, TC_SECRETARIAT
from .kinds.schemas import (
    AWARD_LEVEL_NAMES,
    AWARD_NAMES,
    COMMITTEE_LEVEL_NAMES,
    PILOT_LEVEL_NAMES,
    award_level_of,
    committee_level_of,
)
from .messages import Bilingual, FieldError, field_error, flatten_errors
from .outcomes import STATUS_LABELS, Outcome, OutcomeStatus, ParamValue, status_label
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
from .regions import CITY_REGIONS, region_of
from .registry import PluginFailure, PluginRecord, PluginWarning, Registry, load_registry
from .storage import (
    PluginStorage,
    check_plugin_migrations,
    core_table,
    database_session,
    plugin_metadata,
    plugin_model_base,
)
from .standards import LEVEL_NAMES as STANDARD_LEVEL_NAMES
from .standards import LEVELS as STANDARD_LEVELS
from .standards import InvalidStandardNumber, StandardCodes, StandardNumber, standard_codes
from .standards import parse as parse_standard_number
from .printing import PRINT_STYLE, pdf_from_html
from .text import Text, clause_words, date_en, date_zh, format_yuan_en, format_yuan_zh, name_key, visible_text
from .uscc import InvalidCreditCode, validate_credit_code
from .version import HOOK_API_VERSION, __version__

if TYPE_CHECKING:  # imported on first use: they need Flask (see __getattr__)
    from .pages import (
        BASE_TEMPLATE,
        Column,
        PageDepartment,
        activity_url,
        current_department,
        current_plugin,
        current_registry,
        export_csv,
        export_xlsx,
        format_date,
        may_manage,
        money,
        parameter_url,
        pick,
        render_page,
        require_manager,
        reference_url,
        stored_activities,
        stored_outcomes,
        stored_parameters,
        stored_references,
    )

#: Names exported on first use, and the module of ``core`` that holds them.
_LAZY = {
    name: "pages"
    for name in (
        "BASE_TEMPLATE",
        "Column",
        "PageDepartment",
        "activity_url",
        "current_department",
        "current_plugin",
        "current_registry",
        "export_csv",
        "export_xlsx",
        "format_date",
        "may_manage",
        "money",
        "parameter_url",
        "pick",
        "render_page",
        "reference_url",
        "require_manager",
        "stored_activities",
        "stored_outcomes",
        "stored_parameters",
        "stored_references",
    )
}

__all__ = [
    "AWARD_LEVEL_NAMES",
    "CITY_REGIONS",
    "AWARD_NAMES",
    "Activity",
    "ActivityKind",
    "AdminPage",
    "ApiEndpoint",
    "BASE_TEMPLATE",
    "Batch",
    "Bilingual",
    "COMMITTEE_LEVEL_NAMES",
    "Column",
    "BoundedDecimal",
    "CreditCodeField",
    "DashboardFigure",
    "DefaultValue",
    "EmptyHistory",
    "EnvelopeSchema",
    "EvaluationContext",
    "EvaluationResult",
    "FieldChange",
    "FieldError",
    "FreeText",
    "HOOK_API_VERSION",
    "INNOVATION_AWARD",
    "InvalidCreditCode",
    "InvalidRecord",
    "InvalidStandardNumber",
    "KindExtension",
    "Money",
    "Outcome",
    "OutcomeStatus",
    "PILOT_LEVEL_NAMES",
    "PRINT_STYLE",
    "PILOT_PROJECT",
    "PageDepartment",
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
    "PriorActivity",
    "PriorPayment",
    "PriorReport",
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
    "STANDARD_LEVELS",
    "STANDARD_LEVEL_NAMES",
    "STATUS_LABELS",
    "ShippedVersion",
    "StandardCodes",
    "StandardIdentity",
    "StandardNumber",
    "StandardNumberField",
    "StoredRowsInvalid",
    "TALENT_ENTERPRISE",
    "TC_SECRETARIAT",
    "Text",
    "UnknownReferenceTable",
    "ValidationReport",
    "VersionDiff",
    "YesNo",
    "check_plugin_migrations",
    "clause_words",
    "award_level_of",
    "committee_level_of",
    "core_table",
    "current_department",
    "current_plugin",
    "current_registry",
    "database_session",
    "date_en",
    "date_zh",
    "diff_rows",
    "export_csv",
    "export_xlsx",
    "field_error",
    "field_metadata",
    "flatten_errors",
    "format_date",
    "format_yuan_en",
    "format_yuan_zh",
    "formulas_as_text",
    "group_by_committee",
    "group_by_organisation",
    "group_by_standard_series",
    "hookimpl",
    "hookspec",
    "in_recorded_order",
    "load_parameter_file",
    "load_reference_versions",
    "load_registry",
    "may_manage",
    "money",
    "name_key",
    "parameter_url",
    "parse_standard_number",
    "pick",
    "plugin_metadata",
    "plugin_model_base",
    "render_page",
    "require_manager",
    "standard_codes",
    "standard_identity",
    "standard_register_prefixes",
    "standard_spellings",
    "status_label",
    "reference_url",
    "region_of",
    "stored_outcomes",
    "stored_parameters",
    "stored_references",
    "today",
    "validate_credit_code",
    "validation_parameters",
    "validation_reference",
    "visible_text",
    "__version__",
    "activity_url",
    "stored_activities",
    "pdf_from_html",
]


def __getattr__(name: str) -> Any:
    """PEP 562: the admin-page helpers, imported (with Flask) on first use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'core' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
