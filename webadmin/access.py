"""Who may see and change what. Every view checks here, on the server.

- A city administrator sees every department and plugin, manages users,
  chooses which department's view to work in, decides which plugins each
  department may switch on (``plugin.permit`` / ``plugin.forbid``) and which
  department owns each plugin.
- A department administrator switches their own department's plugins on
  and off, within the plugins it is permitted; and records the parameter
  versions of the plugins their department owns (``may_manage``).
- A department viewer reads.

What a department sees — activities, outcomes, parameters, the dashboard —
follows the plugins it has switched on and is permitted
(``department_plugins``). A request for another department's setting, or a
change the user may not make, is answered 403 and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g, session
from flask_login import current_user, login_required
from sqlalchemy import select

from core.app import get_registry
from core.db import db
from core.models import Department
from core.store import enabled_plugins, plugin_owner

__all__ = [
    "acting_department",
    "can_edit_department",
    "current_department",
    "department_plugins",
    "may_manage",
    "require_admin",
    "require_city_admin",
    "require_editor_of",
    "require_manager_of",
    "sees_plugin",
    "visible_departments",
    "visible_plugins",
]

F = TypeVar("F", bound=Callable[..., Any])


def _all_departments() -> list[Department]:
    """Every department, in id order, read once per request (the working one is picked from them, the menu lists them)."""
    if "all_departments" not in g:
        g.all_departments = list(db.session.scalars(select(Department).order_by(Department.id)))
    return list(g.all_departments)


def visible_departments() -> list[Department]:
    """The departments the user may look at."""
    if current_user.is_city_admin:
        return _all_departments()
    return [current_user.department] if current_user.department is not None else []


def current_department() -> Department | None:
    """The department the user is working in (a city administrator picks one)."""
    if "department" in g:
        return g.department
    department = None
    if current_user.is_city_admin:
        code = session.get("department")
        everyone = _all_departments()
        if code:
            department = next((d for d in everyone if d.code == code), None)
        if department is None and everyone:
            department = everyone[0]
    else:
        department = current_user.department
    g.department = department
    return department


def department_plugins(department: Department | None = None) -> set[str]:
    """Plugins the working department has switched on and is permitted (cached for the request)."""
    department = department or current_department()
    if department is None:
        return set()
    cache = g.setdefault("department_plugins", {})
    if department.id not in cache:
        cache[department.id] = enabled_plugins(department)
    return cache[department.id]


def can_edit_department(department: Department) -> bool:
    """City administrators, and the department's own administrators."""
    if current_user.is_city_admin:
        return True
    return current_user.role == "dept_admin" and current_user.department_id == department.id


def require_editor_of(department: Department) -> None:
    """403 unless the user may change ``department``'s settings."""
    if not can_edit_department(department):
        abort(403)


def may_manage(plugin: str, user: Any = None) -> bool:
    """Whether ``user`` (default: the current user) manages ``plugin``: records its parameter versions.

    City administrators manage every plugin; a department administrator the
    plugins their department owns (``core.store.plugin_owner``). The one
    check for everything a plugin's owner does: parameter versions (the
    admin's pages and the preview), and later its reference data and reviews.
    """
    user = current_user if user is None else user
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_city_admin:
        return True
    if user.role != "dept_admin" or user.department_id is None:
        return False
    cache = g.setdefault("plugin_owners", {})
    if plugin not in cache:
        cache[plugin] = plugin_owner(plugin)
    owner = cache[plugin]
    return owner is not None and owner.id == user.department_id


def sees_plugin(plugin: str) -> bool:
    """Whether the user sees ``plugin``'s parameters and reference data: city administrators all; others the
    plugins the working department has switched on, and department administrators those they manage too."""
    return current_user.is_city_admin or plugin in department_plugins() or may_manage(plugin)


def visible_plugins() -> list[str]:
    """The loaded plugins, in load order, whose parameters and reference data the pages list for the user.

    The working department's enabled plugins, and those a department administrator manages (a city
    administrator works as a department and sees what it enabled; every plugin stays reachable by address).
    """
    enabled = department_plugins()
    return [name for name in get_registry().plugins
            if name in enabled or (not current_user.is_city_admin and may_manage(name))]


def require_manager_of(plugin: str) -> None:
    """403 unless the user manages ``plugin`` (``may_manage``)."""
    if not may_manage(plugin):
        abort(403)


def acting_department(plugin: str | None = None) -> Department | None:
    """The department a change by the current user is recorded under in the audit log.

    The user's own department; for a city administrator without one, the
    owner of ``plugin`` (if given).
    """
    if current_user.department is not None:
        return current_user.department
    return plugin_owner(plugin) if plugin is not None else None


def require_city_admin(view: F) -> F:
    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_city_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def require_admin(view: F) -> F:
    """City or department administrators (viewers get 403)."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user.role not in ("city_admin", "dept_admin"):
            abort(403)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]
