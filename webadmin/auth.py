"""Logging in and out, the language and the working department.

Failed logins are written to the audit log; five failures for one user name
(or twenty from one address) within fifteen minutes lock further attempts
for the rest of that window, whatever the password.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, Flask, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from sqlalchemy import func, select

from core.db import db, utcnow
from core.models import AuditEntry, Department
from core.store import audit

from .forms import LoginForm
from .i18n import LANGUAGES
from .models import User

__all__ = ["bp", "init_app", "login_manager"]

bp = Blueprint("auth", __name__)
# Templates get the lazy ``current_user`` proxy (below) instead of Flask-Login's
# eager context processor, so a page that never looks at the user (the
# database-down error page) never loads it.
login_manager = LoginManager(add_context_processor=False)
login_manager.login_view = "auth.login"

WINDOW = timedelta(minutes=15)
MAX_PER_USER = 5
MAX_PER_ADDRESS = 20


@login_manager.user_loader
def _load_user(session_id: str) -> User | None:
    user_id, _, stamp = session_id.partition(":")
    if not user_id.isdecimal():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_stamp != stamp:  # the password changed since this session began
        return None
    return user


def _recent_failures(**where: str) -> int:
    since = utcnow() - WINDOW
    query = select(func.count(AuditEntry.id)).where(AuditEntry.action == "login.failure", AuditEntry.at >= since)
    if "username" in where:
        query = query.where(AuditEntry.target == where["username"])
    if "address" in where:
        query = query.where(AuditEntry.detail == where["address"])
    return db.session.scalar(query) or 0


def _safe_next(target: str | None) -> str:
    if target and not urlsplit(target).netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("dashboard.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        username = form.username.data.strip()
        address = request.remote_addr or "?"
        if _recent_failures(username=username) >= MAX_PER_USER or _recent_failures(address=address) >= MAX_PER_ADDRESS:
            audit("login.locked", username, username, detail=address)
            db.session.commit()
            form.password.errors.append(_("Too many failed attempts. Try again in 15 minutes."))
            return render_template("auth/login.html", form=form), 429
        user = db.session.scalar(select(User).filter_by(username=username))
        if user is None or not user.check_password(form.password.data) or not user.active:
            audit("login.failure", username, username, detail=address)
            db.session.commit()
            form.password.errors.append(_("Wrong user name or password."))
            return render_template("auth/login.html", form=form), 401
        login_user(user)
        session.permanent = True
        if session.get("lang") in LANGUAGES and user.language != session["lang"]:
            user.language = session["lang"]
        audit("login.success", user.username, user.username, detail=address)
        db.session.commit()
        return redirect(_safe_next(form.next.data))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    session.pop("department", None)
    return redirect(url_for("auth.login"))


@bp.route("/language/<code>", methods=["POST"])
def language(code: str):
    if code in LANGUAGES:
        session["lang"] = code
        if current_user.is_authenticated:
            current_user.language = code
            db.session.commit()
    return redirect(_safe_next(request.form.get("next") or request.referrer and urlsplit(request.referrer).path))


@bp.route("/department", methods=["POST"])
@login_required
def switch_department():
    """A city administrator chooses the department to work in."""
    code = request.form.get("department", "")
    if current_user.is_city_admin and db.session.scalar(select(Department).filter_by(code=code)) is not None:
        session["department"] = code
    else:
        flash(_("You cannot switch to that department."), "error")
    return redirect(_safe_next(request.form.get("next")))


def init_app(app: Flask) -> None:
    login_manager.init_app(app, add_context_processor=False)
    app.context_processor(lambda: {"current_user": current_user})
    login_manager.login_message = None
    app.register_blueprint(bp)
