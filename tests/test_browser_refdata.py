"""End-to-end: reference data in a real headless Chromium — upload an XLSX with nested indicators, preview, record, compare, edit.

The admin runs with the test plugin ``quota`` (tests/quota_plugin) on this
test's database, CSRF on and Secure cookies, as tests/test_browser.py
serves the built-in one. Elements are found by id and name; what is
asserted is data.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from core.db import db
from core.models import ReferenceVersionRecord

from refdata_support import quota_app  # noqa: F401  (fixture)
from test_browser import TIMEOUT, Browser, _QuietHandler, browser, screenshots  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

TABLE = "quota.limits"


@pytest.fixture
def quota_web(browser: Any, quota_app: Flask, screenshots: Any) -> Iterator[Browser]:  # noqa: F811
    quota_app.config.update(WTF_CSRF_ENABLED=True, SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    server = make_server("127.0.0.1", 0, quota_app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(TIMEOUT)
    session = Browser(context.new_page(), f"http://127.0.0.1:{server.server_port}", screenshots)
    try:
        yield session
        assert not session.broken, f"responses that went wrong: {session.broken}"
        assert not session.blocked, f"blocked by the Content-Security-Policy: {session.blocked}"
    finally:
        context.close()
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def _versions(app: Flask) -> list[tuple[int, str, int]]:
    with app.app_context():
        return [(v.sequence, v.source, v.row_count) for v in db.session.scalars(
            select(ReferenceVersionRecord).filter_by(table_key=TABLE).order_by(ReferenceVersionRecord.sequence))]


def _edited_export(data: bytes) -> bytes:
    """The exported workbook as an office would change it: a new product with two indicators, a limit lowered."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    indicators = json.loads(sheet.cell(row=2, column=4).value)
    indicators[0]["各级限定值"] = ["44", "49", "54"]
    sheet.cell(row=2, column=4).value = json.dumps(indicators, ensure_ascii=False)
    sheet.append(["GB 21256-2013", "球团", 2, json.dumps([
        {"指标名称": "工序能耗", "单位": "kgce/t", "方向": "越低越好", "各级限定值": ["15", "24"]},
        {"指标名称": "电耗", "单位": "kWh/t", "方向": "越低越好", "各级限定值": ["30", "35"], "准入值": "32"},
    ], ensure_ascii=False), None, "是"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_office_updates_a_table_by_xlsx_and_in_the_browser(quota_app: Flask, quota_web: Browser, tmp_path) -> None:
    web = quota_web
    web.login("mr_admin")
    web.page.click("a[href='/reference-data/']")
    web.page.wait_for_url("**/reference-data/")
    web.shot("refdata-index")
    web.page.click(f"[id='table-{TABLE}'] a")
    web.page.wait_for_url(f"**/reference-data/{TABLE}")
    assert "GB 21256-2013" in web.text("#rows")

    # Export the version in force, change it as an office would, upload it.
    with web.page.expect_download() as download:
        web.page.click("#export-xlsx")
    exported = tmp_path / "export.xlsx"
    download.value.save_as(exported)
    changed = tmp_path / "changed.xlsx"
    changed.write_bytes(_edited_export(exported.read_bytes()))
    web.page.set_input_files("#file", str(changed))
    web.page.fill("#effective_from", "2024-01-01")
    web.page.fill("#reason", "新版标准实施")
    web.page.fill("#reference", "GB 21256-2024 4.1")
    web.shot("refdata-table")
    web.submit("#upload-form [type=submit]")
    assert "/preview/" in web.path()
    assert _versions(quota_app) == [(1, "shipped", 2)]  # nothing recorded yet
    assert "电耗" in web.text("#diff-added") and "GB 21256-2013 / 烧结" in web.text("#diff-changed")
    web.shot("refdata-preview")
    web.submit("#confirm-form [type=submit]")
    assert _versions(quota_app) == [(1, "shipped", 2), (2, "import", 3)]
    assert "version=2" in web.path()

    # Compare the two versions.
    web.page.select_option("#diff-a", "1")
    web.page.select_option("#diff-b", "2")
    web.submit("#compare-form [type=submit]")
    assert "球团" in web.text("#diff-added")
    web.shot("refdata-diff")

    # Edit the rows in the browser: remove 焦化, give 球团 three grades.
    web.goto(f"/reference-data/{TABLE}/edit")
    lines = {web.page.input_value(f"[name=r{i}-product]"): i for i in range(1, 4)}
    web.page.check(f"[name=r{lines['焦化']}-remove]")
    web.page.fill(f"[name=r{lines['球团']}-grades]", "3")
    web.page.fill("#effective_from", "2025-01-01")
    web.page.fill("#reason", "球团分为三级")
    web.page.fill("#reference", "嘉发改〔2025〕1号")
    web.shot("refdata-edit")
    web.submit("#preview")
    assert "焦化" in web.text("#diff-removed")
    web.submit("#confirm-form [type=submit]")
    assert _versions(quota_app)[-1] == (3, "admin", 2)
    assert "第3版" in web.text("#current-version") or "第3版" in web.text("#history")
