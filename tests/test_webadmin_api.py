"""The JSON API: /api/evaluate gives what `stdpolicy evaluate --department` prints; /api/plugins; token auth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.db import db
from core.models import ActivityRecord, AuditEntry, EvaluationRun, Organisation, OutcomeRecord
from webadmin.models import ApiToken

from conftest import PASSWORD
from webadmin_support import bearer, broken_app, fast_password_hashing, make_token, permit  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
ACTIVITIES = EXAMPLES / "activities.json"
ACTIVITIES_JSONL = EXAMPLES / "activities.jsonl"
WITH_ERRORS = EXAMPLES / "with-errors.json"
TOTAL = 2550000  # docs/examples/activities.json with the shipped amounts


def evaluate(client, token: str, path: Path = ACTIVITIES, content_type: str = "application/json"):
    return client.post("/api/evaluate", data=path.read_bytes(), headers=bearer(token), content_type=content_type)


def cli_output(runner, path: Path, department: str) -> tuple[bytes, int]:
    result = runner.invoke(args=["evaluate", str(path), "--department", department])
    return result.stdout_bytes, result.exit_code


def cli_document(runner, path: Path, department: str) -> tuple[dict, int]:
    output, exit_code = cli_output(runner, path, department)
    return json.loads(output), exit_code


@pytest.fixture
def mr_token(app) -> str:
    return make_token(app, "market_regulation")


# -- the same document as the command line ----------------------------------------------------


def test_evaluate_gives_the_same_json_as_the_cli(app, client, runner, mr_token):
    response = evaluate(client, mr_token)
    assert response.status_code == 200 and response.mimetype == "application/json"
    expected, exit_code = cli_document(runner, ACTIVITIES, "market_regulation")
    assert exit_code == 0
    assert response.get_json() == expected
    assert expected["total_amount"] == TOTAL and expected["invalid"] == 0
    assert len(expected["results"]) == 8
    assert response.data == cli_output(runner, ACTIVITIES, "market_regulation")[0]  # byte for byte


def test_evaluate_json_lines(client, runner, mr_token):
    response = evaluate(client, mr_token, ACTIVITIES_JSONL, "application/x-ndjson")
    assert response.status_code == 200
    expected, _ = cli_document(runner, ACTIVITIES_JSONL, "market_regulation")
    assert response.get_json() == expected
    assert expected["total_amount"] == TOTAL


def test_invalid_records_are_reported_in_the_document_with_200(client, runner, mr_token):
    response = evaluate(client, mr_token, WITH_ERRORS)
    assert response.status_code == 200
    document = response.get_json()
    expected, exit_code = cli_document(runner, WITH_ERRORS, "market_regulation")
    assert exit_code == 1
    assert document == expected
    assert response.data == cli_output(runner, WITH_ERRORS, "market_regulation")[0]
    assert document["invalid"] > 0
    bad = next(r for r in document["results"] if r["id"] == "EX-BAD-1")
    fields = {e["field"] for e in bad["errors"]}
    assert {"date", "rank"} <= fields
    assert bad["amount"] == 0 and bad["outcomes"] == []
    good = next(r for r in document["results"] if r["id"] == "EX-001")
    assert good["errors"] == [] and good["amount"] == 300000  # valid records are still evaluated


def test_evaluate_stores_nothing_but_the_tokens_last_use(app, client, mr_token):
    def counts():
        with app.app_context():
            return [db.session.scalar(select(func.count()).select_from(model))
                    for model in (ActivityRecord, Organisation, OutcomeRecord, EvaluationRun, AuditEntry)]

    before = counts()
    with app.app_context():
        assert db.session.scalar(select(ApiToken.last_used_at)) is None
    assert evaluate(client, mr_token).status_code == 200
    assert client.get("/api/plugins", headers=bearer(mr_token)).status_code == 200
    assert counts() == before
    with app.app_context():
        assert db.session.scalar(select(ApiToken.last_used_at)) is not None


def test_the_token_department_scopes_evaluation(app, client, mr_token):
    ca_token = make_token(app, "civil_affairs")  # civil affairs has not enabled reward_tiers
    document = evaluate(client, ca_token).get_json()
    assert document["total_amount"] == 0
    assert all(r["outcomes"] == [] for r in document["results"])
    assert evaluate(client, mr_token).get_json()["total_amount"] == TOTAL


def test_enabling_a_plugin_changes_results_without_restart(app, client, login):
    ca_token = make_token(app, "civil_affairs")
    api = app.test_client()
    assert evaluate(api, ca_token).get_json()["total_amount"] == 0
    login("ca_admin")
    assert client.post("/plugins/civil_affairs/reward_tiers", data={"enabled": "1"}).status_code == 403  # not permitted
    assert evaluate(api, ca_token).get_json()["total_amount"] == 0
    permit(app, "civil_affairs")
    assert client.post("/plugins/civil_affairs/reward_tiers", data={"enabled": "1"}).status_code == 302
    document = evaluate(api, ca_token).get_json()
    assert document["total_amount"] == TOTAL
    assert {o["plugin"] for r in document["results"] for o in r["outcomes"]} == {"reward_tiers"}
    plugins = api.get("/api/plugins", headers=bearer(ca_token)).get_json()
    assert next(p for p in plugins["plugins"] if p["name"] == "reward_tiers")["enabled"] is True
    client.post("/plugins/civil_affairs/reward_tiers", data={"enabled": "0"})
    assert evaluate(api, ca_token).get_json()["total_amount"] == 0


# -- authentication --------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": ""},
    {"Authorization": "Bearer"},
    {"Authorization": "Bearer "},
    {"Authorization": "Basic dXNlcjpwYXNz"},
    {"Authorization": "Bearer stp_not-a-real-token"},
    {"Authorization": "Bearer stp_\ud800"},  # a lone surrogate answered 500
    {"Authorization": "Bearer " + "9" * 5000},
])
@pytest.mark.parametrize("method, url", [("post", "/api/evaluate"), ("get", "/api/plugins")])
def test_missing_or_invalid_token_is_401(client, mr_token, headers, method, url):
    response = getattr(client, method)(url, headers=headers, data=ACTIVITIES.read_bytes() if method == "post" else None,
                                       content_type="application/json")
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token_is_401(app, client):
    token = make_token(app, "market_regulation", revoked=True)
    response = evaluate(client, token)
    assert response.status_code == 401 and "revoked" in response.get_json()["message"]
    assert client.get("/api/plugins", headers=bearer(token)).status_code == 401
    with app.app_context():
        assert db.session.scalar(select(ApiToken.last_used_at)) is None


def test_token_revoked_on_the_tokens_page_stops_working(app, client, login, mr_token):
    api = app.test_client()
    assert evaluate(api, mr_token).status_code == 200
    login("mr_admin")
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    client.post(f"/tokens/{token_id}/revoke")
    assert evaluate(api, mr_token).status_code == 401


def test_a_logged_in_session_is_not_an_api_token(client, login):
    login("city")
    response = client.post("/api/evaluate", data=ACTIVITIES.read_bytes(), content_type="application/json")
    assert response.status_code == 401


def test_api_needs_no_csrf_token(app, client, mr_token, csrf):
    assert evaluate(client, mr_token).status_code == 200


# -- bad bodies --------------------------------------------------------------------------------


@pytest.mark.parametrize("body, content_type, words", [
    (b"this is not json", "application/json", "not JSON"),
    (b"kind,date\nstandard_drafting,2025-01-01\n", "text/csv", "not JSON"),
    (b'{"kind": "standard_drafting"}', "application/json", "expected a JSON array"),
    (b"", "application/json", "empty"),
    (b"   \n", "application/json", "empty"),
    (b"\xff\xfe\x00[", "application/json", "not UTF-8"),
    (b'{"kind": "standard_drafting"}\nnot json\n', "application/x-ndjson", "line 2"),
    (b"[" * 100000 + b"]" * 100000, "application/json", "nested too deeply"),
])
def test_unreadable_body_is_400(app, client, mr_token, body, content_type, words):
    response = client.post("/api/evaluate", data=body, headers=bearer(mr_token), content_type=content_type)
    assert response.status_code == 400
    error = response.get_json()
    assert error["error"] == "bad_request" and words in error["message"]


def test_wrong_method_is_a_json_405(client, mr_token):
    response = client.get("/api/evaluate", headers=bearer(mr_token))
    assert response.status_code == 405 and response.is_json


# -- /api/plugins ----------------------------------------------------------------------------------


def test_plugins(app, client, mr_token):
    response = client.get("/api/plugins", headers=bearer(mr_token))
    assert response.status_code == 200
    data = response.get_json()
    assert data["department"] == "market_regulation"
    [plugin] = [p for p in data["plugins"] if p["name"] == "reward_tiers"]
    assert plugin["version"] == "1.0.0"
    assert plugin["label"] == {"zh": "标准化奖励与补助", "en": "Standardisation rewards and subsidies"}
    assert plugin["enabled"] is True
    assert {"standard_drafting", "tc_secretariat", "innovation_award", "pilot_project"} <= set(plugin["kinds"])
    assert "reward_tiers.lead.national" in plugin["parameters"]
    assert data["failures"] == []
    ca = client.get("/api/plugins", headers=bearer(make_token(app, "civil_affairs"))).get_json()
    assert next(p for p in ca["plugins"] if p["name"] == "reward_tiers")["enabled"] is False


def test_plugins_lists_failures(broken_app):  # noqa: F811
    token = make_token(broken_app, "market_regulation")
    data = broken_app.test_client().get("/api/plugins", headers=bearer(token)).get_json()
    failures = {f["name"]: f for f in data["failures"]}
    assert set(failures) == {"bad_description", "bad_hook"}
    assert failures["bad_description"]["stage"] == "declarations"
    assert "PluginDescription" in failures["bad_description"]["error"]
    assert [p["name"] for p in data["plugins"]] == ["reward_tiers"]
    document = evaluate(broken_app.test_client(), token).get_json()
    assert document["total_amount"] == TOTAL  # the rest works


def test_login_still_works_beside_the_api(client, users):
    assert client.post("/login", data={"username": "city", "password": PASSWORD}).status_code == 302
