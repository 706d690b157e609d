"""The admin's reference data pages (参考数据): tables, versions, rows, differences, upload and browser edits, exports.

On both databases, with the test plugin ``quota`` (tests/quota_plugin),
owned by Market Regulation and switched on for it.
"""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask
from sqlalchemy import select

from core.db import db
from core.models import AuditEntry, ReferenceVersionRecord
from core.refdata import load_rows
from core.refdata.tabular import read_rows
from core.services import import_activities
from core.store import find_department, load_shipped_references

from fault_support import everything, inject
from refdata_support import quota_app, quota_client, quota_login, report  # noqa: F401  (fixtures)
from test_chinese_first import english_words

TABLE = "quota.limits"
URL = f"/reference-data/{TABLE}"
CSV_V2 = (
    "标准编号,产品,等级数,指标\n"
    'GB 21256-2013,烧结,3,"[{""指标名称"": ""工序能耗"", ""单位"": ""kgce/t"", ""方向"": ""越低越好"", ""各级限定值"": [40, 45, 50]}]"\n'
    'GB 21256-2013,球团,2,"[{""指标名称"": ""工序能耗"", ""单位"": ""kgce/t"", ""方向"": ""越低越好"", ""各级限定值"": [15, 24]}]"\n'
)
DETAILS = {"effective_from": "2024-01-01", "reason": "新版标准实施", "reference": "GB 21256-2024 4.1", "based_on": "1"}


def _versions(app: Flask) -> list[tuple[int, str, int]]:
    with app.app_context():
        return [(v.sequence, v.source, v.row_count) for v in db.session.scalars(
            select(ReferenceVersionRecord).filter_by(table_key=TABLE).order_by(ReferenceVersionRecord.sequence))]


def _upload(client, text: str = CSV_V2, name: str = "v2.csv", **details):
    data = {**DETAILS, **details, "file": (io.BytesIO(text.encode("utf-8")), name)}
    return client.post(f"{URL}/upload", data=data, content_type="multipart/form-data")


def _token(response) -> str:
    return re.search(r"/preview/([A-Za-z0-9_-]+)", response.headers["Location"]).group(1)


def test_the_list_shows_the_departments_tables(quota_client, quota_login) -> None:
    quota_login("mr_viewer")
    page = quota_client.get("/reference-data/").get_data(as_text=True)
    assert "能耗限额标准" in page and "行业核算标准" in page and "第1版" in page
    assert 'href="/reference-data/"' in quota_client.get("/dashboard").get_data(as_text=True)  # in the menu


def test_a_department_without_the_plugin_sees_nothing(quota_client, quota_login) -> None:
    quota_login("ca_admin")
    assert "能耗限额标准" not in quota_client.get("/reference-data/").get_data(as_text=True)
    assert quota_client.get(URL).status_code == 404
    assert quota_client.get(f"{URL}/export.csv").status_code == 404
    assert _upload(quota_client).status_code == 404


def test_a_viewer_reads_and_may_not_record(quota_app, quota_client, quota_login) -> None:
    quota_login("mr_viewer")
    page = quota_client.get(URL).get_data(as_text=True)
    assert 'id="read-only"' in page and 'id="upload-form"' not in page
    assert "GB 21256-2013" in page and "烧结" in page and "越低越好" in page
    before = everything(quota_app)
    assert _upload(quota_client).status_code == 403
    assert quota_client.get(f"{URL}/edit").status_code == 403
    assert quota_client.post(f"{URL}/confirm", data={"token": "x" * 32}).status_code == 403
    assert everything(quota_app) == before


def test_upload_preview_and_record(quota_app, quota_client, quota_login) -> None:
    quota_login("mr_admin")
    checked = _upload(quota_client)
    assert checked.status_code == 302
    preview = quota_client.get(checked.headers["Location"]).get_data(as_text=True)
    assert _versions(quota_app) == [(1, "shipped", 2)]  # nothing recorded by the check
    assert 'id="diff-summary">新增1行,删除1行,修改1行,0行未变。' in preview
    assert "球团" in preview and "焦化" in preview  # added, removed
    assert 'id="preview-reading">0' in preview
    token = _token(checked)
    done = quota_client.post(f"{URL}/confirm", data={"token": token})
    assert done.status_code == 302
    assert _versions(quota_app) == [(1, "shipped", 2), (2, "import", 2)]
    page = quota_client.get(done.headers["Location"]).get_data(as_text=True)
    assert "已登记第2版,自2024-01-01起施行:新增1行,删除1行,修改1行" in page
    with quota_app.app_context():
        entry = db.session.scalars(select(AuditEntry).filter_by(action="refdata.version")).one()
        assert (entry.actor, entry.department.code, entry.after["source"]) == ("mr_admin", "market_regulation", "import")
    # The draft is gone once recorded.
    again = quota_client.post(f"{URL}/confirm", data={"token": token})
    assert again.status_code == 302 and _versions(quota_app)[-1][0] == 2


def test_an_invalid_upload_lists_rows_and_fields_and_stores_nothing(quota_app, quota_client, quota_login) -> None:
    quota_login("mr_admin")
    before = everything(quota_app)
    bad = CSV_V2.replace(",3,", ",9,").replace("[15, 24]", "[]")
    response = _upload(quota_client, bad)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "第2行" in page and "等级数" in page and "必须大于等于 1 且小于等于 5。" in page
    assert "第3行" in page and "指标" in page
    for bad_details, field in (({"effective_from": ""}, "effective_from"), ({"reason": ""}, "reason")):
        response = _upload(quota_client, **bad_details)
        assert response.status_code == 400, field
    old = _upload(quota_client, "x", name="v2.xls")
    assert old.status_code == 400 and "请选择 CSV、Excel 或 JSON 文件" in old.get_data(as_text=True)
    broken = _upload(quota_client, "x", name="v2.xlsx")
    assert broken.status_code == 400 and "不是有效的 XLSX 工作簿" in broken.get_data(as_text=True)
    assert everything(quota_app) == before


def test_editing_rows_in_the_browser(quota_app, quota_client, quota_login) -> None:
    quota_login("mr_admin")
    form_page = quota_client.get(f"{URL}/edit").get_data(as_text=True)
    assert 'name="r1-product" aria-label="产品" value="烧结"' in form_page
    assert "&#34;指标名称&#34;: &#34;工序能耗&#34;" in form_page  # nested rows as JSON with Chinese keys
    assert 'name="rows" value="5"' in form_page  # two rows and three blank lines
    indicators = '[{"指标名称": "工序能耗", "单位": "kgce/t", "方向": "越低越好", "各级限定值": ["44", "49", "54"]}]'
    data = {
        "rows": "5", **{k: v for k, v in DETAILS.items()}, "preview": "1",
        # row 1 changed, row 2 removed, row 3 added, rows 4–5 left blank
        "r1-standard": "GB 21256-2013", "r1-product": "烧结", "r1-grades": "3", "r1-indicators": indicators,
        "r1-mandatory": "true",
        "r2-standard": "GB 21256-2013", "r2-product": "焦化", "r2-grades": "3", "r2-indicators": indicators,
        "r2-remove": "1",
        "r3-standard": "GB 21256-2013", "r3-product": "球团", "r3-grades": "2", "r3-implemented": "2024-01-01",
        "r3-indicators": '[{"name": "工序能耗", "unit": "kgce/t", "direction": "lower", "limits": [15, 24]}]',
        "r3-mandatory": "false",
    }
    checked = quota_client.post(f"{URL}/edit", data=data)
    assert checked.status_code == 302, checked.get_data(as_text=True)[:3000]
    preview = quota_client.get(checked.headers["Location"]).get_data(as_text=True)
    assert "新增1行,删除1行,修改1行,0行未变。" in preview
    assert quota_client.post(f"{URL}/confirm", data={"token": _token(checked)}).status_code == 302
    assert _versions(quota_app)[-1] == (2, "admin", 2)
    with quota_app.app_context():
        from core.store import reference_resolver

        snapshot = reference_resolver(quota_app.extensions["stdpolicy"]).snapshot(TABLE, __import__("datetime").date(2024, 6, 1))
        pellets = snapshot.get("GB 21256-2013", "球团")
        assert pellets["mandatory"] is False and str(pellets["indicators"][0]["limits"][1]) == "24"


def test_the_editor_names_the_line_of_each_error_and_keeps_what_was_typed(quota_client, quota_login) -> None:
    quota_login("mr_admin")
    data = {"rows": "2", **DETAILS, "preview": "1",
            "r1-standard": "GB 21256-2013", "r1-product": "烧结", "r1-grades": "three", "r1-indicators": "[{broken",
            "r2-standard": "GB 21256-2013", "r2-product": "烧结", "r2-grades": "3",
            "r2-indicators": '[{"name": "x", "unit": "t", "direction": "lower", "limits": [1]}]'}
    response = quota_client.post(f"{URL}/edit", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "第1行" in page and "等级数" in page and "不是有效的整数。" in page
    assert "与第1行的键(GB 21256-2013 / 烧结)重复" not in page  # row 1 is invalid: no key to clash with
    assert 'value="three"' in page and "[{broken" in page
    more = quota_client.post(f"{URL}/edit", data={**data, "preview": "", "more": "1"})
    assert more.status_code == 200 and 'name="rows" value="5"' in more.get_data(as_text=True)


def test_a_version_recorded_meanwhile_refuses_the_draft(quota_app, quota_client, quota_login) -> None:
    quota_login("mr_admin")
    checked = _upload(quota_client)
    with quota_app.app_context():  # someone records version 2 from the command line meanwhile
        from core.services import record_reference

        record_reference(quota_app.extensions["stdpolicy"], TABLE,
                         [{"standard": "X", "product": "Y", "grades": 1,
                           "indicators": [{"name": "n", "unit": "u", "direction": "lower", "limits": ["1"]}]}],
                         DETAILS, actor="cli:other", source="cli")
    response = quota_client.post(f"{URL}/confirm", data={"token": _token(checked)})
    assert response.status_code == 409
    assert "未保存:在您开始本次变更后,其他人已登记了该表的新版本。" in response.get_data(as_text=True)
    assert _versions(quota_app) == [(1, "shipped", 2), (2, "cli", 1)]


def test_a_draft_belongs_to_its_session(quota_app, quota_client, quota_login) -> None:
    quota_login("mr_admin")
    token = _token(_upload(quota_client))
    other = quota_app.test_client()
    from conftest import PASSWORD

    other.post("/login", data={"username": "city", "password": PASSWORD})
    response = other.post(f"{URL}/confirm", data={"token": token})
    assert response.status_code == 302 and _versions(quota_app) == [(1, "shipped", 2)]
    discarded = quota_client.post(f"{URL}/discard")
    assert discarded.status_code == 302
    assert quota_client.post(f"{URL}/confirm", data={"token": token}).status_code == 302
    assert _versions(quota_app) == [(1, "shipped", 2)]


def test_a_failing_audit_write_records_nothing(quota_app, quota_client, quota_login) -> None:
    quota_login("mr_admin")
    token = _token(_upload(quota_client))
    before = everything(quota_app)
    with inject(quota_app, "INSERT INTO audit_log") as refused:
        response = quota_client.post(f"{URL}/confirm?lang=en", data={"token": token})
    assert refused and response.status_code == 503
    assert "Nothing was stored" in response.get_data(as_text=True)
    assert everything(quota_app) == before


def test_the_difference_between_any_two_versions(quota_app, quota_client, quota_login) -> None:
    quota_login("mr_admin")
    quota_client.post(f"{URL}/confirm", data={"token": _token(_upload(quota_client))})
    page = quota_client.get(f"{URL}/diff?a=1&b=2").get_data(as_text=True)
    assert "第1版与第2版的差异" in page and 'id="diff-added"' in page and 'id="diff-removed"' in page
    assert 'id="diff-changed"' in page and "GB 21256-2013 / 烧结" in page
    assert "新增0行,删除0行,修改0行,2行未变。" in quota_client.get(f"{URL}/diff?a=2&b=2").get_data(as_text=True)
    assert quota_client.get(f"{URL}/diff?a=1&b=7").status_code == 404


def test_exports_read_back(quota_app, quota_client, quota_login) -> None:
    quota_login("mr_viewer")
    table = quota_app.extensions["stdpolicy"].reference_tables[TABLE]
    for fmt in ("xlsx", "csv"):
        response = quota_client.get(f"{URL}/export.{fmt}?version=1")
        assert response.status_code == 200
        assert f'{TABLE}-v1-' in response.headers["Content-Disposition"]
        rows, where = read_rows(table, response.data, f"x.{fmt}")
        assert [r["product"] for r in load_rows(table, rows, where=where)] == ["烧结", "焦化"]
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(quota_client.get(f"{URL}/export.xlsx").data))
    assert book.sheetnames == ["能耗限额标准", "版本信息"]
    assert quota_client.get(f"{URL}/export.pdf").status_code == 404


def test_a_sample_version_is_marked_as_such_everywhere(quota_app, quota_client, quota_login) -> None:
    with quota_app.app_context():
        registry = quota_app.extensions["stdpolicy"]
        load_shipped_references(registry, demo=True)
        db.session.commit()
        assert import_activities(registry, [report("46", ref="S1")], source="tests", actor="tests",
                                 department=find_department("market_regulation")).ok
        from core.models import ActivityRecord

        activity = db.session.scalar(select(ActivityRecord.id).filter_by(external_id="S1"))
    quota_login("mr_viewer")
    listing = quota_client.get("/reference-data/").get_data(as_text=True)
    assert '<span class="badge sample">示例数据</span>' in listing
    page = quota_client.get(URL).get_data(as_text=True)
    assert 'id="sample-warning"' in page
    detail = quota_client.get(f"/activities/{activity}").get_data(as_text=True)
    assert 'id="references-' in detail and "能耗限额标准" in detail and "第2版" in detail
    assert '<span class="badge sample">示例数据</span>' in detail
    assert f'href="/reference-data/{TABLE}?version=2#rows-card"' in detail
    audit = quota_client.get("/audit?action=refdata.demo").get_data(as_text=True)
    assert "载入了能耗限额标准" in audit and "的示例数据(第2版)" in audit


@pytest.mark.parametrize("url", ["/reference-data/", URL, f"{URL}?version=1", f"{URL}/diff?a=1&b=2", f"{URL}/edit",
                                 "/audit?action=refdata.version"])
def test_chinese_pages_show_no_codes(quota_client, quota_login, url) -> None:
    quota_login("mr_admin")
    quota_client.post(f"{URL}/confirm", data={"token": _token(_upload(quota_client))})
    html = quota_client.get(url).get_data(as_text=True)
    # What is being edited is data as users typed it (a unit such as kgce/t), not the page's words.
    html = re.sub(r"<textarea[^>]*>.*?</textarea>", " ", html, flags=re.S)
    assert english_words(html) == [], url
    for leak in ("shipped with the plugin", "sequence", ">lower<", "direction"):
        assert leak not in html, (url, leak)


def test_english_pages(quota_client, quota_login) -> None:
    quota_login("mr_admin")
    page = quota_client.get(f"{URL}?lang=en").get_data(as_text=True)
    assert "Energy quota standards" in page and "Record a new version" in page and "lower is better" in page
    assert "Version 1" in page


def test_stored_rows_that_no_longer_fit_are_said_so_never_a_500(quota_app, quota_client, quota_login, monkeypatch) -> None:
    """A plugin update made its row schema stricter than version 1's stored rows (grades 3 < the new minimum 4)."""
    from marshmallow import validate

    table = quota_app.extensions["stdpolicy"].reference_tables[TABLE]
    monkeypatch.setattr(table.row_schema.fields["grades"], "validators", [validate.Range(min=4, max=5)])
    quota_login("mr_admin")
    page = quota_client.get(URL)
    assert page.status_code == 200
    assert 'id="rows-unreadable"' in page.get_data(as_text=True) and "第1版" in page.get_data(as_text=True)
    for url in (f"{URL}/diff?a=1&b=1", f"{URL}/export.xlsx?version=1", f"{URL}/export.csv", f"{URL}/edit"):
        response = quota_client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].endswith(f"{URL}?version=1#rows-card"), url
    fitting = _upload(quota_client, CSV_V2.replace(",3,", ",4,").replace(",2,", ",4,"))
    assert fitting.status_code == 302  # a new version that fits can still be recorded
    assert quota_client.post(f"{URL}/confirm", data={"token": _token(fitting)}).status_code == 302
    assert _versions(quota_app) == [(1, "shipped", 2), (2, "import", 2)]


def test_more_editor_lines_than_handled_are_refused_never_cut(quota_app, quota_client, quota_login) -> None:
    from webadmin.refdata_forms import MAX_EDITOR_ROWS

    quota_login("mr_admin")
    count = MAX_EDITOR_ROWS + 101
    data = {"rows": str(count), **DETAILS, "preview": "1",
            f"r{count}-standard": "GB 21256-2013", f"r{count}-product": "球团", f"r{count}-grades": "2",
            f"r{count}-indicators": '[{"name": "n", "unit": "t", "direction": "lower", "limits": [1]}]'}
    response = quota_client.post(f"{URL}/edit", data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith(URL)
    assert "该表行数超出浏览器编辑的上限" in quota_client.get(URL).get_data(as_text=True)
    assert _versions(quota_app) == [(1, "shipped", 2)]
