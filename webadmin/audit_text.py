"""Audit entries as readers read them: a sentence, and a field-by-field before/after table.

The log stores codes (``plugin.enable``, ``market_regulation/reward_tiers``,
``{"sequence": 2}``); the audit page shows "为市场监督管理局启用标准化奖励与补助"
and a table of 字段 / 变更前 / 变更后, in the UI language. An action this
module does not know (a newer version's, a plugin's) still reads as a
sentence with its code as small print, and its fields under their own names.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from core.models import AuditEntry, Department
from core.reviews import review_label
from core.registry import Registry

from .forms import ROLE_LABELS
from .i18n import money, parameter_value, pick
from .labels import detail, held_reason, import_source, name, plugin_label, reason_text, version_label

__all__ = ["ACTIONS", "Change", "changes", "describe"]

#: Each action, named for the filter.
ACTIONS = {
    "department.create": _l("Department created"),
    "plugin.enable": _l("Plugin switched on"),
    "plugin.disable": _l("Plugin switched off"),
    "plugin.permit": _l("Plugin permitted to a department"),
    "plugin.forbid": _l("Plugin no longer permitted to a department"),
    "plugin.owner": _l("Plugin owner changed"),
    "parameter.default": _l("Shipped parameter value stored"),
    "parameter.version": _l("Parameter version recorded"),
    "refdata.shipped": _l("Shipped reference data stored"),
    "refdata.demo": _l("Sample reference data stored"),
    "refdata.version": _l("Reference data version recorded"),
    "activities.import": _l("Activities imported"),
    "outcomes.reevaluate": _l("Outcomes re-evaluated"),
    "approvals.issue": _l("Approval list issued"),
    "review.approve": _l("Held outcome approved"),
    "review.reject": _l("Held outcome rejected"),
    "user.create": _l("User created"),
    "user.activate": _l("User reactivated"),
    "user.deactivate": _l("User deactivated"),
    "user.password": _l("Password set"),
    "user.password_change": _l("Own password changed"),
    "user.sessions_end": _l("Sessions ended"),
    "token.create": _l("API token issued"),
    "token.revoke": _l("API token revoked"),
    "login.success": _l("Logged in"),
    "login.failure": _l("Failed login"),
    "login.locked": _l("Login refused: too many failures"),
    "login.throttled": _l("Login attempts slowed down"),
    "logout": _l("Logged out"),
}

#: What each field of ``before`` / ``after`` is.
FIELDS = {
    "value": _l("Value"),
    "effective_from": _l("In force from"),
    "sequence": _l("Version"),
    "reason": _l("Reason"),
    "reference": _l("Policy reference"),
    "enabled": _l("Switched on"),
    "permitted": _l("Permitted"),
    "owner": _l("Owner"),
    "name_zh": _l("Name (Chinese)"),
    "name_en": _l("Name (English)"),
    "stored": _l("Activities stored"),
    "skipped": _l("Activities skipped"),
    "run": _l("Evaluation run"),
    "renamed": _l("Organisations renamed"),
    "rows": _l("Rows"),
    "rows_added": _l("Rows added"),
    "rows_removed": _l("Rows removed"),
    "rows_changed": _l("Rows changed"),
    "source": _l("Source"),
    "activities": _l("Activities evaluated"),
    "changed": _l("Activities changed"),
    "superseded": _l("Outcomes superseded"),
    "added": _l("Outcomes added"),
    "plugins": _l("Plugins"),
    "role": _l("Role"),
    "department": _l("Department"),
    "active": _l("Active"),
    "password": _l("Password"),
    "must_change_password": _l("Must change the password at next login"),
    "sessions_ended": _l("Number of sessions ended"),
    "session": _l("Session"),
    "id": _l("Number"),
    "prefix": _l("Token prefix"),
    "revoked": _l("Revoked"),
    "number": _l("List number"),
    "kind": _l("Kind of list"),
    "supplements": _l("Supplements list"),
    "plugin": _l("Plugin"),
    "period_from": _l("Period from"),
    "period_to": _l("Period to"),
    "items": _l("Rows"),
    "total_amount": _l("Total amount"),
    "digest": _l("Digest"),
    "decision": _l("Decision"),
    "note": _l("Note"),
    "held_amount": _l("Amount held"),
    "reasons": _l("Reasons held"),
    "rule": _l("Rule"),
    "outcome": _l("Outcome number"),
    "activity": _l("Activity number"),
}


@dataclass(frozen=True)
class Change:
    field: str
    before: Markup
    after: Markup


def _department(code: str | None, departments: Mapping[str, Department]) -> Markup:
    if not code:
        return Markup(escape(_("none (city administrators only)")))
    found = departments.get(code)
    return Markup(escape(pick(found.name))) if found is not None else detail(code)


def _split(target: str) -> tuple[str, str]:
    first, _sep, second = target.partition("/")
    return first, second


def _parameter(key: str, registry: Registry) -> Markup:
    decl = registry.parameters.get(key)
    if decl is None:
        return detail(key)
    return Markup("{} {}").format(pick(decl.label), detail(key))


def _reference_table(key: str, registry: Registry) -> Markup:
    table = registry.reference_tables.get(key)
    if table is None:
        return detail(key)
    return Markup("{} {}").format(pick(table.label), detail(key))


def _sentence(message: str, **parts: Any) -> Markup:
    """``message`` (already translated, with ``%(name)s`` placeholders) filled with escaped or marked-up parts."""
    return Markup(escape(message)) % parts if parts else Markup(escape(message))


def describe(entry: AuditEntry, registry: Registry, departments: Mapping[str, Department]) -> Markup:
    """The entry as one sentence in the UI language (names of plugins, departments and parameters, not codes)."""
    action, target = entry.action, entry.target or ""
    after = entry.after if isinstance(entry.after, dict) else {}
    dept = lambda code: _department(code, departments)  # noqa: E731
    plugin = lambda code: Markup(escape(plugin_label(code)))  # noqa: E731
    builders: dict[str, Callable[[], Markup]] = {
        "department.create": lambda: _sentence(_("Created the department %(department)s"), department=dept(target)),
        "plugin.enable": lambda: _sentence(_("Switched %(plugin)s on for %(department)s"),
                                           plugin=plugin(_split(target)[1]), department=dept(_split(target)[0])),
        "plugin.disable": lambda: _sentence(_("Switched %(plugin)s off for %(department)s"),
                                            plugin=plugin(_split(target)[1]), department=dept(_split(target)[0])),
        "plugin.permit": lambda: _sentence(_("Permitted %(department)s to switch on %(plugin)s"),
                                           plugin=plugin(_split(target)[1]), department=dept(_split(target)[0])),
        "plugin.forbid": lambda: _sentence(_("Stopped %(department)s from switching on %(plugin)s"),
                                           plugin=plugin(_split(target)[1]), department=dept(_split(target)[0])),
        "plugin.owner": lambda: (
            _sentence(_("Made %(department)s the owner of %(plugin)s"), department=dept(after["owner"]), plugin=plugin(target))
            if after.get("owner") else _sentence(_("Left %(plugin)s without an owning department"), plugin=plugin(target))
        ),
        "parameter.default": lambda: _sentence(_("Stored the shipped value of %(parameter)s"),
                                               parameter=_parameter(target, registry)),
        "parameter.version": lambda: _sentence(_("Recorded %(version)s of %(parameter)s"),
                                               version=version_label(after.get("sequence")),
                                               parameter=_parameter(target, registry)),
        "refdata.shipped": lambda: _sentence(_("Stored %(version)s of %(table)s, shipped with the plugin"),
                                             version=version_label(after.get("sequence")),
                                             table=_reference_table(target, registry)),
        "refdata.demo": lambda: _sentence(_("Stored sample data as %(version)s of %(table)s"),
                                          version=version_label(after.get("sequence")),
                                          table=_reference_table(target, registry)),
        "refdata.version": lambda: _sentence(_("Recorded %(version)s of %(table)s"),
                                             version=version_label(after.get("sequence")),
                                             table=_reference_table(target, registry)),
        "activities.import": lambda: _sentence(_("Imported activities from %(source)s"), source=import_source(target)),
        "outcomes.reevaluate": lambda: (
            _sentence(_("Re-evaluated the stored activities dated on or after %(date)s"), date=target[6:])
            if target.startswith("since ") else _sentence(_("Re-evaluated every stored activity"))
        ),
        "approvals.issue": lambda: (
            _sentence(_("Issued the supplementary approval list %(number)s to %(original)s"), number=name(target),
                      original=name(after["supplements"]))
            if after.get("supplements") else _sentence(_("Issued the approval list %(number)s"), number=name(target))
        ),
        "review.approve": lambda: _sentence(_("Approved the held outcome of activity %(activity)s (%(plugin)s, rule %(rule)s)"),
                                            activity=name(target), plugin=plugin(after["plugin"]), rule=name(after["rule"])),
        "review.reject": lambda: _sentence(_("Rejected the held outcome of activity %(activity)s (%(plugin)s, rule %(rule)s)"),
                                           activity=name(target), plugin=plugin(after["plugin"]), rule=name(after["rule"])),
        "user.create": lambda: _sentence(_("Created the user %(user)s"), user=name(target)),
        "user.activate": lambda: _sentence(_("Reactivated the user %(user)s"), user=name(target)),
        "user.deactivate": lambda: _sentence(_("Deactivated the user %(user)s"), user=name(target)),
        "user.password": lambda: _sentence(_("Set a new password for %(user)s"), user=name(target)),
        "user.password_change": lambda: _sentence(_("%(user)s changed their own password"), user=name(target)),
        "user.sessions_end": lambda: _sentence(_("Ended sessions of %(user)s"), user=name(target)),
        "token.create": lambda: _sentence(_("Issued the API token %(token)s to %(department)s"),
                                          token=name(_split(target)[1]), department=dept(_split(target)[0])),
        "token.revoke": lambda: _sentence(_("Revoked the API token %(token)s of %(department)s"),
                                          token=name(_split(target)[1]), department=dept(_split(target)[0])),
        "login.success": lambda: _sentence(_("%(user)s logged in"), user=name(target)),
        "login.failure": lambda: _sentence(_("Failed login as %(user)s"), user=name(target)),
        "login.locked": lambda: _sentence(_("Login as %(user)s refused after too many failures"), user=name(target)),
        "login.throttled": lambda: _sentence(_("Login attempts as %(user)s slowed down after failures"), user=name(target)),
        "logout": lambda: _sentence(_("%(user)s logged out"), user=name(target)),
    }
    build = builders.get(action)
    if build is not None:
        try:
            return build()
        except (KeyError, TypeError, ValueError):  # an entry of an unexpected shape: say what is there
            pass
    return _sentence(_("Other change: %(target)s"), target=name(target)) + Markup(" ") + detail(action)


def _plain(value: Any) -> Markup:
    if value is None:
        return Markup("—")
    if value is True:
        return Markup(escape(_("Yes")))
    if value is False:
        return Markup(escape(_("No")))
    if isinstance(value, list):
        return Markup(escape(", ".join(str(v) for v in value)))
    if isinstance(value, dict):
        return Markup(escape(json.dumps(value, ensure_ascii=False, sort_keys=True)))
    return Markup(escape(str(value)))


def _shown(field: str, value: Any, entry: AuditEntry, registry: Registry, departments: Mapping[str, Department]) -> Markup:
    if value is None:
        return Markup("—")
    if field == "value" and entry.action.startswith("parameter.") and isinstance(value, str):
        try:
            return Markup(escape(parameter_value(entry.target, value, stored=True)))
        except ValueError:
            return _plain(value)
    if field == "sequence" and isinstance(value, int):
        return Markup(escape(version_label(value)))
    if field == "reason" and isinstance(value, str):
        return Markup(escape(reason_text(value)))
    if field in ("owner", "department") and (isinstance(value, str) or value is None):
        return _department(value, departments)
    if field == "role" and value in ROLE_LABELS:
        return Markup(escape(str(ROLE_LABELS[value])))
    if field == "plugins" and isinstance(value, list):
        return Markup(escape("、".join(plugin_label(p) for p in value) if value else "—"))
    if field == "renamed" and isinstance(value, list):
        return Markup("; ").join(
            Markup("{} → {} ({})").format(r.get("before") or "—", r.get("after") or "—", r.get("credit_code") or "")
            if isinstance(r, dict) else _plain(r) for r in value)
    if field == "source" and entry.action.startswith("refdata.") and isinstance(value, str):
        from .views.refdata import SOURCES

        return Markup(escape(str(SOURCES.get(value, value))))
    if entry.action == "approvals.issue":
        if field == "kind" and isinstance(value, str):
            from .views.approvals import KINDS

            return Markup(escape(str(KINDS.get(value, value))))
        if field == "plugin" and isinstance(value, str):
            return Markup(escape(plugin_label(value)))
        if field == "total_amount" and isinstance(value, int):
            return Markup(escape(money(value)))
    if field == "decision" and isinstance(value, str):
        return Markup(escape(pick(review_label(value))))
    if field == "reasons" and isinstance(value, list):
        return Markup(escape("、".join(pick(held_reason(str(code))) for code in value) if value else "—"))
    if field == "held_amount" and isinstance(value, int):
        return Markup(escape(money(value)))
    if field == "plugin" and entry.action.startswith("review.") and isinstance(value, str):
        return Markup(escape(plugin_label(value)))
    if field == "password":
        return Markup(escape(_("reset") if value == "reset" else _("changed")))
    return _plain(value)


def changes(entry: AuditEntry, registry: Registry, departments: Mapping[str, Department]) -> list[Change]:
    """Every field of ``before`` and ``after``, known fields first in a fixed order, with both values shown."""
    before = entry.before if isinstance(entry.before, dict) else {}
    after = entry.after if isinstance(entry.after, dict) else {}
    if not isinstance(entry.before, (dict, type(None))):
        before = {"value": entry.before}
    if not isinstance(entry.after, (dict, type(None))):
        after = {"value": entry.after}
    fields = [f for f in FIELDS if f in before or f in after]
    fields += sorted(f for f in {*before, *after} if f not in FIELDS)
    rows = []
    for field in fields:
        label = Markup(escape(str(FIELDS[field]))) if field in FIELDS else detail(field)
        rows.append(Change(
            label,
            _shown(field, before.get(field), entry, registry, departments) if field in before else Markup("—"),
            _shown(field, after.get(field), entry, registry, departments) if field in after else Markup("—"),
        ))
    return rows
