"""Every link a user is shown opens for that user: the demo instance, walked link by link per role.

A menu entry or a link to a page that then refuses the user (403) or
fails (500) is a broken promise; this walks every page each kind of user
reaches from the dashboard with the test client (fast: no browser) and
asks each link once per path. ``tests/test_browser.py`` walks the city
administrator's pages in Chromium too, for their width on a phone.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from flask import Flask

from core.testing import builtin_plugins

from conftest import PASSWORD

pytestmark = pytest.mark.stdpolicy_plugins(*builtin_plugins())

#: Links not followed: they download a file or change the session rather than show a page.
_NOT_PAGES = ("logout", "export", "download", "format=", ".xlsx", ".csv", ".pdf", "/api/", "lang=", "/static/")
_HREF = re.compile(r'<a [^>]*href="(/[^"]*)"')


@pytest.fixture
def demo(stdpolicy_app: Flask, stdpolicy_runner: Any) -> Flask:
    done = stdpolicy_runner.invoke(args=["init", "--demo"])
    assert done.exit_code == 0, done.output
    return stdpolicy_app


def _walk(client: Any) -> tuple[set[str], list[tuple[str, int]]]:
    """Every page reachable from the dashboard (one URL per path); the links that did not answer 200."""
    seen: set[str] = set()
    failed: list[tuple[str, int]] = []
    queue = ["/dashboard"]
    while queue:
        path = queue.pop(0)
        if path.split("?")[0] in seen:
            continue
        seen.add(path.split("?")[0])
        response = client.get(path, follow_redirects=True)
        if response.status_code != 200:
            failed.append((path, response.status_code))
            continue
        if response.mimetype != "text/html":
            continue
        for href in _HREF.findall(response.get_data(as_text=True)):
            href = html.unescape(href).split("#")[0]
            if not href.startswith("//") and not any(word in href for word in _NOT_PAGES):
                queue.append(href)
    return seen, failed


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
