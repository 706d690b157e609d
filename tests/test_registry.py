"""Plugin discovery, start-up checks, failure isolation and scoped evaluation (core/registry.py).

The external plugin under ``tests/external_plugin/`` is a separately packaged
distribution (``stdpolicy-demo-plugin``). ``demo_installed`` makes it
discoverable the way an installed distribution is: a ``.dist-info``
directory with ``METADATA`` and ``entry_points.txt`` on ``sys.path``, next to
the package's source directory (or uses the real one when CI installed it,
.ci/run). Nothing in core knows about it. Discovery is tested with
``load_registry(only=…)``: whatever else is installed stays out of the way.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import tomllib
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import click
import pytest
from flask import Flask
from marshmallow import Schema, fields

from core import (
    ActivityKind,
    DefaultValue,
    Outcome,
    ParameterDeclaration,
    PluginDescription,
    Registry,
    Text,
    hookimpl,
    load_registry,
)
from core.db import db
from core.outcomes import ERROR_RULE

from conftest import PROJECT_PLUGINS

EXTERNAL = Path(__file__).resolve().parent / "external_plugin"
DEMO_MODULE = "stdpolicy_demo_plugin"
CODE_A = "913304007429141869"
CODE_B = "91330482MA2AH5T006"

# -- installing distributions into a temporary site directory ---------------------


def _pyproject() -> dict:
    return tomllib.loads((EXTERNAL / "pyproject.toml").read_text(encoding="utf-8"))


def write_dist_info(site: Path, name: str, version: str, entry_points: dict[str, str]) -> Path:
    """What an installer writes for a distribution: ``<name>-<version>.dist-info``."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8")
    lines = ["[stdpolicy.plugins]"] + [f"{ep} = {target}" for ep, target in entry_points.items()]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return info


def _forget_modules(*names: str) -> None:
    for module in list(sys.modules):
        if any(module == n or module.startswith(n + ".") for n in names):
            del sys.modules[module]


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty directory on ``sys.path`` that distributions can be 'installed' into."""
    path = tmp_path / "site"
    path.mkdir()
    monkeypatch.syspath_prepend(str(path))
    return path


def _really_installed(name: str) -> bool:
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        distribution(name)
    except PackageNotFoundError:
        return False
    return True


#: The plugins these tests discover; any other installed plugin is left out.
KNOWN = ("reward_tiers", "demo", "broken", "ghost")


@pytest.fixture
def demo_installed(site: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict]:
    """The external demo plugin, discoverable through its real entry point."""
    project = _pyproject()["project"]
    if not _really_installed(project["name"]):  # CI installs it (pip install tests/external_plugin)
        write_dist_info(site, project["name"], project["version"], project["entry-points"]["stdpolicy.plugins"])
    monkeypatch.syspath_prepend(str(EXTERNAL / "src"))
    _forget_modules(DEMO_MODULE)
    yield project
    _forget_modules(DEMO_MODULE)


# -- small in-code plugins ----------------------------------------------------------


class ThingSchema(Schema):
    note = fields.String(load_default=None)


def kind(name: str) -> ActivityKind:
    return ActivityKind(name, Text(name, name), ThingSchema)


def money_parameter(key: str, value: int = 100) -> ParameterDeclaration:
    return ParameterDeclaration(
        key, Text(key, key), Text("元", "yuan"), "money", "三(二)",
        defaults=(DefaultValue(date(2022, 8, 1), value, "test document", "三(二)"),),
    )


class Declares:
    """Declares the given kinds and parameters; evaluates nothing."""

    def __init__(self, kinds: tuple[str, ...] = (), params: tuple[str, ...] = ()) -> None:
        self.kinds, self.params = kinds, params

    @hookimpl
    def stdpolicy_register_activity_kinds(self) -> list[ActivityKind]:
        return [kind(k) for k in self.kinds]

    @hookimpl
    def stdpolicy_register_parameters(self) -> list[ParameterDeclaration]:
        return [money_parameter(p) for p in self.params]


class Flat:
    """Pays ``amount`` for each activity of its one kind, and remembers its calls."""

    def __init__(self, kind_name: str, amount: int, version: str = "2.1.0") -> None:
        self.kind_name, self.amount, self.__version__ = kind_name, amount, version
        self.calls = 0

    @hookimpl
    def stdpolicy_register_activity_kinds(self) -> list[ActivityKind]:
        return [kind(self.kind_name)]

    @hookimpl
    def stdpolicy_evaluate(self, batch, context) -> list[Outcome]:
        self.calls += 1
        return [Outcome(a, "F1", self.amount, "三(二)", Text("固定", "flat")) for a in batch.of_kind(self.kind_name)]


class Boom:
    """Declares a kind and raises when asked to evaluate."""

    __version__ = "9.9.9"

    @hookimpl
    def stdpolicy_register_activity_kinds(self) -> list[ActivityKind]:
        return [kind("boom_thing")]

    @hookimpl
    def stdpolicy_evaluate(self, batch, context) -> list[Outcome]:
        raise ValueError("kaput")


def record(ref: str, kind_name: str, day: str = "2024-03-01", code: str = CODE_A, **own) -> dict:
    return {"id": ref, "kind": kind_name, "date": day, "credit_code": code, **own}


LEAD_NATIONAL = record("S1", "standard_drafting", "2025-06-20", standard_code="GB/T 45123-2025", rank=1)
TC_NATIONAL = record("T1", "tc_secretariat", "2025-09-15", CODE_B, committee_code="SAC/TC 20/SC 3", committee_level="national")
DEMO_TRAINING = record("D1", "demo_training", "2024-05-06", topic="GB/T 1.1 起草规则", participants=40)


# ===================================================================================
# The external plugin, discovered through a real entry point
# ===================================================================================


def test_external_plugin_is_discovered_with_its_distribution_version_and_source(demo_installed: dict) -> None:
    registry = load_registry(only=KNOWN)

    assert registry.failures == []
    assert {"demo", "reward_tiers"} <= set(registry.plugins)
    demo = registry.plugins["demo"]
    assert demo.version == "0.3.0"  # from the dist's METADATA: the module has no __version__
    assert demo.source == "stdpolicy-demo-plugin 0.3.0 [stdpolicy_demo_plugin]"
    assert demo.builtin is False
    assert registry.plugins["reward_tiers"].builtin is True
    assert demo.description.label == Text("演示插件", "Demo plugin")
    assert demo.description.clauses == ("三(四)",)
    assert demo.kinds == ["demo_training"]
    assert demo.parameters == ["demo.training.per_event"]
    assert demo.hooks == [
        "stdpolicy_demo_records",
        "stdpolicy_describe_plugin",
        "stdpolicy_evaluate",
        "stdpolicy_register_activity_kinds",
        "stdpolicy_register_admin_pages",
        "stdpolicy_register_api_endpoints",
        "stdpolicy_register_commands",
        "stdpolicy_register_parameter_types",
        "stdpolicy_register_parameters",
        "stdpolicy_register_reference_tables",
        "stdpolicy_register_storage",
    ]
    assert demo.reference_tables == ["demo.venues"] and demo.parameter_types == ["demo_headcount"]
    assert registry.kind_plugin["demo_training"] == "demo"
    # Built-ins load first, then the others by name.
    assert list(registry.plugins).index("reward_tiers") < list(registry.plugins).index("demo")


def test_external_plugin_parameter_comes_from_its_yaml_with_its_clause(demo_installed: dict) -> None:
    registry = load_registry(only=KNOWN)

    decl = registry.parameters["demo.training.per_event"]
    assert registry.parameter_plugin["demo.training.per_event"] == "demo"
    assert decl.type == "money"
    assert decl.clause == "三(四)"
    assert decl.label == Text("标准化培训活动补助(每场)", "Grant per standards training event")
    [shipped] = decl.defaults
    assert (shipped.effective_from, shipped.value, shipped.clause) == (date(2022, 8, 1), 5000, "三(四)")
    assert "标准强市" in shipped.document
    value = registry.default_parameters().value("demo.training.per_event", date(2024, 1, 1))
    assert (value.value, value.effective_from, value.version_id) == (5000, date(2022, 8, 1), None)
    assert registry.default_parameters().value("demo.training.per_event", date(2022, 7, 31)) is None


def test_external_plugin_kind_is_validated_by_core(demo_installed: dict) -> None:
    registry = load_registry(only=KNOWN)

    report = registry.validate([
        DEMO_TRAINING,
        record("D2", "demo_training", participants=0, topic="x"),
        record("D3", "demo_training", participants="many"),
    ])

    assert [a.ref for a in report.valid] == ["D1"]
    assert report.valid[0].fields == {"topic": "GB/T 1.1 起草规则", "participants": 40}
    errors = {item.ref: {e.field for e in item.errors} for item in report.invalid}
    assert errors == {"D2": {"participants"}, "D3": {"participants", "topic"}}


def test_external_plugin_evaluates_alongside_reward_tiers(demo_installed: dict) -> None:
    registry = load_registry(only=KNOWN)
    report = registry.validate([LEAD_NATIONAL, DEMO_TRAINING, TC_NATIONAL])
    assert report.invalid == []

    result = registry.evaluate(report.valid)

    by_ref = {a.ref: result.for_activity(a) for a in report.valid}
    [training] = by_ref["D1"]
    assert (training.plugin, training.plugin_version, training.rule, training.amount) == ("demo", "0.3.0", "D1", 5000)
    assert training.clause == "三(四)"
    assert [p.key for p in training.parameters] == ["demo.training.per_event"]
    [lead] = by_ref["S1"]
    assert (lead.plugin, lead.rule, lead.amount) == ("reward_tiers", "R2", 300000)
    [tc] = by_ref["T1"]
    assert (tc.plugin, tc.rule, tc.amount) == ("reward_tiers", "R8", 500000)
    assert result.total_amount == 805000
    assert result.failures == {}


def test_external_plugin_admin_pages_and_commands_are_collected(demo_installed: dict) -> None:
    registry = load_registry(only=KNOWN)

    pages = registry.admin_pages()
    [page] = pages["demo"]
    assert page.label == Text("培训", "Training")
    assert page.blueprint.name == "demo_pages"

    group = click.Group("stdpolicy")
    registry.register_commands(group)
    assert "demo-hello" in group.commands
    assert registry.failures == []


# -- the same through the command line ----------------------------------------------


@pytest.fixture
def demo_app(demo_installed: dict, database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The admin application, its plugins discovered from entry points with the demo installed."""
    from webadmin import create_app

    os.environ["STDPOLICY_INSTANCE_PATH"] = str(tmp_path / "instance")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url},
                     registry=load_registry(only=("reward_tiers", "demo")))
    yield app
    with app.app_context():
        db.engine.dispose()


def test_cli_lists_and_evaluates_the_external_plugin(demo_app: Flask, tmp_path: Path) -> None:
    runner = demo_app.test_cli_runner()
    init = runner.invoke(args=["init"])
    assert init.exit_code == 0, init.output
    assert "parameter default: demo.training.per_event = 5000 from 2022-08-01" in init.output

    listed = runner.invoke(args=["plugins"])
    assert listed.exit_code == 0, listed.output
    assert "demo 0.3.0 — 演示插件 / Demo plugin" in listed.output
    assert "source:      stdpolicy-demo-plugin 0.3.0 [stdpolicy_demo_plugin]" in listed.output
    assert "kinds:       demo_training" in listed.output
    assert "FAILED" not in listed.output

    path = tmp_path / "mixed.json"
    path.write_text(json.dumps([DEMO_TRAINING, LEAD_NATIONAL]), encoding="utf-8")
    evaluated = runner.invoke(args=["evaluate", str(path)])
    assert evaluated.exit_code == 0, evaluated.output
    document = json.loads(evaluated.stdout)
    training, lead = document["results"]
    assert training["id"] == "D1" and training["amount"] == 5000
    [outcome] = training["outcomes"]
    assert (outcome["plugin"], outcome["plugin_version"], outcome["rule"]) == ("demo", "0.3.0", "D1")
    [param] = outcome["parameters"]
    assert param["key"] == "demo.training.per_event" and param["value"] == 5000
    assert isinstance(param["version_id"], int)  # the stored version `init` loaded
    assert lead["amount"] == 300000 and lead["outcomes"][0]["plugin"] == "reward_tiers"
    assert document["total_amount"] == 305000

    hello = runner.invoke(args=["demo-hello"])
    assert hello.exit_code == 0 and hello.output == "hello from the demo plugin\n"


def test_console_script_discovers_the_external_plugin(demo_installed: dict, site: Path, database_url: str,
                                                      tmp_path: Path) -> None:
    """The real ``stdpolicy`` executable, in a fresh interpreter, finds the plugin through PYTHONPATH."""
    script = Path(sys.executable).parent / "stdpolicy"
    if not script.exists():
        pytest.skip("the stdpolicy console script is not installed next to this interpreter")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), str(EXTERNAL / "src")]),
        "STDPOLICY_DATABASE_URL": database_url,
        "STDPOLICY_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    listed = subprocess.run([str(script), "plugins"], env=env, capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0, listed.stderr
    assert "demo 0.3.0 — 演示插件 / Demo plugin" in listed.stdout
    assert "stdpolicy-demo-plugin 0.3.0 [stdpolicy_demo_plugin]" in listed.stdout
    hello = subprocess.run([str(script), "demo-hello"], env=env, capture_output=True, text=True, timeout=120)
    assert hello.returncode == 0, hello.stderr
    assert hello.stdout == "hello from the demo plugin\n"


# ===================================================================================
# Failures at start-up are isolated
# ===================================================================================


def test_plugin_whose_import_raises_is_reported_and_the_others_load(demo_installed: dict, site: Path) -> None:
    (site / "stdpolicy_broken_plugin.py").write_text('raise RuntimeError("cannot start: missing licence file")\n')
    write_dist_info(site, "stdpolicy-broken-plugin", "0.1.0", {"broken": "stdpolicy_broken_plugin"})
    try:
        registry = load_registry(only=KNOWN)
    finally:
        _forget_modules("stdpolicy_broken_plugin")

    [failure] = registry.failures
    assert failure.name == "broken"
    assert failure.stage == "import"
    assert failure.source == "stdpolicy-broken-plugin 0.1.0 [stdpolicy_broken_plugin]"
    assert failure.error == "RuntimeError: cannot start: missing licence file"
    assert "broken" not in registry.plugins
    assert {"reward_tiers", "demo"} <= set(registry.plugins)


def test_entry_point_to_a_missing_module_is_an_import_failure(site: Path) -> None:
    write_dist_info(site, "stdpolicy-ghost", "1.0", {"ghost": "stdpolicy_no_such_module"})

    registry = load_registry(only=KNOWN)

    [failure] = registry.failures
    assert (failure.name, failure.stage) == ("ghost", "import")
    assert failure.error.startswith("ModuleNotFoundError")
    assert "reward_tiers" in registry.plugins


def test_third_party_plugin_cannot_take_a_built_in_plugin_name(site: Path) -> None:
    (site / "stdpolicy_impostor.py").write_text(textwrap.dedent("""
        from core import hookimpl

        @hookimpl
        def stdpolicy_evaluate(batch, context):
            return []
    """))
    write_dist_info(site, "stdpolicy-impostor", "6.6.6", {"reward_tiers": "stdpolicy_impostor"})
    try:
        registry = load_registry(only=KNOWN)
    finally:
        _forget_modules("stdpolicy_impostor")

    assert registry.plugins["reward_tiers"].builtin is True
    assert registry.plugins["reward_tiers"].version == "1.0.0"
    [failure] = registry.failures
    assert (failure.name, failure.stage) == ("reward_tiers", "import")
    assert "stdpolicy-impostor 6.6.6" in failure.source
    assert "already uses this entry-point name" in failure.error


def test_hook_with_a_wrong_argument_name_fails_at_hooks() -> None:
    class WrongArgument:
        @hookimpl
        def stdpolicy_evaluate(self, batch, ctx):  # the specification says `context`
            return []

    registry = load_registry(only=PROJECT_PLUGINS, plugins=[("wrong", WrongArgument())])

    [failure] = registry.failures
    assert (failure.name, failure.stage, failure.source) == ("wrong", "hooks", "registered in code")
    assert "ctx" in failure.error
    assert "wrong" not in registry.plugins
    assert registry.pm.get_plugin("wrong") is None
    assert "reward_tiers" in registry.plugins


def test_unknown_stdpolicy_hook_fails_at_hooks_and_does_not_poison_later_plugins() -> None:
    class Unknown:
        @hookimpl
        def stdpolicy_frobnicate(self):
            return None

    registry = Registry()
    assert registry.add_plugin("odd", Unknown()) is False
    [failure] = registry.failures
    assert (failure.name, failure.stage) == ("odd", "hooks")
    assert "stdpolicy_frobnicate" in failure.error
    assert registry.pm.get_plugin("odd") is None

    # The next plugin loads: the unknown hook left nothing pending behind.
    assert registry.add_plugin("fine", Flat("fine_thing", 7)) is True
    assert list(registry.plugins) == ["fine"]
    assert len(registry.failures) == 1


def test_declaration_hook_that_raises_fails_at_declarations() -> None:
    class Raises:
        @hookimpl
        def stdpolicy_register_parameters(self):
            raise OSError("parameters.yaml not found")

    class WrongType:
        @hookimpl
        def stdpolicy_describe_plugin(self):
            return "a plain string"

    registry = Registry()
    assert registry.add_plugin("raises", Raises()) is False
    assert registry.add_plugin("wrongtype", WrongType()) is False

    assert [(f.name, f.stage) for f in registry.failures] == [("raises", "declarations"), ("wrongtype", "declarations")]
    assert registry.failures[0].error == "OSError: parameters.yaml not found"
    assert "must return a PluginDescription" in registry.failures[1].error
    assert registry.plugins == {}
    assert {registry.pm.get_name(p) for p in registry.pm.get_plugins()} == {"core"}  # core's base plugin only


def test_duplicate_activity_kind_across_plugins_names_both_and_loads_nothing_of_the_second() -> None:
    registry = Registry()
    assert registry.add_plugin("alpha", Declares(kinds=("shared_kind",), params=("alpha.rate",)))
    assert registry.add_plugin("beta", Declares(kinds=("beta_own", "shared_kind"), params=("beta.rate",))) is False

    [failure] = registry.failures
    assert (failure.name, failure.stage) == ("beta", "declarations")
    assert "'shared_kind'" in failure.error and "'alpha'" in failure.error and "'beta'" in failure.error
    assert {k: p for k, p in registry.kind_plugin.items() if p != "core"} == {"shared_kind": "alpha"}
    assert "beta_own" not in registry.kinds  # a plugin loads whole or not at all
    assert "beta.rate" not in registry.parameters
    assert list(registry.plugins) == ["alpha"]
    assert registry.pm.get_plugin("beta") is None


def test_kind_clashing_with_a_shared_kind_names_core() -> None:
    registry = load_registry(only=PROJECT_PLUGINS, plugins=[("copycat", Declares(kinds=("standard_drafting",)))])

    [failure] = registry.failures
    assert failure.name == "copycat" and failure.stage == "declarations"
    assert failure.error == "ValueError: activity kind 'standard_drafting' is declared by both 'core' and 'copycat'"
    assert registry.kind_plugin["standard_drafting"] == "core"


def test_kind_clashing_with_a_plugin_kind_names_the_plugin(demo_installed: dict) -> None:
    registry = load_registry(plugins=[("copycat", Declares(kinds=("demo_training",)))])

    [failure] = registry.failures
    assert failure.error == "ValueError: activity kind 'demo_training' is declared by both 'demo' and 'copycat'"


def test_duplicate_parameter_key_names_both_declarers() -> None:
    # Across two plugins a duplicate key cannot get past the prefix rule (the
    # key names its plugin), so the same key declared twice is the reachable case.
    registry = Registry()
    assert registry.add_plugin("alpha", Declares(params=("alpha.rate", "alpha.rate"))) is False

    [failure] = registry.failures
    assert failure.stage == "declarations"
    assert failure.error == "ValueError: parameter 'alpha.rate' is declared by both 'alpha' and 'alpha'"
    assert registry.parameters == {}


def test_parameter_key_of_another_plugin_is_refused() -> None:
    registry = Registry()
    assert registry.add_plugin("alpha", Declares(params=("alpha.rate",)))
    assert registry.add_plugin("beta", Declares(kinds=("beta_thing",), params=("alpha.rate",))) is False

    [failure] = registry.failures
    assert (failure.name, failure.stage) == ("beta", "declarations")
    assert "'alpha.rate'" in failure.error and "must start with the plugin name: beta" in failure.error
    assert registry.parameter_plugin == {"alpha.rate": "alpha"}
    assert "beta_thing" not in registry.kinds


def test_parameter_key_not_prefixed_with_the_plugin_name_is_refused() -> None:
    registry = load_registry(only=PROJECT_PLUGINS, plugins=[("gamma", Declares(params=("rewards.rate",)))])

    [failure] = registry.failures
    assert (failure.name, failure.stage) == ("gamma", "declarations")
    assert failure.error == "ValueError: parameter 'rewards.rate' must start with the plugin name: gamma.…"
    assert "rewards.rate" not in registry.parameters
    assert "gamma" not in registry.plugins


# ===================================================================================
# Evaluation: failure isolation, scoping, stamping
# ===================================================================================


def test_plugin_raising_in_evaluate_gives_error_outcomes_and_keeps_the_others() -> None:
    registry = load_registry(only=PROJECT_PLUGINS, plugins=[("boom", Boom())])
    report = registry.validate([LEAD_NATIONAL, record("B1", "boom_thing"), TC_NATIONAL, record("B2", "boom_thing")])
    assert report.invalid == []

    result = registry.evaluate(report.valid)

    assert result.failures == {"boom": "ValueError: kaput"}
    by_ref = {a.ref: result.for_activity(a) for a in report.valid}
    for ref in ("B1", "B2"):
        [error] = by_ref[ref]
        assert (error.plugin, error.plugin_version, error.rule, error.status, error.amount) == (
            "boom", "9.9.9", ERROR_RULE, "error", 0)
        assert ERROR_RULE == "ERROR"
        assert error.explanation_en == "plugin boom failed; no result: ValueError: kaput"
        assert "boom" in error.explanation_zh and "ValueError: kaput" in error.explanation_zh
        assert error.details == {"error": "ValueError: kaput"}
        as_json = error.to_json()
        assert as_json["status"] == "error" and as_json["rule"] == "ERROR" and as_json["plugin"] == "boom"
    # reward_tiers' outcomes are kept, and only the kinds boom declared got error outcomes.
    assert [(o.plugin, o.rule, o.amount) for o in by_ref["S1"]] == [("reward_tiers", "R2", 300000)]
    assert [(o.plugin, o.rule, o.amount) for o in by_ref["T1"]] == [("reward_tiers", "R8", 500000)]
    assert result.total_amount == 800000


def test_plugin_without_kinds_that_raises_marks_every_activity() -> None:
    class Observer:
        @hookimpl
        def stdpolicy_evaluate(self, batch, context):
            raise KeyError("missing")

    registry = Registry()
    import plugins.reward_tiers as reward_tiers

    registry.add_plugin("reward_tiers", reward_tiers)
    registry.add_plugin("observer", Observer())
    report = registry.validate([LEAD_NATIONAL, TC_NATIONAL])

    result = registry.evaluate(report.valid)

    for activity in report.valid:
        plugins = sorted((o.plugin, o.status) for o in result.for_activity(activity))
        assert plugins == [("observer", "error"), ("reward_tiers", "ok")]
    assert result.failures == {"observer": "KeyError: 'missing'"}


def test_plugin_returning_something_other_than_outcomes_is_an_error() -> None:
    class Sloppy:
        @hookimpl
        def stdpolicy_register_activity_kinds(self):
            return [kind("sloppy_thing")]

        @hookimpl
        def stdpolicy_evaluate(self, batch, context):
            return [{"amount": 5}]

    registry = Registry()
    registry.add_plugin("sloppy", Sloppy())
    report = registry.validate([record("X1", "sloppy_thing")])

    result = registry.evaluate(report.valid)

    [outcome] = result.outcomes
    assert (outcome.plugin, outcome.status, outcome.amount) == ("sloppy", "error", 0)
    assert result.failures["sloppy"].startswith("TypeError: stdpolicy_evaluate returned {'amount': 5}")


def _two_flat_plugins() -> tuple[Registry, Flat, Flat]:
    registry = Registry()
    a, b = Flat("a_thing", 10), Flat("b_thing", 20)
    assert registry.add_plugin("a", a) and registry.add_plugin("b", b)
    return registry, a, b


def test_evaluate_with_plugins_runs_only_those() -> None:
    registry, a, b = _two_flat_plugins()
    activities = registry.validate([record("A1", "a_thing"), record("B1", "b_thing")]).valid

    only_a = registry.evaluate(activities, plugins=["a"])
    assert [(o.plugin, o.activity.ref, o.amount) for o in only_a.outcomes] == [("a", "A1", 10)]
    assert (a.calls, b.calls) == (1, 0)

    both = registry.evaluate(activities, plugins=["a", "b"])
    assert sorted((o.plugin, o.amount) for o in both.outcomes) == [("a", 10), ("b", 20)]
    assert (a.calls, b.calls) == (2, 1)

    none = registry.evaluate(activities, plugins=[])
    assert none.outcomes == [] and none.total_amount == 0
    assert (a.calls, b.calls) == (2, 1)

    unknown_ignored = registry.evaluate(activities, plugins=["b", "not_installed"])
    assert [o.plugin for o in unknown_ignored.outcomes] == ["b"]

    everything = registry.evaluate(activities)  # plugins=None: every loaded plugin
    assert everything.total_amount == 30


def _names(callers) -> list[str]:
    return [name for name, _ in callers]


def test_one_caller_per_plugin_cached_per_set_of_plugins() -> None:
    registry, _, _ = _two_flat_plugins()

    only_a = registry.evaluate_callers(["a"])
    assert registry.evaluate_callers({"a"}) is only_a
    assert registry.evaluate_callers(("a", "not_installed")) is only_a
    [(name, caller)] = only_a
    assert name == "a" and [impl.plugin_name for impl in caller.get_hookimpls()] == ["a"]

    both = registry.evaluate_callers(["a", "b"])
    assert registry.evaluate_callers(["b", "a"]) is both
    assert registry.evaluate_callers(None) is both
    assert _names(both) == ["b", "a"]  # pluggy's order: the last registered first
    for name, caller in both:  # each caller holds its own plugin alone
        assert [impl.plugin_name for impl in caller.get_hookimpls()] == [name]
    assert registry.evaluate_callers([]) == []

    # A new plugin invalidates the cache: "all" now includes it.
    registry.add_plugin("c", Flat("c_thing", 30))
    assert registry.evaluate_callers(["a"]) is not only_a
    assert sorted(_names(registry.evaluate_callers(None))) == ["a", "b", "c"]
    assert _names(registry.evaluate_callers(["a"])) == ["a"]


def test_every_outcome_records_plugin_name_and_version(demo_installed: dict) -> None:
    registry = load_registry(only=KNOWN, plugins=[("flat", Flat("flat_thing", 1, version="3.1.4")), ("boom", Boom())])
    records = [
        LEAD_NATIONAL, TC_NATIONAL, DEMO_TRAINING, record("F1", "flat_thing"), record("B1", "boom_thing"),
        record("S2", "standard_drafting", "2025-06-20", CODE_B, standard_code="Q/JX 001-2025", rank=1),
    ]
    report = registry.validate(records)
    assert report.invalid == []

    result = registry.evaluate(report.valid)

    assert len(result.outcomes) == len(records)
    for outcome in result.outcomes:
        assert outcome.plugin in registry.plugins
        assert outcome.plugin_version == registry.plugins[outcome.plugin].version
        assert outcome.to_json()["plugin"] == outcome.plugin
        assert outcome.to_json()["plugin_version"] == outcome.plugin_version
    versions = {o.plugin: o.plugin_version for o in result.outcomes}
    assert versions == {"reward_tiers": "1.0.0", "demo": "0.3.0", "flat": "3.1.4", "boom": "9.9.9"}


def test_plugin_without_describe_hook_is_listed_under_its_name() -> None:
    registry = Registry()
    registry.add_plugin("plain", Declares(kinds=("plain_thing",)))

    record_ = registry.plugins["plain"]
    assert record_.description == PluginDescription(Text("plain", "plain"), Text("", ""))
    assert record_.version == "0"
    assert record_.source == "registered in code"
    assert record_.hooks == ["stdpolicy_register_activity_kinds", "stdpolicy_register_parameters"]


def test_a_plugin_names_its_own_held_reasons_and_the_registry_gathers_them() -> None:
    """The review queue's reasons come from the plugins (``PluginDescription.held_reasons``), not from core."""
    from core import PluginDescription, Text, hookimpl, load_registry
    from core.reviews import held_reason_label

    class Holder:
        @hookimpl
        def stdpolicy_describe_plugin(self):
            return PluginDescription(Text("暂缓", "Holder"), Text("", ""), api=">=1.0,<2",
                                     held_reasons=(("late_report", Text("逾期申报", "reported late")),
                                                   ("rank_conflict", Text("另一种说法", "another wording"))))

    registry = load_registry(only=("reward_tiers",), plugins=[("holder", Holder())])
    reasons = registry.held_reasons
    assert reasons["late_report"] == ("逾期申报", "reported late")
    assert reasons["rank_conflict"] == ("排名冲突", "rank conflict")  # the plugin loaded first keeps its label
    assert held_reason_label("late_report", reasons).zh == "逾期申报"
    assert held_reason_label("nobody_declares", reasons) == ("nobody_declares", "nobody_declares")
    with pytest.raises(ValueError, match="held_reasons"):
        PluginDescription(Text("x", "x"), Text("", ""), held_reasons=(("Bad Code", Text("x", "x")),))
