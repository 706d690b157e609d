"""The activity register pages: list, filters, scoping, one activity, CSV and XLSX exports."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime

import pytest
from markupsafe import escape
from sqlalchemy import select

from core import clock
from core.app import get_registry
from core.db import db
from core.models import ActivityRecord, OutcomeRecord
from core.store import import_records

from test_register_queries import ALL, JIASHAN, JIASHAN_CODE, _raise_participation, current_amounts, expected, load_examples

EXTRA = 40


def generated(n: int = EXTRA) -> list[dict]:
    """``n`` more drafting records (rank 5: no reward) so the register has more than one page."""
    return [
        {"id": f"GEN-{i:03d}", "kind": "standard_drafting", "date": f"2021-{1 + i % 12:02d}-{1 + i % 28:02d}",
         "credit_code": "913304007429141869", "organisation": "嘉兴市某某制造有限公司",
         "standard_code": f"GB/T {60000 + i}-2021", "rank": 5}
        for i in range(n)
    ]


@pytest.fixture
def ids(app) -> dict[str, int]:
    return load_examples(app)


@pytest.fixture
def many(app, ids) -> dict[str, int]:
    with app.app_context():
        result = import_records(get_registry(), generated(), source="generated", actor="tests")
        assert result.ok and len(result.stored) == EXTRA
        db.session.commit()
        return dict(db.session.execute(select(ActivityRecord.external_id, ActivityRecord.id)).all())


def row_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr data-id="(\d+)"', html)]


def refs_of(html: str, ids: dict[str, int]) -> list[str]:
    by_id = {v: k for k, v in ids.items()}
    return [by_id[n] for n in row_ids(html)]


def test_login_required(client):
    assert client.get("/activities").status_code == 302
    assert client.get("/activities/1").status_code == 302
    assert client.get("/activities/export.csv").status_code == 302


def test_list_and_menu(client, login, ids):
    login("mr_viewer")
    response = client.get("/activities?lang=en")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert refs_of(html, ids) == ALL
    assert f"1–{len(ALL)} of {len(ALL)} activities" in html
    assert 'href="/activities"' in html  # the menu entry
    assert "嘉兴市某某制造有限公司" in html and "Jiashan County" in html
    assert "Standard Innovation Contribution Award" in html  # the kind's label
    assert "¥1,000,000" in html
    assert f'href="/activities/{ids["EX-007"]}"' in html


def test_pagination(client, login, many):
    login("mr_admin")
    total = len(ALL) + EXTRA
    first = client.get("/activities?lang=en").get_data(as_text=True)
    assert len(row_ids(first)) == 50
    assert "Page 1 of 2" in first and 'rel="next"' in first
    second = client.get("/activities?page=2").get_data(as_text=True)
    assert len(row_ids(second)) == total - 50
    assert set(row_ids(first)).isdisjoint(row_ids(second))
    # the generated ones are the oldest (2021): all on page 2, newest first
    assert refs_of(first, many)[:len(ALL)] == ALL
    # a page past the end shows the last; a filter keeps its value in the pager links
    assert row_ids(client.get("/activities?page=99").get_data(as_text=True)) == row_ids(second)
    filtered = client.get("/activities?q=GEN-&year=2021&lang=en")
    assert filtered.status_code == 200


@pytest.mark.parametrize("query, predicate", [
    ("q=%E5%98%89%E5%96%84", lambda r: "嘉善" in r["organisation"]),                 # 嘉善
    (f"q={JIASHAN_CODE[:8]}", lambda r: r["credit_code"].startswith(JIASHAN_CODE[:8])),
    (f"q={JIASHAN_CODE}", lambda r: r["credit_code"] == JIASHAN_CODE),
    ("q=GB%2FT45123%E2%80%942025", lambda r: r.get("standard_code", "").startswith("GB/T 45123")),  # GB/T45123—2025
    ("kind=tc_secretariat", lambda r: r["kind"] == "tc_secretariat"),
    ("year=2023", lambda r: r["date"].startswith("2023")),
    ("county=330482", lambda r: r["credit_code"][2:8] == "330482"),
    ("plugin=reward_tiers", lambda r: True),
    ("kind=innovation_award&year=2024", lambda r: r["kind"] == "innovation_award" and r["date"].startswith("2024")),
])
def test_filters(client, login, ids, query, predicate):
    login("mr_viewer")
    html = client.get(f"/activities?{query}").get_data(as_text=True)
    found = refs_of(html, ids)
    assert found == expected(predicate) and found


def test_paid_only(app, client, login, ids):
    login("mr_viewer")
    with app.app_context():
        paid = {ref for ref, amount in current_amounts().items() if amount > 0}
    html = client.get("/activities?paid_only=y").get_data(as_text=True)
    assert refs_of(html, ids) == expected(lambda r: r["id"] in paid)
    html = client.get("/activities?paid_only=y&county=330421").get_data(as_text=True)
    assert refs_of(html, ids) == [r for r in JIASHAN if r in paid]


def test_a_bad_filter_value_is_shown_next_to_its_field(client, login, ids):
    login("mr_viewer")
    html = client.get("/activities?year=1900&kind=tc_secretariat&lang=en").get_data(as_text=True)
    # the year is not a choice: its error is shown at the field, and it does not narrow the list
    assert re.search(r'<div class="field has-error">\s*<label for="year"', html)
    assert "Not a valid choice" in html
    assert refs_of(html, ids) == expected(lambda r: r["kind"] == "tc_secretariat")
    html = client.get("/activities?year=1900&lang=zh_CN").get_data(as_text=True)  # Chinese UI: WTForms' own translation
    assert re.search(r'<div class="field has-error">\s*<label for="year"', html)
    assert "Not a valid choice" not in html


def test_department_scoping(client, login, ids):
    login("ca_admin")  # civil affairs enables public_services only
    html = client.get("/activities?lang=en").get_data(as_text=True)
    assert row_ids(html) == [] and "No activities match." in html
    assert client.get(f"/activities/{ids['EX-001']}").status_code == 404
    assert client.get("/activities?kind=standard_drafting").status_code == 200
    assert row_ids(client.get("/activities?kind=standard_drafting").get_data(as_text=True)) == []
    rows = list(csv.reader(io.StringIO(client.get("/activities/export.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 1  # the header only


def test_city_admin_works_in_the_chosen_department(client, login, ids):
    login("city")
    assert len(row_ids(client.get("/activities").get_data(as_text=True))) == len(ALL)  # market regulation first
    client.post("/department", data={"department": "civil_affairs", "next": "/activities"})
    assert row_ids(client.get("/activities").get_data(as_text=True)) == []
    assert client.get(f"/activities/{ids['EX-001']}").status_code == 404


def test_detail_unknown_is_404(client, login, ids):
    login("mr_viewer")
    assert client.get("/activities/999999").status_code == 404


def _outcome(app, activity_id: int) -> OutcomeRecord:
    with app.app_context():
        outcome = db.session.scalar(select(OutcomeRecord).where(
            OutcomeRecord.activity_id == activity_id, OutcomeRecord.superseded_at.is_(None)))
        db.session.expunge(outcome)
        return outcome


def test_detail_in_chinese_by_default_and_english_on_request(app, client, login, ids):
    login("mr_viewer")
    outcome = _outcome(app, ids["EX-007"])
    html = client.get(f"/activities/{ids['EX-007']}").get_data(as_text=True)
    # the parameter keys the text cites are small print (webadmin.labels.explained); the text is the stored one
    assert '<small class="detail"><code>reward_tiers.award.first</code></small>' in html
    html = re.sub(r'<small class="detail"><code>([^<]+)</code></small>', r"\1", html)
    assert f'<p lang="zh-CN">{escape(outcome.explanation_zh)}</p>' in html
    # the other language is there on demand, inside <details>
    assert re.search(r"<details class=\"other-language\">\s*<summary>[^<]+</summary>\s*<p lang=\"en\">"
                     + re.escape(str(escape(outcome.explanation_en))), html)
    assert "嘉兴市某某制造有限公司" in html and "913304007429141869" in html
    assert "R10" in html and "三(二)" in html and "¥1,000,000" in html
    assert "docs/examples/activities.json" in html or "activities.json" in html  # the source
    assert "tests" in html  # who imported it

    html = client.get(f"/activities/{ids['EX-007']}?lang=en").get_data(as_text=True)
    html = re.sub(r'<small class="detail"><code>([^<]+)</code></small>', r"\1", html)
    assert f'<p lang="en">{escape(outcome.explanation_en)}</p>' in html
    assert "In Chinese" in html
    assert "Imported by" in html and "Clause 三(二)" in html


def test_detail_shows_the_parameter_versions_used(app, client, login, ids):
    login("mr_viewer")
    outcome = _outcome(app, ids["EX-007"])
    [used] = [p for p in outcome.parameters if p["key"] == "reward_tiers.award.first"]
    html = client.get(f"/activities/{ids['EX-007']}?lang=en").get_data(as_text=True)
    assert "<code>reward_tiers.award.first</code>" in html
    assert "China Standard Innovation Contribution Award, first prize" in html  # the parameter's label, the key beside it
    # the version's number within its key, the same as on the parameters page and in the explanation
    assert used["sequence"] == 1 and f">Version {used['sequence']}<" in html and used["effective_from"] in html
    assert f"#{used['version_id']}" not in html
    assert f"¥{used['value']:,}" in html  # a money parameter shown as money
    if "parameters.detail" in app.view_functions:  # the parameters pages are installed: key and version link there
        with app.test_request_context():
            from flask import url_for

            url = url_for("parameters.detail", key="reward_tiers.award.first")
        assert re.search(rf'<a href="{url}">[^<]*<small class="detail"><code>reward_tiers.award.first</code></small></a>', html)
        assert f'<a href="{url}#version-1">Version 1</a>' in html
    else:
        assert "<a href" not in html.split('class="data parameters"', 1)[1].split("</table>", 1)[0]


def test_detail_without_the_parameters_pages_shows_no_links(app, client, login, ids, monkeypatch):
    monkeypatch.delitem(app.view_functions, "parameters.detail", raising=False)
    login("mr_viewer")
    html = client.get(f"/activities/{ids['EX-007']}?lang=en").get_data(as_text=True)
    table = html.split('class="data parameters"', 1)[1].split("</table>", 1)[0]
    assert "<code>reward_tiers.award.first</code>" in table and "<a href" not in table


def test_detail_shows_superseded_outcomes_as_history(app, client, login, ids):
    version_id = _raise_participation(app)  # EX-002: 150,000 → 200,000
    login("mr_viewer")
    html = client.get(f"/activities/{ids['EX-002']}?lang=en").get_data(as_text=True)
    current, history = html.split('id="history"')
    with app.app_context():
        from core.models import ParameterVersionRecord

        number = db.session.get(ParameterVersionRecord, version_id).sequence
    assert "¥200,000" in current and f"Version {number}" in current and f"#{version_id}" not in current
    assert "History: superseded outcomes" in current + history
    assert "¥150,000" in history and "R6" in history
    assert re.search(r'<tr class="superseded">\s*<td class="nowrap">\d{4}-\d\d-\d\d \d\d:\d\d</td>', history)
    # the register shows the current amount
    listing = client.get("/activities?q=EX-002").get_data(as_text=True)
    assert "¥200,000" in listing and "¥150,000" not in listing


# -- exports ------------------------------------------------------------------------------


def test_export_csv(app, client, login, ids):
    login("mr_viewer")
    response = client.get("/activities/export.csv?lang=en")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert f'filename="activities-{clock.today().isoformat()}.csv"' in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["Record id"] for r in rows] == ALL
    header = list(rows[0])
    assert header[:3] == ["Activity id", "Record id", "Date"] and "Amount (yuan)" in header
    assert "Explanation (Chinese)" in header and "Parameter versions" in header
    ex7 = next(r for r in rows if r["Record id"] == "EX-007")
    outcome = _outcome(app, ids["EX-007"])
    assert ex7["Activity id"] == str(ids["EX-007"])
    assert ex7["Organisation"] == "嘉兴市某某制造有限公司" and ex7["Credit code"] == "913304007429141869"
    assert ex7["County"] == "Jiaxing (city level)" and ex7["Kind"] == "Standard Innovation Contribution Award"
    assert ex7["Rule"] == "R10" and ex7["Amount (yuan)"] == "1000000" and ex7["Clause"] == "三(二)"
    assert ex7["Explanation (Chinese)"] == outcome.explanation_zh
    assert ex7["Explanation (English)"] == outcome.explanation_en
    # the version's number within its key, as every page shows it
    assert ex7["Parameter versions"] == (
        "China Standard Innovation Contribution Award, first prize = 1000000 (Version 1, in force from 2022-08-01)")
    assert ex7["Plugin"] == "Standardisation rewards and subsidies" and ex7["Date"] == "2024-12-18"
    assert ex7["Award"] == "first prize" and ex7["Project"] == "智能制造 数字孪生系列标准"  # the kind's own fields, coded values by label


def test_export_csv_follows_the_filters(client, login, ids):
    login("mr_viewer")
    text = client.get("/activities/export.csv?kind=tc_secretariat&page=3&lang=en").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [r["Record id"] for r in rows] == expected(lambda r: r["kind"] == "tc_secretariat")
    text = client.get("/activities/export.csv?q=%E5%98%89%E5%96%84&lang=zh_CN").get_data(as_text=True)  # 嘉善, Chinese UI
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 1 + len(JIASHAN)
    assert all("嘉善县" in row for row in rows[1:])


def test_export_csv_neutralises_formulas(app, client, login):
    with app.app_context():
        result = import_records(get_registry(), [{
            "id": "=HYPERLINK(1)", "kind": "standard_drafting", "date": "2024-01-02",
            "credit_code": "913304007429141869", "organisation": "=1+2", "standard_code": "GB/T 61000-2024", "rank": 1,
        }], source="tests", actor="tests")
        assert result.ok
        db.session.commit()
    login("mr_viewer")
    text = client.get("/activities/export.csv?lang=en").get_data(as_text=True)
    [row] = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert row["Organisation"] == "'=1+2" and row["Record id"] == "'=HYPERLINK(1)"
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(client.get("/activities/export.xlsx").get_data()), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][3] == "=1+2" and rows[1][1] == "=HYPERLINK(1)"  # text, not formulas
    raw = client.get("/activities/export.xlsx").get_data()
    import zipfile

    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode()


def test_export_xlsx(app, client, login, ids):
    from openpyxl import load_workbook

    login("mr_viewer")
    response = client.get("/activities/export.xlsx?lang=en")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert f"activities-{clock.today().isoformat()}.xlsx" in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.get_data()))
    sheet = workbook.active
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    assert header[:3] == ["Activity id", "Record id", "Date"]
    assert sheet.cell(row=1, column=1).font.bold
    col = {name: header.index(name) for name in header}
    assert [r[col["Record id"]] for r in rows[1:]] == ALL
    ex7 = next(r for r in rows[1:] if r[col["Record id"]] == "EX-007")
    amount = ex7[col["Amount (yuan)"]]
    assert amount == 1_000_000 and type(amount) is int
    assert all(type(r[col["Amount (yuan)"]]) is int for r in rows[1:])
    assert ex7[col["Activity id"]] == ids["EX-007"]
    assert ex7[col["Organisation"]] == "嘉兴市某某制造有限公司"  # Chinese text intact
    assert ex7[col["Date"]] in (datetime(2024, 12, 18), date(2024, 12, 18))
    outcome = _outcome(app, ids["EX-007"])
    assert ex7[col["Explanation (Chinese)"]] == outcome.explanation_zh
    assert ex7[col["Kind"]] == "Standard Innovation Contribution Award"
    # filtered, in the Chinese UI
    workbook = load_workbook(io.BytesIO(client.get("/activities/export.xlsx?county=330421&lang=zh_CN").get_data()))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert len(rows) == 1 + len(JIASHAN)
    assert all("嘉善县" in r for r in rows[1:])


def test_export_xlsx_without_outcomes_leaves_the_amount_empty(app, client, login, ids):
    from openpyxl import load_workbook

    from core.store import find_department, reevaluate, set_enabled, set_permitted

    with app.app_context():
        set_permitted(find_department("development_reform"), "reward_tiers", True, "tests")
        set_enabled(find_department("development_reform"), "reward_tiers", True, "tests")
        set_enabled(find_department("market_regulation"), "reward_tiers", False, "tests")
        db.session.commit()
        # still enabled by one department: outcomes stay current
        reevaluate(get_registry(), actor="tests")
        set_enabled(find_department("development_reform"), "reward_tiers", False, "tests")
        reevaluate(get_registry(), actor="tests")  # now by none: every outcome is superseded
        set_enabled(find_department("market_regulation"), "reward_tiers", True, "tests")
        db.session.commit()
    login("mr_viewer")
    rows = list(load_workbook(io.BytesIO(client.get("/activities/export.xlsx?lang=en").get_data())).active.iter_rows(values_only=True))
    col = {name: i for i, name in enumerate(rows[0])}
    assert len(rows) == 1 + len(ALL)
    assert all(r[col["Amount (yuan)"]] is None and r[col["Rule"]] is None for r in rows[1:])


def test_detail_names_fields_and_coded_values_in_the_ui_language(app, client, login, ids):
    login("mr_viewer")
    zh = client.get(f"/activities/{ids['EX-001']}").get_data(as_text=True)
    assert "标准级别" in zh and "国家标准" in zh and "起草单位排名" in zh and "由标准编号判定" in zh
    en = client.get(f"/activities/{ids['EX-001']}?lang=en").get_data(as_text=True)
    assert "Rank among the drafting units" in en and "national standard" in en and "inferred from the number" in en


HELD = [  # two organisations claiming rank 1 on one standard (issue #11: held for review, 待核实)
    {"id": "HELD-X", "kind": "standard_drafting", "date": "2024-06-28", "credit_code": "913304007429141869",
     "organisation": "嘉兴市某某制造有限公司", "standard_code": "GB/T 44101-2024", "rank": 1},
    {"id": "HELD-Y", "kind": "standard_drafting", "date": "2024-07-02", "credit_code": "91330482MA2AH5T006",
     "organisation": "平湖光电新能源有限公司", "standard_code": "GB/T 44101-2024", "rank": 1},
]


def test_held_outcomes_show_their_label_amount_and_reasons(app, client, login, ids):
    with app.app_context():
        result = import_records(get_registry(), HELD, source="held.json", actor="tests")
        assert result.ok
        db.session.commit()
        held = dict(db.session.execute(select(ActivityRecord.external_id, ActivityRecord.id)
                                       .where(ActivityRecord.external_id.in_(["HELD-X", "HELD-Y"]))).all())
    login("mr_viewer")
    listing = client.get("/activities").get_data(as_text=True)
    row = re.search(rf'<tr data-id="{held["HELD-Y"]}".*?</tr>', listing, re.S)
    assert row and "待核实" in row[0] and "R2" in row[0]
    other = re.search(rf'<tr data-id="{ids["EX-007"]}".*?</tr>', listing, re.S)
    assert other and "待核实" not in other[0]

    html = client.get(f"/activities/{held['HELD-Y']}").get_data(as_text=True)
    assert "待核实金额" in html and "¥300,000" in html
    assert "嘉兴市某某制造有限公司(统一社会信用代码913304007429141869)也登记为该标准排名第一位的起草单位(活动 HELD-X)" in html
    english = client.get(f"/activities/{held['HELD-Y']}?lang=en").get_data(as_text=True)
    assert "Amount held for review" in english and "held for review" in english
    assert "is also registered as the drafting unit ranked 1st on this standard (activity HELD-X)" in english
