"""Hostile input never costs a neighbour and never ends in a traceback (core/screening.py,
core/interchange, the bisection in core/registry.py, the API's body cap).

Each problem of one record is a field error of that record; the rest of the
batch is evaluated as if it were not there — from Python, the CLI, the API
and the admin's import, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from marshmallow import Schema, fields
from sqlalchemy import func, select

from core import ActivityKind, Outcome, Text, hookimpl, load_registry
from core.db import db
from core.interchange import parse_bytes
from core.models import ActivityRecord, OutcomeRecord

from webadmin_support import bearer, fast_password_hashing, make_token  # noqa: F401  (fixtures)

from conftest import PROJECT_PLUGINS

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = json.loads((ROOT / "docs/examples/activities.json").read_text(encoding="utf-8"))
AWARD = {"kind": "innovation_award", "date": "2024-12-18", "credit_code": "913304007429141869", "award": "second",
         "project": "智能家居互联互通系列标准"}


def document(result) -> dict:
    return json.loads(result.stdout)


def by_id(doc: dict) -> dict[str, dict]:
    return {item["id"]: item for item in doc["results"]}


def raw_json(records: list[Any], bad: str) -> str:
    """A JSON array of ``records`` with ``bad`` (raw JSON text of one object) in the middle."""
    parts = [json.dumps(r, ensure_ascii=False) for r in records]
    parts.insert(len(parts) // 2, bad)
    return "[" + ",\n".join(parts) + "]"


# -- one bad record among good ones: every hostile value, every edge -----------------------

#: (what, raw JSON object, the field the error names)
HOSTILE = [
    ("lone surrogate in project", '{"id": "BAD", "kind": "innovation_award", "date": "2024-12-18", '
     '"credit_code": "913304007429141869", "award": "third", "project": "\\ud800"}', "project"),
    ("lone surrogate in id", '{"id": "\\udfff", "kind": "innovation_award", "date": "2024-12-18", '
     '"credit_code": "913304007429141869", "award": "third"}', "id"),
    ("lone surrogate in standard_code", '{"id": "BAD", "kind": "standard_drafting", "date": "2025-06-20", '
     '"credit_code": "913304007429141869", "standard_code": "GB/T \\ud83d 1-2025", "rank": 1}', "standard_code"),
    ("lone surrogate in organisation", '{"id": "BAD", "kind": "innovation_award", "date": "2024-12-18", '
     '"credit_code": "913304007429141869", "award": "third", "organisation": "嘉兴\\udc80"}', "organisation"),
    ("lone surrogate in credit_code", '{"id": "BAD", "kind": "innovation_award", "date": "2024-12-18", '
     '"credit_code": "\\ud800913304007429141869", "award": "third"}', "credit_code"),
    ("lone surrogate in kind", '{"id": "BAD", "kind": "\\ud800", "date": "2024-12-18", '
     '"credit_code": "913304007429141869", "award": "third"}', "kind"),
    ("NUL in project", '{"id": "BAD", "kind": "innovation_award", "date": "2024-12-18", '
     '"credit_code": "913304007429141869", "award": "third", "project": "a\\u0000b"}', "project"),
    ("escape character in organisation", '{"id": "BAD", "kind": "innovation_award", "date": "2024-12-18", '
     '"credit_code": "913304007429141869", "award": "third", "organisation": "\\u001b[31m红"}', "organisation"),
    ("C1 control in title", '{"id": "BAD", "kind": "standard_drafting", "date": "2025-06-20", '
     '"credit_code": "913304007429141869", "standard_code": "GB/T 1-2025", "rank": 1, "title": "x\\u0085y"}', "title"),
    ("line break in a single-line field", '{"id": "BAD", "kind": "innovation_award", "date": "2024-12-18", '
     '"credit_code": "913304007429141869", "award": "third", "project": "line one\\nline two"}', "project"),
    ("integer of 5,000 digits", '{"id": "BAD", "kind": "standard_drafting", "date": "2025-06-20", '
     '"credit_code": "913304007429141869", "standard_code": "GB/T 1-2025", "rank": ' + "7" * 5000 + "}", "rank"),
    ("integer beyond 64 bits", '{"id": "BAD", "kind": "standard_drafting", "date": "2025-06-20", '
     '"credit_code": "913304007429141869", "standard_code": "GB/T 1-2025", "rank": ' + str(2**70) + "}", "rank"),
    ("money of 5,000 digits as text", '{"id": "BAD", "kind": "pilot_project", "date": "2024-06-01", '
     '"credit_code": "913304007429141869", "pilot_level": "national", "accepted": true, '
     '"granted_amount": "' + "9" * 5000 + '"}', "granted_amount"),
    ("NaN", '{"id": "BAD", "kind": "standard_drafting", "date": "2025-06-20", '
     '"credit_code": "913304007429141869", "standard_code": "GB/T 1-2025", "rank": NaN}', "rank"),
    ("Infinity", '{"id": "BAD", "kind": "standard_drafting", "date": "2025-06-20", '
     '"credit_code": "913304007429141869", "standard_code": "GB/T 1-2025", "rank": -Infinity}', "rank"),
    ("a key given twice", '{"id": "BAD", "kind": "standard_drafting", "date": "2025-06-20", '
     '"credit_code": "913304007429141869", "standard_code": "GB/T 1-2025", "rank": 5, "rank": 1}', "rank"),
    ("over-long text", '{"id": "BAD", "kind": "innovation_award", "date": "2024-12-18", '
     '"credit_code": "913304007429141869", "award": "third", "project": "' + "长" * 20000 + '"}', "project"),
    ("nested surrogate", '{"id": "BAD", "kind": "innovation_award", "date": "2024-12-18", '
     '"credit_code": "913304007429141869", "award": "third", "project": ["\\ud800"]}', "project"),
    ("standard number of 5,000 digits", '{"id": "BAD", "kind": "standard_drafting", "date": "2025-06-20", '
     '"credit_code": "913304007429141869", "standard_code": "GB/T ' + "4" * 5000 + '-2025", "rank": 1}', "standard_code"),
]


@pytest.mark.parametrize("what, bad, field", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_one_hostile_record_is_a_field_error_of_its_own_and_costs_no_neighbour(runner, tmp_path, what, bad, field):
    mixed = tmp_path / "mixed.json"
    mixed.write_text(raw_json(EXAMPLES, bad), encoding="utf-8")
    alone = tmp_path / "alone.json"
    alone.write_text(json.dumps(EXAMPLES, ensure_ascii=False), encoding="utf-8")

    result = runner.invoke(args=["evaluate", str(mixed)])
    assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit), result.output
    doc = document(result)
    assert doc["invalid"] == 1
    [invalid] = [item for item in doc["results"] if item["errors"]]
    assert invalid["amount"] == 0 and invalid["outcomes"] == []
    assert invalid["row"] == len(EXAMPLES) // 2 + 1
    assert field in {e["field"] for e in invalid["errors"]}, invalid["errors"]
    assert all(e["message"] and e["message_zh"] for e in invalid["errors"])
    # the neighbours: exactly what they get without it
    reference = document(runner.invoke(args=["evaluate", str(alone)]))
    assert {k: v for k, v in by_id(doc).items() if not v["errors"]} == by_id(reference)
    assert doc["total_amount"] == reference["total_amount"] == 2550000
    # the table format prints too (a surrogate written to stdout would raise)
    table = runner.invoke(args=["evaluate", str(mixed), "--format", "table"])
    assert table.exit_code == 1 and "INVALID" in table.output


def test_the_output_never_holds_what_cannot_be_encoded(registry):
    """An invalid record's id is shown as its row when the id itself is not valid text."""
    records = json.loads('[{"id": "\\ud800", "kind": "innovation_award", "date": "2024-12-18", '
                         '"credit_code": "913304007429141869", "award": "third"}]')
    report = registry.validate(records)
    [item] = report.invalid
    assert item.ref == "#1"
    json.dumps([e.to_json() for e in item.errors], ensure_ascii=False).encode("utf-8")  # no surrogate left


def test_a_bad_key_is_an_error_of_the_record(registry):
    records = json.loads('[{"kind": "innovation_award", "date": "2024-12-18", "credit_code": "913304007429141869", '
                         '"award": "third", "project": "P", "\\ud800": 1, "a\\u0000": 2}]')
    [item] = registry.validate(records).invalid
    assert [e.field for e in item.errors] == [None, None]
    assert "\\ud800" in item.errors[0].message and "U+D800" in item.errors[0].message
    "".join(e.message + e.message_zh for e in item.errors).encode("utf-8")


def test_every_error_of_the_record_is_still_found(registry):
    record = dict(AWARD, award="fourth", project="\x00", date="2024-02-30")
    [item] = registry.validate([record]).invalid
    assert {e.field for e in item.errors} == {"award", "project", "date"}


def test_repeated_keys_name_the_key_and_the_times(registry):
    records = parse_bytes(b'[{"kind": "innovation_award", "kind": "innovation_award", "date": "2024-12-18", '
                          b'"credit_code": "913304007429141869", "award": "first", "award": "first", "award": "third"}]',
                          "x.json")
    [item] = registry.validate(records).invalid
    messages = {e.field: (e.message, e.message_zh) for e in item.errors}
    assert set(messages) == {"kind", "award"}
    assert messages["award"] == ('the key "award" is given 3 times; give each field once',
                                 '字段 "award" 出现了 3 次;每个字段只能给出一次')


def test_a_multiline_field_takes_line_breaks_and_tabs_but_no_other_control_character():
    class NoteSchema(Schema):
        note = fields.String(required=True, metadata={"multiline": True})
        name = fields.String(load_default=None)

    class Notes:
        @hookimpl
        def stdpolicy_register_activity_kinds(self):
            return [ActivityKind("note", Text("备注", "Note"), NoteSchema)]

    registry = load_registry(entry_points_group=None, plugins=[("notes", Notes())])
    base = {"kind": "note", "date": "2024-01-01", "credit_code": "913304007429141869"}
    report = registry.validate([
        dict(base, note="第一行\r\n第二行\t制表"),
        dict(base, note="a\x00b"),
        dict(base, note="ok", name="a\nb"),
    ])
    assert [type(i).__name__ for i in report.items] == ["Activity", "InvalidRecord", "InvalidRecord"]
    assert report.items[0].fields["note"] == "第一行\r\n第二行\t制表"
    assert report.items[1].errors[0].field == "note" and "U+0000" in report.items[1].errors[0].message
    assert report.items[2].errors[0].field == "name" and "single line" in report.items[2].errors[0].message


# -- reading ----------------------------------------------------------------------------------


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85", "\x0c", "\x1c"])
def test_json_lines_split_at_line_feeds_only(separator):
    first = dict(EXAMPLES[6], project=f"上{separator}下") if separator in "\u2028\u2029" else EXAMPLES[6]
    text = json.dumps(first, ensure_ascii=False) + "\n" + json.dumps(EXAMPLES[0], ensure_ascii=False) + "\r\n"
    if separator not in "\u2028\u2029":  # a separator between two objects on one line is not a line break
        text = json.dumps(EXAMPLES[6], ensure_ascii=False) + "\n" + json.dumps(EXAMPLES[0], ensure_ascii=False) + "\n"
    records = parse_bytes(text.encode("utf-8"), "x.jsonl")
    assert len(records) == 2 and records.location(1).number == 2 and records.location(1).unit == "line"
    assert records[0] == first


def test_json_lines_with_u2028_are_evaluated(runner, tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text("\n".join(json.dumps(dict(r, project="上\u2028下") if r["kind"] == "pilot_project" else r,
                                         ensure_ascii=False) for r in EXAMPLES) + "\n", encoding="utf-8")
    result = runner.invoke(args=["evaluate", str(path)])
    assert result.exit_code == 0, result.output
    assert document(result)["total_amount"] == 2550000


def test_csv_cells_beyond_the_header_are_an_error_of_the_row(registry):
    text = ("kind,date,credit_code,award,project\n"
            "innovation_award,2024-12-18,913304007429141869,first,P1\n"
            "innovation_award,2024-12-18,913304007429141869,second,P2,surplus\n"
            "innovation_award,2024-12-18,913304007429141869,third,P3,,\n")  # empty extra cells are nothing
    records = parse_bytes(text.encode(), "x.csv", registry)
    report = registry.validate(records)
    [item] = report.invalid
    assert item.location.number == 3 and item.errors[0].field is None
    assert "column F" in item.errors[0].message and "F列" in item.errors[0].message_zh
    assert len(report.valid) == 2


def test_a_value_under_an_empty_header_cell_is_an_error_of_the_row(registry):
    text = "kind,,date,credit_code,award\ninnovation_award,x,2024-12-18,913304007429141869,first\n"
    [item] = registry.validate(parse_bytes(text.encode(), "x.csv", registry)).invalid
    assert "column B has no header" in item.errors[0].message


# -- a plugin's error stays with the record that causes it --------------------------------------


class Fragile:
    """Evaluates innovation awards; raises when one's project says so."""

    def __init__(self) -> None:
        self.calls = 0

    @hookimpl
    def stdpolicy_evaluate(self, batch, context):
        self.calls += 1
        projects = {a.fields.get("project") for a in batch.of_kind("innovation_award")}
        if "boom" in projects:
            raise RuntimeError("boom")
        if {"left", "right"} <= projects:
            raise KeyError("left and right together")
        return [Outcome(a, "F1", len(batch), "x", Text("批次", "batch")) for a in batch.of_kind("innovation_award")]


def fragile_registry() -> tuple[Any, Fragile]:
    plugin = Fragile()
    registry = load_registry(only=PROJECT_PLUGINS, plugins=[("fragile", plugin)])
    return registry, plugin


def awards(*projects: str) -> list[dict]:
    return [dict(AWARD, id=f"A{i}", project=p) for i, p in enumerate(projects)]


def test_a_plugin_raising_on_one_record_fails_that_record_only():
    registry, _ = fragile_registry()
    records = awards(*[f"p{i}" for i in range(40)]) + awards("boom")[:1]
    records[-1]["id"] = "BOOM"
    records.insert(7, records.pop())  # somewhere in the middle
    report = registry.validate(records)
    result = registry.evaluate(report.valid)
    fragile = {o.activity.ref: o for o in result.outcomes if o.plugin == "fragile"}
    assert fragile["BOOM"].status == "error" and "RuntimeError: boom" in fragile["BOOM"].explanation_en
    others = [o for ref, o in fragile.items() if ref != "BOOM"]
    assert len(others) == 40 and all(o.status != "error" and o.amount == 40 for o in others)  # batch without it
    assert result.failures == {"fragile": "RuntimeError: boom"}
    # the other plugins are untouched
    alone = registry.evaluate(registry.validate([r for r in records if r["id"] != "BOOM"]).valid)
    assert [(o.activity.ref, o.rule, o.amount) for o in result.outcomes if o.plugin == "reward_tiers"
            and o.activity.ref != "BOOM"] == \
        [(o.activity.ref, o.rule, o.amount) for o in alone.outcomes if o.plugin == "reward_tiers"]


def test_records_that_raise_only_together_fail_together():
    registry, _ = fragile_registry()
    result = registry.evaluate(registry.validate(awards("a", "left", "b", "c", "right", "d", "boom")).valid)
    errors = {o.activity.fields["project"] for o in result.outcomes if o.status == "error"}
    assert errors == {"boom", "right"}  # without "right", "left" passes: it keeps its outcome
    fine = [o for o in result.outcomes if o.plugin == "fragile" and o.status != "error"]
    assert {o.activity.fields["project"] for o in fine} == {"a", "b", "c", "d", "left", "right"} - errors
    assert all(o.amount == len(fine) for o in fine)


def test_a_plugin_that_always_raises_fails_every_record_within_its_budget():
    class Broken:
        calls = 0

        @hookimpl
        def stdpolicy_evaluate(self, batch, context):
            Broken.calls += 1
            if batch.of_kind("innovation_award"):
                raise ValueError("never works")
            return []

    registry = load_registry(only=PROJECT_PLUGINS, plugins=[("broken", Broken())])
    report = registry.validate([dict(AWARD, id=f"A{i}") for i in range(3000)])
    result = registry.evaluate(report.valid)
    errors = [o for o in result.outcomes if o.plugin == "broken"]
    assert len(errors) == 3000 and all(o.status == "error" for o in errors)
    assert Broken.calls <= 2001 + 2
    assert sum(1 for o in result.outcomes if o.plugin == "reward_tiers") == 3000


def test_a_plugin_that_works_is_called_once():
    registry, plugin = fragile_registry()
    registry.evaluate(registry.validate(awards(*[f"p{i}" for i in range(100)])).valid)
    assert plugin.calls == 1


# -- the database: nothing invalid is stored, and reevaluate keeps working --------------------


def stored(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(ActivityRecord.id)))


def test_import_refuses_a_nul_and_a_later_reevaluate_works(app, runner, tmp_path):
    path = tmp_path / "nul.json"
    path.write_text(raw_json(EXAMPLES, '{"id": "NUL", "kind": "innovation_award", "date": "2024-12-18", '
                                       '"credit_code": "913304007429141869", "award": "third", "project": "a\\u0000"}'),
                    encoding="utf-8")
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 1, result.output
    assert "row 5 (NUL):" in result.stderr and "project: holds the control character U+0000" in result.stderr
    assert stored(app) == 0
    good = tmp_path / "good.json"
    good.write_text(json.dumps(EXAMPLES, ensure_ascii=False), encoding="utf-8")
    assert runner.invoke(args=["import", str(good)]).exit_code == 0
    done = runner.invoke(args=["reevaluate"])
    assert done.exit_code == 0, done.output
    assert "8 activities evaluated, 0 changed" in done.output


def test_a_file_name_that_is_not_utf8_is_stored_as_its_escape(app, runner, tmp_path):
    import os

    name = os.fsdecode(b"\xff\xfe-activities.json")  # a byte that is not UTF-8: a surrogate in Python
    path = tmp_path / name
    path.write_text(json.dumps(EXAMPLES[:1], ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        [source] = db.session.scalars(select(ActivityRecord.source))
    assert "\\udcff\\udcfe-activities.json" in source


def test_an_upload_with_hostile_rows_stores_nothing_and_shows_them_safely(app, client, users):
    client.post("/login", data={"username": "mr_admin", "password": "correct-horse-battery-1"})
    body = raw_json(EXAMPLES, '{"id": "BAD", "kind": "innovation_award", "date": "2024-12-18", '
                              '"credit_code": "913304007429141869", "award": "third", "project": "\\ud800\\u0000"}')
    response = client.post("/import", data={"file": (io.BytesIO(body.encode("utf-8", "surrogatepass")), "x.json")},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "获奖项目" in html and "第5行" in html and "孤立的代理码位" in html
    assert "\\ud800\\u0000" in html  # the value, escaped
    assert stored(app) == 0


# -- the API: hostile bodies are 200 with field errors; large ones 413 --------------------------


@pytest.fixture
def token(app, fast_password_hashing) -> str:  # noqa: F811
    return make_token(app, "market_regulation")


@pytest.mark.parametrize("what, bad, field", HOSTILE[:2] + HOSTILE[10:11] + HOSTILE[15:16],
                         ids=[h[0] for h in HOSTILE[:2] + HOSTILE[10:11] + HOSTILE[15:16]])
def test_api_answers_hostile_records_with_field_errors(client, token, what, bad, field):
    response = client.post("/api/evaluate", data=raw_json(EXAMPLES, bad).encode("utf-8", "surrogatepass"),
                           headers=bearer(token), content_type="application/json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["invalid"] == 1 and doc["total_amount"] == 2550000
    [invalid] = [item for item in doc["results"] if item["errors"]]
    assert field in {e["field"] for e in invalid["errors"]}


def test_api_body_over_the_cap_is_413_pointing_to_import(app, client, token):
    app.config["API_MAX_CONTENT_LENGTH"] = 2000
    small = json.dumps(EXAMPLES[:1]).encode()
    assert client.post("/api/evaluate", data=small, headers=bearer(token), content_type="application/json").status_code == 200
    big = json.dumps(EXAMPLES * 3).encode()
    assert len(big) > 2000
    response = client.post("/api/evaluate", data=big, headers=bearer(token), content_type="application/json")
    assert response.status_code == 413
    error = response.get_json()
    assert error["error"] == "payload_too_large" and error["limit"] == 2000
    assert "stdpolicy import" in error["message"] and "/import" in error["message"]
    # without a Content-Length (chunked), the body is cut at the cap
    chunked = client.post("/api/evaluate", input_stream=io.BytesIO(big), headers={
        **bearer(token), "Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True})  # as gunicorn sets it for a chunked body
    assert chunked.status_code == 413 and chunked.get_json()["error"] == "payload_too_large"


def test_api_cap_defaults_to_4_mib_and_follows_the_environment(app, client, token, monkeypatch):
    from webadmin.views.api import DEFAULT_MAX_BYTES, max_body_bytes

    assert DEFAULT_MAX_BYTES == 4 * 1024 * 1024
    with app.test_request_context():
        assert max_body_bytes() == DEFAULT_MAX_BYTES
        monkeypatch.setenv("STDPOLICY_API_MAX_BYTES", "1000")
        assert max_body_bytes() == 1000
    response = client.post("/api/evaluate", data=b"[" + b" " * 5000 + b"]", headers=bearer(token),
                           content_type="application/json")
    assert response.status_code == 413


def test_the_admin_upload_keeps_its_larger_cap(app, client, users, token):
    app.config["API_MAX_CONTENT_LENGTH"] = 1000
    body = json.dumps(EXAMPLES, ensure_ascii=False).encode()
    assert client.post("/api/evaluate", data=body, headers=bearer(token), content_type="application/json").status_code == 413
    client.post("/login", data={"username": "mr_admin", "password": "correct-horse-battery-1"})
    response = client.post("/import?lang=en", data={"file": (io.BytesIO(body), "x.json")}, content_type="multipart/form-data")
    assert response.status_code == 200 and 'id="token"' in response.get_data(as_text=True)


def test_a_long_project_name_makes_a_storable_one_time_key(app, runner, tmp_path):
    """``award:<credit code>:<prize>:<project>`` with a 300-character project is longer than the column
    (PostgreSQL refused it and the whole import failed): it is stored shortened, and found again."""
    project = "数" * 300
    first = tmp_path / "first.json"
    first.write_text(json.dumps([dict(AWARD, id="L1", project=project)], ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["import", str(first)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        [key] = db.session.scalars(select(OutcomeRecord.dedup_key))
    assert len(key) <= 300 and key.startswith("award:913304007429141869:second:数")
    again = tmp_path / "again.json"
    again.write_text(json.dumps([dict(AWARD, id="L2", project=project, date="2025-01-10")], ensure_ascii=False),
                     encoding="utf-8")
    result = runner.invoke(args=["import", str(again)])
    assert result.exit_code == 0 and "total ¥0" in result.output, result.output  # paid once, recognised
    done = runner.invoke(args=["reevaluate"])
    assert done.exit_code == 0 and "0 changed" in done.output, done.output


# -- a long argument ------------------------------------------------------------------------------

_LONG = "9" * 5000
_LONG_ARGUMENTS = {
    "params set KEY": ["params", "set", _LONG, "5", "--from", "2025-01-01", "--reason", "x"],
    "params history KEY": ["params", "history", _LONG],
    "refdata show KEY": ["refdata", "show", _LONG],
    "enable PLUGIN": ["enable", _LONG, "-d", "market_regulation"],
    "evaluate FILE": ["evaluate", _LONG],
    "import FILE": ["import", _LONG],
    "an extra argument": ["plugins", _LONG],
    "a command": [_LONG],
    "an option": ["--" + _LONG],
    "a subcommand": ["params", _LONG],
}


@pytest.mark.parametrize("args", _LONG_ARGUMENTS.values(), ids=_LONG_ARGUMENTS.keys())
def test_a_long_argument_is_clipped_in_its_error(app, database_url, tmp_path, monkeypatch, args):
    """A key, a file name or a stray argument of 5,000 characters: the error names it by its start and
    its length (click's own usage errors too), exit status 2, never a traceback."""
    from click.testing import CliRunner

    import core.app
    from webadmin.cli import main

    monkeypatch.setattr(core.app, "load_registry", lambda **kw: load_registry(only=PROJECT_PLUGINS, **kw))
    env = {"STDPOLICY_DATABASE_URL": database_url, "STDPOLICY_INSTANCE_PATH": str(tmp_path / "instance")}
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 2, (result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert re.search(r"9{70,80}… \(5,00\d characters\)", result.output), result.output
    assert "9" * 200 not in result.output and len(result.output) < 600, result.output


def test_clipped_shows_a_printable_start_and_the_length_given():
    from core.screening import clipped, clipped_words

    assert clipped("GB/T 1") == "GB/T 1"
    assert clipped("a\ud800b") == "a\\ud800b"  # a lone surrogate, written as its escape
    assert clipped("\ud800" * 100) == "\\ud800" * 13 + "\\u… (100 characters)"
    assert clipped("标" * 81) == "标" * 80 + "… (81 characters)"
    assert clipped_words("extra argument (" + "x" * 197 + ")") == "extra argument (" + "x" * 197 + ")"  # 199 long
    assert clipped_words("a " + "x" * 300 + " b") == "a " + "x" * 80 + "… (300 characters) b"
