"""The admin pages, end to end on the test's database: records imported with the CLI, pages and exports read."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

pytestmark = pytest.mark.stdpolicy_plugins("benchmarking", "reward_tiers")

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples" / "benchmarking.json"
CAMPAIGNS_CSV = "年度,重点领域,专项行动名称,目标企业数,目标产品数\n2024,玻纤,2024年玻纤专项行动,4,2\n2024,光伏,2024年光伏专项行动,2,2\n"


def _import(runner, tmp_path: Path, records: list[dict]) -> None:
    path = tmp_path / "records.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output


def _campaigns(runner, tmp_path: Path) -> None:
    path = tmp_path / "campaigns.csv"
    path.write_text(CAMPAIGNS_CSV, encoding="utf-8")
    result = runner.invoke(args=["refdata", "import", "benchmarking.campaigns", str(path), "--from", "2024-01-01",
                                 "--reason", "2024年专项行动计划", "--reference", "嘉市监〔2024〕1号(测试)"])
    assert result.exit_code == 0, result.output


@pytest.fixture
def stored(stdpolicy_runner, tmp_path: Path) -> None:
    _campaigns(stdpolicy_runner, tmp_path)
    _import(stdpolicy_runner, tmp_path, json.loads(EXAMPLES.read_text(encoding="utf-8")))


def test_overview_shows_campaign_progress_and_rates(stored, stdpolicy_login) -> None:
    page = stdpolicy_login("dept_viewer", "market_regulation").get("/admin/p/benchmarking/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    # 玻纤: one enterprise enrolled and reporting (of 4), its one product met (of 2) → 25.0 % and 50.0 %
    assert "1 / 4" in text and "25.0%" in text and "1 / 2" in text and "50.0%" in text
    # 达标 rates by key field: 玻纤 1 of 1, 光伏 0 of 1; the result outside any campaign 0 of 1 (missing value)
    assert "100.0%" in text and "0.0%" in text
    assert "嘉善县" in text and "平湖市" in text and "桐乡市" in text   # by county, named
    assert "campaign_field" not in text and "benchmark_result" not in text   # no keys on the Chinese page
    # forerunners per year: 2024, one category, four evaluations, none listed (no number of places set)
    assert "<td>2024</td><td class=\"num\">1</td><td class=\"num\">4</td><td class=\"num\">0</td>" in text


def test_results_page_and_exports(stored, stdpolicy_login) -> None:
    client = stdpolicy_login("dept_viewer", "market_regulation")
    text = client.get("/admin/p/benchmarking/results").get_data(as_text=True)
    assert "7628型电子级玻璃纤维布" in text and "IEC 61249-2-21:2003" in text and "组件转换效率" in text
    sheet = load_workbook(io.BytesIO(client.get("/admin/p/benchmarking/results.xlsx").data)).active
    rows = list(sheet.values)
    assert rows[0][0] == "编号" and len(rows) == 4
    indicators = list(load_workbook(io.BytesIO(client.get("/admin/p/benchmarking/results-indicators.xlsx").data)).active.values)
    assert len(indicators) == 1 + 4 + 2 + 2          # one row per indicator, grouped by record id
    assert [r[0] for r in indicators[1:5]] == ["BM-R1"] * 4
    assert "越高越好" in indicators[1]


def test_forerunner_list_exports_and_prints(stored, stdpolicy_login, stdpolicy_runner) -> None:
    client = stdpolicy_login("dept_viewer", "market_regulation")
    text = client.get("/admin/p/benchmarking/forerunners").get_data(as_text=True)
    assert "2024年度“电子级玻璃纤维布”企业标准领跑者榜单" in text and "名额尚未设定" in text
    query = "?year=2024&category=电子级玻璃纤维布"
    sheet = list(load_workbook(io.BytesIO(client.get("/admin/p/benchmarking/forerunners.xlsx" + query).data)).active.values)
    assert [r[1] for r in sheet[1:]] == ["桐乡玻纤复合材料有限公司", "嘉兴禾润新材料股份有限公司", "浙江秀洲智能装备有限公司",
                                         "海盐精工紧固件有限公司"]
    printed = client.get("/admin/p/benchmarking/forerunners/print" + query)
    assert printed.status_code == 200 and "print.css" in printed.get_data(as_text=True)
    assert client.get("/admin/p/benchmarking/forerunners.xlsx?year=1999&category=x").status_code == 404
    assert client.get("/admin/p/benchmarking/forerunners/print?year=abc").status_code == 404


def test_adoptions_page_counts_idt_and_mod_only(stored, stdpolicy_login) -> None:
    client = stdpolicy_login("dept_viewer", "market_regulation")
    text = client.get("/admin/p/benchmarking/adoptions").get_data(as_text=True)
    assert "计入采用1项,非等效1项" in text and "GB/T 24025-2009" in text
    sheet = list(load_workbook(io.BytesIO(client.get("/admin/p/benchmarking/adoptions.xlsx").data)).active.values)
    assert len(sheet) == 3


def test_other_departments_do_not_see_the_pages(stdpolicy_login) -> None:
    assert stdpolicy_login("dept_viewer", "civil_affairs").get("/admin/p/benchmarking/").status_code == 404
    assert stdpolicy_login("dept_viewer", "market_regulation").get("/admin/p/benchmarking/").status_code == 200


def test_a_campaign_not_on_the_list_in_force_is_refused(stdpolicy_runner, tmp_path: Path) -> None:
    _campaigns(stdpolicy_runner, tmp_path)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([{"id": "X", "kind": "campaign_enrolment", "date": "2024-03-01",
                                 "credit_code": "913304007429141869", "campaign_year": 2024,
                                 "campaign_field": "智能家居"}], ensure_ascii=False), encoding="utf-8")
    result = stdpolicy_runner.invoke(args=["import", str(path)])
    assert result.exit_code == 1
    assert "campaign_field" in result.output and "智能家居" in result.output


def test_an_enrolment_on_the_list_cites_its_version(stdpolicy_runner, tmp_path: Path) -> None:
    _campaigns(stdpolicy_runner, tmp_path)
    path = tmp_path / "ok.json"
    path.write_text(json.dumps([{"id": "X", "kind": "campaign_enrolment", "date": "2024-03-01",
                                 "credit_code": "913304007429141869", "campaign_year": 2024,
                                 "campaign_field": "光伏"}], ensure_ascii=False), encoding="utf-8")
    result = stdpolicy_runner.invoke(args=["evaluate", str(path), "--department", "market_regulation"])
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.output)["results"][0]["outcomes"][0]
    assert "专项行动清单第1版" in outcome["explanation"]["zh"]
    assert outcome["references"][0]["key"] == "benchmarking.campaigns"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_registers_export_of_benchmarking_records_imports_again(stored, stdpolicy_login, stdpolicy_runner,
                                                                    tmp_path: Path, fmt: str) -> None:
    """Indicator lists and product lists travel as JSON in a cell of the register's export, and read back."""
    exported = stdpolicy_login("dept_admin", "market_regulation").get(f"/activities/export.{fmt}")
    assert exported.status_code == 200
    path = tmp_path / f"register.{fmt}"
    path.write_bytes(exported.data)
    again = stdpolicy_runner.invoke(args=["import", str(path)])
    assert again.exit_code == 0, again.output
    assert "stored 0 activities, skipped 10 already stored" in again.output


def test_init_demo_stores_the_samples_and_the_demo_records(stdpolicy_runner, stdpolicy_login) -> None:
    result = stdpolicy_runner.invoke(args=["init", "--demo"])
    assert result.exit_code == 0, result.output
    assert "demo (benchmarking): stored 11 activities" in result.output
    client = stdpolicy_login("dept_viewer", "market_regulation")
    overview = client.get("/admin/p/benchmarking/").get_data(as_text=True)
    assert "示例数据" in overview and "智能家居" in overview          # the sample campaign list, marked as such
    text = client.get("/admin/p/benchmarking/forerunners").get_data(as_text=True)
    assert "本类别名额2名" in text                                      # the sample quota of the category
    sheet = list(load_workbook(io.BytesIO(client.get(
        "/admin/p/benchmarking/forerunners.xlsx?year=2024&category=电子级玻璃纤维布").data)).active.values)
    assert [(r[0], r[7]) for r in sheet[1:]] == [(1, "是"), (2, "是"), (3, "否"), (None, "否")]
    again = stdpolicy_runner.invoke(args=["init", "--demo"])
    assert "demo (benchmarking): stored 0 activities, 11 already there" in again.output
