"""The register's totals (core.store.register.totals and the admin's Totals tab): the filtered list's
total, per organisation and per county, held amounts apart, department-scoped, exported to XLSX."""

from __future__ import annotations

import io
import re
from collections import defaultdict

import pytest

from core.app import get_registry
from core.db import db
from core.regions import region_of
from core.store import import_records
from core.store.register import RegisterFilter, register_breakdown, register_totals

from test_register_queries import ORDERED, REWARD, current_amounts, load_examples
from test_webadmin_register import HELD


@pytest.fixture
def ids(app) -> dict[str, int]:
    found = load_examples(app)
    with app.app_context():
        assert import_records(get_registry(), HELD, source="held.json", actor="tests").ok
        db.session.commit()
    return found


def _independent(app, predicate=lambda r: True) -> tuple[dict[str, int], dict[str, int], int]:
    """Paid yuan per credit code and per county, and the count, from the files and a plain read of the outcomes."""
    with app.app_context():
        amounts = current_amounts()
    records = [r for r in ORDERED + HELD if predicate(r)]
    by_org: dict[str, int] = defaultdict(int)
    by_county: dict[str, int] = defaultdict(int)
    for r in records:
        by_org[r["credit_code"]] += amounts.get(r["id"], 0)
        by_county[region_of(r["credit_code"])[0]] += amounts.get(r["id"], 0)
    return dict(by_org), dict(by_county), len(records)


def test_totals_agree_with_an_independent_sum(app, ids):
    by_org, by_county, count = _independent(app)
    with app.app_context():
        registry = get_registry()
        organisations = register_totals(registry, REWARD, RegisterFilter(), "organisation")
        counties = register_totals(registry, REWARD, RegisterFilter(), "county")
    assert organisations.activities == counties.activities == count
    assert organisations.amount == counties.amount == sum(by_org.values()) > 0
    assert {line.key: line.amount for line in organisations.lines} == by_org
    assert {line.key: line.amount for line in counties.lines} == by_county
    # HELD-X and HELD-Y (two rank-1 claims) are held for review: ¥300,000 each apart, never in the paid total.
    assert organisations.held == counties.held == 600000
    held = {line.key: line.held for line in organisations.lines if line.held}
    assert held == {"913304007429141869": 300000, "91330482MA2AH5T006": 300000}
    amounts = [line.amount for line in organisations.lines]
    assert amounts == sorted(amounts, reverse=True)


@pytest.mark.parametrize(("plugins", "filt"), [
    (REWARD, RegisterFilter()),
    (REWARD | {"carbon", "public_services", "benchmarking"}, RegisterFilter()),
    (REWARD, RegisterFilter(county="330421", year=2024)),
    ({"public_services"}, RegisterFilter()),
], ids=["reward", "every plugin", "a county and year", "no outcomes seen"])
def test_the_breakdown_is_the_totals_by_year_county_and_rule_at_once(app, ids, plugins, filt):
    """What the what-if compares with, in one pass: register_totals' three groupings' amounts."""
    with app.app_context():
        registry = get_registry()
        breakdown = register_breakdown(registry, plugins, filt)
        totals = {group: register_totals(registry, plugins, filt, group) for group in ("year", "county", "rule")}
    assert breakdown.amount == totals["year"].amount == totals["county"].amount
    assert breakdown.held == totals["year"].held
    assert breakdown.by_year == {line.key: line.amount for line in totals["year"].lines}
    assert breakdown.by_county == {line.key: line.amount for line in totals["county"].lines}
    assert breakdown.by_rule == {line.key: line.amount for line in totals["rule"].lines}
    if plugins == REWARD and not filt.county:
        assert breakdown.held == 600000 and len(breakdown.by_rule) > 1 and len(breakdown.by_year) > 1


def test_totals_are_kept_until_the_next_evaluation_run(app, ids, monkeypatch):
    """A grouping of 100,000 activities takes 0.3 s: the totals are kept until an evaluation run adds or
    supersedes outcomes; a caller changing its copy changes nothing kept; review filters are never kept
    (a reviewer's decision is no evaluation run)."""
    from core.store.register import totals

    computed: list[str] = []
    real = totals._totals

    def counting(scope, filt, group):
        computed.append(group)
        return real(scope, filt, group)

    monkeypatch.setattr(totals, "_totals", counting)
    with app.app_context():
        registry = get_registry()
        first = register_totals(registry, REWARD, RegisterFilter(), "county")
        first.lines.clear()
        first.amount = -1
        again = register_totals(registry, REWARD, RegisterFilter(), "county")
        assert computed == ["county"] and again.lines and again.amount > 0
        register_totals(registry, REWARD, RegisterFilter(year=2024), "county")
        register_totals(registry, REWARD, RegisterFilter(review="pending"), "county")
        register_totals(registry, REWARD, RegisterFilter(review="pending"), "county")
        assert computed == ["county", "county", "county", "county"]
        # A new run: computed again, with the new record's amount.
        record = {"id": "NEW-1", "kind": "standard_drafting", "date": "2024-09-02", "credit_code": "913304007429141869",
                  "organisation": "嘉兴市某某制造有限公司", "standard_code": "GB/T 44999-2024", "rank": 1}
        assert import_records(registry, [record], source="new.json", actor="tests").ok
        db.session.commit()
        after = register_totals(registry, REWARD, RegisterFilter(), "county")
    assert len(computed) == 5
    assert after.amount == again.amount + 300_000 and after.activities == again.activities + 1


def test_totals_follow_the_filters(app, ids):
    jiashan = "330421"
    by_org, by_county, count = _independent(app, lambda r: region_of(r["credit_code"])[0] == jiashan
                                            and r["date"].startswith("2024"))
    with app.app_context():
        found = register_totals(get_registry(), REWARD, RegisterFilter(county=jiashan, year=2024), "county")
    assert found.activities == count and found.amount == sum(by_org.values())
    assert [line.key for line in found.lines] in ([jiashan], [])


def test_a_department_without_the_plugins_sees_nothing(app, ids):
    with app.app_context():
        found = register_totals(get_registry(), {"public_services"}, RegisterFilter(), "organisation")
    assert (found.activities, found.amount, found.lines) == (0, 0, [])


def test_totals_tab_and_xlsx(app, client, login, ids):
    from openpyxl import load_workbook

    by_org, by_county, count = _independent(app)
    login("mr_viewer")
    html = client.get("/activities/totals").get_data(as_text=True)
    assert "合计" in html and "待核实" in html and f"¥{sum(by_org.values()):,}" in html
    assert set(re.findall(r'<tr data-key="(\d+)"', client.get("/activities/totals?by=county").get_data(as_text=True))) \
        == set(by_county)
    english = client.get("/activities/totals?by=county&lang=en").get_data(as_text=True)
    assert "Jiashan County" in english and "held for review, not in the paid total" in english
    assert 'href="/activities/totals' in client.get("/activities").get_data(as_text=True)

    response = client.get("/activities/totals.xlsx?lang=en")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.get_data()))
    assert workbook.sheetnames == ["By organisation", "By county"]
    rows = list(workbook["By organisation"].iter_rows(values_only=True))
    assert rows[0] == ("Organisation", "Credit code", "County", "Activities", "Paid (yuan)", "Held for review (yuan)")
    assert {r[1]: r[4] for r in rows[1:-1]} == by_org
    assert rows[-1][0] == "Total" and rows[-1][3:] == (count, sum(by_org.values()), 600000)
    assert all(type(r[4]) is int for r in rows[1:])
    counties = list(workbook["By county"].iter_rows(values_only=True))
    assert {r[1]: r[3] for r in counties[1:-1]} == by_county
    filtered = load_workbook(io.BytesIO(client.get("/activities/totals.xlsx?county=330421").get_data()))
    assert [r[1] for r in list(filtered.worksheets[1].iter_rows(values_only=True))[1:-1]] == ["330421"]


def test_an_organisation_named_like_a_formula_is_text_in_the_totals_workbook(app, client, login):
    from openpyxl import load_workbook

    name = '=HYPERLINK("http://evil.example/","点此核对")'
    with app.app_context():
        assert import_records(get_registry(), [{
            "id": "F-1", "kind": "standard_drafting", "date": "2024-11-05", "credit_code": "91330402MA2BK7Q04U",
            "organisation": name, "standard_code": "GB/T 44100-2024", "rank": 1}], source="f.json", actor="tests").ok
        db.session.commit()
    login("mr_viewer")
    sheet = load_workbook(io.BytesIO(client.get("/activities/totals.xlsx").get_data())).worksheets[0]
    [cell] = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=")]
    assert (cell.value, cell.data_type) == (name, "s")


def test_totals_are_department_scoped(client, login, ids):
    login("ca_admin")  # civil affairs enables public_services only
    html = client.get("/activities/totals?lang=en").get_data(as_text=True)
    assert "0 activities: ¥0 paid" in html and 'data-key="' not in html
