"""End to end on the demo data (`stdpolicy init --demo`): the targets page, the assessment, the commands.

The expected figures are counted here from the raw demo records (the JSON
files `init --demo` imports), with rules written out again in a few lines —
not by calling the plugin's code — and compared with what the pages, the
exports and the commands show.
"""

from __future__ import annotations

import io
import json
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import load_workbook
from sqlalchemy import create_engine, text

from core import CITY_REGIONS, today
from core.testing import private_uses

pytestmark = pytest.mark.stdpolicy_plugins("city_targets", "reward_tiers")

ROOT = Path(__file__).resolve().parents[3]
PLUGIN_DIR = ROOT / "plugins/city_targets"
DEMO_FILES = (ROOT / "core/data/demo_activities.json", PLUGIN_DIR / "data/demo_records.json")
EXAMPLE = ROOT / "docs/examples/city_targets.json"
TARGETS = ("international", "national", "zhejiang_made", "pilots", "awards", "talent", "secretariats")
GOALS = {"international": 5, "national": 200, "zhejiang_made": 200, "pilots": 10, "awards": 5, "talent": 5,
         "secretariats": 12}
COUNTIES = ("330402", "330411", "330421", "330424", "330481", "330482", "330483")


# -- the independent count -----------------------------------------------------------------


def _records() -> list[dict[str, Any]]:
    return [r for path in DEMO_FILES for r in json.loads(path.read_text(encoding="utf-8"))]


def _target_of(record: dict[str, Any]) -> tuple[str, str] | None:
    """(target, what makes it one) for a raw demo record — the demo's numbers spelt out by hand."""
    kind = record["kind"]
    if kind == "standard_drafting":
        code = record["standard_code"].replace("—", "-")
        if "/Amd" in code:
            return None
        if code.startswith(("ISO", "IEC", "ITU")):
            return "international", code
        if code.startswith("GB"):
            return "national", code
        if code.startswith("T/ZZB"):  # the demo's one “品字标浙江制造” series
            return "zhejiang_made", code
        return None
    if kind == "pilot_project":
        return "pilots", f"{record['pilot_level']}|{record['project']}"
    if kind == "innovation_award":
        what = record.get("project") or f"{record['credit_code']}|{record['date'][:4]}"
        return "awards", f"{record.get('level', 'national')}|{record['award']}|{what}"
    if kind == "talent_enterprise":
        return "talent", record["credit_code"]
    if kind == "tc_secretariat":
        return "secretariats", re.sub(r"\s+", "", record["committee_code"])
    return None


def expected() -> dict[str, dict[str, Any]]:
    """target → {key: (first date, counties)} over the period 2022-01-01 … 2025-12-31."""
    first: dict[str, dict[str, list[Any]]] = {t: {} for t in TARGETS}
    for record in _records():
        found = _target_of(record)
        if found is None:
            continue
        target, key = found
        entry = first[target].setdefault(key, [record["date"], set()])
        entry[0] = min(entry[0], record["date"])
        entry[1].add(record["credit_code"][2:8])
    return {t: {k: v for k, v in items.items() if "2022-01-01" <= v[0] <= "2025-12-31"} for t, items in first.items()}


def count(target: str, year: int | None = None, county: str | None = None) -> int:
    return sum(1 for day, counties in expected()[target].values()
               if (year is None or day.startswith(str(year))) and (county is None or county in counties))


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def demo(stdpolicy_runner):
    result = stdpolicy_runner.invoke(args=["init", "--demo"])
    assert result.exit_code == 0, result.output
    assert "city_targets.assessment_weights version 1 from 2022-01-01 (8 rows, sample data)" in result.output
    return stdpolicy_runner


def _cells(html: str, table_id: str) -> dict[str, list[str]]:
    """data-target (or data-county) → the cells' texts of a table's rows."""
    body = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    rows = {}
    for attrs, inner in re.findall(r"<tr ([^>]*)>(.*?)</tr>", body, re.S):
        key = re.search(r'data-(?:target|county|indicator)="([^"]+)"', attrs)
        if key:
            rows[key.group(1)] = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", inner, re.S)]
    return rows


# -- the targets -----------------------------------------------------------------------------


def test_the_demo_has_something_to_count_for_every_target() -> None:
    assert all(count(t) > 0 for t in TARGETS)
    # The demo's traps: one national standard drafted by three organisations, a pilot recorded twice.
    assert count("national") < sum(1 for r in _records() if r.get("standard_code", "").startswith("GB"))
    assert count("talent") == 2


def test_the_targets_page_agrees_with_the_independent_count(demo, stdpolicy_login) -> None:
    viewer = stdpolicy_login("dept_viewer", "market_regulation")
    html = viewer.get("/admin/p/city_targets/").get_data(as_text=True)
    assert "2025年发展目标" in html and "国际标准化人才企业" in html
    rows = _cells(html, "targets")
    for target in TARGETS:
        goal, new, so_far, share = rows[target][1:5]
        assert (int(goal), int(new), int(so_far)) == (GOALS[target], count(target), count(target)), target
        assert share == f"{Decimal(count(target) * 100) / GOALS[target]:.1f}%"
    by_year = _cells(html, "targets-by-year")
    by_county = _cells(html, "targets-by-county")
    for target in TARGETS:
        assert [int(c) for c in by_year[target][1:]] == [count(target, y) for y in (2022, 2023, 2024, 2025)]
        assert [int(c) for c in by_county[target][2:]] == [count(target, county=c) for c in COUNTIES]
    # A year and a county chosen: the count is that year's, the progress to its end.
    html = viewer.get("/admin/p/city_targets/?year=2024&county=330421").get_data(as_text=True)
    rows = _cells(html, "targets")
    for target in TARGETS:
        assert int(rows[target][2]) == count(target, 2024, "330421")
        assert int(rows[target][3]) == count(target, 2022, "330421") + count(target, 2023, "330421") + count(target, 2024, "330421")


def test_each_count_is_one_click_from_its_activities(demo, stdpolicy_login) -> None:
    viewer = stdpolicy_login("dept_viewer", "market_regulation")
    html = viewer.get("/admin/p/city_targets/items?target=national&year=2023").get_data(as_text=True)
    # GB/T 42587-2023: one standard, three records (two organisations in 2023, one recorded again in 2024).
    body = html.split('id="items"', 1)[1]
    assert body.count("<tr>") - 1 == count("national", 2023)
    assert "GB/T 42587-2023" in body and body.count("/activities/") >= 3
    link = re.search(r'href="([^"]*/activities/\d+)"', body).group(1)
    assert viewer.get(link).status_code == 200
    export = viewer.get("/admin/p/city_targets/items?target=national&year=2023&format=xlsx")
    sheet = load_workbook(io.BytesIO(export.data)).active
    assert [c.value for c in sheet[1]][:2] == ["成果", "首次登记日期"] and sheet.max_row - 1 == count("national", 2023)


# -- the assessment --------------------------------------------------------------------------


def _rewards(database_url: str, year: int) -> dict[str, int]:
    """Yuan per county: reward_tiers' current outcomes paid (status ok), read with plain SQL."""
    engine = create_engine(database_url)
    paid: dict[str, int] = defaultdict(int)
    try:
        with engine.connect() as connection:
            for code, amount, day in connection.execute(text(
                "SELECT o.credit_code, r.amount, a.date FROM outcomes r JOIN activities a ON r.activity_id = a.id "
                "JOIN organisations o ON a.organisation_id = o.id WHERE r.plugin = 'reward_tiers' "
                "AND r.superseded_at IS NULL AND r.status = 'ok'")):
                if str(day)[:4] == str(year):
                    paid[code[2:8]] += amount
    finally:
        engine.dispose()
    return paid


def _expected_scores(database_url: str, year: int) -> dict[str, Decimal]:
    weights_file = yaml.safe_load((PLUGIN_DIR / "data/assessment_weights.yaml").read_text(encoding="utf-8"))
    weights = {row["indicator"]: Decimal(str(row["weight"])) for row in weights_file["versions"][0]["rows"]}
    rewards = _rewards(database_url, year)
    return {c: sum((weights[t] * count(t, year, c) for t in TARGETS), Decimal(0))
            + weights["rewards"] * Decimal(rewards.get(c, 0)) / 10000 for c in COUNTIES}


def test_the_assessment_agrees_with_the_independent_count(demo, stdpolicy_database_url, stdpolicy_login) -> None:
    scores = _expected_scores(stdpolicy_database_url, 2024)
    assert len(set(scores.values())) > 2  # a ranking worth the name
    viewer = stdpolicy_login("dept_viewer", "market_regulation")
    html = viewer.get("/admin/p/city_targets/assessment?year=2024").get_data(as_text=True)
    assert "示例数据" in html  # the shipped weights are a sample
    rows = _cells(html, "assessment")
    assert list(rows) == sorted(COUNTIES, key=lambda c: (-scores[c], c))  # highest score first
    for county, cells in rows.items():
        assert [int(c) for c in cells[2:2 + len(TARGETS)]] == [count(t, 2024, county) for t in TARGETS]
        assert Decimal(cells[-1]) == scores[county]
        assert int(cells[0]) == 1 + sum(1 for s in scores.values() if s > scores[county])
    # The county's page: each indicator × weight, adding up to the score.
    top = next(iter(rows))
    page = viewer.get(f"/admin/p/city_targets/county/{top}?year=2024").get_data(as_text=True)
    score = _cells(page, "score")
    points = [Decimal(cells[3]) for cells in score.values() if cells[3] != "—"]
    assert sum(points) == scores[top] and re.search(r'id="total">([^<]+)<', page).group(1) == str(rows[top][-1])
    assert "/activities/" in page
    # The export: the same table.
    sheet = load_workbook(io.BytesIO(viewer.get("/admin/p/city_targets/assessment?year=2024&format=xlsx").data)).active
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["排名", "县(市、区)", "国际标准(项)"] and header[-1] == "得分"
    exported = {r[1]: Decimal(str(r[-1])) for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert exported == {CITY_REGIONS[c].zh: scores[c] for c in COUNTIES}


def test_the_commands_give_the_same_figures(demo, stdpolicy_database_url, tmp_path) -> None:
    result = demo.invoke(args=["targets", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {t["target"]: (t["goal"], t["count"]) for t in data["targets"]} == {t: (GOALS[t], count(t)) for t in TARGETS}
    assert data["period"] == {"start": "2022-01-01", "end": "2025-12-31"}
    table = demo.invoke(args=["targets", "--year", "2024"])
    assert table.exit_code == 0 and "国家标准" in table.output and "统计期 2022-01-01 至 2025-12-31" in table.output

    scores = _expected_scores(stdpolicy_database_url, 2024)
    result = demo.invoke(args=["assessment", "--year", "2024", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["weights_version"]["sample"] is True
    assert {r["county"]: Decimal(str(r["score"])) for r in data["counties"]} == scores
    assert {r["county"]: r["values"]["talent"] for r in data["counties"]} == {c: count("talent", 2024, c) for c in COUNTIES}
    out = tmp_path / "a.xlsx"
    result = demo.invoke(args=["assessment", "--year", "2024", "--format", "xlsx", "--output", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert rows[0][0] == "排名" and len(rows) == 1 + len(COUNTIES)
    assert demo.invoke(args=["assessment", "--format", "xlsx"]).exit_code == 2
    assert demo.invoke(args=["targets", "--county", "110108"]).exit_code == 2
    assert "Traceback" not in demo.invoke(args=["targets", "--county", "110108"]).output


def test_without_a_year_the_assessment_shows_this_year_or_the_periods_last(demo, stdpolicy_login) -> None:
    year = min(today().year, 2025)  # the city's day, as the page reads it
    html = stdpolicy_login("dept_viewer", "market_regulation").get("/admin/p/city_targets/assessment").get_data(as_text=True)
    assert f'<option value="{year}" selected>' in html
    data = json.loads(demo.invoke(args=["assessment", "--format", "json"]).output)
    assert data["year"] == year


def test_without_weights_in_force_no_score_is_made_up(stdpolicy_runner, stdpolicy_login) -> None:
    assert stdpolicy_runner.invoke(args=["init"]).exit_code == 0  # no samples
    result = stdpolicy_runner.invoke(args=["assessment", "--year", "2024"])
    assert result.exit_code == 0 and "没有生效的考核指标权重" in result.output
    data = json.loads(stdpolicy_runner.invoke(args=["assessment", "--year", "2024", "--format", "json"]).output)
    assert data["weights_version"] is None and all(r["score"] is None and r["rank"] is None for r in data["counties"])
    html = stdpolicy_login("dept_viewer", "market_regulation").get("/admin/p/city_targets/assessment?year=2024")
    assert 'id="no-weights"' in html.get_data(as_text=True)


# -- charts, access, bad input ----------------------------------------------------------------


def test_the_charts_are_svg_in_chinese_without_script(demo, stdpolicy_login) -> None:
    viewer = stdpolicy_login("dept_viewer", "market_regulation")
    for url in ("/admin/p/city_targets/chart/progress.svg", "/admin/p/city_targets/chart/years.svg",
                "/admin/p/city_targets/chart/assessment.svg?year=2024"):
        response = viewer.get(url)
        assert response.status_code == 200 and response.mimetype == "image/svg+xml", url
        svg = response.get_data(as_text=True)
        assert "<svg" in svg and "<script" not in svg and "script-src" not in response.headers["Content-Security-Policy"]
    assert "国际标准" in viewer.get("/admin/p/city_targets/chart/progress.svg").get_data(as_text=True)
    assert "嘉善县" in viewer.get("/admin/p/city_targets/chart/assessment.svg?year=2024").get_data(as_text=True)
    assert viewer.get("/admin/p/city_targets/chart/pie.svg").status_code == 404


@pytest.mark.parametrize("url", ["/admin/p/city_targets/?year=abc", "/admin/p/city_targets/?county=999999",
                                 "/admin/p/city_targets/items?target=nothing", "/admin/p/city_targets/items",
                                 "/admin/p/city_targets/assessment?year=1800", "/admin/p/city_targets/county/330400",
                                 "/admin/p/city_targets/county/x"])
def test_bad_arguments_are_404_not_500(demo, stdpolicy_login, url) -> None:
    assert stdpolicy_login("dept_viewer", "market_regulation").get(url).status_code == 404


def test_other_departments_do_not_see_the_pages(demo, stdpolicy_login) -> None:
    assert stdpolicy_login("dept_viewer", "civil_affairs").get("/admin/p/city_targets/").status_code == 404


def test_the_english_pages(demo, stdpolicy_login) -> None:
    viewer = stdpolicy_login("dept_viewer", "market_regulation")
    viewer.post("/language/en", data={"next": ""})
    html = viewer.get("/admin/p/city_targets/assessment?year=2024").get_data(as_text=True)
    assert "County assessment" in html and "Rank" in html and "县(市、区)年度考核" not in html


def test_the_example_evaluates_with_an_explained_outcome_for_every_record(demo) -> None:
    result = demo.invoke(args=["evaluate", str(EXAMPLE), "--department", "market_regulation"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["invalid"] == 0
    for item in data["results"]:
        assert item["outcomes"], item["id"]
        for outcome in item["outcomes"]:
            assert outcome["explanation"]["zh"] and outcome["explanation"]["en"]
    talent = [i for i in data["results"] if i["kind"] == "talent_enterprise"]
    assert talent and all(o["status"] == "tracking" and "第一部分第(二)项" in o["explanation"]["zh"]
                          for i in talent for o in i["outcomes"])


def test_the_plugin_reaches_past_no_api() -> None:
    assert private_uses(PLUGIN_DIR) == []
