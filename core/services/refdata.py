"""Reference data versions: record one (``stdpolicy refdata import`` and the admin's 参考数据 pages alike).

``record_reference`` is the only way a reference data version is stored
after ``stdpolicy init``. It takes the writer lock (an import or a
re-evaluation reading the old version must not commit after it), validates
every row with the table's row schema (all or nothing, each error naming
row and field), stores the version, its rows and its audit entry in one
transaction, and refuses a version based on one that is no longer the
latest. The SQL is ``core.store.refdata``'s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..activities import Location
from ..models import Department
from ..registry import Registry
from ..store.locking import writing
from ..store.refdata import RecordedReference, record_reference_version

__all__ = ["record_reference"]


def record_reference(
    registry: Registry,
    key: str,
    rows: Sequence[Mapping[str, Any]],
    details: Mapping[str, Any],
    *,
    actor: str,
    source: str,
    based_on: int | None = None,
    department: Department | None = None,
    where: Sequence[Location] | None = None,
) -> RecordedReference:
    """Validate and store a new version of reference table ``key`` with its audit entry (committed).

    The rows are validated row by row with the table's row schema before
    anything is stored, all or nothing. ``department`` is the one the audit
    entry names (the acting user's, or the plugin's owner); who may record
    is checked by the callers (``webadmin.access.may_manage``: the owning
    department's administrators and city administrators). Raises what
    ``record_reference_version`` raises (``UnknownReferenceTable``,
    ``RowsInvalid``, marshmallow's ``ValidationError``,
    ``ReferenceConflict``), with nothing stored.
    """
    with writing("record a reference data version"):
        return record_reference_version(registry, key, rows, details, actor=actor, source=source,
                                        based_on=based_on, department=department, where=where)
