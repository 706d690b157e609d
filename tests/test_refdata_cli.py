"""``stdpolicy refdata``: list, show, history, diff, import (CSV, XLSX, JSON), export — on both databases."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from core.db import db
from core.models import AuditEntry, ReferenceVersionRecord

from fault_support import everything
from refdata_support import quota_app, quota_app_before_init, quota_client, quota_login, quota_runner, report  # noqa: F401

TABLE = "quota.limits"
CSV_V2 = (
    "标准编号,产品,等级数,指标,实施日期,强制性\n"
    'GB 21256-2013,烧结,3,"[{""指标名称"": ""工序能耗"", ""单位"": ""kgce/t"", ""方向"": ""越低越好"", ""各级限定值"": [40, 45, 50]}]",2024-01-01,是\n'
    'GB 21256-2013,焦化,3,"[{""name"": ""工序能耗"", ""unit"": ""kgce/t"", ""direction"": ""lower"", ""limits"": [115, 125, 150]}]",,是\n'
    'GB 21256-2013,球团,2,"[{""name"": ""工序能耗"", ""unit"": ""kgce/t"", ""direction"": ""lower"", ""limits"": [15, 24]}]",,否\n'
)


def _import(runner, path: Path, *extra: str, day: str = "2024-01-01"):
    return runner.invoke(args=["refdata", "import", TABLE, str(path), "--from", day, "--reason", "新版标准实施",
                               "--reference", "GB 21256-2024 4.1", *extra])


def _file(tmp_path: Path, text: str = CSV_V2, name: str = "v2.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_list_show_and_history(quota_runner) -> None:
    listed = quota_runner.invoke(args=["refdata", "list"])
    assert listed.exit_code == 0, listed.output
    [line] = [l for l in listed.output.splitlines() if l.startswith(TABLE)]
    assert line.split()[:5] == [TABLE, "1", "2013-10-01", "2", "1"]
    assert quota_runner.invoke(args=["refdata", "list", "reward_tiers"]).output.count("quota.") == 0
    assert quota_runner.invoke(args=["refdata", "list", "nothing"]).exit_code == 2

    shown = quota_runner.invoke(args=["refdata", "show", TABLE])
    assert shown.exit_code == 0, shown.output
    assert "version 1, in force from 2013-10-01; 2 rows" in shown.output
    assert '"Grade limits": ["45", "50", "55"]' in shown.output and '"Direction": "lower is better"' in shown.output
    before = quota_runner.invoke(args=["refdata", "show", TABLE, "--on", "2013-09-30"])
    assert before.exit_code == 2 and "no version of quota.limits is in force on 2013-09-30" in before.output
    as_json = json.loads(quota_runner.invoke(args=["refdata", "show", TABLE, "--format", "json"]).output)
    assert as_json["version"]["sequence"] == 1 and as_json["rows"][0]["indicators"][0]["limits"] == ["45", "50", "55"]

    history = quota_runner.invoke(args=["refdata", "history", TABLE])
    assert history.exit_code == 0 and "← in force today" in history.output and "shipped" in history.output
    unknown = quota_runner.invoke(args=["refdata", "history", "quota.nothing"])
    assert unknown.exit_code == 2 and "unknown reference table 'quota.nothing'" in unknown.output


def test_import_prints_the_difference_and_records_a_version(quota_app: Flask, quota_runner, tmp_path: Path) -> None:
    dry = _import(quota_runner, _file(tmp_path), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "version 1 → this file: 1 added, 0 removed, 1 changed, 1 unchanged" in dry.output
    assert "dry run: nothing stored" in dry.output
    done = _import(quota_runner, _file(tmp_path), "--based-on", "1")
    assert done.exit_code == 0, done.output
    assert "quota.limits: version 1 → version 2: 1 added, 0 removed, 1 changed, 1 unchanged" in done.output
    assert "+ GB 21256-2013 / 球团" in done.output
    assert "~ GB 21256-2013 / 烧结" in done.output and "    implemented: 2013-10-01 → 2024-01-01" in done.output
    assert done.output.strip().endswith("recorded quota.limits version 2: 3 rows from 2024-01-01")
    with quota_app.app_context():
        version = db.session.scalars(select(ReferenceVersionRecord).filter_by(table_key=TABLE, sequence=2)).one()
        assert (version.source, version.recorded_by.startswith("cli"), version.reason) == ("cli", True, "新版标准实施")
        entry = db.session.scalars(select(AuditEntry).filter_by(action="refdata.version")).one()
        assert entry.department.code == "market_regulation"  # the owner's, from the command line

    shown = quota_runner.invoke(args=["refdata", "show", TABLE, "--on", "2023-12-31"])
    assert "version 1," in shown.output  # earlier dates keep the old edition
    assert "version 2," in quota_runner.invoke(args=["refdata", "show", TABLE]).output
    diff = quota_runner.invoke(args=["refdata", "diff", TABLE, "1", "2", "--format", "json"])
    assert json.loads(diff.output)["added"] == 1
    assert quota_runner.invoke(args=["refdata", "diff", TABLE, "1", "9"]).exit_code == 2

    stale = _import(quota_runner, _file(tmp_path), "--based-on", "1")
    assert stale.exit_code == 2 and "version 2 was recorded after the version 1" in stale.output


def test_an_invalid_file_lists_every_row_and_stores_nothing(quota_app: Flask, quota_runner, tmp_path: Path) -> None:
    before = everything(quota_app)
    bad = CSV_V2.replace(",3,", ",9,", 1).replace("[15, 24]", '[""x""]')
    result = _import(quota_runner, _file(tmp_path, bad))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "row 2, Grades: Must be greater than or equal to 1 and less than or equal to 5. / 第2行 等级数:必须大于等于 1 且小于等于 5。" in lines
    assert any(l.startswith("row 4, Indicators › item 1 › Grade limits › item 1: Not a valid number.") for l in lines)
    assert lines[-1] == "2 error(s); nothing stored"
    bad_date = _import(quota_runner, _file(tmp_path), day="2024-02-30")
    assert bad_date.exit_code == 2 and "error: --from: Not a valid date." in bad_date.output
    unreadable = _import(quota_runner, _file(tmp_path, "x", name="v2.xls"))
    assert unreadable.exit_code == 2 and "Excel 97" in unreadable.output
    assert everything(quota_app) == before


def test_export_and_import_round_trip(quota_runner, tmp_path: Path) -> None:
    assert _import(quota_runner, _file(tmp_path)).exit_code == 0
    for fmt in ("xlsx", "csv", "json"):
        path = tmp_path / f"export.{fmt}"
        result = quota_runner.invoke(args=["refdata", "export", TABLE, "--format", fmt, "-o", str(path)])
        assert result.exit_code == 0, result.output
        assert "wrote quota.limits version 2 (3 rows)" in result.output
        again = _import(quota_runner, path, "--dry-run", day="2025-01-01")
        assert "0 added, 0 removed, 0 changed, 3 unchanged" in again.output, (fmt, again.output)
    english = quota_runner.invoke(args=["refdata", "export", TABLE, "--lang", "en", "--version", "1"])
    assert english.output.splitlines()[0] == "Standard,Product,Grades,Indicators,Implemented,Mandatory"
    assert quota_runner.invoke(args=["refdata", "export", TABLE, "--format", "xlsx"]).exit_code == 2


def test_init_stores_the_shipped_versions_and_demo_the_samples(quota_app: Flask, quota_runner) -> None:
    init = quota_runner.invoke(args=["init"])
    assert init.exit_code == 0, init.output
    assert "reference data" not in init.output  # already stored by the fixture: nothing again
    demo = quota_runner.invoke(args=["init", "--demo"])
    assert demo.exit_code == 0, demo.output
    assert "reference data sample: quota.limits version 2 from 2024-01-01 (3 rows, sample data)" in demo.output
    history = quota_runner.invoke(args=["refdata", "history", TABLE])
    assert "2 (sample)" in history.output and "demo" in history.output
    shown = quota_runner.invoke(args=["refdata", "show", TABLE, "--on", "2024-06-01"])
    assert "SAMPLE DATA" in shown.output


def test_plugins_lists_a_plugins_reference_tables_and_parameter_types(quota_app: Flask, quota_runner, quota_client,
                                                                     quota_login) -> None:
    listed = quota_runner.invoke(args=["plugins"])
    assert listed.exit_code == 0, listed.output
    section = listed.output[listed.output.index("quota"):]
    assert "reference:   quota.limits, quota.sectors" in section and "types:       ratio" in section
    quota_login("city")
    page = quota_client.get("/plugins").get_data(as_text=True)
    assert "声明版本化参考数据表" in page and "声明参数值的类型" in page


def test_evaluating_before_the_shipped_reference_data_is_stored_says_run_init(quota_app_before_init: Flask,
                                                                           tmp_path: Path) -> None:
    """Never a silent result computed without the table: the plugin's reference data must be stored first."""
    runner = quota_app_before_init.test_cli_runner()
    path = tmp_path / "reports.json"
    path.write_text(json.dumps([report("46", ref="R1")], ensure_ascii=False), encoding="utf-8")
    for args in (["evaluate", str(path), "-d", "market_regulation"], ["import", str(path)]):
        done = runner.invoke(args=args)
        assert done.exit_code == 2, (args, done.output)
        assert done.stderr == ("error: the parameters and reference data of quota (quota.limits, quota.sectors) are not "
                               "stored yet: run `stdpolicy init` (it stores the values the plugins ship and changes "
                               "nothing else)\n"), args
    init = runner.invoke(args=["init"])
    assert init.exit_code == 0 and "reference data shipped: quota.limits" in init.output, init.output
    done = runner.invoke(args=["evaluate", str(path), "-d", "market_regulation"])
    assert done.exit_code == 0, done.output


def test_the_admin_names_the_missing_reference_data_too(quota_app_before_init: Flask, tmp_path: Path) -> None:
    """The admin's page says "parameters and reference data" when tables are missing, not "parameters" alone."""
    import io

    from conftest import PASSWORD

    client = quota_app_before_init.test_client()
    assert client.post("/login", data={"username": "mr_admin", "password": PASSWORD}).status_code == 302
    records = json.dumps([report("46", ref="R1")], ensure_ascii=False).encode("utf-8")
    page = client.post("/import", data={"file": (io.BytesIO(records), "reports.json")},
                       content_type="multipart/form-data")
    assert page.status_code == 503
    html = page.get_data(as_text=True)
    assert "的参数和参考数据尚未存入数据库" in html and "stdpolicy init" in html
    assert "参数值和参考数据表" in html
