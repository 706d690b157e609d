"""``stdpolicy whatif``: evaluate, save, list, show, compare and record budget what-ifs from the command line."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from core.db import db
from core.models import ParameterVersionRecord, WhatIfScenario

from test_whatif import RECORDS

LEAD = "reward_tiers.lead.national"
SECRETARIAT = "reward_tiers.secretariat.national"


@pytest.fixture(autouse=True)
def _actor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STDPOLICY_ACTOR", "cli-tester")


@pytest.fixture
def stored(app, runner, tmp_path):
    path = tmp_path / "records.json"
    path.write_text(json.dumps(RECORDS), encoding="utf-8")
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    return runner


def _versions(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(ParameterVersionRecord.id)))


def test_whatif_table_and_json(app, stored):
    before = _versions(app)
    table = stored.invoke(args=["whatif", "--set", f"{LEAD}=400,000", "--from", "2025-01-01"])
    assert table.exit_code == 0, table.output
    assert "total: 1,850,000 now, 2,150,000 proposed (+300,000)" in table.output.replace("¥", "")
    assert "A2" in table.output and "A7" in table.output and "A6" not in table.output
    as_json = stored.invoke(args=["whatif", "--set", f"{LEAD}=400000", "--set", f"{SECRETARIAT}=600000@2025-01-01",
                                  "--from", "2025-01-01", "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    document = json.loads(as_json.stdout)
    assert document["difference"] == 400000
    assert {c["id"]: (c["old"], c["new"]) for c in document["changes"]} == {
        "A2": (300000, 400000), "A3": (300000, 400000), "A7": (300000, 400000), "A6": (500000, 600000)}
    assert _versions(app) == before


def test_bad_input_is_a_clear_error(stored):
    bad = stored.invoke(args=["whatif", "--set", f"{LEAD}=1.5", "--from", "2025-01-01"])
    assert bad.exit_code == 2 and f"--set {LEAD}=1.5: value" in bad.stderr and "Traceback" not in bad.output
    unknown = stored.invoke(args=["whatif", "--set", "nope=1", "--from", "2025-01-01"])
    assert unknown.exit_code == 2 and "unknown parameter 'nope'" in unknown.stderr
    no_date = stored.invoke(args=["whatif", "--set", f"{LEAD}=1"])
    assert no_date.exit_code == 2 and "--from" in no_date.stderr
    nothing = stored.invoke(args=["whatif"])
    assert nothing.exit_code == 2 and "--set" in nothing.stderr
    # A value of 5,000 digits, a key of 3,000 characters: named and clipped, not echoed whole.
    huge = stored.invoke(args=["whatif", "--set", f"{LEAD}={'9' * 5000}", "--from", "2025-01-01"])
    assert huge.exit_code == 2 and "value: Number too large" in huge.stderr and "Traceback" not in huge.output
    assert f"({len(LEAD) + 5001:,} characters)" in huge.stderr and len(huge.stderr) < 400
    long_key = stored.invoke(args=["whatif", "--set", "k" * 3000, "--from", "2025-01-01"])
    assert long_key.exit_code == 2 and "(3,000 characters)': write KEY=VALUE" in long_key.stderr
    assert len(long_key.stderr) < 600


def test_save_list_show_compare_record(app, stored):
    for name, value in (("forty", "400000"), ("fifty", "500000")):
        saved = stored.invoke(args=["whatif", "save", name, "--set", f"{LEAD}={value}", "--from", "2025-01-01"])
        assert saved.exit_code == 0, saved.output
    again = stored.invoke(args=["whatif", "save", "forty", "--set", f"{LEAD}=1", "--from", "2025-01-01"])
    assert again.exit_code == 2 and "already saved" in again.stderr
    listed = stored.invoke(args=["whatif", "list"])
    assert "forty" in listed.output and "fifty" in listed.output
    shown = stored.invoke(args=["whatif", "show", "fifty", "--format", "json"])
    assert json.loads(shown.stdout)["difference"] == 600000
    compared = stored.invoke(args=["whatif", "compare", "forty", "fifty"])
    assert compared.exit_code == 0, compared.output
    line = next(line for line in compared.output.splitlines() if line.startswith("proposed"))
    assert "2,150,000" in line and "2,450,000" in line
    missing = stored.invoke(args=["whatif", "show", "nope"])
    assert missing.exit_code == 2 and "no saved scenario named 'nope'" in missing.stderr

    before = _versions(app)
    blank = stored.invoke(args=["whatif", "record", "forty", "--reason", " ", "--reference", "三(二)"])
    assert blank.exit_code == 2 and "reason" in blank.stderr and _versions(app) == before
    recorded = stored.invoke(args=["whatif", "record", "forty", "--reason", "budget", "--reference", "三(二)"])
    assert recorded.exit_code == 0, recorded.output
    assert f"recorded {LEAD} version 2" in recorded.output and "3 changed" in recorded.output
    assert _versions(app) == before + 1
    with app.app_context():
        assert db.session.scalar(select(WhatIfScenario).filter_by(name="forty")).recorded_by == "cli-tester"
    twice = stored.invoke(args=["whatif", "record", "forty", "--reason", "budget", "--reference", "三(二)"])
    assert twice.exit_code == 2 and "was recorded" in twice.stderr
