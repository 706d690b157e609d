"""The plugin's JSON API on the demo data: the same figures as the pages, behind a department token.

A token is issued as a department's administrator would (``stdpolicy tokens
create``); the figures are checked against the independent count of
test_pages.py and against the pages themselves.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from openapi_spec_validator import validate

from .test_pages import COUNTIES, GOALS, TARGETS, _cells, _expected_scores, count, demo  # noqa: F401 (fixture)

pytestmark = pytest.mark.stdpolicy_plugins("city_targets", "reward_tiers")


def _token(runner, department: str) -> str:
    result = runner.invoke(args=["tokens", "create", "--department", department, "--name", "tests"])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def _get(client, url: str, token: str | None):
    return client.get(url, headers={"Authorization": f"Bearer {token}"} if token else {})


def test_the_targets_agree_with_the_count_and_the_page(demo, stdpolicy_client, stdpolicy_login) -> None:
    token = _token(demo, "market_regulation")
    answer = _get(stdpolicy_client, "/api/p/city_targets/targets?year=2024", token)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    data = answer.get_json()
    assert (data["year"], data["start"], data["end"]) == (2024, "2022-01-01", "2025-12-31")
    figures = {t["target"]: t for t in data["targets"]}
    assert list(figures) == list(TARGETS)
    page = _cells(stdpolicy_login("dept_viewer", "market_regulation")
                  .get("/admin/p/city_targets/?year=2024").get_data(as_text=True), "targets")
    for target in TARGETS:
        figure = figures[target]
        so_far = sum(count(target, y) for y in (2022, 2023, 2024))
        assert (figure["goal"], figure["count"], figure["cumulative"]) == (GOALS[target], count(target, 2024), so_far)
        assert figure["share"] == f"{Decimal(so_far * 100) / GOALS[target]:.1f}"
        assert [int(c) for c in page[target][1:4]] == [figure["goal"], figure["count"], figure["cumulative"]]
        assert figure["by_year"] == {str(y): count(target, y) for y in (2022, 2023, 2024, 2025)}
        assert {c: figure["by_county"][c] for c in COUNTIES} == {c: count(target, 2024, c) for c in COUNTIES}
        assert figure["name"]["zh"] and figure["name"]["en"]
    # One county.
    data = _get(stdpolicy_client, "/api/p/city_targets/targets?year=2024&county=330421", token).get_json()
    assert [t["count"] for t in data["targets"]] == [count(t, 2024, "330421") for t in TARGETS]


def test_the_counties_agree_with_the_count_and_the_page(demo, stdpolicy_client, stdpolicy_login,
                                                        stdpolicy_database_url) -> None:
    token = _token(demo, "market_regulation")
    data = _get(stdpolicy_client, "/api/p/city_targets/counties?year=2024", token).get_json()
    scores = _expected_scores(stdpolicy_database_url, 2024)
    assert data["year"] == 2024 and data["weights_version"]["sample"] is True
    assert [i["key"] for i in data["indicators"]][:len(TARGETS) + 1] == [*TARGETS, "rewards"]
    assert [r["county"] for r in data["counties"]] == sorted(COUNTIES, key=lambda c: (-scores[c], c))
    page = _cells(stdpolicy_login("dept_viewer", "market_regulation")
                  .get("/admin/p/city_targets/assessment?year=2024").get_data(as_text=True), "assessment")
    for row in data["counties"]:
        county = row["county"]
        assert Decimal(row["score"]) == scores[county]
        assert row["rank"] == 1 + sum(1 for s in scores.values() if s > scores[county])
        assert [int(Decimal(row["values"][t])) for t in TARGETS] == [count(t, 2024, county) for t in TARGETS]
        assert int(page[county][0]) == row["rank"] and Decimal(page[county][-1]) == Decimal(row["score"])
        assert sum(Decimal(v) for v in row["contributions"].values()) == Decimal(row["score"])


def test_a_token_is_needed_and_the_plugin_enabled(demo, stdpolicy_client) -> None:
    for path in ("targets", "counties"):
        answer = _get(stdpolicy_client, f"/api/p/city_targets/{path}?year=2024", None)
        assert answer.status_code == 401 and answer.get_json()["error"] == "unauthorized"
        assert _get(stdpolicy_client, f"/api/p/city_targets/{path}?year=2024", "nonsense").status_code == 401
    other = _token(demo, "civil_affairs")
    answer = _get(stdpolicy_client, "/api/p/city_targets/targets?year=2024", other)
    assert answer.status_code == 404 and answer.get_json()["error"] == "not_found"


@pytest.mark.parametrize("query, field", [("year=abc", "year"), ("year=1999", "year"), ("year=2031", "year"),
                                          ("year=2024&county=999999", "county")])
def test_a_bad_query_is_400_naming_the_field(demo, stdpolicy_client, query, field) -> None:
    token = _token(demo, "market_regulation")
    path = "counties" if field == "year" else "targets"
    answer = _get(stdpolicy_client, f"/api/p/city_targets/{path}?{query}", token)
    assert answer.status_code == 400
    body = answer.get_json()
    assert body["error"] == "bad_request" and list(body["fields"]) == [field] and field in body["message"]


def test_without_a_year_the_pages_year(demo, stdpolicy_client) -> None:
    token = _token(demo, "market_regulation")
    data = _get(stdpolicy_client, "/api/p/city_targets/counties", token).get_json()
    assert data["year"] in (2022, 2023, 2024, 2025)


def test_the_openapi_document_describes_them(demo, stdpolicy_client) -> None:
    document = stdpolicy_client.get("/api/openapi.json").get_json()
    validate(document)
    for path in ("targets", "counties"):
        operation = document["paths"][f"/api/p/city_targets/{path}"]["get"]
        assert set(operation["responses"]) == {"200", "400", "401", "404", "503"}
        assert operation["security"] == [{"departmentToken": []}]
        assert any(p["name"] == "year" and p["in"] == "query" for p in operation["parameters"])
    schemas = document["components"]["schemas"]
    assert "score" in schemas["CountyRow"]["properties"] and "cumulative" in schemas["Target"]["properties"]
