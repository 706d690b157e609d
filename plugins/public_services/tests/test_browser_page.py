"""The main page in a real browser (Debian's Chromium through Playwright): the overview, its tabs, the checks."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from core.testing import PASSWORD

pytestmark = pytest.mark.stdpolicy_plugins("public_services")

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = Path(os.environ.get("STDPOLICY_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@pytest.fixture
def served(stdpolicy_app, stdpolicy_runner) -> Iterator[str]:
    assert stdpolicy_runner.invoke(args=["init", "--demo"]).exit_code == 0
    example = ROOT / "docs/examples/public_services.json"
    assert stdpolicy_runner.invoke(args=["import", str(example), "--department", "civil_affairs"]).exit_code == 0
    stdpolicy_app.config.update(WTF_CSRF_ENABLED=True)
    server = make_server("127.0.0.1", 0, stdpolicy_app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def test_a_civil_affairs_viewer_reads_the_overview_and_the_checks(served, stdpolicy_user):
    if not CHROMIUM.exists():
        if os.environ.get("STDPOLICY_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is missing")
    playwright_api = pytest.importorskip("playwright.sync_api")
    name = stdpolicy_user(role="dept_viewer", department="civil_affairs")
    in_own_thread(lambda: _read_the_pages(playwright_api, served, name))


def in_own_thread(run: Callable[[], None]) -> None:
    """Run ``run`` in a thread of its own and re-raise what it raised.

    tests/test_browser.py keeps a session-wide Playwright (and its asyncio
    loop) open in the main thread; a second sync Playwright there is refused
    ("using Playwright Sync API inside the asyncio loop") when the whole suite
    runs. A thread has no loop of its own, so this test runs alone or not.
    """
    raised: list[BaseException] = []

    def target() -> None:
        try:
            run()
        except BaseException as exc:  # noqa: BLE001 — handed back to the test's thread
            raised.append(exc)

    thread = threading.Thread(target=target, name="public-services-browser")
    thread.start()
    thread.join(timeout=300)
    assert not thread.is_alive(), "the browser test did not finish in 5 minutes"
    if raised:
        raise raised[0]


def _read_the_pages(playwright_api: Any, served: str, name: str) -> None:
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        page = browser.new_page()
        errors: list[str] = []
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 500 else None)
        page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto(served + "/login")
        page.fill("#username", name)
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.click("#submit")
        page.goto(served + "/admin/p/public_services/")
        assert page.inner_text("h1") == "标准实施监测总览"
        cell = page.inner_text('#county-aspect td[data-county="330402"][data-aspect="1"]')
        assert "1/1 达标" in cell
        assert "0/1 达标" in page.inner_text('#county-aspect td[data-county="330481"][data-aspect="1"]')
        with page.expect_navigation():
            page.click("text=三张清单核查")
        page.fill('input[name="on"]', "2024-06-02")
        with page.expect_navigation():
            page.click('form.filters button[type="submit"]')
        assert "DB3304/T 9002-2022" in page.inner_text("#check-lower")
        assert "增补叶酸预防神经管缺陷(示例)" in page.inner_text("#check-gaps")
        with page.expect_navigation():
            page.click("text=低于标准预警")
        assert "海宁市" in page.inner_text("#alert-list")
        browser.close()
        assert errors == []
