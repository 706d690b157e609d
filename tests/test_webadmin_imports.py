"""The import page: upload, every row's errors first, then all or nothing."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.db import db
from core.models import ActivityRecord, AuditEntry, Organisation, OutcomeRecord

from conftest import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "docs/examples/activities.json"
EXAMPLES_JSONL = ROOT / "docs/examples/activities.jsonl"
WITH_ERRORS = ROOT / "docs/examples/with-errors.json"
DEMO = ROOT / "core/data/demo_activities.json"


def count(app, model=ActivityRecord) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(model.id)))


def upload(client, content: bytes | str, filename: str, lang: str = "en"):
    if isinstance(content, str):
        content = content.encode("utf-8")
    return client.post(f"/import?lang={lang}", data={"file": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data")


def token_of(html: str) -> str:
    match = re.search(r'<input id="token" name="token" type="hidden" value="([^"]+)"', html)
    assert match, "no confirm button"
    return match.group(1)


def confirm(client, token: str, **extra):
    return client.post("/import/confirm?lang=en", data={"token": token, **extra})


def error_rows(html: str, shown: bool = False) -> dict[int, list[tuple[str, str]]]:
    """Row number → [(field key, message)] from the preview's error table
    (``shown``: the field as the page names it)."""
    table = html.split('id="import-errors"', 1)[1].split("</table>", 1)[0]
    rows: dict[int, list[tuple[str, str]]] = {}
    current = None
    for tr in re.findall(r'<tr class="invalid-row" data-row="(\d+)">(.*?)</tr>', table, re.S):
        current = int(tr[0])
        field = re.search(r'<td class="field" data-field="([^"]*)">(.*?)</td>', tr[1], re.S)
        message = re.search(r'<td class="error">([^<]*)</td>', tr[1]).group(1)
        name = (re.sub(r"<[^>]+>", "", field.group(2)).strip() if shown else field.group(1)) or None
        rows.setdefault(current, []).append((name, message))
    return rows


def csv_text(records: list[dict]) -> str:
    columns = sorted({k for r in records for k in r}, key=lambda k: (k != "id", k != "kind", k))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    for r in records:
        writer.writerow({k: ("true" if v is True else "false" if v is False else v) for k, v in r.items()})
    return out.getvalue()


# -- who may import ----------------------------------------------------------------------


@pytest.mark.parametrize("user", ["mr_viewer", "ca_viewer"])
def test_viewers_get_403(client, login, user):
    login(user)
    assert client.get("/import").status_code == 403
    assert upload(client, EXAMPLES.read_bytes(), "activities.json").status_code == 403
    assert confirm(client, "x" * 32).status_code == 403
    assert 'href="/import"' not in client.get("/dashboard").get_data(as_text=True)  # no menu entry


def test_login_required(client):
    assert client.get("/import").status_code == 302


@pytest.mark.parametrize("user", ["mr_admin", "city"])
def test_admins_see_the_form(client, login, user):
    login(user)
    response = client.get("/import?lang=en")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html and 'type="file"' in html
    assert 'href="/import"' in html  # the menu entry


# -- checking ----------------------------------------------------------------------------


def test_a_file_with_bad_rows_shows_each_rows_errors_and_stores_nothing(app, client, login):
    login("mr_admin")
    before = count(app)
    response = upload(client, WITH_ERRORS.read_bytes(), "with-errors.json")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert count(app) == before == 0
    errors = error_rows(html)
    records = json.loads(WITH_ERRORS.read_text(encoding="utf-8"))
    bad = [n for n, r in enumerate(records, start=1) if str(r["id"]).startswith("EX-BAD")]
    assert sorted(errors) == bad  # every bad row, and only those
    assert {field for field, _ in errors[bad[0]]} >= {"date", "standard_code"}  # EX-BAD-1: 2023-02-30, year 20201
    assert ("kind", errors[bad[-1]][0][1]) == errors[bad[-1]][0] and "prize" in errors[bad[-1]][0][1]
    assert 'id="token"' not in html  # no confirm button
    assert "Nothing was stored" in html
    assert re.search(r'id="sum-invalid">%d<' % len(bad), html)
    assert re.search(r'id="sum-valid">%d<' % (len(records) - len(bad)), html)
    # the session keeps nothing to confirm
    assert confirm(client, "x" * 32).status_code == 302
    assert count(app) == 0


def test_errors_are_in_the_ui_language(app, client, login):
    login("mr_admin")
    english = error_rows(upload(client, WITH_ERRORS.read_bytes(), "with-errors.json", lang="en").get_data(as_text=True))
    chinese = error_rows(upload(client, WITH_ERRORS.read_bytes(), "with-errors.json", lang="zh_CN").get_data(as_text=True))
    assert sorted(english) == sorted(chinese)
    row = min(english)
    assert english[row] != chinese[row]
    assert any(re.search(r"[\u4e00-\u9fff]", message) for _, message in chinese[row])
    assert not any(re.search(r"[\u4e00-\u9fff]", message) for _, message in english[row] if "prize" not in message)


def test_one_bad_row_among_good_ones_stores_nothing(app, client, login):
    login("mr_admin")
    records = json.loads(EXAMPLES.read_text(encoding="utf-8"))
    records[3] = dict(records[3], rank=0)  # row 4
    html = upload(client, json.dumps(records, ensure_ascii=False), "one-bad.json").get_data(as_text=True)
    errors = error_rows(html)
    assert list(errors) == [4] and errors[4][0][0] == "rank"
    assert count(app) == 0 and count(app, OutcomeRecord) == 0


@pytest.mark.parametrize("filename, content, message", [
    ("activities.txt", b"[]", "Choose a JSON, JSON Lines, CSV or Excel file"),
    ("activities.json", b"{not json", "The file cannot be read"),
    ("activities.json", b'{"id": 1}', "The file cannot be read"),
    ("activities.json", b"[]", "The file holds no records."),
    ("activities.csv", b"id,date\n1,2024-01-01\n", "The file cannot be read"),  # no kind column
    ("activities.json", "[]".encode("utf-16"), "not UTF-8"),
])
def test_unreadable_files_are_refused_at_the_field(app, client, login, filename, content, message):
    login("mr_admin")
    response = upload(client, content, filename)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert re.search(r'<div class="field has-error">\s*<label for="file"', html)
    assert message in html.split('class="error"', 1)[1]
    assert count(app) == 0


def test_no_file_is_an_error_at_the_field(client, login):
    login("mr_admin")
    response = client.post("/import?lang=en", data={}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choose a file to upload." in response.get_data(as_text=True)


def test_a_department_imports_only_its_own_kinds(app, client, login):
    login("ca_admin")  # civil affairs has not enabled reward_tiers
    html = upload(client, EXAMPLES.read_bytes(), "activities.json").get_data(as_text=True)
    errors = error_rows(html)
    assert len(errors) == 8 and all(field == "kind" for e in errors.values() for field, _ in e)
    assert 'id="token"' not in html and count(app) == 0


# -- importing ---------------------------------------------------------------------------


def _import_twice(app, client, content: bytes | str, filename: str, expected: int):
    before = count(app)
    html = upload(client, content, filename).get_data(as_text=True)
    assert count(app) == before  # nothing stored by the check
    assert re.search(r'id="sum-new">%d<' % expected, html)
    assert re.search(r'id="sum-invalid">0<', html)
    response = confirm(client, token_of(html))
    assert response.status_code == 200
    result = response.get_data(as_text=True)
    assert re.search(r'id="res-stored">%d<' % expected, result)
    assert count(app) == before + expected
    assert 'href="/activities"' in result
    # the same file again: everything is already stored, nothing new to import
    html = upload(client, content, filename).get_data(as_text=True)
    assert re.search(r'id="sum-stored">%d<' % expected, html) and re.search(r'id="sum-new">0<', html)
    assert 'id="token"' not in html and "nothing to import" in html
    assert count(app) == before + expected
    return result


def test_import_json(app, client, login):
    login("mr_admin")
    result = _import_twice(app, client, EXAMPLES.read_bytes(), "activities.json", 8)
    with app.app_context():
        total = db.session.scalar(select(func.sum(OutcomeRecord.amount)).where(OutcomeRecord.superseded_at.is_(None)))
        outcomes = db.session.scalar(select(func.count(OutcomeRecord.id)))
        stored = db.session.scalars(select(ActivityRecord)).all()
        assert {a.created_by for a in stored} == {"mr_admin"}
        assert {a.source for a in stored} == {"upload:activities.json"}
        assert {a.department_id for a in stored} == {stored[0].department_id} and stored[0].department_id
        audit = db.session.scalars(select(AuditEntry).filter_by(action="activities.import")).all()
        assert len(audit) == 1 and audit[0].actor == "mr_admin" and audit[0].after["stored"] == 8
    assert re.search(r'id="res-outcomes">%d<' % outcomes, result)
    assert f"¥{total:,}" in result


def test_import_jsonl(app, client, login):
    login("mr_admin")
    _import_twice(app, client, EXAMPLES_JSONL.read_bytes(), "activities.jsonl", 8)


def test_import_csv(app, client, login):
    login("city")
    records = [r for r in json.loads(DEMO.read_text(encoding="utf-8")) if r["kind"] == "standard_drafting"]
    _import_twice(app, client, csv_text(records), "drafting.csv", len(records))
    with app.app_context():
        ranks = {a.external_id: a.fields["rank"] for a in db.session.scalars(select(ActivityRecord))}
        assert ranks == {r["id"]: r["rank"] for r in records}  # converted to integers


def test_import_csv_in_gb18030(app, client, login):
    login("mr_admin")
    records = json.loads(EXAMPLES.read_text(encoding="utf-8"))[:2]
    html = upload(client, csv_text(records).encode("gb18030"), "excel.csv").get_data(as_text=True)
    confirm(client, token_of(html))
    with app.app_context():
        assert "嘉兴市某某制造有限公司" in set(db.session.scalars(select(Organisation.name)))


def test_a_partly_stored_file_imports_the_new_rows(app, client, login):
    login("mr_admin")
    records = json.loads(EXAMPLES.read_text(encoding="utf-8"))
    html = upload(client, json.dumps(records[:3]), "first.json").get_data(as_text=True)
    confirm(client, token_of(html))
    html = upload(client, json.dumps(records), "all.json").get_data(as_text=True)
    assert re.search(r'id="sum-new">5<', html) and re.search(r'id="sum-stored">3<', html)
    result = confirm(client, token_of(html)).get_data(as_text=True)
    assert re.search(r'id="res-stored">5<', result) and re.search(r'id="res-already">3<', result)
    assert count(app) == 8


def test_the_uploaded_file_is_kept_until_confirmed_then_deleted(app, client, login):
    login("mr_admin")
    uploads = Path(app.instance_path) / "uploads"
    html = upload(client, EXAMPLES.read_bytes(), "activities.json").get_data(as_text=True)
    token = token_of(html)
    assert [p.name for p in uploads.iterdir()] == [f"{token}.json"]
    confirm(client, token)
    assert list(uploads.iterdir()) == []
    # the token is used up: a second confirm stores nothing and asks for the file again
    response = confirm(client, token)
    assert response.status_code == 302 and response.headers["Location"].endswith("/import")
    assert count(app) == 8


def test_cancel_discards_the_upload(app, client, login):
    login("mr_admin")
    html = upload(client, EXAMPLES.read_bytes(), "activities.json").get_data(as_text=True)
    token = token_of(html)
    assert 'id="cancel-token"' in html  # the two forms' fields have distinct ids
    assert client.post("/import/cancel", data={"cancel-token": token}).status_code == 302
    assert list((Path(app.instance_path) / "uploads").iterdir()) == []
    assert confirm(client, token).status_code == 302 and count(app) == 0


def test_a_token_from_another_session_is_refused(app, client, login):
    login("mr_admin")
    token = token_of(upload(client, EXAMPLES.read_bytes(), "activities.json").get_data(as_text=True))
    other = app.test_client()
    assert other.post("/login", data={"username": "city", "password": PASSWORD}).status_code == 302
    assert other.post("/import/confirm", data={"token": token}).status_code == 302
    assert other.post("/import/confirm", data={"token": "../../etc/passwd"}).status_code == 302
    assert count(app) == 0
    assert confirm(client, token).status_code == 200 and count(app) == 8


def test_stale_uploads_are_deleted(app, client, login):
    import os
    import time

    login("mr_admin")
    token = token_of(upload(client, EXAMPLES.read_bytes(), "activities.json").get_data(as_text=True))
    path = Path(app.instance_path) / "uploads" / f"{token}.json"
    old = time.time() - 9 * 3600
    os.utime(path, (old, old))
    client.get("/import")
    assert not path.exists()
    assert confirm(client, token).status_code == 302 and count(app) == 0


def test_a_department_switch_between_check_and_confirm_checks_again(app, client, login):
    login("city")  # works in market regulation first
    token = token_of(upload(client, EXAMPLES.read_bytes(), "activities.json").get_data(as_text=True))
    client.post("/department", data={"department": "civil_affairs", "next": "/import"})
    response = confirm(client, token)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "The working department changed" in html
    assert len(error_rows(html)) == 8 and count(app) == 0


def test_confirm_needs_the_csrf_token(app, client, users, csrf):
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    assert client.post("/login", data={"username": "mr_admin", "password": PASSWORD, "csrf_token": token}).status_code == 302
    page = client.get("/import").get_data(as_text=True)
    csrf_token = re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    # the upload itself needs it
    assert client.post("/import", data={"file": (io.BytesIO(EXAMPLES.read_bytes()), "a.json")},
                       content_type="multipart/form-data").status_code == 400
    html = client.post("/import?lang=en", data={"file": (io.BytesIO(EXAMPLES.read_bytes()), "a.json"), "csrf_token": csrf_token},
                       content_type="multipart/form-data").get_data(as_text=True)
    upload_token = token_of(html)
    form_csrf = re.search(r'action="/import/confirm".*?name="csrf_token" type="hidden" value="([^"]+)"', html, re.S).group(1)
    assert client.post("/import/confirm", data={"token": upload_token}).status_code == 400
    assert count(app) == 0
    response = client.post("/import/confirm?lang=en", data={"token": upload_token, "csrf_token": form_csrf})
    assert response.status_code == 200 and count(app) == 8
