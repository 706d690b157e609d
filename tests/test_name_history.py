"""A known credit code arriving with another organisation name: shown, made current, and kept in the history.

Before, the new name was dropped silently (an existing name was kept).
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from core.db import db
from core.models import Organisation, OrganisationName

from fault_support import credit_code, drafting, write_json

CODE = credit_code(31)
OLD, NEW = "嘉兴旧名称科技有限公司", "嘉兴新名称科技股份有限公司"


def _records(prefix: str, name: str, count: int = 2, start: int = 0) -> list[dict]:
    return drafting(prefix, count, start=start, organisations=[(CODE, name)])


def _names(app: Flask) -> tuple[str | None, list[tuple[str, str]]]:
    with app.app_context():
        org = db.session.scalar(select(Organisation).filter_by(credit_code=CODE))
        history = db.session.execute(select(OrganisationName.name, OrganisationName.source)
                                     .filter_by(organisation_id=org.id).order_by(OrganisationName.id)).all()
        return org.name, [tuple(row) for row in history]


def test_the_command_line_lists_a_new_name_and_keeps_the_old_one(app: Flask, runner, tmp_path: Path) -> None:
    first = write_json(tmp_path / "first.json", _records("A", OLD))
    assert runner.invoke(args=["import", first]).exit_code == 0
    assert _names(app) == (OLD, [(OLD, first)])

    second = write_json(tmp_path / "second.json", _records("B", NEW, start=10))
    result = runner.invoke(args=["import", second])
    assert result.exit_code == 0, result.output
    assert f"organisation {CODE} renamed: {OLD} → {NEW}" in result.output
    assert "1 organisation name change(s)" in result.output
    assert _names(app) == (NEW, [(OLD, first), (NEW, second)])

    # Importing the first file again stores nothing, and brings nothing back.
    again = runner.invoke(args=["import", first])
    assert again.exit_code == 0 and "renamed" not in again.output
    assert _names(app) == (NEW, [(OLD, first), (NEW, second)])

    # The audit entry of the import records the change.
    with app.app_context():
        from core.models import AuditEntry

        entry = db.session.scalars(select(AuditEntry).filter_by(action="activities.import", target=second)).one()
        assert entry.after["renamed"] == [{"credit_code": CODE, "before": OLD, "after": NEW}]


def test_within_one_file_the_last_row_names_the_organisation(app: Flask, runner, tmp_path: Path) -> None:
    records = _records("A", OLD) + _records("B", NEW, start=10)
    assert runner.invoke(args=["import", write_json(tmp_path / "both.json", records)]).exit_code == 0
    name, history = _names(app)
    assert name == NEW and [n for n, _ in history] == [OLD, NEW]


def _upload(client, records: list[dict], filename: str):
    data = json.dumps(records, ensure_ascii=False).encode("utf-8")
    return client.post("/import?lang=en", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def test_the_import_preview_shows_the_name_change_and_the_activity_page_the_history(app: Flask, client, login,
                                                                                   runner, tmp_path: Path) -> None:
    assert runner.invoke(args=["import", write_json(tmp_path / "first.json", _records("A", OLD))]).exit_code == 0
    login("mr_admin")

    preview = _upload(client, _records("B", NEW, start=10), "renamed.json")
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    section = html.split('id="import-renamed"', 1)[1].split("</section>", 1)[0]
    assert "Organisation names that change" in section
    assert re.search(rf"<code>{CODE}</code></td><td>{OLD}</td><td>{NEW}</td>", section)
    assert _names(app)[0] == OLD  # the check stores nothing

    token = re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)
    done = client.post("/import/confirm?lang=en", data={"token": token})
    assert done.status_code == 200, done.get_data(as_text=True)[:500]
    assert _names(app)[0] == NEW

    with app.app_context():
        from core.models import ActivityRecord

        activity_id = db.session.scalar(select(ActivityRecord.id).filter_by(external_id="A-0"))
    page = client.get(f"/activities/{activity_id}?lang=zh_CN").get_data(as_text=True)
    names = page.split('id="organisation-names"', 1)[1].split("</section>", 1)[0]
    assert "单位名称沿革" in names
    assert names.index(OLD) < names.index(NEW)
    assert "first.json" in names and '上传文件 <span class="name">renamed.json</span>' in names  # an upload, named
    assert re.search(rf"{NEW} <span class=\"badge on\">现用</span>", names)


def test_a_nameless_organisation_getting_a_name_is_no_change(app: Flask, runner, tmp_path: Path) -> None:
    nameless = [{k: v for k, v in r.items() if k != "organisation"} for r in _records("A", OLD)]
    assert runner.invoke(args=["import", write_json(tmp_path / "nameless.json", nameless)]).exit_code == 0
    assert _names(app) == (None, [])
    named = runner.invoke(args=["import", write_json(tmp_path / "named.json", _records("B", OLD, start=10))])
    assert named.exit_code == 0 and "renamed" not in named.output
    assert _names(app) == (OLD, [(OLD, str(tmp_path / "named.json"))])


def test_a_name_pasted_with_spaces_or_characters_that_show_nothing_is_no_rename(app: Flask, runner, tmp_path: Path) -> None:
    """A clerk's name from a web page or a word processor (a full-width space at the end, a zero-width space,
    a byte-order mark, a right-to-left mark) reads the same: no rename, the name stored as it reads."""
    first = write_json(tmp_path / "first.json", _records("A", OLD))
    assert runner.invoke(args=["import", first]).exit_code == 0
    pasted = [f"{OLD}\u3000", f"\u00a0{OLD} ", OLD[:4] + "\u200b" + OLD[4:], f"\ufeff{OLD}\u200f"]
    for i, name in enumerate(pasted):
        again = write_json(tmp_path / f"pasted-{i}.json", _records(f"P{i}", name, start=10 * (i + 1)))
        result = runner.invoke(args=["import", again])
        assert result.exit_code == 0 and "renamed" not in result.output, result.output
    assert _names(app) == (OLD, [(OLD, first)])


def test_a_blank_name_is_refused_and_a_pasted_one_is_loaded_as_it_reads() -> None:
    """A name of spaces would rename the organisation to nothing: refused, the record's other fields still checked."""
    from core import load_registry

    registry = load_registry()
    base = drafting("N", 1, organisations=[(CODE, OLD)])[0]
    names = {"spaces": "   ", "full-width": "\u3000", "zero-width": " \u200b ", "pasted": f"\ufeff {OLD}\u3000\u200f"}
    report = registry.validate([{**base, "id": key, "organisation": name} for key, name in names.items()])
    refused = {item.ref: [(e.field, e.message_zh, e.message) for e in item.errors] for item in report.invalid}
    blank = [("organisation", "单位名称为空白:名称不详时请不填写此项",
              "the organisation's name is blank: leave it out when it is not known")]
    assert refused == {"spaces": blank, "full-width": blank, "zero-width": blank}
    assert [(a.ref, a.organisation) for a in report.valid] == [("pasted", OLD)]
