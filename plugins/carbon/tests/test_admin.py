"""The carbon plugin end to end on a database (SQLite, or PostgreSQL with STDPOLICY_DATABASE_URL):
reference data recorded by the command line, records imported, outcomes stored, the plugin's pages,
filters and XLSX exports, who may see them; `stdpolicy evaluate` on the shipped example file."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

import plugins.carbon
from core.testing import private_uses

pytestmark = pytest.mark.stdpolicy_plugins("carbon", "reward_tiers")

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "docs" / "examples" / "carbon.json"

QUOTAS = [
    {"standard": "GB 16780-2021", "title": "水泥单位产品能源消耗限额", "product": "水泥熟料", "industry": "建材",
     "indicators": [{"name": "熟料单位产品综合能耗", "unit": "kgce/t", "direction": "lower",
                     "grades": ["100", "108", "117"], "limit": "117", "access": "108"}]},
    {"standard": "GB 21256-2013", "title": "粗钢生产主要工序单位产品能源消耗限额", "product": "烧结", "industry": "钢铁",
     "indicators": [{"name": "工序能耗", "unit": "kgce/t", "direction": "lower", "grades": ["45", "50", "55"]}]},
]


def test_the_plugin_uses_the_plugin_api_only() -> None:
    assert private_uses(Path(plugins.carbon.__file__).parent) == []


@pytest.fixture
def carbon_data(stdpolicy_runner, tmp_path):
    """Quota editions recorded through the command line, then the example file and two more reports imported."""
    table = tmp_path / "quotas.json"
    table.write_text(json.dumps(QUOTAS, ensure_ascii=False), encoding="utf-8")
    done = stdpolicy_runner.invoke(args=[
        "refdata", "import", "carbon.quota_standards", str(table), "--from", "2022-11-01",
        "--reason", "测试:登记限额", "--reference", "测试用限额(非标准规定值)"])
    assert done.exit_code == 0, done.output
    records = json.loads(EXAMPLES.read_text(encoding="utf-8"))
    records += [
        {"id": "STEEL-OK", "kind": "energy_quota_report", "date": "2024-03-18", "credit_code": "91330481MA2TEE0282",
         "organisation": "海宁示例建材有限公司", "reporting_year": 2023, "product": "烧结", "quota_standard": "GB 21256-2013",
         "indicator": "工序能耗", "value": "48.6", "unit": "kgce/t", "plant_type": "existing"},
        {"id": "STEEL-BAD", "kind": "energy_quota_report", "date": "2025-03-18", "credit_code": "91330421MA2CHM063F",
         "organisation": "嘉善示例化工有限公司", "reporting_year": 2024, "product": "烧结", "quota_standard": "GB 21256-2013",
         "indicator": "工序能耗", "value": "0.0562", "unit": "tce/t", "plant_type": "existing"},
    ]
    path = tmp_path / "carbon.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    done = stdpolicy_runner.invoke(args=["import", str(path), "--department", "development_reform"])
    assert done.exit_code == 0, done.output
    return records


def test_evaluate_the_example_file_from_the_command_line(stdpolicy_runner) -> None:
    """Done when: no invalid record and an explained outcome for each (quota reports held: no edition recorded)."""
    records = json.loads(EXAMPLES.read_text(encoding="utf-8"))
    done = stdpolicy_runner.invoke(args=["evaluate", str(EXAMPLES), "--department", "development_reform"])
    assert done.exit_code == 0, done.output
    result = json.loads(done.output)
    assert result["invalid"] == 0
    assert [r["id"] for r in result["results"]] == [r["id"] for r in records]
    for record in result["results"]:
        assert record["outcomes"], record["id"]
        for outcome in record["outcomes"]:
            assert outcome["plugin"] == "carbon" and outcome["clause"] == "二(五)1"
            assert "第二部分第(五)项第1目" in outcome["explanation"]["zh"] and outcome["explanation"]["en"]
    held = {r["id"] for r in result["results"] if r["outcomes"][0]["rule"] == "Q9"}
    assert held == {"CB-Q1", "CB-Q2", "CB-Q3"}


def test_the_rectification_list_filters_and_exports(carbon_data, stdpolicy_login) -> None:
    viewer = stdpolicy_login("dept_viewer", "ecology_environment")
    page = viewer.get("/admin/p/carbon/rectification")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    # CB-Q2 (a new plant missing the access value) and STEEL-BAD (56.2 kgce/t against a limit of 55).
    assert "海宁示例建材有限公司" in html and "嘉善示例化工有限公司" in html
    assert "海盐示例水泥有限公司" not in html               # compliant (CB-Q1) and held (CB-Q3) are not listed
    only_2024 = viewer.get("/admin/p/carbon/rectification?year=2024").get_data(as_text=True)
    assert "嘉善示例化工有限公司" in only_2024 and "海宁示例建材有限公司" not in only_2024
    haining = viewer.get("/admin/p/carbon/rectification?county=330481").get_data(as_text=True)
    assert "海宁示例建材有限公司" in haining and "嘉善示例化工有限公司" not in haining
    steel = viewer.get("/admin/p/carbon/rectification?industry=钢铁").get_data(as_text=True)
    assert "嘉善示例化工有限公司" in steel and "海宁示例建材有限公司" not in steel
    export = viewer.get("/admin/p/carbon/rectification.xlsx?county=330421")
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "单位" and len(rows) == 2 and rows[1][0] == "嘉善示例化工有限公司"
    assert rows[1][2] == "嘉善县"


def test_the_overview_and_the_other_lists(carbon_data, stdpolicy_login) -> None:
    admin = stdpolicy_login("dept_admin", "development_reform")
    overview = admin.get("/admin/p/carbon/").get_data(as_text=True)
    assert "按行业统计能耗限额达标率" in overview and "建材" in overview and "钢铁" in overview
    assert "50.0%" in overview                                 # steel: one of two reports compliant
    assert "碳足迹" in overview and "碳标签" in overview
    counties = overview.split('id="certificates-by-county"')[1].split("</table>")[0]
    assert "南湖区" in counties and "桐乡市" in counties
    for page, words in (("certificates", "CQC-LC-2021-0301"), ("achievements", "GB/T 24067-2024"),
                        ("accounting", "GB/T 32151.8-2015")):
        response = admin.get(f"/admin/p/carbon/{page}")
        assert response.status_code == 200 and words in response.get_data(as_text=True), page
        export = admin.get(f"/admin/p/carbon/{page}.xlsx")
        assert export.status_code == 200
        assert len(list(load_workbook(io.BytesIO(export.data)).active.iter_rows())) >= 2, page
    accounting = admin.get("/admin/p/carbon/accounting").get_data(as_text=True)
    assert "水泥生产企业" in accounting and ">cement<" not in accounting      # sector names, not codes
    assert admin.get("/admin/p/carbon/accounting.pdf").status_code == 404


def test_departments_without_the_plugin_get_404(carbon_data, stdpolicy_login) -> None:
    assert stdpolicy_login("dept_viewer", "market_regulation").get("/admin/p/carbon/").status_code == 404
    assert stdpolicy_login("dept_viewer", "ecology_environment").get("/admin/p/carbon/").status_code == 200


def test_the_overview_links_to_the_reference_tables_and_parameters(stdpolicy_login) -> None:
    admin = stdpolicy_login("dept_admin", "development_reform")
    overview = admin.get("/admin/p/carbon/").get_data(as_text=True)
    for key in ("carbon.quota_standards", "carbon.carbon_standards", "carbon.accounting_standards"):
        assert f"/reference-data/{key}" in overview
    link = next(part.split('"')[0] for part in overview.split('href="')[1:]
                if part.startswith(("/", "http")) and "carbon.accounting_standards" in part.split('"')[0])
    table = admin.get(link)
    assert table.status_code == 200 and "GB/T 32151.31" in table.get_data(as_text=True)


def test_init_demo_stores_the_sample_records_and_the_sample_quota_versions(stdpolicy_runner, stdpolicy_login) -> None:
    done = stdpolicy_runner.invoke(args=["init", "--demo"])
    assert done.exit_code == 0, done.output
    assert "demo (carbon): stored 16 activities" in done.output
    again = stdpolicy_runner.invoke(args=["init", "--demo"])
    assert "demo (carbon): stored 0 activities, 16 already there" in again.output
    page = stdpolicy_login("dept_viewer", "ecology_environment").get("/admin/p/carbon/rectification")
    html = page.get_data(as_text=True)
    assert "海宁示例建材有限公司" in html and "示例数据" in html     # the explanation says it read sample data


def test_the_rectification_list_from_the_command_line(carbon_data, stdpolicy_runner, tmp_path) -> None:
    listed = stdpolicy_runner.invoke(args=["carbon-rectification"])
    assert listed.exit_code == 0, listed.output
    assert "海宁示例建材有限公司" in listed.output and "嘉善示例化工有限公司" in listed.output
    assert "2 家企业列入整改名单" in listed.output
    only = stdpolicy_runner.invoke(args=["carbon-rectification", "--county", "330421", "--lang", "en"])
    assert "嘉善示例化工有限公司" in only.output and "海宁示例建材有限公司" not in only.output
    assert "Jiashan County" in only.output and "1 on the rectification list" in only.output
    path = tmp_path / "list.xlsx"
    written = stdpolicy_runner.invoke(args=["carbon-rectification", "--year", "2023", "--xlsx", str(path)])
    assert written.exit_code == 0 and "1 rows written" in written.output
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert rows[0][0] == "单位" and rows[1][0] == "海宁示例建材有限公司" and "整改名单" in rows[1][-1]
    bad = stdpolicy_runner.invoke(args=["carbon-rectification", "--xlsx", str(tmp_path / "no" / "such" / "dir.xlsx")])
    assert bad.exit_code != 0 and "cannot write" in bad.output


def test_an_enterprise_named_like_a_formula_is_text_in_the_commands_workbook(stdpolicy_runner, tmp_path) -> None:
    # openpyxl writes text starting with "=" as a formula: the name would run in whoever opens the list.
    table = tmp_path / "quotas.json"
    table.write_text(json.dumps(QUOTAS, ensure_ascii=False), encoding="utf-8")
    assert stdpolicy_runner.invoke(args=["refdata", "import", "carbon.quota_standards", str(table), "--from", "2022-11-01",
                                         "--reason", "测试", "--reference", "测试用限额"]).exit_code == 0
    name = '=HYPERLINK("http://evil.example/","点此核对")'
    path = tmp_path / "formula.json"
    path.write_text(json.dumps([{
        "id": "F-1", "kind": "energy_quota_report", "date": "2025-03-18", "credit_code": "91330421MA2CHM063F",
        "organisation": name, "reporting_year": 2024, "product": "烧结", "quota_standard": "GB 21256-2013",
        "indicator": "工序能耗", "value": "0.0562", "unit": "tce/t", "plant_type": "existing"}], ensure_ascii=False),
        encoding="utf-8")
    done = stdpolicy_runner.invoke(args=["import", str(path), "--department", "development_reform"])
    assert done.exit_code == 0, done.output
    out = tmp_path / "list.xlsx"
    assert stdpolicy_runner.invoke(args=["carbon-rectification", "--xlsx", str(out)]).exit_code == 0
    first = next(row for row in load_workbook(out).active.iter_rows(min_row=2))[0]
    assert (first.value, first.data_type) == (name, "s")
