"""The admin's Parameters pages and the reward_tiers plugin's own page."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from marshmallow import ValidationError
from sqlalchemy import func, select

from core.app import get_registry
from core.db import db
from core.declarations import ParameterDeclaration
from core.models import AuditEntry, ParameterVersionRecord
from core.parameters import version_schema
from core.store import import_records, record_version
from core.testing import builtin_plugins
from core.text import Text

from conftest import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
KEY = "reward_tiers.lead.national"
URL = f"/parameters/{KEY}"
POLICY_TEXT = Path("/work/shared/policy/jiaxing-2022-standards-policy.zh.txt")

X = "913304007429141869"
Z = "91330421MA2D0L608J"


# -- helpers -------------------------------------------------------------------

def _versions(app, key: str = KEY) -> list[tuple[int, str, date, str, str, str]]:
    """(sequence, value, effective_from, reason, reference, recorded_by) of every stored version of ``key``."""
    with app.app_context():
        rows = db.session.scalars(
            select(ParameterVersionRecord).filter_by(key=key).order_by(ParameterVersionRecord.sequence)
        ).all()
        return [(r.sequence, r.value, r.effective_from, r.reason, r.reference, r.recorded_by) for r in rows]


def _audit_count(app, action: str = "parameter.version") -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(AuditEntry.id)).filter_by(action=action))


def _based_on(page: str) -> str:
    return re.search(r'name="based_on" type="hidden" value="([^"]*)"', page).group(1)


def _error_fields(page: str) -> set[str]:
    """The fields shown with an error (the ``field has-error`` blocks of the form)."""
    return set(re.findall(r'<div class="field has-error">\s*<label for="(\w+)"', page))


def _field_block(page: str, name: str) -> str:
    match = re.search(r'<div class="field[^"]*">\s*<label for="%s".*?</div>' % name, page, re.S)
    return match.group(0)


def _form(**overrides: str) -> dict[str, str]:
    data = {
        "value": "400000",
        "effective_from": "2025-01-01",
        "reason": "Budget 2025: the city raises the national-standard reward",
        "reference": "嘉政发〔2025〕1号 三(二)",
        "based_on": "1",
    }
    data.update(overrides)
    return data


def _import(app, records: list[dict]) -> None:
    with app.app_context():
        result = import_records(get_registry(), records, source="tests", actor="tests")
        assert result.ok, [(r.ref, r.errors) for r in result.report.invalid]
        db.session.commit()


def _client_as(app, username: str):
    other = app.test_client()
    assert other.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return other


# -- list and detail, per role ---------------------------------------------------

@pytest.mark.parametrize("user", ["city", "mr_admin", "mr_viewer"])
def test_index_lists_the_enabled_plugins_parameters(client, login, user):
    login(user)
    response = client.get("/parameters/?lang=en")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="plugin-reward_tiers"' in page
    for key in get_registry_keys(client):
        assert f'id="param-{key}"' in page
    row = re.search(r'<tr id="param-reward_tiers.lead.national">.*?</tr>', page, re.S).group(0)
    assert "Leading the drafting of a national standard" in row
    assert "¥300,000" in row and "2022-08-01" in row and "三(二)" in row and "yuan" in row
    assert re.search(r">Version 1<", row)  # the version in force: its number within the key


def get_registry_keys(client) -> list[str]:
    registry = client.application.extensions["stdpolicy"]
    return registry.plugins["reward_tiers"].parameters


@pytest.mark.parametrize("user", ["ca_admin", "ca_viewer"])
def test_index_of_another_department_hides_reward_tiers(client, login, user):
    login(user)
    response = client.get("/parameters/")
    assert response.status_code == 200
    assert "reward_tiers.lead.national" not in response.get_data(as_text=True)


@pytest.mark.parametrize("user,can_record", [("city", True), ("mr_admin", True), ("mr_viewer", False)])
def test_detail_shows_history_and_the_form_to_those_who_may_record(client, login, user, can_record):
    login(user)
    response = client.get(URL + "?lang=en")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Leading the drafting of a national standard" in page
    assert 'id="version-1"' in page and "In force today" in page
    assert "shipped with the plugin" in page  # the reason of the shipped version
    assert ('id="version-form"' in page) is can_record
    assert ('id="read-only"' in page) is not can_record


@pytest.mark.parametrize("user", ["ca_admin", "ca_viewer"])
def test_detail_of_a_plugin_the_department_has_not_enabled_is_404(client, login, user):
    login(user)
    assert client.get(URL).status_code == 404


def test_unknown_parameter_is_404(client, login):
    login("city")
    assert client.get("/parameters/reward_tiers.no_such_thing").status_code == 404


def test_login_required(client):
    response = client.get("/parameters/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_menu_entry(client, login):
    login("mr_viewer")
    page = client.get("/dashboard?lang=en").get_data(as_text=True)
    assert '<a href="/parameters/"' in page and ">Parameters<" in page


@pytest.mark.stdpolicy_plugins(*builtin_plugins())
def test_every_parameter_page_of_every_built_in_plugin_opens(app, client, login):
    # The form classes were cached by declaration: a list-valued default (the brand series, the eligible
    # regions) made the declaration unhashable, and those three pages answered 500.
    login("city")
    with app.app_context():
        keys = sorted(get_registry().parameters)
    assert len(keys) > 30
    failed = [(key, status) for key in keys if (status := client.get(f"/parameters/{key}").status_code) != 200]
    assert not failed


def test_a_list_parameter_is_previewed_and_recorded_from_its_page(app, client, login):
    key = "reward_tiers.eligible_regions"
    login("city")
    page = client.get(f"/parameters/{key}?lang=en").get_data(as_text=True)
    assert 'name="value" required type="text" value="3304"' in page  # the list in force, as the form edits it
    data = _form(value="330402, 330411", effective_from="2026-01-01")
    preview = client.post(f"/parameters/{key}?lang=en", data={**data, "preview": "1"}).get_data(as_text=True)
    assert 'id="preview-activities"' in preview
    assert client.post(f"/parameters/{key}", data={**data, "save": "1"}).status_code == 302
    assert _versions(app, key)[-1][1:3] == (json.dumps(["330402", "330411"]), date(2026, 1, 1))


def test_an_empty_list_is_recorded_where_the_declaration_allows_one(app, client, login):
    # The brand series ship empty (no code confirmed); once a code was added, the admin could not take it
    # back out: the field was required. The city's region prefixes keep a minimum of one.
    login("city")
    series = "reward_tiers.brand_series.zhejiang_agri"
    page = client.get(f"/parameters/{series}").get_data(as_text=True)
    assert 'name="value" type="text" value=""' in page and "留空表示无" in page
    for based_on, (value, day) in enumerate([("ZNZ", "2026-01-01"), ("", "2026-07-01")], start=1):
        data = _form(value=value, effective_from=day, based_on=str(based_on))
        preview = client.post(f"/parameters/{series}", data={**data, "preview": "1"}).get_data(as_text=True)
        assert 'id="preview-activities"' in preview
        assert client.post(f"/parameters/{series}", data={**data, "save": "1"}).status_code == 302
    assert [v[1] for v in _versions(app, series)] == [json.dumps([]), json.dumps(["ZNZ"]), json.dumps([])]
    assert "无" in client.get(f"/parameters/{series}").get_data(as_text=True)

    regions = "reward_tiers.eligible_regions"
    page = client.get(f"/parameters/{regions}").get_data(as_text=True)
    assert 'name="value" required type="text" value="3304"' in page and "留空表示无" not in page
    for value in ("", " , "):
        refused = client.post(f"/parameters/{regions}", data={**_form(value=value, effective_from="2026-01-01"), "save": "1"})
        page = refused.get_data(as_text=True)
        assert refused.status_code == 200 and ("该字段是必填字段" in page or "长度不能少于 1" in page)
    assert len(_versions(app, regions)) == 1


def test_history_marks_future_and_corrected_versions(app, client, login):
    with app.app_context():
        registry = get_registry()
        for value, day, reason in [(350000, "2030-01-01", "planned"), (360000, "2030-01-01", "typo in the plan")]:
            record_version(registry, KEY, {"value": value, "effective_from": day, "reason": reason, "reference": "x"},
                           actor="city", source="cli")
        db.session.commit()
    login("mr_viewer")
    page = client.get(URL + "?lang=en").get_data(as_text=True)
    assert re.search(r'<tr id="version-1" class="version-on">', page)
    assert re.search(r'<tr id="version-2" class="version-off">\s*<td class="nowrap">Version 2</td>.*?Corrected by Version 3',
                     page, re.S)
    assert re.search(r'<tr id="version-3" class="version-future">.*?Scheduled', page, re.S)
    assert "from 2030-01-01: ¥360,000" in page  # the next change
    index = client.get("/parameters/").get_data(as_text=True)
    assert "2030-01-01" in index


# -- who may record ---------------------------------------------------------------

@pytest.mark.parametrize("button", ["save", "preview"])
def test_viewer_cannot_post(app, client, login, button):
    login("mr_viewer")
    assert client.post(URL, data=_form(**{button: "1"})).status_code == 403
    assert len(_versions(app)) == 1 and _audit_count(app) == 0


@pytest.mark.parametrize("button", ["save", "preview"])
def test_admin_of_another_department_cannot_record(app, client, login, button):
    """ca_admin's department has not enabled reward_tiers: its parameters are hidden (404), nothing changes."""
    login("ca_admin")
    assert client.get(URL).status_code == 404
    assert client.post(URL, data=_form(**{button: "1"})).status_code == 404
    assert len(_versions(app)) == 1 and _audit_count(app) == 0


def test_city_admin_records_whatever_department_they_work_in(app, client, login):
    login("city")
    client.post("/department", data={"department": "civil_affairs", "next": "/parameters/"})
    assert "reward_tiers.lead.national" not in client.get("/parameters/").get_data(as_text=True)
    assert client.get(URL).status_code == 200
    response = client.post(URL, data=_form(save="1"))
    assert response.status_code == 302
    versions = _versions(app)
    assert [v[0] for v in versions] == [1, 2] and versions[1][1] == "400000" and versions[1][5] == "city"


# -- preview -------------------------------------------------------------------------

def test_preview_shows_what_changes_and_stores_nothing(app, client, login):
    examples = json.loads((ROOT / "docs/examples/activities.json").read_text(encoding="utf-8"))
    _import(app, examples + [
        {"id": "B1", "kind": "standard_drafting", "date": "2025-03-01", "credit_code": Z,
         "standard_code": "GB/T 45010-2025", "rank": 1},                     # R2, on/after the date
        {"id": "B2", "kind": "standard_drafting", "date": "2024-11-01", "credit_code": Z,
         "standard_code": "GB/T 44010-2024", "rank": 1},                     # R2, before the date
    ])
    login("mr_admin")
    with app.app_context():
        stored = db.session.scalar(select(func.count(ParameterVersionRecord.id)))
        audits = db.session.scalar(select(func.count(AuditEntry.id)))
    response = client.post(URL + "?lang=en", data=_form(preview="1"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    # On or after 2025-01-01: EX-001, EX-002, EX-003, EX-004, EX-006, EX-008 and B1.
    assert re.search(r'id="preview-activities">7<', page)
    # Leading drafters of national standards: EX-001 and B1.
    assert re.search(r'id="preview-changed">2<', page)
    # EX-001 300,000 + EX-002 150,000 + EX-003 300,000 + EX-004 0 + EX-006 500,000 + EX-008 300,000 + B1 300,000
    assert re.search(r'id="preview-current">¥1,850,000<', page)
    assert re.search(r'id="preview-new">¥2,050,000<', page)
    assert re.search(r'id="preview-difference" class="up">\s*\+¥200,000<', page)
    # the confirm button carries the values
    confirm = re.search(r'<form [^>]*id="confirm-form">.*?</form>', page, re.S).group(0)
    for name, value in [("value", "400000"), ("effective_from", "2025-01-01"), ("based_on", "1")]:
        assert f'name="{name}" value="{value}"' in confirm
    assert 'name="save"' in confirm
    with app.app_context():
        assert db.session.scalar(select(func.count(ParameterVersionRecord.id))) == stored
        assert db.session.scalar(select(func.count(AuditEntry.id))) == audits


def test_preview_of_a_day_before_the_first_version_warns(app, client, login):
    login("mr_admin")
    usual = client.post(URL + "?lang=en", data=_form(preview="1")).get_data(as_text=True)
    assert 'id="preview-before-first"' not in usual
    english = client.post(URL + "?lang=en", data=_form(preview="1", effective_from="2002-08-01")).get_data(as_text=True)
    warning = re.search(r'<p class="flash warning" id="preview-before-first">([^<]*)</p>', english).group(1)
    assert warning == ("This date is before the first version of this parameter, in force from 2022-08-01. Check the year: "
                       "activities dated between the two days would read this value, and a recorded version is never removed.")
    chinese = client.post(URL + "?lang=zh_CN", data=_form(preview="1", effective_from="2002-08-01")).get_data(as_text=True)
    warning = re.search(r'<p class="flash warning" id="preview-before-first">([^<]*)</p>', chinese).group(1)
    assert warning.startswith("该生效日期早于本参数第一个版本的生效日期(2022-08-01)") and "version" not in warning
    assert [v[2] for v in _versions(app)] == [date(2022, 8, 1)]  # a preview stores nothing


def test_preview_then_confirm_saves(app, client, login):
    login("mr_admin")
    page = client.post(URL, data=_form(preview="1")).get_data(as_text=True)
    confirm = re.search(r'<form [^>]*id="confirm-form">.*?</form>', page, re.S).group(0)
    data = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', confirm))
    data["save"] = "1"
    assert client.post(URL, data=data).status_code == 302
    assert [v[1] for v in _versions(app)] == ["300000", "400000"]


# -- saving ------------------------------------------------------------------------------

def test_save_adds_a_version_and_an_audit_entry(app, client, login):
    login("mr_admin")
    response = client.post(URL + "?lang=en", data=_form(save="1"))
    assert response.status_code == 302 and response.headers["Location"].endswith(URL)
    versions = _versions(app)
    assert versions[0][:3] == (1, "300000", date(2022, 8, 1))  # the old version, untouched
    assert versions[1] == (2, "400000", date(2025, 1, 1), _form()["reason"], _form()["reference"], "mr_admin")
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).filter_by(action="parameter.version")).one()
        assert entry.actor == "mr_admin" and entry.target == KEY
        assert entry.after["value"] == "400000" and entry.after["sequence"] == 2
        assert entry.before["value"] == "300000"
        source = db.session.scalars(select(ParameterVersionRecord.source).filter_by(key=KEY, sequence=2)).one()
        assert source == "admin"
    page = client.get(URL + "?lang=en").get_data(as_text=True)
    assert "Version 2 recorded: ¥400,000 from 2025-01-01" in page  # the flash: the number the history shows
    assert 'id="version-2"' in page and 'id="version-1"' in page
    assert _based_on(page) == "2"


@pytest.mark.parametrize("overrides,field", [
    ({"value": "1.5"}, "value"),
    ({"value": "-5"}, "value"),
    ({"value": ""}, "value"),
    ({"value": "3e5"}, "value"),
    ({"reason": ""}, "reason"),
    ({"reason": "   "}, "reason"),
    ({"reference": ""}, "reference"),
    ({"effective_from": "2025-02-30"}, "effective_from"),
    ({"effective_from": "01/02/2025"}, "effective_from"),
    ({"effective_from": ""}, "effective_from"),
])
@pytest.mark.parametrize("button", ["save", "preview"])
def test_validation_errors_are_shown_next_to_the_field_and_nothing_is_stored(app, client, login, overrides, field, button):
    login("mr_admin")
    response = client.post(URL + "?lang=en", data=_form(**overrides, **{button: "1"}))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert _error_fields(page) == {field}
    assert '<p class="error" role="alert">' in _field_block(page, field)
    assert 'id="preview-panel"' not in page
    assert len(_versions(app)) == 1 and _audit_count(app) == 0
    # the submitted values stay in the form
    if overrides.get("reason", "x").strip():
        assert _form(**overrides)["reason"] in page


def test_validation_errors_come_in_chinese_by_default(app, client, login):
    login("mr_admin")
    page = client.post(URL, data=_form(effective_from="2025-02-30", reason="", save="1")).get_data(as_text=True)
    assert _error_fields(page) == {"effective_from", "reason"}
    assert "不是有效的日期值" in _field_block(page, "effective_from")
    assert "必填" in _field_block(page, "reason")
    assert len(_versions(app)) == 1


def test_schema_errors_are_shown_next_to_their_fields_in_the_ui_language(app, client, login, monkeypatch):
    """What WTForms lets through, the parameter's marshmallow schema still checks (here: simulated)."""
    import webadmin.views.parameters as view

    def refuse(*args, **kwargs):
        raise ValidationError({"value": ["Not a whole number of yuan."], "reference": ["Must not be blank."],
                               "_schema": ["Invalid input type."]})

    monkeypatch.setattr(view, "record_parameter", refuse)
    login("mr_admin")
    page = client.post(URL, data=_form(save="1")).get_data(as_text=True)
    assert _error_fields(page) == {"value", "reference"}
    assert "金额必须是整数元" in _field_block(page, "value")
    assert "不能为空" in _field_block(page, "reference")
    assert "输入类型无效" in page
    page = client.post(URL + "?lang=en", data=_form(save="1")).get_data(as_text=True)
    assert "Not a whole number of yuan." in _field_block(page, "value")
    assert len(_versions(app)) == 1 and _audit_count(app) == 0


def test_a_form_without_based_on_is_refused(app, client, login):
    login("mr_admin")
    response = client.post(URL + "?lang=en", data=_form(based_on="", save="1"))
    assert response.status_code == 200
    assert "does not say which version it was based on" in response.get_data(as_text=True)
    assert len(_versions(app)) == 1


# -- two administrators at once ----------------------------------------------------------------

def test_the_second_of_two_concurrent_saves_is_refused(app, client, login):
    login("mr_admin")
    city = _client_as(app, "city")
    first_form = client.get(URL).get_data(as_text=True)
    second_form = city.get(URL).get_data(as_text=True)
    assert _based_on(first_form) == _based_on(second_form) == "1"

    first = client.post(URL, data=_form(value="400000", reason="first", save="1"))
    assert first.status_code == 302

    second = city.post(URL + "?lang=en", data=_form(value="350000", reason="second thoughts", save="1"))
    assert second.status_code == 409
    page = second.get_data(as_text=True)
    conflict = re.search(r'<div class="flash error conflict" role="alert" id="conflict">.*?</div>', page, re.S).group(0)
    assert "Not saved" in conflict
    assert 'recorded by <span class="name">mr_admin</span>' in conflict
    assert "Version 2: ¥400,000 from 2025-01-01" in conflict and "first" in conflict
    # the second administrator's values are kept in the form
    assert 'value="350000"' in _field_block(page, "value")
    assert "second thoughts" in _field_block(page, "reason")

    versions = _versions(app)
    assert [(v[0], v[1], v[3], v[5]) for v in versions] == [(1, "300000", "插件预置值 / shipped with the plugin", "system"),
                                                            (2, "400000", "first", "mr_admin")]
    assert _audit_count(app) == 1

    # After reviewing, the second administrator may record theirs on top of the first.
    assert _based_on(page) == "2"
    assert city.post(URL, data=_form(value="350000", reason="second thoughts", based_on="2", save="1")).status_code == 302
    assert [v[1] for v in _versions(app)] == ["300000", "400000", "350000"]


def test_stale_based_on_is_a_conflict_even_for_the_same_user(app, client, login):
    login("mr_admin")
    assert client.post(URL, data=_form(save="1")).status_code == 302
    assert client.post(URL, data=_form(value="1", save="1")).status_code == 409
    assert [v[1] for v in _versions(app)] == ["300000", "400000"]


# -- CSRF ---------------------------------------------------------------------------------------

def test_csrf_token_is_required(app, client, users, csrf):
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    assert client.post("/login", data={"username": "mr_admin", "password": PASSWORD, "csrf_token": token}).status_code == 302

    assert client.post(URL, data=_form(save="1")).status_code == 400
    assert client.post(URL, data=_form(preview="1")).status_code == 400
    assert len(_versions(app)) == 1

    page = client.get(URL).get_data(as_text=True)
    form = re.search(r'<form [^>]*id="version-form".*?</form>', page, re.S).group(0)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    preview = client.post(URL, data=_form(preview="1", csrf_token=token)).get_data(as_text=True)
    confirm = re.search(r'<form [^>]*id="confirm-form">.*?</form>', preview, re.S).group(0)
    assert 'name="csrf_token"' in confirm
    data = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', confirm))
    assert client.post(URL, data={**data, "save": "1"}).status_code == 302
    assert len(_versions(app)) == 2


# -- languages ---------------------------------------------------------------------------------

@pytest.mark.parametrize("lang,expected", [
    ("en", ["Parameters", "Record a new version", "Leading the drafting of a national standard"]),
    (None, ["牵头制定国家标准", "元"]),
])
def test_both_languages_render(client, login, lang, expected):
    login("mr_admin")
    suffix = f"?lang={lang}" if lang else ""
    pages = [
        client.get("/parameters/" + suffix),
        client.get(URL + suffix),
        client.post(URL + suffix, data=_form(preview="1")),
        client.post(URL + suffix, data=_form(value="x", save="1")),
        client.get("/admin/p/reward_tiers/" + suffix),
    ]
    assert [p.status_code for p in pages] == [200] * 5
    detail = pages[1].get_data(as_text=True)
    for text in expected:
        assert text in detail
    html_lang = 'lang="en"' if lang == "en" else 'lang="zh-CN"'
    assert all(html_lang in p.get_data(as_text=True)[:200] for p in pages)


# -- the form, generated from declarations of every type ------------------------------------------

def _decl(type_: str, **kwargs) -> ParameterDeclaration:
    return ParameterDeclaration(key=f"demo.{type_}", label=Text("示例", "Demo"), unit=Text("", ""), type=type_,
                                clause="一(一)", **kwargs)


@pytest.mark.parametrize("decl,raw,expected_field,expected_value", [
    (_decl("money", minimum=0), "250000", "StringField", 250000),
    # A text box: the amount as the policy writes it, read by Money as the command line reads it.
    (_decl("money", minimum=0), "25万元", "StringField", 250000),
    (_decl("money", minimum=0), "250,000", "StringField", 250000),
    (_decl("integer", minimum=1, maximum=10), "7", "IntegerField", 7),
    (_decl("decimal", minimum=0, maximum=1), "0.35", "DecimalField", Decimal("0.35")),
    (_decl("boolean"), "y", "BooleanField", True),
    (_decl("string"), "GB", "StringField", "GB"),
    (_decl("string_list"), "ZZB, ZNZ", "StringField", ["ZZB", "ZNZ"]),
])
def test_forms_follow_the_declaration(app, decl, raw, expected_field, expected_value):
    from webadmin.parameter_forms import parameter_form, submitted_data

    data = {"value": raw, "effective_from": "2025-01-01", "reason": "r", "reference": "x", "based_on": "3"}
    with app.test_request_context(method="POST", data=data):
        form = parameter_form(decl)
        assert type(form.value).__name__ == expected_field
        assert form.validate(), form.errors
        assert form.based_on_sequence() == 3
        loaded = version_schema(decl).load(submitted_data(decl, form))
        assert loaded["value"] == expected_value
        assert loaded["effective_from"] == date(2025, 1, 1)


@pytest.mark.parametrize("decl,raw", [
    (_decl("money"), "-1"),
    (_decl("money"), "1.5"),
    (_decl("money"), "30万万"),
    (_decl("money", maximum=500000), "60万元"),
    (_decl("integer", minimum=1, maximum=10), "11"),
    (_decl("decimal", minimum=0, maximum=1), "1.5"),
    (_decl("decimal"), "abc"),
    (_decl("string"), " "),
])
def test_forms_refuse_values_outside_the_declaration(app, decl, raw):
    from webadmin.parameter_forms import parameter_form

    data = {"value": raw, "effective_from": "2025-01-01", "reason": "r", "reference": "x", "based_on": "3"}
    with app.test_request_context(method="POST", data=data):
        form = parameter_form(decl)
        assert not form.validate()
        assert list(form.errors) == ["value"] and len(form.errors["value"]) == 1


def test_money_field_takes_the_amount_as_written(client, login):
    login("mr_admin")
    page = client.get(URL).get_data(as_text=True)
    value_input = re.search(r'<input [^>]*id="value"[^>]*>', page).group(0)
    # A text box (a number box would refuse 35万元 before Money read it), numeric keyboard on a phone.
    assert 'type="text"' in value_input and 'inputmode="decimal"' in value_input and 'value="300000"' in value_input
    assert "30万元" in page  # the hint names the spelling the box takes
    assert "三(二)" in re.search(r'<input id="reference"[^>]*>', page).group(0)  # the latest reference, prefilled


# -- the reward_tiers plugin's page ---------------------------------------------------------------

@pytest.mark.parametrize("user", ["city", "mr_admin", "mr_viewer"])
def test_reward_table_page(client, login, user):
    login(user)
    response = client.get("/admin/p/reward_tiers/?lang=en")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Reward table 三(二)" in page
    for n in range(1, 14):
        assert f"<strong>R{n}</strong>" in page
    assert "对通过国家级、省级标准化试点项目验收的单位,分别给予最高30万元、20万元奖励。" in page
    row = re.search(r'<tr id="rule-R2-national">.*?</tr>', page, re.S).group(0)
    assert KEY in row and "¥300,000" in row and "2022-08-01" in row
    assert f'href="/parameters/{KEY}"' in row
    # the plugin's page is in the plugin menu of the departments that enabled it
    assert 'href="/admin/p/reward_tiers/"' in page


@pytest.mark.parametrize("user", ["ca_admin", "ca_viewer"])
def test_reward_table_page_is_404_for_other_departments(client, login, user):
    login(user)
    assert client.get("/admin/p/reward_tiers/").status_code == 404
    assert 'href="/admin/p/reward_tiers/"' not in client.get("/dashboard").get_data(as_text=True)


def test_reward_table_shows_the_amount_in_force_today(app, client, login):
    with app.app_context():
        registry = get_registry()
        record_version(registry, KEY, {"value": 350000, "effective_from": "2023-01-01", "reason": "r", "reference": "x"},
                       actor="city", source="cli")
        record_version(registry, KEY, {"value": 999999, "effective_from": "2099-01-01", "reason": "r", "reference": "x"},
                       actor="city", source="cli")
        db.session.commit()
    login("mr_viewer")
    page = client.get("/admin/p/reward_tiers/?lang=en").get_data(as_text=True)
    row = re.search(r'<tr id="rule-R2-national">.*?</tr>', page, re.S).group(0)
    assert "¥350,000" in row and "2023-01-01" in row and "differs from the text (¥300,000 there)" in row
    assert "999,999" not in row


def test_reward_table_quotes_the_whole_clause():
    from plugins.reward_tiers.admin import CLAUSE_SEGMENTS
    from plugins.reward_tiers.rules import rule_table

    # Every rule sits beside exactly one passage.
    rules_beside_text = [rule for segment in CLAUSE_SEGMENTS for rule in segment.rules]
    assert rules_beside_text == list(dict.fromkeys(rule for rule, _, _ in rule_table()))
    if not POLICY_TEXT.exists():
        pytest.skip("the policy text is not available here")
    lines = POLICY_TEXT.read_text(encoding="utf-8").splitlines()
    assert "".join(s.text for s in CLAUSE_SEGMENTS) in [line.strip() for line in lines]


def test_the_plugin_does_not_import_flask():
    code = (
        "import sys; import plugins.reward_tiers as p; from core import load_registry; "
        "r = load_registry(only=['reward_tiers']); assert 'reward_tiers' in r.plugins; "
        "assert 'flask' not in sys.modules, sorted(m for m in sys.modules if m.startswith('flask'))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
