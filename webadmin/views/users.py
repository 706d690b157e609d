"""Users of the admin: city administrators only (everyone else gets 403).

A city administrator lists users, creates them, deactivates and reactivates
them, and sets a new password. Users are never deleted: their names stay in
the audit log. Each change is audited: ``user.create``, ``user.deactivate``,
``user.activate``, ``user.password`` (the password itself, or its hash, is
never written to the log).

A department administrator or viewer must belong to a department; a city
administrator may have none. Nobody can deactivate themselves, so there is
always an active city administrator.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from core.db import db
from core.models import Department
from core.store import audit

from ..access import require_city_admin
from ..forms import ROLE_LABELS, PasswordForm, UserForm, select_choices
from ..i18n import pick
from ..models import User
from ..nav import NavItem

__all__ = ["NAV", "bp"]

bp = Blueprint("users", __name__)
NAV = [NavItem("users.index", _l("Users"), 70, roles=("city_admin",))]


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users")
@require_city_admin
def index():
    users = db.session.scalars(select(User).order_by(User.username)).all()
    return render_template("users/index.html", users=users, roles=ROLE_LABELS)


@bp.route("/users/new", methods=["GET", "POST"])
@require_city_admin
def create():
    form = UserForm()
    departments = db.session.scalars(select(Department).order_by(Department.id)).all()
    form.department.choices = select_choices([("", "—")] + [(d.code, pick(d.name)) for d in departments])
    if form.validate_on_submit():
        username = form.username.data.strip()
        department = next((d for d in departments if d.code == form.department.data), None)
        ok = True
        if db.session.scalar(select(User.id).filter_by(username=username)) is not None:
            form.username.errors.append(_("This user name is taken."))
            ok = False
        if form.role.data != "city_admin" and department is None:
            form.department.errors.append(_("Department administrators and viewers need a department."))
            ok = False
        if ok:
            user = User(username=username, role=form.role.data, department_id=department.id if department else None,
                        created_by=current_user.username)
            user.set_password(form.password.data)
            db.session.add(user)
            audit("user.create", current_user.username, username,
                  after={"role": user.role, "department": department.code if department else None, "active": True},
                  department=department)
            db.session.commit()
            flash(_("User %(name)s created.", name=username), "success")
            return redirect(url_for("users.index"))
    return render_template("users/new.html", form=form)


def _set_active(user_id: int, active: bool):
    user = _user(user_id)
    if not active and user.id == current_user.id:
        flash(_("You cannot deactivate yourself."), "error")
        return redirect(url_for("users.index"))
    if user.active == active:
        if active:
            flash(_("%(name)s is already active.", name=user.username), "warning")
        else:
            flash(_("%(name)s is already inactive.", name=user.username), "warning")
        return redirect(url_for("users.index"))
    user.active = active
    audit("user.activate" if active else "user.deactivate", current_user.username, user.username,
          before={"active": not active}, after={"active": active}, department=user.department)
    db.session.commit()
    if active:
        flash(_("%(name)s can log in again.", name=user.username), "success")
    else:
        flash(_("%(name)s is deactivated and can no longer log in.", name=user.username), "success")
    return redirect(url_for("users.index"))


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@require_city_admin
def deactivate(user_id: int):
    return _set_active(user_id, False)


@bp.route("/users/<int:user_id>/activate", methods=["POST"])
@require_city_admin
def activate(user_id: int):
    return _set_active(user_id, True)


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@require_city_admin
def password(user_id: int):
    user = _user(user_id)
    form = PasswordForm()
    if form.validate_on_submit():
        user.set_password(form.password.data)
        audit("user.password", current_user.username, user.username,
              after={"password": "changed"}, department=user.department)
        db.session.commit()
        flash(_("New password set for %(name)s.", name=user.username), "success")
        return redirect(url_for("users.index"))
    return render_template("users/password.html", form=form, user=user)
