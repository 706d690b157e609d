"""The targets page and the assessment in a real browser (Debian's Chromium through Playwright).

The charts are images served with a policy of their own: the browser must
draw them (a broken image has no natural width) without a policy violation.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from core.testing import PASSWORD

pytestmark = pytest.mark.stdpolicy_plugins("city_targets", "reward_tiers")

CHROMIUM = Path(os.environ.get("STDPOLICY_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@pytest.fixture
def served(stdpolicy_app, stdpolicy_runner) -> Iterator[str]:
    assert stdpolicy_runner.invoke(args=["init", "--demo"]).exit_code == 0
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


def test_a_market_regulation_viewer_reads_the_targets_and_the_assessment(served, stdpolicy_user):
    if not CHROMIUM.exists():
        if os.environ.get("STDPOLICY_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is missing")
    playwright_api = pytest.importorskip("playwright.sync_api")
    name = stdpolicy_user(role="dept_viewer", department="market_regulation")
    in_own_thread(lambda: _read_the_pages(playwright_api, served, name))


def in_own_thread(run: Callable[[], None]) -> None:
    """Run ``run`` in a thread of its own (tests/test_browser.py keeps a session-wide Playwright in the main one)."""
    raised: list[BaseException] = []

    def target() -> None:
        try:
            run()
        except BaseException as exc:  # noqa: BLE001 — handed back to the test's thread
            raised.append(exc)

    thread = threading.Thread(target=target, name="city-targets-browser")
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
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto(served + "/login")
        page.fill("#username", name)
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.click("#submit")
        page.goto(served + "/admin/p/city_targets/")
        assert page.inner_text("h1") == "2025年发展目标"
        assert "国际标准化人才企业" in page.inner_text("#targets")
        page.wait_for_load_state("load")
        for chart in ("#chart-progress", "#chart-years"):
            assert page.eval_on_selector(chart, "img => img.complete && img.naturalWidth > 0"), chart
        page.select_option('#targets-filters select[name="year"]', "2024")
        with page.expect_navigation():
            page.click('#targets-filters button[type="submit"]')
        with page.expect_navigation():
            page.click('#targets tr[data-target="talent"] a.count')
        assert "嘉善恒昇电子科技有限公司" in page.inner_text("#items")
        with page.expect_navigation():
            page.click("#items a >> nth=0")
        assert "/activities/" in page.url
        page.goto(served + "/admin/p/city_targets/assessment?year=2024")
        assert page.inner_text('#assessment tbody tr:first-child td:first-child') == "1"
        assert page.eval_on_selector("#chart-assessment", "img => img.complete && img.naturalWidth > 0")
        browser.close()
        assert errors == []
