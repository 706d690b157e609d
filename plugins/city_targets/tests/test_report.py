"""The annual report (issue #12, part 4) on the demo data, checked against figures made independently.

Targets: counted from the raw demo records (``test_pages.count``); rewards:
summed with plain SQL over the outcomes table (paid: status ok; held: the
would-be amount in ``details``, apart). The PDF is read back with pypdf,
the workbook with openpyxl; the command and the admin download alike.
"""

from __future__ import annotations

import io
import json
import re
from collections import defaultdict

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import create_engine, text

from core import CITY_REGIONS

from .test_pages import GOALS, TARGETS, count, demo  # noqa: F401 — the fixture

pytestmark = pytest.mark.stdpolicy_plugins("city_targets", "reward_tiers")

YEAR = 2024
NAMES = {"international": "国际标准", "national": "国家标准", "zhejiang_made": "浙江制造", "pilots": "试点",
         "awards": "奖", "talent": "人才企业", "secretariats": "秘书处"}


def _sql_rewards(database_url: str, year: int) -> tuple[dict[str, int], dict[str, int]]:
    """(paid, held) yuan per county code: reward_tiers' current outcomes on activities of ``year``, plain SQL."""
    engine = create_engine(database_url)
    paid: dict[str, int] = defaultdict(int)
    held: dict[str, int] = defaultdict(int)
    try:
        with engine.connect() as connection:
            for code, amount, status, details in connection.execute(text(
                "SELECT o.credit_code, r.amount, r.status, r.details FROM outcomes r "
                "JOIN activities a ON r.activity_id = a.id JOIN organisations o ON a.organisation_id = o.id "
                "WHERE r.plugin = 'reward_tiers' AND r.superseded_at IS NULL AND r.status IN ('ok', 'held') "
                "AND a.date >= :start AND a.date <= :end"), {"start": f"{year}-01-01", "end": f"{year}-12-31"}):
                if status == "ok":
                    paid[code[2:8]] += int(amount)
                else:
                    details = json.loads(details) if isinstance(details, str) else (details or {})
                    held[code[2:8]] += int(details.get("held_amount", 0))
    finally:
        engine.dispose()
    return ({c: v for c, v in paid.items() if v}, {c: v for c, v in held.items() if v})


def _pdf_text(data: bytes) -> str:
    return re.sub(r"[ \t]+", " ", "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


def _check_pdf(data: bytes, paid: dict[str, int]) -> None:
    assert data.startswith(b"%PDF")
    content = _pdf_text(data)
    assert f"嘉兴市标准化工作{YEAR}年度报告" in content and "第 1 页 共" in content
    lines = content.splitlines()
    for target in TARGETS:
        # The target's row: its name, goal, the year's count, the count to the year's end.
        so_far = sum(count(target, y) for y in range(2022, YEAR + 1))
        row = [line for line in lines if NAMES[target] in line and re.search(
            rf"\b{GOALS[target]} {count(target, YEAR)} {so_far}\b", line)]
        assert row, (target, [line for line in lines if NAMES[target] in line])
    counties = content.split("四、", 1)[1].split("五、", 1)[0]  # the section of totals per county
    for county, amount in paid.items():
        assert re.search(rf"^{re.escape(CITY_REGIONS[county].zh)} \d+ {amount:,} ", counties, re.M), county
    assert "reward_tiers" not in content and "city_targets" not in content  # no codes or keys


def _check_xlsx(data: bytes, paid: dict[str, int], held: dict[str, int]) -> None:
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["发展目标", "县域考核", "奖励(按条款和县)", "奖励(按县)", "获奖单位排名"]
    targets = list(book["发展目标"].iter_rows(min_row=3, values_only=True))
    assert [(goal, new, so_far) for _, goal, new, so_far, _ in targets] == [
        (GOALS[t], count(t, YEAR), sum(count(t, y) for y in range(2022, YEAR + 1))) for t in TARGETS]
    counties = {r[0]: (r[2], r[3]) for r in book["奖励(按县)"].iter_rows(min_row=3, values_only=True)}
    total = counties.pop("合计")
    assert counties == {CITY_REGIONS[c].zh: (paid.get(c, 0), held.get(c, 0)) for c in set(paid) | set(held)}
    assert total == (sum(paid.values()), sum(held.values()))
    by_rule = list(book["奖励(按条款和县)"].iter_rows(min_row=3, values_only=True))
    assert by_rule[-1][0] == "合计" and sum(r[3] for r in by_rule[:-1]) == sum(paid.values())
    assessment = list(book["县域考核"].iter_rows(min_row=3, values_only=True))
    assert {r[1]: r[2:2 + len(TARGETS)] for r in assessment} == {
        CITY_REGIONS[c].zh: tuple(count(t, YEAR, c) for t in TARGETS) for c in CITY_REGIONS if c != "330400"}
    top = list(book["获奖单位排名"].iter_rows(min_row=3, values_only=True))
    assert top and [r[4] for r in top] == sorted((r[4] for r in top), reverse=True)


def test_the_report_agrees_with_independent_figures(demo, stdpolicy_database_url, tmp_path) -> None:  # noqa: F811
    paid, held = _sql_rewards(stdpolicy_database_url, YEAR)
    assert paid and len(paid) > 1  # the demo pays rewards in several counties that year
    pdf, xlsx = tmp_path / "r.pdf", tmp_path / "r.xlsx"
    for fmt, out in (("pdf", pdf), ("xlsx", xlsx)):
        result = demo.invoke(args=["report", "--year", str(YEAR), "--format", fmt, "--output", str(out)])
        assert result.exit_code == 0, result.output
    _check_pdf(pdf.read_bytes(), paid)
    _check_xlsx(xlsx.read_bytes(), paid, held)


def test_the_report_is_a_download_on_the_targets_page(demo, stdpolicy_database_url, stdpolicy_login) -> None:  # noqa: F811
    viewer = stdpolicy_login("dept_viewer", "market_regulation")
    html = viewer.get(f"/admin/p/city_targets/?year={YEAR}").get_data(as_text=True)
    assert "下载年度报告(PDF)" in html and "下载年度报告(Excel)" in html
    link = re.search(r'id="report-xlsx" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    response = viewer.get(link)
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    paid, held = _sql_rewards(stdpolicy_database_url, YEAR)
    _check_xlsx(response.data, paid, held)
    link = re.search(r'id="report-pdf" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    response = viewer.get(link)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    _check_pdf(response.data, paid)
    for bad in ("?year=1999&format=pdf", "?year=2024&format=doc", "?year=x"):
        assert viewer.get(f"/admin/p/city_targets/report{bad}").status_code == 404, bad


def test_bad_report_options_are_clear_errors(demo, tmp_path) -> None:  # noqa: F811
    result = demo.invoke(args=["report", "--year", "2024", "--format", "doc", "--output", str(tmp_path / "x")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    result = demo.invoke(args=["report", "--year", "2024", "--format", "xlsx",
                               "--output", str(tmp_path / "missing" / "x.xlsx")])
    assert result.exit_code == 1 and "cannot write" in result.output


def test_held_rewards_are_shown_apart_from_the_paid(demo, stdpolicy_database_url, tmp_path) -> None:  # noqa: F811
    """Two organisations both claim rank 1 on one standard: both held (待核实), their amounts apart, never paid."""
    before, _ = _sql_rewards(stdpolicy_database_url, YEAR)
    records = tmp_path / "held.json"
    records.write_text(json.dumps([
        {"id": "RPT-H1", "kind": "standard_drafting", "date": "2024-06-28", "credit_code": "913304007429141869",
         "organisation": "嘉兴市某某制造有限公司", "standard_code": "GB/T 49901-2024", "rank": 1},
        {"id": "RPT-H2", "kind": "standard_drafting", "date": "2024-07-02", "credit_code": "91330482MA2AH5T006",
         "organisation": "平湖光电新能源有限公司", "standard_code": "GB/T 49901-2024", "rank": 1},
    ], ensure_ascii=False), encoding="utf-8")
    result = demo.invoke(args=["import", str(records)])
    assert result.exit_code == 0, result.output
    paid, held = _sql_rewards(stdpolicy_database_url, YEAR)
    assert paid == before and set(held) == {"330400", "330482"}
    out = tmp_path / "r.xlsx"
    assert demo.invoke(args=["report", "--year", str(YEAR), "--format", "xlsx", "--output", str(out)]).exit_code == 0
    counties = {r[0]: (r[2], r[3]) for r in load_workbook(out)["奖励(按县)"].iter_rows(min_row=3, values_only=True)}
    assert counties.pop("合计") == (sum(paid.values()), sum(held.values()))
    assert counties == {CITY_REGIONS[c].zh: (paid.get(c, 0), held.get(c, 0)) for c in set(paid) | set(held)}
    out = tmp_path / "r.pdf"
    assert demo.invoke(args=["report", "--year", str(YEAR), "--format", "pdf", "--output", str(out)]).exit_code == 0
    section = _pdf_text(out.read_bytes()).split("四、", 1)[1].split("五、", 1)[0]
    for county, amount in held.items():
        assert re.search(rf"^{re.escape(CITY_REGIONS[county].zh)} \d+ {paid.get(county, 0):,} {amount:,}$", section, re.M)
