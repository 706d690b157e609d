"""The Plugins page: what was discovered, what failed, who owns each plugin, and who has what switched on.

- Everyone logged in sees every loaded plugin (name, version, source, what
  its hooks do, kinds, parameters, owning department) and every plugin that
  failed to load, with its error.
- The switches form a matrix of plugins × the departments the user may see.
  A city administrator decides which plugins each department may switch on
  (``permission``: permit / forbid, audited; forbidding also switches the
  plugin off) and who owns each plugin (``owner``, audited). A department's
  administrators switch their own department's plugins within the permitted
  set; a viewer sees the state only. A POST for a department the user may
  not edit, or switching on a plugin that is not permitted, is answered 403
  and changes nothing.
- A switch is audited (``plugin.enable`` / ``plugin.disable``, by
  ``core.services.switch_plugin``) and applies to the next evaluation at once:
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
from core.services import NotPermitted, change_owner, permit_plugin, reevaluate_outcomes, switch_plugin
from core.store import permitted_plugins, plugin_owners, switched_on

from ..access import (
    can_edit_department,
    require_admin,
    require_city_admin,
    require_editor_of,
    visible_departments,
)
from ..i18n import pick
from ..labels import HOOKS, flash_plugin_failures, plugin_source
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
    # TRANSLATORS: the stage at which a plugin failed to load: checking the plugin-interface versions it was written for.
    "api": _l("plugin interface version"),
    # TRANSLATORS: the stage at which a plugin failed to load: reading its kinds, parameters and rules.
    "declarations": _l("declarations"),
    # TRANSLATORS: the stage at which a plugin failed to load: mounting its admin pages.
    "admin pages": _l("admin pages"),
    # TRANSLATORS: the stage at which a plugin failed to load: adding its commands.
    "commands": _l("commands"),
}

#: What a plugin warning (``PluginWarning.code``) says, in the UI language; ``subject`` fills it in.
WARNINGS = {
    # TRANSLATORS: a warning about a plugin on the Plugins page; %(subject)s is a Python function name.
    "unmarked_hook": _l("the function %(subject)s is not marked @hookimpl, so it is never called"),
    # TRANSLATORS: a warning about a plugin on the Plugins page; %(subject)s is a version number such as 1.0.
    "no_api": _l("it does not declare which plugin interface versions it was written for; this system's is %(subject)s"),
    # TRANSLATORS: a warning about a plugin on the Plugins page; %(subject)s is an activity kind.
    "unknown_read": _l("it reads the activity kind %(subject)s, which no loaded plugin declares"),
    # TRANSLATORS: a warning about a plugin on the Plugins page; %(subject)s is an activity kind.
    "unknown_extension": _l("it extends the activity kind %(subject)s, which no loaded plugin declares"),
}

#: Session key: a switch was made and stored outcomes have not been re-evaluated from this page since.
_OFFER = "plugins.offer_reevaluate"


def _enablements(departments: list[Department]) -> dict[tuple[int, str], bool]:
    """(department id, plugin) → switched on, for the given departments."""
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
    switched = {d.id: switched_on(d) for d in departments}
    permitted = {d.id: permitted_plugins(d) for d in departments}
    return render_template(
        "plugins/index.html",
        registry=registry,
        plugins=list(registry.plugins.values()),
        failures=registry.failures,
        warnings=registry.warnings,
        warning_texts=WARNINGS,
        stages=STAGES,
        hooks=HOOKS,
        source=plugin_source,
        departments=departments,
        all_departments=db.session.scalars(select(Department).order_by(Department.id)).all(),
        editable={d.id: can_edit_department(d) for d in departments},
        switched=switched,
        permitted=permitted,
        owners=plugin_owners(registry.plugins),
        not_loaded=_enabled_elsewhere(departments, set(registry.plugins)),
        offer_reevaluate=current_user.is_city_admin and session.get(_OFFER, False),
    )


def _department_or_404(code: str) -> Department:
    department = db.session.scalar(select(Department).filter_by(code=code))
    if department is None:
        abort(404)
    return department


def _loaded_or_404(plugin: str) -> str:
    registry = get_registry()
    if plugin not in registry.plugins:
        abort(404)
    return pick(registry.plugins[plugin].description.label)


@bp.route("/plugins/<department>/<plugin>", methods=["POST"])
@require_admin
def switch(department: str, plugin: str):
    """Switch ``plugin`` on (``enabled=1``) or off (``enabled=0``) for ``department``.

    Switching on needs the plugin permitted to the department (403 otherwise,
    for city administrators too: they permit it first, on the same page).
    """
    dept = _department_or_404(department)
    require_editor_of(dept)
    wanted = request.form.get("enabled")
    if wanted not in ("0", "1"):
        abort(400)
    enabled = wanted == "1"
    if not enabled and plugin not in get_registry().plugins and plugin in switched_on(dept):
        label = plugin  # no longer installed (or failing to load): its switch can still be turned off
    else:
        label = _loaded_or_404(plugin)
    try:
        changed = switch_plugin(dept, plugin, enabled, current_user.username)
    except NotPermitted:
        abort(403)
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
    flash_plugin_failures(done.result)
    return redirect(url_for("plugins.index"))


@bp.route("/plugins/<department>/<plugin>/permission", methods=["POST"])
@require_city_admin
def permission(department: str, plugin: str):
    """Permit (``allowed=1``) or forbid (``allowed=0``) ``department`` to switch ``plugin`` on (audited)."""
    dept = _department_or_404(department)
    label = _loaded_or_404(plugin)
    wanted = request.form.get("allowed")
    if wanted not in ("0", "1"):
        abort(400)
    allowed = wanted == "1"
    was_on = plugin in switched_on(dept)
    if not permit_plugin(dept, plugin, allowed, current_user.username):
        flash(_("Nothing changed: %(plugin)s was already so for %(department)s.", plugin=label, department=pick(dept.name)),
              "warning")
        return redirect(url_for("plugins.index"))
    if allowed:
        flash(_("%(department)s may now switch on %(plugin)s; its administrators can do so on this page.",
                plugin=label, department=pick(dept.name)), "success")
    else:
        flash(_("%(department)s may no longer switch on %(plugin)s.", plugin=label, department=pick(dept.name)), "success")
        if was_on:
            flash(_("%(plugin)s was switched off for %(department)s. Stored outcomes are updated when they are "
                    "re-evaluated: use “Re-evaluate now” below.", plugin=label, department=pick(dept.name)))
            session[_OFFER] = True
    return redirect(url_for("plugins.index"))


@bp.route("/plugins/<plugin>/owner", methods=["POST"])
@require_city_admin
def owner(plugin: str):
    """Make ``department`` (a code; empty: none) the owner of ``plugin`` (audited)."""
    label = _loaded_or_404(plugin)
    code = request.form.get("department")
    if code is None:
        abort(400)
    dept = None
    if code:
        dept = db.session.scalar(select(Department).filter_by(code=code))
        if dept is None:
            abort(400)
    if not change_owner(plugin, dept, current_user.username):
        flash(_("Nothing changed: %(plugin)s already had that owner.", plugin=label), "warning")
        return redirect(url_for("plugins.index"))
    if dept is None:
        flash(_("%(plugin)s has no owning department now: only city administrators record its parameters.",
                plugin=label), "success")
    else:
        flash(_("%(department)s now owns %(plugin)s: its administrators record the plugin's parameters.",
                plugin=label, department=pick(dept.name)), "success")
    return redirect(url_for("plugins.index"))
