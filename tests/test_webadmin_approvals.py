"""The admin's approval lists (拨付清单): preview, issue (CSRF, POST-redirect-GET), a list's page, downloads, roles."""

from __future__ import annotations

import io
import re
from urllib.parse import unquote

from flask import Flask
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from core.db import db
from core.models import ApprovalListItemRecord, ApprovalListRecord

from conftest import PASSWORD
from test_chinese_first import english_words

TITLE = "《中共嘉兴市委 嘉兴市人民政府关于加快推进标准强市建设的实施意见》"
YEAR = {"period_from": "2024-01-01", "period_to": "2024-12-31"}


def lists(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(ApprovalListRecord.number).order_by(ApprovalListRecord.id)))


def demo(app: Flask) -> None:
    done = app.test_cli_runner().invoke(args=["init", "--demo"])
    assert done.exit_code == 0, done.output


def text_of(data: bytes) -> str:
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).replace("\n", "")


def issue(client, **extra: str):
    return client.post("/approvals/", data={**YEAR, "issue": "1", **extra})


def test_preview_then_issue_then_the_lists_page_and_downloads(app: Flask, client, login) -> None:
    demo(app)
    login("mr_admin")
    index = client.get("/approvals/")
    assert index.status_code == 200
    page = index.get_data(as_text=True)
    assert "拨付清单" in page and "新建拨付清单" in page and "尚未签发拨付清单" in page
    assert english_words(page) == []

    preview = client.post("/approvals/", data={**YEAR, "preview": "1", "note": "2024年度第一批"})
    assert preview.status_code == 200
    shown = preview.get_data(as_text=True)
    assert 'id="preview-count">9<' in shown and "叁佰贰拾万元整" in shown and "桐乡玻纤复合材料有限公司" in shown
    assert "分县(市、区)小计" in shown and 'id="issue-form"' in shown
    assert english_words(shown) == []
    assert lists(app) == []  # a preview stores nothing

    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">',
                             re.search(r'<form [^>]*id="issue-form">.*?</form>', shown, re.S).group(0)))
    assert hidden["note"] == "2024年度第一批" and hidden["period_from"] == "2024-01-01"
    done = client.post("/approvals/", data={**hidden, "issue": "1"})
    assert done.status_code == 302 and unquote(done.headers["Location"]).endswith("/approvals/2024-001")
    assert lists(app) == ["2024-001"]

    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "拨付清单2024-001已签发,共9行。" in page and 'id="digest-ok"' in page and "2024年度第一批" in page
    assert "嘉善县" in page and "叁佰贰拾万元整" in page and "壹佰万元整" in page  # county totals in capital numerals
    assert english_words(page) == []
    again = issue(client)
    assert again.status_code == 200 and "没有尚未列入拨付清单的应拨付事项" in again.get_data(as_text=True)
    assert lists(app) == ["2024-001"]

    xlsx = client.get("/approvals/2024-001/download/xlsx")
    assert xlsx.status_code == 200 and xlsx.mimetype.endswith("spreadsheetml.sheet")
    assert "filename*=UTF-8''%E6%8B%A8%E4%BB%98%E6%B8%85%E5%8D%95-2024-001.xlsx" in xlsx.headers["Content-Disposition"]
    assert load_workbook(io.BytesIO(xlsx.data)).active["A1"].value == "标准化奖励与补助资金拨付清单"
    pdf = client.get("/approvals/2024-001/download/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert TITLE in text_of(pdf.data) and "叁佰贰拾万元整" in text_of(pdf.data)
    notice = client.get("/approvals/2024-001/download/notice")
    assert notice.status_code == 200 and "公示" in text_of(notice.data)
    assert "91330483MA2CUW803G" not in text_of(notice.data) and "91330483MA2CUW803G" in text_of(pdf.data)
    assert client.get("/approvals/2024-001/download/docx").status_code == 404
    assert client.get("/approvals/2099-001").status_code == 404

    audit = client.get("/audit?action=approvals.issue").get_data(as_text=True)
    assert '签发拨付清单<span class="name">2024-001</span>' in audit


def test_a_supplementary_list_from_a_lists_page(app: Flask, client, login) -> None:
    demo(app)
    login("city")
    assert issue(client).status_code == 302
    runner = app.test_cli_runner()
    assert runner.invoke(args=["params", "set", "reward_tiers.participate.national", "180000", "--from", "2022-08-01",
                               "--reason", "t"]).exit_code == 0
    assert runner.invoke(args=["reevaluate"]).exit_code == 0
    page = client.get("/approvals/2024-001").get_data(as_text=True)
    assert 'id="supplement-form"' in page

    preview = client.post("/approvals/2024-001/supplement", data={"preview": "1"}).get_data(as_text=True)
    assert "拨付清单2024-001的补充清单预览" in preview and 'id="preview-count">1<' in preview
    assert "¥30,000" in preview and "叁万元整" in preview
    assert lists(app) == ["2024-001"]
    done = client.post("/approvals/2024-001/supplement", data={"issue": "1", "note": "参数调整"})
    assert done.status_code == 302 and unquote(done.headers["Location"]).endswith("/approvals/2024-001-补1")
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "补充第2024-001号清单" in page and "清单2024-001第4行" in page and "参数调整" in page
    assert english_words(page) == []
    original = client.get("/approvals/2024-001").get_data(as_text=True)
    assert "2024-001-补1" in original  # the original names its supplementary lists
    nothing = client.post("/approvals/2024-001-补1/supplement", data={"preview": "1"}).get_data(as_text=True)
    assert 'id="nothing-payable"' in nothing
    refused = client.post("/approvals/2024-001-补1/supplement", data={"issue": "1"}).get_data(as_text=True)
    assert "无需补充清单" in refused
    assert lists(app) == ["2024-001", "2024-001-补1"]


def test_viewers_read_and_download_others_see_nothing(app: Flask, client, login) -> None:
    demo(app)
    login("mr_admin")
    assert issue(client).status_code == 302
    client.post("/logout")

    login("mr_viewer")
    page = client.get("/approvals/").get_data(as_text=True)
    assert "2024-001" in page and "新建拨付清单" not in page
    assert 'id="supplement-form"' not in client.get("/approvals/2024-001").get_data(as_text=True)
    assert client.get("/approvals/2024-001/download/pdf").status_code == 200
    assert issue(client).status_code == 403
    assert client.post("/approvals/2024-001/supplement", data={"issue": "1"}).status_code == 403
    client.post("/logout")

    login("ca_admin")  # civil affairs: does not see reward_tiers
    hidden = client.get("/approvals/")
    assert hidden.status_code == 200 and 'id="not-visible"' in hidden.get_data(as_text=True)
    assert "2024-001" not in hidden.get_data(as_text=True)
    assert client.get("/approvals/2024-001").status_code == 404
    assert client.get("/approvals/2024-001/download/xlsx").status_code == 404
    assert issue(client).status_code == 403
    assert lists(app) == ["2024-001"]


def test_bad_periods_are_named_and_store_nothing(app: Flask, client, login) -> None:
    demo(app)
    login("mr_admin")
    backwards = client.post("/approvals/", data={"period_from": "2024-12-31", "period_to": "2024-01-01", "issue": "1"})
    assert backwards.status_code == 400 and "截止日期早于起始日期。" in backwards.get_data(as_text=True)
    bad = client.post("/approvals/", data={"period_from": "2024-02-30", "period_to": "2024-12-31", "preview": "1"})
    assert bad.status_code == 400
    empty = client.post("/approvals/", data={"period_from": "2019-01-01", "period_to": "2019-12-31", "preview": "1"})
    assert empty.status_code == 200 and 'id="nothing-payable"' in empty.get_data(as_text=True)
    assert client.post("/approvals/", data={"period_from": "2019-01-01", "period_to": "2019-12-31",
                                            "issue": "1"}).status_code == 200
    assert lists(app) == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ApprovalListItemRecord)) == 0


def test_issuing_needs_the_csrf_token(app: Flask, client, users, csrf) -> None:
    demo(app)
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"username": "mr_admin", "password": PASSWORD, "csrf_token": token}).status_code == 302
    assert issue(client).status_code == 400
    assert lists(app) == []
    form = re.search(r'<form [^>]*id="period-form".*?</form>', client.get("/approvals/").get_data(as_text=True),
                     re.S).group(0)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    assert issue(client, csrf_token=token).status_code == 302
    assert lists(app) == ["2024-001"]
