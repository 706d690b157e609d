"""Fuzzing the edges with Hypothesis: random records and grid-built files of thousands,
through ``stdpolicy evaluate`` (CliRunner), ``POST /api/evaluate`` and ``stdpolicy
import`` into the database (SQLite or PostgreSQL, as the suite runs).

What must hold, whatever comes in: the documented exit status (0 all valid, 1
some invalid, 2 unreadable) or HTTP status, never a traceback; every invalid
record reported with its errors, each naming a field (or the record); the
valid neighbours' outcomes identical to evaluating them alone; nothing stored
by an import with an invalid record, and a later ``reevaluate`` that works.

``derandomize=True`` keeps CI stable (the same examples every run), and
``max_examples`` keeps each test to a few seconds; ``STDPOLICY_FUZZ_EXAMPLES``
asks for more, random ones.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.db import db
from core.models import ActivityRecord

from webadmin_support import bearer, make_token

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = json.loads((ROOT / "docs/examples/activities.json").read_text(encoding="utf-8"))

#: ``STDPOLICY_FUZZ_EXAMPLES=500 pytest tests/test_fuzz_input.py`` hunts longer, with fresh random examples.
_DEEP = os.environ.get("STDPOLICY_FUZZ_EXAMPLES")
FUZZ = settings(max_examples=int(_DEEP or 25), derandomize=not _DEEP, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])

#: Values that broke something once, or could.
NASTY_TEXT = ["\ud800", "\udfff", "a\ud83d", "\x00", "a\x00b", "\x1b[31m", "\x7f", "\x85", "\t", "line\nbreak", "\r",
              "\u2028", "\u2029", "\ufeff", "\u202e", "=1+2", "+1", "-1", "@x", "'", "\"", "\\", "", " ", "　",
              "长" * 400, "x" * 20000, "GB/T " + "9" * 5000, "SAC/TC " + "1" * 5000, "9" * 5000, "ＧＢ／Ｔ １-２０２４",
              "null", "true", "1e999", "<script>alert(1)</script>", "' OR 1=1 --", "%s%n", "{}", "[]"]
NASTY_NUMBERS = [0, -1, 1, 2**31, 2**63 - 1, 2**63, -(2**63) - 1, 2**70, 10**400, 1.5, -0.0, 1e308,
                 float("inf"), float("-inf"), float("nan")]
FIELDS = ["id", "kind", "date", "credit_code", "organisation", "standard_code", "rank", "revision", "level", "title",
          "committee_code", "committee_level", "committee_name", "award", "project", "pilot_level", "accepted",
          "granted_amount", "unknown_field", "\ud800", "", "a\x00"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.sampled_from(NASTY_NUMBERS)
    | st.text(st.characters(codec=None, exclude_categories=()), max_size=30) | st.sampled_from(NASTY_TEXT),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


def encode(value: Any) -> str:
    """JSON text of ``value``; lone surrogates as \\u escapes, NaN and Infinity as Python writes them."""
    return json.dumps(value, ensure_ascii=True, allow_nan=True)


@st.composite
def raw_record(draw: st.DrawFn, number: int) -> str:
    """The JSON text of one record: a valid example, maybe with mutations (a value replaced,
    a field dropped, a key repeated, an integer of thousands of digits)."""
    base = dict(draw(st.sampled_from(EXAMPLES)), id=f"R{number}")
    # The id stays (a record without one is referred to by its position, which
    # differs when it is evaluated alone); its hostile values are in the grid.
    pairs: list[tuple[str, str]] = [(k, encode(v)) for k, v in base.items()]
    for _ in range(draw(st.integers(0, 3))):
        action = draw(st.sampled_from(["replace", "replace", "drop", "repeat", "huge", "add"]))
        if action == "replace" and len(pairs) > 1:
            i = draw(st.integers(1, len(pairs) - 1))
            pairs[i] = (pairs[i][0], encode(draw(json_values)))
        elif action == "drop" and len(pairs) > 1:
            pairs.pop(draw(st.integers(1, len(pairs) - 1)))
        elif action == "repeat":
            key, _ = pairs[draw(st.integers(0, len(pairs) - 1))]
            pairs.append((key, encode(draw(json_values))))
        elif action == "huge":
            pairs.append((draw(st.sampled_from(["rank", "granted_amount", "id"])), "7" * draw(st.integers(4301, 6000))))
        elif action == "add":
            pairs.append((draw(st.sampled_from(FIELDS[1:])), encode(draw(json_values))))
    return "{" + ", ".join(f"{encode(k)}: {v}" for k, v in pairs) + "}"


@st.composite
def raw_file(draw: st.DrawFn) -> list[str]:
    count = draw(st.integers(1, 12))
    return [draw(raw_record(n)) for n in range(count)]


def as_array(records: list[str]) -> str:
    return "[" + ",\n".join(records) + "]"


def check_document(doc: dict, records: list[str]) -> list[int]:
    """The invariants of one result document; the positions of the valid records."""
    assert len(doc["results"]) == len(records)
    invalid = [i for i, item in enumerate(doc["results"]) if item["errors"]]
    assert doc["invalid"] == len(invalid)
    for i in invalid:
        item = doc["results"][i]
        assert item["amount"] == 0 and item["outcomes"] == [] and item["row"] == i + 1
        for error in item["errors"]:
            assert isinstance(error["message"], str) and error["message"]
            assert isinstance(error["message_zh"], str) and error["message_zh"]
            assert error["field"] is None or isinstance(error["field"], str)
    assert doc["total_amount"] == sum(item["amount"] for item in doc["results"])
    return [i for i in range(len(records)) if i not in set(invalid)]


def evaluate(runner, path: Path, *args: str) -> tuple[int, dict]:
    result = runner.invoke(args=["evaluate", str(path), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.stdout)


def alone(runner, tmp_path: Path, records: list[str], doc: dict, valid: list[int], *args: str) -> None:
    """The valid records, evaluated without the others, get exactly the results they got among them."""
    path = tmp_path / "alone.json"
    path.write_text(as_array([records[i] for i in valid]), encoding="utf-8")
    code, reference = evaluate(runner, path, *args)
    ours = [doc["results"][i] for i in valid]
    assert code == 0
    assert reference["results"] == ours


@FUZZ
@given(records=raw_file())
def test_fuzz_evaluate_cli(runner, tmp_path, records):
    path = tmp_path / "fuzz.json"
    path.write_text(as_array(records), encoding="utf-8")
    code, doc = evaluate(runner, path)
    valid = check_document(doc, records)
    assert code == (1 if len(valid) < len(records) else 0)
    alone(runner, tmp_path, records, doc, valid)


@FUZZ
@given(records=raw_file())
def test_fuzz_json_lines_cli(runner, tmp_path, records):
    path = tmp_path / "fuzz.jsonl"
    path.write_text("\n".join(records) + "\n", encoding="utf-8")
    code, doc = evaluate(runner, path)
    assert code in (0, 1)
    assert len(doc["results"]) == len(records)
    assert all(item["line"] == i + 1 for i, item in enumerate(doc["results"]) if item["errors"])


@pytest.fixture
def token(app) -> str:
    return make_token(app, "market_regulation")


@FUZZ
@given(records=raw_file())
def test_fuzz_api_gives_the_clis_document(runner, client, token, tmp_path, records):
    body = as_array(records)
    response = client.post("/api/evaluate", data=body.encode("utf-8"), headers=bearer(token),
                           content_type="application/json")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    path = tmp_path / "fuzz.json"
    path.write_text(body, encoding="utf-8")
    result = runner.invoke(args=["evaluate", str(path), "--department", "market_regulation"])
    assert response.get_data() == result.stdout_bytes


def stored(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(ActivityRecord.id)))


@settings(FUZZ, max_examples=15)
@given(records=raw_file())
def test_fuzz_import_stores_all_or_nothing(app, runner, tmp_path, records):
    path = tmp_path / "fuzz.json"
    path.write_text(as_array(records), encoding="utf-8")
    before = stored(app)
    _, doc = evaluate(runner, path)
    result = runner.invoke(args=["import", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output
    if doc["invalid"]:
        assert result.exit_code == 1 and stored(app) == before
        assert f"{doc['invalid']} of {len(records)} records invalid; nothing stored" in result.stderr
    else:
        assert result.exit_code == 0, result.output
        assert stored(app) >= before
    done = runner.invoke(args=["reevaluate"])
    assert done.exit_code == 0, done.output


@settings(FUZZ, max_examples=40)
@given(data=st.binary(max_size=400), fmt=st.sampled_from(["json", "jsonl", "csv", "xlsx"]))
def test_fuzz_random_bytes_in_any_format(runner, tmp_path, data, fmt):
    path = tmp_path / f"fuzz.{fmt}"
    path.write_bytes(data)
    result = runner.invoke(args=["evaluate", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert result.exit_code in (0, 1, 2)
    if result.exit_code == 2:
        assert result.stderr.startswith("error: ")


@settings(FUZZ, max_examples=40)
@given(rows=st.lists(st.lists(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
                              | st.sampled_from(NASTY_TEXT[3:]), max_size=8), max_size=6),
       header=st.lists(st.sampled_from(["类型", "kind", "日期", "date", "统一社会信用代码", "奖项", "award", "rank",
                                        "起草单位排名", "标准编号", "", "编号", "x"]), min_size=1, max_size=8))
def test_fuzz_csv_tables(runner, tmp_path, header, rows):
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    path = tmp_path / "fuzz.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    result = runner.invoke(args=["evaluate", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert result.exit_code in (0, 1, 2)
    if result.exit_code != 2:
        doc = json.loads(result.stdout)
        assert all(e["message"] for item in doc["results"] for e in item["errors"])


# -- grid-built files: every field of every kind with every nasty value ---------------------------


def grid() -> tuple[list[str], dict[int, str]]:
    """Thousands of records: the examples, each again with each field set to each nasty
    value; the position of each mutated record → the field it mutates."""
    records: list[str] = []
    mutated: dict[int, str] = {}
    n = 0
    for _round in range(1):
        for base in EXAMPLES:
            for field in [*base.keys(), "title", "project"]:
                for value in NASTY_TEXT + NASTY_NUMBERS:
                    record = dict(base, id=f"G{n}")
                    record[field] = value
                    if field == "id":
                        record["id"] = value
                    mutated[len(records)] = field
                    records.append(encode(record))
                    n += 1
                    records.append(encode(dict(base, id=f"V{n}")))  # a valid neighbour
                    n += 1
            # an integer too long for Python, and a repeated key
            mutated[len(records)] = "rank"
            records.append(encode(dict(base, id=f"G{n}"))[:-1] + ', "rank": ' + "9" * 5000 + "}")
            n += 1
            key = next(iter(k for k in base if k not in ("id",)))
            mutated[len(records)] = key
            records.append(encode(dict(base, id=f"G{n}"))[:-1] + f', "{key}": {encode(base[key])}}}')
            n += 1
    return records, mutated


def loads(text: str) -> dict:
    """A grid record as Python reads it, an integer of thousands of digits as one beyond 64 bits."""
    return json.loads(text, parse_int=lambda digits: int(digits) if len(digits) <= 4000 else 2**64)


def screened(value: Any) -> bool:
    """Whether ``core.screening`` refuses ``value`` in any single-line field."""
    from core.screening import MAX_TEXT

    if isinstance(value, str):
        return len(value) > MAX_TEXT or any(0xD800 <= ord(c) <= 0xDFFF or ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F
                                            for c in value)
    if isinstance(value, float):
        return not math.isfinite(value)
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**63 - 1


def test_grid_built_file_through_the_cli_and_the_api(app, runner, client, token, tmp_path):
    app.config["API_MAX_CONTENT_LENGTH"] = 64 * 1024 * 1024  # the file's 20,000-character texts make it large
    records, mutated = grid()
    assert len(records) > 5000
    path = tmp_path / "grid.json"
    path.write_text(as_array(records), encoding="utf-8")
    code, doc = evaluate(runner, path, "--department", "market_regulation")
    valid = check_document(doc, records)
    assert code == 1
    for i, item in enumerate(doc["results"]):
        if item["errors"]:
            assert i in mutated, item  # only mutated records fail
            if screened(loads(records[i]).get(mutated[i])) or records[i].count(f'"{mutated[i]}":') > 1:
                assert mutated[i] in {e["field"] for e in item["errors"]}, (mutated[i], item["errors"])
        elif i in mutated:
            assert not screened(loads(records[i]).get(mutated[i])), records[i][:200]
    alone(runner, tmp_path, records, doc, valid, "--department", "market_regulation")
    response = client.post("/api/evaluate", data=path.read_bytes(), headers=bearer(token), content_type="application/json")
    assert response.status_code == 200
    assert json.loads(response.get_data()) == doc


def test_grid_built_file_imports_nothing_then_its_valid_part_imports(app, runner, tmp_path):
    records, _ = grid()
    path = tmp_path / "grid.json"
    path.write_text(as_array(records), encoding="utf-8")
    _, doc = evaluate(runner, path)
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 1 and stored(app) == 0
    valid = [records[i] for i, item in enumerate(doc["results"]) if not item["errors"]]
    path.write_text(as_array(valid), encoding="utf-8")
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    assert stored(app) > 0
    done = runner.invoke(args=["reevaluate"])
    assert done.exit_code == 0 and " 0 changed" in done.output, done.output
