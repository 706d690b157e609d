"""Approval lists (拨付清单): the issued lists, a new list (preview, then issue), a list's page, its downloads.

Who sees and does what:

- everyone whose working department sees the plugin (has it switched on
  and permitted), and those who manage it, see its issued lists and
  download them (XLSX, PDF, the public notice); anyone else sees an empty
  index saying so, and 404 for a list's page and its downloads;
- the plugin's managers (``may_manage``: the owning department's
  administrators and city administrators) preview and issue lists and
  supplementary lists; a POST from anyone else is 403.

Issuing goes preview → issue, both POSTs with the CSRF token; the issue is
answered with a redirect to the new list's page (POST-redirect-GET). The
preview shows exactly what ``core.services.approvals.draft`` would list;
the issue drafts again under the writer lock, so what is stored is what
is payable at that moment.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import DateField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from core.app import get_registry
from core.approvals import capital_yuan
from core.db import db
from core.models import ApprovalListRecord, Department
from core.regions import region_name
from core.services.approvals import ApprovalRefused, Draft, county_totals, create, draft, verify
from core.store import approvals as store

from ..access import acting_department, department_plugins, may_manage
from ..i18n import pick
from ..nav import NavItem

__all__ = ["NAV", "bp"]

bp = Blueprint("approvals", __name__, url_prefix="/approvals")
NAV = [NavItem("approvals.index", _l("Approval lists"), 35)]

#: The plugin whose outcomes are paid on approval lists (三(二) rewards and subsidies).
PLUGIN = "reward_tiers"

KINDS = {"original": _l("Original list"), "supplementary": _l("Supplementary list")}

FORMATS = {
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pdf": ("pdf", "application/pdf"),
    "notice": ("pdf", "application/pdf"),
}


class PeriodForm(FlaskForm):
    period_from = DateField(_l("From"), validators=[DataRequired()])
    period_to = DateField(_l("To (included)"), validators=[DataRequired()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)],
                         description=_l("Printed on the list and kept in the audit log."))
    preview = SubmitField(_l("Preview"))
    issue = SubmitField(_l("Issue the list"))

    def validate_period_to(self, field: Any) -> None:
        if self.period_from.data and field.data and field.data < self.period_from.data:
            raise ValidationError(_("The end of the period is before its start."))


class SupplementForm(FlaskForm):
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)],
                         description=_l("Printed on the list and kept in the audit log."))
    preview = SubmitField(_l("Preview"))
    issue = SubmitField(_l("Issue the supplementary list"))


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"region": lambda code: pick(region_name(code)), "capital": capital_yuan}


def _visible(plugin: str) -> bool:
    return current_user.is_city_admin or plugin in department_plugins() or may_manage(plugin)


def _list_or_404(number: str) -> ApprovalListRecord:
    found = store.find_list(number)
    if found is None or not _visible(found.plugin):
        abort(404)
    return found


def _rule(plugin: str, rule: str) -> str:
    record = get_registry().plugins.get(plugin)
    label = record.description.rule_label(rule) if record is not None else None
    return pick(label) if label is not None else rule


def _render_preview(form: FlaskForm, found: Draft, action: str, heading: str, original: ApprovalListRecord | None):
    return render_template("approvals/preview.html", form=form, draft=found, action=action, heading=heading,
                           original=original, rule=_rule, kinds=KINDS)


def _issue(form: FlaskForm, period_from: Any, period_to: Any, supplements: str | None) -> Any:
    try:
        record = create(get_registry(), PLUGIN, period_from, period_to, actor=current_user.username,
                        department=acting_department(PLUGIN), note=form.note.data, supplements=supplements,
                        city_admin=current_user.is_city_admin)
    except ApprovalRefused as exc:
        flash(pick(exc.text), "error")
        return None
    flash(_("Approval list %(number)s issued: %(count)s rows.", number=record.number, count=record.item_count),
          "success")
    return redirect(url_for("approvals.detail", number=record.number))


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    if PLUGIN not in get_registry().plugins:
        abort(404)
    if not _visible(PLUGIN):
        if request.method == "POST":
            abort(403)
        # The menu shows the entry to everyone: say why there is nothing here rather than answer 404.
        return render_template("approvals/index.html", lists=[], form=None, kinds=KINDS, hidden=True)
    manage = may_manage(PLUGIN)
    form = PeriodForm()
    if request.method == "POST":
        if not manage:
            abort(403)
        if form.validate_on_submit():
            if form.issue.data:
                done = _issue(form, form.period_from.data, form.period_to.data, None)
                if done is not None:
                    return done
            found = draft(get_registry(), PLUGIN, form.period_from.data, form.period_to.data)
            return _render_preview(form, found, url_for("approvals.index"), _("Preview of the new approval list"),
                                   None)
    lists = store.lists(PLUGIN)
    return render_template("approvals/index.html", lists=lists, form=form if manage else None,
                           kinds=KINDS), 400 if form.errors else 200


@bp.route("/<number>", methods=["GET"])
@login_required
def detail(number: str):
    record = _list_or_404(number)
    items = store.list_items(record)
    earlier = store.find_list_by_id(record.supplements_id) if record.supplements_id else None
    chain = store.supplements_of(earlier or record)
    department = db.session.get(Department, record.department_id) if record.department_id else None
    corrected = {item.id: item for item in store.chain_of(earlier or record)}
    numbers = {r.id: r.number for r in [earlier or record, *chain]}
    return render_template(
        "approvals/detail.html", record=record, items=items, counties=county_totals(items), earlier=earlier,
        chain=chain, department=department, verified=verify(record), rule=_rule, kinds=KINDS,
        corrected=corrected, numbers=numbers,
        form=SupplementForm() if may_manage(record.plugin) else None,
    )


@bp.route("/<number>/supplement", methods=["POST"])
@login_required
def supplement(number: str):
    record = _list_or_404(number)
    if not may_manage(record.plugin):
        abort(403)
    form = SupplementForm()
    if not form.validate_on_submit():
        flash(_("The form has expired: please try again."), "error")
        return redirect(url_for("approvals.detail", number=record.number))
    if form.issue.data:
        done = _issue(form, record.period_from, record.period_to, record.number)
        if done is not None:
            return done
    try:
        found = draft(get_registry(), record.plugin, record.period_from, record.period_to, supplements=record.number)
    except ApprovalRefused as exc:
        flash(pick(exc.text), "error")
        return redirect(url_for("approvals.detail", number=record.number))
    return _render_preview(form, found, url_for("approvals.supplement", number=record.number),
                           _("Preview of a supplementary list to %(number)s", number=found.supplements.number
                             if found.supplements else record.number), found.supplements)


@bp.route("/<number>/download/<fmt>")
@login_required
def download(number: str, fmt: str):
    from core.documents import list_pdf, list_xlsx, notice_pdf, printed_list

    record = _list_or_404(number)
    if fmt not in FORMATS:
        abort(404)
    department = db.session.get(Department, record.department_id) if record.department_id else None
    earlier = store.find_list_by_id(record.supplements_id) if record.supplements_id else None
    printed = printed_list(get_registry(), record, store.list_items(record), department, earlier)
    data = list_xlsx(printed) if fmt == "xlsx" else list_pdf(printed) if fmt == "pdf" else notice_pdf(printed)
    suffix, mimetype = FORMATS[fmt]
    name = f"拨付清单-{record.number}{'-公示' if fmt == 'notice' else ''}.{suffix}"
    return send_file(io.BytesIO(data), as_attachment=True, download_name=name, mimetype=mimetype)
