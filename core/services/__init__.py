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
``webadmin.services``; SQL stays in ``core.store``.
"""

from __future__ import annotations

from .evaluate import Evaluation, evaluate_records
from .imports import ImportPreview, ImportResult, foreign_kinds, import_activities, preview_import
from .outcomes import ReevaluationResult, reevaluate_outcomes
from .parameters import Preview, default_reference, parameter_state, preview_parameter, record_parameter
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
