"""Who may switch a plugin on, and which department owns it.

- **Permissions**: a city administrator decides which plugins each
  department may switch on; the department's administrators switch within
  that set. Defaults: ``permitted`` in ``core/data/departments.yaml``; a row
  of ``plugin_permissions`` overrides one. Forbidding a plugin also
  switches it off for the department, so permitting it again later does not
  bring back an old switch by itself.
- **Owners**: each plugin has at most one owning department; its
  administrators and city administrators record the plugin's parameter
  versions (the admin's ``webadmin.access.may_manage``). Defaults: ``owns``
  in ``core/data/departments.yaml``; a row of ``plugin_owners`` overrides
  it, an empty department there meaning "no owner: city administrators only".

Every change is audited (``plugin.permit``, ``plugin.forbid``,
``plugin.owner``) with the department it concerns. These functions add to
the current transaction; the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from ..db import db, utcnow
from ..models import Department, PluginOwner, PluginPermission
from .audit import audit
from .departments import default_departments, permitted_plugins, set_enabled

__all__ = [
    "default_owners",
    "permission_matrix",
    "plugin_owner",
    "plugin_owners",
    "set_owner",
    "set_permitted",
]


def default_owners() -> dict[str, str]:
    """Plugin → the code of the department that owns it by default."""
    return {plugin: item["code"] for item in default_departments() for plugin in item.get("owns") or ()}


def plugin_owners(plugins: Iterable[str]) -> dict[str, Department | None]:
    """The owning department of each of ``plugins`` (``None``: no owner, city administrators only)."""
    plugins = list(plugins)
    rows = {row.plugin: row for row in db.session.scalars(select(PluginOwner).where(PluginOwner.plugin.in_(plugins)))}
    defaults = default_owners()
    by_code = {d.code: d for d in db.session.scalars(select(Department))}
    owners: dict[str, Department | None] = {}
    for plugin in plugins:
        if plugin in rows:
            owners[plugin] = rows[plugin].department
        else:
            owners[plugin] = by_code.get(defaults.get(plugin, ""))
    return owners


def plugin_owner(plugin: str) -> Department | None:
    """The department that owns ``plugin`` (``None``: none; city administrators manage it)."""
    return plugin_owners([plugin])[plugin]


def set_owner(plugin: str, department: Department | None, actor: str) -> bool:
    """Make ``department`` (``None``: nobody) the owner of ``plugin`` (audited); ``False`` if it already was."""
    before = plugin_owner(plugin)
    if (before.id if before else None) == (department.id if department else None):
        return False
    row = db.session.scalar(select(PluginOwner).filter_by(plugin=plugin))
    if row is None:
        row = PluginOwner(plugin=plugin, changed_by=actor)
        db.session.add(row)
    row.department_id = department.id if department is not None else None
    row.changed_by = actor
    row.changed_at = utcnow()
    db.session.flush()
    audit("plugin.owner", actor, plugin,
          before={"owner": before.code if before else None},
          after={"owner": department.code if department else None},
          department=department or before)
    return True


def set_permitted(department: Department, plugin: str, allowed: bool, actor: str) -> bool:
    """Permit or forbid ``department`` to switch ``plugin`` on (audited); ``False`` if nothing changed.

    Forbidding also switches the plugin off for the department (audited as
    ``plugin.disable``), in the same transaction.
    """
    was = plugin in permitted_plugins(department)
    if was == allowed:
        return False
    row = db.session.scalar(select(PluginPermission).filter_by(department_id=department.id, plugin=plugin))
    if row is None:
        row = PluginPermission(department_id=department.id, plugin=plugin, allowed=allowed, changed_by=actor)
        db.session.add(row)
    row.allowed = allowed
    row.changed_by = actor
    row.changed_at = utcnow()
    db.session.flush()
    audit("plugin.permit" if allowed else "plugin.forbid", actor, f"{department.code}/{plugin}",
          before={"permitted": was}, after={"permitted": allowed}, department=department)
    if not allowed:
        set_enabled(department, plugin, False, actor)
    return True


def permission_matrix(departments: Iterable[Department]) -> dict[tuple[int, str], bool]:
    """(department id, plugin) → permitted, for every plugin a default or a row names (absent: not permitted)."""
    matrix: dict[tuple[int, str], bool] = {}
    for department in departments:
        for plugin in permitted_plugins(department):
            matrix[department.id, plugin] = True
    return matrix
