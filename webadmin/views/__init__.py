"""The admin's pages, one blueprint per module.

Every module of this package that defines ``bp`` (a Blueprint) and, for the
menu, ``NAV`` (a list of ``(endpoint, label, roles)``) is registered.
"""

from __future__ import annotations

import importlib
import pkgutil

from flask import Flask

__all__ = ["register_views"]


def register_views(app: Flask) -> None:
    nav = []
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        blueprint = getattr(module, "bp", None)
        if blueprint is not None:
            app.register_blueprint(blueprint)
            nav.extend(getattr(module, "NAV", []))
    nav.sort(key=lambda item: item.order)
    app.extensions["stdpolicy.nav"] = nav
