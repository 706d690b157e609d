"""Departments and which plugins each has enabled."""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml
from sqlalchemy import select

from ..db import db, utcnow
from ..models import Department, PluginEnablement
from ..registry import Registry
from .audit import audit

__all__ = [
    "UnknownDepartment",
    "active_plugins",
    "default_departments",
    "enabled_plugins",
    "ensure_departments",
    "find_department",
    "set_enabled",
]


class UnknownDepartment(LookupError):
    """No department has that code or name."""


def default_departments() -> list[dict[str, Any]]:
    """The departments of ``core/data/departments.yaml``."""
    text = resources.files("core").joinpath("data/departments.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)["departments"]


def ensure_departments(registry: Registry, actor: str = "system") -> list[str]:
    """Create missing default departments and enable their installed default plugins.

    A department's default plugin is enabled only if the department has no
    setting for it yet, so re-running ``init`` never undoes a department's
    own choice. Returns what was done, one line each.
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
        for plugin in item.get("plugins") or ():
            if plugin in registry.plugins and plugin not in existing:
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
        raise UnknownDepartment(f"no department {name!r} (known: {codes or 'none; run stdpolicy init'})")
    return department


def enabled_plugins(department: Department) -> set[str]:
    """The plugins ``department`` has switched on."""
    return set(db.session.scalars(
        select(PluginEnablement.plugin).filter_by(department_id=department.id, enabled=True)
    ))


def active_plugins(registry: Registry) -> list[str]:
    """Loaded plugins enabled by at least one department: those that compute stored outcomes."""
    enabled = set(db.session.scalars(select(PluginEnablement.plugin).filter_by(enabled=True)))
    return [name for name in registry.plugins if name in enabled]


def set_enabled(department: Department, plugin: str, enabled: bool, actor: str) -> bool:
    """Switch a plugin on or off for a department (audited); ``False`` if nothing changed."""
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
