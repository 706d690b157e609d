"""Plugin discovery, start-up checks, and evaluation through pluggy.

``load_registry()`` finds every plugin of the ``stdpolicy.plugins``
entry-point group (the built-in ones are registered there too), registers it
with pluggy, validates its hook implementations, and collects its
declarations. A plugin that fails at any step (import error, a hook that
does not match its specification, bad or clashing declarations) is recorded
in ``Registry.failures`` with the reason and left out; start-up goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import pluggy

from . import hookspecs
from .activities import Activity, ActivityValidator, ValidationReport
from .declarations import (
    ActivityKind,
    AdminPage,
    DashboardFigure,
    ParameterDeclaration,
    PluginDescription,
)
from .evaluation import Batch, EvaluationContext, EvaluationResult
from .gcpause import paused_gc
from .hooks import PROJECT
from .outcomes import ERROR_RULE, Outcome
from .parameters import ParameterResolver
from .screening import safe_text
from .text import Text

__all__ = ["ENTRY_POINT_GROUP", "PluginFailure", "PluginRecord", "Registry", "load_registry"]

ENTRY_POINT_GROUP = "stdpolicy.plugins"
_BUILTIN_DIST = "stdpolicy"

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
    kinds: list[str] = field(default_factory=list)
    parameters: list[str] = field(default_factory=list)
    figures: list[DashboardFigure] = field(default_factory=list)


@dataclass(frozen=True)
class PluginFailure:
    """A plugin that was found but not loaded, and why."""

    name: str
    source: str
    stage: str  # "import", "hooks", "declarations", "admin pages", "commands"
    error: str


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
        self.kinds: dict[str, ActivityKind] = {}
        self.kind_plugin: dict[str, str] = {}
        self.parameters: dict[str, ParameterDeclaration] = {}
        self.parameter_plugin: dict[str, str] = {}
        self.validator = ActivityValidator(self.kinds)
        self._callers: dict[frozenset[str], pluggy.HookCaller] = {}
        self._admin_pages: dict[str, list[AdminPage]] | None = None

    # -- loading -------------------------------------------------------------

    def add_plugin(self, name: str, plugin: object, *, version: str | None = None,
                   source: str = "registered in code", builtin: bool = False) -> bool:
        """Register one plugin object under ``name``; ``False`` if it failed."""
        try:
            self.pm.register(plugin, name=name)
        except Exception as exc:  # PluginValidationError, duplicate name …
            self._fail(name, source, "hooks", exc)
            return False
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            # A hook implementation named stdpolicy_* with no such specification.
            self.pm.unregister(name=name)
            self._fail(name, source, "hooks", exc)
            return False
        try:
            record = self._collect(name, plugin, version, source, builtin)
        except Exception as exc:
            self.pm.unregister(name=name)
            self._fail(name, source, "declarations", exc)
            return False
        self.plugins[name] = record
        self._callers.clear()
        self._admin_pages = None
        return True

    def _fail(self, name: str, source: str, stage: str, exc: BaseException | str) -> None:
        error = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
        log.error("stdpolicy plugin %r (%s) not loaded at %s: %s", name, source, stage, error)
        self.failures.append(PluginFailure(name, source, stage, error))

    def _impls(self, hook_name: str, plugin_name: str) -> list[Any]:
        caller = getattr(self.pm.hook, hook_name)
        return [impl for impl in caller.get_hookimpls() if impl.plugin_name == plugin_name]

    def _call_own(self, hook_name: str, plugin_name: str, **kwargs: Any) -> list[Any]:
        """Call one plugin's implementation(s) of a hook, results in a list."""
        results = []
        for impl in self._impls(hook_name, plugin_name):
            result = impl.function(*[kwargs[arg] for arg in impl.argnames])
            if result is not None:
                results.append(result)
        return results

    def _collect(self, name: str, plugin: object, version: str | None, source: str, builtin: bool) -> PluginRecord:
        described = self._call_own("stdpolicy_describe_plugin", name)
        if described:
            description = described[0]
            if not isinstance(description, PluginDescription):
                raise TypeError(f"stdpolicy_describe_plugin must return a PluginDescription, got {description!r}")
        else:
            description = PluginDescription(Text(name, name), Text("", ""))

        kinds = self._declared("stdpolicy_register_activity_kinds", name, ActivityKind)
        params = self._declared("stdpolicy_register_parameters", name, ParameterDeclaration)
        figures = self._declared("stdpolicy_register_dashboard_figures", name, DashboardFigure)

        # Check everything before adding anything: a plugin loads whole or not at all.
        seen: set[str] = set()
        for kind in kinds:
            owner = self.kind_plugin.get(kind.name) or (name if kind.name in seen else None)
            if owner:
                raise ValueError(f"activity kind {kind.name!r} is declared by both {owner!r} and {name!r}")
            seen.add(kind.name)
        seen.clear()
        for decl in params:
            if decl.plugin_prefix != name:
                raise ValueError(f"parameter {decl.key!r} must start with the plugin name: {name}.…")
            owner = self.parameter_plugin.get(decl.key) or (name if decl.key in seen else None)
            if owner:
                raise ValueError(f"parameter {decl.key!r} is declared by both {owner!r} and {name!r}")
            seen.add(decl.key)

        for kind in kinds:
            self.kinds[kind.name] = kind
            self.kind_plugin[kind.name] = name
        for decl in params:
            self.parameters[decl.key] = decl
            self.parameter_plugin[decl.key] = name
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
        )

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

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> None:
        """Load every plugin of the entry-point group: built-ins first, then by name."""
        found = sorted(
            entry_points(group=group),
            key=lambda ep: (_dist_name(ep) != _BUILTIN_DIST, ep.name),
        )
        seen: set[str] = set()
        for ep in found:
            dist = _dist_name(ep)
            builtin = dist == _BUILTIN_DIST
            dist_version = ep.dist.version if ep.dist is not None else None
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

    def register_commands(self, cli: Any) -> None:
        """Let each plugin add commands to the ``stdpolicy`` click group."""
        for name in list(self.plugins):
            try:
                self._call_own("stdpolicy_register_commands", name, cli=cli)
            except Exception as exc:
                self._fail(name, self.plugins[name].source, "commands", exc)

    def figures(self, plugins: Collection[str] | None = None) -> list[tuple[str, DashboardFigure]]:
        return [
            (name, figure)
            for name, record in self.plugins.items()
            if plugins is None or name in plugins
            for figure in record.figures
        ]

    # -- validation and evaluation ---------------------------------------------

    def validate(self, records: Iterable[Any], parameters: ParameterResolver | None = None, *,
                 workers: int = 1) -> ValidationReport:
        """Validate interchange records against the declared kinds.

        ``parameters`` (default: the shipped values) are what schemas check
        values against, such as a pilot's granted amount against its cap.
        ``workers`` > 1 validates a large list in that many forked processes
        (core/parallel.py; `stdpolicy evaluate --workers N` may, a web server must not).
        """
        return self.validator.validate(records, parameters or self.default_parameters(), workers=workers)

    def default_parameters(self) -> ParameterResolver:
        """The shipped parameter values, for evaluation without a database."""
        return ParameterResolver.from_defaults(self.parameters)

    def evaluate_caller(self, plugins: Collection[str] | None = None) -> pluggy.HookCaller:
        """The ``stdpolicy_evaluate`` caller restricted to ``plugins`` (``None``: all).

        Built with pluggy's ``subset_hook_caller`` and cached per set of
        enabled plugins, so a department's enablement change takes effect on
        the next evaluation.
        """
        enabled = frozenset(self.plugins if plugins is None else (set(plugins) & set(self.plugins)))
        caller = self._callers.get(enabled)
        if caller is None:
            removed = [self.pm.get_plugin(name) for name in self.plugins if name not in enabled]
            caller = self._callers[enabled] = self.pm.subset_hook_caller("stdpolicy_evaluate", removed)
        return caller

    def evaluate(
        self,
        activities: Iterable[Activity],
        context: EvaluationContext | None = None,
        *,
        plugins: Collection[str] | None = None,
    ) -> EvaluationResult:
        """Evaluate validated activities with the enabled plugins.

        Each plugin's implementation is called on its own: pluggy's multicall
        stops at the first exception, and one failing plugin must not take
        the others' outcomes with it. A plugin that raises gets an error
        outcome on each activity of its kinds.
        """
        with paused_gc():  # core/gcpause.py: measured 40 % of the time for 100,000 activities
            return self._evaluate(activities, context, plugins)

    def _evaluate(self, activities: Iterable[Activity], context: EvaluationContext | None,
                  plugins: Collection[str] | None) -> EvaluationResult:
        batch = activities if isinstance(activities, Batch) else Batch(activities)
        if context is None:
            context = EvaluationContext(parameters=self.default_parameters())
        result = EvaluationResult()
        caller = self.evaluate_caller(plugins)
        arguments: dict[str, Any] = {"batch": batch, "context": context}
        for impl in reversed(caller.get_hookimpls()):  # pluggy's own call order
            name = impl.plugin_name
            record = self.plugins[name]
            context.plugin = name
            try:
                outcomes = impl.function(*[arguments[arg] for arg in impl.argnames]) or []
                stamped = _stamp(outcomes, name, record.version)
            except Exception as exc:
                log.exception("stdpolicy plugin %r failed during evaluation; finding the activities that make it fail", name)
                stamped = self._isolate(impl, record, batch, context, exc, result)
            result.extend(stamped)
        context.plugin = None
        return result

    def _isolate(self, impl: Any, record: PluginRecord, batch: Batch, context: EvaluationContext,
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
            arguments = {"batch": Batch(activities), "context": context}
            return _stamp(impl.function(*[arguments[arg] for arg in impl.argnames]) or [], name, version)

        affected = batch.of_kind(*record.kinds) if record.kinds else list(batch)
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


def _error_text(exc: BaseException) -> str:
    return safe_text(f"{type(exc).__name__}: {exc}")[:500]


def _stamp(outcomes: Any, name: str, version: str) -> list[Outcome]:
    """A plugin's result (what its hook returned: checked here) as outcomes stamped with its name and version."""
    stamped: list[Outcome] = list(outcomes)
    for outcome in stamped:
        if type(outcome) is not Outcome:
            raise TypeError(f"stdpolicy_evaluate returned {outcome!r}, not an Outcome")
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


def _dist_name(ep: EntryPoint) -> str | None:
    return ep.dist.name if ep.dist is not None else None


def load_registry(
    *,
    entry_points_group: str | None = ENTRY_POINT_GROUP,
    plugins: Iterable[tuple[str, object]] = (),
) -> Registry:
    """Discover and load plugins.

    :param entry_points_group: the group to discover (``None``: none).
    :param plugins: extra ``(name, plugin)`` pairs registered in code, after
        the discovered ones (tests, embedding applications).
    """
    registry = Registry()
    if entry_points_group:
        registry.load_entry_points(entry_points_group)
    for name, plugin in plugins:
        registry.add_plugin(name, plugin)
    return registry

