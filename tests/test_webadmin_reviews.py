"""The admin's review queue (issue #11): who sees it, who decides, filters, tabs, export; the register and the
activity page showing the review state; the audit sentence."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from core.app import get_registry
from core.db import db
from core.models import ActivityRecord, AuditEntry, OutcomeRecord, ReviewDecisionRecord
from core.store import import_records
from review_support import HELD_RECORDS

RECORDS = HELD_RECORDS


@pytest.fixture
def held(app) -> dict[str, int]:
    """External id → current outcome id."""
    with app.app_context():
        result = import_records(get_registry(), RECORDS, source="held.json", actor="tests")
        assert result.ok, [(i.ref, i.errors) for i in result.report.invalid]
        db.session.commit()
        return dict(db.session.execute(
            select(ActivityRecord.external_id, OutcomeRecord.id)
            .join(OutcomeRecord, OutcomeRecord.activity_id == ActivityRecord.id)
            .where(OutcomeRecord.superseded_at.is_(None))).all())


def activity_id(app, ref: str) -> int:
    with app.app_context():
        return db.session.scalar(select(ActivityRecord.id).where(ActivityRecord.external_id == ref))


def row_of(html: str, outcome_id: int) -> str:
    found = re.search(rf'<tr id="outcome-row-{outcome_id}".*?</tr>', html, re.S)
    assert found, f"outcome {outcome_id} not in the queue"
    return found[0]


def decisions(app) -> list[tuple[int, str, str, str]]:
    with app.app_context():
        return [tuple(r) for r in db.session.execute(select(
            ReviewDecisionRecord.outcome_id, ReviewDecisionRecord.decision, ReviewDecisionRecord.note,
            ReviewDecisionRecord.decided_by).order_by(ReviewDecisionRecord.id))]


def test_the_queue_lists_held_outcomes_with_amount_reasons_and_other_party(app, client, login, held):
    login("mr_viewer")
    html = client.get("/reviews").get_data(as_text=True)
    assert "待核实结果" in html or "核实" in html
    x, s = row_of(html, held["X-1"]), row_of(html, held["S-1"])
    assert "嘉兴市某某制造有限公司" in x and "嘉兴市(市本级)" in x and "GB/T 44101-2024" in x
    assert "¥300,000" in x and "排名冲突" in x and "平湖光电新能源有限公司" in x  # the other party
    assert "注册地不在本市" in s and "上海" not in "" and "上海某某科技有限公司" in s
    assert f'outcome-row-{held["P-1"]}' not in html  # a paid outcome is not held
    # a viewer reads: no decision form, and a POST is refused
    assert 'name="decision"' not in html
    response = client.post(f"/reviews/{held['X-1']}", data={"decision": "approved", "note": "看过"})
    assert response.status_code == 403
    assert decisions(app) == []


def test_a_reviewer_approves_one_and_rejects_one(app, client, login, held):
    login("mr_admin")
    html = client.get("/reviews").get_data(as_text=True)
    assert 'name="decision" value="approved"' in row_of(html, held["X-1"])
    response = client.post(f"/reviews/{held['X-1']}", data={"decision": "approved", "note": "核对起草单位名单,排名无误",
                                                               "seen": ""})
    assert response.status_code == 302 and response.location.endswith("/reviews")
    response = client.post(f"/reviews/{held['Y-1']}?county=330482", data={"decision": "rejected", "note": "排名有误",
                                                                          "seen": ""})
    assert response.status_code == 302 and "county=330482" in response.location
    assert decisions(app) == [(held["X-1"], "approved", "核对起草单位名单,排名无误", "mr_admin"),
                              (held["Y-1"], "rejected", "排名有误", "mr_admin")]

    pending = client.get("/reviews").get_data(as_text=True)
    assert f'outcome-row-{held["X-1"]}' not in pending and f'outcome-row-{held["S-1"]}' in pending
    decided = client.get("/reviews?tab=decided").get_data(as_text=True)
    assert "已核准" in row_of(decided, held["X-1"]) and "核对起草单位名单,排名无误" in row_of(decided, held["X-1"])
    assert "未核准" in row_of(decided, held["Y-1"])

    # the register: the label and the filter
    listing = client.get("/activities").get_data(as_text=True)
    x_row = re.search(rf'<tr data-id="{activity_id(app, "X-1")}".*?</tr>', listing, re.S)
    assert x_row and "已核准" in x_row[0]
    for state, refs in (("approved", ["X-1"]), ("rejected", ["Y-1"]), ("pending", ["S-1"])):
        page = client.get(f"/activities?review={state}").get_data(as_text=True)
        shown = re.findall(r'<tr data-id="(\d+)"', page)
        assert shown == [str(activity_id(app, ref)) for ref in refs], state
    assert "待核实" in client.get("/activities").get_data(as_text=True)

    # the activity page: the decision, who, when, the note, and the history
    page = client.get(f"/activities/{activity_id(app, 'X-1')}").get_data(as_text=True)
    review = re.search(rf'<p class="review" id="review-{held["X-1"]}".*?</p>', page, re.S)
    assert review and "已核准" in review[0] and "mr_admin" in review[0] and "核对起草单位名单,排名无误" in review[0]
    assert 'id="review-history"' in page
    english = client.get(f"/activities/{activity_id(app, 'X-1')}?lang=en").get_data(as_text=True)
    assert "approved" in english and "Review decisions" in english

    # the audit log reads as a sentence
    audit = re.sub(r"<[^>]+>", "", client.get("/audit?lang=zh_CN").get_data(as_text=True))
    assert "核准活动 X-1 的待核实结果" in audit and "不予核准活动 Y-1 的待核实结果" in audit


def test_a_blank_note_keeps_the_queue_and_stores_nothing(app, client, login, held):
    login("mr_admin")
    response = client.post(f"/reviews/{held['X-1']}", data={"decision": "approved", "note": "  ", "seen": ""})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "核实意见不能为空" in row_of(html, held["X-1"])
    response = client.post(f"/reviews/{held['X-1']}", data={"decision": "approved", "note": "含\x07控制字符", "seen": ""})
    assert response.status_code == 400 and "控制字符" in response.get_data(as_text=True)
    assert decisions(app) == []


def test_a_decision_taken_meanwhile_is_not_overruled(app, client, login, held):
    login("mr_admin")
    assert client.post(f"/reviews/{held['X-1']}", data={"decision": "approved", "note": "第一位", "seen": ""}).status_code == 302
    # a second form, opened before the first decision (it saw "pending")
    response = client.post(f"/reviews/{held['X-1']}", data={"decision": "rejected", "note": "第二位的意见", "seen": ""})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "于此期间作出决定" in html and "第二位的意见" in html  # the message, and the note as typed
    assert [d[1] for d in decisions(app)] == ["approved"]


def test_other_departments_and_outcomes_not_held(app, client, login, held):
    login("ca_admin")  # civil affairs does not see reward_tiers
    html = client.get("/reviews").get_data(as_text=True)
    assert "outcome-row-" not in html
    assert client.post(f"/reviews/{held['X-1']}", data={"decision": "approved", "note": "x"}).status_code == 404
    client.post("/logout")
    login("mr_admin")
    response = client.post(f"/reviews/{held['P-1']}", data={"decision": "approved", "note": "x", "seen": ""})
    assert response.status_code == 409 and "不是待核实结果" in response.get_data(as_text=True)
    assert client.post("/reviews/999999", data={"decision": "approved", "note": "x"}).status_code == 404
    assert decisions(app) == []


def test_the_decision_needs_the_csrf_token(app, client, login, held):
    login("mr_admin")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(f"/reviews/{held['X-1']}", data={"decision": "approved", "note": "x"}).status_code == 400
        assert decisions(app) == []
        page = client.get("/reviews").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', row_of(page, held["X-1"]))[1]
        response = client.post(f"/reviews/{held['X-1']}", data={"decision": "approved", "note": "x", "csrf_token": token})
        assert response.status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert [d[1] for d in decisions(app)] == ["approved"]


def test_filters_by_reason_county_and_year(app, client, login, held):
    login("mr_viewer")

    def shown(query: str) -> set[int]:
        return {int(i) for i in re.findall(r'<tr id="outcome-row-(\d+)"', client.get(f"/reviews?{query}").get_data(as_text=True))}

    assert shown("") == {held["X-1"], held["Y-1"], held["S-1"]}
    assert shown("reason=rank_conflict") == {held["X-1"], held["Y-1"]}
    assert shown("reason=region") == {held["S-1"]}
    assert shown("county=330482") == {held["Y-1"]}
    assert shown("year=2023") == {held["S-1"]}
    assert shown("year=2024&reason=region") == set()
    html = client.get("/reviews").get_data(as_text=True)
    assert "排名冲突" in html and "平湖市" in html  # Chinese labels in the filters


def test_the_queue_exports_to_xlsx(app, client, login, held):
    login("mr_viewer")
    response = client.get("/reviews/export.xlsx?reason=rank_conflict")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("日期", "编号", "单位名称") or "单位" in str(rows[0])
    body = {row[1]: row for row in rows[1:]}
    assert set(body) == {"X-1", "Y-1"}
    assert body["X-1"][8] == 300_000 and "排名冲突" in body["X-1"][9] and body["X-1"][10] == "待核实"

    client.post("/logout")
    login("mr_admin")
    assert client.post(f"/reviews/{held['X-1']}", data={"decision": "approved", "note": "=排名无误", "seen": ""}).status_code == 302
    decided = load_workbook(io.BytesIO(client.get("/reviews/export.xlsx?tab=decided").data)).active
    rows = list(decided.iter_rows(values_only=True))
    [x] = rows[1:]
    assert x[1] == "X-1" and x[10:12] == ("已核准", "mr_admin") and re.match(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", x[12])
    assert x[13] == "=排名无误" and decided["N2"].data_type == "s"  # the note as written: text, never a formula


def test_the_audit_entry_is_counted_with_the_department(app, client, login, held):
    login("city")
    assert client.post(f"/reviews/{held['S-1']}", data={"decision": "rejected", "note": "非本市企业", "seen": ""}).status_code == 302
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "review.reject")).one()
        assert entry.actor == "city" and entry.target == "S-1" and entry.department_id is not None
        assert db.session.scalar(select(func.count()).select_from(ReviewDecisionRecord)) == 1


def test_the_api_gives_each_held_outcome_its_review(app, client, login, held):
    from webadmin_support import make_token

    token = make_token(app, "market_regulation")
    headers = {"Authorization": f"Bearer {token}"}
    x_id = activity_id(app, "X-1")
    body = client.get(f"/api/activities/{x_id}", headers=headers).get_json()
    [outcome] = body["outcomes"]
    assert (outcome["status"], outcome["amount"], outcome["held_amount"], outcome["review"]) == ("held", 0, 300_000, None)
    assert outcome["held_reasons"][0]["code"] == "rank_conflict" and body["payable"] == 0

    login("mr_admin")
    assert client.post(f"/reviews/{held['X-1']}", data={"decision": "approved", "note": "排名无误", "seen": ""}).status_code == 302
    body = client.get(f"/api/activities/{x_id}", headers=headers).get_json()
    from test_openapi import _check

    document = client.get("/api/openapi.json").get_json()
    _check(document, "/api/activities/{activity_id}", "get", 200, body)
    [outcome] = body["outcomes"]
    review = outcome["review"]
    assert (review["decision"], review["note"], review["decided_by"]) == ("approved", "排名无误", "mr_admin")
    assert review["decided_at"] and (body["amount"], body["payable"]) == (0, 300_000)
    # a paid outcome has no review; another department does not see reward_tiers' activities
    [paid] = client.get(f"/api/activities/{activity_id(app, 'P-1')}", headers=headers).get_json()["outcomes"]
    assert "review" not in paid and paid["payable"] == 150_000
    other = make_token(app, "civil_affairs", name="ca")
    missing = client.get(f"/api/activities/{x_id}", headers={"Authorization": f"Bearer {other}"})
    assert missing.status_code == 404
    _check(document, "/api/activities/{activity_id}", "get", 404, missing.get_json())
    assert client.get(f"/api/activities/{x_id}").status_code == 401


def test_the_register_export_shows_status_held_amount_and_review(app, client, login, held):
    """The register's CSV and XLSX say which outcomes are held, what they would pay, and the review's result."""
    import csv

    login("mr_admin")
    assert client.post(f"/reviews/{held['X-1']}", data={"decision": "approved", "note": "排名无误",
                                                         "seen": ""}).status_code == 302
    text = client.get("/activities/export.csv?lang=zh_CN").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    held_rows = sorted((r["待核实金额(元)"], r["核实结果"], r["金额(元)"]) for r in rows if r["结果状态"] == "待核实")
    # X-1 approved (still held in the register: the approval lists pay it), Y-1 and S-1 pending.
    assert held_rows == [("300000", "已核准", "0"), ("300000", "待核实", "0"), ("300000", "待核实", "0")]
    others = [r for r in rows if r["结果状态"] != "待核实"]
    assert others and all(r["待核实金额(元)"] == "" and r["核实结果"] == "" for r in others)
    sheet = load_workbook(io.BytesIO(client.get("/activities/export.xlsx?lang=en").data), read_only=True).active
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert {"Status", "Amount held for review (yuan)", "Review"} <= set(header)
    values = [dict(zip(header, (c.value for c in row))) for row in sheet.iter_rows(min_row=2)]
    assert sorted(v["Review"] for v in values if v["Status"] == "held for review") == \
        ["approved", "pending review", "pending review"]
