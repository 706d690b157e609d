"""The audit log: every change, who made it, when, and what it was before and after.

Read only. There is no route that edits or deletes an entry, and the
database refuses both (triggers on ``audit_log``).

Who sees what:

- a city administrator sees every entry;
- department administrators and viewers see the entries of their own
  department (``department_id``), plus the ``parameter.*`` entries that
  carry no department (parameter values are city-wide) whose key belongs to
  a plugin their department has enabled now (a key starts with its plugin's
  name). Logins, user changes of other departments and the like stay hidden.

Filters (all optional, combined): action, actor (part of the name), department
(city administrators; "none" for entries without one), and a date range in
Beijing time, both days included. Fifty entries a page, newest first.
"""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import Select, and_, false, or_, select
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional

from core.db import db
from core.models import AuditEntry, Department
from core.store import enabled_plugins

from ..access import visible_departments
from ..forms import select_choices
from ..i18n import pick
from ..nav import NavItem

__all__ = ["NAV", "PER_PAGE", "bp", "visible_entries"]

bp = Blueprint("audit", __name__)
NAV = [NavItem("audit.index", _l("Audit log"), 60)]

PER_PAGE = 50
BEIJING = ZoneInfo("Asia/Shanghai")
NO_DEPARTMENT = "none"


class AuditFilterForm(FlaskForm):
    """The filters, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    action = SelectField(_l("Action"), choices=[], validate_choice=False, validators=[Optional()])
    actor = StringField(_l("Actor"), validators=[Optional(), Length(max=100)])
    department = SelectField(_l("Department"), choices=[], validate_choice=False, validators=[Optional()])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])


def visible_entries(query: Select[Any]) -> Select[Any]:
    """``query`` on ``AuditEntry`` limited to what the current user may read (see the module docstring)."""
    if current_user.is_city_admin:
        return query
    department = current_user.department
    if department is None:
        return query.where(false())
    conditions = [AuditEntry.department_id == department.id]
    plugins = sorted(enabled_plugins(department))
    if plugins:
        conditions.append(and_(
            AuditEntry.department_id.is_(None),
            AuditEntry.action.startswith("parameter.", autoescape=True),
            or_(*[AuditEntry.target.startswith(f"{plugin}.", autoescape=True) for plugin in plugins]),
        ))
    return query.where(or_(*conditions))


def _utc(day, *, end: bool = False) -> datetime:
    """The naive UTC instant a Beijing-time day starts (or, with ``end``, the next day starts)."""
    start = datetime.combine(day + timedelta(days=1) if end else day, time(), tzinfo=BEIJING)
    return start.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def readable(value: Any) -> str:
    """``before`` / ``after`` as indented JSON, Chinese left readable."""
    if value is None:
        return ""
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


@bp.route("/audit")
@login_required
def index():
    form = AuditFilterForm(formdata=request.args)
    form.validate()  # fields with errors are shown and ignored
    departments = visible_departments()
    department_choices = [("", _l("All"))] + [(d.code, pick(d.name)) for d in departments]
    if current_user.is_city_admin:
        department_choices.append((NO_DEPARTMENT, _l("No department")))
    form.department.choices = select_choices(department_choices)

    scoped = visible_entries(select(AuditEntry))
    actions = db.session.scalars(
        visible_entries(select(AuditEntry.action).distinct()).order_by(AuditEntry.action)
    ).all()
    form.action.choices = select_choices([("", _l("All"))] + [(a, a) for a in actions])

    query = scoped
    if form.action.data and not form.action.errors:
        query = query.where(AuditEntry.action == form.action.data)
    if form.actor.data and not form.actor.errors:
        query = query.where(AuditEntry.actor.icontains(form.actor.data.strip(), autoescape=True))
    if form.department.data:
        if form.department.data == NO_DEPARTMENT:
            query = query.where(AuditEntry.department_id.is_(None))
        else:
            wanted = next((d for d in departments if d.code == form.department.data), None)
            query = query.where(AuditEntry.department_id == wanted.id) if wanted else query.where(false())
    if form.date_from.data and not form.date_from.errors:
        query = query.where(AuditEntry.at >= _utc(form.date_from.data))
    if form.date_to.data and not form.date_to.errors:
        query = query.where(AuditEntry.at < _utc(form.date_to.data, end=True))

    page = db.paginate(
        query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()),
        page=request.args.get("page", 1, type=int), per_page=PER_PAGE, max_per_page=PER_PAGE, error_out=False,
    )
    names = {d.id: d for d in db.session.scalars(select(Department))}
    return render_template("audit/index.html", form=form, page=page, departments=names, readable=readable)
