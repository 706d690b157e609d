"""Every link a user is shown opens for that user, and every form they are shown survives hostile input.

The demo instance, walked link by link per role with the test client
(fast: no browser), each path once. A menu entry or a link to a page that
then refuses the user (403) or fails (500) is a broken promise; a form that
answers 500 to a clerk's paste or an attacker's bytes loses the user's
work. ``tests/test_browser.py`` walks the city administrator's pages in
Chromium too, for their width on a phone.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import zipfile
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest
from flask import Flask
from openpyxl import Workbook
from sqlalchemy import func, select

from core.db import db
from core.testing import builtin_plugins

from conftest import PASSWORD
from webadmin_support import walk

pytestmark = pytest.mark.stdpolicy_plugins(*builtin_plugins())

_HREF = re.compile(r'<a [^>]*href="(/[^"]*)"')


@pytest.fixture
def demo(stdpolicy_app: Flask, stdpolicy_runner: Any) -> Flask:
    done = stdpolicy_runner.invoke(args=["init", "--demo"])
    assert done.exit_code == 0, done.output
    return stdpolicy_app


def _walk(client: Any, visit: Callable[[str, str], None] | None = None) -> tuple[set[str], list[tuple[str, int]]]:
    """Every page reachable from the dashboard (one URL per path); the links that did not answer 200.

    ``visit(path, html)`` is called with each page.
    """
    failed: list[tuple[str, int]] = []

    def open_page(path: str) -> list[str]:
        response = client.get(path, follow_redirects=True)
        if response.status_code != 200:
            failed.append((path, response.status_code))
            return []
        if response.mimetype != "text/html":
            return []
        page = response.get_data(as_text=True)
        if visit is not None:
            visit(path, page)
        return [html.unescape(href) for href in _HREF.findall(page)]

    return walk(open_page), failed


@pytest.mark.parametrize("role", ["dept_admin", "dept_viewer"])
@pytest.mark.parametrize("department", ["market_regulation", "development_reform", "ecology_environment",
                                        "civil_affairs", "health"])
def test_every_link_a_department_user_is_shown_opens(demo: Flask, stdpolicy_client: Any, stdpolicy_user: Any,
                                                      role: str, department: str) -> None:
    # The menu offered budget planning to every department administrator; one whose department
    # manages no plugin's parameters (ecology_environment uses carbon, development_reform owns it) got 403.
    name = stdpolicy_user(role=role, department=department)
    assert stdpolicy_client.post("/login", data={"username": name, "password": PASSWORD}).status_code == 302
    seen, failed = _walk(stdpolicy_client)
    assert len(seen) > 20, sorted(seen)
    assert not failed


def test_every_link_a_city_administrator_is_shown_opens(demo: Flask, stdpolicy_client: Any, stdpolicy_user: Any) -> None:
    name = stdpolicy_user(role="city_admin")
    assert stdpolicy_client.post("/login", data={"username": name, "password": PASSWORD}).status_code == 302
    seen, failed = _walk(stdpolicy_client)
    assert len(seen) > 60, sorted(seen)
    assert not failed


# -- forms ---------------------------------------------------------------------------------------

#: What each form's text fields are given, one at a time: nothing; a lone surrogate and bytes that are
#: not UTF-8 (percent-encoded as a client would send them); a 5,000-digit number; a date as Excel
#: writes it; markup; full-width digits; digits that int() refuses though str.isdigit() says yes (a
#: superscript, a circled number pasted from a document); a negative number.
_HOSTILE = ["", "%ED%A0%80", "%FF%FE", "9" * 5000, "2024/8/4", "<script>alert(1)</script>", "１２３", "%C2%B2",
            "%E2%91%A0", "-1"]
_TEXT_TYPES = {"", "text", "search", "number", "date", "email", "password", "url", "tel"}


class _Forms(HTMLParser):
    """The forms of a page: action, method, and (tag, type, name, first value) of each named control."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._form: dict[str, Any] | None = None
        self._select: int | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = {"action": html.unescape(a.get("action", "")), "method": a.get("method", "get").lower(),
                          "controls": []}
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "textarea", "select", "button") and a.get("name"):
            self._form["controls"].append((tag, a.get("type", "").lower(), a["name"], a.get("value", "")))
            self._select = len(self._form["controls"]) - 1 if tag == "select" else None
        elif tag == "option" and self._form is not None and self._select is not None:
            tag_, type_, name, value = self._form["controls"][self._select]
            if not value:  # the first option: a value the form offers
                self._form["controls"][self._select] = (tag_, type_, name, a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def _submissions(form: dict[str, Any]) -> list[tuple[str, str]]:
    """(button, body) for each submit button of ``form`` and each hostile value in its text fields."""
    controls = form["controls"]
    buttons = [c for c in controls if c[0] == "button" or c[1] == "submit"] or [("", "", "", "")]
    kept = [(name, value) for tag, type_, name, value in controls
            if tag != "button" and type_ not in ("submit", "file") and not (type_ == "checkbox" and not value)]
    texts = {name for tag, type_, name, _ in controls if tag == "textarea" or (tag == "input" and type_ in _TEXT_TYPES)}
    done = []
    for button in buttons:
        for hostile in _HOSTILE:
            fields = [(name, "HOSTILE" if name in texts else value) for name, value in kept]
            if button[2]:
                fields.append((button[2], button[3] or "1"))
            done.append((button[2], urlencode(fields).replace("HOSTILE", hostile)))
    return done


@pytest.mark.parametrize("role,department", [("city_admin", "market_regulation"), ("dept_admin", "development_reform"),
                                             ("dept_admin", "civil_affairs"), ("dept_viewer", "ecology_environment")])
def test_every_form_a_user_is_shown_survives_hostile_input(demo: Flask, stdpolicy_client: Any, stdpolicy_user: Any,
                                                           role: str, department: str) -> None:
    # A passphrase of more than 72 characters answered 500 wherever a password is chosen (zxcvbn 4.5).
    client = stdpolicy_client
    name = stdpolicy_user(role=role, department=department)

    def login() -> None:
        assert client.post("/login", data={"username": name, "password": PASSWORD}).status_code == 302

    tried: set[tuple[str, str]] = set()
    failed: list[tuple[str, str, str, int]] = []

    def visit(path: str, page: str) -> None:
        parser = _Forms()
        parser.feed(page)
        for form in parser.forms:
            action = (form["action"] or path).split("#")[0]
            if "logout" in action or (action.split("?")[0], form["method"]) in tried:
                continue
            tried.add((action.split("?")[0], form["method"]))
            for button, body in _submissions(form):
                if form["method"] == "post":
                    response = client.post(action, data=body.encode(), content_type="application/x-www-form-urlencoded")
                else:
                    response = client.get(f"{action.split('?')[0]}?{body}")
                if response.status_code >= 500:
                    failed.append((path, action, button, response.status_code))
                if response.status_code == 302 and "/login" in response.headers.get("Location", ""):
                    login()  # the form ended the session (revoke sessions): go on as a user would

    login()
    _walk(client, visit)
    assert len(tried) > 10, tried
    assert not failed


# -- query strings -------------------------------------------------------------------------------


def _walk_as_city_administrator(client: Any, stdpolicy_user: Any, visit: Callable[[str, str], None]) -> None:
    """Log a city administrator in and walk, working for each department that enables a built-in plugin."""
    name = stdpolicy_user(role="city_admin")
    assert client.post("/login", data={"username": name, "password": PASSWORD}).status_code == 302
    for department in ("market_regulation", "ecology_environment", "civil_affairs"):
        assert client.post("/department", data={"department": department}).status_code in (302, 303)
        _walk(client, visit)


def test_every_query_a_link_carries_survives_hostile_values(demo: Flask, stdpolicy_client: Any,
                                                             stdpolicy_user: Any) -> None:
    """Each query parameter of each link a city administrator is shown (working for each department that
    enables a built-in plugin), and each number in a link's path, given hostile values one at a time:
    never 500. ``?page=²`` and ``?version=①`` answered 500 on every paged page and reference table (and
    ``?year=`` on two plugins' pages): ``str.isdigit`` let them through to ``int``."""
    client = stdpolicy_client
    links: set[str] = set()

    def visit(path: str, page: str) -> None:
        links.update(html.unescape(href) for href in _HREF.findall(page))

    _walk_as_city_administrator(client, stdpolicy_user, visit)
    queries: dict[str, set[str]] = {}
    numbered: set[tuple[str, int, int]] = set()
    for link in links:
        parts = urlsplit(link)
        if "logout" not in parts.path:
            queries.setdefault(parts.path, set()).update(key for key, _ in parse_qsl(parts.query, keep_blank_values=True))
        numbered.update((parts.path, m.start(1), m.end(1)) for m in re.finditer(r"/(\d+)(?=/|$)", parts.path))
    assert sum(map(len, queries.values())) > 30 and len(numbered) > 10, (queries, numbered)

    failed: list[tuple[str, int]] = []
    for path, keys in sorted(queries.items()):
        for key in sorted(keys):
            for hostile in _HOSTILE:
                url = f"{path}?{quote(key)}={hostile}"
                if (status := client.get(url).status_code) >= 500:
                    failed.append((url[:120], status))
    for path, start, end in sorted(numbered):
        for hostile in ("9" * 5000, "99999999999999999999", "0", "-1", "%C2%B2"):
            url = path[:start] + hostile + path[end:]
            if (status := client.get(url).status_code) >= 500:
                failed.append((url[:120], status))
    assert not failed


# -- uploads -------------------------------------------------------------------------------------

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"

#: What a cell of a good file is replaced by, one file each: a 5,000-digit number, a date as Excel
#: writes it, markup, a formula, full-width digits, a negative number, a lone surrogate.
_CELLS = ["9" * 5000, "2024/8/4", "<script>alert(1)</script>", "=1/0", "１２３", "-1", "\ud800"]


def _zipped(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()


def _workbook(rows: list[list[str]]) -> bytes:
    book = Workbook()
    for row in rows:
        # openpyxl cannot write a lone surrogate: the sheet holds the bytes that are not UTF-8 instead.
        book.active.append([c.encode("utf-8", "surrogatepass").decode("latin-1") if "\ud800" in c else c for c in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _broken_workbook() -> bytes:
    """A real workbook whose sheet is not XML."""
    with zipfile.ZipFile(io.BytesIO(_workbook([["kind"], ["x"]]))) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts["xl/worksheets/sheet1.xml"] = b"<worksheet><sheetData><row><c t='s'><v>99999"
    return _zipped(parts)


def _hostile_files(good: list[list[str]]) -> list[tuple[str, str, bytes]]:
    """(what, extension, bytes): files broken as a whole, then ``good`` (a header and rows) with a row's cells spoilt."""
    files = [
        ("empty", ext, b"") for ext in ("csv", "xlsx", "json", "jsonl")
    ] + [
        ("binary", ext, bytes(range(256)) * 64) for ext in ("csv", "xlsx", "json", "jsonl")
    ] + [
        ("a zip that is not a workbook", "xlsx", _zipped({"[Content_Types].xml": b"<Types"})),
        ("a workbook whose sheet is not XML", "xlsx", _broken_workbook()),
        ("100,000-deep JSON", "json", b"[" * 100_000 + b"]" * 100_000),
        ("100,000-deep JSON", "jsonl", b"[" * 100_000 + b"]" * 100_000),
        ("a lone surrogate in JSON", "json", b'[{"kind": "\\ud800", "date": "2024-08-04"}]'),
        ("UTF-16 text", "csv", "\t".join(good[0]).encode("utf-16")),
        ("NUL bytes", "csv", b",".join(c.encode() for c in good[0]) + b"\n\x00\x00,\x00\n"),
        ("a 2 MB line", "csv", ",".join(good[0]).encode() + b"\n" + b"a" * 2_000_000 + b"\n"),
    ]
    header, rows = good[0], good[1:]
    for cell in _CELLS:
        spoilt = [header, [cell] * len(header), *rows]
        text = "\n".join(",".join(f'"{c}"' for c in row) for row in spoilt) + "\n"
        files.append((f"cells {cell[:12]!r} (CSV, GBK)", "csv", text.encode("gb18030", "surrogateescape")
                      if "\ud800" not in cell else text.encode("utf-8", "surrogatepass")))
        files.append((f"cells {cell[:12]!r} (workbook)", "xlsx", _workbook(spoilt)))
    return files


def _example_rows() -> list[list[str]]:
    records = json.loads((EXAMPLES / "activities.json").read_text("utf-8"))
    header = sorted({key for record in records for key in record})
    return [header, *[[str(record.get(key, "")) for key in header] for record in records]]


class _Uploads(HTMLParser):
    """The upload forms of a page: action, the file input's ``accept``, and the other named controls' values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._form: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("enctype") == "multipart/form-data":
            self._form = {"action": html.unescape(a.get("action", "")), "file": None, "accept": None, "fields": {}}
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "textarea") and a.get("name"):
            if a.get("type") == "file":
                self._form["file"], self._form["accept"] = a["name"], a.get("accept")
            elif a.get("type") != "submit":
                # What a clerk fills in beside the file: a date, a reason (the form's own value, if any).
                self._form["fields"][a["name"]] = a.get("value") or ("2027-01-01" if a.get("type") == "date" else "核对")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None


def _rows(counted: Flask) -> dict[str, int]:
    with counted.app_context():
        return {table.name: db.session.scalar(select(func.count()).select_from(table))
                for table in db.metadata.sorted_tables}


def test_every_upload_form_survives_hostile_files(demo: Flask, stdpolicy_client: Any, stdpolicy_user: Any) -> None:
    """A city administrator, working for each department that enables a built-in plugin, sends every
    upload form a file broken as a whole and good files with a row spoilt. Each gets a page (never 500)
    and nothing is stored: an upload is only checked until it is confirmed."""
    client = stdpolicy_client
    forms: dict[str, dict[str, Any]] = {}

    def visit(path: str, page: str) -> None:
        parser = _Uploads()
        parser.feed(page)
        for form in parser.forms:
            forms.setdefault(form["action"] or path, {**form, "page": path})

    _walk_as_city_administrator(client, stdpolicy_user, visit)
    assert "/import" in forms and sum(a.startswith("/reference-data/") for a in forms) >= 5, sorted(forms)

    before = _rows(demo)
    failed: list[tuple[str, str, str, int]] = []
    for action, form in sorted(forms.items()):
        assert form["accept"], f"{action}: the file input names no file types"
        accepted = {ext.lstrip(".") for ext in form["accept"].split(",")}
        if action == "/import":
            good = _example_rows()
        else:  # the table's own export, which reads back
            export = client.get(f"{form['page'].split('?')[0]}/export.csv")
            assert export.status_code == 200, action
            good = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
        for what, ext, data in _hostile_files(good):
            if ext not in accepted:
                continue
            response = client.post(action, data={**form["fields"], form["file"]: (io.BytesIO(data), f"upload.{ext}")},
                                   content_type="multipart/form-data")
            if response.status_code >= 500:
                failed.append((action, what, ext, response.status_code))
    assert not failed
    assert _rows(demo) == before
