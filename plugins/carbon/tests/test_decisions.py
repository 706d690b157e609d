"""The decisions of 二(五)1 on plain data: boundaries the issue names (a value exactly at a
grade's limit, unit conversion, expired on the day) and the readings in docs/policy-readings.md."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plugins.carbon.decisions import (
    decide_accounting,
    decide_certificate,
    decide_quota,
    grade_reached,
    match_carbon_standard,
    period_start,
    series_of,
)
from plugins.carbon.units import UnknownUnit, convert, normalise_unit

CEMENT = {
    "standard": "GB 16780-2021", "product": "水泥熟料", "industry": "建材",
    "indicators": [{"name": "熟料单位产品综合能耗", "unit": "kgce/t", "direction": "lower",
                    "grades": [D("100"), D("108"), D("117")], "limit": D("117"), "access": D("108")}],
}
EFFICIENCY = {
    "standard": "GB 18613-2020", "product": "电动机",
    "indicators": [{"name": "效率", "unit": "%", "direction": "higher", "grades": [D("96"), D("95"), D("94")],
                    "limit": None, "access": None}],
}


@pytest.mark.parametrize(("value", "grade"), [
    ("100", 1), ("99.9", 1), ("100.01", 2), ("108", 2), ("108.0", 2), ("116.99", 3), ("117", 3), ("117.001", None),
])
def test_a_value_exactly_at_a_grades_limit_reaches_that_grade(value, grade):
    assert grade_reached(D(value), (D("100"), D("108"), D("117")), "lower") == grade


def test_higher_is_better_grades_the_other_way():
    assert grade_reached(D("96"), (D("96"), D("95"), D("94")), "higher") == 1
    assert grade_reached(D("94.5"), (D("96"), D("95"), D("94")), "higher") == 3
    assert grade_reached(D("93.99"), (D("96"), D("95"), D("94")), "higher") is None


def test_existing_plant_at_the_limit_value_is_compliant_and_just_above_is_not():
    at = decide_quota(CEMENT, "熟料单位产品综合能耗", D("117"), "kgce/t", "existing")
    assert (at.rule, at.status, at.grade) == ("Q1", "compliant", 3)
    above = decide_quota(CEMENT, "熟料单位产品综合能耗", D("117.1"), "kgce/t", "existing")
    assert (above.rule, above.status, above.grade, above.reason) == ("Q2", "non_compliant", None, "limit")


def test_a_new_plant_is_held_to_the_access_value():
    ok = decide_quota(CEMENT, "熟料单位产品综合能耗", D("108"), "kgce/t", "new")
    assert (ok.rule, ok.status, ok.requirement) == ("Q1", "compliant", "access")
    missed = decide_quota(CEMENT, "熟料单位产品综合能耗", D("110"), "kgce/t", "new")
    assert (missed.rule, missed.status, missed.grade) == ("Q3", "non_compliant", 3)


def test_a_new_plant_without_a_recorded_access_value_is_held_to_the_limit_value_and_told_so():
    d = decide_quota(EFFICIENCY, "效率", D("93"), "%", "new")
    assert (d.rule, d.access_missing, d.requirement, d.limit) == ("Q3", True, "limit", D("94"))
    assert decide_quota(EFFICIENCY, "效率", D("94"), "%", "new").rule == "Q1"


def test_unit_conversion_tce_to_kgce_is_exact():
    d = decide_quota(CEMENT, "熟料单位产品综合能耗", D("0.117"), "tce/t", "existing")
    assert (d.rule, d.value, d.grade) == ("Q1", D("117"), 3)
    assert decide_quota(CEMENT, "熟料单位产品综合能耗", D("0.1171"), "吨标准煤/吨", "existing").rule == "Q2"
    assert convert(D("105"), "千克标准煤/吨", "tce/t") == D("0.105")
    assert convert(D("1.5"), "MWh/t", "kW·h/t") == D("1500")


def test_units_of_different_dimensions_do_not_convert():
    with pytest.raises(UnknownUnit):
        convert(D("1"), "kWh/t", "kgce/t")
    with pytest.raises(UnknownUnit):
        normalise_unit("furlongs/t")
    assert decide_quota(CEMENT, "熟料单位产品综合能耗", D("30"), "kWh/t", "existing").rule == "Q9"


def test_no_row_or_no_indicator_is_held():
    assert decide_quota(None, "x", D("1"), "kgce/t", "existing").rule == "Q9"
    assert decide_quota(CEMENT, "电耗", D("1"), "kgce/t", "existing").rule == "Q9"


def test_the_period_is_read_on_the_first_day_of_the_reporting_year():
    assert period_start(2022) == date(2022, 1, 1)


@pytest.mark.parametrize(("code", "series"), [
    ("GB 16780-2021", "GB 16780"), ("GB/T 32151.31-2024", "GB/T 32151.31"), ("ISO 14067:2018", "ISO 14067"),
    ("GB 3100-93", "GB 3100"), ("GB/T 32151", "GB/T 32151"),
])
def test_series_drops_the_year(code, series):
    assert series_of(code) == series


def test_carbon_standards_match_every_edition_and_part_most_specific_first():
    rows = [{"standard": "GB/T 32151", "topic": "carbon_accounting"},
            {"standard": "GB/T 32151.31", "topic": "other"},
            {"standard": "ISO 14067", "topic": "carbon_footprint"}]
    assert match_carbon_standard("GB/T 32151.5-2015", rows)["topic"] == "carbon_accounting"
    assert match_carbon_standard("GB/T 32151.31-2024", rows)["topic"] == "other"
    assert match_carbon_standard("ISO 14067:2018", rows)["topic"] == "carbon_footprint"
    assert match_carbon_standard("GB/T 321510-2020", rows) is None
    assert match_carbon_standard("GB/T 1.1-2020", rows) is None


def _match_by_every_row(code, rows):
    """The lookup as it was before the list was indexed: every row compared (the oracle)."""
    series = series_of(code)
    best = None
    for row in rows:
        listed = series_of(row["standard"])
        if series == listed or series.startswith(listed + "."):
            if best is None or len(listed) > len(series_of(best["standard"])):
                best = row
    return best


_PIECES = st.sampled_from(["GB/T ", "GB ", "ISO ", "ISO/IEC ", "DB33/T ", "32151", "32150", "24067", "14067", ".",
                           ".31", ".5", "1", "-2015", "-2024", ":2018", "-", ":", " ", "/Amd 1"])


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.lists(_PIECES, min_size=1, max_size=4).map("".join), max_size=8),
       st.lists(_PIECES, min_size=1, max_size=6).map("".join))
def test_indexed_carbon_list_matches_as_comparing_every_row(standards, code):
    rows = tuple({"standard": standard, "topic": f"t{i}"} for i, standard in enumerate(standards))
    assert match_carbon_standard(code, rows) is _match_by_every_row(code, rows)
    assert match_carbon_standard(code, list(rows)) is _match_by_every_row(code, rows)  # not cached: a list may change


SECTORS = [
    {"sector": "cement", "standard": "GB/T 32151.8"},
    {"sector": "steel", "standard": "GB/T 32151.5"},
    {"sector": "other_industry", "standard": "GB/T 32150"},
]


def test_accounting_consistency_with_the_sector_standard():
    assert decide_accounting("cement", "GB/T 32151.8-2015", True, SECTORS).rule == "A1"
    assert decide_accounting("cement", "GB/T 32151.8-2015", False, SECTORS).rule == "A2"
    wrong = decide_accounting("cement", "GB/T 32151.5-2015", True, SECTORS)
    assert (wrong.rule, wrong.status, wrong.expected) == ("A3", "non_compliant", ("GB/T 32151.8",))
    assert decide_accounting("cement", "GB/T 32150-2015", True, SECTORS).rule == "A3"
    assert decide_accounting("textiles", "GB/T 32150-2015", True, SECTORS).rule == "A9"


def test_the_general_sector_takes_the_general_rules_or_an_unassigned_part():
    assert decide_accounting("other_industry", "GB/T 32150-2015", True, SECTORS).rule == "A1"
    assert decide_accounting("other_industry", "GB/T 32151.12-2023", True, SECTORS).rule == "A1"
    assert decide_accounting("other_industry", "GB/T 32151.8-2015", True, SECTORS).rule == "A3"


@pytest.mark.parametrize(("on", "rule", "days"), [
    (date(2025, 6, 30), "L2", 0),      # the last valid day: still valid, expiring
    (date(2025, 7, 1), "L3", -1),      # the day after: expired
    (date(2025, 4, 1), "L2", 90),      # exactly the warning period before expiry
    (date(2025, 3, 31), "L1", 91),
])
def test_a_certificate_is_valid_through_its_expiry_date(on, rule, days):
    d = decide_certificate(date(2025, 6, 30), on, 90)
    assert (d.rule, d.days_left) == (rule, days)
    assert d.status == ("non_compliant" if rule == "L3" else "compliant")
