"""End to end with a database: `stdpolicy init --demo`, import, evaluate, the check command, the admin pages."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

pytestmark = pytest.mark.stdpolicy_plugins("public_services")

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "docs/examples/public_services.json"
PAGES = ("/admin/p/public_services/", "/admin/p/public_services/alerts", "/admin/p/public_services/trends",
         "/admin/p/public_services/lists", "/admin/p/public_services/pilots")


@pytest.fixture
def demo(stdpolicy_runner):
    """The sample lists (`init --demo`) and the example records imported for civil affairs."""
    result = stdpolicy_runner.invoke(args=["init", "--demo"])
    assert result.exit_code == 0, result.output
    assert "public_services.service_list version 2 from 2024-01-01 (7 rows, sample data)" in result.output
    result = stdpolicy_runner.invoke(args=["import", str(EXAMPLE), "--department", "civil_affairs"])
    assert result.exit_code == 0, result.output
    return stdpolicy_runner


def test_the_example_evaluates_with_an_explained_outcome_for_every_record(demo):
    result = demo.invoke(args=["evaluate", str(EXAMPLE), "--department", "civil_affairs"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["invalid"] == 0
    records = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert [r["id"] for r in data["results"]] == [r["id"] for r in records]
    statuses = {}
    for item in data["results"]:
        (outcome,) = [o for o in item["outcomes"] if o["plugin"] == "public_services"]
        assert outcome["amount"] == 0 and outcome["clause"] == "二(三)1"
        assert "第二部分第(三)项第1目" in outcome["explanation"]["zh"] and outcome["explanation"]["en"]
        assert outcome["references"][0]["key"] == "public_services.service_list"
        assert outcome["references"][0]["source"] == "demo" and "示例数据" in outcome["explanation"]["zh"]
        statuses[item["id"]] = outcome["status"]
    assert statuses == {"PS-2024Q1-NH-child": "compliant", "PS-2024Q1-HN-child": "non_compliant",
                        "PS-2024Q1-NH-care": "tracking", "PS-2023-TX-dibao": "compliant",
                        "PS-2023-JX-library": "non_compliant", "PP-2023-eldercare": "tracking"}


def test_without_the_samples_no_service_list_is_in_force_and_records_say_so(stdpolicy_runner):
    assert stdpolicy_runner.invoke(args=["init"]).exit_code == 0
    result = stdpolicy_runner.invoke(args=["evaluate", str(EXAMPLE), "--department", "civil_affairs"])
    data = json.loads(result.output)
    assert data["invalid"] == 6
    errors = [e for item in data["results"] for e in item["errors"]]
    assert "2024年3月31日无有效的服务清单,无法核对服务项目" in [e["message_zh"] for e in errors]


def test_the_check_command_finds_lower_gaps_and_outdated(demo):
    result = demo.invoke(args=["public-services-check", "--on", "2024-06-02", "--format", "json"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert [(f["item_code"], f["standard"], f["local_value"], f["national_value"]) for f in data["lower"]] == [
        ("4.1.1", "DB3304/T 9002-2022", "88", "90")]
    assert [f["item_code"] for f in data["gaps"]] == ["1.1.1", "5.1.1", "7.1.1"]
    assert [f["standard"] for f in data["outdated"]] == ["GB/T 90002-2016", "GB/T 90005-2019"]
    assert data["review_years"] == 5 and data["service_list"]["sequence"] == 2
    # A longer review age (a new parameter version) leaves the 2019 standard alone.
    result = demo.invoke(args=["params", "set", "public_services.review_years", "6", "--from", "2024-01-01",
                               "--reason", "测试", "--reference", "测试"])
    assert result.exit_code == 0, result.output
    data = json.loads(demo.invoke(args=["public-services-check", "--on", "2024-06-02", "--format", "json"]).output)
    assert [f["standard"] for f in data["outdated"]] == ["GB/T 90002-2016"]


def test_the_check_command_says_when_no_list_is_in_force(stdpolicy_runner):
    assert stdpolicy_runner.invoke(args=["init"]).exit_code == 0
    result = stdpolicy_runner.invoke(args=["public-services-check"])
    assert result.exit_code == 2 and "no service list or standards list in force" in result.output


def test_the_pages_show_the_checks_and_the_monitoring_chinese_first(demo, stdpolicy_login):
    viewer = stdpolicy_login("dept_viewer", "civil_affairs")
    overview = viewer.get("/admin/p/public_services/").get_data(as_text=True)
    assert "标准实施监测总览" in overview and "南湖区" in overview and "幼有所育" in overview
    assert "1/1 达标" in overview and "0/1 达标" in overview and "跟踪 1" in overview
    alerts = viewer.get("/admin/p/public_services/alerts").get_data(as_text=True)
    assert "海宁市" in alerts and "公共文化设施免费开放(示例)" in alerts and "南湖区" not in alerts
    lists = viewer.get("/admin/p/public_services/lists?on=2024-06-02").get_data(as_text=True)
    assert "DB3304/T 9002-2022" in lists and "增补叶酸预防神经管缺陷(示例)" in lists and "GB/T 90005-2019" in lists
    assert "示例数据" in lists and "reference-data/public_services.service_list" in lists
    trends = viewer.get("/admin/p/public_services/trends?item=1.2.1").get_data(as_text=True)
    assert "93.5" in trends and "88.0" in trends
    pilots = viewer.get("/admin/p/public_services/pilots").get_data(as_text=True)
    assert "居家养老服务标准化试点(示例)" in pilots and "已立项,未验收" in pilots
    english = stdpolicy_login("dept_viewer", "civil_affairs")
    english.post("/language/en", data={"next": ""})
    for page in PAGES:
        response = english.get(page)
        assert response.status_code == 200
    text = english.get(PAGES[0]).get_data(as_text=True)
    assert "Monitoring overview" in text and "Nanhu District" in text and "1 of 1 met" in text


@pytest.mark.parametrize(("url", "header"), [
    ("/admin/p/public_services/?format=xlsx", "达标指标数"),
    ("/admin/p/public_services/alerts?format=xlsx", "实测值"),
    ("/admin/p/public_services/trends?item=1.2.1&format=xlsx", "实测值"),
    ("/admin/p/public_services/lists?on=2024-06-02&check=lower&format=xlsx", "地方标准值"),
    ("/admin/p/public_services/lists?on=2024-06-02&check=gaps&format=xlsx", "原因"),
    ("/admin/p/public_services/lists?on=2024-06-02&check=outdated&format=xlsx", "复审到期日"),
    ("/admin/p/public_services/pilots?format=xlsx", "覆盖服务项目"),
])
def test_every_list_exports_to_xlsx(demo, stdpolicy_login, url, header):
    response = stdpolicy_login("dept_viewer", "civil_affairs").get(url)
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert header in rows[0] and len(rows) > 1


def test_bad_arguments_are_clear_errors_not_500(demo, stdpolicy_login):
    viewer = stdpolicy_login("dept_viewer", "civil_affairs")
    assert viewer.get("/admin/p/public_services/lists?on=2024-13-01").status_code == 400
    assert viewer.get("/admin/p/public_services/?year=abc").status_code == 400
    assert viewer.get("/admin/p/public_services/lists?check=nothing&format=xlsx").status_code == 404
    assert viewer.get("/admin/p/public_services/trends?item=9.9.9").status_code == 200


def test_other_departments_do_not_see_the_pages(demo, stdpolicy_login):
    for page in PAGES:
        assert stdpolicy_login("dept_viewer", "market_regulation").get(page).status_code == 404
    assert stdpolicy_login("dept_viewer", "health").get(PAGES[0]).status_code == 200


def test_the_plugin_reaches_past_no_api():
    from core.testing import private_uses

    assert private_uses(ROOT / "plugins/public_services") == []


def test_the_service_list_round_trips_through_xlsx_one_row_per_item(demo, tmp_path):
    """动态管理: export the list in force, change a standard value in the sheet, import it as a new dated version;
    the difference names the item, a monitoring record of a later period reads the new version, a bad sheet stores nothing."""
    sheet_path = tmp_path / "service_list.xlsx"
    done = demo.invoke(args=["refdata", "export", "public_services.service_list", "--format", "xlsx", "--on", "2024-06-02",
                             "-o", str(sheet_path)])
    assert done.exit_code == 0, done.output
    book = load_workbook(sheet_path)
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["服务项目编号", "所属类别", "服务项目"]
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == 7                                             # one row per item
    (row,) = [r for r in rows if r[0].value == "1.2.1"]
    column = header.index("量化指标")
    indicators = json.loads(row[column].value)
    assert indicators[0]["标准值"] == "92"                             # the sample list's value: 93.5 meets it
    indicators[0]["标准值"] = "95"
    row[column].value = json.dumps(indicators, ensure_ascii=False)
    book.save(sheet_path)
    done = demo.invoke(args=["refdata", "import", "public_services.service_list", str(sheet_path), "--from", "2024-07-01",
                             "--reason", "测试:提高儿童健康管理率标准", "--reference", "测试文件"])
    assert done.exit_code == 0, done.output
    diff = json.loads(demo.invoke(args=["refdata", "diff", "public_services.service_list", "2", "3",
                                        "--format", "json"]).output)
    assert (diff["added"], diff["removed"], diff["changed"]) == (0, 0, 1)
    assert [(c["key"], [f["field"] for f in c["fields"]]) for c in diff["changed_rows"]] == [(["1.2.1"], ["indicators"])]
    record = {"id": "Q3", "kind": "service_monitoring", "date": "2024-10-10", "credit_code": "11330402002570138Y",
              "organisation": "南湖区卫生健康局", "region": "330402", "item_code": "1.2.1", "period": "2024Q3",
              "indicator": "coverage", "value": "93.5", "source": "测试"}
    path = tmp_path / "q3.json"
    path.write_text(json.dumps([record], ensure_ascii=False), encoding="utf-8")
    data = json.loads(demo.invoke(args=["evaluate", str(path), "--department", "civil_affairs"]).output)
    (outcome,) = [o for o in data["results"][0]["outcomes"] if o["plugin"] == "public_services"]
    assert outcome["status"] == "non_compliant" and outcome["references"][0]["sequence"] == 3
    # A sheet with a bad direction is refused naming the row and the nested field; nothing is stored.
    indicators[0]["达标方向"] = "越大越好吗"
    row[column].value = json.dumps(indicators, ensure_ascii=False)
    book.save(sheet_path)
    done = demo.invoke(args=["refdata", "import", "public_services.service_list", str(sheet_path), "--from", "2024-08-01",
                             "--reason", "测试", "--reference", "测试"])
    assert done.exit_code == 1 and "达标方向" in done.output
    history = demo.invoke(args=["refdata", "history", "public_services.service_list"]).output
    assert "2024-08-01" not in history


def test_init_demo_alone_fills_the_monitoring_pages_for_every_county(stdpolicy_runner, stdpolicy_login):
    """`init --demo` stores two quarters of sample monitoring (stdpolicy_demo_records): the pages are not empty."""
    result = stdpolicy_runner.invoke(args=["init", "--demo"])
    assert result.exit_code == 0, result.output
    assert "demo (public_services): stored 42 activities" in result.output
    viewer = stdpolicy_login("dept_viewer", "civil_affairs")
    trends = viewer.get("/admin/p/public_services/trends?item=5.1.2").get_data(as_text=True)
    for county in ("南湖区", "秀洲区", "嘉善县", "海盐县", "海宁市", "平湖市", "桐乡市"):
        assert county in trends, county
    alerts = viewer.get("/admin/p/public_services/alerts").get_data(as_text=True)
    # 2024 Q2: Tongxiang's child health coverage 87.9 % below the sample list's 90 %, Haining's
    # meal-service wait of 7 working days above its 5; Nanhu meets every indicator.
    assert "桐乡市" in alerts and "87.9" in alerts and "海宁市" in alerts and "南湖区" not in alerts
    again = stdpolicy_runner.invoke(args=["init", "--demo"])
    assert "demo (public_services): stored 0 activities, 42 already there" in again.output
