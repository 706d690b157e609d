"""The ``stdpolicy`` command line: core's commands on a Flask CLI group.

``register_commands(app.cli)`` adds them; the ``stdpolicy`` console script
(``webadmin.cli:main``) is a ``FlaskGroup`` around the admin application, so
the same commands sit beside ``run``, ``users`` and ``tokens``.
"""

from __future__ import annotations

import click

from .activities import evaluate_command, import_command, reevaluate_command
from .init import init_command
from .params import params_group
from .plugins import disable_command, enable_command, forbid_command, permit_command, plugins_command
from .refdata import refdata_group
from .scaffold import plugin_group
from .whatif import whatif_group

__all__ = ["register_commands"]


def register_commands(cli: click.Group) -> None:
    """Add core's commands to ``cli``."""
    for command in (
        init_command,
        evaluate_command,
        import_command,
        reevaluate_command,
        params_group,
        refdata_group,
        plugins_command,
        enable_command,
        disable_command,
        permit_command,
        forbid_command,
        plugin_group,
        whatif_group,
    ):
        cli.add_command(command)
