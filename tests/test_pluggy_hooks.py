"""Every hook through pluggy: wrappers, tracing, load warnings, load failures with file and line, the hook API range.

(core/registry.py; the plugins here are small in-code ones, or modules
written to a temporary site directory and discovered through a real entry
point, as an installed distribution would be.)
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from marshmallow import Schema, fields

from core import HOOK_API_VERSION, ActivityKind, Outcome, PluginDescription, Registry, Text, hookimpl, load_registry
from core.outcomes import ERROR_RULE

from conftest import PROJECT_PLUGINS

CODE = "913304007429141869"


class NoteSchema(Schema):
    note = fields.String(load_default=None)


def record(ref: str, kind: str, **own) -> dict:
    return {"id": ref, "kind": kind, "date": "2024-03-01", "credit_code": CODE, **own}


LEAD = {"id": "S1", "kind": "standard_drafting", "date": "2025-06-20", "credit_code": CODE,
        "standard_code": "GB/T 45123-2025", "rank": 1}


class Flat:
    """Pays ``amount`` for each activity of its kind; raises on a note reading "boom"."""

    def __init__(self, kind: str, amount: int) -> None:
        self.kind, self.amount = kind, amount

    @hookimpl
    def stdpolicy_describe_plugin(self) -> PluginDescription:
        return PluginDescription(Text(self.kind, self.kind), Text("", ""), api=">=1.0,<2")

    @hookimpl
    def stdpolicy_register_activity_kinds(self) -> list[ActivityKind]:
        return [ActivityKind(self.kind, Text(self.kind, self.kind), NoteSchema)]

    @hookimpl
    def stdpolicy_evaluate(self, batch, context) -> list[Outcome]:
        out = []
        for activity in batch.of_kind(self.kind):
            if activity.fields.get("note") == "boom":
                raise RuntimeError(f"cannot evaluate {activity.ref}")
            out.append(Outcome(activity, "F1", self.amount, "三(二)", Text("固定", "flat")))
        return out


class Wrapper:
    """A new-style wrapper: sees each plugin's call and marks every outcome it lets through."""

    def __init__(self) -> None:
        self.seen: list[str | None] = []

    @hookimpl
    def stdpolicy_describe_plugin(self) -> PluginDescription:
        return PluginDescription(Text("审核", "Review"), Text("", ""), api=">=1.0,<2")

    @hookimpl(wrapper=True)
    def stdpolicy_evaluate(self, batch, context):
        self.seen.append(context.plugin)
        results = yield
        for outcomes in results:
            for outcome in outcomes:
                outcome.details = {**(outcome.details or {}), "reviewed": True}
        return results


class OldStyleWrapper:
    """An old-style ``hookwrapper=True`` that only counts the calls it wraps."""

    def __init__(self) -> None:
        self.calls = 0

    @hookimpl(hookwrapper=True)
    def stdpolicy_evaluate(self, batch, context):
        self.calls += 1
        outcome = yield
        assert isinstance(outcome.get_result(), list)


def _registry(*plugins: tuple[str, object]) -> Registry:
    registry = load_registry(entry_points_group=None, plugins=plugins)
    assert registry.failures == []
    return registry


# -- wrappers ----------------------------------------------------------------------------


def test_a_new_style_wrapper_wraps_every_plugins_call_and_outcomes_stay_right() -> None:
    wrapper = Wrapper()
    registry = _registry(("a", Flat("a_thing", 10)), ("b", Flat("b_thing", 20)), ("review", wrapper))
    activities = registry.validate([record("A1", "a_thing"), record("B1", "b_thing")]).valid

    result = registry.evaluate(activities)

    assert sorted((o.plugin, o.activity.ref, o.amount, o.status) for o in result.outcomes) == [
        ("a", "A1", 10, "ok"), ("b", "B1", 20, "ok")]
    assert all(o.details == {"reviewed": True} for o in result.outcomes)
    assert sorted(wrapper.seen) == ["a", "b"]  # one wrapped call per evaluating plugin
    assert result.failures == {}
    assert "review" not in {o.plugin for o in result.outcomes}  # a wrapper evaluates nothing of its own


def test_an_old_style_hookwrapper_works_too() -> None:
    wrapper = OldStyleWrapper()
    registry = _registry(("a", Flat("a_thing", 10)), ("count", wrapper))
    activities = registry.validate([record("A1", "a_thing")]).valid

    result = registry.evaluate(activities)

    assert [(o.plugin, o.amount, o.status) for o in result.outcomes] == [("a", 10, "ok")]
    assert wrapper.calls == 1


def test_a_wrapper_of_a_plugin_not_enabled_does_not_wrap() -> None:
    wrapper = Wrapper()
    registry = _registry(("a", Flat("a_thing", 10)), ("review", wrapper))
    activities = registry.validate([record("A1", "a_thing")]).valid

    result = registry.evaluate(activities, plugins=["a"])

    assert [o.details for o in result.outcomes] == [None]
    assert wrapper.seen == []
    assert registry.evaluate(activities, plugins=["a", "review"]).outcomes[0].details == {"reviewed": True}


def test_a_wrapped_plugin_that_raises_on_one_activity_fails_on_that_one_only() -> None:
    registry = _registry(("a", Flat("a_thing", 10)), ("review", Wrapper()))
    activities = registry.validate([record("A1", "a_thing"), record("A2", "a_thing", note="boom"),
                                    record("A3", "a_thing")]).valid

    result = registry.evaluate(activities)

    by_ref = {o.activity.ref: o for o in result.outcomes}
    assert (by_ref["A2"].rule, by_ref["A2"].status) == (ERROR_RULE, "error")
    assert "RuntimeError: cannot evaluate A2" in by_ref["A2"].explanation_en
    assert [(by_ref[r].amount, by_ref[r].details) for r in ("A1", "A3")] == [(10, {"reviewed": True})] * 2
    assert result.failures == {"a": "RuntimeError: cannot evaluate A2"}


def test_a_wrapper_that_raises_fails_the_calls_it_wraps_not_the_evaluation() -> None:
    class Broken:
        @hookimpl(wrapper=True)
        def stdpolicy_evaluate(self, batch, context):
            yield
            raise LookupError("review service down")

    registry = _registry(("a", Flat("a_thing", 10)), ("broken", Broken()))
    activities = registry.validate([record("A1", "a_thing"), LEAD]).valid

    result = registry.evaluate(activities)

    [error] = result.outcomes
    assert (error.plugin, error.activity.ref, error.status) == ("a", "A1", "error")
    assert "LookupError: review service down" in error.explanation_en
    assert result.failures == {"a": "LookupError: review service down"}


def test_a_plugin_that_both_wraps_and_evaluates_is_refused_with_a_clear_message() -> None:
    class Both(Flat):
        @hookimpl(wrapper=True, specname="stdpolicy_evaluate")
        def around(self, batch, context):
            return (yield)

    registry = Registry()
    assert registry.add_plugin("both", Both("both_thing", 1)) is False
    [failure] = registry.failures
    assert (failure.name, failure.stage) == ("both", "hooks")
    assert "either wraps evaluation" in failure.error
    assert registry.pm.get_plugin("both") is None


# -- pluggy sees every call -----------------------------------------------------------------


def test_pluggy_monitoring_sees_every_declaration_and_evaluation_call() -> None:
    registry = Registry()
    calls: list[tuple[str, list[str]]] = []
    registry.pm.add_hookcall_monitoring(
        lambda hook, impls, kwargs: calls.append((hook, [impl.plugin_name for impl in impls])),
        lambda outcome, hook, impls, kwargs: None,
    )
    assert registry.add_plugin("a", Flat("a_thing", 10))
    assert registry.add_plugin("b", Flat("b_thing", 20))
    registry.admin_pages()
    activities = registry.validate([record("A1", "a_thing"), record("B1", "b_thing")]).valid
    calls_before = len(calls)
    registry.evaluate(activities)

    declarations = [(hook, names) for hook, names in calls[:calls_before] if hook != "stdpolicy_register_admin_pages"]
    for name in ("a", "b"):
        for hook in ("stdpolicy_describe_plugin", "stdpolicy_register_activity_kinds",
                     "stdpolicy_register_kind_extensions", "stdpolicy_register_parameters",
                     "stdpolicy_register_dashboard_figures"):
            assert (hook, [name] if hook in ("stdpolicy_describe_plugin", "stdpolicy_register_activity_kinds") else []) \
                in declarations, (hook, name)
    assert ("stdpolicy_register_admin_pages", []) in calls[:calls_before]
    # Evaluation: one call per plugin, each holding that plugin's implementation alone.
    assert calls[calls_before:] == [("stdpolicy_evaluate", ["b"]), ("stdpolicy_evaluate", ["a"])]


def test_pluggy_tracing_writes_each_evaluation_call() -> None:
    registry = _registry(("a", Flat("a_thing", 10)))
    lines: list[str] = []
    registry.pm.trace.root.setwriter(lines.append)
    undo = registry.pm.enable_tracing()
    try:
        registry.evaluate(registry.validate([record("A1", "a_thing")]).valid)
    finally:
        undo()
    assert any("stdpolicy_evaluate" in line for line in lines)


# -- warnings at load ---------------------------------------------------------------------


def test_a_stdpolicy_function_without_hookimpl_is_a_warning_naming_it() -> None:
    class Forgetful(Flat):
        def stdpolicy_register_parameters(self):  # @hookimpl forgotten: never called
            return []

    registry = load_registry(entry_points_group=None, plugins=[("forgetful", Forgetful("f_thing", 1))])

    assert registry.failures == []
    assert "forgetful" in registry.plugins  # it loads: the rest of it is fine
    [warning] = registry.warnings
    assert (warning.name, warning.code, warning.subject) == ("forgetful", "unmarked_hook", "stdpolicy_register_parameters")
    assert "stdpolicy_register_parameters is not marked @hookimpl" in warning.message


def test_a_module_plugin_with_an_unmarked_hook_is_warned_about_too(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "stdpolicy_unmarked.py").write_text(textwrap.dedent("""
        from core import hookimpl, PluginDescription, Text

        @hookimpl
        def stdpolicy_describe_plugin():
            return PluginDescription(Text("x", "x"), Text("", ""), api=">=1.0")

        def stdpolicy_evaluate(batch, context):
            return []
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    import stdpolicy_unmarked

    try:
        registry = load_registry(entry_points_group=None, plugins=[("unmarked", stdpolicy_unmarked)])
    finally:
        sys.modules.pop("stdpolicy_unmarked", None)
    assert [(w.code, w.subject) for w in registry.warnings] == [("unmarked_hook", "stdpolicy_evaluate")]


def test_a_plugin_without_an_api_range_gets_a_warning_and_loads() -> None:
    class Plain:
        @hookimpl
        def stdpolicy_register_activity_kinds(self):
            return [ActivityKind("plain_thing", Text("p", "p"), NoteSchema)]

    registry = load_registry(entry_points_group=None, plugins=[("plain", Plain())])

    assert "plain" in registry.plugins and registry.failures == []
    [warning] = registry.warnings
    assert (warning.name, warning.code, warning.subject) == ("plain", "no_api", HOOK_API_VERSION)
    assert f"core's hook API is {HOOK_API_VERSION}" in warning.message


def test_the_built_in_plugins_declare_their_api_range_and_warn_about_nothing() -> None:
    registry = load_registry(only=PROJECT_PLUGINS)
    assert registry.plugins["reward_tiers"].description.api == ">=1.0,<2"
    assert [w for w in registry.warnings if w.name == "reward_tiers"] == []


# -- the hook API range -------------------------------------------------------------------


class Future(Flat):
    def __init__(self, api: str) -> None:
        super().__init__("future_thing", 1)
        self.api = api

    @hookimpl
    def stdpolicy_describe_plugin(self) -> PluginDescription:
        return PluginDescription(Text("未来", "Future"), Text("", ""), api=self.api)


def test_a_plugin_written_for_another_hook_api_is_refused_naming_both_versions() -> None:
    import core

    registry = load_registry(entry_points_group=None, plugins=[("future", Future(">=2.0,<3"))])

    [failure] = registry.failures
    assert (failure.name, failure.stage) == ("future", "api")
    assert failure.error == (f"written for hook API >=2.0,<3, but stdpolicy {core.__version__} has hook API "
                             f"{HOOK_API_VERSION}: install a version of the plugin made for it")
    assert failure.kinds == ("future_thing",)
    assert "future" not in registry.plugins and registry.pm.get_plugin("future") is None
    assert "future_thing" not in registry.kinds


@pytest.mark.parametrize("api", [">=1.0,<2", ">=1", "~=1.0", "==1.*"])
def test_a_plugin_whose_api_range_holds_core_loads(api: str) -> None:
    registry = load_registry(entry_points_group=None, plugins=[("future", Future(api))])
    assert registry.failures == [] and registry.warnings == []
    assert "future" in registry.plugins


def test_an_api_range_that_is_not_a_range_is_refused() -> None:
    registry = load_registry(entry_points_group=None, plugins=[("future", Future("version one"))])
    [failure] = registry.failures
    assert failure.stage == "api" and "'version one' is not a version range" in failure.error


# -- failures at load: file, line, traceback; records of their kinds --------------------


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "site"
    path.mkdir()
    monkeypatch.syspath_prepend(str(path))
    yield path
    for module in [m for m in sys.modules if m.startswith("stdpolicy_broken")]:
        del sys.modules[module]


def _install(site: Path, name: str, module: str, source: str) -> Path:
    path = site / f"{module}.py"
    path.write_text(textwrap.dedent(source).lstrip(), encoding="utf-8")
    info = site / f"{module}-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[stdpolicy.plugins]\n{name} = {module}\n", encoding="utf-8")
    return path


def test_an_import_failure_names_the_file_and_line_and_keeps_the_traceback(site: Path) -> None:
    path = _install(site, "broken", "stdpolicy_broken", """
        from core import hookimpl

        LIMITS = {"national": 1}
        LIMITS["provincial"] += 1
    """)

    registry = load_registry()

    [failure] = registry.failures
    assert (failure.name, failure.stage, failure.error) == ("broken", "import", "KeyError: 'provincial'")
    assert failure.where == f"{path}:4"
    assert failure.traceback is not None and 'LIMITS["provincial"] += 1' in failure.traceback
    assert failure.traceback.rstrip().endswith("KeyError: 'provincial'")


def test_an_import_of_a_missing_dependency_names_the_plugins_import_line(site: Path) -> None:
    path = _install(site, "broken", "stdpolicy_broken", """
        '''A plugin that needs a library nobody installed.'''

        import stdpolicy_no_such_library
    """)

    [failure] = load_registry().failures
    assert failure.error == "ModuleNotFoundError: No module named 'stdpolicy_no_such_library'"
    assert failure.where == f"{path}:3"


def test_a_syntax_error_names_its_file_and_line(site: Path) -> None:
    path = _install(site, "broken", "stdpolicy_broken", """
        from core import hookimpl

        def stdpolicy_evaluate(batch, context)
            return []
    """)

    [failure] = load_registry().failures
    assert failure.error.startswith("SyntaxError")
    assert failure.where == f"{path}:3"


def test_a_declaration_hook_that_raises_names_the_plugins_line() -> None:
    class Raises:
        @hookimpl
        def stdpolicy_register_parameters(self):
            raise OSError("parameters.yaml not found")

    registry = load_registry(entry_points_group=None, plugins=[("raises", Raises())])

    [failure] = registry.failures
    assert failure.stage == "declarations"
    assert failure.where is not None and failure.where.startswith(f"{__file__}:")
    line = int(failure.where.rsplit(":", 1)[1])
    assert 'raise OSError("parameters.yaml not found")' in Path(__file__).read_text(encoding="utf-8").splitlines()[line - 1]


def test_records_of_a_kind_whose_plugin_failed_to_load_name_the_plugin() -> None:
    class Clashing:
        """Declares a kind of its own and one core already declares: it fails to load."""

        @hookimpl
        def stdpolicy_register_activity_kinds(self):
            return [ActivityKind("energy_quota", Text("能耗", "Energy"), NoteSchema),
                    ActivityKind("standard_drafting", Text("x", "x"), NoteSchema)]

    registry = load_registry(entry_points_group=None, plugins=[("carbon", Clashing())])
    [failure] = registry.failures
    assert failure.kinds == ("energy_quota", "standard_drafting")

    [invalid] = registry.validate([record("E1", "energy_quota")]).invalid
    [error] = invalid.errors
    assert error.field == "kind"
    assert error.message == f"the plugin carbon that declares this kind failed to load: {failure.error}" \
        + (f" ({failure.where})" if failure.where else "")
    assert error.message_zh.startswith("声明该活动类型的插件 carbon 未能加载:ValueError: activity kind 'standard_drafting'")
    # A refused hook API range says the same.
    future = load_registry(entry_points_group=None, plugins=[("future", Future(">=2"))])
    [invalid] = future.validate([record("F1", "future_thing")]).invalid
    assert invalid.errors[0].message.startswith("the plugin future that declares this kind failed to load: written for hook API >=2")


def test_records_of_an_unknown_kind_hear_of_a_plugin_that_failed_before_declaring(site: Path) -> None:
    _install(site, "broken", "stdpolicy_broken", 'raise RuntimeError("no licence")\n')
    registry = load_registry()

    [invalid] = registry.validate([record("X1", "carbon_quota")]).invalid
    [error] = invalid.errors
    assert error.message.startswith("unknown kind 'carbon_quota' (known: ")
    assert error.message.endswith("; the plugin broken failed to load and may declare it (`stdpolicy plugins` shows why)")
    assert "插件 broken 未能加载,可能声明了该类型" in error.message_zh


def test_without_failures_an_unknown_kind_reads_as_before() -> None:
    [invalid] = load_registry(only=PROJECT_PLUGINS).validate([record("X1", "prize")]).invalid
    assert invalid.errors[0].message == (
        "unknown kind 'prize' (known: innovation_award, pilot_project, standard_drafting, talent_enterprise, tc_secretariat)")


def test_the_name_core_is_reserved() -> None:
    registry = Registry()
    assert registry.add_plugin("core", Flat("c_thing", 1)) is False
    assert registry.failures[0].error == "the name 'core' is core's own"


def test_a_plugin_that_fails_to_load_leaves_no_warnings_only_its_failure() -> None:
    class Failing:
        def stdpolicy_evaluate(self, batch, context):  # unmarked, and no API range: but it fails anyway
            return []

        @hookimpl
        def stdpolicy_register_parameters(self):
            raise OSError("parameters.yaml not found")

    registry = load_registry(entry_points_group=None, plugins=[("failing", Failing())])
    assert [f.name for f in registry.failures] == ["failing"]
    assert registry.warnings == []
