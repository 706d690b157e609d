"""The admin's budget what-if pages: plan (the parameter's own form), results, save, list, compare, record."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from core.app import get_registry
from core.db import db
from core.models import ActivityRecord, OutcomeRecord, ParameterVersionRecord, WhatIfScenario
from core.store import import_records

from test_whatif import RECORDS

LEAD = "reward_tiers.lead.national"
SECRETARIAT = "reward_tiers.secretariat.national"


@pytest.fixture
def stored(app):
    with app.app_context():
        assert import_records(get_registry(), RECORDS, source="tests", actor="tests").ok
        db.session.commit()


def _draft(html: str) -> str:
    found = re.search(r'name="draft" value="([^"]*)"', html)
    assert found
    return found[1].replace("&#34;", '"').replace("&quot;", '"')


def _add(client, key: str, value: str, day: str, draft: str = "", lang: str = "en"):
    return client.post(f"/whatif/?lang={lang}", data={"draft": draft, "key": key, "value": value,
                                                        "effective_from": day, "action": "add"})


def _save_lead(app, client, value: str, name: str) -> tuple[str, int]:
    """Plan the national lead amount at ``value`` from 2025-01-01 and save it as ``name``: (the draft, the scenario's id)."""
    draft = _draft(_add(client, LEAD, value, "2025-01-01").get_data(as_text=True))
    assert client.post("/whatif/", data={"draft": draft, "action": "save", "save-name": name}).status_code == 302
    with app.app_context():
        return draft, db.session.scalar(select(WhatIfScenario.id).where(WhatIfScenario.name == name))


def _amounts(app) -> dict[str, int]:
    with app.app_context():
        return {ref: int(amount) for ref, amount in db.session.execute(
            select(ActivityRecord.external_id, func.coalesce(func.sum(OutcomeRecord.amount), 0))
            .outerjoin(OutcomeRecord, (OutcomeRecord.activity_id == ActivityRecord.id) & OutcomeRecord.superseded_at.is_(None))
            .group_by(ActivityRecord.external_id))}


def _versions(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(ParameterVersionRecord.id)))


def test_who_plans(client, login, stored):
    login("mr_viewer")
    assert client.get("/whatif/").status_code == 403
    assert 'href="/whatif/"' not in client.get("/dashboard").get_data(as_text=True)
    client.post("/logout")
    login("mr_admin")
    page = client.get("/whatif/")
    assert page.status_code == 200 and 'href="/whatif/"' in client.get("/dashboard").get_data(as_text=True)
    html = page.get_data(as_text=True)
    assert f'value="{LEAD}"' in html and "预算测算" in html
    tampered = json.dumps([{"key": "reward_tiers.nope", "value": "400000", "effective_from": "2025-01-01"}])
    answer = client.post("/whatif/?lang=en", data={"draft": tampered, "action": "choose"})
    assert answer.status_code == 200 and "unknown parameter" in answer.get_data(as_text=True)
    assert 'id="whatif-results"' not in answer.get_data(as_text=True)
    client.post("/logout")
    login("ca_admin")  # civil affairs manages no loaded plugin here (only reward_tiers is loaded)
    assert client.get("/whatif/").status_code == 403
    assert _add(client, LEAD, "400000", "2025-01-01").status_code == 403


def test_plan_two_changes_and_see_the_effect(app, client, login, stored):
    login("mr_admin")
    before = _versions(app)
    first = _add(client, LEAD, "400000", "2025-01-01")
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    assert re.search(r'id="difference"><strong>\+¥300,000', html)
    affected = re.findall(r'<tr data-id="(\d+)"', html)
    assert len(affected) == 3
    second = _add(client, SECRETARIAT, "600000", "2025-01-01", draft=_draft(html))
    html = second.get_data(as_text=True)
    assert re.search(r'id="difference"><strong>\+¥400,000', html) and len(re.findall(r'<tr data-id="', html)) == 4
    assert 'id="by-county"' in html and "Jiashan County" in html and 'id="by-rule"' in html
    removed = client.post("/whatif/?lang=en", data={"draft": _draft(html), "action": "remove-0", "key": LEAD})
    assert re.search(r'id="difference"><strong>\+¥100,000', removed.get_data(as_text=True))
    assert _versions(app) == before  # nothing recorded


def test_a_bad_value_is_shown_next_to_its_field_and_keeps_the_draft(client, login, stored):
    login("mr_admin")
    html = _add(client, LEAD, "400000", "2025-01-01").get_data(as_text=True)
    bad = _add(client, SECRETARIAT, "-5", "2025-01-01", draft=_draft(html))
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert 'class="field has-error"' in text or "has-error" in text
    assert LEAD in _draft(text) and SECRETARIAT not in _draft(text)
    garbled = client.post("/whatif/?lang=en", data={"draft": "{not json", "action": "choose"})
    assert garbled.status_code == 200 and "could not be read" in garbled.get_data(as_text=True)


def test_save_list_compare_and_record(app, client, login, stored):
    login("mr_admin")
    drafts = {}
    for name, value in (("forty", "400000"), ("fifty", "500000")):
        draft = _draft(_add(client, LEAD, value, "2025-01-01").get_data(as_text=True))
        saved = client.post("/whatif/?lang=en", data={"draft": draft, "action": "save", "save-name": name})
        assert saved.status_code == 302
        drafts[name] = draft
    again = client.post("/whatif/?lang=en", data={"draft": drafts["forty"], "action": "save", "save-name": "forty"})
    assert again.status_code == 409 and "already saved" in again.get_data(as_text=True)
    with app.app_context():
        ids = {row.name: row.id for row in db.session.scalars(select(WhatIfScenario))}
    listing = client.get("/whatif/scenarios?lang=zh_CN").get_data(as_text=True)
    assert "forty" in listing and "fifty" in listing and "未登记" in listing and "已保存方案" in listing
    compared = client.get(f"/whatif/compare?id={ids['forty']}&id={ids['fifty']}&lang=en").get_data(as_text=True)
    row = re.search(r'<tr id="row-proposed">.*?</tr>', compared, re.S)[0]
    assert "¥2,150,000" in row and "¥2,450,000" in row
    assert client.get(f"/whatif/compare?id={ids['forty']}").status_code == 400

    page = client.get(f"/whatif/scenarios/{ids['forty']}?lang=en").get_data(as_text=True)
    predicted = dict(re.findall(r'<tr data-id="\d+">.*?>(A\d)</a>.*?<td class="num">[^<]*</td>\s*<td class="num">¥([\d,]+)', page, re.S))
    assert set(predicted) == {"A2", "A3", "A7"}
    before = _amounts(app)
    versions = _versions(app)
    blank = client.post(f"/whatif/scenarios/{ids['forty']}?lang=en", data={"reason": "", "reference": "三(二)"})
    assert blank.status_code == 400 and _versions(app) == versions
    done = client.post(f"/whatif/scenarios/{ids['forty']}?lang=en", data={"reason": "2025 budget", "reference": "三(二)"})
    assert done.status_code == 302
    after = _amounts(app)
    assert {ref: after[ref] for ref in after if after[ref] != before[ref]} == \
        {ref: int(amount.replace(",", "")) for ref, amount in predicted.items()}
    assert _versions(app) == versions + 1
    recorded = client.get(f"/whatif/scenarios/{ids['forty']}?lang=en").get_data(as_text=True)
    assert 'id="recorded"' in recorded and 'id="record-form"' not in recorded
    assert client.post(f"/whatif/scenarios/{ids['forty']}", data={"reason": "x", "reference": "y"}).status_code == 403
    # "fifty" was saved on the version "forty" has just replaced: its effect was computed on older values.
    stale = client.post(f"/whatif/scenarios/{ids['fifty']}?lang=zh_CN", data={"reason": "2025 budget", "reference": "三(二)"},
                        follow_redirects=True)
    assert "该方案保存后" in stale.get_data(as_text=True) and "本次未作任何登记" in stale.get_data(as_text=True)
    assert _versions(app) == versions + 1

    client.post("/logout")
    login("city")
    assert "fifty" in client.get("/whatif/scenarios").get_data(as_text=True)


@pytest.mark.stdpolicy_plugins("reward_tiers", "public_services")
def test_a_department_plans_only_with_its_own_plugins_and_sees_its_own_scenarios(app, client, login, stored):
    login("mr_admin")
    draft, mr_plan = _save_lead(app, client, "400000", "mr plan")
    client.post("/logout")
    login("ca_admin")  # civil affairs owns public_services, not reward_tiers
    html = client.get("/whatif/").get_data(as_text=True)
    assert "public_services." in html and f'value="{LEAD}"' not in html
    assert _add(client, LEAD, "400000", "2025-01-01").status_code == 403
    answer = client.post("/whatif/?lang=en", data={"draft": draft, "action": "choose"})
    assert answer.status_code == 200 and "does not own" in answer.get_data(as_text=True)
    assert 'id="whatif-results"' not in answer.get_data(as_text=True)
    assert client.get(f"/whatif/scenarios/{mr_plan}").status_code == 404
    assert client.post(f"/whatif/scenarios/{mr_plan}", data={"reason": "r", "reference": "x"}).status_code == 404
    assert "mr plan" not in client.get("/whatif/scenarios").get_data(as_text=True)
    assert client.get(f"/whatif/compare?id={mr_plan}&id={mr_plan}").status_code == 404


@pytest.mark.stdpolicy_plugins("reward_tiers", "public_services")
def test_a_saved_scenario_exports_every_activity_whose_amount_changes(app, client, login, stored):
    """The page lists the first 500; the workbook holds them all, with exact integer yuan and Chinese headers."""
    from io import BytesIO

    from openpyxl import load_workbook

    login("mr_admin")
    _draft_saved, scenario_id = _save_lead(app, client, "400000", "四十万")
    page = client.get(f"/whatif/scenarios/{scenario_id}?lang=zh_CN").get_data(as_text=True)
    assert f'href="/whatif/scenarios/{scenario_id}/changes.xlsx"' in page and "导出" in page
    shown = dict(re.findall(r'<tr data-id="\d+">.*?>(A\d)</a>.*?<td class="num">[^<]*</td>\s*<td class="num">¥([\d,]+)',
                            client.get(f"/whatif/scenarios/{scenario_id}?lang=en").get_data(as_text=True), re.S))

    answer = client.get(f"/whatif/scenarios/{scenario_id}/changes.xlsx?lang=zh_CN")
    assert answer.status_code == 200 and answer.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(BytesIO(answer.data), read_only=True).worksheets[0]
    assert sheet.title == "四十万"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("日期", "编号", "单位") and all(isinstance(h, str) and h for h in rows[0])
    assert not any(re.search(r"[A-Za-z]{3}", h) for h in rows[0])  # no English (nor keys) in the Chinese headers
    exported = {row[1]: row for row in rows[1:]}
    assert set(exported) == set(shown)
    for ref, amount in shown.items():
        now, proposed, difference = exported[ref][6:9]
        assert type(proposed) is int and proposed == int(amount.replace(",", ""))  # exact yuan, no float
        assert difference == proposed - now

    # Not a planner, or another department's scenario: no export.
    client.post("/logout")
    login("mr_viewer")
    assert client.get(f"/whatif/scenarios/{scenario_id}/changes.xlsx").status_code == 403
    client.post("/logout")
    login("ca_admin")
    assert client.get(f"/whatif/scenarios/{scenario_id}/changes.xlsx").status_code == 404
