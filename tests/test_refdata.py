"""Versioned reference data without a database (core/refdata): declarations, rows, versions, lookups, diffs, files."""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from marshmallow import Schema, fields

from core import (
    ReferenceResolver,
    ReferenceTable,
    ReferenceVersion,
    RowsInvalid,
    ShippedVersion,
    Text,
    UnknownReferenceTable,
    diff_rows,
    hookimpl,
    load_reference_versions,
    load_registry,
)
from core.interchange import InputError
from core.refdata import field_text, load_rows
from core.refdata.tabular import cell_text, read_rows, write_csv, write_xlsx

from conftest import PROJECT_PLUGINS

import quota_plugin
from refdata_support import SINTER, report

from conftest import PROJECT_PLUGINS

TABLE = "quota.limits"


@pytest.fixture(scope="module")
def registry():
    registry = load_registry(only=PROJECT_PLUGINS, plugins=[("quota", quota_plugin)])
    assert not [f for f in registry.failures if f.name == "quota"]
    return registry


@pytest.fixture(scope="module")
def table(registry) -> ReferenceTable:
    return registry.reference_tables[TABLE]


def indicator(*limits: str, access: str | None = None, direction: str = "lower") -> dict:
    found = {"name": "工序能耗", "unit": "kgce/t", "direction": direction, "limits": list(limits)}
    if access is not None:
        found["access"] = access
    return found


def row(product: str, *limits: str, grades: int = 3, **extra) -> dict:
    return {"standard": "GB 21256-2013", "product": product, "grades": grades, "indicators": [indicator(*limits)], **extra}


# -- declarations ----------------------------------------------------------------------


class _Row(Schema):
    code = fields.String(required=True, metadata={"label": Text("代码", "Code")})
    items = fields.List(fields.String(), metadata={"label": Text("事项", "Items")})


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"key": "Bad Key"}, "dotted lower_snake_case"),
    ({"key_fields": ("nope",)}, "key field 'nope' is not a field"),
    ({"key_fields": ("items",)}, "key field 'items' must hold a single value"),
    ({"key_fields": ()}, "name the key fields"),
    ({"clause": ""}, "the policy clause is required"),
    ({"schema": dict}, "must be a marshmallow Schema class"),
    ({"versions": (ShippedVersion(date(2024, 1, 1), ({"code": "a"},)),)}, "must cite its document and clause"),
])
def test_a_bad_declaration_is_refused(kwargs, message) -> None:
    given = {"key": "demo.table", "label": Text("表", "Table"), "schema": _Row, "key_fields": ("code",), "clause": "c",
             **kwargs}
    with pytest.raises(ValueError, match=message):
        ReferenceTable(**given)


def test_every_field_needs_its_label() -> None:
    class NoLabel(Schema):
        code = fields.String(required=True)

    with pytest.raises(ValueError, match="field 'code' needs metadata"):
        ReferenceTable("demo.table", Text("表", "Table"), NoLabel, ("code",), "c")


def test_a_sample_version_needs_no_citation() -> None:
    sample = ShippedVersion(date(2024, 1, 1), ({"code": "a"},), demo=True)
    declared = ReferenceTable("demo.table", Text("表", "Table"), _Row, "code", "c", versions=(sample,))
    assert declared.key_fields == ("code",) and declared.samples == [sample] and declared.shipped == []
    assert sample.reference == "示例数据 / sample data"


class _Other:
    @hookimpl
    def stdpolicy_register_reference_tables(self):
        return [ReferenceTable("quota.limits", Text("表", "Table"), _Row, "code", "c")]


class _Unprefixed:
    @hookimpl
    def stdpolicy_register_reference_tables(self):
        return [ReferenceTable("carbon.quota", Text("表", "Table"), _Row, "code", "c")]


def test_table_keys_carry_the_plugin_name_and_are_unique() -> None:
    registry = load_registry(only=PROJECT_PLUGINS, plugins=[("quota", quota_plugin), ("other", _Other()), ("mine", _Unprefixed())])
    failures = {f.name: f.error for f in registry.failures}
    assert "reference table 'quota.limits' must start with the plugin name: other." in failures["other"]
    assert "reference table 'carbon.quota' must start with the plugin name: mine." in failures["mine"]
    assert registry.reference_plugin == {"quota.limits": "quota", "quota.sectors": "quota"}
    assert registry.plugins["quota"].reference_tables == ["quota.limits", "quota.sectors"]


def test_the_shipped_versions_load_from_yaml_and_csv(registry, table) -> None:
    [shipped] = table.shipped
    [sample] = table.samples
    assert (shipped.effective_from, shipped.document, shipped.clause) == (
        date(2013, 10, 1), "GB 21256-2013《粗钢生产主要工序单位产品能源消耗限额》", "4.1 表1")
    assert sample.demo and sample.rows_file is not None
    resolver = registry.default_references(demo=True)
    rows = resolver.open(resolver.version(TABLE, 2)).rows
    assert [r["product"] for r in rows] == ["烧结", "焦化", "球团"]
    assert rows[2]["indicators"][0]["limits"] == [Decimal("15"), Decimal("24")] and rows[2]["mandatory"] is False


@pytest.mark.parametrize(("text", "message"), [
    ("versions:\n  - {from: 2024-13-01, rows: [{code: a}]}\n", "'from' must be a date"),
    ("versions:\n  - {from: 2024-01-01, rows: []}\n", "'rows' must be a list of rows"),
    ("versions:\n  - {from: 2024-01-01, colour: red, rows: [{code: a}]}\n", "unknown entries ['colour']"),
    ("colour: red\n", "expected the entries"),
])
def test_a_bad_versions_file_names_the_version(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError) as caught:
        load_reference_versions(path)
    assert str(caught.value).startswith(str(path)) and message in str(caught.value)


def test_a_bilingual_reason_in_yaml(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("document: d\nclause: c\nversions:\n  - from: 2024-01-01\n    reason: {zh: 新版, en: new edition}\n"
                    "    rows: [{code: a}]\n", encoding="utf-8")
    [version] = load_reference_versions(path)
    assert version.stored_reason == "新版 / new edition"


# -- rows --------------------------------------------------------------------------------


def test_rows_load_typed(table) -> None:
    [loaded] = load_rows(table, [row("烧结", "45", "50.0", "55", implemented="2013-10-01")])
    assert loaded["indicators"][0]["limits"] == [Decimal("45"), Decimal("50.0"), Decimal("55")]
    assert loaded["implemented"] == date(2013, 10, 1) and loaded["mandatory"] is True


def test_every_error_names_its_row_and_field_in_both_languages(table) -> None:
    rows = [
        row("烧结", "45"),
        row("焦化", "x", grades=9),
        {**row("球团", "1"), "indicators": [{**indicator("1"), "direction": "sideways"}]},
        row("烧结", "46"),  # the same key as row 1
        {"standard": "GB 21256-2013", "product": "", "grades": 1, "indicators": [indicator("1")]},
        {**row("白灰", "1"), "colour": "red"},
        {**row("石灰\x00", "1")},
    ]
    with pytest.raises(RowsInvalid) as caught:
        load_rows(table, rows)
    found = {(e.row, e.field): e for e in caught.value.errors}
    assert set(found) == {(2, "grades"), (2, "indicators.0.limits.0"), (3, "indicators.0.direction"), (4, None),
                          (5, "product"), (6, "colour"), (7, "product")}
    assert found[2, "grades"].message == "Must be greater than or equal to 1 and less than or equal to 5."
    assert found[2, "grades"].message_zh == "必须大于等于 1 且小于等于 5。"
    direction = found[3, "indicators.0.direction"]
    assert direction.message_zh == "必须是以下之一:越低越好、越高越好。"  # coded values by their labels
    assert direction.text(table, "zh") == "第3行 指标 › 第1项 › 方向:必须是以下之一:越低越好、越高越好。"
    assert direction.text(table, "en").startswith("row 3, Indicators › item 1 › Direction: Must be one of")
    assert "the same key (GB 21256-2013 / 烧结) as row 1" in found[4, None].message
    assert found[4, None].message_zh == "与第1行的键(GB 21256-2013 / 烧结)重复"
    assert found[6, "colour"].message == "Unknown field."
    assert "U+0000" in found[7, "product"].message
    assert str(caught.value).startswith("quota.limits: row 2, Grades")


def test_a_version_needs_a_row(table) -> None:
    with pytest.raises(RowsInvalid) as caught:
        load_rows(table, [])
    assert caught.value.errors[0].text(table, "zh") == "整个版本:一个版本至少要有一行"


def test_field_text_names_nested_fields(table) -> None:
    assert field_text(table, "indicators.2.limits.0") == Text("指标 › 第3项 › 各级限定值 › 第1项",
                                                           "Indicators › item 3 › Grade limits › item 1")


# -- versions and lookups --------------------------------------------------------------


def _version(sequence: int, day: date, recorded: datetime, source: str = "admin") -> ReferenceVersion:
    return ReferenceVersion(TABLE, sequence, day, "r", "doc", recorded_at=recorded, source=source, id=sequence)


@pytest.fixture
def resolver(registry) -> ReferenceResolver:
    rows = {
        (TABLE, 1): [row("烧结", "45", "50", "55")],
        (TABLE, 2): [row("烧结", "44", "49", "54")],
        (TABLE, 3): [row("烧结", "40", "45", "50")],  # corrects version 2 (same date), recorded later
        (TABLE, 4): [row("烧结", "30")],
    }
    versions = [
        _version(1, date(2013, 10, 1), datetime(2020, 1, 1)),
        _version(2, date(2024, 1, 1), datetime(2023, 6, 1)),
        _version(3, date(2024, 1, 1), datetime(2023, 9, 1)),
        _version(4, date(2030, 1, 1), datetime(2024, 2, 1), source="demo"),
    ]
    return ReferenceResolver(registry.reference_tables, versions,
                             rows={k: [json.loads(json.dumps(r)) for r in v] for k, v in rows.items()})


def test_the_version_in_force_on_a_date(resolver) -> None:
    assert resolver.snapshot(TABLE, date(2013, 9, 30)) is None
    assert resolver.snapshot(TABLE, date(2023, 12, 31)).version.sequence == 1
    in_force = resolver.snapshot(TABLE, date(2024, 1, 1))
    assert in_force.version.sequence == 3  # the correction recorded later wins for the same date
    assert in_force.get(*SINTER)["indicators"][0]["limits"][0] == Decimal("40")
    assert in_force.get("GB 21256-2013", "焦化") is None
    assert in_force.find(product="烧结") == [in_force.rows[0]]
    assert resolver.snapshot(TABLE, date(2031, 1, 1)).sample
    assert {r.sequence for r in resolver.reads} == {1, 3, 4}
    with pytest.raises(TypeError, match="a key has 2 values"):
        in_force.get("GB 21256-2013")
    with pytest.raises(UnknownReferenceTable):
        resolver.snapshot("quota.nothing", date(2024, 1, 1))


def test_as_believed_at_a_date(registry, resolver) -> None:
    versions = [v for key in (TABLE,) for v in resolver.history(key)]
    believed = ReferenceResolver(registry.reference_tables, versions, believed_at=datetime(2023, 7, 1),
                                 rows=resolver._raw)
    assert believed.current(TABLE, date(2024, 6, 1)).sequence == 2  # version 3 was not recorded yet
    assert believed.current(TABLE, date(2031, 1, 1)).sequence == 2
    assert [v.sequence for v in believed.history(TABLE)] == [1, 2, 3, 4]  # history shows everything


def test_a_what_if_version_is_seen_by_lookups_but_has_no_id(resolver, table) -> None:
    rows = load_rows(table, [row("烧结", "1", "2", "3"), row("焦化", "9")])
    proposed = resolver.with_version(TABLE, rows, date(2025, 1, 1))
    found = proposed.snapshot(TABLE, date(2025, 6, 1))
    assert found.version.source == "what-if" and found.version.id is None and len(found) == 2
    assert resolver.snapshot(TABLE, date(2025, 6, 1)).version.sequence == 3


# -- evaluation and validation ----------------------------------------------------------


def test_validation_and_evaluation_read_the_version_in_force(registry) -> None:
    references = registry.default_references(demo=True)
    records = [report("46", ref="A"), report("20", product="球团", ref="B"),
               report("20", product="球团", day="2023-05-01", ref="C")]
    validated = registry.validate(records, references=references)
    # 球团 is only in the 2024 sample version: valid in 2024, invalid in 2023.
    assert [i.ref for i in validated.invalid] == ["C"]
    [error] = validated.invalid[0].errors
    assert error.field == "standard" and "2013-10-01" in error.message_zh
    from core import EvaluationContext

    result = registry.evaluate(validated.valid, EvaluationContext(parameters=registry.default_parameters(),
                                                                  references=references))
    by_ref = {o.activity.ref: o for o in result.outcomes}
    assert by_ref["A"].details == {"grade": 2} and "示例数据" in by_ref["A"].explanation_zh
    assert by_ref["A"].to_json()["references"] == [
        {"key": TABLE, "sequence": None, "version_id": None, "effective_from": "2024-01-01", "source": "demo"}]
    assert by_ref["B"].details == {"grade": 2}


def test_without_a_database_the_shipped_versions_are_used(registry) -> None:
    validated = registry.validate([report("46")])
    result = registry.evaluate(validated.valid)
    [outcome] = result.outcomes
    assert outcome.details == {"grade": 2} and outcome.references[0].source == "shipped"


def test_outcomes_without_reference_data_keep_their_json(registry) -> None:
    validated = registry.validate([{"kind": "standard_drafting", "date": "2024-05-01",
                                    "credit_code": "913304007429141869", "standard_code": "GB/T 43210-2023",
                                    "rank": 1}])
    for outcome in registry.evaluate(validated.valid).outcomes:
        assert "references" not in outcome.to_json()


# -- diffs ---------------------------------------------------------------------------------


def test_two_versions_compare_by_key_field_by_field(table) -> None:
    before = load_rows(table, [row("烧结", "45", "50", "55"), row("焦化", "115"), row("球团", "15", grades=2)])
    after = load_rows(table, [row("烧结", "45.0", "50", "55"), row("焦化", "110", mandatory=False),
                              row("白灰", "30", grades=1)])
    diff = diff_rows(table, before, after)
    assert diff.summary() == {"added": 1, "removed": 1, "changed": 1, "unchanged": 1}  # 45 = 45.0
    [added], [removed], [changed] = diff.added, diff.removed, diff.changed
    assert added.key == ("GB 21256-2013", "白灰") and added.kind == "added"
    assert removed.key == ("GB 21256-2013", "球团") and removed.kind == "removed"
    assert changed.key == ("GB 21256-2013", "焦化")
    assert [(f.field, f.before, f.after) for f in changed.fields] == [
        ("indicators", before[1]["indicators"], after[1]["indicators"]), ("mandatory", True, False)]
    dumped = diff.to_json()
    assert dumped["changed_rows"][0]["fields"][1] == {"field": "mandatory", "before": True, "after": False}
    assert diff_rows(table, None, after).summary()["added"] == 3


# -- files -----------------------------------------------------------------------------------


def _rows_with_nesting(table):
    return load_rows(table, [
        row("烧结", "45", "50.25", "55", implemented="2013-10-01"),
        {**row("焦化", "115", "125"), "indicators": [indicator("115", "125", access="120"),
                                                      indicator("3.5", direction="higher")]},
        row("=SUM(A1)", "1", grades=1, mandatory=False),  # a formula must stay text
    ])


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_nested_indicator_list_round_trips_through_xlsx(table, language) -> None:
    rows = _rows_with_nesting(table)
    data = write_xlsx(table, rows, language, [(Text("版本", "Version"), "第2版")])
    read, where = read_rows(table, data, "limits.xlsx")
    assert [w.number for w in where] == [2, 3, 4] and where[0].sheet == table.label.get(language)
    assert load_rows(table, read, where=where) == rows
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert headers == [table.field_label(n).get(language) for n in table.columns]
    indicators = json.loads(sheet.cell(row=3, column=4).value)
    label = "指标名称" if language == "zh" else "Indicator"
    assert [i[label] for i in indicators] == ["工序能耗", "工序能耗"]
    assert indicators[1]["方向" if language == "zh" else "Direction"] == ("越高越好" if language == "zh" else "higher is better")
    assert sheet.cell(row=4, column=2).data_type == "s"  # =SUM(A1) written as text


def test_a_nested_indicator_list_round_trips_through_csv_and_json(table) -> None:
    rows = _rows_with_nesting(table)
    text = write_csv(table, rows, "zh")
    assert text.startswith("\ufeff标准编号,产品,等级数,指标")
    assert "'=SUM(A1)" in text  # the formula guard, taken off when read
    read, where = read_rows(table, text.encode("utf-8"), "limits.csv")
    assert load_rows(table, read, where=where) == rows
    from core.refdata.tabular import stored_rows

    data = json.dumps({"rows": stored_rows(table, rows)}).encode()
    read, where = read_rows(table, data, "limits.json")
    assert load_rows(table, read, where=where) == rows


def test_a_file_written_by_hand(table) -> None:
    """English labels and field names as headers, a title row above, codes or labels, names or labels in JSON."""
    text = ("Energy quota standards,,,,,\n"
            "Standard,product,Grades,Indicators,Implemented,Mandatory\n"
            'GB 21256-2013,烧结,3,"[{""name"": ""工序能耗"", ""Unit"": ""kgce/t"", ""方向"": ""lower is better"", '
            '""各级限定值"": [45, 50.5, 55]}]",2013/10/1,yes\n'
            "\n"
            'GB 21256-2013,焦化,"3","[{""name"": ""x"", ""unit"": ""t"", ""direction"": ""越低越好"", ""limits"": [1]}]",,否\n')
    read, where = read_rows(table, text.encode("gb18030"), "hand.csv")
    [sinter, coke] = load_rows(table, read, where=where)
    assert [w.number for w in where] == [3, 5]
    assert sinter["indicators"][0] == {"name": "工序能耗", "unit": "kgce/t", "direction": "lower",
                                       "limits": [Decimal("45"), Decimal("50.5"), Decimal("55")], "access": None}
    assert sinter["implemented"] == date(2013, 10, 1) and coke["mandatory"] is False


def test_a_list_of_values_is_one_per_line(registry) -> None:
    sectors = registry.reference_tables["quota.sectors"]
    text = '行业,核算标准,别名\n发电,GB/T 32151.1-2015,"电力\n火电"\n'
    read, where = read_rows(sectors, text.encode(), "s.csv")
    [loaded] = load_rows(sectors, read, where=where)
    assert loaded["aliases"] == ["电力", "火电"]
    assert cell_text(sectors, "aliases", loaded["aliases"]) == "电力\n火电"


def test_errors_in_a_file_name_its_rows(table) -> None:
    text = ("标准编号,产品,等级数,指标\n"
            "GB 21256-2013,烧结,three,[]\n"
            'GB 21256-2013,焦化,3,"[{broken"\n'
            "GB 21256-2013,球团,3,[],surplus\n")
    read, where = read_rows(table, text.encode(), "bad.csv")
    with pytest.raises(RowsInvalid) as caught:
        load_rows(table, read, where=where)
    found = {(e.row, e.field) for e in caught.value.errors}
    assert (2, "grades") in found and (3, "indicators") in found and (4, None) in found
    beyond = next(e for e in caught.value.errors if e.row == 4 and e.field is None)
    assert "column E" in beyond.message


@pytest.mark.parametrize(("name", "data", "message", "zh"), [
    ("old.xls", b"x", "Excel 97", "旧版 Excel"),
    ("bad.xlsx", b"not a zip", "not an XLSX workbook", "不是有效的 XLSX"),
    ("bad.json", b"{", "not JSON", "第1行第2列:字段名须用英文双引号括起"),
    ("bad.json", b"", "not JSON", "第1行第1列:此处应有一个值"),
    ("bad.json", b'{"x": 1}', "expected a JSON array", "JSON 数组"),
    # These three answered 500 in the admin (a RecursionError) or named Python's codec and limits.
    ("deep.json", b"[" * 100_000 + b"]" * 100_000, "nested too deeply to be rows of this table", "嵌套层级过深"),
    ("gbk.json", '[{"名称": "标准"}]'.encode("gbk"), "not UTF-8 text", "不是 UTF-8 编码的文本"),
    ("long.json", b"[" + b"9" * 5000 + b"]", "a number too long", "位数过多"),
    ("table.txt", b"a,b", "choose a CSV, XLSX or JSON file", "请选择 CSV、XLSX 或 JSON 文件"),
])
def test_an_unreadable_file_is_an_input_error(table, name, data, message, zh) -> None:
    with pytest.raises(InputError) as caught:
        read_rows(table, data, name)
    assert message in str(caught.value)
    assert zh in caught.value.zh and "Expecting" not in caught.value.zh and "codec" not in caught.value.zh


def test_what_a_plugin_needs_for_reference_data_and_parameter_types_is_exported_and_documented() -> None:
    """The list in docs/reference-data.md ("What a plugin imports") is core's public API: every name is in ``core.__all__``."""
    import re

    import core

    docs = (Path(__file__).resolve().parent.parent / "docs" / "reference-data.md").read_text(encoding="utf-8")
    section = docs.split("## What a plugin imports", 1)[1].split("\n## ", 1)[0]
    listed = {name for cell in re.findall(r"^\| (.+?) \|", section, re.M) for name in re.findall(r"`(\w+)`", cell)}
    needed = {"ReferenceTable", "ShippedVersion", "load_reference_versions", "ReferenceSnapshot", "ReferenceVersion",
              "ReferenceRead", "ReferenceResolver", "VersionDiff", "RowChange", "FieldChange", "diff_rows",
              "RowsInvalid", "RowError", "StoredRowsInvalid", "UnknownReferenceTable", "validation_reference",
              "ParameterType", "ParameterDeclaration"}
    assert needed <= listed, needed - listed
    assert not listed - set(core.__all__), listed - set(core.__all__)
    from core.refdata import RowError, StoredRowsInvalid
    from core.refdata.diff import FieldChange, RowChange

    assert (core.RowError, core.StoredRowsInvalid, core.RowChange, core.FieldChange) == (
        RowError, StoredRowsInvalid, RowChange, FieldChange)
