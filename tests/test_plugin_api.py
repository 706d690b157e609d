"""The plugin API's objects: outcomes by keyword and their statuses, bilingual field errors,
the standard-number and credit-code fields, field metadata (docs/plugins/reference.md).

The end-to-end part registers a plugin in code (the kit's ``extra``) whose
outcomes carry the new statuses: stored (the column is wide enough on both
databases), shown in the register with their labels in both languages.
"""

from __future__ import annotations

import re

import pytest
from marshmallow import Schema, fields, post_load, validate

from core import (
    STATUS_LABELS,
    Activity,
    ActivityKind,
    Bilingual,
    CreditCodeField,
    Outcome,
    OutcomeStatus,
    StandardNumber,
    StandardNumberField,
    Text,
    field_error,
    field_metadata,
    hookimpl,
    load_registry,
    status_label,
)
from core.testing import SAMPLE_CREDIT_CODES

HAN = re.compile(r"[\u4e00-\u9fff]")
DAY = "2024-03-01"


def _activity() -> Activity:
    from datetime import date

    return Activity("checked_site", date(2024, 3, 1), SAMPLE_CREDIT_CODES[0], {}, ref="A")


# -- outcomes by keyword, statuses ---------------------------------------------------------------

def test_outcome_by_keyword_is_the_positional_outcome() -> None:
    activity = _activity()
    made = Outcome.make(activity, rule="C1", clause="三(六)", explanation=Text("达标", "meets it"), amount=0,
                        status=OutcomeStatus.COMPLIANT, subject=Text("站点A", "site A"), details={"reason": "ok"})
    assert type(made) is Outcome
    assert (made.rule, made.clause, made.amount, made.status) == ("C1", "三(六)", 0, "compliant")
    assert type(made.status) is str  # stored as plain text
    assert made.explanation == Text("站点A达标", "site Ameets it")
    assert made.to_json()["status"] == "compliant"
    plain = Outcome(activity, "C1", 300, "三(六)", Text("付", "pay"))
    assert Outcome.make(activity, rule="C1", clause="三(六)", explanation=Text("付", "pay"), amount=300).to_json() \
        == plain.to_json()
    assert "status" not in plain.to_json()  # "ok" stays out of the JSON, as before


@pytest.mark.parametrize("bad, error", [
    ({"status": "paid-ish"}, "outcome status 'paid-ish' is not one of: ok, not_covered, error, tracking"),
    ({"explanation": ("只有中文", "")}, "must be a Text with Chinese and English"),
    ({"explanation": Text("", "English only")}, "must be a Text with Chinese and English"),
    ({"amount": 1.5}, "outcome amount must be int yuan"),
    ({"amount": True}, "outcome amount must be int yuan"),
    ({"parameters": [300000]}, "ParamValue"),
    ({"status": "held", "amount": 300000}, "a held outcome carries amount 0"),
])
def test_outcome_by_keyword_refuses_what_core_cannot_store(bad: dict, error: str) -> None:
    arguments = {"rule": "C1", "clause": "三(六)", "explanation": Text("达标", "meets it"), **bad}
    with pytest.raises((TypeError, ValueError), match=re.escape(error)):
        Outcome.make(_activity(), **arguments)


def test_a_held_outcome_gives_what_it_would_pay_and_why_in_its_details() -> None:
    reasons = [{"code": "rank_conflict", "zh": "排名冲突", "en": "rank conflict", "other": {"activity": "B"}}]
    held = Outcome.make(_activity(), rule="C1", clause="三(六)", explanation=Text("待核实", "held"), status="held",
                        details={"held_amount": 300000, "held_reasons": reasons})
    assert (held.amount, held.held_amount, held.held_reasons) == (0, 300000, reasons)
    assert status_label("held") == Text("待核实", "held for review")
    paid = Outcome.make(_activity(), rule="C1", clause="三(六)", explanation=Text("付", "pay"), amount=300,
                        details={"held_amount": 5})
    assert (paid.held_amount, paid.held_reasons) == (0, [])  # only a held outcome holds anything


def test_every_status_has_a_label_in_both_languages() -> None:
    assert set(STATUS_LABELS) == {s.value for s in OutcomeStatus}
    for status in OutcomeStatus:
        label = status_label(status)
        assert HAN.search(label.zh) and label.en and not HAN.search(label.en)
        assert len(status.value) <= 20  # outcomes.status
    assert status_label("something_old") == Text("something_old", "something_old")


# -- bilingual field errors, fields, metadata -------------------------------------------------------

class SiteSchema(Schema):
    standard = StandardNumberField(required=True, metadata=field_metadata(Text("执行标准", "Standard applied")))
    parsed = StandardNumberField(load_default=None, parsed=True, load_only=True)
    operator = CreditCodeField(load_default=None, metadata=field_metadata(Text("运营单位代码", "Operator's code")))
    grade = fields.String(required=True, validate=validate.OneOf(("a", "b")),
                          metadata=field_metadata(Text("等级", "Grade"), {"a": Text("甲级", "grade A"),
                                                                         "b": Text("乙级", "grade B")}))
    note = fields.String(load_default=None, metadata=field_metadata(Text("备注", "Note"), multiline=True))

    @post_load
    def _grade_b_needs_an_operator(self, data: dict, **kwargs: object) -> dict:
        if data["grade"] == "b" and not data.get("operator"):
            raise field_error("乙级站点须填写运营单位代码", "a grade B site needs its operator's code", field="operator")
        return data


class Sites:
    @hookimpl
    def stdpolicy_register_activity_kinds(self):
        return [ActivityKind("checked_site", Text("检查站点", "Checked site"), SiteSchema)]


@pytest.fixture
def sites():
    registry = load_registry(entry_points_group=None, plugins=[("sites", Sites())])
    assert not registry.failures, registry.failures
    return registry


def _site(**fields: object) -> dict:
    return {"id": "S", "kind": "checked_site", "date": DAY, "credit_code": SAMPLE_CREDIT_CODES[0],
            "standard": "GB/T 24001—2016", "grade": "a", **fields}


def test_fields_parse_and_canonicalise(sites) -> None:
    report = sites.validate([_site(standard="ＧＢ／Ｔ 24001—2016", parsed="DB33/T 2512—2022",
                                   operator=SAMPLE_CREDIT_CODES[1].lower(), note="a\nb")])
    [activity] = report.valid
    assert activity.fields["standard"] == "GB/T 24001-2016"
    parsed = activity.fields["parsed"]
    assert isinstance(parsed, StandardNumber)
    assert (parsed.code, parsed.level, parsed.year) == ("DB33/T 2512-2022", "local", 2022)
    assert activity.fields["operator"] == SAMPLE_CREDIT_CODES[1]
    assert activity.fields["note"] == "a\nb"  # multiline=True: line breaks allowed here


def test_errors_come_in_both_languages_on_their_field(sites) -> None:
    report = sites.validate([
        _site(id="S1", standard="not a standard", operator="913304007429141860"),
        _site(id="S2", grade="b"),
        _site(id="S3", grade="c"),
    ])
    errors = {item.ref: {e.field: (e.message_zh, e.message) for e in item.errors} for item in report.invalid}
    assert set(errors["S1"]) == {"standard", "operator"}
    assert HAN.search(errors["S1"]["standard"][0]) and not HAN.search(errors["S1"]["standard"][1])
    assert errors["S1"]["operator"] == ("统一社会信用代码校验位(第18位)错误", "the check character (position 18) is wrong")
    assert errors["S2"] == {"operator": ("乙级站点须填写运营单位代码", "a grade B site needs its operator's code")}
    assert errors["S3"]["grade"][0] == "必须是以下之一:甲级、乙级。"  # coded values named by their labels


def test_field_error_without_a_field_is_the_records(sites) -> None:
    error = field_error("整条记录有误", "the record is wrong")
    assert error.messages == ["the record is wrong"] and isinstance(error.messages[0], Bilingual)
    assert error.messages[0].zh == "整条记录有误"


def test_field_metadata_refuses_half_a_label() -> None:
    with pytest.raises(TypeError, match="must be a Text"):
        field_metadata({"zh": "等级"})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="label of value 'a'"):
        field_metadata(Text("等级", "Grade"), {"a": "甲级"})  # type: ignore[dict-item]


# -- statuses stored and shown -------------------------------------------------------------------

class Checks:
    """Decides each checked site's compliance; grade B sites are held for review."""

    @hookimpl
    def stdpolicy_register_activity_kinds(self):
        return [ActivityKind("checked_site", Text("检查站点", "Checked site"), SiteSchema)]

    @hookimpl
    def stdpolicy_evaluate(self, batch, context):
        out = []
        for activity in batch.of_kind("checked_site"):
            if activity.fields["grade"] == "b":
                out.append(Outcome.make(activity, rule="K9", clause="三(六)", status=OutcomeStatus.HELD,
                                        explanation=Text("乙级站点待审核", "grade B sites are reviewed first")))
            else:
                out.append(Outcome.make(activity, rule="K1", clause="三(六)", status=OutcomeStatus.NON_COMPLIANT,
                                        explanation=Text("未达到标准要求", "falls short of the standard")))
        return out


@pytest.mark.stdpolicy_plugins("reward_tiers", extra=[("checks", Checks())])
def test_new_statuses_are_stored_and_shown_with_their_labels(stdpolicy_app, stdpolicy_enable, stdpolicy_login) -> None:
    from core import current_registry  # noqa: F401  (lazy export resolves inside the app too)
    from core.db import db
    from core.models import OutcomeRecord
    from core.store import find_department
    from core.services.imports import import_activities

    stdpolicy_enable("checks", "market_regulation")
    with stdpolicy_app.app_context():
        registry = stdpolicy_app.extensions["stdpolicy"]
        result = import_activities(registry, [_site(id="S1"), _site(id="S2", grade="b", operator=SAMPLE_CREDIT_CODES[1])],
                                   source="sites.json", actor="tests", department=find_department("market_regulation"))
        assert result.ok, result
        stored = {o.rule: (o.status, o.activity_id) for o in db.session.query(OutcomeRecord)}
    assert stored["K1"][0] == "non_compliant" and stored["K9"][0] == "held"
    client = stdpolicy_login("dept_viewer", "market_regulation")
    zh = client.get(f"/activities/{stored['K1'][1]}").get_data(as_text=True)
    assert "未达标" in zh and "non_compliant" not in zh.split("<main>", 1)[1].split("status-non_compliant", 1)[1][:60]
    en = client.get(f"/activities/{stored['K9'][1]}?lang=en").get_data(as_text=True)
    assert "held for review" in en


@pytest.mark.stdpolicy_plugins("reward_tiers", extra=[("checks", Checks())])
def test_the_status_migration_refuses_to_narrow_the_column_over_a_long_status(stdpolicy_app, stdpolicy_enable,
                                                                             capfd) -> None:
    from flask_migrate import downgrade
    from sqlalchemy import text

    from core.app import MIGRATIONS_DIR
    from core.db import db
    from core.store import find_department
    from core.services.imports import import_activities

    stdpolicy_enable("checks", "market_regulation")
    with stdpolicy_app.app_context():
        result = import_activities(stdpolicy_app.extensions["stdpolicy"], [_site(id="S1")], source="sites.json",
                                   actor="tests", department=find_department("market_regulation"))
        assert result.ok
        head = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        db.session.remove()
        with pytest.raises(SystemExit):
            downgrade(directory=MIGRATIONS_DIR, revision="0007_plugin_permissions")
        assert "outcomes hold a status of 13 characters" in capfd.readouterr().err
        assert db.session.scalar(text("SELECT version_num FROM alembic_version")) == head
        assert db.session.scalar(text("SELECT status FROM outcomes")) == "non_compliant"
