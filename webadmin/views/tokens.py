"""API tokens of departments, for ``/api/evaluate`` and ``/api/plugins``.

City administrators manage every department's tokens; department
administrators their own department's; viewers get 403. A token is shown
once, on the page that answers its creation, and stored only as its
SHA-256 and first characters. Tokens are revoked, never deleted. Issuing
and revoking are audited (``token.create``, ``token.revoke``), as by the
``stdpolicy tokens`` commands.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from core.db import db
from core.models import Department

from .. import services
from ..access import require_admin, require_editor_of, visible_departments
from ..forms import TokenForm, select_choices
from ..i18n import pick
from ..models import ApiToken
from ..nav import NavItem

__all__ = ["NAV", "bp"]

bp = Blueprint("tokens", __name__)
NAV = [NavItem("tokens.index", _l("API tokens"), 80, roles=("city_admin", "dept_admin"))]


def _form(*, blank: bool = False) -> TokenForm:
    form = TokenForm(formdata=None) if blank else TokenForm()
    form.department.choices = select_choices((d.code, pick(d.name)) for d in visible_departments())
    return form


def _page(form: TokenForm, new: tuple[ApiToken, str] | None = None):
    tokens = services.list_tokens(None if current_user.is_city_admin else current_user.department)
    response = make_response(render_template("tokens/index.html", tokens=tokens, form=form, new=new))
    if new is not None:
        # The token is in this page only: keep it out of every cache.
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/tokens")
@require_admin
def index():
    return _page(_form())


@bp.route("/tokens", methods=["POST"])
@require_admin
def create():
    department = db.session.scalar(select(Department).filter_by(code=request.form.get("department", "")))
    if department is None:
        abort(400)
    require_editor_of(department)
    form = _form()
    if not form.validate_on_submit():
        return _page(form)
    try:
        new = services.create_token(department, form.name.data, actor=current_user.username)
    except services.ServiceError:  # the form's own validators refuse such a name first
        abort(400)
    return _page(_form(blank=True), new=new)


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@require_admin
def revoke(token_id: int):
    row = db.session.get(ApiToken, token_id)
    if row is None:
        abort(404)
    require_editor_of(row.department)
    if not services.revoke_token(row, actor=current_user.username):
        flash(_("Token %(prefix)s… was already revoked.", prefix=row.prefix), "warning")
        return redirect(url_for("tokens.index"))
    flash(_("Token %(prefix)s… revoked: it is no longer accepted.", prefix=row.prefix), "success")
    return redirect(url_for("tokens.index"))
