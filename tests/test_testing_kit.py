"""The test kit (``core.testing``): its pytest plugin, fixtures and policy cases.

Inner pytest sessions (pytest's ``pytester``) run the way a plugin author's
``pytest`` does: the kit arrives through its ``pytest11`` entry point, with
no conftest. The database fixtures are exercised by the whole suite (the
project's ``app``, ``client`` … are the kit's) and directly below.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path

import pytest

from core import Text, hookimpl
from core.testing import PASSWORD, builtin_plugins, evaluate, parameters_with, select_registry

pytest_plugins = ("pytester",)

LEAD = {"id": "A", "kind": "standard_drafting", "date": "2024-03-01", "credit_code": "913304007429141869",
        "standard_code": "GB/T 43210-2024", "rank": 1}


def test_the_kit_is_a_pytest11_entry_point_of_stdpolicy() -> None:
    [found] = [ep for ep in entry_points(group="pytest11") if ep.name == "stdpolicy"]
    assert found.value == "core.testing.plugin" and found.dist is not None and found.dist.name == "stdpolicy"


def test_builtin_plugins_are_those_stdpolicy_ships() -> None:
    assert "reward_tiers" in builtin_plugins()
    shipped = {ep.name for ep in entry_points(group="stdpolicy.plugins") if ep.dist and ep.dist.name == "stdpolicy"}
    assert set(builtin_plugins()) == shipped


def test_select_registry_loads_the_named_plugins_only() -> None:
    assert list(select_registry([]).plugins) == []
    assert list(select_registry(["reward_tiers"]).plugins) == ["reward_tiers"]
    with pytest.raises(LookupError, match="plugin\\(s\\) no_such_plugin not installed"):
        select_registry(["no_such_plugin"])


# -- evaluation with overridden parameters ----------------------------------------------------------

def test_evaluate_with_a_parameter_override() -> None:
    registry = select_registry(["reward_tiers"])
    shipped = evaluate(registry, [LEAD])
    assert shipped.amount("A") == 300000 and shipped.outcome("A").parameters[0].origin == "shipped"
    raised = evaluate(registry, [LEAD], parameters={"reward_tiers.lead.national": 350000})
    assert raised.amount("A") == 350000
    assert raised.outcome("A").parameters[0].origin == "what-if"
    assert "(a proposed amount from 1 August 2022, not recorded)" in raised.outcome("A").explanation_en
    assert "(按拟议金额测算,拟自2022年8月1日起执行,尚未登记)" in raised.outcome("A").explanation_zh
    # the override starts where the shipped value starts: the policy's start still holds
    early = evaluate(registry, [dict(LEAD, date="2022-07-31", standard_code="GB/T 43210-2022")],
                     parameters={"reward_tiers.lead.national": 350000})
    assert early.amount("A") == 0


def test_dated_overrides_and_their_checks() -> None:
    registry = select_registry(["reward_tiers"])
    dated = evaluate(registry, [LEAD, dict(LEAD, id="B", date="2023-06-01", standard_code="GB/T 43000-2023")],
                     parameters={"reward_tiers.lead.national": [{"from": "2024-01-01", "value": "400,000"}]})
    assert (dated.amount("A"), dated.amount("B")) == (400000, 300000)
    with pytest.raises(KeyError, match="no loaded plugin declares it"):
        parameters_with(registry, {"reward_tiers.lead.nowhere": 1})
    with pytest.raises(Exception, match="Not a whole number of yuan"):
        parameters_with(registry, {"reward_tiers.lead.national": 1.5})


def test_evaluation_looks_records_up_by_id() -> None:
    result = evaluate(select_registry(["reward_tiers"]), [LEAD, dict(LEAD, id="B", rank=0)])
    assert [e.field for e in result.errors("B")] == ["rank"] and result.errors("A") == []
    assert result.total_amount == 300000 and len(result.valid) == 1 and len(result.invalid) == 1
    with pytest.raises(AssertionError, match="record B is invalid"):
        result.outcome("B")
    with pytest.raises(KeyError, match="no record 'C'"):
        result.outcome("C")


# -- plugins chosen per test; never every installed plugin ---------------------------------------------

class Extra:
    @hookimpl
    def stdpolicy_describe_plugin(self):
        from core import PluginDescription

        return PluginDescription(Text("额外", "Extra"), Text("测试", "tests"))


def test_the_project_tests_load_their_plugins_only(stdpolicy_registry) -> None:
    # tests/conftest.py chooses PROJECT_PLUGINS; the kit's own default (the built-in plugins) is
    # test_the_ini_setting_chooses_the_sessions_plugins's.
    assert list(stdpolicy_registry.plugins) == ["reward_tiers"]
    assert set(stdpolicy_registry.plugins) <= set(builtin_plugins())


@pytest.mark.stdpolicy_plugins(extra=[("extra", Extra())])
def test_a_mark_chooses_the_plugins(stdpolicy_registry) -> None:
    assert list(stdpolicy_registry.plugins) == ["extra"]


@pytest.mark.stdpolicy_plugins("reward_tiers", extra=[("extra", Extra())])
def test_the_database_is_migrated_and_seeded_for_the_chosen_plugins(stdpolicy_app, stdpolicy_runner) -> None:
    listed = stdpolicy_runner.invoke(args=["plugins"])
    assert listed.exit_code == 0, listed.output
    assert "\nreward_tiers 1.0.0" in listed.output and "\nextra 0 — 额外 / Extra" in listed.output
    history = stdpolicy_runner.invoke(args=["params", "history", "reward_tiers.lead.national"])
    assert "300,000" in history.output  # seeded as `stdpolicy init` seeds


def test_a_user_per_role_and_department(stdpolicy_app, stdpolicy_login, stdpolicy_user) -> None:
    city = stdpolicy_login("city_admin", "market_regulation")
    viewer = stdpolicy_login("dept_viewer", "civil_affairs")
    assert city.get("/users").status_code == 200
    assert viewer.get("/users").status_code == 403  # each client keeps its own session
    assert "民政局" in viewer.get("/dashboard").get_data(as_text=True)
    assert stdpolicy_user("dept_viewer", "civil_affairs") == "dept_viewer@civil_affairs"  # created once
    fresh = stdpolicy_app.test_client()
    assert fresh.post("/login", data={"username": "dept_viewer@civil_affairs", "password": PASSWORD}).status_code == 302
    with pytest.raises(ValueError, match="role 'mayor'"):
        stdpolicy_user("mayor", "civil_affairs")


def test_enable_permits_and_switches_on(stdpolicy_app, stdpolicy_enable) -> None:
    from core.store import enabled_plugins, find_department, plugin_owner

    stdpolicy_enable("reward_tiers", "health", owner=True)
    with stdpolicy_app.app_context():
        assert "reward_tiers" in enabled_plugins(find_department("health"))
        assert plugin_owner("reward_tiers").code == "health"
    with pytest.raises(LookupError, match="not loaded in this test"):
        stdpolicy_enable("carbon", "health")


def test_evaluate_fixture_uses_the_chosen_registry(stdpolicy_evaluate) -> None:
    assert stdpolicy_evaluate([LEAD], parameters={"reward_tiers.lead.national": 1}).amount("A") == 1


# -- inner sessions: what a plugin author gets -------------------------------------------------------

POLICY = """
plugins: [reward_tiers]
defaults: {date: 2024-03-01, credit_code: "913304007429141869", kind: standard_drafting}
cases:
  - name: national lead
    records: [{id: A, standard_code: GB/T 43210-2024, rank: 1}]
    expect: {A: {amount: 300000, rule: R2}}
  - name: wrong on purpose
    records: [{id: A, standard_code: GB/T 43210-2024, rank: 1}]
    expect: {A: {amount: 1, status: held}}
"""


def test_policy_cases_are_collected_and_report_what_differs(pytester: pytest.Pytester) -> None:
    pytester.makefile(".policy.yaml", lead=POLICY)
    result = pytester.runpytest("-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*lead.policy.yaml::national lead PASSED*",
        "*lead.policy.yaml::wrong on purpose FAILED*",
        "*record A: amount: expected 1, got 300,000*",
        "*record A: status: expected held, got ok*",
    ])


def test_a_broken_policy_file_is_a_collection_error_naming_the_place(pytester: pytest.Pytester) -> None:
    pytester.makefile(".policy.yaml", broken="cases:\n  - name: x\n    records: [{id: A}]\n    expect: {B: {amount: 1}}\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*broken.policy.yaml, case 1 (x): 'expect' names record 'B'*"])


def test_the_ini_setting_chooses_the_sessions_plugins(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nstdpolicy_plugins =\n")
    pytester.makepyfile(test_default="""
        from core.testing import builtin_plugins

        def test_registry(stdpolicy_registry):
            assert sorted(stdpolicy_registry.plugins) == sorted(builtin_plugins())
    """)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    pytester.makeini("[pytest]\nstdpolicy_plugins = nowhere_plugin\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*nowhere_plugin not installed*"])


def test_the_kit_can_be_switched_off(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_off="def test_no_kit(request):\n    request.getfixturevalue('stdpolicy_registry')\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:stdpolicy")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*fixture 'stdpolicy_registry' not found*"])


def test_the_kit_is_documented_fixture_by_fixture() -> None:
    text = (Path(__file__).resolve().parent.parent / "docs" / "plugins" / "testing.md").read_text(encoding="utf-8")
    from core.testing import plugin

    fixtures = [name for name in dir(plugin) if name.startswith("stdpolicy_") and callable(getattr(plugin, name))]
    assert fixtures
    missing = [name for name in fixtures if f"`{name}`" not in text]
    assert missing == []


def test_sample_credit_codes_are_valid() -> None:
    from core import validate_credit_code
    from core.testing import SAMPLE_CREDIT_CODES

    assert [validate_credit_code(c) for c in SAMPLE_CREDIT_CODES] == list(SAMPLE_CREDIT_CODES)


def test_every_setting_core_and_the_admin_read_is_kept_out_of_the_tests() -> None:
    """A setting read from ``STDPOLICY_…`` must be in the kit's list, or a developer's shell changes the tests."""
    import re

    from core.testing.plugin import _APP_SETTINGS

    root = Path(__file__).resolve().parent.parent
    read: set[str] = set()
    for folder in ("core", "webadmin", "plugins"):
        for path in (root / folder).rglob("*.py"):
            if "testing" not in path.parts and "tests" not in path.parts:
                read |= set(re.findall(r"STDPOLICY_([A-Z][A-Z_]*)", path.read_text(encoding="utf-8")))
    assert read - set(_APP_SETTINGS) == {"DATABASE_URL"}
