"""Mounting the admin pages plugins contribute (``stdpolicy_register_admin_pages``).

Each blueprint is registered under ``/admin/p/<plugin>/``. A user whose
working department has not enabled the plugin gets 404 there, and no menu
entry.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, abort, current_app, request
from flask_login import current_user

from core.text import Text

__all__ = ["MenuEntry", "init_app", "menu_entries"]


@dataclass(frozen=True)
class MenuEntry:
    plugin: str
    label: Text
    endpoint: str


def init_app(app: Flask) -> None:
    registry = app.extensions["stdpolicy"]
    owners: dict[str, str] = {}
    entries: list[MenuEntry] = []
    for plugin, pages in registry.admin_pages().items():
        for n, page in enumerate(pages):
            name = f"plugin_{plugin}_{n}"
            app.register_blueprint(page.blueprint, url_prefix=f"/admin/p/{plugin}", name=name)
            owners[name] = plugin
            entries.append(MenuEntry(plugin, page.label, f"{name}.{page.endpoint}"))
    app.extensions["stdpolicy.admin_menu"] = entries
    # Blueprint name → plugin: core.current_plugin() reads it (core/pages.py).
    app.extensions["stdpolicy.page_owners"] = owners

    @app.before_request
    def _plugin_pages_need_enablement():
        owner = owners.get((request.blueprint or "").split(".")[0])
        if owner is None:
            return None
        if not current_user.is_authenticated:
            return app.login_manager.unauthorized()  # type: ignore[attr-defined]
        from .access import department_plugins

        if owner not in department_plugins():
            abort(404)
        return None


def menu_entries() -> list[MenuEntry]:
    """The plugin pages the current user may open."""
    from .access import department_plugins

    enabled = department_plugins()
    return [e for e in current_app.extensions.get("stdpolicy.admin_menu", []) if e.plugin in enabled]

