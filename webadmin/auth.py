"""Logging in and out, one's own password, the language and the working department.

A login starts a server-side session (``webadmin.sessions``); logout, idle
time, the absolute lifetime, a new password, deactivation or an
administrator end it on the server, so a copied cookie stops working too.

Every login attempt is in the audit log: ``login.success``,
``login.failure`` (a wrong password, an unknown or inactive user — answered
alike, in the same time: an unknown name is checked against a dummy hash) and
``login.throttled`` (refused by ``webadmin.throttle`` before any check);
``logout`` and ``user.password_change`` too.

A user whose password an administrator reset (a one-time password) must
choose a new one before anything else: every page but the password form,
logout and the language switch redirects there.
"""

from __future__ import annotations

import unicodedata
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, Flask, flash, g, redirect, render_template, request, session, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from flask_login import LoginManager, current_user, login_required, login_url, login_user, logout_user
from sqlalchemy import select

from core.db import db
from core.models import Department
from core.store import audit

from . import sessions
from .forms import ChangePasswordForm, LoginForm
from .i18n import LANGUAGES
from .models import User, check_login_password
from .throttle import client_address, mark_failure, retry_after, throttle_failures

__all__ = ["bp", "init_app", "login_manager"]

bp = Blueprint("auth", __name__)
# Templates get the lazy ``current_user`` proxy (below) instead of Flask-Login's
# eager context processor, so a page that never looks at the user (the
# database-down error page) never loads it.
login_manager = LoginManager(add_context_processor=False)
login_manager.login_view = "auth.login"

#: What a user who must change their password may still reach.
OPEN_WHILE_PASSWORD_MUST_CHANGE = frozenset({"auth.change_password", "auth.logout", "auth.language", "auth.login", "static"})


@login_manager.user_loader
def _load_user(session_key: str) -> User | None:
    user = sessions.load(session_key)
    if user is None:
        g.session_over = True
    return user


@login_manager.unauthorized_handler
def _unauthorized():
    if g.get("session_over"):
        flash(_("Your session has ended. Please log in again."), "warning")
    return redirect(login_url(login_manager.login_view, next_url=request.url))


def _printable(text: str, limit: int = 100) -> str:
    """``text`` fit for the audit log: lone surrogates and control characters become U+FFFD."""
    return "".join("\ufffd" if unicodedata.category(char) in ("Cc", "Cs") else char for char in text[:limit])


def _safe_next(target: str | None) -> str:
    if target and not urlsplit(target).netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("dashboard.index")


def _fresh_cookie_session() -> None:
    """Forget everything the cookie held (working department, CSRF token …) but the language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def _begin_session(user: User) -> None:
    """Start a server-side session for ``user`` and put its key in the cookie (the caller commits)."""
    _fresh_cookie_session()
    sessions.start(user)
    login_user(user)
    session.permanent = True


@bp.route("/login", methods=["GET", "POST"])
@throttle_failures("login")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        typed = form.username.data.strip()
        username = _printable(typed)
        address = _printable(client_address(), 64)
        # A name with characters no user name has cannot be looked up (PostgreSQL refuses a NUL).
        user = db.session.scalar(select(User).filter_by(username=typed)) if username == typed else None
        if not check_login_password(user, form.password.data) or user is None or not user.active:
            mark_failure()
            audit("login.failure", username, username, detail=address)
            db.session.commit()
            form.password.errors.append(_("Wrong user name or password."))
            return render_template("auth/login.html", form=form), 401
        lang = session.get("lang")
        _begin_session(user)
        if lang in LANGUAGES and user.language != lang:
            user.language = lang
        audit("login.success", user.username, user.username, detail=address)
        db.session.commit()
        if user.must_change_password:
            return redirect(url_for("auth.change_password"))
        return redirect(_safe_next(form.next.data))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    session_id = sessions.current_session_id()
    if session_id is not None:
        sessions.end(session_id, "logout")
    audit("logout", current_user.username, current_user.username, detail=_printable(client_address(), 64))
    db.session.commit()
    logout_user()
    _fresh_cookie_session()
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@throttle_failures("password")
def change_password():
    """The signed-in user chooses a new password; their other sessions end."""
    user: User = current_user._get_current_object()
    form = ChangePasswordForm()
    form.context_words = [user.username]
    if form.validate_on_submit():
        if not user.check_password(form.current.data):
            mark_failure()
            form.current.errors.append(_("The current password is wrong."))
        elif form.password.data == form.current.data:
            form.password.errors.append(_("Choose a password different from the current one."))
        else:
            user.set_password(form.password.data)
            user.must_change_password = False
            sessions.end_all(user, "password")
            _begin_session(user)
            audit("user.password_change", user.username, user.username,
                  after={"password": "changed", "must_change_password": False}, department=user.department)
            db.session.commit()
            flash(_("Your password has been changed. Your other sessions have ended."), "success")
            return redirect(url_for("dashboard.index"))
    return render_template("auth/password.html", form=form, forced=user.must_change_password)


@bp.errorhandler(RateLimitExceeded)
def throttled(exc: RateLimitExceeded):
    """Too many failures: the form again, with how long to wait (``Retry-After`` too)."""
    wait = retry_after()
    message = _("Too many failed attempts. Try again in %(wait)s.",
                wait=format_timedelta(timedelta(seconds=wait), threshold=1.5, add_direction=False))
    if request.endpoint == "auth.change_password" and current_user.is_authenticated:
        form = ChangePasswordForm()
        form.current.errors = [message]
        page = render_template("auth/password.html", form=form, forced=current_user.must_change_password)
    else:
        username = _printable((request.form.get("username") or "").strip()) or "?"
        audit("login.throttled", username, username, detail=_printable(client_address(), 64))
        db.session.commit()
        form = LoginForm()
        form.password.errors = [message]
        page = render_template("auth/login.html", form=form)
    return page, 429, {"Retry-After": str(wait)}


@bp.before_app_request
def _password_first():
    """A one-time password opens only the form to replace it."""
    endpoint = request.endpoint
    if endpoint is None or endpoint in OPEN_WHILE_PASSWORD_MUST_CHANGE or endpoint.endswith(".static"):
        return None
    if request.blueprint == "api":  # tokens, not sessions
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        return redirect(url_for("auth.change_password"))
    return None


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
