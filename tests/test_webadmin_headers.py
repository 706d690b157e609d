"""Security headers on every response, and pages the Content-Security-Policy does not break."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from flask import Flask, url_for
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from core.app import get_registry
from core.db import db
from core.models import ActivityRecord, ParameterVersionRecord
from core.store import import_records
from webadmin.headers import CONTENT_SECURITY_POLICY

from conftest import PASSWORD

ROOT = Path(__file__).resolve().parent.parent

#: What an inline script, inline style or event handler looks like in HTML (the policy would block each).
INLINE = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc\s*=)[^>]*>", re.I),
    "style attribute": re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I),
    "event handler attribute": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"""=\s*["']?\s*javascript:""", re.I),
}


def assert_secure_headers(response, what: str) -> None:
    headers = response.headers
    assert headers.get("Content-Security-Policy") == CONTENT_SECURITY_POLICY, what
    assert headers.get("X-Content-Type-Options") == "nosniff", what
    assert headers.get("X-Frame-Options") == "DENY", what
    assert headers.get("Referrer-Policy") == "same-origin", what


def assert_no_inline_code(body: str, what: str) -> None:
    for name, pattern in INLINE.items():
        match = pattern.search(body)
        assert match is None, f"{what}: {name}: {match.group(0)[:120] if match else ''}"


def test_the_policy_allows_no_inline_code_and_no_framing():
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


def _sample_values(rule) -> dict[str, object]:
    values: dict[str, object] = {}
    for name, converter in rule._converters.items():
        values[name] = 1 if isinstance(converter, IntegerConverter) else "x"
    if rule.endpoint == "static":
        values["filename"] = "style.css"
    if rule.endpoint == "parameters.detail":
        values["key"] = "reward_tiers.lead.national"
    return values


def _urls(app: Flask) -> list[tuple[str, str, str]]:
    """(method, url, endpoint) for every rule of the admin, with sample arguments."""
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            url = url_for(rule.endpoint, **_sample_values(rule))
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                urls.append((method, url, rule.endpoint))
    return urls


@pytest.fixture
def seeded(app: Flask, users) -> Flask:
    with app.app_context():
        records = json.loads((ROOT / "docs/examples/activities.json").read_text(encoding="utf-8"))
        assert import_records(get_registry(), records, source="activities.json", actor="tests").ok
        db.session.commit()
        assert db.session.get(ActivityRecord, 1) is not None
    return app


def test_every_route_answers_with_the_headers(seeded: Flask):
    app = seeded
    city = app.test_client()
    assert city.post("/login", data={"username": "city", "password": PASSWORD}).status_code == 302
    anonymous = app.test_client()
    urls = _urls(app)
    assert len({endpoint for _, _, endpoint in urls}) >= 25  # every blueprint's routes, the plugin's pages, static
    seen_status = set()
    for method, url, endpoint in urls:
        clients = [anonymous] if method != "GET" else [city, anonymous]
        for client in clients:
            if endpoint == "auth.logout":
                continue  # below, last
            response = client.open(url, method=method)
            seen_status.add(response.status_code)
            what = f"{method} {url} ({endpoint})"
            assert_secure_headers(response, what)
            body = response.get_data(as_text=response.mimetype == "text/html")  # streamed exports too
            response.close()
            if response.mimetype == "text/html":
                assert_no_inline_code(body, what)
                assert response.headers.get("Cache-Control") == "no-store", what
    assert {200, 302} <= seen_status
    assert_secure_headers(city.post("/logout"), "POST /logout")


def test_error_pages_and_static_files_have_the_headers(app: Flask, client, login, tmp_path):
    @app.route("/_test_failure")
    def failure():
        raise RuntimeError("boom")

    login("city")
    static = client.get("/static/style.css")
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")
    assert_secure_headers(static, "static")
    for response, status in (
        (client.get("/no/such/page"), 404),
        (client.get("/logout"), 405),
        (client.get("/activities/999999"), 404),
        (client.post("/api/evaluate", json=[]), 401),
    ):
        assert response.status_code == status
        assert_secure_headers(response, f"{status} page")

    response = client.get("/_test_failure")
    assert response.status_code == 500
    assert_secure_headers(response, "500 page")

    app.config["MAX_CONTENT_LENGTH"] = 100
    response = client.post("/import", data={"file": "x" * 1000})
    assert response.status_code == 413
    assert_secure_headers(response, "413 page")


def test_the_csrf_error_page_has_the_headers(client, users, csrf):
    response = client.post("/login", data={"username": "city", "password": PASSWORD})
    assert response.status_code == 400
    assert_secure_headers(response, "CSRF page")


def test_the_database_error_page_has_the_headers(app, client, login, tmp_path):
    from webadmin import create_app

    login("mr_admin")
    broken = create_app({
        "TESTING": True, "SESSION_COOKIE_SECURE": False,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/no/such/dir/db.sqlite",
    })
    other = broken.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    response = other.get("/dashboard")
    assert response.status_code == 503
    assert_secure_headers(response, "503 page")


def test_the_throttled_login_page_has_the_headers(app, users):
    client = app.test_client()
    for _ in range(6):
        response = client.post("/login", data={"username": "city", "password": "wrong"})
    assert response.status_code == 429
    assert_secure_headers(response, "429 page")


def test_no_template_has_inline_code():
    """The templates of the admin and of the shipped plugins (pages not reached above included)."""
    templates = [*ROOT.glob("webadmin/templates/**/*.html"), *ROOT.glob("plugins/*/templates/**/*.html")]
    assert len(templates) > 20
    for path in templates:
        assert_no_inline_code(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))


def test_pages_with_forms_and_data_have_no_inline_code(seeded: Flask):
    """The pages the route walk reaches only with real arguments."""
    client = seeded.test_client()
    client.post("/login", data={"username": "city", "password": PASSWORD})
    with seeded.app_context():
        key = db.session.scalar(select(ParameterVersionRecord.key).limit(1))
    for path in (f"/parameters/{key}", "/activities/1", "/users/2/password", "/users/2/sessions", "/users/new",
                 "/account/password", "/import"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_no_inline_code(response.get_data(as_text=True), path)


#: Request headers as an attacker or a broken client sends them.
HOSTILE_HEADERS = {
    "Host": ["x" * 300, "a." * 200, "localhost:99999999999"],  # a Host werkzeug refuses: its error page answered 500
    "Accept-Language": ["zh;q=abc", "x" * 10000, "zh-CN;q=1e400", ";;;,,,", "en-US," * 2000],
    "Referer": ["javascript:alert(1)", "//evil.example/", "x" * 10000],
    "Cookie": ["session=" + "A" * 5000, "session=eyJ4IjoxfQ.abc.def", "=;=;=;"],
    "If-Modified-Since": ["Mon, 99 Foo 9999 99:99:99 GMT"],
    "Range": ["bytes=9999999999999999999-", "bytes=" + ",".join(["0-0"] * 50)],
    "Content-Type": ["multipart/form-data; boundary=", "application/x-www-form-urlencoded; charset=gbk"],
}


@pytest.mark.parametrize("header, value", [(h, v) for h, values in HOSTILE_HEADERS.items() for v in values],
                         ids=lambda v: v[:20])
def test_hostile_request_headers_get_an_answer_not_a_500(app: Flask, users, header: str, value: str) -> None:
    for logged_in in (False, True):
        client = app.test_client()
        if logged_in:
            assert client.post("/login", data={"username": "city", "password": PASSWORD}).status_code == 302
        for method, path in [("get", "/dashboard"), ("get", "/login"), ("post", "/login"), ("get", "/static/style.css"),
                             ("post", "/language/en"), ("get", "/api/plugins"), ("post", "/import")]:
            response = getattr(client, method)(path, headers={header: value},
                                               data={"username": "x", "password": "y"} if method == "post" else None)
            assert response.status_code < 500, (logged_in, method, path)
            if value == "x" * 300:  # refused by werkzeug: no page can be drawn, a bare answer
                assert response.status_code == 400
                assert "请求无法处理" in response.get_data(as_text=True) or path.startswith("/api/")
                assert_secure_headers(response, f"{method} {path} with Host {value[:10]}…")
