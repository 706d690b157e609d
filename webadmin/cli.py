"""The ``stdpolicy`` console script: a Flask CLI group around the admin app."""

from __future__ import annotations

from flask.cli import FlaskGroup

__all__ = ["main"]


def _create_app():
    from . import create_app

    return create_app()


main = FlaskGroup(
    name="stdpolicy",
    create_app=_create_app,
    add_version_option=True,
    load_dotenv=False,
    set_debug_flag=False,
    help="Jiaxing standards-city policy rules: evaluate, import, parameters, plugins, admin server.",
)
