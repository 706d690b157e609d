"""Menu entries that view modules declare (``NAV = [NavItem(...)]``)."""

from __future__ import annotations

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


def nav_items() -> list[NavItem]:
    if not current_user.is_authenticated:
        return []
    return [
        item for item in current_app.extensions.get("stdpolicy.nav", [])
        if not item.roles or current_user.role in item.roles
    ]
