"""The ``stdpolicy`` command line: core's commands on a Flask CLI group.

``register_commands(app.cli)`` adds them; the ``stdpolicy`` console script
(``webadmin.cli:main``) runs them on a ``FlaskGroup`` around the admin
application, so the same commands sit beside ``run``, ``users`` and
``tokens`` (``stdpolicy evaluate`` runs without the admin: see
``webadmin.cli``).

Each command's module is imported when ``register_commands`` runs, not when
this package is: ``core.cli.activities`` alone (``stdpolicy evaluate``) does
not import the parameter, reference-data, plugin or scaffold commands.
A new command goes in a module of its own here and in ``COMMANDS``.
"""

from __future__ import annotations

from importlib import import_module

import click

__all__ = ["COMMANDS", "register_commands"]

#: (module of core.cli, name of the click command in it), in the order ``stdpolicy --help`` lists them.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("init", "init_command"),
    ("activities", "evaluate_command"),
    ("activities", "import_command"),
    ("activities", "reevaluate_command"),
    ("params", "params_group"),
    ("refdata", "refdata_group"),
    ("reviews", "reviews_group"),
    ("approvals", "approvals_group"),
    ("plugins", "plugins_command"),
    ("plugins", "enable_command"),
    ("plugins", "disable_command"),
    ("plugins", "permit_command"),
    ("plugins", "forbid_command"),
    ("scaffold", "plugin_group"),
    ("whatif", "whatif_group"),
)


def register_commands(cli: click.Group) -> None:
    """Add core's commands to ``cli``."""
    for module, name in COMMANDS:
        cli.add_command(getattr(import_module(f"{__name__}.{module}"), name))
