"""The use cases, each in one place: what the command line, the admin, the JSON API and plugin pages call.

Each writing use case owns its transaction, the writer lock
(``core.store.locking``) where its result depends on what others write, and
its audit entry: the change and its entry are committed together or not at
all, and a database error rolls the whole use case back (the caller turns
it into a clear message: ``core.store.faults``). Callers check *who* may do
it (the admin's roles; the command line runs as the operator); the rules
about *what* may be done (a plugin switched on only where permitted, a
parameter version based on the latest) are checked here, for every caller.

======================  ==================================================
module                  use cases
======================  ==================================================
``evaluate``            ``evaluate_records`` → ``Evaluation`` (stores nothing)
``imports``             ``preview_import``, ``import_activities``
``parameters``          ``record_parameter``, ``preview_parameter``, ``default_reference``
``refdata``             ``record_reference``
``plugins``             ``switch_plugin``, ``permit_plugin``, ``change_owner``
``outcomes``            ``reevaluate_outcomes``
``approvals``           ``draft``, ``create`` (approval lists, 拨付清单), ``verify``
``reviews``             ``decide`` (a held outcome approved or rejected)
``setup``               ``seed`` (``stdpolicy init``), ``seed_samples`` (``--demo``)
``whatif``              ``evaluate_scenario`` (stores nothing), ``save_scenario``, ``record_scenario``
======================  ==================================================

The admin's own use cases (users, sessions, API tokens) are in
``webadmin.services``; SQL stays in ``core.store``. Each module is imported
when one of its names is first asked for (``stdpolicy evaluate`` imports
``evaluate`` alone: issue #13, start-up); a new use case's names go in
``_SOURCES`` as well as in ``__all__``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .evaluate import Evaluation, evaluate_records, evaluate_streamed
    from .imports import ImportPreview, ImportResult, foreign_kinds, import_activities, preview_import
    from .outcomes import ReevaluationResult, reevaluate_outcomes
    from .parameters import (
        Preview,
        default_reference,
        first_in_force,
        parameter_state,
        preview_parameter,
        record_parameter,
    )
    from .plugins import NotPermitted, change_owner, permit_plugin, switch_plugin
    from .refdata import record_reference
    from .reviews import ReviewError, decide
    from .setup import seed, seed_samples
    from .whatif import (
        Proposal,
        RecordedScenario,
        ScenarioExists,
        UnknownScenario,
        WhatIf,
        evaluate_scenario,
        load_proposals,
        record_scenario,
        save_scenario,
        saved_scenarios,
    )

#: Each exported name → the module of this package that defines it (imported on first use).
_SOURCES: dict[str, str] = {
    "Evaluation": "evaluate",
    "evaluate_records": "evaluate",
    "evaluate_streamed": "evaluate",
    "ImportPreview": "imports",
    "ImportResult": "imports",
    "foreign_kinds": "imports",
    "import_activities": "imports",
    "preview_import": "imports",
    "ReevaluationResult": "outcomes",
    "reevaluate_outcomes": "outcomes",
    "Preview": "parameters",
    "default_reference": "parameters",
    "first_in_force": "parameters",
    "parameter_state": "parameters",
    "preview_parameter": "parameters",
    "record_parameter": "parameters",
    "NotPermitted": "plugins",
    "change_owner": "plugins",
    "permit_plugin": "plugins",
    "switch_plugin": "plugins",
    "record_reference": "refdata",
    "ReviewError": "reviews",
    "decide": "reviews",
    "seed": "setup",
    "seed_samples": "setup",
    "Proposal": "whatif",
    "RecordedScenario": "whatif",
    "ScenarioExists": "whatif",
    "UnknownScenario": "whatif",
    "WhatIf": "whatif",
    "evaluate_scenario": "whatif",
    "load_proposals": "whatif",
    "record_scenario": "whatif",
    "save_scenario": "whatif",
    "saved_scenarios": "whatif",
}

__all__ = [
    "Evaluation",
    "ImportPreview",
    "ImportResult",
    "NotPermitted",
    "Preview",
    "Proposal",
    "RecordedScenario",
    "ScenarioExists",
    "UnknownScenario",
    "WhatIf",
    "ReevaluationResult",
    "ReviewError",
    "change_owner",
    "decide",
    "default_reference",
    "evaluate_records",
    "evaluate_scenario",
    "evaluate_streamed",
    "first_in_force",
    "foreign_kinds",
    "import_activities",
    "load_proposals",
    "parameter_state",
    "permit_plugin",
    "preview_import",
    "preview_parameter",
    "record_parameter",
    "record_reference",
    "record_scenario",
    "reevaluate_outcomes",
    "save_scenario",
    "saved_scenarios",
    "seed",
    "seed_samples",
    "switch_plugin",
]


def __getattr__(name: str) -> Any:
    """Import the use case's module on first use (PEP 562): ``stdpolicy evaluate`` needs one of ten."""
    module = _SOURCES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
