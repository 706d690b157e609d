"""The demo plugin's own tests, on stdpolicy's test kit (run where the plugin is installed: `pytest`)."""

from __future__ import annotations

from pathlib import Path

from core import check_plugin_migrations, core_table, database_session
from core.testing import private_uses

import stdpolicy_demo_plugin

RECORD = {"kind": "demo_training", "date": "2024-05-06", "credit_code": "913304007429141869",
          "topic": "GB/T 1.1 起草规则", "participants": 40}


def test_only_the_public_api() -> None:
    assert private_uses(Path(stdpolicy_demo_plugin.__file__).parent) == []
    assert private_uses(Path(__file__).resolve().parents[1]) == []  # the source tree, tests included


def test_the_kit_loads_this_plugin_only(stdpolicy_registry) -> None:
    assert list(stdpolicy_registry.plugins) == ["demo"]


def test_an_event_names_the_parameter_it_read(stdpolicy_evaluate) -> None:
    outcome = stdpolicy_evaluate([{**RECORD, "id": "A"}]).outcome("A")
    assert (outcome.rule, outcome.amount, outcome.clause) == ("D1", 5000, "三(四)")
    assert [p.key for p in outcome.parameters] == ["demo.training.per_event"]


def test_the_page_shows_the_grant_to_departments_that_switched_it_on(stdpolicy_enable, stdpolicy_login) -> None:
    stdpolicy_enable("demo", "market_regulation")
    page = stdpolicy_login("dept_viewer", "market_regulation").get("/admin/p/demo/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "演示插件" in html and "每场补助" in html and "¥5,000" in html
    assert stdpolicy_login("dept_viewer", "health").get("/admin/p/demo/").status_code == 404


def test_its_table_is_migrated_and_shown(stdpolicy_app, stdpolicy_enable, stdpolicy_login) -> None:
    from sqlalchemy import select

    from stdpolicy_demo_plugin.models import Venue

    stdpolicy_enable("demo", "market_regulation")
    viewer = stdpolicy_login("dept_viewer", "market_regulation")
    assert "尚未登记培训场地" in viewer.get("/admin/p/demo/").get_data(as_text=True)
    with stdpolicy_app.app_context():
        departments = core_table("departments")
        department = database_session().scalar(select(departments.c.id).where(departments.c.code == "market_regulation"))
        database_session().add(Venue(name="市民中心", department_id=department, capacity=200))
        database_session().commit()
    html = viewer.get("/admin/p/demo/").get_data(as_text=True)
    assert "市民中心" in html and "200" in html
    assert stdpolicy_app.test_cli_runner().invoke(args=["demo-venues"]).output == "市民中心: 200 seats\n"


def test_models_match_migrations(stdpolicy_registry) -> None:
    assert check_plugin_migrations("demo", registry=stdpolicy_registry) == []


def test_the_command_runs_on_the_tests_database(stdpolicy_runner) -> None:
    hello = stdpolicy_runner.invoke(args=["demo-hello"])
    assert hello.exit_code == 0 and hello.output == "hello from the demo plugin\n"


def test_its_reference_data_is_stored_by_init_and_shown(stdpolicy_runner) -> None:
    shown = stdpolicy_runner.invoke(args=["refdata", "show", "demo.venues"])
    assert shown.exit_code == 0, shown.output
    assert "市民中心" in shown.output and "200" in shown.output
    history = stdpolicy_runner.invoke(args=["refdata", "history", "demo.venues"])
    assert history.exit_code == 0 and "2022-08-01" in history.output
