"""One spreadsheet row per indicator, grouped by record id: joined into records, refused by row and column."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from plugins.benchmarking.interchange import group_rows, read_table

pytestmark = pytest.mark.stdpolicy_plugins("benchmarking", "reward_tiers")

HEADER = ["编号", "日期", "统一社会信用代码", "产品名称", "产品类别", "对标标准", "检测报告编号", "检测报告日期",
          "指标名称", "单位", "方向", "实测值", "要求值", "区间下限", "区间上限", "核心指标"]
ROWS = [
    ["R1", "2024-06-20", "913304007429141869", "玻纤布", "电子级玻璃纤维布", "IEC 61249-2-21:2003", "T-1", "2024-06-18",
     "断裂强力", "N/25mm", "越高越好", "2150", "2100", "", "", "是"],
    ["R1", "2024-06-20", "913304007429141869", "玻纤布", "电子级玻璃纤维布", "IEC 61249-2-21:2003", "T-1", "2024-06-18",
     "单位面积质量", "g/m2", "区间", "203", "", "197", "209", "是"],
    ["R2", "2024-07-05", "91330482MA2AH5T006", "组件", "光伏组件", "EN 61215-1:2021", "T-2", "2024-07-01",
     "转换效率", "%", "higher", "21.1", "21.3", "", "", "true"],
]


def _rows(rows: list[list[str]]) -> list[tuple[int, dict]]:
    return [(n, dict(zip(HEADER, row))) for n, row in enumerate(rows, start=2)]


def test_rows_of_one_id_become_one_record_with_its_indicators_in_order() -> None:
    grouped = group_rows(_rows(ROWS))
    assert grouped.problems == []
    assert [r["id"] for r in grouped.records] == ["R1", "R2"]
    first = grouped.records[0]
    assert first["kind"] == "benchmark_result" and first["benchmark_standard"] == "IEC 61249-2-21:2003"
    assert [i["name"] for i in first["indicators"]] == ["断裂强力", "单位面积质量"]
    assert first["indicators"][1] == {"name": "单位面积质量", "unit": "g/m2", "direction": "range", "value": "203",
                                      "minimum": "197", "maximum": "209", "core": True}
    assert grouped.rows == {"R1": [2, 3], "R2": [4]}


def test_repeated_columns_that_disagree_are_named_by_row_and_column() -> None:
    rows = [list(r) for r in ROWS]
    rows[1][3] = "另一产品"
    grouped = group_rows(_rows(rows))
    assert [(p.row, p.column) for p in grouped.problems] == [(3, "product")]
    assert "第2行" in grouped.problems[0].message.zh


def test_a_row_without_an_id_is_refused() -> None:
    rows = [list(r) for r in ROWS]
    rows[2][0] = ""
    assert [(p.row, p.column) for p in group_rows(_rows(rows)).problems] == [(4, "编号")]


def test_the_command_joins_an_xlsx_and_the_import_stores_it(stdpolicy_runner, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append([float(c) if c in ("2150", "203", "21.1") else c for c in row])  # number cells too
    source = tmp_path / "indicators.xlsx"
    book.save(source)
    out = tmp_path / "records.json"
    result = stdpolicy_runner.invoke(args=["benchmarking", "indicators-to-json", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    records = json.loads(out.read_text(encoding="utf-8"))
    assert records[0]["indicators"][0]["value"] == "2150" and records[1]["indicators"][0]["value"] == "21.1"
    imported = stdpolicy_runner.invoke(args=["import", str(out)])
    assert imported.exit_code == 0, imported.output


def test_the_command_names_the_row_of_a_bad_indicator_and_writes_nothing(stdpolicy_runner, tmp_path: Path) -> None:
    rows = [list(r) for r in ROWS]
    rows[1][14] = "190"                       # row 3: range maximum below its minimum
    source = tmp_path / "bad.csv"
    source.write_text("\ufeff" + "\n".join(",".join(r) for r in [HEADER, *rows]), encoding="utf-8")
    out = tmp_path / "records.json"
    result = stdpolicy_runner.invoke(args=["benchmarking", "indicators-to-json", str(source), "-o", str(out)])
    assert result.exit_code == 1
    assert "row 3 (record R1), indicators.1.minimum" in result.output
    assert not out.exists()


def test_read_table_numbers_rows_as_shown(tmp_path: Path) -> None:
    source = tmp_path / "t.csv"
    source.write_text("编号,指标名称\nR1,a\n\nR1,b\n", encoding="utf-8")
    assert [n for n, _ in read_table(source)] == [2, 4]
