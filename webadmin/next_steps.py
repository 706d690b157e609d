"""What a department with nothing switched on can do next (dashboard, register, parameters).

Shown instead of empty pages: which plugins the department may switch on
(the city administrators' permissions), who can switch them on (its
administrators by name, or city administrators), and the way to the
Plugins page. Nothing is changed here; the Plugins page does that.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_login import current_user
from sqlalchemy import select

from core.app import get_registry
from core.db import db
from core.models import Department
from core.store import permitted_plugins

from .access import can_edit_department, current_department, department_plugins
from .i18n import pick
from .models import User

__all__ = ["NextSteps", "next_steps"]


@dataclass
class NextSteps:
    department: Department
    #: Loaded plugins the department may switch on: their names in the UI language.
    permitted: list[str] = field(default_factory=list)
    #: Permitted plugins that are not installed (entry-point names).
    missing: list[str] = field(default_factory=list)
    #: The department's active administrators (user names).
    administrators: list[str] = field(default_factory=list)
    #: Whether the current user can switch them on.
    may_switch: bool = False


def next_steps() -> NextSteps | None:
    """For the working department when it has no plugin switched on (``None`` otherwise)."""
    department = current_department()
    if department is None or department_plugins(department):
        return None
    registry = get_registry()
    allowed = permitted_plugins(department)
    steps = NextSteps(department)
    steps.permitted = [pick(record.description.label) for name, record in registry.plugins.items() if name in allowed]
    steps.missing = sorted(name for name in allowed if name not in registry.plugins)
    steps.administrators = list(db.session.scalars(
        select(User.username).filter_by(department_id=department.id, role="dept_admin", active=True).order_by(User.username)
    ))
    steps.may_switch = bool(steps.permitted) and can_edit_department(department) and current_user.is_authenticated
    return steps
