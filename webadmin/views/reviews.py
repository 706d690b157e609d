"""The review queue (待核实): held outcomes of the working department's plugins, approved or rejected with a note.

- Everyone who sees a plugin sees its held outcomes: pending ones in the
  first tab, decided ones (with the decision in effect) in the second;
  filters by held reason, county (the credit code's region) and year; the
  queue as shown exports to XLSX.
- The plugin's reviewers decide: the owning department's administrators
  and city administrators (``access.may_manage``). Others see the queue
  read-only; a POST from them is answered 403 and changes nothing.
- A decision goes through ``core.services.reviews.decide`` (writer lock,
  audit entry). The form carries the decision the reviewer saw, so a
  decision another reviewer took meanwhile is never silently overruled.
  A stored decision redirects back to the queue (POST-redirect-GET); a
  refused one shows the queue again with the message beside the outcome
  and the note as typed.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import Optional

from core import clock
from core.app import get_registry
from core.db import db
from core.messages import Bilingual
from core.models import OutcomeRecord
from core.pages import Column
from core.pages import export_xlsx as export_xlsx_file
from core.regions import JIAXING_COUNTIES, region_name
from core.reviews import PENDING, review_label
from core.services.reviews import NOTE_MAX, ReviewError, decide
from core.store.reviews import QueueItem, review_queue
from core.store.register import year_range

from ..access import acting_department, department_plugins, may_manage
from ..forms import select_choices
from ..i18n import is_chinese, pick, when
from ..labels import held_reason
from ..nav import NavItem

__all__ = ["NAV", "bp"]

bp = Blueprint("reviews", __name__)
NAV = [NavItem("reviews.queue", _l("Review queue"), 25)]

TABS = ("pending", "decided")


class QueueFilterForm(FlaskForm):
    """The queue's filters, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    reason = SelectField(_l("Reason held"), validators=[Optional()])
    county = SelectField(_l("County"), validators=[Optional()])
    year = SelectField(_l("Year"), validators=[Optional()])


class DecisionForm(FlaskForm):
    """One outcome's decision: the note, the decision the reviewer saw (empty: pending), the button pressed."""

    note = TextAreaField(_l("Note"))
    seen = HiddenField()
    decision = HiddenField()


def _filters() -> tuple[QueueFilterForm, dict[str, Any], str]:
    form = QueueFilterForm(formdata=request.args)
    every = ("", _("All"))
    form.reason.choices = select_choices([every] + [(code, pick(label)) for code, label in get_registry().held_reasons.items()])
    form.county.choices = select_choices([every] + [(code, pick(name)) for code, name in JIAXING_COUNTIES.items()])
    years = year_range()
    form.year.choices = select_choices([every] + ([(str(y), str(y)) for y in range(years[1], years[0] - 1, -1)]
                                                  if years else []))
    form.validate()

    def value(name: str) -> Any:
        f = getattr(form, name)
        return None if f.errors else (f.data or None)

    year = value("year")
    tab = request.args.get("tab", "pending")
    return form, {"reason": value("reason"), "county": value("county"), "year": int(year) if year else None}, (
        tab if tab in TABS else "pending")


def _items(filters: dict[str, Any]) -> list[QueueItem]:
    plugins = department_plugins()
    registry = get_registry()
    return review_queue([p for p in registry.plugins if p in plugins], **filters)


def _filter_args() -> dict[str, str]:
    return {k: v for k, v in request.args.items() if k in ("reason", "county", "year", "tab") and v}


def _page(status: int = 200, errors: dict[int, str] | None = None, notes: dict[int, str] | None = None):
    form, filters, tab = _filters()
    items = _items(filters)
    pending = [item for item in items if item.state == PENDING]
    decided = [item for item in items if item.state != PENDING]
    listed = {item.outcome.id for item in items}
    for item in items:  # a refused decision: the tab that holds the outcome now, its message beside it
        if item.outcome.id in (errors or {}):
            tab = "pending" if item.state == PENDING else "decided"
    for outcome_id, message in (errors or {}).items():
        if outcome_id not in listed:  # no longer (or never) in the queue: the message on top
            flash(message, "error")
    registry = get_registry()
    return render_template(
        "reviews/queue.html", form=form, tab=tab, pending=pending, decided=decided,
        shown=pending if tab == "pending" else decided, registry=registry, may_decide=may_manage,
        decision_form=DecisionForm, errors=errors or {}, notes=notes or {}, note_max=NOTE_MAX,
        filter_args=_filter_args(), region_name=region_name, held_reason_label=held_reason,
        review_label=review_label,
    ), status


@bp.route("/reviews")
@login_required
def queue():
    return _page()


def _message(message: object) -> str:
    """A bilingual message (``core.messages.Bilingual``) in the UI language."""
    if isinstance(message, Bilingual):
        return message.zh if is_chinese() else str(message)
    return str(message)


@bp.route("/reviews/<int:outcome_id>", methods=["POST"])
@login_required
def decide_view(outcome_id: int):
    """Approve (``decision=approved``) or reject (``decision=rejected``) a held outcome, with a note."""
    outcome = db.session.get(OutcomeRecord, outcome_id)
    if outcome is None or outcome.plugin not in department_plugins():
        abort(404)
    if not may_manage(outcome.plugin):
        abort(403)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)  # a missing or stale CSRF token
    decision = form.decision.data or ""
    note = form.note.data or ""
    seen_text = (form.seen.data or "").strip()
    if seen_text and not (seen_text.isdecimal() and len(seen_text) <= 12):
        abort(400)
    seen = int(seen_text) if seen_text else None
    try:
        done = decide(outcome_id, decision, note, actor=current_user.username,
                      department=acting_department(outcome.plugin), city_admin=current_user.is_city_admin, seen=seen)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"note": exc.messages}
        text = "; ".join(_message(m) for ms in messages.values() for m in (ms if isinstance(ms, list) else [ms]))
        return _page(400, {outcome_id: text}, {outcome_id: note})
    except ReviewError as exc:
        return _page(409, {outcome_id: _message(exc.message)}, {outcome_id: note})
    row = done.decision
    ref = row.activity_id
    if row.decision == "approved":
        flash(_("Approved: the held amount of activity %(ref)s is payable.", ref=_ref(ref)), "success")
    else:
        flash(_("Rejected: the held amount of activity %(ref)s is not payable.", ref=_ref(ref)), "success")
    return redirect(url_for("reviews.queue", **_filter_args()))


def _ref(activity_id: int) -> str:
    from core.models import ActivityRecord

    activity = db.session.get(ActivityRecord, activity_id)
    return activity.ref if activity is not None else f"#{activity_id}"


@bp.route("/reviews/export.xlsx")
@login_required
def export_xlsx():
    """The queue with the filters and tab shown, one row per held outcome."""
    _form, filters, tab = _filters()
    items = [item for item in _items(filters) if (item.state == PENDING) == (tab == "pending")]
    registry = get_registry()

    def kind_name(item: QueueItem) -> str:
        kind = registry.kinds.get(item.activity.kind)
        return pick(kind.label) if kind else item.activity.kind

    def reasons(item: QueueItem) -> str:
        return "\n".join(f"{pick(held_reason(r.get('code', '')))}: {r.get('zh') if is_chinese() else r.get('en')}"
                         for r in item.reasons)

    columns = [
        Column("date", _("Date"), lambda i: i.activity.date, 12),
        Column("id", _("Id"), lambda i: i.activity.ref, 14),
        Column("organisation", _("Organisation"), lambda i: i.organisation.name or "", 30),
        Column("credit_code", _("Credit code"), lambda i: i.organisation.credit_code, 21),
        Column("county", _("County"), lambda i: pick(region_name(i.organisation.region_code)), 14),
        Column("kind", _("Kind"), kind_name, 18),
        Column("subject", _("Subject"), lambda i: i.activity.subject or "", 24),
        Column("rule", _("Rule"), lambda i: i.outcome.rule, 8),
        Column("held_amount", _("Amount held"), lambda i: i.held_amount, 14),
        Column("reasons", _("Reasons held"), reasons, 50),
        Column("review", _("Review"), lambda i: pick(review_label(i.state)), 12),
        Column("reviewer", _("Reviewer"), lambda i: i.decision.decided_by if i.decision else "", 14),
        Column("decided", _("Decided"), lambda i: when(i.decision.decided_at) if i.decision else None, 20),
        Column("note", _("Note"), lambda i: i.decision.note if i.decision else "", 40),
    ]
    return export_xlsx_file(items, columns, f"review-queue-{tab}-{clock.today().isoformat()}.xlsx",
                            sheet=_("Pending review") if tab == "pending" else _("Decided"))
