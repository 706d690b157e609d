"""The ``stdpolicy`` console script: a light launcher in front of the admin's command group.

``stdpolicy evaluate FILE`` is the command run most often and on the largest
inputs; it reads the database (parameters, departments, payment history)
and runs the plugins, nothing more. Building the admin application for it
imported Flask-Migrate and Alembic, openpyxl, Flask-Babel's catalogues, the
admin's views and extensions: over a second before the first record was
read (issue #13). So the launcher runs the commands named in ``LIGHT`` in an
application with core's database and the plugins only
(``core.app.init_database``, plus the admin's migration environment so that
``require_database`` asks what it asks in the admin), and hands every other
command line (``--help``, ``run``, ``users``, ``db``, plugins' commands …)
to the admin's full group, ``webadmin.commands.main``, imported only then.

The light command is the very same click command object as in the full
group (``core.cli.activities.evaluate_command``): options, help, messages
and exit statuses cannot differ, and faults outside it are reported by the
same ``FaultReporting`` group. To make another command light, add it to
``LIGHT``; it must need nothing of the admin (tests/test_startup.py checks
what ``evaluate`` imports).

Python's cyclic garbage collector is paused while a light command starts
(importing, loading the plugins: about 200 collections that found almost
nothing and took a tenth of the start-up), and the objects built so far are
frozen (``gc.freeze``: never scanned again, a few hundred unreachable ones
kept) when the application is ready; the command itself runs with the
collector on, as before.

And at exit everything is frozen (``atexit``, before the interpreter's
finalisation): its last full collection walked every object a command had
built only to find them all still reachable from the modules it clears
anyway, 0.3 s after an import of 100,000 records. Objects are still freed as
the modules are cleared; only cycles nothing refers to any more are left
for the operating system to reclaim with the rest of the process.
"""

from __future__ import annotations

import atexit
import gc
import sys
from collections.abc import Sequence
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["LIGHT", "main"]

#: Commands run without the admin application: name → "module:attribute" of the click command.
LIGHT: dict[str, str] = {
    "evaluate": "core.cli.activities:evaluate_command",
    # The other two commands run on the largest files: importing the admin cost them ~1.3 s each.
    "import": "core.cli.activities:import_command",
    "reevaluate": "core.cli.activities:reevaluate_command",
}

#: The admin's migration environment (``webadmin.models.MIGRATIONS``, without importing the models).
ADMIN_MIGRATIONS = Path(__file__).resolve().parent / "migrations" / "versions"

# The admin's commands were defined here before the launcher: their old names still resolve.
_MOVED = {"tokens_group", "users_group", "create_user", "reset_password", "deactivate_user", "activate_user",
          "end_user_sessions", "list_users", "create_token", "list_tokens", "revoke_token"}


def light_app() -> Flask:
    """The application a light command runs in: core's database, the plugins, the admin's migration environment."""
    from flask import Flask
    from sqlalchemy import MetaData

    from core.app import init_database, instance_path
    from core.environments import add_environment

    app = Flask("webadmin", instance_path=instance_path(), instance_relative_config=True)
    init_database(app)
    # Only its name, version table and scripts are read here (require_database); its models are the admin's concern.
    add_environment(app, "webadmin", MetaData(), ADMIN_MIGRATIONS)
    _started()
    return app


#: Whether the launcher paused the garbage collector for a light command's start-up.
_paused = False


def _pause_collector() -> None:
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def _started(freeze: bool = True) -> None:
    """The start-up is over: freeze what it built and switch the collector back on (if the launcher paused it)."""
    global _paused
    if _paused:
        if freeze:
            gc.freeze()
        gc.enable()
        _paused = False


def _light_group(name: str) -> click.Group:
    from flask.cli import ScriptInfo

    from .clifaults import FaultReporting

    module, attribute = LIGHT[name].split(":")

    class LightGroup(FaultReporting):
        def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                         **extra: Any) -> click.Context:
            extra.setdefault("obj", ScriptInfo(create_app=light_app, set_debug_flag=False, load_dotenv_defaults=False))
            return super().make_context(info_name, args, parent=parent, **extra)

    group = LightGroup(name="stdpolicy")
    group.add_command(getattr(import_module(module), attribute))
    return group


def _freeze_at_exit() -> None:
    """Freeze every object at exit, once per process (the module docstring says why)."""
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)


class Launcher(click.Group):
    """``stdpolicy``: a light command in a light application, anything else in the admin's group."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        _freeze_at_exit()
        if not argv or argv[0] not in LIGHT:
            from .commands import main as target

            return target.main(argv, prog_name=prog_name or self.name, **extra)
        _pause_collector()
        try:
            return _light_group(argv[0]).main(argv, prog_name=prog_name or self.name, **extra)
        finally:
            _started(freeze=False)  # a usage error, --help …: no application was built


main = Launcher(name="stdpolicy")


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        from . import commands

        return getattr(commands, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
