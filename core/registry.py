"""Plugin discovery, start-up checks, and evaluation through pluggy.

``load_registry()`` finds every plugin of the ``stdpolicy.plugins``
entry-point group (the built-in ones are registered there too), registers it
with pluggy, validates its hook implementations, and collects its
declarations. A plugin that fails at any step (import error, a hook that
does not match its specification, a hook API range that excludes core's,
bad or clashing declarations) is recorded in ``Registry.failures`` with the
reason, the file and line, and the traceback, and left out; start-up goes
on. What loads but looks wrong (a ``stdpolicy_*`` function without
``@hookimpl``, no declared API range, a kind read that nobody declares) is
in ``Registry.warnings``.

Every hook is called through pluggy (subset callers), so wrappers and
pluggy's tracing see every call. Before any plugin, every registry holds
core's base plugin, ``core`` (``core.kinds``): the activity kinds several
policy areas read.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field, replace
from email.parser import HeaderParser
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

import pluggy

from . import hookspecs
from .activities import ENVELOPE_FIELDS, Activity, ActivityValidator, ValidationReport
from .declarations import (
    ActivityKind,
    AdminPage,
    ApiEndpoint,
    DashboardFigure,
    KindExtension,
    ParameterDeclaration,
    PluginDescription,
)
from .evaluation import Batch, EvaluationContext, EvaluationResult
from .gcpause import paused_gc
from .hooks import PROJECT
from .outcomes import ERROR_RULE, Outcome
from .parameters import ParameterResolver
from .paramtypes import BUILTIN_PARAMETER_TYPES, ParameterType, types_in_use
from .refdata import ReferenceResolver, ReferenceTable
from .screening import safe_text
from .storage import PluginStorage, check_storage
from .text import Text
from .version import HOOK_API_VERSION, __version__

__all__ = [
    "BASE_PLUGIN",
    "ENTRY_POINT_GROUP",
    "LOAD_STAGES",
    "PluginFailure",
    "PluginRecord",
    "PluginWarning",
    "Registry",
    "load_registry",
]

ENTRY_POINT_GROUP = "stdpolicy.plugins"
_BUILTIN_DIST = "stdpolicy"

#: The name core's base plugin (``core.kinds``, the shared activity kinds) is registered under.
BASE_PLUGIN = "core"

#: The stages at which a plugin can fail to load (a failure at "admin pages"
#: or "commands" leaves the plugin loaded, without those pages or commands).
LOAD_STAGES = ("import", "hooks", "api", "declarations")

log = logging.getLogger(__name__)


@dataclass
class PluginRecord:
    """A loaded plugin and what it declared."""

    name: str
    version: str
    source: str
    builtin: bool
    description: PluginDescription
    hooks: list[str] = field(default_factory=list)
    #: The kinds the plugin declares.
    kinds: list[str] = field(default_factory=list)
    parameters: list[str] = field(default_factory=list)
    figures: list[DashboardFigure] = field(default_factory=list)
    #: Kinds declared elsewhere that it evaluates (``PluginDescription.reads``).
    reads: list[str] = field(default_factory=list)
    extensions: list[KindExtension] = field(default_factory=list)
    #: Its tables and migrations (``stdpolicy_register_storage``), if it keeps any.
    storage: PluginStorage | None = None
    #: Keys of the reference tables it declares.
    reference_tables: list[str] = field(default_factory=list)
    #: Names of the parameter types it declares.
    parameter_types: list[str] = field(default_factory=list)

    @property
    def evaluates(self) -> list[str]:
        """The kinds the plugin evaluates: those it declares, then those it reads.

        What a department that switched the plugin on sees, and where a
        plugin that raises gets its error outcomes.
        """
        return self.kinds + [k for k in self.reads if k not in self.kinds]


@dataclass(frozen=True)
class PluginFailure:
    """A plugin that was found but not loaded (or lost its pages or commands), and why."""

    name: str
    source: str
    stage: str  # LOAD_STAGES, or "admin pages", "commands"
    error: str
    #: Where the error was raised in the plugin's code (``path:line``), when known.
    where: str | None = None
    #: The whole traceback (``stdpolicy plugins --verbose``), when there was one.
    traceback: str | None = None
    #: The kinds the plugin declares, when core got that far: records of these
    #: kinds are told this plugin failed to load, not that their kind is unknown.
    kinds: tuple[str, ...] = ()


@dataclass(frozen=True)
class PluginWarning:
    """Something about a loaded plugin its author should fix.

    ``code`` says what (``unmarked_hook``: ``subject`` is the function;
    ``no_api``: the plugin declares no hook API range; ``unknown_read`` /
    ``unknown_extension``: ``subject`` is a kind no loaded plugin declares),
    so the admin can say it in the user's language; ``message`` says it in English.
    """

    name: str
    source: str
    message: str
    code: str = ""
    subject: str = ""


class _Refused(Exception):
    """A plugin core refuses to load at ``stage`` (the message says why)."""

    def __init__(self, stage: str, message: str, kinds: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.stage, self.kinds = stage, kinds


class Registry:
    """The loaded plugins, their declarations, and evaluation.

    Usable from plain Python::

        from core import load_registry
        registry = load_registry()
        report = registry.validate(records)
        result = registry.evaluate(report.valid)
    """

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, PluginRecord] = {}
        self.failures: list[PluginFailure] = []
        self.warnings: list[PluginWarning] = []
        #: Every kind, as records are validated: its schema holds the fields extensions add.
        self.kinds: dict[str, ActivityKind] = {}
        #: Every kind as its plugin declared it.
        self.declared_kinds: dict[str, ActivityKind] = {}
        self.kind_plugin: dict[str, str] = {}
        #: kind → the extensions of it, with the plugin that declared each.
        self.extensions: dict[str, list[tuple[str, KindExtension]]] = {}
        #: (kind, field) → the plugin whose extension declares that field.
        self.extension_fields: dict[tuple[str, str], str] = {}
        self.parameters: dict[str, ParameterDeclaration] = {}
        self.parameter_plugin: dict[str, str] = {}
        #: Parameter types: core's and those plugins declared (``stdpolicy_register_parameter_types``).
        self.parameter_types: dict[str, ParameterType] = dict(BUILTIN_PARAMETER_TYPES)
        self.parameter_type_plugin: dict[str, str] = {}
        #: Versioned reference tables by key, and the plugin that declared each.
        self.reference_tables: dict[str, ReferenceTable] = {}
        self.reference_plugin: dict[str, str] = {}
        self.validator = ActivityValidator(self.kinds, extensions=self.extensions, failures=self.failures)
        self._callers: dict[frozenset[str], list[tuple[str, pluggy.HookCaller]]] = {}
        self._admin_pages: dict[str, list[AdminPage]] | None = None
        self._api_endpoints: dict[str, list[ApiEndpoint]] | None = None
        #: Core's base plugin (the shared kinds), loaded before any other.
        self.base: PluginRecord | None = None
        from . import kinds as base_module

        if not self._add(BASE_PLUGIN, base_module, version=__version__, source="stdpolicy (core)", builtin=True):
            raise RuntimeError(f"core's base plugin did not load: {self.failures[-1].error}")

    # -- loading -------------------------------------------------------------

    def add_plugin(self, name: str, plugin: object, *, version: str | None = None,
                   source: str = "registered in code", builtin: bool = False) -> bool:
        """Register one plugin object under ``name``; ``False`` if it failed."""
        if name == BASE_PLUGIN:
            self._fail(name, source, "hooks", f"the name {BASE_PLUGIN!r} is core's own")
            return False
        return self._add(name, plugin, version=version, source=source, builtin=builtin)

    def _add(self, name: str, plugin: object, *, version: str | None, source: str, builtin: bool) -> bool:
        self._warn_unmarked(name, source, plugin)
        try:
            self.pm.register(plugin, name=name)
        except Exception as exc:  # PluginValidationError, duplicate name …
            self._fail(name, source, "hooks", exc)
            return False
        try:
            self.pm.check_pending()
            self._check_wrappers(name)
        except (pluggy.PluginValidationError, _Refused) as exc:
            # A hook implementation named stdpolicy_* with no such specification;
            # a plugin that both wraps and implements evaluation.
            self.pm.unregister(name=name)
            self._fail(name, source, "hooks", exc)
            return False
        try:
            record = self._collect(name, plugin, version, source, builtin)
        except _Refused as exc:
            self.pm.unregister(name=name)
            self._fail(name, source, exc.stage, str(exc), kinds=exc.kinds)
            return False
        except Exception as exc:
            self.pm.unregister(name=name)
            self._fail(name, source, "declarations", exc, kinds=tuple(self._attempted_kinds))
            return False
        if name == BASE_PLUGIN:
            self.base = record
        else:
            self.plugins[name] = record
        self._callers.clear()
        self._admin_pages = None
        self._api_endpoints = None
        self.validator.reset()
        return True

    def _fail(self, name: str, source: str, stage: str, exc: BaseException | str,
              kinds: tuple[str, ...] = ()) -> None:
        if stage in LOAD_STAGES:  # its failure says what matters; warnings are about plugins that loaded
            self.warnings[:] = [w for w in self.warnings if w.name != name or name in self.plugins]
        error = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
        where = trace = None
        if isinstance(exc, BaseException) and not isinstance(exc, (_Refused, pluggy.PluginValidationError)):
            where = _where(exc)
            trace = "".join(traceback.format_exception(exc))
        log.error("stdpolicy plugin %r (%s) not loaded at %s: %s%s", name, source, stage, error,
                  f" ({where})" if where else "")
        self.failures.append(PluginFailure(name, source, stage, error, where, trace, kinds))

    def _warn(self, name: str, source: str, code: str, subject: str, message: str) -> None:
        log.warning("stdpolicy plugin %r (%s): %s", name, source, message)
        self.warnings.append(PluginWarning(name, source, message, code, subject))

    def _warn_unmarked(self, name: str, source: str, plugin: object) -> None:
        """Warn about ``stdpolicy_*`` functions that lack ``@hookimpl``: pluggy ignores them silently."""
        marker = f"{PROJECT}_impl"
        for attr in sorted(dir(plugin)):
            if not attr.startswith(f"{PROJECT}_"):
                continue
            try:
                value = getattr(plugin, attr)
            except Exception:  # noqa: BLE001 - a property that raises is not a hook either
                continue
            if callable(value) and not hasattr(value, marker) and not hasattr(value, f"{PROJECT}_spec"):
                self._warn(name, source, "unmarked_hook", attr,
                           f"{attr} is not marked @hookimpl, so core never calls it (add `@hookimpl` from core above it)")

    def _check_wrappers(self, name: str) -> None:
        impls = self._impls("stdpolicy_evaluate", name)
        if any(_wraps(impl) for impl in impls) and not all(_wraps(impl) for impl in impls):
            raise _Refused("hooks", "stdpolicy_evaluate: a plugin either wraps evaluation (wrapper=True / "
                                    "hookwrapper=True) or evaluates, not both; split it into two plugins")

    def _impls(self, hook_name: str, plugin_name: str) -> list[Any]:
        caller = getattr(self.pm.hook, hook_name)
        return [impl for impl in caller.get_hookimpls() if impl.plugin_name == plugin_name]

    def _own_caller(self, hook_name: str, plugin_name: str) -> pluggy.HookCaller:
        """A pluggy caller of ``hook_name`` that holds ``plugin_name``'s implementations alone."""
        others = [plugin for other, plugin in self.pm.list_name_plugin() if other != plugin_name and plugin is not None]
        return self.pm.subset_hook_caller(hook_name, others)

    def _call_own(self, hook_name: str, plugin_name: str, **kwargs: Any) -> list[Any]:
        """Call one plugin's implementation(s) of a hook through pluggy; its results (not ``None``) in a list."""
        return list(self._own_caller(hook_name, plugin_name)(**kwargs))

    def _collect(self, name: str, plugin: object, version: str | None, source: str, builtin: bool) -> PluginRecord:
        self._attempted_kinds: list[str] = []
        described = self._call_own("stdpolicy_describe_plugin", name)
        if described:
            description = described[0]
            if not isinstance(description, PluginDescription):
                raise TypeError(f"stdpolicy_describe_plugin must return a PluginDescription, got {description!r}")
        else:
            description = PluginDescription(Text(name, name), Text("", ""))
        if name != BASE_PLUGIN:
            self._check_api(name, source, description)

        types = self._declared("stdpolicy_register_parameter_types", name, ParameterType)
        known = dict(self.parameter_types)
        for declared in types:
            if declared.name in known:
                first = self.parameter_type_plugin.get(declared.name) or (
                    "core" if declared.name in BUILTIN_PARAMETER_TYPES else name)
                raise ValueError(f"parameter type {declared.name!r} is declared by both {first!r} and {name!r}")
            known[declared.name] = declared
        # The plugin's declarations may name core's types, those of the plugins loaded before, and its own.
        with types_in_use(known):
            kinds = self._declared("stdpolicy_register_activity_kinds", name, ActivityKind)
            self._attempted_kinds = [k.name for k in kinds]
            extensions = self._declared("stdpolicy_register_kind_extensions", name, KindExtension)
            params = self._declared("stdpolicy_register_parameters", name, ParameterDeclaration)
            figures = self._declared("stdpolicy_register_dashboard_figures", name, DashboardFigure)
            tables = self._declared("stdpolicy_register_reference_tables", name, ReferenceTable)
            storage = self._declared_storage(name)

        # Check everything before adding anything: a plugin loads whole or not at all.
        seen: set[str] = set()
        for kind in kinds:
            owner = self.kind_plugin.get(kind.name) or (name if kind.name in seen else None)
            if owner:
                raise ValueError(f"activity kind {kind.name!r} is declared by both {owner!r} and {name!r}")
            seen.add(kind.name)
        self._check_extension_fields(name, kinds, extensions)
        seen.clear()
        for decl in params:
            if decl.plugin_prefix != name:
                raise ValueError(f"parameter {decl.key!r} must start with the plugin name: {name}.…")
            owner = self.parameter_plugin.get(decl.key) or (name if decl.key in seen else None)
            if owner:
                raise ValueError(f"parameter {decl.key!r} is declared by both {owner!r} and {name!r}")
            if decl.type not in known:
                raise ValueError(f"parameter {decl.key!r}: unknown parameter type {decl.type!r}")
            seen.add(decl.key)
        seen.clear()
        for table in tables:
            if table.plugin_prefix != name:
                raise ValueError(f"reference table {table.key!r} must start with the plugin name: {name}.…")
            owner = self.reference_plugin.get(table.key) or (name if table.key in seen else None)
            if owner:
                raise ValueError(f"reference table {table.key!r} is declared by both {owner!r} and {name!r}")
            seen.add(table.key)

        for kind in kinds:
            self.declared_kinds[kind.name] = kind
            self.kind_plugin[kind.name] = name
        for extension in extensions:
            self.extensions.setdefault(extension.kind, []).append((name, extension))
            for field_name in extension.fields:
                self.extension_fields[(extension.kind, field_name)] = name
        for kind_name in {k.name for k in kinds} | {e.kind for e in extensions}:
            self._refresh_kind(kind_name)
        for decl in params:
            self.parameters[decl.key] = decl
            self.parameter_plugin[decl.key] = name
        for declared in types:
            self.parameter_types[declared.name] = declared
            self.parameter_type_plugin[declared.name] = name
        for table in tables:
            self.reference_tables[table.key] = table
            self.reference_plugin[table.key] = name
        hooks = sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or ())
        return PluginRecord(
            name=name,
            version=version or str(getattr(plugin, "__version__", "0")),
            source=source,
            builtin=builtin,
            description=description,
            hooks=hooks,
            kinds=[k.name for k in kinds],
            parameters=[p.key for p in params],
            figures=list(figures),
            reads=list(description.reads),
            extensions=list(extensions),
            storage=storage,
            reference_tables=[t.key for t in tables],
            parameter_types=[t.name for t in types],
        )

    def _refresh_kind(self, name: str) -> None:
        """``kinds[name]``: the declared kind, its schema extended with the extensions' fields.

        So every reader of a kind's fields — validation, labels, spreadsheet
        columns, the admin's pages — sees the extension fields as the kind's.
        """
        declared = self.declared_kinds.get(name)
        if declared is None:  # an extension of a kind not (yet) declared: applied when it is
            return
        added = {f: value for _, ext in self.extensions.get(name, ()) for f, value in ext.fields.items()}
        if not added:
            self.kinds[name] = declared
            return
        schema = type(declared.schema.__name__, (declared.schema,), {
            **added, "__doc__": declared.schema.__doc__, "__module__": declared.schema.__module__,
        })
        self.kinds[name] = replace(declared, schema=schema)

    def _check_api(self, name: str, source: str, description: PluginDescription) -> None:
        """Refuse a plugin whose declared hook API range excludes core's; warn about one that declares none."""
        if description.api is None:
            self._warn(name, source, "no_api", HOOK_API_VERSION,
                       f"declares no hook API range (PluginDescription(api=\">=1.0,<2\")); "
                       f"core's hook API is {HOOK_API_VERSION}")
            return
        from packaging.specifiers import InvalidSpecifier, SpecifierSet
        from packaging.version import Version

        try:
            wanted = SpecifierSet(description.api)
        except InvalidSpecifier:
            raise _Refused("api", f"hook API range {description.api!r} is not a version range "
                                  "(PEP 440, e.g. \">=1.0,<2\")") from None
        if Version(HOOK_API_VERSION) not in wanted:
            raise _Refused("api", f"written for hook API {description.api}, but stdpolicy {__version__} has hook API "
                                  f"{HOOK_API_VERSION}: install a version of the plugin made for it",
                           kinds=self._kinds_quietly(name))

    def _kinds_quietly(self, name: str) -> tuple[str, ...]:
        """The kind names a refused plugin declares, if it says without raising (for the records' messages)."""
        try:
            return tuple(k.name for k in self._declared("stdpolicy_register_activity_kinds", name, ActivityKind))
        except Exception:  # noqa: BLE001 - only for a message
            return ()

    def _check_extension_fields(self, name: str, kinds: list[ActivityKind], extensions: list[KindExtension]) -> None:
        """Each field of a kind is declared once: by the kind, or by one extension of it."""
        declared = {k.name: k for k in kinds}

        def owner_of(kind_name: str, field_name: str) -> str | None:
            if field_name in ENVELOPE_FIELDS:  # every record's own fields
                return BASE_PLUGIN
            kind = declared.get(kind_name) or self.declared_kinds.get(kind_name)
            if kind is not None and field_name in kind.schema._declared_fields:
                return name if kind_name in declared else self.kind_plugin[kind_name]
            return self.extension_fields.get((kind_name, field_name))

        new: dict[tuple[str, str], str] = {}
        for extension in extensions:
            for field_name in extension.fields:
                key = (extension.kind, field_name)
                owner = owner_of(*key) or new.get(key)
                if owner:
                    raise ValueError(f"field {field_name!r} of activity kind {extension.kind!r} is declared by both "
                                     f"{owner!r} and {name!r}")
                new[key] = name
        for kind in kinds:  # a new kind against extensions declared before it
            for field_name in kind.schema._declared_fields:
                owner = self.extension_fields.get((kind.name, field_name))
                if owner:
                    raise ValueError(f"field {field_name!r} of activity kind {kind.name!r} is declared by both "
                                     f"{owner!r} and {name!r}")

    def check_references(self) -> None:
        """Warn about kinds read or extended that no loaded plugin declares (after everything loaded)."""
        for record in self.plugins.values():
            for kind in record.reads:
                if kind not in self.kinds:
                    self._warn(record.name, record.source, "unknown_read", kind,
                               f"reads activity kind {kind!r}, which no loaded plugin declares")
            for extension in record.extensions:
                if extension.kind not in self.kinds:
                    self._warn(record.name, record.source, "unknown_extension", extension.kind,
                               f"extends activity kind {extension.kind!r}, which no loaded plugin declares")

    def _declared_storage(self, name: str) -> PluginStorage | None:
        """The plugin's storage, checked (core/storage.py): its tables named ``<plugin>_…``, its scripts there."""
        declared = self._call_own("stdpolicy_register_storage", name)
        if not declared:
            return None
        taken = {table: owner for owner, storage in self.storage().items() for table in storage.metadata.tables}
        problems = check_storage(name, declared[0], taken)
        if problems:
            raise ValueError("storage: " + "; ".join(problems))
        return declared[0]

    @property
    def held_reasons(self) -> dict[str, Text]:
        """Every held reason the loaded plugins declare (``PluginDescription.held_reasons``), code → label, in load
        order; a code two plugins declare keeps the first plugin's label."""
        found: dict[str, Text] = {}
        for record in self.plugins.values():
            for code, label in record.description.held_reasons:
                found.setdefault(code, label)
        return found

    def demo_records(self) -> dict[str, list[dict[str, Any]]]:
        """Each loaded plugin's sample records for ``stdpolicy init --demo`` (``stdpolicy_demo_records``), by plugin."""
        found: dict[str, list[dict[str, Any]]] = {}
        for name in self.plugins:
            records: list[dict[str, Any]] = []
            for result in self._call_own("stdpolicy_demo_records", name):
                if not isinstance(result, (list, tuple)) or not all(isinstance(r, dict) for r in result):
                    raise TypeError(f"plugin {name}: stdpolicy_demo_records must return a list of records (dicts)")
                records.extend(result)
            if records:
                found[name] = records
        return found

    def _declared(self, hook_name: str, plugin_name: str, cls: type) -> list[Any]:
        items: list[Any] = []
        for result in self._call_own(hook_name, plugin_name):
            if not isinstance(result, (list, tuple)):
                raise TypeError(f"{hook_name} must return a list of {cls.__name__}, got {type(result).__name__}")
            for item in result:
                if not isinstance(item, cls):
                    raise TypeError(f"{hook_name} must return {cls.__name__} items, got {item!r}")
                items.append(item)
        return items

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP, only: Collection[str] | None = None) -> None:
        """Load every plugin of the entry-point group (or those named in ``only``): built-ins first, then by name."""
        found = sorted(
            ((ep, *_distribution(ep)) for ep in entry_points(group=group) if only is None or ep.name in only),
            key=lambda row: (row[1] != _BUILTIN_DIST, row[0].name),
        )
        seen: set[str] = set()
        for ep, dist, dist_version in found:
            builtin = dist == _BUILTIN_DIST
            source = "stdpolicy (built-in)" if builtin else f"{dist or 'unknown distribution'} {dist_version or ''}".strip()
            source = f"{source} [{ep.value}]"
            if ep.name in seen or ep.name in self.plugins:
                self._fail(ep.name, source, "import", "another plugin already uses this entry-point name")
                continue
            seen.add(ep.name)
            try:
                plugin = ep.load()
            except Exception as exc:
                self._fail(ep.name, source, "import", exc)
                continue
            version = getattr(plugin, "__version__", None) or dist_version
            self.add_plugin(ep.name, plugin, version=version, source=source, builtin=builtin)

    # -- declarations used by the admin and the CLI ------------------------------

    def admin_pages(self) -> dict[str, list[AdminPage]]:
        """Each plugin's admin pages (asked once; a plugin that raises is reported)."""
        if self._admin_pages is None:
            pages: dict[str, list[AdminPage]] = {}
            for name in list(self.plugins):
                try:
                    declared = self._declared("stdpolicy_register_admin_pages", name, AdminPage)
                except Exception as exc:
                    self._fail(name, self.plugins[name].source, "admin pages", exc)
                    continue
                if declared:
                    pages[name] = declared
            self._admin_pages = pages
        return self._admin_pages

    def api_endpoints(self) -> dict[str, list[ApiEndpoint]]:
        """Each plugin's JSON API endpoints (asked once; a plugin that raises, or repeats a path, is reported)."""
        if self._api_endpoints is None:
            endpoints: dict[str, list[ApiEndpoint]] = {}
            for name in list(self.plugins):
                try:
                    declared = self._declared("stdpolicy_register_api_endpoints", name, ApiEndpoint)
                    paths = [e.path for e in declared]
                    repeated = sorted({p for p in paths if paths.count(p) > 1})
                    if repeated:
                        raise ValueError(f"API endpoint paths declared twice: {', '.join(repeated)}")
                except Exception as exc:
                    self._fail(name, self.plugins[name].source, "API endpoints", exc)
                    continue
                if declared:
                    endpoints[name] = declared
            self._api_endpoints = endpoints
        return self._api_endpoints

    def register_commands(self, cli: Any) -> None:
        """Let each plugin add commands to the ``stdpolicy`` click group."""
        for name in list(self.plugins):
            try:
                self._call_own("stdpolicy_register_commands", name, cli=cli)
            except Exception as exc:
                self._fail(name, self.plugins[name].source, "commands", exc)

    def storage(self) -> dict[str, PluginStorage]:
        """The loaded plugins that keep tables of their own: name → storage, in loading order."""
        return {name: record.storage for name, record in self.plugins.items() if record.storage is not None}

    def figures(self, plugins: Collection[str] | None = None) -> list[tuple[str, DashboardFigure]]:
        return [
            (name, figure)
            for name, record in self.plugins.items()
            if plugins is None or name in plugins
            for figure in record.figures
        ]

    # -- validation and evaluation ---------------------------------------------

    def validate(self, records: Iterable[Any], parameters: ParameterResolver | None = None, *,
                 references: ReferenceResolver | None = None, workers: int = 1) -> ValidationReport:
        """Validate interchange records against the declared kinds.

        ``parameters`` (default: the shipped values) are what schemas check
        values against, such as a pilot's granted amount against its cap;
        ``references`` (default: the shipped versions) the reference tables
        they look values up in (``core.validation_reference``).
        ``workers`` > 1 validates a large list in that many forked processes
        (core/parallel.py; `stdpolicy evaluate --workers N` may, a web server must not).
        """
        return self.validator.validate(records, parameters or self.default_parameters(),
                                       references=references or self.default_references(), workers=workers)

    def default_parameters(self) -> ParameterResolver:
        """The shipped parameter values, for evaluation without a database."""
        return ParameterResolver.from_defaults(self.parameters)

    def default_references(self, *, demo: bool = False) -> ReferenceResolver:
        """The shipped versions of the reference tables (and the samples, with ``demo``), without a database."""
        return ReferenceResolver.from_shipped(self.reference_tables, demo=demo)

    def evaluate_callers(self, plugins: Collection[str] | None = None) -> list[tuple[str, pluggy.HookCaller]]:
        """One ``stdpolicy_evaluate`` caller per plugin of ``plugins`` (``None``: all), in pluggy's call order.

        Each is a pluggy ``subset_hook_caller`` holding that plugin's
        implementation and the wrappers of the plugins in ``plugins``: the
        plugins are called one at a time (one raising cannot take the
        others' outcomes with it), wrappers wrap each call, and pluggy's
        tracing sees every call. Cached per set of plugins, so a
        department's enablement change takes effect on the next evaluation.
        """
        enabled = frozenset(self.plugins if plugins is None else (set(plugins) & set(self.plugins)))
        callers = self._callers.get(enabled)
        if callers is None:
            impls = self.pm.hook.stdpolicy_evaluate.get_hookimpls()
            wrappers = {impl.plugin_name for impl in impls if _wraps(impl) and impl.plugin_name in enabled}
            registered = self.pm.list_name_plugin()
            callers = []
            for impl in reversed(impls):  # pluggy's own call order
                name = impl.plugin_name
                if name not in enabled or _wraps(impl):
                    continue
                keep = wrappers | {name}
                removed = [plugin for other, plugin in registered if other not in keep and plugin is not None]
                callers.append((name, self.pm.subset_hook_caller("stdpolicy_evaluate", removed)))
            self._callers[enabled] = callers
        return callers

    def evaluate(
        self,
        activities: Iterable[Activity],
        context: EvaluationContext | None = None,
        *,
        plugins: Collection[str] | None = None,
    ) -> EvaluationResult:
        """Evaluate validated activities with the enabled plugins.

        Each plugin is called on its own (``evaluate_callers``): pluggy's
        multicall stops at the first exception, and one failing plugin must
        not take the others' outcomes with it. A plugin that raises gets an
        error outcome on each activity that makes it raise.
        """
        with paused_gc():  # core/gcpause.py: measured 40 % of the time for 100,000 activities
            return self._evaluate(activities, context, plugins)

    def _evaluate(self, activities: Iterable[Activity], context: EvaluationContext | None,
                  plugins: Collection[str] | None) -> EvaluationResult:
        batch = activities if isinstance(activities, Batch) else Batch(activities)
        if context is None:
            context = EvaluationContext(parameters=self.default_parameters(), references=self.default_references())
        result = EvaluationResult()
        for name, caller in self.evaluate_callers(plugins):
            record = self.plugins[name]
            context.plugin = name
            try:
                stamped = _stamp(_flatten(caller(batch=batch, context=context)), name, record.version, batch)
            except Exception as exc:
                log.exception("stdpolicy plugin %r failed during evaluation; finding the activities that make it fail", name)
                stamped = self._isolate(caller, record, batch, context, exc, result)
            result.extend(stamped)
        context.plugin = None
        return result

    def _isolate(self, caller: pluggy.HookCaller, record: PluginRecord, batch: Batch, context: EvaluationContext,
                 exc: Exception, result: EvaluationResult) -> list[Outcome]:
        """The outcomes of a plugin that raised on ``batch``, with the failure kept to the activities that cause it.

        Bisection finds them (``_Bisection``). Those that raise on their own
        (or, when only a group raises together, one of the group without
        which the rest pass) get an error outcome; the plugin then runs once more on the batch without them, so
        every other activity gets exactly the outcomes it would get had they
        not been in the input. Only a failing plugin pays for this; the usual
        path is one call per plugin.
        """
        name, version = record.name, record.version

        def run(activities: list[Activity]) -> list[Outcome]:
            part = Batch(activities)
            return _stamp(_flatten(caller(batch=part, context=context)), name, version, part)

        evaluated = record.evaluates
        affected = batch.of_kind(*evaluated) if evaluated else list(batch)
        bisection = _Bisection(run, len(batch))
        failed: dict[int, tuple[Activity, str]] = {}
        remaining = list(batch)
        error = _error_text(exc)
        outcomes: list[Outcome] = []
        while True:
            candidates = [a for a in affected if id(a) not in failed]
            if not candidates:  # it raises without any activity of its kinds: nothing of it to keep
                outcomes = []
                break
            # Those that raise on their own; else one without which the rest may
            # not raise (two records that raise only together); else all of them.
            found = bisection.culprits(candidates, error) or bisection.necessary(candidates, error) \
                or [(a, error) for a in candidates]
            for activity, text in found:
                failed[id(activity)] = (activity, text)
            remaining = [a for a in remaining if id(a) not in failed]
            if not remaining:
                break
            try:
                outcomes = run(remaining)
                break
            except Exception as again:  # without those, another failure shows
                error = _error_text(again)
        result.failures[record.name] = next(iter(failed.values()))[1] if failed else error
        log.error("stdpolicy plugin %r failed on %d of %d activities (%s)", name, len(failed), len(affected),
                  ", ".join(a.ref for a, _ in list(failed.values())[:10]))
        return outcomes + [_error_outcome(activity, name, version, text) for activity, text in failed.values()]


class _Bisection:
    """Finds the activities a plugin raises on, by running it on halves of halves.

    One culprit among n activities costs about 2n activities evaluated in
    2·log2(n) calls; a plugin that raises on every activity, n·log2(n) in 2n
    calls. A budget bounds that (at most ``MAX_CALLS`` calls and 20 passes
    over the batch); once spent, a part still undecided fails as a whole.
    When no part raises on its own, ``necessary`` finds the shortest
    leading part that raises: its last activity is one the failure needs.
    """

    MAX_CALLS = 2000
    PASSES = 20

    def __init__(self, run: Callable[[list[Activity]], Any], size: int) -> None:
        self._run = run
        self.calls = 0
        self.work = 0
        self.max_work = self.PASSES * max(size, 1)

    def raises(self, activities: list[Activity]) -> str | None:
        """The error ``run`` raises on ``activities`` (``None``: it does not; ``_UNDECIDED``: budget spent)."""
        if self.calls >= self.MAX_CALLS or self.work >= self.max_work:
            return _UNDECIDED
        self.calls += 1
        self.work += len(activities)
        try:
            self._run(activities)
        except Exception as exc:
            return _error_text(exc)
        return None

    def culprits(self, activities: list[Activity], error: str) -> list[tuple[Activity, str]]:
        """Those of ``activities`` (known to raise together with ``error``) that raise, each with its error.

        Empty when no part raises on its own.
        """
        if len(activities) == 1:
            own = self.raises(activities)
            return [(activities[0], error if own == _UNDECIDED else own)] if own else []
        middle = len(activities) // 2
        found: list[tuple[Activity, str]] = []
        for half in (activities[:middle], activities[middle:]):
            own = self.raises(half)
            if own is None:
                continue
            text = error if own == _UNDECIDED else own
            if len(half) == 1:
                found.append((half[0], text))
            else:
                found.extend(self.culprits(half, text) or [(a, text) for a in half])
        return found

    def necessary(self, activities: list[Activity], error: str) -> list[tuple[Activity, str]]:
        """One activity without which the failure of ``activities`` together needs not happen
        (the last of the shortest leading part that raises); empty when none is found."""
        if self.raises(activities) in (None, _UNDECIDED):
            return []
        low, high = 1, len(activities)  # activities[:high] raises
        text = error
        while low < high:
            middle = (low + high) // 2
            own = self.raises(activities[:middle])
            if own == _UNDECIDED:
                return []
            if own is None:
                low = middle + 1
            else:
                high, text = middle, own
        return [(activities[high - 1], text)]


#: What ``_Bisection.raises`` answers once its budget is spent (no real error reads so).
_UNDECIDED = "?"


def _wraps(impl: Any) -> bool:
    """Whether a pluggy hook implementation is a wrapper (new or old style)."""
    return bool(impl.wrapper or impl.hookwrapper)


def _flatten(results: list[Any]) -> Any:
    """A plugin's outcomes from what its pluggy caller returned (one result per implementation called)."""
    if len(results) == 1:
        return results[0] or []
    return [outcome for found in results if found for outcome in found]


#: Files whose frames are core's or pluggy's own, not the plugin's: skipped to find where a plugin's error was raised.
_NOT_THE_PLUGIN = (
    str(Path(__file__).resolve().parent) + "/",
    str(Path(pluggy.__file__).resolve().parent) + "/",
)


def _where(exc: BaseException) -> str | None:
    """``path:line`` of the plugin's code that raised ``exc`` (the innermost frame that is not core's,
    pluggy's or the import system's); a syntax error's own file and line."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{exc.filename}:{exc.lineno}"
    found = None
    for frame in traceback.extract_tb(exc.__traceback__):
        name = frame.filename
        if name.startswith("<frozen ") or "/importlib/" in name or Path(name).resolve().as_posix().startswith(_NOT_THE_PLUGIN):
            continue
        found = f"{name}:{frame.lineno}"
    return found


def _error_text(exc: BaseException) -> str:
    return safe_text(f"{type(exc).__name__}: {exc}")[:500]


def _stamp(outcomes: Any, name: str, version: str, batch: Batch) -> list[Outcome]:
    """A plugin's result (what its hook returned: checked here) as outcomes stamped with its name and version.

    An outcome unfit to store or write (``Outcome.problem``: details JSON
    cannot hold, an explanation that is not a ``Text``, a held outcome with an
    amount …) would fail later, where it is stored or written, and take every
    other plugin's outcomes with it: it raises here instead, so that the
    plugin's failure is kept to the activities that cause it (``_isolate``).
    So is an outcome for an activity not in ``batch``: its amount would count
    in the totals of an input that does not hold it.
    """
    stamped: list[Outcome] = list(outcomes)
    for outcome in stamped:
        if type(outcome) is not Outcome:
            raise TypeError(f"stdpolicy_evaluate returned {outcome!r}, not an Outcome")
        if not batch.holds(outcome.activity):
            raise TypeError(f"stdpolicy_evaluate returned an outcome for {outcome.activity!r}, which is not one of "
                            "the batch's activities (the very objects the batch holds)")
        problem = outcome.problem()
        if problem is not None:
            raise TypeError(f"stdpolicy_evaluate returned an outcome that cannot be stored ({problem})")
        outcome.plugin = name
        outcome.plugin_version = version
    return stamped


def _error_outcome(activity: Activity, plugin: str, version: str, error: str) -> Outcome:
    outcome = Outcome(
        activity, ERROR_RULE, 0, "",
        Text(f"插件 {plugin} 评估出错,未给出结果:{error}", f"plugin {plugin} failed; no result: {error}"),
        status="error",
        details={"error": error},
    )
    outcome.plugin = plugin
    outcome.plugin_version = version
    return outcome


def _distribution(ep: EntryPoint) -> tuple[str | None, str | None]:
    """The name and version of the distribution that declares ``ep``, from its metadata's headers only.

    ``Distribution.name`` and ``.version`` parse the whole metadata file,
    long description included, each time they are asked: for the five
    built-in plugins that was a fiftieth of a second of every start-up
    (issue #13). The headers end at the first empty line.
    """
    dist = ep.dist
    if dist is None:
        return None, None
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO")
    if not text:
        return dist.name, dist.version
    headers = HeaderParser().parsestr(text.split("\n\n", 1)[0] + "\n")
    return headers.get("Name"), headers.get("Version")


def load_registry(
    *,
    entry_points_group: str | None = ENTRY_POINT_GROUP,
    plugins: Iterable[tuple[str, object]] = (),
    only: Collection[str] | None = None,
) -> Registry:
    """Discover and load plugins.

    :param entry_points_group: the group to discover (``None``: none).
    :param plugins: extra ``(name, plugin)`` pairs registered in code, after
        the discovered ones (tests, embedding applications).
    :param only: load only the discovered plugins of these names (the test
        kit's chosen plugins); ``None``: every one.
    """
    registry = Registry()
    if entry_points_group:
        registry.load_entry_points(entry_points_group, only)
    for name, plugin in plugins:
        registry.add_plugin(name, plugin)
    registry.check_references()
    return registry

