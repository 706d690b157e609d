"""The Plugins page: what was discovered, what failed, and who has what switched on.

- Everyone logged in sees every loaded plugin (name, version, source, hooks,
  kinds, parameters) and every plugin that failed to load, with its error.
- The switches form a matrix of plugins × the departments the user may see:
  a city administrator sees and switches every department; a department
  administrator switches their own department; a viewer sees the state only.
  A POST for a department the user may not edit is answered 403 and changes
  nothing.
- A switch is audited (``plugin.enable`` / ``plugin.disable``, by
  ``core.store.set_enabled``) and applies to the next evaluation at once:
  evaluations read the enablements from the database, there is nothing to
  restart. Stored outcomes change only when they are re-evaluated; a city
  administrator can do that from this page (``outcomes.reevaluate``).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from core.app import get_registry
from core.db import db
from core.models import Department, PluginEnablement
from core.store import reevaluate_outcomes, switch_plugin

from ..access import can_edit_department, require_admin, require_city_admin, require_editor_of, visible_departments
from ..i18n import pick
from ..nav import NavItem

__all__ = ["NAV", "bp"]

bp = Blueprint("plugins", __name__)
NAV = [NavItem("plugins.index", _l("Plugins"), 50)]

#: The loading stage at which a plugin failed (``PluginFailure.stage``), as the page shows it.
STAGES = {
    # TRANSLATORS: the stage at which a plugin failed to load: importing its module.
    "import": _l("import"),
    # TRANSLATORS: the stage at which a plugin failed to load: registering its hook functions.
    "hooks": _l("hooks"),
    # TRANSLATORS: the stage at which a plugin failed to load: reading its kinds, parameters and rules.
    "declarations": _l("declarations"),
    # TRANSLATORS: the stage at which a plugin failed to load: mounting its admin pages.
    "admin pages": _l("admin pages"),
    # TRANSLATORS: the stage at which a plugin failed to load: adding its commands.
    "commands": _l("commands"),
}

#: Session key: a switch was made and stored outcomes have not been re-evaluated from this page since.
_OFFER = "plugins.offer_reevaluate"


def _enablements(departments: list[Department]) -> dict[tuple[int, str], bool]:
    """(department id, plugin) → enabled, for the given departments."""
    if not departments:
        return {}
    rows = db.session.execute(
        select(PluginEnablement.department_id, PluginEnablement.plugin, PluginEnablement.enabled)
        .where(PluginEnablement.department_id.in_([d.id for d in departments]))
    )
    return {(department_id, plugin): enabled for department_id, plugin, enabled in rows}


def _enabled_elsewhere(departments: list[Department], loaded: set[str]) -> dict[str, list[Department]]:
    """Plugins switched on by a visible department but not loaded (failed or uninstalled)."""
    found: dict[str, list[Department]] = {}
    by_id = {d.id: d for d in departments}
    for (department_id, plugin), enabled in sorted(_enablements(departments).items(), key=lambda i: (i[0][1], i[0][0])):
        if enabled and plugin not in loaded:
            found.setdefault(plugin, []).append(by_id[department_id])
    return found


@bp.route("/plugins")
@login_required
def index():
    registry = get_registry()
    departments = visible_departments()
    state = _enablements(departments)
    return render_template(
        "plugins/index.html",
        registry=registry,
        plugins=list(registry.plugins.values()),
        failures=registry.failures,
        stages=STAGES,
        departments=departments,
        editable={d.id: can_edit_department(d) for d in departments},
        state=state,
        not_loaded=_enabled_elsewhere(departments, set(registry.plugins)),
        offer_reevaluate=current_user.is_city_admin and session.get(_OFFER, False),
    )


@bp.route("/plugins/<department>/<plugin>", methods=["POST"])
@require_admin
def switch(department: str, plugin: str):
    """Switch ``plugin`` on (``enabled=1``) or off (``enabled=0``) for ``department``."""
    dept = db.session.scalar(select(Department).filter_by(code=department))
    if dept is None:
        abort(404)
    require_editor_of(dept)
    registry = get_registry()
    if plugin not in registry.plugins:
        abort(404)
    wanted = request.form.get("enabled")
    if wanted not in ("0", "1"):
        abort(400)
    enabled = wanted == "1"
    label = pick(registry.plugins[plugin].description.label)
    changed = switch_plugin(dept, plugin, enabled, current_user.username)
    if not changed:
        if enabled:
            flash(_("%(plugin)s was already enabled for %(department)s.", plugin=label, department=pick(dept.name)), "warning")
        else:
            flash(_("%(plugin)s was already disabled for %(department)s.", plugin=label, department=pick(dept.name)), "warning")
        return redirect(url_for("plugins.index"))
    if enabled:
        flash(_("%(plugin)s enabled for %(department)s. New evaluations use it from now on.",
                plugin=label, department=pick(dept.name)), "success")
    else:
        flash(_("%(plugin)s disabled for %(department)s. New evaluations no longer use it.",
                plugin=label, department=pick(dept.name)), "success")
    if current_user.is_city_admin:
        flash(_("Stored outcomes are updated when they are re-evaluated: use “Re-evaluate now” below."))
        session[_OFFER] = True
    else:
        flash(_("Stored outcomes are updated when they are re-evaluated, which a city administrator does."))
    return redirect(url_for("plugins.index"))


@bp.route("/plugins/reevaluate", methods=["POST"])
@require_city_admin
def reevaluate_now():
    """Recompute every stored outcome with the current enablements and parameters (audited)."""
    done = reevaluate_outcomes(get_registry(), actor=current_user.username)
    session.pop(_OFFER, None)
    flash(_("Re-evaluation run %(run)s: %(activities)s activities evaluated, %(changed)s changed, "
            "%(superseded)s outcomes superseded, %(added)s added.",
            run=done.run.id, activities=done.activities, changed=done.changed,
            superseded=done.run.outcomes_superseded, added=done.run.outcomes_added), "success")
    return redirect(url_for("plugins.index"))
