"""What the admin shows instead of codes: hooks, sources, actors, types, versions, rules.

Chinese first: a page in Chinese names things in Chinese and shows a code
or key only as small print beside its name (``detail``). The words are
Flask-Babel messages (the catalogue translates them); what plugins say
about themselves (rule meanings, value labels) comes as bilingual ``Text``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from core.outcomes import ERROR_RULE
from core.registry import PluginRecord, Registry
from core.text import Text

from .i18n import is_chinese, pick

__all__ = [
    "HOOKS",
    "SHIPPED_REASON",
    "LegendEntry",
    "actor",
    "code",
    "detail",
    "explained",
    "flash_plugin_failures",
    "held_reason",
    "import_source",
    "name",
    "plugin_label",
    "plugin_source",
    "reason_text",
    "rule_legend",
    "version_label",
]

#: What each hook does for users (the Plugins page), by hook name.
HOOKS = {
    # TRANSLATORS: what a plugin's hook does, shown on the Plugins page.
    "stdpolicy_describe_plugin": _l("names and describes the plugin"),
    # TRANSLATORS: what a plugin's hook does, shown on the Plugins page.
    "stdpolicy_register_activity_kinds": _l("declares activity kinds and checks their fields"),
    # TRANSLATORS: what a plugin's hook does, shown on the Plugins page.
    "stdpolicy_register_kind_extensions": _l("adds fields and checks of its own to activity kinds declared elsewhere"),
    # TRANSLATORS: what a plugin's hook does, shown on the Plugins page.
    "stdpolicy_register_parameters": _l("declares dated policy parameters"),
    # TRANSLATORS: what a plugin's hook does, shown on the Plugins page.
    "stdpolicy_register_parameter_types": _l("declares types of parameter values"),
    # TRANSLATORS: what a plugin's hook does, shown on the Plugins page.
    "stdpolicy_register_reference_tables": _l("declares versioned reference data tables"),
    # TRANSLATORS: what a plugin's hook does, shown on the Plugins page.
    "stdpolicy_register_dashboard_figures": _l("adds figures to the dashboard"),
    # TRANSLATORS: what a plugin's hook does, shown on the Plugins page.
    "stdpolicy_register_admin_pages": _l("adds pages to this admin"),
    # TRANSLATORS: what a plugin's hook does, shown on the Plugins page.
    "stdpolicy_register_commands": _l("adds commands to the stdpolicy command line"),
    # TRANSLATORS: what a plugin's hook does, shown on the Plugins page.
    "stdpolicy_evaluate": _l("evaluates activities: rules, amounts and explanations"),
}

#: The reason ``core.store.load_defaults`` stores with a shipped value (both languages in one).
SHIPPED_REASON = "插件预置值 / shipped with the plugin"


def detail(code: object) -> Markup:
    """A code or key as small print beside its name (``<small class="detail"><code>…</code></small>``)."""
    # Plain string formatting of the escaped code, not Markup.format: a page shows dozens, and
    # Markup.format (string.Formatter) costs ten times more.
    return Markup('<small class="detail"><code>%s</code></small>' % escape(code))


def code(value: object) -> Markup:
    """A coded value beside its label: small print in English, nothing in Chinese (the label says it all)."""
    return Markup("") if is_chinese() else detail(value)


def explained(text: str | None, plugin: str, parameters: Iterable[dict] | None = None) -> Markup:
    """An outcome's explanation with the parameter keys it cites as small print (``detail``).

    The plugin's text names each parameter by its key so that it can be
    traced (the table beside it gives the key's label and version); the keys
    are those the outcome read and those ``plugin`` declares.
    """
    from core.app import get_registry

    record = get_registry().plugins.get(plugin)
    keys = {str(p.get("key")) for p in parameters or () if p.get("key")} | set(record.parameters if record else ())
    shown = str(escape(text or ""))
    if keys:  # one pass, longest keys first: a key inside another is never marked twice
        pattern = re.compile("|".join(re.escape(str(escape(k))) for k in sorted(keys, key=len, reverse=True)))
        shown = pattern.sub(lambda m: str(detail(Markup(m.group(0)))), shown)
    return Markup(shown)


def name(text: object) -> Markup:
    """A name users gave (a user, a file): shown as it is, marked as data (``span.name``)."""
    return Markup('<span class="name">%s</span>' % escape(text))


def import_source(source: str | None) -> Markup:
    """Where stored activities came from: an upload, the demo data, a file given on the command line."""
    if not source:
        return Markup("—")
    if source.startswith("upload:"):
        return Markup(escape(_("uploaded file %(file)s", file="\x00"))).replace("\x00", name(source[7:]))
    if source.startswith("demo data"):
        return Markup(escape(_("demo data (stdpolicy init --demo)")))
    return name(source)


def flash_plugin_failures(result: object) -> None:
    """Flash, for each plugin that raised during an evaluation (``EvaluationResult.failures``), what it means.

    The activities it raised on were stored with an error outcome (amount 0); the rest are complete.
    """
    from flask import flash

    failures = getattr(result, "failures", None) or {}
    for plugin, error in failures.items():
        count = sum(1 for o in getattr(result, "outcomes", ()) if o.plugin == plugin and o.rule == ERROR_RULE)
        flash(_("%(plugin)s failed on %(count)s activities: they have an error outcome (amount 0) until the plugin "
                "is fixed and the outcomes are re-evaluated. The error: %(error)s",
                plugin=plugin_label(plugin), count=count, error=error), "error")


def plugin_label(plugin: str) -> str:
    """A plugin's name in the UI language (its entry-point name if it is not loaded)."""
    from core.app import get_registry

    record = get_registry().plugins.get(plugin)
    return pick(record.description.label) if record is not None else plugin


def held_reason(code: str) -> Text:
    """A held reason's label, as the loaded plugins declare it (``core.reviews.held_reason_label``)."""
    from core.app import get_registry
    from core.reviews import held_reason_label

    return held_reason_label(code, get_registry().held_reasons)


def plugin_source(record: PluginRecord) -> str:
    """Where a plugin came from: built in, registered in code, or its distribution (name and version)."""
    if record.builtin:
        return _("built into stdpolicy")
    if record.source == "registered in code":
        return _("registered in code")
    return record.source


def actor(who: str | None) -> Markup:
    """Who did something, as a reader would say it: a user's name, the command line, the system.

    ``cli:root`` → 命令行(root); ``system`` and ``stdpolicy init`` → 系统. A
    user's own name is data and shown as it is (``name``).
    """
    if not who:
        return Markup("—")
    if who in ("system", "stdpolicy init"):
        return Markup(escape(_("System")))
    if who == "cli" or who.startswith("cli:"):
        login = who[4:]
        if not login:
            return Markup(escape(_("Command line")))
        return Markup(escape(_("Command line (%(login)s)", login="\x00"))).replace("\x00", name(login))
    return name(who)


def version_label(sequence: int | None) -> str:
    """The number of a parameter version, the same everywhere: its sequence within its key (``第2版``)."""
    if sequence is None:
        return _("shipped value")
    return _("Version %(number)s", number=sequence)


def reason_text(reason: str) -> str:
    """A version's reason; the shipped values' bilingual reason in the UI language only."""
    if reason == SHIPPED_REASON:
        return _("shipped with the plugin")
    return reason


@dataclass(frozen=True)
class LegendEntry:
    rule: str
    #: What the rule means, in the UI language.
    meaning: str
    #: The plugin's name in the UI language (several plugins may use the same code).
    plugin: str


def rule_legend(registry: Registry, plugins: Collection[str], rules: Iterable[str] | None = None) -> list[LegendEntry]:
    """What the rule codes of ``plugins`` mean (only those in ``rules``, if given), in the plugins' order.

    ``ERROR`` (core's outcome for a plugin that failed) is explained too.
    """
    wanted = None if rules is None else set(rules)
    entries = []
    for name, record in registry.plugins.items():
        if name not in plugins:
            continue
        for code, meaning in record.description.rules:
            if wanted is None or code in wanted:
                entries.append(LegendEntry(code, pick(meaning), pick(record.description.label)))
    if wanted is not None and ERROR_RULE in wanted:
        entries.append(LegendEntry(ERROR_RULE, _("the plugin failed on this activity; no amount was computed"), ""))
    return entries
