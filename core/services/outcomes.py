"""Re-evaluating stored outcomes: ``stdpolicy reevaluate`` and the admin's “Re-evaluate now”."""

from __future__ import annotations

from datetime import date

from ..registry import Registry
from ..store.activities import ReevaluationResult, reevaluate
from ..store.locking import writing

__all__ = ["ReevaluationResult", "reevaluate_outcomes"]


def reevaluate_outcomes(registry: Registry, *, actor: str, since: date | None = None,
                        incremental: bool = False) -> ReevaluationResult:
    """Recompute stored outcomes with the parameters and enablements in force now (audited, committed).

    Under the writer lock, so no import or parameter change lands between
    reading what the outcomes are computed from and storing them.
    ``incremental``: only what the parameter versions recorded since can
    change (``core.store.activities.reevaluate``).
    """
    with writing("re-evaluate"):
        return reevaluate(registry, actor=actor, since=since, incremental=incremental)
