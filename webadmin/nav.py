"""Menu entries that view modules declare (``NAV = [NavItem(...)]``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from flask_login import current_user

__all__ = ["NavItem", "nav_items"]


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    #: A lazy gettext string.
    label: object
    order: int
    #: Roles that see the entry; empty: everyone logged in.
    roles: tuple[str, ...] = ()
    #: Asked (in the request) when the role may see it: ``False`` hides an entry whose page would
    #: refuse this user (403), e.g. planning for a department administrator who manages no plugin.
    shown: Callable[[], bool] | None = None


def nav_items() -> list[NavItem]:
    if not current_user.is_authenticated:
        return []
    return [
        item for item in current_app.extensions.get("stdpolicy.nav", [])
        if (not item.roles or current_user.role in item.roles) and (item.shown is None or item.shown())
    ]
