"""The audit log: every change, who made it, when, and what it was before and after.

Read only. There is no route that edits or deletes an entry, and the
database refuses both (triggers on ``audit_log``).

Who sees what:

- a city administrator sees every entry;
- department administrators and viewers see the entries of their own
  department (``department_id``), plus the ``parameter.*`` and ``refdata.*``
  entries whose key belongs to a plugin their department has enabled now
  (parameter values and reference data are city-wide; a key starts with its
  plugin's name), whichever department recorded them. Logins, user changes of other departments and the like
  stay hidden.

Every entry names the department of the change (``department_id``): the
department switched, permitted or owning; for a parameter version the
acting user's department (the owner's when recorded from the command line
or by a city administrator without a department). Each entry is shown as a
sentence and a field-by-field before/after table (``webadmin.audit_text``).

Filters (all optional, combined): action, actor (part of the name),
department ("none" for entries without one), and a date range in the
configured time zone (``core.clock``, Beijing time by default), both days
included. Fifty entries a page, newest first.
"""

from __future__ import annotations

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

from core import clock
from core.app import get_registry
from core.db import db
from core.models import AuditEntry, Department
from core.store import enabled_plugins

from ..audit_text import ACTIONS, changes, describe
from ..forms import select_choices
from ..i18n import pick
from ..nav import NavItem
from ..urlints import int_arg

__all__ = ["NAV", "PER_PAGE", "bp", "visible_entries"]

bp = Blueprint("audit", __name__)
NAV = [NavItem("audit.index", _l("Audit log"), 60)]

PER_PAGE = 50
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
            or_(AuditEntry.action.startswith("parameter.", autoescape=True),
                AuditEntry.action.startswith("refdata.", autoescape=True)),
            or_(*[AuditEntry.target.startswith(f"{plugin}.", autoescape=True) for plugin in plugins]),
        ))
    return query.where(or_(*conditions))


def _utc(day, *, end: bool = False) -> datetime:
    """The naive UTC instant a local day starts (or, with ``end``, the next day starts)."""
    start = datetime.combine(day + timedelta(days=1) if end else day, time(), tzinfo=clock.zone())
    return start.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


@bp.route("/audit")
@login_required
def index():
    form = AuditFilterForm(formdata=request.args)
    form.validate()  # fields with errors are shown and ignored
    # Every department: the entries a department's user sees may name another (a parameter version
    # recorded by the plugin's owner); the filter narrows, it never widens (``visible_entries``).
    departments = db.session.scalars(select(Department).order_by(Department.id)).all()
    department_choices = [("", _l("All"))] + [(d.code, pick(d.name)) for d in departments]
    department_choices.append((NO_DEPARTMENT, _l("No department")))
    form.department.choices = select_choices(department_choices)

    scoped = visible_entries(select(AuditEntry))
    actions = db.session.scalars(
        visible_entries(select(AuditEntry.action).distinct()).order_by(AuditEntry.action)
    ).all()
    form.action.choices = select_choices([("", _l("All"))] + sorted(
        ((a, str(ACTIONS.get(a, a))) for a in actions), key=lambda choice: choice[1]))

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
        page=int_arg("page", 1, low=1), per_page=PER_PAGE, max_per_page=PER_PAGE, error_out=False,
    )
    names = {d.id: d for d in departments}
    by_code = {d.code: d for d in departments}
    registry = get_registry()
    entries = [(e, describe(e, registry, by_code), changes(e, registry, by_code)) for e in page.items]
    return render_template("audit/index.html", form=form, page=page, entries=entries, departments=names,
                           zone=clock.zone_name())
