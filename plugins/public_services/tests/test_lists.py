"""The lists' checks, periods and the monitoring aggregations: pure functions, no database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core import Text
from plugins.public_services import checks, monitoring
from plugins.public_services.periods import InvalidPeriod, Period, parse_period


def item(code: str, *indicators: tuple[str, str, str | None]) -> dict:
    return {"item_code": code, "category": code.rsplit(".", 1)[0], "name": f"项目{code}",
            "indicators": [{"code": c, "name": c, "unit": "%", "direction": d,
                            "value": Decimal(v) if v is not None else None} for c, d, v in indicators]}


def standard(code: str, number: str, status: str = "in_force", issued: date | None = None, **values: str) -> dict:
    return {"item_code": code, "standard": number, "status": status, "issued": issued, "title": None,
            "indicators": [{"code": k, "value": Decimal(v)} for k, v in values.items()]}


# -- periods -------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "code"), [
    ("2024", "2024"), ("2024年", "2024"), ("2024Q3", "2024Q3"), ("2024q3", "2024Q3"), ("2024-Q3", "2024Q3"),
    ("2024 Q1", "2024Q1"), ("2024年第3季度", "2024Q3"), ("2024年第三季度", "2024Q3"), ("２０２４Ｑ４", "2024Q4"),
    ("2024年4季度", "2024Q4"),
])
def test_periods_are_read_in_one_form(text, code):
    assert parse_period(text).code == code


@pytest.mark.parametrize("text", ["", "24", "2024Q0", "2024Q5", "2024年第五季度", "Q3 2024", "2024-07", "1999", "2024H1"])
def test_bad_periods_are_refused_in_both_languages(text):
    with pytest.raises(InvalidPeriod) as info:
        parse_period(text)
    assert "监测期" in info.value.text.zh and "period" in info.value.text.en


def test_period_bounds_and_order():
    q1, q4, year = Period(2024, 1), Period(2024, 4), Period(2024)
    assert (q1.start, q1.end) == (date(2024, 1, 1), date(2024, 3, 31))
    assert (Period(2024, 2).end, Period(2024, 3).end, q4.end) == (date(2024, 6, 30), date(2024, 9, 30), date(2024, 12, 31))
    assert (year.start, year.end) == (date(2024, 1, 1), date(2024, 12, 31))
    assert sorted([year, q4, q1, Period(2023)], key=lambda p: p.sort_key) == [Period(2023), q1, q4, year]
    assert q1.label == Text("2024年第1季度", "Q1 2024") and year.label.zh == "2024年度"


# -- lower than national -------------------------------------------------------------

SERVICE = [item("1.2.1", ("coverage", "higher", "90")), item("7.1.1", ("days", "lower", "20")),
           item("5.1.2", ("satisfaction", "higher", None))]


def test_a_local_value_lower_than_the_national_one_is_flagged():
    rows = [standard("1.2.1", "GB/T 90001-2020", coverage="90"),
            standard("1.2.1", "DB33/T 9001-2021", coverage="89.9"),
            standard("1.2.1", "DB3304/T 9002-2022", coverage="90"),       # equal: not lower
            standard("1.2.1", "DB3304/T 9003-2022", coverage="95")]
    (finding,) = checks.lower_than_national(SERVICE, rows)
    assert (finding.check, finding.item_code, finding.standard) == ("lower", "1.2.1", "DB33/T 9001-2021")
    assert finding.details == {"indicator": "coverage", "local_value": "89.9", "national_value": "90",
                               "national_standard": "GB/T 90001-2020", "direction": "higher"}


def test_lower_is_read_with_the_indicators_direction():
    rows = [standard("7.1.1", "GB/T 90004-2020", days="20"),
            standard("7.1.1", "DB33/T 9004-2021", days="25"),     # more days: a weaker standard
            standard("7.1.1", "DB3304/T 9004-2022", days="15")]   # fewer days: stricter, fine
    (finding,) = checks.lower_than_national(SERVICE, rows)
    assert finding.standard == "DB33/T 9004-2021" and finding.details["direction"] == "lower"


def test_only_standards_in_force_and_the_same_indicator_are_compared():
    rows = [standard("1.2.1", "GB/T 90001-2020", coverage="90"),
            standard("1.2.1", "DB33/T 9001-2015", status="replaced", coverage="80"),
            standard("1.2.1", "DB33/T 9002-2021", other="10"),
            standard("1.2.1", "GB/T 90009-2010", status="withdrawn", coverage="99"),
            standard("1.2.1", "DB33/T 9003-2022", coverage="95")]
    assert checks.lower_than_national(SERVICE, rows) == []


# -- gaps ----------------------------------------------------------------------------

def test_an_item_without_a_standard_in_force_is_a_gap():
    rows = [standard("1.2.1", "GB/T 90001-2020"), standard("7.1.1", "DB33/T 9006-2016", status="withdrawn")]
    found = checks.gaps(SERVICE, rows)
    assert [(f.item_code, f.details["reason"]) for f in found] == [("5.1.2", "none"), ("7.1.1", "not_in_force")]
    assert checks.gaps(SERVICE, rows + [standard("5.1.2", "DB3304/T 1-2023"), standard("7.1.1", "GB/T 2-2020")]) == []


# -- outdated ------------------------------------------------------------------------

def test_a_standard_older_than_the_review_age_is_flagged_the_day_after_its_anniversary():
    rows = [standard("1.2.1", "GB/T 90001-2019", issued=date(2019, 6, 1))]
    assert checks.outdated(SERVICE, rows, date(2024, 6, 1), 5) == []
    (finding,) = checks.outdated(SERVICE, rows, date(2024, 6, 2), 5)
    assert finding.details == {"issued": "2019-06-01", "due": "2024-06-01", "review_years": 5}
    assert checks.outdated(SERVICE, rows, date(2024, 6, 2), 6) == []


def test_without_an_issue_date_the_numbers_year_counts_and_replaced_standards_are_not_reviewed():
    rows = [standard("1.2.1", "DB33/T 9001-2018"), standard("7.1.1", "DB33/T 9002-2010", status="replaced"),
            standard("5.1.2", "DB33/T 9003-2020")]
    found = checks.outdated(SERVICE, rows, date(2024, 1, 2), 5)
    assert [(f.standard, f.details["issued"]) for f in found] == [("DB33/T 9001-2018", "2018-01-01")]


def test_a_leap_day_issue_date_is_due_on_the_28th_of_february():
    assert checks.review_due(date(2020, 2, 29), 5) == date(2025, 2, 28)
    assert checks.review_due(date(2020, 2, 29), 4) == date(2024, 2, 29)


# -- monitoring aggregations ---------------------------------------------------------

def mrow(region: str, code: str, indicator: str, period: str, status: str, day: date = date(2024, 7, 1),
         value: str = "1") -> monitoring.MonitoringRow:
    return monitoring.MonitoringRow(ref=f"{region}-{code}-{period}", date=day, region=region, item_code=code,
                                    indicator=indicator, period=parse_period(period), value=value, status=status,
                                    rule="PS1", explanation=Text("说明", "why"))


def test_latest_keeps_each_indicators_latest_period_and_the_latest_correction():
    rows = [mrow("330402", "1.2.1", "coverage", "2024Q1", "non_compliant"),
            mrow("330402", "1.2.1", "coverage", "2024Q2", "compliant"),
            mrow("330402", "1.2.1", "coverage", "2023", "non_compliant"),
            mrow("330481", "1.2.1", "coverage", "2024Q2", "compliant", date(2024, 7, 1)),
            mrow("330481", "1.2.1", "coverage", "2024Q2", "non_compliant", date(2024, 7, 9))]
    latest = monitoring.latest(rows)
    assert [(r.region, r.period.code, r.status) for r in latest] == [
        ("330402", "2024Q2", "compliant"), ("330481", "2024Q2", "non_compliant")]
    assert [r.period.code for r in monitoring.latest(rows, year=2023)] == ["2023"]
    assert [r.region for r in monitoring.alerts(latest)] == ["330481"]


def test_the_county_aspect_table_counts_met_quantitative_and_tracked():
    rows = [mrow("330402", "1.2.1", "coverage", "2024Q2", "compliant"),
            mrow("330402", "1.1.1", "coverage", "2024Q2", "non_compliant"),
            mrow("330402", "5.1.2", "satisfaction", "2024Q2", "tracking"),
            mrow("330481", "5.1.1", "coverage", "2024Q2", "compliant")]
    table = monitoring.county_aspect_table(rows, ["330402", "330481", "330483"], ["1", "5"])
    assert (table["330402", "1"].met, table["330402", "1"].quantitative) == (1, 2)
    assert [r.item_code for r in table["330402", "1"].below] == ["1.1.1"]
    assert (table["330402", "5"].tracked, table["330402", "5"].quantitative) == (1, 0)
    assert (table["330481", "5"].met, table["330481", "5"].quantitative) == (1, 1)
    assert table["330483", "1"].empty


def test_trends_are_ordered_by_period_per_county_and_indicator():
    rows = [mrow("330402", "1.2.1", "coverage", "2024Q2", "compliant", value="91"),
            mrow("330402", "1.2.1", "coverage", "2023", "non_compliant", value="85"),
            mrow("330402", "1.2.1", "coverage", "2024Q1", "compliant", value="90"),
            mrow("330481", "1.2.1", "coverage", "2024Q1", "compliant", value="95"),
            mrow("330481", "7.1.1", "days", "2024Q1", "compliant")]
    periods, lines = monitoring.trends(rows, "1.2.1")
    assert [p.code for p in periods] == ["2023", "2024Q1", "2024Q2"]
    assert [(line.region, [p.value for p in line.points]) for line in lines] == [
        ("330402", ["85", "90", "91"]), ("330481", ["95"])]
