"""Budget what-if (预算测算): plan parameter changes, see what they would pay, save, compare, record.

The planning page keeps the proposals in the form itself (a hidden field of
the proposals in their stored form, loaded again through
``core.services.load_proposals`` on every submission, never trusted): add a
change with the parameter's own form (the widget its type gives, as on the
Parameters page), remove one, see the effect on the stored register (total,
by year, county and rule, and the activities whose amount changes), save the
proposals under a name. A saved scenario's page exports every activity whose
amount changes to Excel (the page lists the first 500). Saved scenarios are listed, compared side by side,
and recorded: recording turns one into parameter versions with a reason and
a policy reference (``core.services.record_scenario``: validated, audited,
under the writer lock) and re-evaluates from its earliest date.

Who: a department plans with the parameters of the plugins it owns, a city
administrator with all (``webadmin.access.may_manage``, as the Parameters
pages); viewers do not plan. A department sees and records its own saved
scenarios; a city administrator every one. The results cover the plugins the
working department has switched on and those of the proposed parameters.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from core.app import get_registry
from core.clock import today
from core.db import db
from core.messages import flatten_errors
from core.models import WhatIfScenario
from core.pages import Column, export_xlsx
from core.regions import region_name
from core.registry import Registry
from core.services import (
    Proposal,
    ScenarioExists,
    WhatIf,
    evaluate_scenario,
    load_proposals,
    record_scenario,
    save_scenario,
    saved_scenarios,
)
from core.services.whatif import ActivityChange, AlreadyRecorded, ScenarioOutdated, scenario_proposals
from core.store import resolver

from ..access import department_plugins, may_manage
from ..i18n import money, pick, show_value
from ..labels import code
from ..nav import NavItem
from ..parameter_forms import form_value, parameter_form, schema_errors_to_form, submitted_data
from ..urlints import int_args

__all__ = ["NAV", "bp"]

bp = Blueprint("whatif", __name__, url_prefix="/whatif")
NAV = [NavItem("whatif.plan", _l("Budget what-if"), 45, roles=("city_admin", "dept_admin"),
               shown=lambda: bool(_managed(get_registry())))]


class SaveForm(FlaskForm):
    name = StringField(_l("Scenario name"), validators=[DataRequired(), Length(max=100)])


class RecordForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)],
                           description=_l("Why the values change; kept with every version and in the audit log."))
    reference = StringField(_l("Policy reference"), validators=[DataRequired(), Length(max=500)],
                            description=_l("The policy document and clause that sets the new values."))


def _managed(registry: Registry) -> list[str]:
    """The plugins whose parameters the user may plan with."""
    return [name for name in registry.plugins if may_manage(name)]


def _require_planner(registry: Registry) -> list[str]:
    managed = _managed(registry)
    if not managed:
        abort(403)
    return managed


def _scope(registry: Registry, proposals: list[Proposal]) -> set[str]:
    return set(department_plugins()) | {registry.parameter_plugin[p.key] for p in proposals}


def _draft(registry: Registry, managed: list[str]) -> tuple[list[Proposal], list[str]]:
    """The proposals the form carries (loaded again), and the problems if they do not load."""
    raw = request.form.get("draft", "") if request.method == "POST" else ""
    if not raw:
        return [], []
    try:
        items = json.loads(raw)
        if not isinstance(items, list):
            raise ValueError
        return load_proposals(registry, items, managed=managed), []
    except (ValueError, TypeError):
        return [], [_("The proposals sent with the form could not be read; start again.")]
    except ValidationError as exc:
        return [], [_error_text(exc)]


def _error_text(exc: ValidationError) -> str:
    return "; ".join(f"{e.field}: {pick(None, zh=e.message_zh, en=e.message)}" if e.field else
                     pick(None, zh=e.message_zh, en=e.message) for e in flatten_errors(exc.messages))


def _parameter_choices(registry: Registry, managed: list[str]) -> list[tuple[str, str]]:
    return [(key, f"{pick(registry.plugins[name].description.label)} · {pick(registry.parameters[key].label)}")
            for name in managed for key in registry.plugins[name].parameters]


@bp.route("/", methods=["GET", "POST"])
@login_required
def plan():
    registry = get_registry()
    managed = _require_planner(registry)
    choices = _parameter_choices(registry, managed)
    keys = [key for key, _label in choices]
    proposals, problems = _draft(registry, managed)
    action = request.form.get("action", "") if request.method == "POST" else ""
    key = request.values.get("key") or (keys[0] if keys else None)
    if key not in keys:
        if request.method == "POST" and key is not None:
            abort(403)  # a parameter of a plugin the user does not manage (or none at all)
        key = keys[0] if keys else None
    decl = registry.parameters[key] if key else None
    save_form = SaveForm(prefix="save")
    form = None
    status = 200

    if decl is not None:
        if action == "add":
            form = parameter_form(decl)
            form.validate()
            csrf = getattr(form, "csrf_token", None)
            if not (form.value.errors or form.effective_from.errors or (csrf is not None and csrf.errors)):
                data = submitted_data(decl, form)
                try:
                    proposals = proposals + load_proposals(
                        registry, [{"key": key, "value": data["value"], "effective_from": data["effective_from"]}],
                        managed=managed)
                except ValidationError as exc:
                    for position_errors in exc.messages.values():
                        schema_errors_to_form(form, ValidationError(position_errors))
                else:
                    form = None
            form_errors = bool(form is not None and (form.value.errors or form.effective_from.errors))
            status = 400 if form_errors else status
        if form is None:
            current = resolver(registry).current(decl.key)
            form = parameter_form(decl, formdata=None,
                                  value=form_value(decl, current.value) if current is not None else None,
                                  effective_from=proposals[-1].effective_from if proposals else None)
    if action.startswith("remove-"):
        try:
            del proposals[int(action.removeprefix("remove-"))]
        except (ValueError, IndexError):
            pass
    if action == "save" and proposals:
        if save_form.validate():
            try:
                row = save_scenario(registry, save_form.name.data, proposals, actor=current_user.username,
                                    department=current_user.department)
            except ScenarioExists:
                save_form.name.errors = [*save_form.name.errors, _("A scenario with this name is already saved.")]
                status = 409
            except ValidationError as exc:
                save_form.name.errors = [*save_form.name.errors, _error_text(exc)]
                status = 400
            else:
                flash(_("Scenario “%(name)s” saved. Nothing is recorded until you record it.", name=row.name), "success")
                return redirect(url_for(".scenario", scenario_id=row.id))
        else:
            status = 400

    whatif = evaluate_scenario(registry, proposals, plugins=_scope(registry, proposals)) if proposals else None
    return render_template(
        "whatif/plan.html", registry=registry, choices=choices, key=key, decl=decl, form=form,
        proposals=proposals, draft=json.dumps([p.stored(registry) for p in proposals], ensure_ascii=False),
        problems=problems, whatif=whatif, save_form=save_form, show=show_value,
    ), status


def _visible_scenarios() -> list[WhatIfScenario]:
    return saved_scenarios(None if current_user.is_city_admin else current_user.department)


def _scenario_or_404(scenario_id: int) -> WhatIfScenario:
    row = db.session.get(WhatIfScenario, scenario_id)
    if row is None or (not current_user.is_city_admin and row.department_id != current_user.department_id):
        abort(404)
    return row


def _evaluate_saved(registry: Registry, row: WhatIfScenario) -> tuple[list[Proposal], WhatIf | None, str | None]:
    try:
        proposals = scenario_proposals(registry, row)
    except ValidationError as exc:
        return [], None, _error_text(exc)
    return proposals, evaluate_scenario(registry, proposals, plugins=_scope(registry, proposals)), None


@bp.route("/scenarios")
@login_required
def scenarios():
    registry = get_registry()
    _require_planner(registry)
    return render_template("whatif/scenarios.html", rows=_visible_scenarios(), registry=registry)


@bp.route("/scenarios/<int:scenario_id>", methods=["GET", "POST"])
@login_required
def scenario(scenario_id: int):
    registry = get_registry()
    managed = _require_planner(registry)
    row = _scenario_or_404(scenario_id)
    proposals, whatif, problem = _evaluate_saved(registry, row)
    may_record = row.recorded_at is None and problem is None and all(
        registry.parameter_plugin[p.key] in managed for p in proposals)
    form = RecordForm()
    status = 200
    if request.method == "POST":
        if not may_record:
            abort(403)
        if form.validate():
            try:
                recorded = record_scenario(
                    registry, row.name, reason=form.reason.data, reference=form.reference.data,
                    actor=current_user.username, source="admin", department=current_user.department, managed=managed)
            except AlreadyRecorded:
                flash(_("This scenario was already recorded."), "error")
                return redirect(url_for(".scenario", scenario_id=row.id))
            except ScenarioOutdated as exc:
                flash(_("%(parameter)s has been changed since this scenario was saved, so its effect was computed on "
                        "earlier values. Nothing was recorded. Review the effect shown below on the current values "
                        "and save the scenario again under a new name.",
                        parameter=pick(registry.parameters[exc.key].label)), "error")
                return redirect(url_for(".scenario", scenario_id=row.id))
            except ValidationError as exc:
                form.reason.errors = [*form.reason.errors, _error_text(exc)]
                status = 400
            else:
                flash(_("Scenario recorded: %(count)s parameter versions stored; %(changed)s of %(activities)s "
                        "activities re-evaluated changed.", count=len(recorded.versions),
                        changed=recorded.reevaluation.changed, activities=recorded.reevaluation.activities), "success")
                return redirect(url_for(".scenario", scenario_id=row.id))
        else:
            status = 400
    return render_template("whatif/scenario.html", row=row, proposals=proposals, whatif=whatif, problem=problem,
                           form=form, may_record=may_record, registry=registry, show=show_value), status


@bp.route("/scenarios/<int:scenario_id>/changes.xlsx")
@login_required
def export_changes(scenario_id: int):
    """Every activity whose amount the saved scenario changes, as an Excel workbook (the page lists the first 500)."""
    registry = get_registry()
    _require_planner(registry)
    row = _scenario_or_404(scenario_id)
    _proposals, whatif, problem = _evaluate_saved(registry, row)
    if whatif is None:
        flash(problem or _("This scenario cannot be evaluated."), "error")
        return redirect(url_for(".scenario", scenario_id=row.id))

    def kind_name(change: ActivityChange) -> str:
        kind = registry.kinds.get(change.kind)
        return pick(kind.label) if kind is not None else change.kind

    columns = [
        Column("date", _("Date"), width=12),
        Column("ref", _("Id"), width=14),
        Column("organisation", _("Organisation"), lambda c: c.organisation or "", width=30),
        Column("credit_code", _("Credit code"), width=21),
        Column("county", _("County"), lambda c: pick(region_name(c.region_code)), width=14),
        Column("kind", _("Kind"), kind_name, width=18),
        Column("old", _("Now (yuan)"), width=14),
        Column("new", _("Proposed (yuan)"), width=14),
        Column("difference", _("Difference (yuan)"), width=14),
        Column("old_held", _("Held for review now (yuan)"), width=14),
        Column("new_held", _("Held for review as proposed (yuan)"), width=14),
    ]
    return export_xlsx(whatif.changes, columns, f"whatif-{row.id}-{today().isoformat()}.xlsx", sheet=row.name)


@bp.route("/compare")
@login_required
def compare():
    registry = get_registry()
    _require_planner(registry)
    ids = int_args("id")
    rows = [_scenario_or_404(n) for n in dict.fromkeys(ids)]
    results: list[tuple[WhatIfScenario, WhatIf | None, str | None]] = []
    for row in rows:
        _proposals, whatif, problem = _evaluate_saved(registry, row)
        results.append((row, whatif, problem))
    years = sorted({line.key for _row, w, _p in results if w for line in w.by_year})
    counties = sorted({line.key for _row, w, _p in results if w for line in w.by_county})
    return render_template("whatif/compare.html", results=results, years=years, counties=counties,
                           enough=len(rows) >= 2), (200 if len(rows) >= 2 else 400)


@bp.context_processor
def _helpers() -> dict[str, Any]:
    """Names the what-if templates use: signed money, group names in the UI language, the value in force."""
    registry = get_registry()
    meanings: dict[str, str] = {}
    for record in registry.plugins.values():
        for rule, meaning in record.description.rules:
            meanings.setdefault(rule, pick(meaning))
    stored: dict[str, Any] = {}

    def signed(amount: int) -> str:
        return ("+" if amount > 0 else "−" if amount < 0 else "") + money(abs(amount))

    def rule_name(rule: str) -> Markup:
        return Markup("%s %s") % (meanings.get(rule, rule), code(rule))

    def stored_value(key: str, day: Any) -> Any:
        if "params" not in stored:
            stored["params"] = resolver(registry)
        return stored["params"].current(key, day)

    return {"signed": signed, "year_name": str, "county_name": lambda key: pick(region_name(key)),
            "rule_name": rule_name, "stored_value": stored_value}


def line_of(lines: list[Any], key: str) -> Any:
    """The line of ``key`` in a what-if's lines (``None``: the group has no amount there)."""
    return next((line for line in lines if line.key == key), None)


@bp.app_template_global("whatif_line")
def _whatif_line(lines: list[Any], key: str) -> Any:
    return line_of(lines, key)
