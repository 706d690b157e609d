"""Versioned reference data: tables a department maintains, each change a new dated version.

One mechanism for every plugin's tables of reference data — energy-quota
limit values per standard edition, the public-service lists, benchmark
indicator sets:

- ``tables``: what a plugin declares (``ReferenceTable``, with a row schema
  and key fields) and the versions it ships (``load_reference_versions``);
- ``rows``: validating a version's rows (every error naming row and
  field), their stored JSON and their keys;
- ``versions``: versions, the version in force on a date and as believed
  at a date (``ReferenceResolver``), snapshots with lookup by key
  (``ReferenceSnapshot``), what an outcome records (``ReferenceRead``);
- ``diff``: two versions compared row by row and field by field;
- ``tabular``: CSV, XLSX and JSON files of a table (imported by name: it
  needs openpyxl).

Storing versions is ``core.store.refdata`` (database tables
``reference_versions`` and ``reference_rows``, append-only); the command
line is ``stdpolicy refdata``; the admin's "参考数据" pages show, compare,
import, edit and export them. See docs/reference-data.md.
"""

from __future__ import annotations

from .diff import FieldChange, RowChange, VersionDiff, diff_rows
from .rows import RowError, RowsInvalid, dump_row, field_text, key_text, load_rows, row_key
from .tables import DEMO_REASON, SHIPPED_REASON, ReferenceTable, ShippedVersion, load_reference_versions
from .versions import (
    SOURCES,
    ReferenceRead,
    ReferenceResolver,
    ReferenceSnapshot,
    ReferenceVersion,
    StoredRowsInvalid,
    UnknownReferenceTable,
)

__all__ = [
    "DEMO_REASON",
    "SHIPPED_REASON",
    "SOURCES",
    "FieldChange",
    "ReferenceRead",
    "ReferenceResolver",
    "ReferenceSnapshot",
    "ReferenceTable",
    "ReferenceVersion",
    "RowChange",
    "RowError",
    "RowsInvalid",
    "ShippedVersion",
    "StoredRowsInvalid",
    "UnknownReferenceTable",
    "VersionDiff",
    "diff_rows",
    "dump_row",
    "field_text",
    "key_text",
    "load_reference_versions",
    "load_rows",
    "row_key",
]
