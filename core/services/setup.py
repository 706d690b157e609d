"""What ``stdpolicy init`` stores: the default departments and the shipped parameter values."""

from __future__ import annotations

from ..registry import Registry
from ..store.departments import ensure_departments
from ..store.locking import writing
from ..store.parameters import load_defaults

__all__ = ["seed"]


def seed(registry: Registry, actor: str) -> list[str]:
    """Store missing departments and parameter defaults (audited, committed). One line per change.

    Departments first: a shipped value's audit entry names its plugin's owner.
    Safe to run again: nothing a user changed is touched.
    """
    with writing("initialise the database"):
        departments = ensure_departments(registry, actor)
        return [*departments, *(f"parameter default: {line}" for line in load_defaults(registry, actor))]
