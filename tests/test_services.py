"""The use cases live once (core.services, webadmin.services): every caller gets the same rules and results.

- evaluating records: Python, ``stdpolicy evaluate`` and ``POST /api/evaluate``
  give the same document, byte for byte;
- the rule that a plugin is switched on only where permitted holds for any
  caller, Python included;
- a parameter version recorded from Python is audited under its plugin's owner;
- users and tokens: the command line refuses what the admin refuses (a user
  name's form), and has the admin's deactivate / end-sessions too;
- no caller (CLI command, admin view, API) writes an audit entry, commits or
  takes the writer lock itself: only the services do.
"""

from __future__ import annotations

import ast
import io
import json
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from core.app import get_registry
from core.db import db
from core.interchange import read_records
from core.models import AuditEntry, PluginEnablement
from core.services import (
    NotPermitted,
    default_reference,
    evaluate_records,
    record_parameter,
    switch_plugin,
)
from core.store import find_department, set_permitted
from webadmin import services
from webadmin.models import ApiToken, User

from webadmin_support import bearer

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "docs/examples/activities.json"
LEAD = "reward_tiers.lead.national"


def test_one_evaluation_for_python_the_command_and_the_api(app: Flask, runner) -> None:
    with app.app_context():
        registry = get_registry()
        evaluation = evaluate_records(registry, read_records(str(EXAMPLES), registry),
                                      department=find_department("market_regulation"))
        out = io.StringIO()
        evaluation.write_json(out)
        row, token = services.create_token(find_department("market_regulation"), "t", actor="tests")
    assert evaluation.plugins == ["reward_tiers"]
    assert json.loads(out.getvalue()) == evaluation.document()
    assert evaluation.total_amount == evaluation.document()["total_amount"] > 0

    command = runner.invoke(args=["evaluate", str(EXAMPLES), "--department", "market_regulation"])
    api = app.test_client().post("/api/evaluate", data=EXAMPLES.read_bytes(), headers=bearer(token),
                                 content_type="application/json")
    assert api.status_code == 200
    assert command.stdout_bytes == api.data == out.getvalue().encode("utf-8")


def test_a_department_without_the_plugin_evaluates_nothing(app: Flask) -> None:
    with app.app_context():
        registry = get_registry()
        evaluation = evaluate_records(registry, read_records(str(EXAMPLES), registry),
                                      department=find_department("civil_affairs"))
    assert evaluation.plugins == [] and evaluation.total_amount == 0 and not evaluation.result.outcomes


def test_switching_on_an_unpermitted_plugin_is_refused_for_every_caller(app: Flask) -> None:
    with app.app_context():
        department = find_department("civil_affairs")
        before = db.session.scalar(select(db.func.count()).select_from(AuditEntry))
        with pytest.raises(NotPermitted):
            switch_plugin(department, "reward_tiers", True, "python")
        assert db.session.scalar(select(PluginEnablement).filter_by(department_id=department.id,
                                                                    plugin="reward_tiers")) is None
        assert db.session.scalar(select(db.func.count()).select_from(AuditEntry)) == before
        set_permitted(department, "reward_tiers", True, "tests")
        db.session.commit()
        assert switch_plugin(department, "reward_tiers", True, "python") is True


def test_a_version_recorded_from_python_is_audited_under_the_owner(app: Flask) -> None:
    with app.app_context():
        registry = get_registry()
        assert default_reference(registry, LEAD) == registry.parameters[LEAD].defaults[-1].reference
        record_parameter(registry, LEAD, {"value": "350000", "effective_from": "2025-01-01", "reason": "r",
                                          "reference": "doc"}, actor="python", source="cli")
        assert default_reference(registry, LEAD) == "doc"
        entry = db.session.scalar(select(AuditEntry).filter_by(action="parameter.version", actor="python"))
        assert entry.department_id == find_department("market_regulation").id


def test_the_command_line_refuses_the_user_names_the_admin_refuses(app: Flask, runner, monkeypatch) -> None:
    monkeypatch.setenv("NEW_PASSWORD", "a-long-enough-password-4")
    result = runner.invoke(args=["users", "create", "two words", "-d", "market_regulation", "-r", "dept_admin",
                                 "--password-env", "NEW_PASSWORD"])
    assert result.exit_code == 2
    assert "nothing was stored" in result.stderr
    result = runner.invoke(args=["users", "create", "viewer", "-r", "dept_viewer", "--password-env", "NEW_PASSWORD"])
    assert result.exit_code == 2 and "need a department" in result.stderr
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(User)) == 0


def test_deactivate_activate_and_end_sessions_from_the_command_line(app: Flask, runner, users, login) -> None:
    login("mr_admin")
    result = runner.invoke(args=["users", "end-sessions", "mr_admin"])
    assert result.exit_code == 0 and "1 open session(s)" in result.output
    result = runner.invoke(args=["users", "deactivate", "mr_admin"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["users", "deactivate", "mr_admin"]).output.strip() == "'mr_admin' was already inactive"
    with app.app_context():
        assert db.session.scalar(select(User.active).filter_by(username="mr_admin")) is False
        actions = list(db.session.scalars(select(AuditEntry.action).filter_by(target="mr_admin")
                                          .order_by(AuditEntry.id)))
    assert actions[-2:] == ["user.sessions_end", "user.deactivate"]
    assert runner.invoke(args=["users", "activate", "mr_admin"]).exit_code == 0
    assert app.test_client().post("/login", data={"username": "mr_admin", "password": "correct-horse-battery-1"}
                                  ).status_code == 302


def test_nobody_deactivates_themselves(app: Flask, users) -> None:
    with app.app_context():
        city = db.session.scalar(select(User).filter_by(username="city"))
        with pytest.raises(services.UserProblem) as refused:
            services.set_active(city, False, actor="city")
        assert refused.value.code == "self"


def test_tokens_issued_listed_revoked_and_refused_in_one_place(app: Flask) -> None:
    with app.app_context():
        market, civil = find_department("market_regulation"), find_department("civil_affairs")
        row, token = services.create_token(market, "  ledger  ", actor="tests")
        services.create_token(civil, "other", actor="tests")
        assert row.name == "ledger"
        assert [t.name for t in services.list_tokens(market)] == ["ledger"]
        assert services.authenticate_token(token).id == row.id
        assert services.revoke_token(row, actor="tests") is True
        assert services.revoke_token(row, actor="tests") is False
        with pytest.raises(services.InvalidToken) as refused:
            services.authenticate_token(token)
        assert refused.value.code == "revoked"
        with pytest.raises(services.ServiceError):
            services.create_token(market, "   ", actor="tests")
        assert db.session.scalar(select(db.func.count()).select_from(ApiToken)) == 2


#: The callers: each use case's transaction, lock and audit entry are the services' business, not theirs.
CALLERS = [*sorted((ROOT / "core/cli").glob("*.py")), *sorted((ROOT / "webadmin/views").glob("*.py")),
           ROOT / "webadmin/cli.py", ROOT / "webadmin/commands.py", ROOT / "webadmin/firstrun.py"]


@pytest.mark.parametrize("path", CALLERS, ids=lambda p: str(p.relative_to(ROOT)))
def test_callers_leave_transactions_locks_and_audit_entries_to_the_services(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    called = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            called.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    assert not called & {"audit", "commit", "writing", "record_version", "set_enabled", "set_permitted", "set_owner",
                         "import_records", "reevaluate"}
