"""The carbon plugin end to end in Python: records validated against the reference versions in
force and evaluated into explained outcomes, without a database."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from core import EvaluationContext, load_registry

QUOTA = "carbon.quota_standards"
CODE = "91330424MA2CEM016P"

OLD = {"standard": "GB 16780-2012", "product": "水泥熟料", "industry": "建材",
       "indicators": [{"name": "可比熟料综合能耗", "unit": "kgce/t", "direction": "lower",
                       "grades": ["114", "118", "128"], "limit": "128", "access": "118"}]}
NEW = {"standard": "GB 16780-2021", "product": "水泥熟料", "industry": "建材",
       "indicators": [{"name": "熟料单位产品综合能耗", "unit": "kgce/t", "direction": "lower",
                       "grades": ["100", "108", "117"], "limit": "117", "access": "108"}]}


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def editions(registry, *versions: tuple[str, list[dict[str, Any]]]):
    """The shipped reference data with quota versions added (each from its date)."""
    resolver = registry.default_references()
    for day, rows in versions:
        resolver = resolver.with_version(QUOTA, rows, date.fromisoformat(day))
    return resolver


def run(registry, records, references=None, on=date(2025, 1, 10), parameters=None):
    references = references if references is not None else registry.default_references()
    report = registry.validate(records, references=references)
    context = EvaluationContext(parameters=parameters or registry.default_parameters(), references=references,
                                evaluated_on=on)
    result = registry.evaluate(report.valid, context, plugins=["carbon"])
    by_ref: dict[str, list] = {}
    for outcome in result.outcomes:
        by_ref.setdefault(outcome.activity.ref, []).append(outcome)
    errors = {inv.ref: {e.field: e for e in inv.errors} for inv in report.invalid}
    return by_ref, errors


def quota(id_: str, year: int, standard: str, value: str, unit: str = "kgce/t", plant: str = "existing",
          indicator: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"id": id_, "kind": "energy_quota_report", "date": f"{year + 1}-03-01", "credit_code": CODE,
            "organisation": "海盐示例水泥有限公司", "reporting_year": year, "product": "水泥熟料",
            "quota_standard": standard, "value": value, "unit": unit, "plant_type": plant,
            "indicator": indicator or ("熟料单位产品综合能耗" if standard.endswith("2021") else "可比熟料综合能耗"),
            **extra}


def test_an_edition_change_between_two_years(registry):
    refs = editions(registry, ("2020-01-01", [OLD]), ("2022-11-01", [NEW]))
    outcomes, errors = run(registry, [
        quota("Y2022", 2022, "GB 16780-2012", "118"),    # the new edition took effect during 2022: the old one applies
        quota("Y2023", 2023, "GB 16780-2021", "120"),    # 120 misses the new limit (117)
        quota("BAD", 2022, "GB 16780-2021", "110"),      # not yet in force on 2022-01-01
        quota("BAD2", 2023, "GB 16780-2012", "110"),     # replaced by 2023-01-01
    ], refs)
    assert errors.keys() == {"BAD", "BAD2"}
    assert "GB 16780-2012" in errors["BAD"]["quota_standard"].message_zh
    assert "GB 16780-2021" in errors["BAD2"]["quota_standard"].message
    old, new = outcomes["Y2022"][0], outcomes["Y2023"][0]
    assert (old.rule, old.status, old.details["grade"]) == ("Q1", "compliant", 2)
    assert (new.rule, new.status) == ("Q2", "non_compliant")
    assert "GB 16780-2012" in old.explanation_zh and "2020年1月1日" in old.explanation_zh
    assert "限定值117 kgce/t" in new.explanation_zh and "列入整改名单" in new.explanation_zh
    assert [r.effective_from for r in old.references] == [date(2020, 1, 1)]
    assert [r.effective_from for r in new.references] == [date(2022, 11, 1)]


def test_a_value_exactly_at_a_grade_limit_and_a_unit_conversion(registry):
    refs = editions(registry, ("2022-11-01", [NEW]))
    outcomes, errors = run(registry, [
        quota("AT1", 2023, "GB 16780-2021", "100"),
        quota("AT3", 2023, "GB 16780-2021", "117"),
        quota("OVER", 2023, "GB 16780-2021", "117.01"),
        quota("TCE", 2023, "GB 16780-2021", "0.108", unit="tce/t", plant="new"),
        quota("ZH", 2023, "GB 16780-2021", "0.1085", unit="吨标准煤/吨", plant="new"),
    ], refs)
    assert not errors
    assert outcomes["AT1"][0].details["grade"] == 1
    assert (outcomes["AT3"][0].rule, outcomes["AT3"][0].details["grade"]) == ("Q1", 3)
    assert outcomes["OVER"][0].rule == "Q2"
    tce = outcomes["TCE"][0]
    assert (tce.rule, tce.details["value"], tce.details["unit"]) == ("Q1", "108", "kgce/t")
    assert "折合108 kgce/t" in tce.explanation_zh
    assert outcomes["ZH"][0].rule == "Q3" and "准入值" in outcomes["ZH"][0].explanation_zh


def test_quota_records_are_checked_against_the_edition(registry):
    refs = editions(registry, ("2022-11-01", [NEW]))
    _, errors = run(registry, [
        quota("PRODUCT", 2023, "GB 16780-2021", "100", product="水泥"),
        quota("IND", 2023, "GB 16780-2021", "100", indicator="电耗"),
        quota("UNIT", 2023, "GB 16780-2021", "100", unit="kWh/t"),
        quota("UNKNOWN_UNIT", 2023, "GB 16780-2021", "100", unit="斤/t"),
        quota("ZERO", 2023, "GB 16780-2021", "0"),
        quota("NEG", 2023, "GB 16780-2021", "-5"),
        quota("FUTURE", 2023, "GB 16780-2021", "100", date="2022-06-01"),
        quota("OTHER", 2023, "GB 21256-2013", "100"),
    ], refs)
    assert set(errors["PRODUCT"]) == {"product"}
    assert set(errors["IND"]) == {"indicator"}
    assert set(errors["UNIT"]) == {"unit"} and "kgce/t" in errors["UNIT"]["unit"].message
    assert set(errors["UNKNOWN_UNIT"]) == {"unit"}
    assert set(errors["ZERO"]) == {"value"} and set(errors["NEG"]) == {"value"}
    assert set(errors["FUTURE"]) == {"reporting_year"}
    assert set(errors["OTHER"]) == {"quota_standard"} and "没有该标准" in errors["OTHER"]["quota_standard"].message_zh


def test_without_a_quota_version_in_force_a_report_is_held_and_says_what_to_record(registry):
    outcomes, errors = run(registry, [quota("Q", 2023, "GB 16780-2021", "100")])
    assert not errors
    held = outcomes["Q"][0]
    assert (held.rule, held.status, held.details["reason"]) == ("Q9", "held", "no_reference")
    assert "2023年1月1日" in held.explanation_zh and "暂缓判定" in held.explanation_zh


def test_samples_are_said_to_be_samples(registry):
    refs = registry.default_references(demo=True)
    outcomes, _ = run(registry, [quota("S", 2023, "GB 16780-2021", "105")], refs)
    assert "示例数据" in outcomes["S"][0].explanation_zh and "sample data" in outcomes["S"][0].explanation_en


def drafting(id_: str, code: str, rank: int = 1, day: str = "2024-08-23", **extra: Any) -> dict[str, Any]:
    return {"id": id_, "kind": "standard_drafting", "date": day, "credit_code": CODE,
            "organisation": "桐乡示例低碳科技有限公司", "standard_code": code, "rank": rank, **extra}


def test_carbon_standards_are_recognised_by_list_or_declared_topic(registry):
    outcomes, errors = run(registry, [
        drafting("LIST", "GB/T 24067—2024"),
        drafting("PART", "GB/T 32151.31-2024", rank=2, day="2024-12-31"),
        drafting("DECLARED", "T/ZZB 3012-2025", rank=3, day="2025-05-06", carbon_topic="ccus"),
        drafting("OTHER", "GB/T 45123-2025", day="2025-06-20"),
        drafting("EARLY", "GB/T 32150-2015", day="2015-11-19"),
        drafting("BADTOPIC", "GB/T 45123-2025", day="2025-06-20", carbon_topic="nonsense"),
    ])
    assert set(errors) == {"BADTOPIC"} and set(errors["BADTOPIC"]) == {"carbon_topic"}
    led, part, declared = outcomes["LIST"][0], outcomes["PART"][0], outcomes["DECLARED"][0]
    assert (led.rule, led.status, led.amount, led.details["topic"]) == ("S1", "tracking", 0, "carbon_footprint")
    assert (part.rule, part.details["topic"], part.details["role"]) == ("S2", "carbon_accounting", "participated")
    assert (declared.rule, declared.details["topic"], declared.details["topic_basis"]) == ("S2", "ccus", "declared")
    assert "OTHER" not in outcomes
    assert (outcomes["EARLY"][0].rule, outcomes["EARLY"][0].status) == ("S0", "not_covered")


def accounting(id_: str, sector: str, standard: str, day: str = "2024-04-28", **extra: Any) -> dict[str, Any]:
    return {"id": id_, "kind": "carbon_accounting_report", "date": day, "credit_code": CODE,
            "organisation": "海盐示例水泥有限公司", "reporting_year": int(day[:4]) - 1, "sector": sector,
            "accounting_standard": standard, "emissions_tco2e": "1000.5", **extra}


def test_numbers_no_register_holds_are_errors_of_their_record_not_a_plugin_failure(registry):
    """"1e999999999" is finite to marshmallow's Decimal, a billion characters written out: the plugin raised
    on it (its record got an error outcome). Now the record is refused, naming the field, in both languages."""
    refs = editions(registry, ("2022-11-01", [NEW]))
    outcomes, errors = run(registry, [
        quota("HUGE", 2023, "GB 16780-2021", "1e999999999"),
        quota("TINY", 2023, "GB 16780-2021", "1e-999999999"),
        quota("DIGITS", 2023, "GB 16780-2021", "4" * 5000),
        quota("FLOAT", 2023, "GB 16780-2021", 1e308),
        quota("OK", 2023, "GB 16780-2021", "100.30000000000000004"),
        accounting("EMITTED", "cement", "GB/T 32151.8-2015", emissions_tco2e="1E+400"),
    ], refs)
    assert set(errors) == {"HUGE", "TINY", "DIGITS", "FLOAT", "EMITTED"}
    assert errors["HUGE"]["value"].message_zh == "数值过大:整数部分至多15位"
    assert errors["TINY"]["value"].message == "too many decimal places: at most 30"
    assert set(errors["DIGITS"]) == set(errors["FLOAT"]) == {"value"} and set(errors["EMITTED"]) == {"emissions_tco2e"}
    assert [o.rule for o in outcomes["OK"]] == ["Q1"]
    # an exclusive bound is said in Chinese too (its message was one string of both languages)
    _, errors = run(registry, [quota("ZERO", 2023, "GB 16780-2021", "0")], refs)
    assert (errors["ZERO"]["value"].message_zh, errors["ZERO"]["value"].message) == ("必须大于 0。", "Must be greater than 0.")


def test_accounting_against_the_sector_table(registry):
    outcomes, errors = run(registry, [
        accounting("OK", "水泥生产企业", "GB/T 32151.8-2015", verifier="示例核查机构", verification_date="2024-06-12"),
        accounting("UNVERIFIED", "cement", "GB/T 32151.8—2015"),
        accounting("WRONG", "cement", "GB/T 32151.5-2015"),
        accounting("WOOD_EARLY", "other_industry", "GB/T 32151.31-2024", day="2025-06-30"),
        accounting("WOOD", "wood_processing", "GB/T 32151.31-2024", day="2025-07-01"),
        accounting("WOOD_UNKNOWN_YET", "wood_processing", "GB/T 32151.31-2024", day="2025-06-30"),
        accounting("HALF", "cement", "GB/T 32151.8-2015", verifier="示例核查机构"),
        accounting("EARLY_CHECK", "cement", "GB/T 32151.8-2015", verifier="x", verification_date="2022-12-31"),
        accounting("NEG", "cement", "GB/T 32151.8-2015", emissions_tco2e="-1"),
        accounting("LATE_CHECK", "cement", "GB/T 32151.8-2015", verifier="x", verification_date="2099-06-12"),
        accounting("CHECK_AFTER_REPORT", "cement", "GB/T 32151.8-2015", verifier="x", verification_date="2024-09-30"),
    ])
    assert set(errors) == {"WOOD_UNKNOWN_YET", "HALF", "EARLY_CHECK", "NEG", "LATE_CHECK"}
    assert "晚于今天:只登记已完成的核查" in errors["LATE_CHECK"]["verification_date"].message_zh
    assert outcomes["CHECK_AFTER_REPORT"][0].rule == "A1"  # verified after it was reported: as it happens
    assert set(errors["WOOD_UNKNOWN_YET"]) == {"sector"}
    unknown = errors["WOOD_UNKNOWN_YET"]["sector"]
    assert "可选:发电企业、电网企业" in unknown.message_zh and "power_generation" not in unknown.message_zh  # names only
    assert "power generation (power_generation)" in unknown.message
    assert set(errors["HALF"]) == {"verification_date"}
    assert set(errors["EARLY_CHECK"]) == {"verification_date"}
    assert set(errors["NEG"]) == {"emissions_tco2e"}
    assert (outcomes["OK"][0].rule, outcomes["OK"][0].status) == ("A1", "compliant")
    assert outcomes["OK"][0].activity.fields["sector"] == "cement"
    assert (outcomes["UNVERIFIED"][0].rule, outcomes["UNVERIFIED"][0].status) == ("A2", "tracking")
    assert (outcomes["WRONG"][0].rule, outcomes["WRONG"][0].status) == ("A3", "non_compliant")
    assert "GB/T 32151.8" in outcomes["WRONG"][0].explanation_zh
    assert outcomes["WOOD_EARLY"][0].rule == "A2"          # an unassigned part, general sector, before 2025-07-01
    assert outcomes["WOOD"][0].rule == "A2"
    assert [r.effective_from for r in outcomes["WOOD"][0].references] == [date(2025, 7, 1)]


def certificate(id_: str, expiry: str, **extra: Any) -> dict[str, Any]:
    return {"id": id_, "kind": "low_carbon_certification", "date": "2022-07-01", "credit_code": CODE,
            "organisation": "海盐示例水泥有限公司", "product": "水泥", "certificate_number": f"LC-{id_}",
            "certification_body": "示例认证中心", "standard": "GB/T 24067-2024", "issue_date": "2022-07-01",
            "expiry_date": expiry, **extra}


def test_certificates_valid_expiring_and_expired_on_the_day(registry):
    records = [certificate("LAST_DAY", "2025-06-30"), certificate("EXPIRED", "2025-06-29"),
               certificate("FAR", "2025-09-29"), certificate("EDGE", "2025-09-28"),
               certificate("BACKWARDS", "2022-06-30")]
    records.append(certificate("NOT_YET_ISSUED", "2099-12-31", issue_date="2030-01-01"))
    outcomes, errors = run(registry, records, on=date(2025, 6, 30))
    assert set(errors) == {"BACKWARDS", "NOT_YET_ISSUED"} and set(errors["BACKWARDS"]) == {"expiry_date"}
    assert errors["NOT_YET_ISSUED"]["issue_date"].message_zh == \
        "发证日期 2030年1月1日 晚于记录日期 2022年7月1日:只登记已颁发的证书"
    last = outcomes["LAST_DAY"][0]
    assert (last.rule, last.status, last.details["days_left"]) == ("L2", "compliant", 0)
    assert "今日为有效期最后一日" in last.explanation_zh
    expired = outcomes["EXPIRED"][0]
    assert (expired.rule, expired.status) == ("L3", "non_compliant")
    assert "2025年6月29日届满" in expired.explanation_zh
    assert outcomes["EDGE"][0].rule == "L2" and outcomes["FAR"][0].rule == "L1"   # 90 days exactly: expiring
    assert [p.key for p in last.parameters] == ["carbon.expiry_warning_days"]


def test_the_shipped_example_file_is_all_valid_and_explained(registry):
    import json
    from pathlib import Path

    records = json.loads((Path(__file__).parents[3] / "docs" / "examples" / "carbon.json").read_text(encoding="utf-8"))
    for refs in (registry.default_references(), registry.default_references(demo=True)):
        outcomes, errors = run(registry, records, refs)
        assert not errors
        assert set(outcomes) == {r["id"] for r in records}
        for found in outcomes.values():
            for outcome in found:
                assert outcome.clause == "二(五)1"
                assert "第二部分第(五)项第1目" in outcome.explanation_zh and outcome.explanation_en
                assert "carbon." not in outcome.explanation_zh      # no internal keys in the Chinese sentence
