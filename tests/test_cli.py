"""The ``stdpolicy`` commands (core/cli): init, evaluate, import, reevaluate, params, plugins, enable/disable."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from core import clock
from core.db import db
from core.models import (
    ActivityRecord,
    AuditEntry,
    Department,
    EvaluationRun,
    Organisation,
    OutcomeRecord,
    ParameterVersionRecord,
    PluginEnablement,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "docs" / "examples"
ACTIVITIES = EXAMPLES / "activities.json"
WITH_ERRORS = EXAMPLES / "with-errors.json"

#: docs/examples/activities.json, evaluated with the shipped amounts.
EXPECTED = {
    "EX-001": ("standard_drafting", "R2", 300000),   # lead, national
    "EX-002": ("standard_drafting", "R6", 150000),   # rank 3, national
    "EX-003": ("standard_drafting", "R5", 300000),   # rank 2, international
    "EX-004": ("standard_drafting", "R3", 0),        # lead of a revision
    "EX-005": ("standard_drafting", "R2", 0),        # before 2022-08-01
    "EX-006": ("tc_secretariat", "R8", 500000),      # national TC/SC
    "EX-007": ("innovation_award", "R10", 1000000),  # first prize
    "EX-008": ("pilot_project", "R12", 300000),      # national pilot, cap
}
TOTAL = 2550000
KEY = "reward_tiers.lead.national"
DOCUMENT = "《中共嘉兴市委 嘉兴市人民政府关于加快推进标准强市建设的实施意见》(2022)"


# -- helpers --------------------------------------------------------------------------


def invoke(runner, *args: str, input: str | None = None):
    return runner.invoke(args=list(args), input=input)


def count(app: Flask, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def rows(app: Flask, model, *where, order=None) -> list[Any]:
    with app.app_context():
        query = select(model).where(*where).order_by(order if order is not None else model.id)
        found = list(db.session.scalars(query))
        db.session.expunge_all()
        return found


def examples() -> list[dict]:
    return json.loads(ACTIVITIES.read_text(encoding="utf-8"))


def write_json(path: Path, records: list[dict]) -> str:
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return str(path)


def evaluate_json(runner, *args: str, input: str | None = None) -> tuple[int, dict]:
    result = invoke(runner, "evaluate", *args, input=input)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def amounts(document: dict) -> dict[str, int]:
    return {item["id"]: item["amount"] for item in document["results"]}


def lead(ref: str, day: str, code: str, standard: str, rank: int = 1) -> dict:
    return {"id": ref, "kind": "standard_drafting", "date": day, "credit_code": code,
            "standard_code": standard, "rank": rank}


@pytest.fixture(autouse=True)
def _actor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STDPOLICY_ACTOR", "cli-tester")


# ===================================================================================
# init
# ===================================================================================


def test_init_seeds_parameters_and_departments_and_is_idempotent(bare_app: Flask) -> None:
    runner = bare_app.test_cli_runner()

    first = invoke(runner, "init")
    assert first.exit_code == 0, first.output
    assert "database at revision head" in first.output
    assert f"parameter default: {KEY} = 300000 from 2022-08-01" in first.output
    assert "created department market_regulation (市场监督管理局)" in first.output
    assert "enabled reward_tiers for market_regulation" in first.output

    with bare_app.app_context():
        registry = bare_app.extensions["stdpolicy"]
        declared = {key: decl for key, decl in registry.parameters.items()}
        versions = list(db.session.scalars(select(ParameterVersionRecord)))
        departments = {d.code: d for d in db.session.scalars(select(Department))}
        enabled = {(e.department.code, e.plugin, e.enabled) for e in db.session.scalars(select(PluginEnablement))}
    assert len(declared) >= 19
    # Every value a plugin ships is stored; a parameter shipped without a value (benchmarking's number of
    # forerunners: the text gives none) waits for its first recorded version.
    assert {v.key for v in versions} == {key for key, decl in declared.items() if decl.defaults}
    assert all(v.source == "default" and v.sequence == 1 and v.recorded_by == "cli-tester" for v in versions)
    national = next(v for v in versions if v.key == KEY)
    assert (national.value, national.effective_from, national.reference) == ("300000", date(2022, 8, 1), f"{DOCUMENT} 三(二)")
    assert set(departments) == {"market_regulation", "development_reform", "ecology_environment", "civil_affairs", "health"}
    assert departments["civil_affairs"].name_zh == "民政局"
    # Default enablement: only installed plugins are enabled (reward_tiers, for market regulation).
    assert ("market_regulation", "reward_tiers", True) in enabled
    assert not any(code == "civil_affairs" and plugin == "reward_tiers" for code, plugin, _ in enabled)
    audits = count(bare_app, AuditEntry)

    second = invoke(runner, "init")
    assert second.exit_code == 0, second.output
    assert "parameter default:" not in second.output
    assert "created department" not in second.output
    assert "enabled reward_tiers" not in second.output
    assert count(bare_app, ParameterVersionRecord) == len(versions)
    assert count(bare_app, Department) == 5
    assert count(bare_app, PluginEnablement) == len(enabled)
    assert count(bare_app, AuditEntry) == audits


def test_init_does_not_undo_a_department_choice(bare_app: Flask) -> None:
    runner = bare_app.test_cli_runner()
    assert invoke(runner, "init").exit_code == 0
    assert invoke(runner, "disable", "reward_tiers", "-d", "market_regulation").exit_code == 0

    again = invoke(runner, "init")
    assert again.exit_code == 0, again.output
    [row] = rows(bare_app, PluginEnablement, PluginEnablement.plugin == "reward_tiers")
    assert row.enabled is False


def test_init_demo_adds_demo_data_once(bare_app: Flask) -> None:
    demo = json.loads((ROOT / "core" / "data" / "demo_activities.json").read_text(encoding="utf-8"))
    runner = bare_app.test_cli_runner()

    first = invoke(runner, "init", "--demo")
    assert first.exit_code == 0, first.output
    assert f"demo: stored {len(demo)} activities, 0 already there" in first.output
    stored = count(bare_app, ActivityRecord)
    outcomes = count(bare_app, OutcomeRecord)
    assert stored == len(demo)
    assert outcomes >= stored  # reward_tiers (enabled by market regulation) evaluated them
    [activity] = rows(bare_app, ActivityRecord, ActivityRecord.external_id == demo[0]["id"])
    assert activity.source == "demo data (stdpolicy init --demo)"
    with bare_app.app_context():
        assert activity.department_id == db.session.scalar(select(Department.id).filter_by(code="market_regulation"))

    second = invoke(runner, "init", "--demo")
    assert second.exit_code == 0, second.output
    assert f"demo: stored 0 activities, {len(demo)} already there" in second.output
    assert count(bare_app, ActivityRecord) == stored
    assert count(bare_app, OutcomeRecord) == outcomes
    assert count(bare_app, EvaluationRun) == 1


# ===================================================================================
# evaluate
# ===================================================================================


def test_evaluate_example_file_json_shape(app: Flask, runner) -> None:
    result = invoke(runner, "evaluate", str(ACTIVITIES))
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)

    assert set(document) == {"results", "total_amount", "held_amount", "invalid"}
    assert document["held_amount"] == 0
    assert document["total_amount"] == TOTAL
    assert document["invalid"] == 0
    assert [item["id"] for item in document["results"]] == list(EXPECTED)
    with app.app_context():
        version_ids = {v.key: v.id for v in db.session.scalars(select(ParameterVersionRecord))}
        sequences = {v.key: v.sequence for v in db.session.scalars(select(ParameterVersionRecord))}

    for item in document["results"]:
        kind, rule, amount = EXPECTED[item["id"]]
        assert set(item) == {"id", "kind", "amount", "outcomes", "errors"}
        assert (item["kind"], item["amount"], item["errors"]) == (kind, amount, [])
        [outcome] = item["outcomes"]
        assert {"plugin", "plugin_version", "rule", "amount", "clause", "explanation", "parameters"} <= set(outcome)
        assert set(outcome) - {"plugin", "plugin_version", "rule", "amount", "clause", "explanation", "parameters"} <= {
            "status", "details"}
        assert (outcome["plugin"], outcome["plugin_version"]) == ("reward_tiers", "1.0.0")
        assert (outcome["rule"], outcome["amount"], outcome["clause"]) == (rule, amount, "三(二)")
        assert set(outcome["explanation"]) == {"zh", "en"}
        assert outcome["explanation"]["zh"] and outcome["explanation"]["en"]
        # paid, or not covered (0 with the reason): the example file holds nothing to review
        assert outcome.get("status", "ok") == ("ok" if amount else "not_covered")
        for param in outcome["parameters"]:
            assert set(param) == {"key", "value", "effective_from", "version_id", "sequence"}
            assert param["version_id"] == version_ids[param["key"]]  # the stored version, from the database
            assert param["sequence"] == sequences[param["key"]]  # and its number within its key
            assert param["effective_from"] == "2022-08-01"

    ex1 = document["results"][0]["outcomes"][0]
    assert ex1["parameters"] == [{"key": KEY, "value": 300000, "effective_from": "2022-08-01",
                                  "version_id": version_ids[KEY], "sequence": 1}]
    # the version is in the parameters above; the sentence cites the document and says from when the amount applies
    assert ex1["explanation"]["zh"] == (
        "国家标准 GB/T 45123-2025(起草单位排名第一位,非修订):根据《中共嘉兴市委 嘉兴市人民政府关于加快推进标准强市建设的实施意见》"
        "第三部分第(二)项,对牵头制定并完成国家标准的企业和机构给予30万元奖励(该奖励标准自2022年8月1日起执行)。")
    assert ex1["explanation"]["en"].endswith(
        "enterprises and institutions that lead the drafting of a completed national standard receive a reward of "
        "¥300,000 (the amount in force from 1 August 2022).")
    assert KEY not in ex1["explanation"]["zh"] and KEY not in ex1["explanation"]["en"]
    # A zero says why, in machine-readable form too; the pilot amount is a cap.
    by_id = {item["id"]: item["outcomes"][0] for item in document["results"]}
    assert by_id["EX-004"]["details"] == {"reason": "revision"}
    assert by_id["EX-004"]["parameters"] == []
    assert by_id["EX-005"]["details"] == {"reason": "not_in_force"}
    assert by_id["EX-008"]["details"] == {"upper_bound": True}


def test_evaluate_stores_nothing(app: Flask, runner) -> None:
    before = count(app, AuditEntry)
    assert invoke(runner, "evaluate", str(ACTIVITIES)).exit_code == 0
    assert count(app, ActivityRecord) == 0
    assert count(app, OutcomeRecord) == 0
    assert count(app, EvaluationRun) == 0
    assert count(app, AuditEntry) == before


def test_evaluate_with_invalid_records_exits_1_and_still_evaluates_the_valid(runner) -> None:
    code, document = evaluate_json(runner, str(WITH_ERRORS))

    assert code == 1
    assert document["invalid"] == 4
    assert document["total_amount"] == 450000
    results = {item["id"]: item for item in document["results"]}
    assert [item["id"] for item in document["results"]] == ["EX-001", "EX-002", "EX-BAD-1", "EX-BAD-2", "EX-BAD-3", "EX-BAD-4"]
    assert results["EX-001"]["amount"] == 300000 and results["EX-001"]["errors"] == []
    assert results["EX-002"]["amount"] == 150000
    fields = {ref: {e["field"] for e in item["errors"]} for ref, item in results.items() if item["errors"]}
    assert set(fields) == {"EX-BAD-1", "EX-BAD-2", "EX-BAD-3", "EX-BAD-4"}
    assert fields["EX-BAD-1"] == {"date", "standard_code", "rank", "credit_code"}
    assert fields["EX-BAD-2"] <= {"level", "date"}  # the level contradicts the number (and the year the date)
    assert fields["EX-BAD-3"] == {"granted_amount"}
    assert fields["EX-BAD-4"] == {"kind"}
    for ref in fields:
        assert results[ref]["outcomes"] == [] and results[ref]["amount"] == 0
        for error in results[ref]["errors"]:
            assert {"field", "message"} <= set(error)
            assert error["message"]
    assert results["EX-BAD-3"]["errors"][0]["message"] == "Not a whole number of yuan."
    assert results["EX-BAD-4"]["kind"] is None


def test_evaluate_non_json_file_exits_2(runner, tmp_path: Path) -> None:
    path = tmp_path / "notes.json"
    path.write_text("id,kind\nthis is not json\n", encoding="utf-8")

    result = invoke(runner, "evaluate", str(path))

    assert result.exit_code == 2
    assert "not JSON" in result.stderr
    assert result.stdout == ""


def test_evaluate_missing_file_exits_2(runner, tmp_path: Path) -> None:
    result = invoke(runner, "evaluate", str(tmp_path / "nowhere.json"))

    assert result.exit_code == 2
    assert "cannot read" in result.stderr
    assert result.stdout == ""


def test_evaluate_json_object_instead_of_array_exits_2(runner, tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps(examples()[0]), encoding="utf-8")

    result = invoke(runner, "evaluate", str(path))

    assert result.exit_code == 2
    assert "expected a JSON array" in result.stderr


def test_evaluate_jsonl_gives_the_same_document(runner) -> None:
    code_json, from_json = evaluate_json(runner, str(ACTIVITIES))
    code_lines, from_lines = evaluate_json(runner, str(EXAMPLES / "activities.jsonl"))

    assert code_json == code_lines == 0
    assert from_lines == from_json
    assert from_lines["total_amount"] == TOTAL


def test_evaluate_jsonl_with_a_broken_line_exits_2(runner, tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_text(json.dumps(examples()[0]) + "\n{not json\n", encoding="utf-8")

    result = invoke(runner, "evaluate", str(path))

    assert result.exit_code == 2
    assert "line 2" in result.stderr


def test_evaluate_from_stdin_json_and_json_lines(runner) -> None:
    array = ACTIVITIES.read_text(encoding="utf-8")
    code, document = evaluate_json(runner, "-", input=array)
    assert code == 0
    assert amounts(document) == {ref: amount for ref, (_, _, amount) in EXPECTED.items()}

    lines = (EXAMPLES / "activities.jsonl").read_text(encoding="utf-8")
    code, from_lines = evaluate_json(runner, "-", input=lines)
    assert code == 0
    assert from_lines == document

    bad = invoke(runner, "evaluate", "-", input="not json at all")
    assert bad.exit_code == 2


def test_evaluate_csv(runner, tmp_path: Path) -> None:
    path = tmp_path / "activities.csv"
    header = ["id", "kind", "date", "credit_code", "organisation", "standard_code", "rank", "revision",
              "committee_code", "committee_level", "award", "project"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerow(["C1", "standard_drafting", "2025-06-20", "913304007429141869", "嘉兴市某某制造有限公司",
                         "GB/T 45123—2025", "1", "", "", "", "", ""])
        writer.writerow(["C2", "standard_drafting", "2025-08-08", "91330411MA29XR4082", "",
                         "DB33/T 1356—2025", "1", "是", "", "", "", ""])
        writer.writerow(["C3", "tc_secretariat", "2025-09-15", "12330400470745605G", "", "", "", "",
                         "SAC/TC 20/SC 3", "national", "", ""])
        writer.writerow(["C4", "innovation_award", "2024-12-18", "913304007429141869", "", "", "", "",
                         "", "", "second", "数字孪生"])

    code, document = evaluate_json(runner, str(path))

    assert code == 0, document
    assert amounts(document) == {"C1": 300000, "C2": 0, "C3": 500000, "C4": 800000}
    c2 = document["results"][1]["outcomes"][0]
    assert (c2["rule"], c2["details"]) == ("R3", {"reason": "revision"})  # "是" read as true
    assert document["total_amount"] == 1600000


def test_evaluate_csv_with_a_bad_cell_names_the_field(runner, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "id,kind,date,credit_code,standard_code,rank\n"
        "C1,standard_drafting,2025-06-20,913304007429141869,GB/T 45123—2025,1\n"
        "C2,standard_drafting,2025-06-20,91330482MA2AH5T006,GB/T 45123—2025,first\n",
        encoding="utf-8",
    )

    code, document = evaluate_json(runner, str(path))

    assert code == 1
    assert amounts(document) == {"C1": 300000, "C2": 0}
    assert [e["field"] for e in document["results"][1]["errors"]] == ["rank"]


def test_evaluate_csv_without_kind_column_exits_2(runner, tmp_path: Path) -> None:
    path = tmp_path / "nokind.csv"
    path.write_text("id,date\n1,2025-01-01\n", encoding="utf-8")

    result = invoke(runner, "evaluate", str(path))

    assert result.exit_code == 2
    assert "'kind' column" in result.stderr


def test_evaluate_department_scoping(runner) -> None:
    _, market = evaluate_json(runner, str(ACTIVITIES), "--department", "market_regulation")
    assert market["total_amount"] == TOTAL

    _, by_chinese_name = evaluate_json(runner, str(ACTIVITIES), "-d", "市场监督管理局")
    assert by_chinese_name == market

    code, civil = evaluate_json(runner, str(ACTIVITIES), "--department", "civil_affairs")
    assert code == 0
    assert civil["total_amount"] == 0
    assert civil["invalid"] == 0
    for item in civil["results"]:
        assert item["outcomes"] == [] and item["amount"] == 0 and item["errors"] == []


def test_evaluate_unknown_department_exits_2(runner) -> None:
    result = invoke(runner, "evaluate", str(ACTIVITIES), "--department", "nowhere")

    assert result.exit_code == 2
    assert "no department 'nowhere'" in result.stderr
    assert result.stdout == ""


HELD_RECORDS = [  # two organisations claiming rank 1 on one standard; one registered in Shanghai
    {"id": "H-1", "kind": "standard_drafting", "date": "2024-06-28", "credit_code": "913304007429141869",
     "standard_code": "GB/T 44101-2024", "rank": 1},
    {"id": "H-2", "kind": "standard_drafting", "date": "2024-07-02", "credit_code": "91310115MA1FL0AB0P",
     "standard_code": "GB/T 44101-2024", "rank": 1, "organisation": "上海某某科技有限公司"},
    {"id": "H-3", "kind": "standard_drafting", "date": "2024-07-02", "credit_code": "91330482MA2AH5T006",
     "standard_code": "GB/T 44101-2024", "rank": 2},
]


def test_evaluate_shows_held_outcomes_in_json_and_table(runner, tmp_path) -> None:
    path = tmp_path / "held.json"
    path.write_text(json.dumps(HELD_RECORDS, ensure_ascii=False), encoding="utf-8")
    result = invoke(runner, "evaluate", str(path))
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    # held amounts are not due: out of total_amount, in held_amount
    assert (document["total_amount"], document["held_amount"]) == (150_000, 600_000)
    by_id = {item["id"]: item for item in document["results"]}
    assert (by_id["H-1"]["amount"], by_id["H-1"]["held_amount"]) == (0, 300_000)
    assert "held_amount" not in by_id["H-3"]
    [outcome] = by_id["H-2"]["outcomes"]
    assert outcome["status"] == "held" and outcome["amount"] == 0
    details = outcome["details"]
    assert details["held_amount"] == 300_000
    assert [r["code"] for r in details["held_reasons"]] == ["rank_conflict", "region"]
    conflict = details["held_reasons"][0]
    assert conflict["other"]["activity"] == "H-1" and conflict["other"]["credit_code"] == "913304007429141869"
    assert conflict["zh"] == ("统一社会信用代码为913304007429141869的单位也登记为该标准排名第一位的起草单位(活动 H-1),"
                              "排名冲突,请核实")
    assert conflict["en"] == ("The organisation with credit code 913304007429141869 is also registered as the drafting "
                              "unit ranked 1st on this standard (activity H-1); please verify")

    table = invoke(runner, "evaluate", str(path), "--format", "table")
    lines = table.stdout.splitlines()
    assert "H-2  standard_drafting  ¥0  (待核实 ¥300,000)" in lines
    assert any(line.startswith("    R2") and "[待核实 ¥300,000]" in line for line in lines)
    assert any(line.strip().startswith("- ") and "310115" in line for line in lines)
    assert lines[-1] == "total ¥150,000; held for review ¥600,000; 3 activities, 0 invalid"
    english = invoke(runner, "evaluate", str(path), "--format", "table", "--lang", "en")
    assert "H-2  standard_drafting  ¥0  (held for review ¥300,000)" in english.stdout.splitlines()


def test_evaluate_table_format(runner) -> None:
    result = invoke(runner, "evaluate", str(ACTIVITIES), "--format", "table")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "EX-001  standard_drafting  ¥300,000" in lines
    assert "EX-007  innovation_award  ¥1,000,000" in lines
    assert any(line.startswith("    R2") and "¥300,000" in line and "国家标准 GB/T 45123-2025" in line for line in lines)
    assert lines[-1] == "total ¥2,550,000; 8 activities, 0 invalid"

    english = invoke(runner, "evaluate", str(ACTIVITIES), "--format", "table", "--lang", "en")
    assert ("National standard GB/T 45123-2025 (drafting unit ranked 1st, not a revision): under Part III, item (2) of "
            "the Implementation Opinions") in english.stdout
    assert ("that lead the drafting of a completed national standard receive a reward of ¥300,000 (the amount in force "
            "from 1 August 2022).") in english.stdout

    scoped = invoke(runner, "evaluate", str(ACTIVITIES), "--format", "table", "-d", "civil_affairs")
    assert "(no enabled plugin evaluates this kind)" in scoped.stdout
    assert scoped.stdout.splitlines()[-1] == "total ¥0; 8 activities, 0 invalid"

    invalid = invoke(runner, "evaluate", str(WITH_ERRORS), "--format", "table", "--lang", "en")
    assert invalid.exit_code == 1
    assert "EX-BAD-3  pilot_project  INVALID" in invalid.stdout
    assert "    ! granted_amount: Not a whole number of yuan." in invalid.stdout
    assert invalid.stdout.splitlines()[-1] == "total ¥450,000; 6 activities, 4 invalid"


# ===================================================================================
# import
# ===================================================================================


def test_import_with_one_bad_row_stores_nothing_and_lists_the_row(app: Flask, runner, tmp_path: Path) -> None:
    records = examples() + [lead("EX-BAD", "2025-01-10", "913304007429141869", "GB/T 1-20201")]
    path = write_json(tmp_path / "bad.json", records)
    audits = count(app, AuditEntry)

    result = invoke(runner, "import", path)

    assert result.exit_code == 1
    assert "row 9 (EX-BAD):" in result.stderr
    assert "standard_code:" in result.stderr
    assert "1 of 9 records invalid; nothing stored" in result.stderr
    for model in (ActivityRecord, OutcomeRecord, EvaluationRun, Organisation):
        assert count(app, model) == 0, model
    assert count(app, AuditEntry) == audits


def test_import_example_with_errors_lists_every_bad_row(app: Flask, runner) -> None:
    result = invoke(runner, "import", str(WITH_ERRORS))

    assert result.exit_code == 1
    for row, ref in [(3, "EX-BAD-1"), (4, "EX-BAD-2"), (5, "EX-BAD-3"), (6, "EX-BAD-4")]:
        assert f"row {row} ({ref}):" in result.stderr
    assert "row 1 " not in result.stderr
    assert "4 of 6 records invalid; nothing stored" in result.stderr
    assert count(app, ActivityRecord) == 0


def test_import_stores_all_with_outcomes_and_twice_adds_nothing(app: Flask, runner) -> None:
    first = invoke(runner, "import", str(ACTIVITIES), "--department", "market_regulation", "--source", "2025 batch")

    assert first.exit_code == 0, first.output
    assert first.stdout.strip() == "stored 8 activities, skipped 0 already stored; 8 outcomes, total ¥2,550,000"
    stored = rows(app, ActivityRecord)
    # stored in date order (input order breaking ties): the ids say which report came first
    assert sorted(a.external_id for a in stored) == sorted(EXPECTED)
    assert [(a.date, a.id) for a in stored] == sorted((a.date, a.id) for a in stored)
    assert {a.source for a in stored} == {"2025 batch"}
    assert {a.created_by for a in stored} == {"cli-tester"}
    assert len({a.fingerprint for a in stored}) == 8
    with app.app_context():
        market = db.session.scalar(select(Department.id).filter_by(code="market_regulation"))
    assert {a.department_id for a in stored} == {market}
    ex1 = next(a for a in stored if a.external_id == "EX-001")
    assert (ex1.kind, ex1.date, ex1.subject) == ("standard_drafting", date(2025, 6, 20), "GB/T 45123-2025")
    assert ex1.fields["standard_code"] == "GB/T 45123-2025" and ex1.fields["level"] == "national"

    outcomes = rows(app, OutcomeRecord)
    id_to_ref = {a.id: a.external_id for a in stored}
    assert {id_to_ref[o.activity_id]: (o.rule, o.amount) for o in outcomes} == {
        ref: (rule, amount) for ref, (_, rule, amount) in EXPECTED.items()}
    assert all(o.plugin == "reward_tiers" and o.plugin_version == "1.0.0" and o.superseded_at is None for o in outcomes)
    [run] = rows(app, EvaluationRun)
    assert (run.trigger, run.actor, run.plugins, run.activities, run.outcomes_added) == (
        "import", "cli-tester", ["reward_tiers"], 8, 8)
    assert run.finished_at is not None
    assert {o.run_id for o in outcomes} == {run.id}
    assert count(app, Organisation) == 6  # EX-001/EX-007 and EX-002/EX-008 share an organisation
    [audit] = rows(app, AuditEntry, AuditEntry.action == "activities.import")
    assert (audit.actor, audit.target, audit.department_id) == ("cli-tester", "2025 batch", market)
    assert audit.after == {"stored": 8, "skipped": 0, "run": run.id}

    second = invoke(runner, "import", str(ACTIVITIES))
    assert second.exit_code == 0, second.output
    assert second.stdout.strip() == "stored 0 activities, skipped 8 already stored; 0 outcomes, total ¥0"
    assert count(app, ActivityRecord) == 8
    assert count(app, OutcomeRecord) == 8
    assert count(app, EvaluationRun) == 1

    # The same records in another format are the same records.
    third = invoke(runner, "import", str(EXAMPLES / "activities.jsonl"))
    assert third.exit_code == 0
    assert "stored 0 activities, skipped 8" in third.stdout
    assert count(app, ActivityRecord) == 8


def test_import_repeated_record_in_one_file_is_stored_once(app: Flask, runner, tmp_path: Path) -> None:
    one = {k: v for k, v in examples()[0].items() if k != "id"}
    path = write_json(tmp_path / "twice.json", [one, dict(one)])

    result = invoke(runner, "import", path)

    assert result.exit_code == 0, result.output
    assert "stored 1 activities, skipped 1 already stored" in result.stdout
    assert count(app, ActivityRecord) == 1
    [activity] = rows(app, ActivityRecord)
    assert activity.external_id is None


def test_import_unreadable_file_exits_2(app: Flask, runner, tmp_path: Path) -> None:
    result = invoke(runner, "import", str(tmp_path / "missing.json"))
    assert result.exit_code == 2
    assert count(app, ActivityRecord) == 0


# ===================================================================================
# reevaluate
# ===================================================================================

REEVALUATION_SET = [
    lead("OLD", "2023-05-23", "91330402MA2BK7Q04U", "GB/T 42587—2023"),
    lead("NEW", "2025-06-20", "913304007429141869", "GB/T 45123—2025"),
    {"id": "TC", "kind": "tc_secretariat", "date": "2025-09-15", "credit_code": "12330400470745605G",
     "committee_code": "SAC/TC 20/SC 3", "committee_level": "national"},
]


def _current(app: Flask) -> dict[str, tuple[int, str]]:
    with app.app_context():
        found = db.session.execute(
            select(ActivityRecord.external_id, OutcomeRecord.amount, OutcomeRecord.rule)
            .join(ActivityRecord, OutcomeRecord.activity_id == ActivityRecord.id)
            .where(OutcomeRecord.superseded_at.is_(None))
        ).all()
    return {ref: (amount, rule) for ref, amount, rule in found}


def test_reevaluate_after_params_set_changes_later_activities_only(app: Flask, runner, tmp_path: Path) -> None:
    assert invoke(runner, "import", write_json(tmp_path / "three.json", REEVALUATION_SET)).exit_code == 0
    assert _current(app) == {"OLD": (300000, "R2"), "NEW": (300000, "R2"), "TC": (500000, "R8")}
    original = {o.activity_id: o for o in rows(app, OutcomeRecord)}

    set_ = invoke(runner, "params", "set", KEY, "400000", "--from", "2025-01-01",
                  "--reason", "2025 amendment", "--reference", "嘉委发〔2025〕1号 第三条")
    assert set_.exit_code == 0, set_.output
    [version] = rows(app, ParameterVersionRecord, ParameterVersionRecord.key == KEY, ParameterVersionRecord.sequence == 2)

    done = invoke(runner, "reevaluate")
    assert done.exit_code == 0, done.output
    [_, run] = rows(app, EvaluationRun)
    assert done.stdout.splitlines()[0] == (
        f"run {run.id}: 3 activities evaluated, 1 changed, 2 unchanged; 1 outcomes superseded, 1 added")
    assert (run.trigger, run.activities, run.outcomes_added, run.outcomes_superseded) == ("reevaluate", 3, 1, 1)
    assert _current(app) == {"OLD": (300000, "R2"), "NEW": (400000, "R2"), "TC": (500000, "R8")}

    [new_activity] = rows(app, ActivityRecord, ActivityRecord.external_id == "NEW")
    old_row, new_row = rows(app, OutcomeRecord, OutcomeRecord.activity_id == new_activity.id)
    assert old_row.id == original[new_activity.id].id  # the superseded outcome is kept
    assert old_row.amount == 300000
    assert old_row.superseded_at is not None and old_row.superseded_by_run_id == run.id
    assert (new_row.amount, new_row.superseded_at, new_row.run_id) == (400000, None, run.id)
    assert new_row.parameters == [{"key": KEY, "value": 400000, "effective_from": "2025-01-01", "version_id": version.id,
                                   "sequence": version.sequence}]
    for ref in ("OLD", "TC"):
        [activity] = rows(app, ActivityRecord, ActivityRecord.external_id == ref)
        [only] = rows(app, OutcomeRecord, OutcomeRecord.activity_id == activity.id)
        assert only.id == original[activity.id].id and only.superseded_at is None
    [audit] = rows(app, AuditEntry, AuditEntry.action == "outcomes.reevaluate")
    assert audit.after["changed"] == 1 and audit.after["superseded"] == 1 and audit.after["run"] == run.id

    again = invoke(runner, "reevaluate")  # nothing recorded since: nothing to recompute
    assert again.exit_code == 0
    assert "0 activities evaluated, 0 changed, 0 unchanged; 0 outcomes superseded, 0 added" in again.stdout
    full = invoke(runner, "reevaluate", "--full")
    assert full.exit_code == 0
    assert "3 activities evaluated, 0 changed, 3 unchanged; 0 outcomes superseded, 0 added" in full.stdout
    assert count(app, OutcomeRecord) == 4
    assert count(app, OutcomeRecord, OutcomeRecord.superseded_at.is_not(None)) == 1
    # Another version from 2025: only NEW is recomputed (it read the 2025 version; OLD read the one
    # in force until 2025, which stays as it was; TC reads another parameter).
    assert invoke(runner, "params", "set", KEY, "410000", "--from", "2025-01-01", "--reason", "r",
                  "--reference", "x").exit_code == 0
    only = invoke(runner, "reevaluate")
    assert "1 activities evaluated, 1 changed, 0 unchanged; 1 outcomes superseded, 1 added" in only.stdout
    assert _current(app) == {"OLD": (300000, "R2"), "NEW": (410000, "R2"), "TC": (500000, "R8")}


def test_reevaluate_since_leaves_earlier_activities_alone(app: Flask, runner, tmp_path: Path) -> None:
    assert invoke(runner, "import", write_json(tmp_path / "three.json", REEVALUATION_SET)).exit_code == 0
    assert invoke(runner, "params", "set", KEY, "350000", "--from", "2023-01-01", "--reason", "retroactive").exit_code == 0

    # The new value covers both OLD (2023) and NEW (2025); --since limits the recomputation to NEW.
    since = invoke(runner, "reevaluate", "--since", "2024-01-01")
    assert since.exit_code == 0, since.output
    assert "2 activities evaluated, 1 changed, 1 unchanged; 1 outcomes superseded, 1 added" in since.stdout
    assert _current(app) == {"OLD": (300000, "R2"), "NEW": (350000, "R2"), "TC": (500000, "R8")}
    [_, run] = rows(app, EvaluationRun)
    assert run.since == date(2024, 1, 1)

    everything = invoke(runner, "reevaluate")
    assert "3 activities evaluated, 1 changed, 2 unchanged" in everything.stdout
    assert _current(app) == {"OLD": (350000, "R2"), "NEW": (350000, "R2"), "TC": (500000, "R8")}


# ===================================================================================
# params
# ===================================================================================


def _line(output: str, key: str) -> str:
    [line] = [line for line in output.splitlines() if line.startswith(key + " ")]
    return line


def test_params_list(app: Flask, runner) -> None:
    result = invoke(runner, "params", "list")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == f"values in force on {clock.today().isoformat()}"
    with app.app_context():
        registry = app.extensions["stdpolicy"]
        sequences = {v.key: v.sequence for v in db.session.scalars(select(ParameterVersionRecord))}
    for key in registry.parameters:
        assert key in result.stdout
    # the version's number within its key, as the admin shows it (第1版), not the database id
    assert _line(result.stdout, KEY).split()[:5] == [KEY, "300,000", "yuan", "2022-08-01", str(sequences[KEY])]
    assert _line(result.stdout, "reward_tiers.lead.international").split()[1] == "1,000,000"

    before = invoke(runner, "params", "list", "--on", "2022-07-31")
    assert _line(before.stdout, KEY).split()[1:5] == ["—", "yuan", "not", "in"]

    only = invoke(runner, "params", "list", "reward_tiers")
    assert only.exit_code == 0 and KEY in only.stdout

    unknown = invoke(runner, "params", "list", "no_such_plugin")
    assert unknown.exit_code == 2
    assert "no loaded plugin 'no_such_plugin'" in unknown.stderr


def test_params_list_on_a_date_and_as_believed(runner) -> None:
    assert invoke(runner, "params", "set", KEY, "400000", "--from", "2025-01-01", "--reason", "r").exit_code == 0

    assert _line(invoke(runner, "params", "list", "--on", "2025-06-01").stdout, KEY).split()[1] == "400,000"
    assert _line(invoke(runner, "params", "list", "--on", "2024-12-31").stdout, KEY).split()[1] == "300,000"
    # Two days back: before anything was recorded in this fresh database (defaults included).
    past = (clock.today() - timedelta(days=2)).isoformat()
    believed = invoke(runner, "params", "list", "--on", "2025-06-01", "--believed-at", past)
    assert believed.exit_code == 0
    assert f"as believed at {past}" in believed.stdout
    assert _line(believed.stdout, KEY).split()[1] == "—"


def test_params_history_keeps_every_version(app: Flask, runner) -> None:
    assert invoke(runner, "params", "set", KEY, "400000", "--from", "2025-01-01", "--reason", "first change").exit_code == 0
    assert invoke(runner, "params", "set", KEY, "350,000", "--from", "2025-01-01", "--reason", "correction").exit_code == 0

    result = invoke(runner, "params", "history", KEY)

    assert result.exit_code == 0, result.output
    versions = rows(app, ParameterVersionRecord, ParameterVersionRecord.key == KEY, order=ParameterVersionRecord.sequence)
    assert [(v.sequence, v.value, v.source) for v in versions] == [
        (1, "300000", "default"), (2, "400000", "cli"), (3, "350000", "cli")]
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{KEY} — 牵头制定国家标准 / Leading the drafting of a national standard")
    assert lines[1].split()[:2] == ["version", "in"]
    body = lines[3:]
    # one number per version: its number within the key, as the admin and the explanations show it
    assert [line.split()[:3] for line in body] == [
        ["1", "2022-08-01", "300,000"],
        ["2", "2025-01-01", "400,000"],
        ["3", "2025-01-01", "350,000"],
    ]
    # The later recording wins for the same date: version 3 is in force today.
    assert body[2].endswith("← in force today")
    assert not body[1].endswith("← in force today")
    assert "correction" in body[2] and "first change" in body[1]

    unknown = invoke(runner, "params", "history", "reward_tiers.nope")
    assert unknown.exit_code == 2


def test_params_set_unknown_key_stores_nothing(app: Flask, runner) -> None:
    versions, audits = count(app, ParameterVersionRecord), count(app, AuditEntry)

    result = invoke(runner, "params", "set", "reward_tiers.lead.galactic", "100", "--from", "2025-01-01",
                    "--reason", "r", "--reference", "x")

    assert result.exit_code == 2
    assert "unknown parameter 'reward_tiers.lead.galactic'" in result.stderr
    assert count(app, ParameterVersionRecord) == versions
    assert count(app, AuditEntry) == audits


@pytest.mark.parametrize(("options", "field", "message"), [
    (["--", KEY, "1.5"], "value", "Not a whole number of yuan."),
    (["--", KEY, "-5"], "value", "Must not be negative."),
    ([KEY, "-5"], "value", "Must not be negative."),  # no "--" needed: -5 is the value, not an option
    (["--", KEY, "abc"], "value", "Not a whole number of yuan."),
    (["--", KEY, ""], "value", "Not a whole number of yuan."),
    (["--from", "2025-02-30", KEY, "400000"], "effective_from", "Not a valid date."),
    (["--reason", "   ", KEY, "400000"], "reason", "Must not be blank."),
])
def test_params_set_bad_input_exits_2_naming_the_field(app: Flask, runner, options: list[str], field: str,
                                                        message: str) -> None:
    defaults = {"--from": "2025-01-01", "--reason": "change", "--reference": "doc"}
    args = []
    for option, value in defaults.items():
        if option not in options:
            args += [option, value]
    versions, audits = count(app, ParameterVersionRecord), count(app, AuditEntry)

    result = invoke(runner, "params", "set", *args, *options)

    assert result.exit_code == 2
    assert f"error: {field}: {message}" in result.stderr
    assert "nothing stored" in result.stderr
    assert count(app, ParameterVersionRecord) == versions
    assert count(app, AuditEntry) == audits


def test_params_set_takes_an_amount_as_the_policy_writes_it(app: Flask, runner) -> None:
    """The policy writes its amounts in 万元 (给予30万元奖励): an administrator may type them so."""
    result = invoke(runner, "params", "set", KEY, "35万元", "--from", "2025-01-01", "--reason", "r", "--reference", "x")

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"recorded {KEY} version 2: 350,000 from 2025-01-01"
    latest = rows(app, ParameterVersionRecord, ParameterVersionRecord.key == KEY, order=ParameterVersionRecord.sequence)[-1]
    assert latest.value == "350000"


def test_params_set_stores_a_version_and_audits_it(app: Flask, runner) -> None:
    result = invoke(runner, "params", "set", KEY, "400,000", "--from", "2025-01-01",
                    "--reason", " 2025 amendment ", "--reference", "嘉委发〔2025〕1号")

    assert result.exit_code == 0, result.output
    [old, new] = rows(app, ParameterVersionRecord, ParameterVersionRecord.key == KEY, order=ParameterVersionRecord.sequence)
    assert result.stdout.strip() == f"recorded {KEY} version 2: 400,000 from 2025-01-01"
    assert (new.sequence, new.value, new.effective_from, new.source, new.recorded_by) == (
        2, "400000", date(2025, 1, 1), "cli", "cli-tester")
    assert (new.reason, new.reference) == ("2025 amendment", "嘉委发〔2025〕1号")
    assert old.value == "300000"  # the earlier version is untouched
    [audit] = rows(app, AuditEntry, AuditEntry.action == "parameter.version")
    assert (audit.actor, audit.target) == ("cli-tester", KEY)
    assert audit.before == {"value": "300000", "effective_from": "2022-08-01", "sequence": 1}
    assert audit.after == {"value": "400000", "effective_from": "2025-01-01", "sequence": 2,
                           "reason": "2025 amendment", "reference": "嘉委发〔2025〕1号"}


def test_params_set_without_reference_reuses_the_latest(app: Flask, runner) -> None:
    result = invoke(runner, "params", "set", KEY, "400000", "--from", "2025-01-01", "--reason", "r")

    assert result.exit_code == 0, result.output
    assert f"no --reference given: using '{DOCUMENT} 三(二)'" in result.stderr
    [new] = rows(app, ParameterVersionRecord, ParameterVersionRecord.key == KEY, ParameterVersionRecord.sequence == 2)
    assert new.reference == f"{DOCUMENT} 三(二)"


def test_params_set_before_the_first_version_stores_it_and_warns(app: Flask, runner) -> None:
    # 2002 for 2022: the first version is the policy's own start; the slip is stored (a value may have
    # held earlier) but said, with the days between which activities now read it.
    slipped = invoke(runner, "params", "set", KEY, "400000", "--from", "2002-08-01", "--reason", "r", "--reference", "x")
    assert slipped.exit_code == 0, slipped.output
    assert slipped.stdout.strip() == f"recorded {KEY} version 2: 400,000 from 2002-08-01"
    assert (f"warning: 2002-08-01 is before the first version of {KEY} (in force from 2022-08-01): "
            "activities dated between the two now read this value; check the year") in slipped.stderr
    assert [v.effective_from for v in rows(app, ParameterVersionRecord, ParameterVersionRecord.key == KEY)] == [
        date(2022, 8, 1), date(2002, 8, 1)]
    # On or after the first version's day, and after the slip itself (no longer before the first): no warning.
    for day in ("2022-08-01", "2010-01-01"):
        done = invoke(runner, "params", "set", KEY, "410000", "--from", day, "--reason", "r", "--reference", "x")
        assert done.exit_code == 0, done.output
        assert "warning" not in done.stderr


def test_params_set_changes_evaluation_from_its_date(runner, tmp_path: Path) -> None:
    path = write_json(tmp_path / "two.json", REEVALUATION_SET[:2])
    assert invoke(runner, "params", "set", KEY, "400000", "--from", "2025-01-01", "--reason", "r").exit_code == 0

    _, document = evaluate_json(runner, path)

    assert amounts(document) == {"OLD": 300000, "NEW": 400000}


# ===================================================================================
# plugins, enable, disable
# ===================================================================================


def test_plugins_lists_the_loaded_plugins(runner) -> None:
    result = invoke(runner, "plugins")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "reward_tiers 1.0.0 — 标准化奖励与补助 / Standardisation rewards and subsidies" in lines
    assert "    source:      stdpolicy (built-in) [plugins.reward_tiers]" in lines
    assert "    kinds:       standard_drafting, tc_secretariat, innovation_award, pilot_project, talent_enterprise" in lines
    assert "    reads:       standard_drafting, tc_secretariat, innovation_award, pilot_project" in lines
    assert "    parameters:  22" in lines
    assert "    enabled by:  market_regulation" in lines
    assert any(line.startswith("    hooks:") and "stdpolicy_evaluate" in line for line in lines)
    assert "FAILED" not in result.stdout


def test_disable_and_enable_are_audited_and_take_effect_without_restart(app: Flask, runner) -> None:
    _, before = evaluate_json(runner, str(ACTIVITIES), "-d", "market_regulation")
    assert before["total_amount"] == TOTAL

    off = invoke(runner, "disable", "reward_tiers", "--department", "market_regulation")
    assert off.exit_code == 0, off.output
    assert off.stdout.startswith("reward_tiers disabled for market_regulation")
    _, disabled = evaluate_json(runner, str(ACTIVITIES), "-d", "market_regulation")
    assert disabled["total_amount"] == 0
    assert all(item["outcomes"] == [] for item in disabled["results"])
    assert "enabled by:  —" in invoke(runner, "plugins").stdout

    again = invoke(runner, "disable", "reward_tiers", "-d", "market_regulation")
    assert again.exit_code == 0
    assert "reward_tiers was already disabled for market_regulation" in again.stdout

    on = invoke(runner, "enable", "reward_tiers", "-d", "市场监督管理局")
    assert on.exit_code == 0, on.output
    _, enabled = evaluate_json(runner, str(ACTIVITIES), "-d", "market_regulation")
    assert enabled == before

    with app.app_context():
        market = db.session.scalar(select(Department.id).filter_by(code="market_regulation"))
    audits = rows(app, AuditEntry, AuditEntry.action.in_(["plugin.enable", "plugin.disable"]), AuditEntry.actor == "cli-tester")
    assert [(a.action, a.target, a.department_id, a.before, a.after) for a in audits] == [
        ("plugin.disable", "market_regulation/reward_tiers", market, {"enabled": True}, {"enabled": False}),
        ("plugin.enable", "market_regulation/reward_tiers", market, {"enabled": False}, {"enabled": True}),
    ]
    [row] = rows(app, PluginEnablement, PluginEnablement.department_id == market)
    assert (row.enabled, row.changed_by) == (True, "cli-tester")


def test_enable_for_another_department(app: Flask, runner) -> None:
    _, before = evaluate_json(runner, str(ACTIVITIES), "-d", "health")
    assert before["total_amount"] == 0

    refused = invoke(runner, "enable", "reward_tiers", "-d", "health")
    assert refused.exit_code == 2
    assert "health is not permitted to switch on reward_tiers" in refused.stderr
    assert "stdpolicy permit reward_tiers --department health" in refused.stderr
    assert rows(app, AuditEntry, AuditEntry.action == "plugin.enable", AuditEntry.actor == "cli-tester") == []

    permitted = invoke(runner, "permit", "reward_tiers", "-d", "health")
    assert permitted.exit_code == 0, permitted.output
    result = invoke(runner, "enable", "reward_tiers", "-d", "health")

    assert result.exit_code == 0, result.output
    _, after = evaluate_json(runner, str(ACTIVITIES), "-d", "health")
    assert after["total_amount"] == TOTAL
    assert "enabled by:  health, market_regulation" in invoke(runner, "plugins").stdout
    [audit] = rows(app, AuditEntry, AuditEntry.action == "plugin.enable", AuditEntry.actor == "cli-tester")
    assert (audit.target, audit.before, audit.after) == ("health/reward_tiers", None, {"enabled": True})


def test_enable_unknown_plugin_exits_2(app: Flask, runner) -> None:
    audits, enablements = count(app, AuditEntry), count(app, PluginEnablement)

    result = invoke(runner, "enable", "no_such_plugin", "-d", "market_regulation")

    assert result.exit_code == 2
    assert "no loaded plugin 'no_such_plugin'" in result.stderr
    assert count(app, AuditEntry) == audits
    assert count(app, PluginEnablement) == enablements


def test_enable_unknown_department_is_an_error(app: Flask, runner) -> None:
    audits = count(app, AuditEntry)

    for command in ("enable", "disable"):
        result = invoke(runner, command, "reward_tiers", "-d", "nowhere")
        assert result.exit_code == 2
        assert "no department 'nowhere'" in result.stderr
        assert "market_regulation" in result.stderr  # the known codes are listed
    assert count(app, AuditEntry) == audits


def test_enable_requires_a_department(runner) -> None:
    result = invoke(runner, "enable", "reward_tiers")
    assert result.exit_code == 2
    assert "--department" in result.stderr


def test_evaluate_deeply_nested_json_exits_2_without_a_traceback(runner, tmp_path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    result = runner.invoke(args=["evaluate", str(path)])
    assert result.exit_code == 2
    assert "nested too deeply" in result.stderr


def test_commands_on_a_database_not_set_up_say_run_init(tmp_path) -> None:
    from webadmin import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/empty.sqlite"})
    runner = app.test_cli_runner()
    for args in (["evaluate", str(ACTIVITIES)], ["import", str(ACTIVITIES)], ["params", "list"], ["plugins"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 2, (args, result.output)
        assert "is not set up: run `stdpolicy init`" in result.stderr
