"""The activity register: filtered, department-scoped pages, one activity, exports.

What a department sees is decided by the plugins it enabled: the activity
kinds those plugins declare, and the outcomes those plugins computed. Every
function here takes that set of plugins (the admin passes the working
department's) and never shows anything outside it.

By concern:

===============  ===============================================================
``scope``        the filter, and the kinds and plugins a department sees
``page``         a page of the register and the years it spans
``plan``         the query planner: which index drives a page, which filters test its rows
``filters``      kind, county, search and paid-only as parts of a plan
``thresholds``   the numbers that choose a plan's shape, each with its measurement
``sql``          LIKE patterns, keeping a planner off an index, counts, dates
``detail``       one activity and its outcomes
``export``       the rows of a CSV or XLSX export, streamed
``totals``       the filtered list's totals: overall, per organisation, county, year or rule
===============  ===============================================================
"""

from __future__ import annotations

from .detail import ActivityDetail, activity_detail, version_numbers
from .export import EXPORT_COLUMNS, ExportRow, export_rows, format_parameters
from .filters import stored_kinds
from .page import RegisterPage, RegisterRow, register_page, year_range
from .scope import PER_PAGE, RegisterFilter, visible_kinds
from .totals import GROUPS, RegisterBreakdown, RegisterTotals, TotalLine, register_breakdown, register_totals

__all__ = [
    "EXPORT_COLUMNS",
    "GROUPS",
    "PER_PAGE",
    "ActivityDetail",
    "ExportRow",
    "RegisterBreakdown",
    "RegisterFilter",
    "RegisterPage",
    "RegisterRow",
    "RegisterTotals",
    "TotalLine",
    "activity_detail",
    "export_rows",
    "format_parameters",
    "register_breakdown",
    "register_page",
    "register_totals",
    "stored_kinds",
    "version_numbers",
    "visible_kinds",
    "year_range",
]
