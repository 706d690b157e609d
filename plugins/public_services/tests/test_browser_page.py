"""The main page in a real browser (Debian's Chromium through Playwright): the overview, its tabs, the checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.testing import PASSWORD, run_in_browser

pytestmark = pytest.mark.stdpolicy_plugins("public_services")

ROOT = Path(__file__).resolve().parents[3]


def test_a_civil_affairs_viewer_reads_the_overview_and_the_checks(stdpolicy_live_server, stdpolicy_runner,
                                                                  stdpolicy_user):
    assert stdpolicy_runner.invoke(args=["init", "--demo"]).exit_code == 0
    example = ROOT / "docs/examples/public_services.json"
    assert stdpolicy_runner.invoke(args=["import", str(example), "--department", "civil_affairs"]).exit_code == 0
    name = stdpolicy_user(role="dept_viewer", department="civil_affairs")
    run_in_browser(lambda browser: _read_the_pages(browser, stdpolicy_live_server, name))


def _read_the_pages(browser: Any, served: str, name: str) -> None:
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
    assert errors == []
