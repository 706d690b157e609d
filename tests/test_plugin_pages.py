"""Plugins' admin pages on the plugin API: ``stdpolicy/plugin_page.html`` and core's page helpers.

A plugin registered in code (the kit's ``extra``) with a blueprint whose
views use only ``core``: ``render_page`` (title, breadcrumbs, the plugin's
name linking to its first page), ``current_department``, ``may_manage`` /
``require_manager``, ``parameter_url``, ``export_csv`` / ``export_xlsx``.
The built-in reward_tiers page goes the same way.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from flask import Blueprint

from core import (
    AdminPage,
    Column,
    PluginDescription,
    Text,
    current_department,
    export_csv,
    export_xlsx,
    hookimpl,
    render_page,
    require_manager,
)

TEMPLATES = Path(__file__).resolve().parent / "page_templates"

WORDS = {"title": Text("台账", "Ledger"), "parameter": Text("参数", "Parameter"), "manage": Text("管理", "Manage"),
         "entries": Text("条目", "Entries")}
ROWS = [
    {"name": Text("甲单位", "Unit A"), "amount": 300000, "day": date(2024, 8, 4), "note": "=HYPERLINK(\"x\")"},
    {"name": Text("乙单位", "Unit B"), "amount": 5000, "day": date(2024, 9, 1), "note": "plain"},
]
COLUMNS = [Column("name", Text("单位", "Unit"), width=20), ("amount", Text("金额(元)", "Amount (yuan)")),
           ("day", Text("日期", "Date")), ("note", Text("备注", "Note"))]

pages = Blueprint("ledger_pages", __name__, template_folder=str(TEMPLATES))


@pages.route("/")
def index() -> str:
    return render_page("ledger/index.html", title=WORDS["title"], breadcrumbs=[(WORDS["entries"], None)],
                       rows=ROWS, words=WORDS, department=current_department())


@pages.route("/export.<fmt>")
def export(fmt: str):
    if fmt == "xlsx":
        return export_xlsx(ROWS, COLUMNS, "ledger.xlsx", sheet=WORDS["title"])
    return export_csv(ROWS, COLUMNS, "ledger.csv")


@pages.route("/manage", methods=["POST"])
def manage() -> str:
    require_manager()
    return "managed"


class Ledger:
    @hookimpl
    def stdpolicy_describe_plugin(self):
        return PluginDescription(Text("台账插件", "Ledger plugin"), Text("测试用", "for tests"))

    @hookimpl
    def stdpolicy_register_admin_pages(self):
        return [AdminPage(pages, WORDS["title"])]


pytestmark = pytest.mark.stdpolicy_plugins("reward_tiers", extra=[("ledger", Ledger())])


def test_page_extends_the_base_template_with_title_breadcrumbs_and_helpers(stdpolicy_enable, stdpolicy_login) -> None:
    stdpolicy_enable("ledger", "civil_affairs")
    viewer = stdpolicy_login("dept_viewer", "civil_affairs")
    html = viewer.get("/admin/p/ledger/").get_data(as_text=True)
    assert "<title>台账 · 台账插件 · " in html
    crumbs = html.split('class="breadcrumbs"', 1)[1].split("</nav>", 1)[0]
    assert '<a href="/admin/p/ledger/">台账插件</a>' in crumbs and '<span aria-current="page">条目</span>' in crumbs
    assert "<h1>台账</h1>" in html
    assert '<p class="muted" id="ledger-department">民政局</p>' in html
    assert "¥300,000(30万元)" in html and "¥5,000" in html and "2024-08-04" in html
    assert 'id="ledger-parameter" href="/parameters/reward_tiers.lead.national"' in html
    assert 'id="ledger-manage"' not in html  # a viewer manages nothing
    english = viewer.get("/admin/p/ledger/?lang=en").get_data(as_text=True)
    assert "<h1>Ledger</h1>" in english and "Civil Affairs Bureau" in english and "¥300,000<" in english


def test_manage_is_the_owners_administrators_and_city_administrators(stdpolicy_enable, stdpolicy_login) -> None:
    stdpolicy_enable("ledger", "civil_affairs", owner=True)
    stdpolicy_enable("ledger", "market_regulation")
    owner = stdpolicy_login("dept_admin", "civil_affairs")
    assert 'id="ledger-manage"' in owner.get("/admin/p/ledger/").get_data(as_text=True)
    assert owner.post("/admin/p/ledger/manage").get_data(as_text=True) == "managed"
    other = stdpolicy_login("dept_admin", "market_regulation")
    assert 'id="ledger-manage"' not in other.get("/admin/p/ledger/").get_data(as_text=True)
    assert other.post("/admin/p/ledger/manage").status_code == 403
    city = stdpolicy_login("city_admin", "market_regulation")
    assert city.post("/admin/p/ledger/manage").get_data(as_text=True) == "managed"


def test_a_department_without_the_plugin_gets_neither_menu_nor_page(stdpolicy_login) -> None:
    viewer = stdpolicy_login("dept_viewer", "health")
    assert "/admin/p/ledger/" not in viewer.get("/").get_data(as_text=True)
    assert viewer.get("/admin/p/ledger/").status_code == 404


def test_exports_in_the_pages_language_never_a_formula(stdpolicy_enable, stdpolicy_login) -> None:
    from openpyxl import load_workbook

    stdpolicy_enable("ledger", "market_regulation")
    client = stdpolicy_login("dept_viewer", "market_regulation")
    response = client.get("/admin/p/ledger/export.csv?lang=en")
    assert response.headers["Content-Disposition"] == 'attachment; filename="ledger.csv"'
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["Unit", "Amount (yuan)", "Date", "Note"]
    assert rows[1] == ["Unit A", "300000", "2024-08-04", "'=HYPERLINK(\"x\")"]
    xlsx = client.get("/admin/p/ledger/export.xlsx?lang=zh_CN")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet.title == "台账"
    assert [c.value for c in sheet[1]] == ["单位", "金额(元)", "日期", "备注"]
    assert sheet["B2"].value == 300000 and sheet["C2"].value.date() == date(2024, 8, 4)
    assert sheet["D2"].value == "=HYPERLINK(\"x\")" and sheet["D2"].data_type == "s"  # text, not a formula


def test_reward_tiers_page_is_on_the_base_template(stdpolicy_login) -> None:
    html = stdpolicy_login("dept_viewer", "market_regulation").get("/admin/p/reward_tiers/").get_data(as_text=True)
    assert 'class="plugin-page" data-plugin="reward_tiers"' in html
    assert '<a href="/admin/p/reward_tiers/">标准化奖励与补助</a>' in html
    assert "奖励标准表 三(二)" in html and 'href="/parameters/reward_tiers.lead.national"' in html


def test_render_page_wants_a_bilingual_title(stdpolicy_app) -> None:
    with stdpolicy_app.test_request_context("/admin/p/ledger/"):
        with pytest.raises(TypeError, match="page title must be a Text"):
            render_page("ledger/index.html", title="Ledger")  # type: ignore[arg-type]
