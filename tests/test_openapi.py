"""The OpenAPI document (/api/openapi.json): generated with apispec from the marshmallow schemas, valid,
describing every route under /api/, and true of the answers the API gives."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from flask import Blueprint
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from webadmin.openapi import describe, openapi_document, undocumented_routes

from webadmin_support import bearer, fast_password_hashing, make_token  # noqa: F401  (fixtures)
from test_register_queries import load_examples

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"


def _check(document: dict, path: str, method: str, status: int, body: dict) -> None:
    """``body`` is valid against the document's response schema of ``method path`` for ``status``."""
    schema = document["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]
    OAS30Validator({**schema, "components": document["components"]}).validate(body)


def test_the_document_is_valid_and_describes_every_api_route(app, client):
    response = client.get("/api/openapi.json")     # no token needed
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = response.get_json()
    validate(document)                              # OpenAPI 3.0 schema
    assert undocumented_routes(app) == []
    # (a path parameter, <int:activity_id>, is written {activity_id} in the document)
    api_rules = {re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
                 for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")}
    assert set(document["paths"]) == api_rules
    assert document["components"]["securitySchemes"]["departmentToken"] == {
        "type": "http", "scheme": "bearer", "description": "A department's API token: `Authorization: Bearer <token>`."}
    assert document["paths"]["/api/plugins"]["get"]["security"] == [{"departmentToken": []}]
    assert document["paths"]["/api/openapi.json"]["get"]["security"] == []
    totals = document["paths"]["/api/register/totals"]["get"]
    assert {p["name"] for p in totals["parameters"]} == {"by", "q", "kind", "year", "county", "plugin", "paid_only"}
    assert "RegisterTotals" in document["components"]["schemas"]
    assert "ActivityRecord" in document["components"]["schemas"]


def test_an_undescribed_api_route_is_found(app):
    bp = Blueprint("stray_api", __name__, url_prefix="/api/stray")

    @bp.route("/things")
    def things():
        return {}

    @bp.route("/described/<int:n>")
    @describe("A described thing", None)
    def described(n: int):
        return {}

    app.register_blueprint(bp)
    assert undocumented_routes(app) == ["/api/stray/things"]
    document = openapi_document(app)
    assert "/api/stray/described/{n}" in document["paths"]
    validate(document)


def test_real_answers_match_the_document(app, client):
    token = make_token(app, "market_regulation")
    document = client.get("/api/openapi.json").get_json()
    evaluated = client.post("/api/evaluate", data=(EXAMPLES / "with-errors.json").read_bytes(), headers=bearer(token),
                            content_type="application/json")
    assert evaluated.status_code == 200
    _check(document, "/api/evaluate", "post", 200, evaluated.get_json())
    _check(document, "/api/plugins", "get", 200, client.get("/api/plugins", headers=bearer(token)).get_json())
    refused = client.get("/api/plugins")
    assert refused.status_code == 401
    _check(document, "/api/plugins", "get", 401, refused.get_json())
    load_examples(app)
    for by in ("organisation", "county", "year", "rule"):
        answer = client.get(f"/api/register/totals?by={by}", headers=bearer(token))
        assert answer.status_code == 200, answer.get_json()
        _check(document, "/api/register/totals", "get", 200, answer.get_json())
    bad = client.get("/api/register/totals?by=planet&year=abc", headers=bearer(token))
    assert bad.status_code == 400 and set(bad.get_json()["fields"]) == {"by", "year"}
    _check(document, "/api/register/totals", "get", 400, bad.get_json())


def test_register_totals_are_the_departments(app, client):
    from core.app import get_registry
    from core.store.register import RegisterFilter, register_totals

    load_examples(app)
    mr = client.get("/api/register/totals?by=county&county=330421", headers=bearer(make_token(app, "market_regulation")))
    with app.app_context():
        expected = register_totals(get_registry(), {"reward_tiers"}, RegisterFilter(county="330421"), "county")
    body = mr.get_json()
    assert (body["department"], body["activities"], body["amount"]) == ("market_regulation", expected.activities, expected.amount)
    assert body["amount"] > 0 and body["lines"][0]["county"] == {"zh": "嘉善县", "en": "Jiashan County"}
    other = client.get("/api/register/totals", headers=bearer(make_token(app, "civil_affairs", name="ca"))).get_json()
    assert other["department"] == "civil_affairs" and other["amount"] == 0 and other["lines"] == []
    assert client.get("/api/register/totals").status_code == 401
    json.dumps(body)  # plain JSON, integers of yuan
    assert all(type(line["amount"]) is int for line in body["lines"])
