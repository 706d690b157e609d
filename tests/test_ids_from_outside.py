"""Ids from outside beyond what the databases store are a clear refusal, never a traceback.

An id of 30 digits used to reach the database: SQLite cannot bind it
(``OverflowError``), PostgreSQL's ``integer`` column refuses it (``DataError``).
In a URL it is now a 404 or the page's default (webadmin/urlints.py; every
route of the admin and of every built-in plugin's pages is tried), on the
command line a usage error naming the argument (``core.cli._common.ROW_ID``);
on both databases (``STDPOLICY_DATABASE_URL``).
"""

from __future__ import annotations

import re

import pytest
from flask import Flask

from core.db import MAX_ROW_ID

pytestmark = pytest.mark.stdpolicy_plugins("reward_tiers", "carbon", "benchmarking", "public_services", "city_targets")

#: Too large for every id column; negative; too long to be a number Python reads quickly.
HOSTILE = [str(MAX_ROW_ID + 1), "9" * 30, "9" * 5000]


def _int_routes(app: Flask) -> list[tuple[str, str, list[str]]]:
    """(method, rule, its int arguments) of every route with an integer in its path: GET if it answers GET."""
    found = []
    for rule in app.url_map.iter_rules():
        ints = [name for name, converter in rule._converters.items() if converter.__class__.__name__ == "RowIdConverter"]
        if ints:
            found.append(("GET" if "GET" in (rule.methods or ()) else "POST", rule.rule, ints))
    return found


def test_every_route_with_an_id_answers_404_for_an_id_beyond_the_databases(app: Flask, client, login) -> None:
    routes = _int_routes(app)
    assert {"GET", "POST"} <= {method for method, _, _ in routes} and len(routes) >= 8, routes
    login("city")
    for method, rule, names in routes:
        for value in HOSTILE:
            url = re.sub(r"<int(?:\([^)]*\))?:(\w+)>", lambda m, v=value: v if m[1] in names else "1", rule)
            url = re.sub(r"<[^>]+>", "x", url)  # other arguments (a key, a name)
            answer = client.open(url, method=method)
            assert answer.status_code == 404, (method, url[:80], answer.status_code)


@pytest.mark.parametrize("query", [
    "/activities?page={n}", "/audit?page={n}", "/whatif/compare?id={n}&id=1", "/activities?page=-3",
])
def test_integer_query_arguments_out_of_range_are_ignored(client, login, query: str) -> None:
    login("city")
    for value in HOSTILE:
        answer = client.get(query.format(n=value))
        assert answer.status_code < 500, (query, answer.status_code)


def test_ids_within_range_still_reach_their_pages(client, login) -> None:
    login("city")
    assert client.get(f"/activities/{MAX_ROW_ID}").status_code == 404  # in range, not stored: the view's own 404
    assert client.get("/activities?page=1").status_code == 200


@pytest.mark.parametrize("args", [
    ["reviews", "approve", "9" * 30, "--note", "ok", "--department", "market_regulation"],
    ["reviews", "reject", "0", "--note", "no", "--department", "market_regulation"],
    ["tokens", "revoke", str(MAX_ROW_ID + 1)],
])
def test_command_line_ids_beyond_the_databases_are_usage_errors(runner, args: list[str]) -> None:
    result = runner.invoke(args=args)
    assert result.exit_code == 2 and "is not in the range" in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
