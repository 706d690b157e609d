"""The dashboard: the working department's plugins, activities, outcomes and rewards."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from core.app import get_registry
from core.store.figures import dashboard

from ..access import current_department, department_plugins
from ..nav import NavItem

__all__ = ["NAV", "bp"]

bp = Blueprint("dashboard", __name__)
NAV = [NavItem("dashboard.index", _l("Dashboard"), 10)]


@bp.route("/")
def root():
    return redirect(url_for("dashboard.index"))


@bp.route("/dashboard")
@login_required
def index():
    registry = get_registry()
    department = current_department()
    data = dashboard(registry, department_plugins(department))
    return render_template("dashboard.html", department=department, data=data, registry=registry)
