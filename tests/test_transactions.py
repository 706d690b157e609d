"""A change and its audit entry are one transaction: a failing audit write stores neither.

Every use case that writes is tried with the audit log's INSERT failing as
a full or broken disk makes it fail (the driver's own error, raised where
the driver raises it): from the command line (exit status 4, one line, no
traceback) and from the admin (the 503 page), nothing of the change may
remain — compared row by row over every table. On SQLite ``params set``
used to commit the parameter version before its audit entry (a SAVEPOINT's
RELEASE committed it).
"""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from core.db import db
from core.models import ParameterVersionRecord
from core.store import find_department

from fault_support import KEY, drafting, everything, inject, write_json

AUDIT = "INSERT INTO audit_log"


@pytest.fixture
def stored(app: Flask, runner, tmp_path) -> Flask:
    """The seeded database with a few activities and outcomes, and a token to revoke."""
    result = runner.invoke(args=["import", write_json(tmp_path / "a.json", drafting("T", 6))])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["tokens", "create", "-d", "market_regulation", "--name", "existing"])
    assert result.exit_code == 0, result.output
    return app


CLI_CASES = {
    "params set": ["params", "set", KEY, "350000", "--from", "2024-01-01", "--reason", "raised", "--reference", "doc"],
    "import": ["import", "{new_file}"],
    "reevaluate after a change": ["reevaluate"],
    "disable": ["disable", "reward_tiers", "-d", "market_regulation"],
    "permit": ["permit", "reward_tiers", "-d", "civil_affairs"],
    "users create": ["users", "create", "new-admin", "-d", "market_regulation", "-r", "dept_admin",
                     "--password-env", "NEW_PASSWORD"],
    "tokens create": ["tokens", "create", "-d", "market_regulation", "--name", "second"],
    "tokens revoke": ["tokens", "revoke", "1"],
}


@pytest.mark.parametrize("case", list(CLI_CASES))
def test_a_failing_audit_write_stores_nothing_from_the_command_line(stored: Flask, runner, tmp_path, monkeypatch,
                                                                     case: str) -> None:
    monkeypatch.setenv("NEW_PASSWORD", "a-long-enough-password")
    if case == "reevaluate after a change":
        # Something for the re-evaluation to change: a new amount from 2024.
        done = runner.invoke(args=CLI_CASES["params set"])
        assert done.exit_code == 0, done.output
    args = [a.replace("{new_file}", write_json(tmp_path / "new.json", drafting("N", 4, start=100))) for a in CLI_CASES[case]]
    before = everything(stored)

    with inject(stored, AUDIT) as refused:
        result = runner.invoke(args=args)

    assert refused, "the audit write was never attempted"
    assert result.exit_code == 4, result.output
    assert "Traceback" not in result.output
    [line] = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert "nothing was stored" in line
    assert everything(stored) == before


def test_params_set_without_the_fault_stores_version_and_audit(stored: Flask, runner) -> None:
    """The same command, no fault: both are stored (the test above is not vacuous)."""
    before = everything(stored)
    result = runner.invoke(args=CLI_CASES["params set"])
    assert result.exit_code == 0, result.output
    after = everything(stored)
    assert len(after["parameter_versions"]) == len(before["parameter_versions"]) + 1
    assert len(after["audit_log"]) == len(before["audit_log"]) + 1


def _login(client, users, name: str = "city") -> None:
    from conftest import PASSWORD

    response = client.post("/login", data={"username": name, "password": PASSWORD})
    assert response.status_code == 302


def _admin_cases(app: Flask) -> dict:
    with app.app_context():
        version = db.session.scalar(select(ParameterVersionRecord.sequence).filter_by(key=KEY)
                                    .order_by(ParameterVersionRecord.sequence.desc()).limit(1))
        department = find_department("market_regulation").code
    return {
        "parameter save": (f"/parameters/{KEY}", {
            "value": "360000", "effective_from": "2024-02-01", "reason": "raised", "reference": "doc",
            "based_on": str(version), "save": "1"}),
        "plugin switch": (f"/plugins/{department}/reward_tiers", {"enabled": "0"}),
        "plugin permission": ("/plugins/civil_affairs/reward_tiers/permission", {"allowed": "1"}),
        "plugin forbidden": (f"/plugins/{department}/reward_tiers/permission", {"allowed": "0"}),
        "plugin owner": ("/plugins/reward_tiers/owner", {"department": "civil_affairs"}),
        "re-evaluate": ("/plugins/reevaluate", {}),
        "user create": ("/users/new", {"username": "someone", "role": "dept_viewer", "department": department,
                                       "password": "a-long-enough-password", "confirm": "a-long-enough-password"}),
        "token create": ("/tokens", {"department": department, "name": "from the admin"}),
        "token revoke": ("/tokens/1/revoke", {}),
    }


@pytest.mark.parametrize("case", ["parameter save", "plugin switch", "plugin permission", "plugin forbidden",
                                  "plugin owner", "re-evaluate", "user create", "token create", "token revoke"])
def test_a_failing_audit_write_stores_nothing_from_the_admin(stored: Flask, client, users, case: str) -> None:
    _login(client, users)
    url, data = _admin_cases(stored)[case]
    if case == "re-evaluate":
        with stored.app_context():
            from core.app import get_registry
            from core.services import record_parameter

            record_parameter(get_registry(), KEY, {"value": "370000", "effective_from": "2024-03-01",
                                                    "reason": "r", "reference": "doc"}, actor="tests", source="cli")
    before = everything(stored)

    with inject(stored, AUDIT) as refused:
        response = client.post(url + "?lang=en", data=data)

    assert refused, "the audit write was never attempted"
    assert response.status_code == 503, response.get_data(as_text=True)[:2000]
    body = response.get_data(as_text=True)
    assert "Nothing was stored" in body and "Traceback" not in body
    assert everything(stored) == before
