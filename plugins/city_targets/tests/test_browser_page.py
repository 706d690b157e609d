"""The targets page and the assessment in a real browser (Debian's Chromium through Playwright).

The charts are images served with a policy of their own: the browser must
draw them (a broken image has no natural width) without a policy violation.
"""

from __future__ import annotations

from typing import Any

import pytest

from core.testing import PASSWORD, run_in_browser

pytestmark = pytest.mark.stdpolicy_plugins("city_targets", "reward_tiers")


def test_a_market_regulation_viewer_reads_the_targets_and_the_assessment(stdpolicy_live_server, stdpolicy_runner,
                                                                          stdpolicy_user):
    assert stdpolicy_runner.invoke(args=["init", "--demo"]).exit_code == 0
    name = stdpolicy_user(role="dept_viewer", department="market_regulation")
    run_in_browser(lambda browser: _read_the_pages(browser, stdpolicy_live_server, name))


def _read_the_pages(browser: Any, served: str, name: str) -> None:
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
    assert errors == []
