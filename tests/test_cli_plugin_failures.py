"""The command line when a plugin fails: exit status 5 with a summary, parameters not stored yet,
switching off a plugin that is no longer installed, `stdpolicy plugins --verbose`.

The applications here are the admin's, with a registry holding the built-in
plugins and small in-code ones (``create_app(registry=…)``).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from marshmallow import Schema, fields
from sqlalchemy import func, select

from core import (
    ActivityKind,
    DefaultValue,
    Outcome,
    ParameterDeclaration,
    PluginDescription,
    Text,
    hookimpl,
    load_registry,
)
from core.activities import Activity
from core.db import db
from core.models import ActivityRecord, AuditEntry, OutcomeRecord, PluginEnablement
from core.outcomes import ERROR_RULE

from conftest import PROJECT_PLUGINS

CODE = "913304007429141869"
LEAD = {"id": "S1", "kind": "standard_drafting", "date": "2025-06-20", "credit_code": CODE,
        "standard_code": "GB/T 45123-2025", "rank": 1}


class NoteSchema(Schema):
    note = fields.String(load_default=None)


class Boom:
    """Raises on a record whose note is "boom"; pays 7 for the others of its kind."""

    __version__ = "9.9.9"

    @hookimpl
    def stdpolicy_describe_plugin(self):
        return PluginDescription(Text("爆", "Boom"), Text("", ""), api=">=1.0,<2")

    @hookimpl
    def stdpolicy_register_activity_kinds(self):
        return [ActivityKind("boom_thing", Text("爆", "Boom thing"), NoteSchema)]

    @hookimpl
    def stdpolicy_evaluate(self, batch, context):
        out = []
        for activity in batch.of_kind("boom_thing"):
            if activity.fields.get("note") == "boom":
                raise ValueError("kaput")
            out.append(Outcome(activity, "B1", 7, "三(二)", Text("七", "seven")))
        return out


class Pilots:
    """Reads pilot projects; its one parameter ships a value (``stdpolicy init`` stores it)."""

    @hookimpl
    def stdpolicy_describe_plugin(self):
        return PluginDescription(Text("试点跟踪", "Pilot tracking"), Text("", ""), reads=("pilot_project",), api=">=1")

    @hookimpl
    def stdpolicy_register_parameters(self):
        return [ParameterDeclaration("pilots.flat", Text("固定", "flat"), Text("元", "yuan"), "money", "三(二)",
                                     defaults=(DefaultValue(date(2022, 8, 1), 1000, "test document", "三(二)"),))]

    @hookimpl
    def stdpolicy_evaluate(self, batch, context):
        out = []
        for activity in batch.of_kind("pilot_project"):
            value = context.parameters.value("pilots.flat", activity.date)
            out.append(Outcome(activity, "P1", value.value if value else 0, "三(二)", Text("跟踪", "tracked")))
        return out


def boom(ref: str, note: str | None = None) -> dict:
    return {"id": ref, "kind": "boom_thing", "date": "2024-03-01", "credit_code": CODE, "note": note}


def _app(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *plugins: tuple[str, object]) -> Flask:
    from webadmin import create_app

    monkeypatch.setenv("STDPOLICY_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("STDPOLICY_ACTOR", "cli:tests")
    registry = load_registry(plugins=plugins)
    assert registry.failures == []
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": False,
                       "SESSION_COOKIE_SECURE": False}, registry=registry)


@pytest.fixture
def boom_app(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    app = _app(database_url, tmp_path, monkeypatch, ("boom", Boom()))
    runner = app.test_cli_runner()
    for args in (["init"], ["permit", "boom", "-d", "market_regulation"], ["enable", "boom", "-d", "market_regulation"]):
        done = runner.invoke(args=args)
        assert done.exit_code == 0, done.output
    yield app
    with app.app_context():
        db.engine.dispose()


def _write(tmp_path: Path, records: list[dict]) -> str:
    path = tmp_path / "records.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return str(path)


# -- exit status 5 and the summary --------------------------------------------------------


def test_evaluate_exits_5_with_a_summary_when_a_plugin_raised(boom_app: Flask, tmp_path: Path) -> None:
    path = _write(tmp_path, [LEAD, boom("B1"), boom("B2", "boom"), boom("B3")])

    done = boom_app.test_cli_runner().invoke(args=["evaluate", path])

    assert done.exit_code == 5, done.output
    document = json.loads(done.stdout)  # the results are all there
    by_id = {r["id"]: r for r in document["results"]}
    assert by_id["S1"]["amount"] == 300000 and by_id["B1"]["amount"] == 7 and by_id["B3"]["amount"] == 7
    [error] = by_id["B2"]["outcomes"]
    assert (error["plugin"], error["rule"], error["status"]) == ("boom", ERROR_RULE, "error")
    assert done.stderr.splitlines() == [
        "error: 1 plugin raised during evaluation; the activities it raised on have error outcomes (amount 0); "
        "the others are complete",
        "    boom: 1 activity with an error outcome (B2): ValueError: kaput",
        "    the log has each traceback; fix the plugin (or disable it) and evaluate again",
    ]


def test_a_plugin_failure_outranks_invalid_records_and_the_table_is_printed_too(boom_app: Flask, tmp_path: Path) -> None:
    path = _write(tmp_path, [boom("B2", "boom"), {**LEAD, "rank": 0}])
    done = boom_app.test_cli_runner().invoke(args=["evaluate", path, "--format", "table", "--lang", "en"])
    assert done.exit_code == 5
    assert "B2  boom_thing  ¥0" in done.stdout and "INVALID" in done.stdout
    assert "boom: 1 activity with an error outcome (B2)" in done.stderr


def test_evaluate_for_a_department_without_the_failing_plugin_exits_0(boom_app: Flask, tmp_path: Path) -> None:
    path = _write(tmp_path, [LEAD, boom("B2", "boom")])
    done = boom_app.test_cli_runner().invoke(args=["evaluate", path, "--department", "civil_affairs"])
    assert done.exit_code == 0, done.output
    assert done.stderr == ""


def test_import_stores_with_error_outcomes_and_exits_5(boom_app: Flask, tmp_path: Path) -> None:
    path = _write(tmp_path, [LEAD, boom("B1"), boom("B2", "boom")])

    done = boom_app.test_cli_runner().invoke(args=["import", path, "--department", "market_regulation"])

    assert done.exit_code == 5, done.output
    assert "stored 3 activities" in done.stdout
    assert "boom: 1 activity with an error outcome (B2): ValueError: kaput" in done.stderr
    assert "`stdpolicy reevaluate` replaces them" in done.stderr
    with boom_app.app_context():
        errors = db.session.scalars(select(OutcomeRecord.status).where(OutcomeRecord.plugin == "boom")).all()
        assert sorted(errors) == ["error", "ok"]
        assert db.session.scalar(select(func.count(ActivityRecord.id))) == 3

    again = boom_app.test_cli_runner().invoke(args=["reevaluate"])
    assert again.exit_code == 5, again.output
    assert "boom: 1 activity with an error outcome (B2)" in again.stderr


def test_import_and_reevaluate_without_failures_exit_0(boom_app: Flask, tmp_path: Path) -> None:
    runner = boom_app.test_cli_runner()
    assert runner.invoke(args=["import", _write(tmp_path, [LEAD, boom("B1")])]).exit_code == 0
    done = runner.invoke(args=["reevaluate"])
    assert done.exit_code == 0 and done.stderr == ""


# -- parameters not stored yet ----------------------------------------------------------------


@pytest.fixture
def late_app(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """`init` ran before the pilots plugin was installed; then a department switched it on."""
    before = _app(database_url, tmp_path, monkeypatch)
    assert before.test_cli_runner().invoke(args=["init"]).exit_code == 0
    with before.app_context():
        db.engine.dispose()
    app = _app(database_url, tmp_path, monkeypatch, ("pilots", Pilots()))
    runner = app.test_cli_runner()
    for args in (["permit", "pilots", "-d", "civil_affairs"], ["enable", "pilots", "-d", "civil_affairs"]):
        done = runner.invoke(args=args)
        assert done.exit_code == 0, done.output
    yield app
    with app.app_context():
        db.engine.dispose()


PILOT = {"id": "P1", "kind": "pilot_project", "date": "2024-05-01", "credit_code": CODE,
         "pilot_level": "national", "accepted": True}
NOT_STORED = ("error: the parameters of pilots (pilots.flat) are not stored yet: run `stdpolicy init` "
              "(it stores the values the plugins ship and changes nothing else)\n")


def test_evaluate_import_and_reevaluate_refuse_while_a_plugins_parameters_are_not_stored(
        late_app: Flask, tmp_path: Path) -> None:
    runner = late_app.test_cli_runner()
    path = _write(tmp_path, [PILOT])

    for args in (["evaluate", path], ["evaluate", path, "-d", "civil_affairs"], ["import", path], ["reevaluate"]):
        done = runner.invoke(args=args)
        assert done.exit_code == 2, (args, done.output)
        assert done.stderr == NOT_STORED, args
        assert done.stdout == ""
    with late_app.app_context():
        assert db.session.scalar(select(func.count(ActivityRecord.id))) == 0

    # A department whose plugins' parameters are stored is not held up.
    done = runner.invoke(args=["evaluate", path, "-d", "market_regulation"])
    assert done.exit_code == 0 and json.loads(done.stdout)["total_amount"] == 300000

    # `init` stores the shipped value; then it evaluates — never a silent ¥0.
    init = runner.invoke(args=["init"])
    assert "parameter default: pilots.flat = 1000 from 2022-08-01" in init.output
    done = runner.invoke(args=["evaluate", path, "-d", "civil_affairs"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["total_amount"] == 1000


def test_the_api_and_the_admin_say_so_too(late_app: Flask, tmp_path: Path) -> None:
    from core.store import find_department
    from webadmin.models import User

    with late_app.app_context():
        civil = find_department("civil_affairs")
        user = User(username="ca_admin", role="dept_admin", department_id=civil.id, created_by="tests")
        user.set_password("correct-horse-battery-1")
        db.session.add(user)
        db.session.commit()
    runner = late_app.test_cli_runner()
    created = runner.invoke(args=["tokens", "create", "--department", "civil_affairs"])
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[-1]

    client = late_app.test_client()
    response = client.post("/api/evaluate", json=[PILOT], headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 503
    assert response.get_json() == {"error": "parameters_not_stored", "plugins": {"pilots": ["pilots.flat"]},
                                   "message": NOT_STORED[len("error: "):].rstrip()}

    assert client.post("/login", data={"username": "ca_admin", "password": "correct-horse-battery-1"}).status_code == 302
    page = client.post("/import", data={"file": (io.BytesIO(json.dumps([PILOT]).encode()), "pilots.json")},
                       content_type="multipart/form-data")
    assert page.status_code == 503
    html = page.get_data(as_text=True)
    assert "试点跟踪" in html and "stdpolicy init" in html


# -- disable a plugin that is no longer installed --------------------------------------------


@pytest.fixture
def ghost_app(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """`ghost` was installed, permitted and switched on by civil affairs; then uninstalled."""
    installed = _app(database_url, tmp_path, monkeypatch, ("ghost", Boom()))
    runner = installed.test_cli_runner()
    for args in (["init"], ["permit", "ghost", "-d", "civil_affairs"], ["enable", "ghost", "-d", "civil_affairs"]):
        assert runner.invoke(args=args).exit_code == 0
    with installed.app_context():
        db.engine.dispose()
    app = _app(database_url, tmp_path, monkeypatch)
    yield app
    with app.app_context():
        db.engine.dispose()


def test_disable_works_for_a_plugin_no_longer_installed(ghost_app: Flask) -> None:
    runner = ghost_app.test_cli_runner()

    done = runner.invoke(args=["disable", "ghost", "-d", "civil_affairs"])

    assert done.exit_code == 0, done.output
    assert done.stdout.startswith("ghost disabled for civil_affairs")
    assert "ghost is not loaded (uninstalled, or it failed to load" in done.stderr
    with ghost_app.app_context():
        row = db.session.scalar(select(PluginEnablement).filter_by(plugin="ghost"))
        assert row.enabled is False
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "plugin.disable")).all()[-1]
        assert entry.target == "civil_affairs/ghost"
    again = runner.invoke(args=["disable", "ghost", "-d", "civil_affairs"])
    assert again.exit_code == 0 and "ghost was already disabled for civil_affairs" in again.stdout


def test_disable_of_a_plugin_never_known_is_still_an_error(ghost_app: Flask) -> None:
    done = ghost_app.test_cli_runner().invoke(args=["disable", "nosuch", "-d", "civil_affairs"])
    assert done.exit_code == 2
    assert "no plugin 'nosuch' is loaded or was ever switched on for civil_affairs" in done.stderr
    # Enabling an uninstalled plugin is refused as before.
    done = ghost_app.test_cli_runner().invoke(args=["enable", "ghost", "-d", "civil_affairs"])
    assert done.exit_code == 2 and "no loaded plugin 'ghost'" in done.stderr


def test_the_admin_switches_off_a_plugin_no_longer_installed(ghost_app: Flask) -> None:
    from core.store import find_department
    from webadmin.models import User

    with ghost_app.app_context():
        user = User(username="city", role="city_admin", department_id=find_department("civil_affairs").id,
                    created_by="tests")
        user.set_password("correct-horse-battery-1")
        db.session.add(user)
        db.session.commit()
    client = ghost_app.test_client()
    client.post("/login", data={"username": "city", "password": "correct-horse-battery-1"})
    page = client.get("/plugins?lang=en").get_data(as_text=True)
    assert 'action="/plugins/civil_affairs/ghost"' in page

    response = client.post("/plugins/civil_affairs/ghost", data={"enabled": "0"})

    assert response.status_code == 302
    with ghost_app.app_context():
        assert db.session.scalar(select(PluginEnablement.enabled).filter_by(plugin="ghost")) is False
    assert client.post("/plugins/civil_affairs/ghost", data={"enabled": "1"}).status_code == 404
    assert client.post("/plugins/civil_affairs/nosuch", data={"enabled": "0"}).status_code == 404


# -- stdpolicy plugins --verbose -----------------------------------------------------------------


def test_plugins_lists_failures_with_file_line_and_verbose_traceback(
        database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Raises:
        @hookimpl
        def stdpolicy_register_parameters(self):
            raise OSError("parameters.yaml not found")

        def stdpolicy_evaluate(self, batch, context):  # no @hookimpl: a warning
            return []

    from webadmin import create_app

    monkeypatch.setenv("STDPOLICY_INSTANCE_PATH", str(tmp_path / "instance"))
    registry = load_registry(plugins=[("raises", Raises())])
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url}, registry=registry)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["init"]).exit_code == 0

    plain = runner.invoke(args=["plugins"])
    assert plain.exit_code == 0, plain.output
    assert "core " in plain.stdout and "kinds:       standard_drafting, tc_secretariat, innovation_award, pilot_project" \
        in plain.stdout
    assert "reads:       standard_drafting, tc_secretariat, innovation_award, pilot_project" in plain.stdout
    assert "hook API:    >=1.0,<2" in plain.stdout
    assert "FAILED raises (registered in code) at declarations: OSError: parameters.yaml not found" in plain.stdout
    assert f"    at {__file__}:" in plain.stdout
    assert "Traceback" not in plain.stdout
    assert "(`stdpolicy plugins --verbose` prints each failure's traceback)" in plain.stdout

    verbose = runner.invoke(args=["plugins", "--verbose"])
    assert "    | Traceback (most recent call last):" in verbose.stdout
    assert '    |     raise OSError("parameters.yaml not found")' in verbose.stdout
    with app.app_context():
        db.engine.dispose()


def test_the_plugins_page_shows_failures_where_they_were_raised_and_warnings_in_chinese(
        database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.store import find_department
    from webadmin.models import User

    class Raises:
        @hookimpl
        def stdpolicy_register_parameters(self):
            raise OSError("parameters.yaml not found")

    class Sloppy:
        @hookimpl
        def stdpolicy_describe_plugin(self):
            return PluginDescription(Text("公共服务", "Public services"), Text("", ""), reads=("export_licence",))

        def stdpolicy_evaluate(self, batch, context):
            return []

    from webadmin import create_app

    monkeypatch.setenv("STDPOLICY_INSTANCE_PATH", str(tmp_path / "instance"))
    # The project's plugins only: the sloppy fake borrows the name public_services (a built-in plugin now).
    registry = load_registry(only=PROJECT_PLUGINS, plugins=[("raises", Raises()), ("public_services", Sloppy())])
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": False,
                      "SESSION_COOKIE_SECURE": False}, registry=registry)
    assert app.test_cli_runner().invoke(args=["init"]).exit_code == 0
    with app.app_context():
        for name, role in (("city", "city_admin"), ("viewer", "dept_viewer")):
            user = User(username=name, role=role, department_id=find_department("civil_affairs").id, created_by="t")
            user.set_password("correct-horse-battery-1")
            db.session.add(user)
        db.session.commit()

    client = app.test_client()
    client.post("/login", data={"username": "city", "password": "correct-horse-battery-1"})
    page = client.get("/plugins").get_data(as_text=True)  # Chinese, the default
    assert f"出错位置:{__file__}:" in page
    assert "技术细节(错误追踪信息)" in page and "Traceback (most recent call last)" in page
    assert '函数 <small class="detail"><code>stdpolicy_evaluate</code></small> 未标注 @hookimpl,系统不会调用它' in page
    assert "未声明所适用的插件接口版本;本系统的插件接口版本为" in page
    assert '读取活动类型 <small class="detail"><code>export_licence</code></small>,但没有已加载的插件声明该类型' in page
    assert "无已加载的插件声明" in page

    client = app.test_client()  # another browser
    client.post("/login", data={"username": "viewer", "password": "correct-horse-battery-1"})
    page = client.get("/plugins").get_data(as_text=True)
    assert "出错位置:" in page and "Traceback" not in page  # the traceback is for city administrators
    with app.app_context():
        db.engine.dispose()


def test_the_admin_says_when_a_plugin_raised_during_an_import_or_a_reevaluation(boom_app: Flask) -> None:
    import re

    from core.store import find_department
    from webadmin.models import User

    with boom_app.app_context():
        user = User(username="city", role="city_admin", department_id=find_department("market_regulation").id,
                    created_by="tests")
        user.set_password("correct-horse-battery-1")
        db.session.add(user)
        db.session.commit()
    client = boom_app.test_client()
    client.post("/login", data={"username": "city", "password": "correct-horse-battery-1"})
    records = json.dumps([LEAD, boom("B1"), boom("B2", "boom")]).encode()
    checked = client.post("/import?lang=en", data={"file": (io.BytesIO(records), "mixed.json")},
                          content_type="multipart/form-data").get_data(as_text=True)
    token = re.search(r'<input id="token" name="token" type="hidden" value="([^"]+)"', checked).group(1)

    page = client.post("/import/confirm?lang=en", data={"token": token}).get_data(as_text=True)

    assert "Boom failed on 1 activities: they have an error outcome (amount 0) until the plugin is fixed and the " \
           "outcomes are re-evaluated. The error: ValueError: kaput" in page
    zh = client.post("/plugins/reevaluate?lang=zh_CN", follow_redirects=True).get_data(as_text=True)
    assert "政策插件爆在 1 条活动上出错:在插件修复并重新评估之前,这些活动的结果为错误(金额0元)。错误信息:ValueError: kaput" in zh


#: What a plugin's outcome may get wrong, and the words its error outcome then says.
SLIPS = {
    "rule": (lambda a: Outcome(a, 5, 7, "三(二)", Text("七", "seven")), "its rule must be a non-empty text, got 5"),
    "clause": (lambda a: Outcome(a, "D1", 7, None, Text("七", "seven")), "its clause must be a text, got None"),
    "status": (lambda a: Outcome(a, "D1", 7, "三(二)", Text("七", "seven"), status="weird"),
               "its status 'weird' is not one of: ok, not_covered"),
    "text": (lambda a: Outcome(a, "D1", 7, "三(二)", "seven"), "its explanation must be a Text (Chinese, English), got 'seven'"),
    "pair": (lambda a: Outcome(a, "D1", 7, "三(二)", (1, 2)), "its explanation must be a Text"),
    "subject": (lambda a: Outcome(a, "D1", 7, "三(二)", Text("七", "seven"), subject=None), "its subject must be a Text"),
    "held": (lambda a: Outcome(a, "D1", 7, "三(二)", Text("七", "seven"), status="held"),
             "a held outcome carries amount 0"),
    "held_amount": (lambda a: Outcome(a, "D1", 0, "三(二)", Text("七", "seven"), status="held",
                                      details={"held_amount": "7"}), "details['held_amount'] of a held outcome must be int yuan"),
    "parameters": (lambda a: Outcome(a, "D1", 7, "三(二)", Text("七", "seven"), parameters=("x",)),
                   "its parameters must be the ParamValue read from context.parameters, got 'x'"),
    "details_date": (lambda a: Outcome(a, "D1", 7, "三(二)", Text("七", "seven"), details={"when": a.date}),
                     "its details are not JSON: TypeError: Object of type date is not JSON serializable"),
    "details_nan": (lambda a: Outcome(a, "D1", 7, "三(二)", Text("七", "seven"), details={"ratio": float("nan")}),
                    "its details are not JSON: ValueError: Out of range float values"),
    "details_set": (lambda a: Outcome(a, "D1", 7, "三(二)", Text("七", "seven"), details={"tags": {"a"}}),
                    "set is not JSON serializable"),
    "details_list": (lambda a: Outcome(a, "D1", 7, "三(二)", Text("七", "seven"), details=["not", "a", "dict"]),
                     "its details must be a dict, got a list"),
    "references": (lambda a: Outcome(a, "D1", 7, "三(二)", Text("七", "seven"), references=("x",)),
                   "its references must be the snapshots read from context.reference"),
    # Money for a record the input does not hold: it counted in the totals, and an import failed on it.
    "foreign": (lambda a: Outcome(Activity(a.kind, a.date, a.credit_code, dict(a.fields), ref="FAKE"), "D1", 999_999,
                                  "三(二)", Text("七", "seven")), "which is not one of the batch's activities"),
}


class Sloppy:
    """Makes, for a record whose note names a slip, an outcome with that slip; a good one for the others."""

    __version__ = "1.0.0"

    @hookimpl
    def stdpolicy_describe_plugin(self):
        return PluginDescription(Text("粗心", "Sloppy"), Text("", ""), api=">=1.0,<2")

    @hookimpl
    def stdpolicy_register_activity_kinds(self):
        return [ActivityKind("sloppy_thing", Text("粗心事项", "Sloppy thing"), NoteSchema)]

    @hookimpl
    def stdpolicy_evaluate(self, batch, context):
        good = lambda a: Outcome(a, "G1", 7, "三(二)", Text("七", "seven"), details={"when": a.date.isoformat()})  # noqa: E731
        return [SLIPS[a.fields["note"]][0](a) if a.fields.get("note") in SLIPS else good(a)
                for a in batch.of_kind("sloppy_thing")]


@pytest.mark.parametrize("slip", list(SLIPS))
def test_an_outcome_unfit_to_store_fails_only_its_activity(database_url: str, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch, slip: str) -> None:
    """Before, each of these ended evaluate or import in a traceback, every plugin's results lost (or, for the
    database, exit 4 with nothing stored), or was kept as it came (a held outcome paying money, the letters of a
    string as its explanation, money for a record the input does not hold)."""
    app = _app(database_url, tmp_path, monkeypatch, ("sloppy", Sloppy()))
    runner = app.test_cli_runner()
    for args in (["init"], ["permit", "sloppy", "-d", "market_regulation"], ["enable", "sloppy", "-d", "market_regulation"]):
        done = runner.invoke(args=args)
        assert done.exit_code == 0, done.output
    bad = {"id": "X1", "kind": "sloppy_thing", "date": "2024-03-01", "credit_code": CODE, "note": slip}
    good = {**bad, "id": "X2", "note": None}
    path = _write(tmp_path, [LEAD, bad, good])
    for fmt in ("json", "jsonl"):
        done = runner.invoke(args=["evaluate", path, "--format", fmt])
        assert done.exit_code == 5, done.output
        lines = done.stdout.splitlines()
        results = json.loads(done.stdout)["results"] if fmt == "json" else [json.loads(line) for line in lines[:-1]]
        total = json.loads(done.stdout if fmt == "json" else lines[-1])["total_amount"]
        by_id = {r["id"]: r for r in results}
        assert by_id["S1"]["amount"] == 300000 and by_id["X2"]["amount"] == 7 and total == 300000 + 7
        assert by_id["X2"]["outcomes"][0]["details"] == {"when": "2024-03-01"}
        [error] = by_id["X1"]["outcomes"]
        assert (error["plugin"], error["rule"], error["amount"]) == ("sloppy", ERROR_RULE, 0)
        assert "returned an outcome" in error["details"]["error"] and SLIPS[slip][1] in error["details"]["error"], error
        assert "sloppy: 1 activity with an error outcome (X1)" in done.stderr
    done = runner.invoke(args=["import", path])
    assert done.exit_code == 5, done.output
    with app.app_context():
        rules = dict(db.session.execute(select(ActivityRecord.external_id, OutcomeRecord.rule).join(OutcomeRecord)).all())
        assert (rules["X1"], rules["X2"], sorted(rules)) == (ERROR_RULE, "G1", ["S1", "X1", "X2"])
        db.engine.dispose()
