"""The append-only audit log: every change, who made it, before and after."""

from __future__ import annotations

from typing import Any

from ..db import db
from ..models import AuditEntry, Department

__all__ = ["audit"]


def audit(
    action: str,
    actor: str,
    target: str,
    *,
    before: Any = None,
    after: Any = None,
    department: Department | None = None,
    detail: str | None = None,
) -> AuditEntry:
    """Add an audit entry to the current transaction (committed with the change it records)."""
    entry = AuditEntry(
        action=action,
        actor=actor,
        target=target,
        before=before,
        after=after,
        department_id=department.id if department is not None else None,
        detail=detail,
    )
    db.session.add(entry)
    return entry
