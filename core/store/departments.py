"""Departments, the plugins each has switched on, and which of those count.

A switch counts only while a city administrator permits the department that
plugin (``core.store.permissions``): ``enabled_plugins`` — what evaluates
for a department and what it sees — is the plugins switched on *and*
permitted. Permissions default to ``core/data/departments.yaml``
(``permitted``); rows of ``plugin_permissions`` override the defaults.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import select

from ..db import db, utcnow
from ..models import Department, PluginEnablement, PluginPermission
from ..registry import Registry
from ..screening import clipped
from .audit import audit

__all__ = [
    "UnknownDepartment",
    "active_plugins",
    "default_departments",
    "default_permissions",
    "enabled_plugins",
    "ensure_departments",
    "find_department",
    "permitted_plugins",
    "set_enabled",
    "switched_on",
]


class UnknownDepartment(LookupError):
    """No department has that code or name."""


@cache
def _defaults() -> tuple[dict[str, Any], ...]:
    text = resources.files("core").joinpath("data/departments.yaml").read_text(encoding="utf-8")
    return tuple(yaml.safe_load(text)["departments"])


def default_departments() -> list[dict[str, Any]]:
    """The departments of ``core/data/departments.yaml`` (read once; do not change them)."""
    return list(_defaults())


@cache
def default_permissions() -> dict[str, frozenset[str]]:
    """Department code → the plugins it may switch on by default (its default ``plugins`` included)."""
    return {
        item["code"]: frozenset(item.get("permitted") or ()) | frozenset(item.get("plugins") or ())
        for item in _defaults()
    }


def ensure_departments(registry: Registry, actor: str = "system") -> list[str]:
    """Create missing default departments and enable their installed default plugins.

    A department's default plugin is enabled only if the department has no
    setting for it yet and is still permitted it, so re-running ``init``
    never undoes a department's own choice or a city administrator's.
    Returns what was done, one line each.
    """
    done = []
    for item in default_departments():
        department = db.session.scalar(select(Department).filter_by(code=item["code"]))
        if department is None:
            department = Department(code=item["code"], name_zh=item["name"]["zh"], name_en=item["name"]["en"])
            db.session.add(department)
            db.session.flush()
            audit("department.create", actor, department.code, after={"name_zh": department.name_zh, "name_en": department.name_en},
                  department=department)
            done.append(f"created department {department.code} ({department.name_zh})")
        existing = {e.plugin for e in department.enablements}
        permitted = permitted_plugins(department)
        for plugin in item.get("plugins") or ():
            if plugin in registry.plugins and plugin not in existing and plugin in permitted:
                _set(department, plugin, True, actor)
                done.append(f"enabled {plugin} for {department.code}")
    return done


def find_department(name: str) -> Department:
    """A department by code (``market_regulation``) or by its Chinese or English name."""
    department = db.session.scalar(
        select(Department).where(
            (Department.code == name) | (Department.name_zh == name) | (Department.name_en == name)
        )
    )
    if department is None:
        codes = ", ".join(db.session.scalars(select(Department.code).order_by(Department.code)))
        raise UnknownDepartment(f"no department '{clipped(name)}' (known: {codes or 'none; run stdpolicy init'})")
    return department


def _permitted(code: str, rows: dict[str, bool]) -> set[str]:
    """The default permissions of department ``code``, overridden by its ``rows`` (plugin → allowed)."""
    allowed = {plugin for plugin in default_permissions().get(code, ()) if rows.get(plugin, True)}
    return allowed | {plugin for plugin, yes in rows.items() if yes}


def permitted_plugins(department: Department) -> set[str]:
    """The plugins ``department`` may switch on (a city administrator's choice, else the default)."""
    rows = {plugin: allowed for plugin, allowed in db.session.execute(
        select(PluginPermission.plugin, PluginPermission.allowed).filter_by(department_id=department.id)
    )}
    return _permitted(department.code, rows)


def switched_on(department: Department) -> set[str]:
    """The plugins ``department`` has switched on, permitted or not."""
    return set(db.session.scalars(
        select(PluginEnablement.plugin).filter_by(department_id=department.id, enabled=True)
    ))


def enabled_plugins(department: Department) -> set[str]:
    """The plugins ``department`` has switched on and is permitted: those that evaluate for it and that it sees.

    One statement (every page asks): each switch with the permission row for it, if any; without
    one, the default of ``departments.yaml`` holds.
    """
    defaults = default_permissions().get(department.code, frozenset())
    rows = db.session.execute(
        select(PluginEnablement.plugin, PluginPermission.allowed)
        .outerjoin(PluginPermission, (PluginPermission.department_id == PluginEnablement.department_id)
                   & (PluginPermission.plugin == PluginEnablement.plugin))
        .where(PluginEnablement.department_id == department.id, PluginEnablement.enabled.is_(True))
    )
    return {plugin for plugin, allowed in rows if (plugin in defaults if allowed is None else allowed)}


def active_plugins(registry: Registry) -> list[str]:
    """Loaded plugins enabled (and permitted) by at least one department: those that compute stored outcomes."""
    switched: dict[int, set[str]] = {}
    for department_id, plugin in db.session.execute(
        select(PluginEnablement.department_id, PluginEnablement.plugin).filter_by(enabled=True)
    ):
        switched.setdefault(department_id, set()).add(plugin)
    rows: dict[int, dict[str, bool]] = {}
    for department_id, plugin, allowed in db.session.execute(
        select(PluginPermission.department_id, PluginPermission.plugin, PluginPermission.allowed)
    ):
        rows.setdefault(department_id, {})[plugin] = allowed
    codes = {department_id: code for department_id, code in db.session.execute(select(Department.id, Department.code))}
    enabled: set[str] = set()
    for department_id, plugins in switched.items():
        enabled |= plugins & _permitted(codes.get(department_id, ""), rows.get(department_id, {}))
    return [name for name in registry.plugins if name in enabled]


def set_enabled(department: Department, plugin: str, enabled: bool, actor: str) -> bool:
    """Switch a plugin on or off for a department (audited); ``False`` if nothing changed.

    Whether the department may switch it on is checked by the callers (the
    admin's access layer, the command line): see ``permitted_plugins``. A
    switch that is not permitted has no effect (``enabled_plugins``).
    """
    row = db.session.scalar(select(PluginEnablement).filter_by(department_id=department.id, plugin=plugin))
    if row is not None and row.enabled == enabled:
        return False
    _set(department, plugin, enabled, actor, row)
    return True


def _set(department: Department, plugin: str, enabled: bool, actor: str, row: PluginEnablement | None = None) -> None:
    before = None if row is None else {"enabled": row.enabled}
    if row is None:
        row = PluginEnablement(department_id=department.id, plugin=plugin, enabled=enabled, changed_by=actor)
        db.session.add(row)
    else:
        row.enabled = enabled
        row.changed_by = actor
        row.changed_at = utcnow()
    audit("plugin.enable" if enabled else "plugin.disable", actor, f"{department.code}/{plugin}",
          before=before, after={"enabled": enabled}, department=department)
