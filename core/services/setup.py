"""What ``stdpolicy init`` stores: the default departments, the shipped parameter values and reference data."""

from __future__ import annotations

from ..registry import Registry
from ..store.departments import ensure_departments
from ..store.locking import writing
from ..store.parameters import load_defaults
from ..store.refdata import load_shipped_references

__all__ = ["seed", "seed_samples"]


def seed(registry: Registry, actor: str) -> list[str]:
    """Store missing departments, parameter defaults and shipped reference data (audited, committed).
    One line per change.

    Departments first: a shipped value's audit entry names its plugin's owner.
    Safe to run again: nothing a user changed is touched.
    """
    with writing("initialise the database"):
        departments = ensure_departments(registry, actor)
        return [*departments, *(f"parameter default: {line}" for line in load_defaults(registry, actor)),
                *(f"reference data shipped: {line}" for line in load_shipped_references(registry, actor))]


def seed_samples(registry: Registry, actor: str) -> list[str]:
    """What ``stdpolicy init --demo`` adds: the plugins' sample reference data versions (committed), marked ``demo``."""
    with writing("store sample reference data"):
        return [f"reference data sample: {line}" for line in load_shipped_references(registry, actor, demo=True)]
