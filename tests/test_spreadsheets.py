"""Spreadsheets in and out (core/interchange/tabular.py, the register's exports):
what a clerk pasting from Excel brings — GBK, a BOM, 2024/8/4, Chinese headers
and labels, XLSX — and a register export that imports again."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from core.db import db
from core.interchange import InputError, parse_bytes
from core.models import ActivityRecord, OutcomeRecord

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = json.loads((ROOT / "docs/examples/activities.json").read_text(encoding="utf-8"))
TOTAL = 2550000

#: docs/examples/activities.json as a clerk's sheet: Chinese headers, labels, Excel-style dates.
CHINESE_HEADER = ["编号", "类型", "日期", "统一社会信用代码", "单位名称", "标准编号", "起草单位排名", "是否修订",
                  "技术委员会编号", "技术委员会级别", "奖项", "获奖项目", "试点级别", "是否通过验收", "试点项目"]
CHINESE_ROWS = [
    ["EX-001", "标准制定", "2025/6/20", "913304007429141869", "嘉兴市某某制造有限公司", "GB/T 45123—2025", "1", "", "", "", "", "", "", "", ""],
    ["EX-002", "标准制定", "2025-6-20", "91330482MA2AH5T006", "平湖光电新能源有限公司", "GB/T 45123—2025", "3", "否", "", "", "", "", "", "", ""],
    ["EX-003", "标准制定", "2025年4月11日", "91330421MA2D0L608J", "嘉善恒昇电子科技有限公司", "ISO/IEC 30182:2025", "2", "", "", "", "", "", "", "", ""],
    ["EX-004", "标准制定", "2025.8.8", "91330411MA29XR4082", "浙江秀洲智能装备有限公司", "DB33/T 1356—2025", "1", "是", "", "", "", "", "", "", ""],
    ["EX-005", "标准制定", "2022/5/30", "91330402MA2BK7Q04U", "嘉兴禾润新材料股份有限公司", "GB/T 41200-2022", "1", "", "", "", "", "", "", "", ""],
    ["EX-006", "技术委员会秘书处", "2025/9/15", "12330400470745605G", "嘉兴市标准化研究院", "", "", "", "SAC/TC 20/SC 3", "全国", "", "", "", "", ""],
    ["EX-007", "中国标准创新贡献奖", "2024/12/18", "913304007429141869", "嘉兴市某某制造有限公司", "", "", "", "", "", "一等奖", "智能制造 数字孪生系列标准", "", "", ""],
    ["EX-008", "标准化试点项目", "2025/10/28 0:00", "91330482MA2AH5T006", "平湖光电新能源有限公司", "", "", "", "", "", "", "", "国家级", "是", "国家级光伏运维标准化试点"],
]


def csv_bytes(header: list[str], rows: list[list], encoding: str = "utf-8", bom: bool = False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    data = out.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(sheets: dict[str, list[list]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def evaluate_file(runner, path: Path) -> tuple[int, dict]:
    result = runner.invoke(args=["evaluate", str(path)])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def reference(registry) -> list[tuple[str, str, int]]:
    report = registry.validate(EXAMPLES)
    result = registry.evaluate(report.valid)
    return sorted((o.activity.ref, o.rule, o.amount) for o in result.outcomes)


def outcomes_of(registry, records) -> list[tuple[str, str, int]]:
    report = registry.validate(records)
    assert not report.invalid, [(i.location, i.errors) for i in report.invalid]
    return sorted((o.activity.ref, o.rule, o.amount) for o in registry.evaluate(report.valid).outcomes)


def stored(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(ActivityRecord.id)))


# -- CSV: encodings, Chinese headers, labels, dates ---------------------------------------------


@pytest.mark.parametrize("encoding, bom", [("utf-8", False), ("utf-8", True), ("gbk", False), ("gb18030", False),
                                           ("utf-16", False)])
def test_a_clerks_csv_reads_as_the_json_example(registry, encoding, bom):
    data = csv_bytes(CHINESE_HEADER, CHINESE_ROWS, encoding, bom)
    records = parse_bytes(data, "申报表.csv", registry)
    assert outcomes_of(registry, records) == reference(registry)
    assert records[0]["date"] == "2025-06-20" and records[2]["date"] == "2025-04-11"
    assert records[5]["committee_level"] == "national" and records[6]["award"] == "first"
    assert records[7]["pilot_level"] == "national" and records[7]["accepted"] is True


def test_english_labels_and_codes_read_too(registry):
    header = ["Record id", "Kind", "Date", "Credit code", "Organisation", "Award", "Project"]
    rows = [["A1", "Standard Innovation Contribution Award", "2024/12/18", "913304007429141869", "x", "First prize", "p"],
            ["A2", "innovation_award", "2024-12-18", "913304007429141869", "x", "second", "q"]]
    records = parse_bytes(csv_bytes(header, rows), "x.csv", registry)
    assert [r["kind"] for r in records] == ["innovation_award"] * 2
    assert [r["award"] for r in records] == ["first", "second"]


def test_full_width_and_spaced_headers_and_thousands_separators(registry):
    header = [" 类型 ", "日期", "统一社会信用代码", "试点级别", "是否通过验收", "核定金额（元）"]
    rows = [["标准化试点项目", "2024/6/1", "913304007429141869", "省级", "是", "150,000"]]
    [record] = parse_bytes(csv_bytes(header, rows), "x.csv", registry)
    assert record == {"kind": "pilot_project", "date": "2024-06-01", "credit_code": "913304007429141869",
                      "pilot_level": "provincial", "accepted": True, "granted_amount": 150000}


def test_an_amount_in_wan_yuan_reads_as_yuan(registry):
    """The assessment writes 15万元; the clerk types it so, with a full-width comma elsewhere."""
    header = ["类型", "日期", "统一社会信用代码", "试点级别", "是否通过验收", "核定金额(元)"]
    rows = [["标准化试点项目", "2024/6/1", "913304007429141869", "省级", "是", "15万元"],
            ["标准化试点项目", "2024/6/1", "913304007429141869", "省级", "是", "150，000"],
            ["标准化试点项目", "2024/6/1", "913304007429141869", "省级", "是", "15.00005万"]]
    report = registry.validate(parse_bytes(csv_bytes(header, rows, encoding="gbk"), "x.csv", registry))
    assert [a.fields["granted_amount"] for a in report.valid] == [150000, 150000]
    [bad] = report.invalid
    assert [(e.field, e.message_zh) for e in bad.errors] == [("granted_amount", "金额必须是整数元(不能有小数)。")]


def test_a_title_row_above_the_header_is_passed_over(registry):
    data = csv_bytes(["2025年标准化奖励申报汇总表", "", ""], [[], ["类型", "日期", "统一社会信用代码", "奖项"],
                                                            ["中国标准创新贡献奖", "2024/12/18", "913304007429141869", "三等奖"]])
    records = parse_bytes(data, "x.csv", registry)
    assert records[0]["award"] == "third" and records.location(0).number == 4


def test_what_cannot_be_read_as_meant_is_left_to_validation(registry):
    header = ["类型", "日期", "统一社会信用代码", "奖项", "备注"]
    rows = [["中国标准创新贡献奖", "2024/2/30", "913304007429141869", "特等奖", "x"]]
    [item] = registry.validate(parse_bytes(csv_bytes(header, rows), "x.csv", registry)).invalid
    errors = {e.field: e for e in item.errors}
    assert set(errors) == {"date", "award", "备注"}
    assert errors["award"].message_zh == "必须是以下之一:一等奖、二等奖、三等奖、组织奖。"  # labels, no codes
    assert errors["备注"].message == "Unknown field."


def test_two_columns_giving_one_field_differently_are_an_error(registry):
    header = ["类型", "日期", "统一社会信用代码", "奖项", "award", "获奖项目"]
    rows = [["中国标准创新贡献奖", "2024/12/18", "913304007429141869", "一等奖", "second", "智能家居互联互通系列标准"],
            ["中国标准创新贡献奖", "2024/12/18", "913304007429141869", "一等奖", "first", "智能家居互联互通系列标准"]]
    report = registry.validate(parse_bytes(csv_bytes(header, rows), "x.csv", registry))
    [item] = report.invalid
    assert item.location.number == 2 and item.errors[0].field == "award"
    assert "奖项" in item.errors[0].message_zh and "award" in item.errors[0].message_zh
    assert len(report.valid) == 1


def test_a_table_without_a_kind_column_is_unreadable(registry):
    with pytest.raises(InputError) as exc:
        parse_bytes(csv_bytes(["日期", "统一社会信用代码"], [["2024/1/1", "913304007429141869"]]), "x.csv", registry)
    assert "'kind' column" in str(exc.value) and "活动类型" in exc.value.zh


# -- XLSX ------------------------------------------------------------------------------------


def test_xlsx_with_real_date_cells_and_numbers(registry):
    rows = [CHINESE_HEADER] + [
        [*row[:2], date.fromisoformat(json_record["date"]) if i % 2 else datetime.fromisoformat(json_record["date"]),
         *row[3:6], int(row[6]) if row[6] else None, *row[7:]]
        for i, (row, json_record) in enumerate(zip(CHINESE_ROWS, EXAMPLES))
    ]
    rows[1][6] = 1.0  # Excel keeps numbers as floats
    records = parse_bytes(xlsx_bytes({"汇总": rows}), "申报表.xlsx", registry)
    assert outcomes_of(registry, records) == reference(registry)
    assert records[0]["rank"] == 1 and type(records[0]["rank"]) is int
    assert records.location(7).sheet == "汇总" and records.location(7).number == 9


def test_a_credit_code_excel_stored_as_a_number_is_an_error_saying_so(registry):
    """A credit code typed into a number cell is kept to 15 significant digits (9.13304007429142E+17): the
    code cannot be told; the error says why and what to do, and a CSV Excel wrote from it (9.13304E+17) too.
    A number of 15 digits or fewer in a text field (an id) is read as its digits, as before."""
    header = ["编号", "类型", "日期", "统一社会信用代码", "奖项", "获奖项目"]
    row = ["x", "中国标准创新贡献奖", datetime(2024, 12, 18), 913304007429141869, "一等奖", "智能家居互联互通系列标准"]
    sheet = parse_bytes(xlsx_bytes({"汇总": [header, row, [123456789012345, *row[1:3], "913304007429141869", *row[4:]]]}),
                        "申报表.xlsx", registry)
    report = registry.validate(sheet)
    [item] = report.invalid
    [error] = item.errors
    assert error.field == "credit_code" and "Excel 只保留15位有效数字" in error.message_zh
    assert "format the column as Text" in error.message
    assert [a.ref for a in report.valid] == ["123456789012345"]
    rows = [["中国标准创新贡献奖", "2024/12/18", "9.13304E+17", "一等奖", "智能家居互联互通系列标准"]]
    [item] = registry.validate(parse_bytes(csv_bytes(header[1:], rows), "x.csv", registry)).invalid
    assert item.errors[0].message_zh.startswith("“9.13304E+17”是 Excel 把代码当作数字保存后的科学计数法")


def test_xlsx_a_sheet_per_kind_takes_the_kind_from_its_name(registry):
    drafting = [["编号", "日期", "统一社会信用代码", "标准编号", "起草单位排名"],
                ["D1", date(2025, 6, 20), "913304007429141869", "GB/T 45123—2025", 1]]
    awards = [["编号", "日期", "统一社会信用代码", "奖项"], ["A1", date(2024, 12, 18), "913304007429141869", "二等奖"]]
    records = parse_bytes(xlsx_bytes({"标准制定": drafting, "中国标准创新贡献奖": awards, "空白": []}), "x.xlsx", registry)
    assert [(r["id"], r["kind"]) for r in records] == [("D1", "standard_drafting"), ("A1", "innovation_award")]
    assert [records.location(i).sheet for i in range(2)] == ["标准制定", "中国标准创新贡献奖"]


def test_xlsx_a_data_sheet_that_names_no_kind_is_unreadable(registry):
    with pytest.raises(InputError) as exc:
        parse_bytes(xlsx_bytes({"说明": [["编号", "日期"], ["x", "y"]]}), "x.xlsx", registry)
    assert "sheet 说明" in str(exc.value) and "工作表“说明”" in exc.value.zh


@pytest.mark.parametrize("name, data, words", [
    ("x.xlsx", b"PK\x03\x04 not really a zip", "not an XLSX workbook"),
    ("x.xlsx", b"", "not an XLSX workbook"),
    ("x.xls", b"\xd0\xcf\x11\xe0", "Excel 97"),
])
def test_damaged_and_old_workbooks_are_unreadable(registry, name, data, words):
    with pytest.raises(InputError) as exc:
        parse_bytes(data, name, registry)
    assert words in str(exc.value)


def test_xlsx_errors_name_sheet_row_and_field_in_both_languages(app, runner, tmp_path):
    rows = [["编号", "日期", "统一社会信用代码", "奖项", "获奖项目"],
            ["A1", date(2024, 12, 18), "913304007429141869", "二等奖", "智能家居互联互通系列标准"],
            [], ["A2", date(2024, 12, 18), "913304007429141869", "四等奖", "光伏组件回收利用标准"]]
    path = tmp_path / "x.xlsx"
    path.write_bytes(xlsx_bytes({"中国标准创新贡献奖": rows}))
    code, doc = evaluate_file(runner, path)
    assert code == 1
    [bad] = [item for item in doc["results"] if item["errors"]]
    assert (bad["id"], bad["sheet"], bad["row"], bad["errors"][0]["field"]) == ("A2", "中国标准创新贡献奖", 4, "award")
    assert len(bad["errors"]) == 1
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 1
    assert "sheet 中国标准创新贡献奖, row 4 (A2): 工作表“中国标准创新贡献奖”第4行" in result.stderr
    assert "award: Must be one of: first, second, third, organization. / 奖项:必须是以下之一:一等奖、二等奖、三等奖、组织奖。" \
        in result.stderr
    assert stored(app) == 0


def test_cli_evaluates_and_imports_a_workbook(app, runner, tmp_path):
    path = tmp_path / "申报表.xlsx"
    path.write_bytes(xlsx_bytes({"汇总": [CHINESE_HEADER] + CHINESE_ROWS}))
    code, doc = evaluate_file(runner, path)
    assert code == 0 and doc["total_amount"] == TOTAL
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    assert "stored 8 activities" in result.output
    again = runner.invoke(args=["import", str(path)])
    assert "stored 0 activities, skipped 8 already stored" in again.output


# -- the admin's import page ----------------------------------------------------------------------


def upload(client, data: bytes, filename: str, lang: str = "zh_CN"):
    return client.post(f"/import?lang={lang}", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def confirm(client, html: str):
    token = re.search(r'<input id="token" name="token" type="hidden" value="([^"]+)"', html).group(1)
    return client.post("/import/confirm?lang=en", data={"token": token})


def test_admin_imports_a_workbook(app, client, login):
    login("mr_admin")
    response = upload(client, xlsx_bytes({"汇总": [CHINESE_HEADER] + CHINESE_ROWS}), "申报表.xlsx")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(r'id="sum-new">8<', html)
    assert confirm(client, html).status_code == 200
    with app.app_context():
        total = db.session.scalar(select(func.sum(OutcomeRecord.amount)).where(OutcomeRecord.superseded_at.is_(None)))
    assert stored(app) == 8 and total == TOTAL


def test_admin_shows_errors_in_chinese_with_locations_and_labels(app, client, login):
    login("mr_admin")
    rows = [["编号", "日期", "统一社会信用代码", "奖项", "获奖项目"],
            ["A1", date(2024, 12, 18), "913304007429141869", "特等奖", "x"],
            ["A2", "2024/2/30", "913304007429141869", "一等奖", "甲\t乙"]]
    html = upload(client, xlsx_bytes({"中国标准创新贡献奖": rows}), "x.xlsx").get_data(as_text=True)
    table = html.split('id="import-errors"', 1)[1].split("</table>", 1)[0]
    assert "工作表“中国标准创新贡献奖”第2行" in table and "工作表“中国标准创新贡献奖”第3行" in table
    fields = re.findall(r'<td class="field" data-field="[^"]*">(.*?)</td>', table, re.S)
    assert fields == ["奖项", "获奖项目", "日期"]
    text = re.sub(r"<[^>]+>", " ", table)
    text = re.sub(r"&#3\d;[^&]*&#3\d;", " ", text)  # the values given, as JSON
    assert not re.search(r"[A-Za-z]{3,}", text), text  # no English, no field keys, no codes
    assert stored(app) == 0


def test_admin_unreadable_workbook_reason_in_chinese(app, client, login):
    login("mr_admin")
    html = upload(client, b"not a workbook", "x.xlsx").get_data(as_text=True)
    assert "不是有效的 XLSX 工作簿" in html


# -- the register's exports import again ----------------------------------------------------------


@pytest.fixture
def stored_examples(app, runner, tmp_path):
    demo = ROOT / "core/data/demo_activities.json"
    for path in (ROOT / "docs/examples/activities.json", demo):
        assert runner.invoke(args=["import", str(path)]).exit_code == 0
    return stored(app)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_an_export_of_the_register_imports_again_as_already_stored(app, client, login, runner, tmp_path,
                                                                  stored_examples, fmt, lang):
    login("mr_admin")
    exported = client.get(f"/activities/export.{fmt}?lang={lang}").get_data()
    if lang == "zh_CN" and fmt == "csv":
        header = exported.decode("utf-8-sig").split("\r\n", 1)[0]
        assert "登记编号" in header and "标准编号" in header and "金额(元)" in header
        assert not re.search(r"[A-Za-z]{3,}", header)  # Chinese headers only
    # in the admin: every row valid, every activity already stored
    html = upload(client, exported, f"export.{fmt}", lang=lang).get_data(as_text=True)
    assert re.search(r'id="sum-invalid">0<', html), html.split('id="import-errors"')[-1][:2000]
    assert re.search(r'id="sum-new">0<', html)
    assert re.search(r'id="sum-stored">%d<' % stored_examples, html)
    # and from the command line
    path = tmp_path / f"export.{fmt}"
    path.write_bytes(exported)
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("stored 0 activities")
    assert stored(app) == stored_examples


def test_a_chinese_export_writes_coded_values_as_labels(app, client, login, stored_examples):
    login("mr_admin")
    text = client.get("/activities/export.csv?lang=zh_CN").get_data().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    ex6 = next(r for r in rows if r["登记编号"] == "EX-006")
    assert ex6["活动类型"] == "技术委员会秘书处" and ex6["技术委员会级别"] == "全国"
    assert ex6["政策插件"] == "标准化奖励与补助"
    assert "(第1版,自2022-08-01起施行)" in ex6["参数版本"] and "reward_tiers." not in ex6["参数版本"]
    ex4 = next(r for r in rows if r["登记编号"] == "EX-004")
    assert ex4["是否修订"] == "是" and ex4["标准级别"] == "地方标准"
    values = {v for r in rows for k, v in r.items() if k not in ("说明(英文)",)}
    leaked = {"national", "provincial", "third", "organization", "innovation_award", "reward_tiers"} & values
    assert not leaked, [(k, v) for r in rows for k, v in r.items() if v in leaked][:5]


def test_formula_protected_text_reads_back_as_it_was(app, client, login, runner, tmp_path):
    record = {"id": "=HYPERLINK(1)", "kind": "innovation_award", "date": "2024-12-18",
              "credit_code": "913304007429141869", "organisation": "+嘉兴", "award": "third", "project": "-1"}
    path = tmp_path / "x.json"
    path.write_text(json.dumps([record], ensure_ascii=False), encoding="utf-8")
    assert runner.invoke(args=["import", str(path)]).exit_code == 0
    login("mr_admin")
    exported = client.get("/activities/export.csv?lang=zh_CN").get_data()
    assert b"'=HYPERLINK(1)" in exported and b"'-1" in exported
    html = upload(client, exported, "export.csv").get_data(as_text=True)
    assert re.search(r'id="sum-new">0<', html) and re.search(r'id="sum-stored">1<', html)


@pytest.mark.parametrize("user", ["mr_admin", "ca_admin"])  # civil affairs may not import these kinds at all
def test_the_chinese_preview_of_the_bad_example_has_no_english(app, client, login, user):
    login(user)
    data = (ROOT / "docs/examples/with-errors.json").read_bytes()
    html = upload(client, data, "with-errors.json").get_data(as_text=True)
    table = html.split('id="import-errors"', 1)[1].split("</table>", 1)[0]
    table = re.sub(r"EX-BAD-\d", " ", table)  # the records' own ids
    text = re.sub(r"<code>.*?</code>", " ", table, flags=re.S)  # the values given
    text = re.sub(r"&#34;[^&]*&#34;", " ", text)  # a value quoted in a message ("prize" as a kind)
    text = re.sub(r"<[^>]+>", " ", text)
    assert "第" in text and not re.search(r"[a-z]{3,}", text), re.findall(r"\S*[a-z]{3,}\S*", text)


def test_a_kind_the_department_may_not_import_is_named_at_its_sheet_row(app, client, login):
    login("ca_admin")  # civil affairs has not enabled reward_tiers
    rows = [["编号", "日期", "统一社会信用代码", "奖项", "获奖项目"], [],
            ["A1", date(2024, 12, 18), "913304007429141869", "二等奖", "智能家居互联互通系列标准"]]
    html = upload(client, xlsx_bytes({"中国标准创新贡献奖": rows}), "x.xlsx").get_data(as_text=True)
    assert "工作表“中国标准创新贡献奖”第3行" in html
    assert "活动类型“中国标准创新贡献奖”不属于本部门启用的插件" in html
