"""The carbon pages in a real browser (Debian's Chromium through Playwright): the overview, the
rectification list filtered by county, its XLSX export; no server error, nothing the CSP refuses."""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from werkzeug.serving import WSGIRequestHandler, make_server

from core.testing import PASSWORD

pytestmark = pytest.mark.stdpolicy_plugins("carbon", "reward_tiers")

CHROMIUM = Path(os.environ.get("STDPOLICY_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@pytest.fixture
def served(stdpolicy_app, stdpolicy_runner) -> Iterator[str]:
    done = stdpolicy_runner.invoke(args=["init", "--demo"])       # sample quota versions and sample records
    assert done.exit_code == 0, done.output
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


def test_an_ecology_viewer_reads_the_overview_and_exports_the_rectification_list(served, stdpolicy_user) -> None:
    if not CHROMIUM.exists():
        if os.environ.get("STDPOLICY_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is missing")
    playwright_api = pytest.importorskip("playwright.sync_api")
    name = stdpolicy_user(role="dept_viewer", department="ecology_environment")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        page = browser.new_page(accept_downloads=True)
        errors: list[str] = []
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 500 else None)
        page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto(served + "/login")
        page.fill("#username", name)
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.click("#submit")
        page.goto(served + "/admin/p/carbon/")
        assert page.inner_text("h1") == "碳达峰碳中和标准"
        industry = page.inner_text("#compliance-by-industry")
        assert "建材" in industry and "钢铁" in industry and "%" in industry
        assert "嘉善县" in page.inner_text("#compliance-by-county")
        with page.expect_navigation():
            page.click("text=能耗限额整改名单")
        assert "海宁示例建材有限公司" in page.inner_text("#carbon-list")
        page.select_option('select[name="county"]', "330421")
        with page.expect_navigation():
            page.click('#carbon-filters button[type="submit"]')
        listed = page.inner_text("#carbon-list")
        assert "嘉善示例化工有限公司" in listed and "海宁示例建材有限公司" not in listed
        with page.expect_download() as download:
            page.click("#export-xlsx")
        rows = list(load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active.iter_rows(values_only=True))
        assert rows[0][0] == "单位" and [r[0] for r in rows[1:]] == ["嘉善示例化工有限公司"]
        browser.close()
        assert errors == []
