"""Plugins per department: switch on and off, permit and forbid, change the owner.

The command line (``stdpolicy enable|disable|permit|forbid``) and the
admin's Plugins page call these; each takes the writer lock (an import or
re-evaluation computing with the old enablements must not commit after
the change), stores the change with its audit entry in one transaction,
and returns whether anything changed.

The rule that a department switches a plugin on only once a city
administrator has permitted it is kept here, for every caller: a refused
switch raises ``NotPermitted`` with nothing stored. Who the user is (a
city administrator, the department's own administrator) is the caller's
check: the command line has no users.
"""

from __future__ import annotations

from ..models import Department
from ..store.departments import permitted_plugins, set_enabled
from ..store.locking import writing
from ..store.permissions import set_owner, set_permitted

__all__ = ["NotPermitted", "change_owner", "permit_plugin", "switch_plugin"]


class NotPermitted(PermissionError):
    """A department tried to switch on a plugin a city administrator has not permitted it."""

    def __init__(self, department: Department, plugin: str) -> None:
        super().__init__(f"{department.code} is not permitted to switch on {plugin}")
        self.department = department
        self.plugin = plugin


def switch_plugin(department: Department, plugin: str, enabled: bool, actor: str) -> bool:
    """Switch ``plugin`` on or off for ``department`` (audited, committed); ``False`` if nothing changed.

    :raises NotPermitted: switching on a plugin the department is not permitted (nothing stored).
    """
    with writing("switch a plugin"):
        if enabled and plugin not in permitted_plugins(department):
            raise NotPermitted(department, plugin)
        return set_enabled(department, plugin, enabled, actor)


def permit_plugin(department: Department, plugin: str, allowed: bool, actor: str) -> bool:
    """Permit or forbid ``department`` to switch ``plugin`` on (audited, committed; forbidding switches it off).

    ``False`` if nothing changed. Whether the user is a city administrator is checked by the callers.
    """
    with writing("permit a plugin"):
        return set_permitted(department, plugin, allowed, actor)


def change_owner(plugin: str, department: Department | None, actor: str) -> bool:
    """Make ``department`` (``None``: nobody) the owner of ``plugin`` (audited, committed); ``False`` if it was."""
    with writing("change a plugin's owner"):
        return set_owner(plugin, department, actor)
