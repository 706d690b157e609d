"""Who may see and change what. Every view checks here, on the server.

- A city administrator sees every department and plugin, manages users, and
  chooses which department's view to work in.
- A department administrator switches plugins on and off and records
  parameter versions for the plugins their own department has enabled.
- A department viewer reads.

A request for another department's setting is answered 403 and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g, session
from flask_login import current_user, login_required
from sqlalchemy import select

from core.db import db
from core.models import Department
from core.store import enabled_plugins

__all__ = [
    "can_edit_department",
    "current_department",
    "department_plugins",
    "require_admin",
    "require_city_admin",
    "require_editor_of",
    "visible_departments",
]

F = TypeVar("F", bound=Callable[..., Any])


def visible_departments() -> list[Department]:
    """The departments the user may look at."""
    if current_user.is_city_admin:
        return list(db.session.scalars(select(Department).order_by(Department.id)))
    return [current_user.department] if current_user.department is not None else []


def current_department() -> Department | None:
    """The department the user is working in (a city administrator picks one)."""
    if "department" in g:
        return g.department
    department = None
    if current_user.is_city_admin:
        code = session.get("department")
        if code:
            department = db.session.scalar(select(Department).filter_by(code=code))
        if department is None:
            department = db.session.scalar(select(Department).order_by(Department.id).limit(1))
    else:
        department = current_user.department
    g.department = department
    return department


def department_plugins(department: Department | None = None) -> set[str]:
    """Plugins enabled by the working department (cached for the request)."""
    department = department or current_department()
    if department is None:
        return set()
    cache = g.setdefault("department_plugins", {})
    if department.id not in cache:
        cache[department.id] = enabled_plugins(department)
    return cache[department.id]


def can_edit_department(department: Department) -> bool:
    if current_user.is_city_admin:
        return True
    return current_user.role == "dept_admin" and current_user.department_id == department.id


def require_editor_of(department: Department) -> None:
    """403 unless the user may change ``department``'s settings."""
    if not can_edit_department(department):
        abort(403)


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
