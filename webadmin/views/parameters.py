"""Parameters: the dated policy values of the enabled plugins, their history, new versions.

Who sees and changes what:

- the list shows the parameters of the plugins the working department has
  enabled (a city administrator chooses the department in the header);
- a parameter of a plugin the user's department has not enabled is hidden:
  its page answers 404, for reading and for recording alike, as the
  plugins' own admin pages do (a city administrator sees every parameter,
  and a department administrator those of the plugins their department owns);
- only those who manage the plugin record versions and preview them
  (``webadmin.access.may_manage``: city administrators, and the
  administrators of the department that owns the plugin); a POST from
  anyone else is answered 403 — a department that merely enabled a plugin
  reads its parameters but does not change the city-wide values;
- a new version is never an edit: it is added, with the date it takes effect
  from, and nothing earlier is changed or removed.

Recording goes preview → confirm. The preview evaluates the stored
activities from the chosen date with and without the new version
(``core.services.preview_parameter``). The save loads the submission through the
parameter's marshmallow schema (``record_version``) and is refused when
another version was recorded after the one the form was based on.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from marshmallow import ValidationError

from core import clock
from core.app import get_registry
from core.declarations import ParameterDeclaration
from core.parameters import ParameterResolver, ParameterVersion, version_schema
from core.services import default_reference, preview_parameter, record_parameter
from core.store import ParameterConflict, latest_sequence, plugin_owner, resolver

from ..access import acting_department, current_department, may_manage, sees_plugin, visible_plugins
from ..i18n import is_chinese, show_value
from ..labels import version_label
from ..nav import NavItem
from ..parameter_forms import form_value, parameter_form, schema_errors_to_form, submitted_data

__all__ = ["NAV", "bp"]

bp = Blueprint("parameters", __name__, url_prefix="/parameters")
NAV = [NavItem("parameters.index", _l("Parameters"), 40)]

#: Where a version was recorded (``ParameterVersion.source``), as the history shows it.
SOURCES = {
    # TRANSLATORS: where a parameter version came from: the value shipped with the plugin.
    "default": _l("default"),
    # TRANSLATORS: where a parameter version came from: recorded on this admin's Parameters page.
    "admin": _l("admin"),
    # TRANSLATORS: where a parameter version came from: recorded with the stdpolicy command.
    "cli": _l("cli"),
}




def _parameter_or_404(key: str) -> tuple[ParameterDeclaration, str]:
    """The declaration and plugin of ``key``; 404 if unknown or hidden from the user."""
    registry = get_registry()
    decl = registry.parameters.get(key)
    if decl is None:
        abort(404)
    plugin = registry.parameter_plugin[key]
    if not sees_plugin(plugin):
        abort(404)
    return decl, plugin


def _next_change(params: ParameterResolver, key: str, today: date) -> ParameterVersion | None:
    """The version that will take over after today, if one is recorded."""
    later = sorted({v.effective_from for v in params.history(key) if v.effective_from > today})
    return params.current(key, later[0]) if later else None


@bp.route("/")
@login_required
def index():
    registry = get_registry()
    params = resolver(registry)
    today = clock.today()
    groups = []
    for name in visible_plugins():
        plugin = registry.plugins[name]
        rows = []
        for key in plugin.parameters:
            decl = registry.parameters[key]
            rows.append({
                "decl": decl,
                "current": params.current(key, today),
                "next": _next_change(params, key, today),
            })
        groups.append((plugin, rows))
    return render_template(
        "parameters/index.html", groups=groups, department=current_department(), today=today, show=show_value,
    )


def _statuses(history: list[ParameterVersion], current: ParameterVersion | None, today: date) -> dict[int, tuple[str, str]]:
    """Per version id: (css class, label) — in force, scheduled, or replaced by a correction."""
    out: dict[int, tuple[str, str]] = {}
    for n, version in enumerate(history):
        replaced_by = next((v for v in history[n + 1:] if v.effective_from == version.effective_from), None)
        if current is not None and version.id == current.id:
            out[version.id] = ("on", _("In force today"))
        elif replaced_by is not None:
            out[version.id] = ("off", _("Corrected by %(version)s", version=version_label(replaced_by.sequence)))
        elif version.effective_from > today:
            out[version.id] = ("future", _("Scheduled"))
    return out


@bp.route("/<key>", methods=["GET", "POST"])
@login_required
def detail(key: str):
    decl, plugin = _parameter_or_404(key)
    may_record = may_manage(plugin)
    if request.method == "POST" and not may_record:
        abort(403)
    registry = get_registry()
    params = resolver(registry)
    today = clock.today()

    if request.method == "POST":
        form = parameter_form(decl)
    else:
        current = params.current(key, today)
        form = parameter_form(
            decl,
            value=form_value(decl, current.value) if current is not None else None,
            reference=default_reference(registry, key, params),
            based_on=str(latest_sequence(key)),
        )

    preview = None
    conflict: list[ParameterVersion] = []
    status = 200
    if request.method == "POST" and form.validate():
        based_on = form.based_on_sequence()
        data = submitted_data(decl, form)
        if based_on is None:
            form.general_errors.append(_("The form does not say which version it was based on. Reload the page and try again."))
        elif form.save.data:
            try:
                version = record_parameter(registry, key, data, actor=current_user.username, source="admin",
                                           based_on=based_on, department=acting_department(plugin))
            except ParameterConflict:
                params = resolver(registry)
                conflict = [v for v in params.history(key) if v.sequence > based_on]
                form.based_on.data = str(latest_sequence(key))
                status = 409
            except ValidationError as exc:
                schema_errors_to_form(form, exc)
            else:
                flash(_(
                    "%(version)s recorded: %(value)s from %(date)s. Stored outcomes change only when the "
                    "activities from that date are re-evaluated.",
                    version=version_label(version.sequence), value=show_value(decl, version.value), date=version.effective_from.isoformat(),
                ), "success")
                return redirect(url_for(".detail", key=key))
        else:
            try:
                loaded = version_schema(decl).load(data)
            except ValidationError as exc:
                schema_errors_to_form(form, exc)
            else:
                preview = preview_parameter(registry, key, loaded["value"], loaded["effective_from"])

    history = params.history(key)
    current = params.current(key, today)
    later = []
    if preview is not None:
        later = [v for v in history if v.effective_from > preview.effective_from]
    return render_template(
        "parameters/detail.html",
        decl=decl,
        plugin=registry.plugins[plugin],
        history=list(reversed(history)),
        current=current,
        next_change=_next_change(params, key, today),
        statuses=_statuses(history, current, today),
        form=form,
        may_record=may_record,
        preview=preview,
        in_force_then=params.current(key, preview.effective_from) if preview is not None else None,
        later=later,
        conflict=conflict,
        today=today,
        show=show_value,
        sources=SOURCES,
        owner=plugin_owner(plugin),
        type_help=decl.value_type.describe(decl, "zh" if is_chinese() else "en"),
    ), status
