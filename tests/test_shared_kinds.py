"""Shared activity kinds declared by core, kind extensions, and the kinds a plugin reads.

(core/kinds/, core/registry.py, core/activities.py; reward_tiers' own
reading of two shared kinds as kind extensions, plugins/reward_tiers/schemas.py.)
"""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from marshmallow import Schema, ValidationError, fields, validate

from core import (
    ActivityKind,
    Bilingual,
    DefaultValue,
    KindExtension,
    Outcome,
    ParameterDeclaration,
    PluginDescription,
    Text,
    hookimpl,
    load_registry,
)
from core.db import db
from core.kinds import SHARED_KINDS
from core.outcomes import ERROR_RULE

from conftest import PROJECT_PLUGINS

CODE = "913304007429141869"
#: The shared kinds 三(二) rewards (reward_tiers reads them; talent_enterprise is read by city_targets).
REWARDED = ("standard_drafting", "tc_secretariat", "innovation_award", "pilot_project")

LEAD = {"id": "S1", "kind": "standard_drafting", "date": "2025-06-20", "credit_code": CODE,
        "standard_code": "GB/T 45123-2025", "rank": 1}
AMENDMENT = {"id": "S2", "kind": "standard_drafting", "date": "2024-05-01", "credit_code": CODE,
             "standard_code": "ISO 9001:2015/Amd 1:2024", "rank": 1}
PILOT_OVER_CAP = {"id": "P1", "kind": "pilot_project", "date": "2024-05-01", "credit_code": CODE,
                  "pilot_level": "provincial", "accepted": True, "granted_amount": 250000}
TC = {"id": "T1", "kind": "tc_secretariat", "date": "2025-09-15", "credit_code": CODE,
      "committee_code": "SAC/TC 20/SC 3", "committee_level": "national"}
AWARD = {"id": "A1", "kind": "innovation_award", "date": "2024-05-01", "credit_code": CODE, "award": "first"}


def no_plugins():
    registry = load_registry(entry_points_group=None)
    assert registry.failures == [] and registry.plugins == {}
    return registry


# -- core declares them --------------------------------------------------------------------


def test_core_declares_the_shared_kinds_and_reward_tiers_reads_them() -> None:
    registry = load_registry(only=PROJECT_PLUGINS)

    assert SHARED_KINDS == ("standard_drafting", "tc_secretariat", "innovation_award", "pilot_project",
                            "talent_enterprise")
    assert {k: registry.kind_plugin[k] for k in SHARED_KINDS} == dict.fromkeys(SHARED_KINDS, "core")
    assert registry.base is not None and registry.base.kinds == list(SHARED_KINDS)
    assert "core" not in registry.plugins  # not a policy plugin: nothing to switch on, own, or permit
    tiers = registry.plugins["reward_tiers"]
    assert tiers.kinds == []
    # 三(二) rewards four of them: no reward for a talent enterprise's designation.
    assert tiers.reads == list(REWARDED)
    assert tiers.evaluates == list(REWARDED)
    assert "stdpolicy_register_activity_kinds" not in tiers.hooks


def test_shared_kinds_validate_without_any_policy_plugin() -> None:
    registry = no_plugins()

    report = registry.validate([LEAD, TC, AWARD, {**LEAD, "id": "S9", "rank": 0}])

    assert [a.ref for a in report.valid] == ["S1", "T1", "A1"]
    assert report.valid[0].fields["standard_code"] == "GB/T 45123-2025"
    assert report.valid[0].fields["level"] == "national"  # core infers the level: a fact of the record
    [bad] = report.invalid
    assert [e.field for e in bad.errors] == ["rank"]
    assert registry.evaluate(report.valid).outcomes == []  # nothing evaluates them


@pytest.mark.parametrize(("schema", "record", "field", "en", "zh"), [
    ("InnovationAwardSchema", {"award": "fourth"}, "award",
     "Must be one of: first, second, third, organization.", "必须是以下之一:一等奖、二等奖、三等奖、组织奖。"),
    ("TcSecretariatSchema", {"committee_code": "SAC/TC 548", "committee_level": "city"}, "committee_level",
     "Must be one of: international, national, provincial.", "必须是以下之一:国际、全国、省级。"),
    ("PilotProjectSchema", {"pilot_level": "county", "accepted": True}, "pilot_level",
     "Must be one of: national, provincial.", "必须是以下之一:国家级、省级。"),
    ("StandardDraftingSchema", {"standard_code": "GB/T 45123-2025", "rank": 1, "level": "city"}, "level",
     "Must be one of: international, national, industry, local, military, zhejiang_made, zhejiang_service, "
     "zhejiang_agri, group, enterprise.",
     "必须是以下之一:国际标准、国家标准、行业标准、地方标准、军用标准、“浙江制造”标准、“浙江服务”标准、“浙江农产”标准、团体标准、企业标准。"),
], ids=["award", "committee_level", "pilot_level", "level"])
def test_a_shared_kind_names_its_choices_by_their_chinese_labels_wherever_it_is_loaded(schema, record, field, en, zh) -> None:
    # Loaded directly (from Python, not through the registry's validation): the Chinese message
    # names the choices as an official would (一等奖…), the English one the codes a file gives.
    from core.kinds import schemas
    from core.messages import flatten_errors

    with pytest.raises(ValidationError) as exc:
        getattr(schemas, schema)().load(record)
    [error] = [e for e in flatten_errors(exc.value.messages) if e.field == field]
    assert (error.message, error.message_zh) == (en, zh)


def test_an_amendment_and_a_pilot_over_the_cap_are_reward_tiers_reading_not_cores() -> None:
    # Without reward_tiers, they are valid records: core does not hold 三(二)'s reading.
    assert [a.ref for a in no_plugins().validate([AMENDMENT, PILOT_OVER_CAP]).valid] == ["S2", "P1"]

    # With it, invalid with the messages they always had.
    report = load_registry(only=PROJECT_PLUGINS).validate([AMENDMENT, PILOT_OVER_CAP])
    errors = {item.ref: [(e.field, e.message, e.message_zh) for e in item.errors] for item in report.invalid}
    assert errors == {
        "S2": [("revision",
                "ISO 9001:2015/Amd 1:2024 amends an existing standard: record it as a revision (revision: true)",
                "ISO 9001:2015/Amd 1:2024 是对已有标准的修改单,应按修订登记(是否修订:是)")],
        "P1": [("granted_amount", "the granted amount ¥250,000 exceeds the cap ¥200,000 in force on that date",
                "核定金额 250,000 元超过该日有效的上限 200,000 元")],
    }


def test_reward_tiers_extends_the_four_kinds_with_validators_only() -> None:
    registry = load_registry(only=PROJECT_PLUGINS)
    extensions = registry.plugins["reward_tiers"].extensions
    assert [(e.kind, dict(e.fields), len(e.validators)) for e in extensions] == [
        ("standard_drafting", {}, 1), ("tc_secretariat", {}, 1), ("innovation_award", {}, 1), ("pilot_project", {}, 1)]
    assert [name for name, _ in registry.extensions["standard_drafting"]] == ["reward_tiers"]


def test_the_kind_own_errors_come_first_then_the_extensions() -> None:
    # A record with a problem of its own and an amendment not marked as revision: the kind's
    # own checks report; the extension's check runs on records the kind accepted.
    bad_rank = {**AMENDMENT, "rank": 0}
    [invalid] = load_registry(only=PROJECT_PLUGINS).validate([bad_rank]).invalid
    assert [e.field for e in invalid.errors] == ["rank"]


# -- kind extensions -------------------------------------------------------------------------


class CarbonSchema(Schema):
    quota = fields.Integer(required=True)


def topic_field() -> fields.Field:
    return fields.String(validate=validate.OneOf(("footprint", "quota")),
                         metadata={"label": Text("碳主题", "Carbon topic"),
                                   "values": {"footprint": Text("碳足迹", "carbon footprint"),
                                              "quota": Text("能耗限额", "energy quota")}})


def footprint_needs_national(data: dict) -> None:
    if data.get("carbon_topic") == "footprint" and data["level"] not in ("national", "international"):
        raise ValidationError(Bilingual("碳足迹标准应为国家或国际标准", "a carbon-footprint standard is national or international"),
                              field_name="carbon_topic")


class Carbon:
    """Reads standard drafting and adds a carbon topic to it."""

    def __init__(self, field_name: str = "carbon_topic") -> None:
        self.field_name = field_name

    @hookimpl
    def stdpolicy_describe_plugin(self):
        return PluginDescription(Text("碳", "Carbon"), Text("", ""), reads=("standard_drafting",), api=">=1.0,<2")

    @hookimpl
    def stdpolicy_register_kind_extensions(self):
        return [KindExtension("standard_drafting", {self.field_name: topic_field()}, (footprint_needs_national,))]

    @hookimpl
    def stdpolicy_evaluate(self, batch, context):
        return [Outcome(a, "C1", 0, "二(五)", Text("碳", "carbon"), details={"topic": a.fields.get("carbon_topic")})
                for a in batch.of_kind("standard_drafting")]


def test_an_extension_field_is_loaded_validated_and_kept_with_the_record() -> None:
    registry = load_registry(only=PROJECT_PLUGINS, plugins=[("carbon", Carbon())])
    assert registry.failures == []

    report = registry.validate([
        {**LEAD, "carbon_topic": "footprint"},
        {**LEAD, "id": "S3", "carbon_topic": "sunshine"},
        {**LEAD, "id": "S4", "standard_code": "DB33/T 1234-2025", "carbon_topic": "footprint"},
        {**LEAD, "id": "S5"},
    ])

    valid = {a.ref: a for a in report.valid}
    assert valid["S1"].fields["carbon_topic"] == "footprint"
    assert "carbon_topic" not in valid["S5"].fields  # optional: a record without it is as it always was
    errors = {i.ref: [(e.field, e.message, e.message_zh) for e in i.errors] for i in report.invalid}
    assert errors["S3"] == [("carbon_topic", "Must be one of: footprint, quota.", "必须是以下之一:碳足迹、能耗限额。")]
    assert errors["S4"] == [("carbon_topic", "a carbon-footprint standard is national or international",
                             "碳足迹标准应为国家或国际标准")]
    # The kind as records are read has the extension's field, labels and value labels with its own …
    kind = registry.kinds["standard_drafting"]
    assert kind.field_label("carbon_topic") == Text("碳主题", "Carbon topic")
    assert kind.value_label("carbon_topic", "quota") == Text("能耗限额", "energy quota")
    assert kind.field_label("rank") == Text("起草单位排名", "Rank among the drafting units")
    # … the kind as core declared it is left as it was.
    assert "carbon_topic" not in registry.declared_kinds["standard_drafting"].schema._declared_fields
    assert "carbon_topic" not in load_registry(only=PROJECT_PLUGINS).kinds["standard_drafting"].schema._declared_fields

    # Both plugins read the record; each sees the field.
    result = registry.evaluate([valid["S1"]])
    assert sorted(o.plugin for o in result.outcomes) == ["carbon", "reward_tiers"]
    assert [o.details for o in result.outcomes if o.plugin == "carbon"] == [{"topic": "footprint"}]


def test_without_an_extension_field_a_record_keeps_its_fingerprint() -> None:
    from core.store import fingerprint

    plain = load_registry(only=PROJECT_PLUGINS).validate([LEAD]).valid[0]
    extended = load_registry(only=PROJECT_PLUGINS, plugins=[("carbon", Carbon())]).validate([LEAD]).valid[0]
    assert plain.fields == extended.fields
    assert fingerprint(plain) == fingerprint(extended)


def test_two_plugins_declaring_one_extension_field_is_a_start_up_error_naming_both() -> None:
    registry = load_registry(only=PROJECT_PLUGINS, plugins=[("carbon", Carbon()), ("benchmarking", Carbon())])

    [failure] = registry.failures
    assert (failure.name, failure.stage) == ("benchmarking", "declarations")
    assert failure.error == ("ValueError: field 'carbon_topic' of activity kind 'standard_drafting' is declared by both "
                             "'carbon' and 'benchmarking'")
    assert "benchmarking" not in registry.plugins
    assert [name for name, _ in registry.extensions["standard_drafting"]] == ["reward_tiers", "carbon"]


def test_an_extension_field_may_not_take_a_field_of_the_kind() -> None:
    for taken, owner in (("rank", "core"), ("credit_code", "core")):
        registry = load_registry(entry_points_group=None, plugins=[("carbon", Carbon(taken))])
        [failure] = registry.failures
        assert failure.error == (f"ValueError: field {taken!r} of activity kind 'standard_drafting' is declared by both "
                                 f"{owner!r} and 'carbon'")


def test_a_kind_declared_after_an_extension_of_it_may_not_take_the_extension_field() -> None:
    class Extends:
        @hookimpl
        def stdpolicy_register_kind_extensions(self):
            return [KindExtension("energy_quota", {"quota": fields.Integer()})]

    class Declares:
        @hookimpl
        def stdpolicy_register_activity_kinds(self):
            return [ActivityKind("energy_quota", Text("能耗", "Energy"), CarbonSchema)]

    registry = load_registry(entry_points_group=None, plugins=[("early", Extends()), ("late", Declares())])
    [failure] = registry.failures
    assert failure.error == "ValueError: field 'quota' of activity kind 'energy_quota' is declared by both 'early' and 'late'"


def test_extension_declarations_are_checked() -> None:
    with pytest.raises(ValueError, match="must be optional"):
        KindExtension("standard_drafting", {"x": fields.String(required=True)})
    with pytest.raises(ValueError, match="must be a marshmallow field"):
        KindExtension("standard_drafting", {"x": str})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="validators must be callables"):
        KindExtension("standard_drafting", validators=("check",))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="reads must be a tuple of kind names"):
        PluginDescription(Text("x", "x"), Text("", ""), reads="standard_drafting")  # type: ignore[arg-type]


def test_reading_or_extending_a_kind_nobody_declares_is_a_warning() -> None:
    class Lost:
        @hookimpl
        def stdpolicy_describe_plugin(self):
            return PluginDescription(Text("x", "x"), Text("", ""), reads=("export_licence",), api=">=1")

        @hookimpl
        def stdpolicy_register_kind_extensions(self):
            return [KindExtension("energy_quota", {"note": fields.String()})]

    registry = load_registry(entry_points_group=None, plugins=[("lost", Lost())])
    assert registry.failures == [] and "lost" in registry.plugins
    assert [(w.code, w.subject) for w in registry.warnings] == [("unknown_read", "export_licence"),
                                                               ("unknown_extension", "energy_quota")]
    assert registry.plugins["lost"].evaluates == ["export_licence"]


# -- a plugin that raises gets error outcomes on the kinds it reads ----------------------------


def test_a_reading_plugin_that_raises_marks_the_kinds_it_reads() -> None:
    class Fragile(Carbon):
        @hookimpl
        def stdpolicy_evaluate(self, batch, context):
            raise RuntimeError("carbon register unavailable")

    registry = load_registry(only=PROJECT_PLUGINS, plugins=[("carbon", Fragile())])
    activities = registry.validate([LEAD, TC]).valid

    result = registry.evaluate(activities)

    errors = [(o.activity.ref, o.plugin) for o in result.outcomes if o.rule == ERROR_RULE]
    assert errors == [("S1", "carbon")]  # the standard it reads; not the committee it does not
    assert sorted((o.activity.ref, o.plugin) for o in result.outcomes if o.rule != ERROR_RULE) == [
        ("S1", "reward_tiers"), ("T1", "reward_tiers")]


# -- what a department sees: the kinds its enabled plugins evaluate ----------------------------


class Pilots:
    """Reads pilot projects only; declares a parameter of its own (shipped, so `init` stores it)."""

    @hookimpl
    def stdpolicy_describe_plugin(self):
        return PluginDescription(Text("试点跟踪", "Pilot tracking"), Text("", ""), reads=("pilot_project",), api=">=1")

    @hookimpl
    def stdpolicy_register_parameters(self):
        return [ParameterDeclaration("pilots.flat", Text("固定", "flat"), Text("元", "yuan"), "money", "三(二)",
                                     defaults=(DefaultValue(date(2022, 8, 1), 1000, "test document", "三(二)"),))]

    @hookimpl
    def stdpolicy_evaluate(self, batch, context):
        return [Outcome(a, "P1", 1000, "三(二)", Text("跟踪", "tracked")) for a in batch.of_kind("pilot_project")]


@pytest.fixture
def pilots_app(database_url: str, tmp_path, monkeypatch) -> Flask:
    from core.services import permit_plugin, switch_plugin
    from core.store import ensure_departments, find_department, load_defaults
    from webadmin import create_app

    monkeypatch.setenv("STDPOLICY_INSTANCE_PATH", str(tmp_path / "instance"))
    registry = load_registry(only=PROJECT_PLUGINS, plugins=[("pilots", Pilots())])
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": False},
                     registry=registry)
    with app.app_context():
        ensure_departments(registry)
        load_defaults(registry)
        db.session.commit()
        civil = find_department("civil_affairs")
        permit_plugin(civil, "pilots", True, "tests")
        switch_plugin(civil, "pilots", True, "tests")
    yield app
    with app.app_context():
        db.engine.dispose()


def test_a_department_sees_the_shared_kinds_its_plugins_read(pilots_app: Flask) -> None:
    from core.app import get_registry
    from core.services import import_activities
    from core.store import enabled_plugins, find_department
    from core.store.register import visible_kinds

    with pilots_app.app_context():
        registry = get_registry()
        civil, market = find_department("civil_affairs"), find_department("market_regulation")
        assert enabled_plugins(civil) == {"pilots"}
        assert visible_kinds(registry, enabled_plugins(civil)) == ["pilot_project"]
        assert visible_kinds(registry, enabled_plugins(market)) == list(REWARDED)
        # Two plugins reading one kind: listed once.
        assert visible_kinds(registry, {"pilots", "reward_tiers"}) == list(REWARDED)
        pilot = {**PILOT_OVER_CAP, "granted_amount": 100000}
        result = import_activities(registry, [LEAD, pilot], source="test", actor="tests", department=market)
        assert result.ok and len(result.stored) == 2

    client = pilots_app.test_client()
    from webadmin.models import User

    with pilots_app.app_context():
        user = User(username="ca", role="dept_viewer", department_id=find_department("civil_affairs").id, created_by="t")
        user.set_password("correct-horse-battery-1")
        db.session.add(user)
        db.session.commit()
    assert client.post("/login", data={"username": "ca", "password": "correct-horse-battery-1"}).status_code == 302
    page = client.get("/activities?lang=en").get_data(as_text=True)
    assert ">P1</a>" in page and ">S1</a>" not in page  # its plugin reads pilots, not standards
    plugins_page = client.get("/plugins?lang=en").get_data(as_text=True)
    assert "shared kind" in plugins_page


def test_an_extension_field_is_a_spreadsheet_column_by_its_label(tmp_path) -> None:
    from core.interchange import read_records

    registry = load_registry(only=PROJECT_PLUGINS, plugins=[("carbon", Carbon())])
    path = tmp_path / "standards.csv"
    path.write_text("编号,活动类型,日期,统一社会信用代码,标准编号,起草单位排名,碳主题\n"
                    f"S1,标准制定,2025-06-20,{CODE},GB/T 45123-2025,1,碳足迹\n", encoding="utf-8")

    [activity] = registry.validate(read_records(str(path), registry)).valid

    assert activity.fields["carbon_topic"] == "footprint"


# -- issue #12: the award's level, the talent enterprise ----------------------------------------


def test_an_award_without_a_level_keeps_its_fields_and_reads_as_national() -> None:
    from core import award_level_of

    registry = load_registry(only=PROJECT_PLUGINS)
    award = {**AWARD, "project": "p"}
    report = registry.validate([award, {**award, "id": "A2", "level": "provincial"},
                                {**award, "id": "A3", "level": "municipal"}])
    plain, provincial = report.valid
    assert "level" not in plain.fields and award_level_of(plain.fields) == "national"  # fingerprint unchanged
    assert award_level_of(provincial.fields) == "provincial"
    [bad] = report.invalid
    assert bad.ref == "A3" and [e.field for e in bad.errors] == ["level"]


def test_a_talent_enterprise_needs_its_designation() -> None:
    registry = load_registry(only=PROJECT_PLUGINS)
    good = {"id": "T1", "kind": "talent_enterprise", "date": "2024-03-01", "credit_code": CODE,
            "designation": "嘉兴市国际标准化人才培育企业(第一批)", "document": "嘉市监〔2024〕1号"}
    report = registry.validate([good, {**good, "id": "T2", "designation": ""}, {**good, "id": "T3", "designation": None}])
    assert [a.ref for a in report.valid] == ["T1"]
    assert report.valid[0].fields["designated_by"] is None
    assert {(i.ref, e.field) for i in report.invalid for e in i.errors} == {("T2", "designation"), ("T3", "designation")}


def test_a_granted_amount_written_in_wan_yuan_is_read_exactly() -> None:
    """A clerk copies the amount as the assessment wrote it (20万元); the cap is checked on the yuan it reads as."""
    registry = load_registry(only=PROJECT_PLUGINS)
    records = [{**PILOT_OVER_CAP, "id": "P2", "granted_amount": "20万元"},
               {**PILOT_OVER_CAP, "id": "P3", "granted_amount": "¥150,000"},
               {**PILOT_OVER_CAP, "id": "P4", "granted_amount": "20.5万"},
               {**PILOT_OVER_CAP, "id": "P5", "granted_amount": "1.00005万"}]

    report = registry.validate(records)

    assert {a.ref: a.fields["granted_amount"] for a in report.valid} == {"P2": 200_000, "P3": 150_000}
    errors = {item.ref: [(e.field, e.message) for e in item.errors] for item in report.invalid}
    assert errors == {
        "P4": [("granted_amount", "the granted amount ¥205,000 exceeds the cap ¥200,000 in force on that date")],
        "P5": [("granted_amount", "Not a whole number of yuan.")],
    }
