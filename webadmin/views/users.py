"""Users of the admin: city administrators only (everyone else gets 403).

A city administrator lists users, creates them, deactivates and reactivates
them, resets a password, and sees and ends a user's sessions. Users are
never deleted: their names stay in the audit log. Each change is a use case
of ``webadmin.services`` (as ``stdpolicy users …``) and is audited:
``user.create``, ``user.deactivate``, ``user.activate``, ``user.password``
(a reset), ``user.sessions_end`` (the password itself, or its hash, is never
written to the log).

A reset gives a random one-time password, shown once on the answer to the
reset and never stored in the clear: the user must replace it at their next
login before they can reach anything else. A reset and a deactivation end
the user's sessions at once.

A department administrator or viewer must belong to a department; a city
administrator may have none. Nobody can deactivate themselves, so there is
always an active city administrator.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from core.db import db
from core.models import Department

from .. import services, sessions
from ..access import require_city_admin
from ..forms import ROLE_LABELS, WEAKNESS_MESSAGES, ActionForm, UserForm, select_choices
from ..i18n import pick
from ..models import User, UserSession
from ..nav import NavItem

__all__ = ["NAV", "bp"]

bp = Blueprint("users", __name__)
NAV = [NavItem("users.index", _l("Users"), 70, roles=("city_admin",))]

#: Why a session ended (``UserSession.end_reason``), as the sessions page says it.
END_REASONS = {
    "logout": _l("logged out"),
    "idle": _l("ended: inactive too long"),
    "expired": _l("ended: maximum duration reached"),
    "password": _l("ended: password changed"),
    "reset": _l("ended: password reset"),
    "deactivated": _l("ended: user deactivated"),
    "ended": _l("ended by an administrator"),
}


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users")
@require_city_admin
def index():
    return render_template("users/index.html", users=services.list_users(), roles=ROLE_LABELS,
                           open_sessions=sessions.open_session_counts())


#: The form field a refusal of ``services.create_user`` belongs to, and its message.
_CREATE_PROBLEMS = {
    "taken": ("username", _l("This user name is taken.")),
    "name": ("username", _l("Letters, digits, and . @ - _ only.")),
    "department": ("department", _l("Department administrators and viewers need a department.")),
    "characters": ("password", WEAKNESS_MESSAGES["characters"]),
    "short": ("password", WEAKNESS_MESSAGES["short"]),
    "guessable": ("password", WEAKNESS_MESSAGES["guessable"]),
}


@bp.route("/users/new", methods=["GET", "POST"])
@require_city_admin
def create():
    form = UserForm()
    departments = db.session.scalars(select(Department).order_by(Department.id)).all()
    form.department.choices = select_choices([("", "—")] + [(d.code, pick(d.name)) for d in departments])
    if form.validate_on_submit():
        department = next((d for d in departments if d.code == form.department.data), None)
        try:
            user = services.create_user(form.username.data, role=form.role.data, department=department,
                                        password=form.password.data, actor=current_user.username)
        except services.UserProblem as exc:
            if exc.code not in _CREATE_PROBLEMS:  # a role outside the form's choices: refused by the form first
                abort(400)
            field, message = _CREATE_PROBLEMS[exc.code]
            form[field].errors.append(str(message))
        else:
            flash(_("User %(name)s created.", name=user.username), "success")
            return redirect(url_for("users.index"))
    return render_template("users/new.html", form=form)


def _set_active(user_id: int, active: bool):
    user = _user(user_id)
    try:
        changed = services.set_active(user, active, actor=current_user.username)
    except services.UserProblem:
        flash(_("You cannot deactivate yourself."), "error")
        return redirect(url_for("users.index"))
    if not changed:
        if active:
            flash(_("%(name)s is already active.", name=user.username), "warning")
        else:
            flash(_("%(name)s is already inactive.", name=user.username), "warning")
        return redirect(url_for("users.index"))
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
    """Reset ``user``'s password to a one-time password, shown once; their sessions end."""
    user = _user(user_id)
    if user.id == current_user.id:
        flash(_("Change your own password on your password page."), "warning")
        return redirect(url_for("auth.change_password"))
    form = ActionForm()
    if not form.validate_on_submit():
        return render_template("users/password.html", form=form, user=user)
    one_time, ended = services.reset_password(user, actor=current_user.username)
    response = make_response(render_template("users/one_time.html", user=user, password=one_time, ended=ended))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/users/<int:user_id>/sessions")
@require_city_admin
def user_sessions(user_id: int):
    user = _user(user_id)
    config = current_app.config
    return render_template("users/sessions.html", user=user, sessions=sessions.sessions_of(user), form=ActionForm(),
                           end_reasons=END_REASONS, idle=_duration(config["SESSION_IDLE_TIMEOUT"]),
                           lifetime=_duration(config["SESSION_MAX_AGE"]))


def _duration(delta: timedelta) -> str:
    return format_timedelta(delta, threshold=1.5, add_direction=False)


@bp.route("/users/<int:user_id>/sessions/end", methods=["POST"])
@require_city_admin
def end_sessions(user_id: int):
    """End every session of the user (they must log in again)."""
    user = _user(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    ended = services.end_sessions(user, actor=current_user.username)
    flash(_("Sessions of %(name)s ended: %(count)s. They must log in again.", name=user.username, count=ended), "success")
    return redirect(url_for("users.user_sessions", user_id=user.id))


@bp.route("/users/<int:user_id>/sessions/<int:session_id>/end", methods=["POST"])
@require_city_admin
def end_session(user_id: int, session_id: int):
    """End one session of the user."""
    user = _user(user_id)
    record = db.session.get(UserSession, session_id)
    if record is None or record.user_id != user.id:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    if services.end_session(user, record.id, actor=current_user.username):
        flash(_("The session has ended."), "success")
    else:
        flash(_("That session had already ended."), "warning")
    return redirect(url_for("users.user_sessions", user_id=user.id))
