"""The stdpolicy test kit: fixtures, helpers and policy cases for plugins' tests.

Installed with stdpolicy as a pytest plugin (the ``pytest11`` entry point
``stdpolicy``): a plugin's tests use its fixtures by name, with no conftest
of their own — ``pytest`` in the plugin's folder is enough. The fixtures
(docs/plugins/testing.md):

==============================  ================================================================
``stdpolicy_registry``          the chosen plugins only, loaded (no database)
``stdpolicy_evaluate``          ``stdpolicy_evaluate(records, parameters={key: value})``: an ``Evaluation``
``stdpolicy_app``               the admin on a fresh database migrated for the chosen plugins,
                                seeded as ``stdpolicy init`` seeds it (departments, parameters)
``stdpolicy_bare_app``          the same, not seeded
``stdpolicy_database_url``      the fresh database's URL (SQLite, or PostgreSQL from ``STDPOLICY_DATABASE_URL``)
``stdpolicy_client``            ``stdpolicy_app.test_client()``, not logged in
``stdpolicy_login``             ``stdpolicy_login("dept_admin", "market_regulation")``: a client logged in
                                as a user of that role and department
``stdpolicy_user``              ``stdpolicy_user(role, department)``: creates the user, returns its name
``stdpolicy_enable``            ``stdpolicy_enable(plugin, department)``: permit and switch a plugin on
``stdpolicy_runner``            ``stdpolicy_app.test_cli_runner()``: the ``stdpolicy`` commands
``stdpolicy_live_server``       the admin served on 127.0.0.1 (CSRF on) for a browser: its base URL;
                                ``run_in_browser(lambda browser: …)`` drives a headless Chromium
==============================  ================================================================

The chosen plugins: ``@pytest.mark.stdpolicy_plugins("training", "reward_tiers")``
on a test, class or module; else ``stdpolicy_plugins = training`` in the
pytest configuration (``[tool.pytest.ini_options]``); else the plugins that
ship with stdpolicy. Never every installed plugin: a test sees the plugins
it chose, whatever else is installed.

Policy cases (``*.policy.yaml``, see ``core.testing.policy_cases``) are
collected as tests wherever pytest looks for tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .api_check import PrivateUse, private_uses
from .evaluation import Evaluation, evaluate, parameters_with, references_with
from .policy_cases import PolicyCase, PolicyCaseError, PolicyFile, check_case, load_policy_file
from .browser import run_in_browser

if TYPE_CHECKING:
    from ..registry import Registry

__all__ = [
    "PASSWORD",
    "ROLES",
    "SAMPLE_CREDIT_CODES",
    "Evaluation",
    "PolicyCase",
    "PolicyCaseError",
    "PolicyFile",
    "PrivateUse",
    "builtin_plugins",
    "check_case",
    "evaluate",
    "load_policy_file",
    "parameters_with",
    "references_with",
    "private_uses",
    "run_in_browser",
    "select_registry",
]

#: The password of every user the kit creates.
PASSWORD = "correct-horse-battery-1"

#: The admin's roles: a city administrator, a department's administrator, a department's viewer.
ROLES = ("city_admin", "dept_admin", "dept_viewer")

#: Valid unified social credit codes (both check characters right) for test records.
SAMPLE_CREDIT_CODES = (
    "913304007429141869",  # a real Jiaxing company (python-stdnum's tests)
    "91330402MA2B3C4D1N",
    "91330482MA2AH5T006",
)


def builtin_plugins() -> tuple[str, ...]:
    """The names of the plugins that ship with stdpolicy (its own ``stdpolicy.plugins`` entry points)."""
    from importlib.metadata import entry_points

    from ..registry import ENTRY_POINT_GROUP

    return tuple(sorted(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)
                        if ep.dist is not None and ep.dist.name == "stdpolicy"))


def select_registry(plugins: tuple[str, ...] | list[str], extra: list[tuple[str, object]] | None = None) -> Registry:
    """A ``Registry`` of the installed plugins named in ``plugins`` (and ``extra`` ``(name, object)`` pairs).

    A named plugin that is not installed is an error naming the installed ones.
    """
    from importlib.metadata import entry_points

    from ..registry import ENTRY_POINT_GROUP, load_registry

    installed = {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    missing = [name for name in plugins if name not in installed]
    if missing:
        raise LookupError(f"plugin(s) {', '.join(missing)} not installed (installed: {', '.join(sorted(installed)) or 'none'}); "
                          "`pip install -e .` the plugin's package first")
    return load_registry(only=tuple(plugins), plugins=extra or ())
