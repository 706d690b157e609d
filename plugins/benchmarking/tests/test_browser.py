"""The plugin's pages in a real headless Chromium: a department viewer reads the campaigns, a forerunner list, prints it.

Served from the kit's ``stdpolicy_app`` (this test's database) on 127.0.0.1
with CSRF protection and Secure cookies as in production, like the project's
tests/test_browser.py. Elements are found by id and data attributes; what is
asserted is data. Chromium is /usr/bin/chromium (or ``$STDPOLICY_CHROMIUM``);
without it the test is skipped unless ``STDPOLICY_REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.testing import PASSWORD, run_in_browser

pytestmark = pytest.mark.stdpolicy_plugins("benchmarking", "reward_tiers")

ROOT = Path(__file__).resolve().parents[3]


def test_a_viewer_reads_progress_and_prints_a_forerunner_list(stdpolicy_live_server: str, stdpolicy_app: Any,
                                                              stdpolicy_runner: Any, stdpolicy_user: Any,
                                                              tmp_path: Path) -> None:
    campaigns = tmp_path / "campaigns.csv"
    campaigns.write_text("年度,重点领域,专项行动名称,目标企业数,目标产品数\n2024,玻纤,玻纤专项行动,4,2\n2024,光伏,光伏专项行动,2,2\n",
                         encoding="utf-8")
    assert stdpolicy_runner.invoke(args=["refdata", "import", "benchmarking.campaigns", str(campaigns), "--from",
                                         "2024-01-01", "--reason", "计划", "--reference", "测试文号"]).exit_code == 0
    assert stdpolicy_runner.invoke(args=["import", str(ROOT / "docs/examples/benchmarking.json")]).exit_code == 0
    stdpolicy_user("dept_viewer", "market_regulation")
    stdpolicy_app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)  # as in production
    run_in_browser(lambda browser: _scenario(browser, stdpolicy_live_server))


def _scenario(chromium: Any, served: str) -> None:
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    page = context.new_page()
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    try:
        page.goto(served + "/login")
        page.fill("#username", "dept_viewer@market_regulation")
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.click("#submit")
        response = page.goto(served + "/admin/p/benchmarking/")
        assert response is not None and response.status == 200
        assert page.get_attribute("html", "lang") == "zh-CN"
        rows = page.locator("#campaigns tbody tr")
        assert rows.count() == 2
        assert "1 / 4" in rows.nth(1).inner_text() and "玻纤" in rows.nth(1).inner_text()
        assert "嘉善县" in page.inner_text("#rate-county")

        page.goto(served + "/admin/p/benchmarking/forerunners")
        section = page.locator("section.forerunner-list[data-category='电子级玻璃纤维布']")
        assert section.locator("tbody tr").count() == 4
        assert "桐乡玻纤复合材料有限公司" in section.locator("tbody tr").first.inner_text()
        section.locator("a[href*='/forerunners/print']").click()
        page.wait_for_url("**/forerunners/print**")
        assert page.locator("#published-list").count() == 1
        assert "企业标准领跑者榜单" in page.inner_text("h1")
        assert not blocked, blocked
    finally:
        context.close()

