"""The reference data pages' forms, row editor and drafts.

A new version is recorded in two steps, whether its rows come from an
uploaded CSV/XLSX file or from editing the rows in the browser: the rows
are checked with the table's row schema (every error by row and field),
then kept as a **draft** — a JSON file ``<instance>/refdata-drafts/<token>.json``
tied to the user's session — and the preview shows how they differ from
the latest version; recording the draft stores it (checked again, under the
writer lock) as one new version, or nothing.

The row editor is a plain HTML form (no script: the pages' CSP allows
none inline): one line of fields per row named ``r<i>-<field>``, a
"remove" checkbox per row, blank lines at the end for new rows. A list of
single values is typed one per line; nested rows (an indicator list) as
JSON — as in a CSV or XLSX cell (``core.refdata.tabular``).
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from marshmallow import fields as mfields
from werkzeug.datastructures import MultiDict
from wtforms import DateField, HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from core.activities import Location
from core.refdata import ReferenceTable
from core.refdata.tabular import cell_text, cell_value

from .i18n import is_chinese

__all__ = [
    "ConfirmForm",
    "Draft",
    "EditForm",
    "EditorRow",
    "TooManyRows",
    "UploadForm",
    "discard_draft",
    "editor_rows",
    "keep_draft",
    "kept_draft",
    "submitted_rows",
]

EXTENSIONS = ("csv", "xlsx", "json")
SESSION_KEY = "refdata_draft"
#: Drafts not recorded within this time are deleted (a session lasts 8 hours).
STALE_SECONDS = 8 * 3600
#: Blank lines the row editor offers for new rows (and adds each time "more rows" is pressed).
BLANK_ROWS = 3
#: The most rows the browser editor handles; larger tables are changed by file.
MAX_EDITOR_ROWS = 500
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


class _VersionFields(FlaskForm):
    effective_from = DateField(
        _l("In force from"), format="%Y-%m-%d", validators=[InputRequired()],
        description=_l("The first day the new version applies. Activities dated earlier keep the version in force on their date."),
    )
    reason = TextAreaField(
        _l("Reason"), validators=[DataRequired(), Length(max=2000)],
        description=_l("Why the table changes; kept in the history and the audit log."),
    )
    reference = StringField(
        _l("Policy reference"), validators=[DataRequired(), Length(max=500)],
        description=_l("The document (and clause) that decided the change."),
    )
    based_on = HiddenField()

    def based_on_sequence(self) -> int | None:
        try:
            return int(self.based_on.data)
        except (TypeError, ValueError):
            return None

    def details(self) -> dict[str, Any]:
        day = self.effective_from.data
        return {"effective_from": day.isoformat() if day else "", "reason": self.reason.data or "",
                "reference": self.reference.data or ""}


class UploadForm(_VersionFields):
    file = FileField(_l("Table file"), validators=[
        FileRequired(message=_l("Choose a file to upload.")),
        FileAllowed(EXTENSIONS, message=_l("Choose a CSV, Excel or JSON file (.csv, .xlsx or .json).")),
    ], render_kw={"accept": ",".join(f".{ext}" for ext in EXTENSIONS)},
       description=_l("The whole table, one row per item, with a header row (column names in Chinese or English). "
                      "An export of this page reads back."))
    submit = SubmitField(_l("Check the file"))


class EditForm(_VersionFields):
    preview = SubmitField(_l("Preview the change"))
    more = SubmitField(_l("More blank rows"))


class ConfirmForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])
    save = SubmitField(_l("Record this version"))


# -- the row editor ------------------------------------------------------------------------


@dataclass
class EditorRow:
    """One line of the editor: its number (as errors name it), each field's text, removed or not."""

    number: int
    cells: dict[str, str]
    removed: bool = False

    @property
    def blank(self) -> bool:
        return not any(v.strip() for v in self.cells.values())


def widget_kind(table: ReferenceTable, name: str) -> str:
    """How the editor shows a field: ``json`` and ``lines`` (text areas), ``choice``, ``boolean``, ``date``, ``text``."""
    field = table.field(name)
    if table.is_nested(name):
        return "json"
    if table.is_list(name):
        return "lines"
    if field.metadata.get("values"):
        return "choice"
    if isinstance(field, mfields.Boolean):
        return "boolean"
    if isinstance(field, mfields.Date):
        return "date"
    return "text"


def editor_rows(table: ReferenceTable, rows: Sequence[Mapping[str, Any]], blanks: int = BLANK_ROWS) -> list[EditorRow]:
    """A version's rows as editor lines (values as their cells show them), and ``blanks`` blank lines."""
    language = "zh" if is_chinese() else "en"
    lines = []
    for n, row in enumerate(rows, start=1):
        cells = {}
        for name in table.columns:
            kind = widget_kind(table, name)
            value = row.get(name)
            if kind == "choice" or kind == "boolean":  # the form posts codes; yes/no as "true"/"false"
                cells[name] = "" if value is None else (("true" if value else "false") if kind == "boolean" else str(value))
            else:
                cells[name] = cell_text(table, name, value, language)
        lines.append(EditorRow(n, cells))
    start = len(lines)
    lines.extend(EditorRow(start + i + 1, {name: "" for name in table.columns}) for i in range(blanks))
    return lines


class TooManyRows(ValueError):
    """More lines than the browser editor handles: the table is changed by file instead."""


def posted_rows(table: ReferenceTable, form: MultiDict[str, str]) -> list[EditorRow]:
    """The editor's lines as posted (``r<i>-<field>``, ``r<i>-remove``), in their order.

    ``TooManyRows`` beyond ``MAX_EDITOR_ROWS`` (and its blank lines): never a line silently left out.
    """
    try:
        count = max(0, int(form.get("rows", "0")))
    except ValueError:
        count = 0
    if count > MAX_EDITOR_ROWS + 100:
        raise TooManyRows(count)
    lines = []
    for i in range(1, count + 1):
        cells = {name: form.get(f"r{i}-{name}", "") for name in table.columns}
        lines.append(EditorRow(i, cells, removed=bool(form.get(f"r{i}-remove"))))
    return lines


def submitted_rows(table: ReferenceTable, lines: Sequence[EditorRow]) -> tuple[list[dict[str, Any]], list[Location]]:
    """The rows the editor's lines make (removed and blank ones left out), read as a file's cells are,
    and where each was (its line number, which the errors name)."""
    rows, where = [], []
    for line in lines:
        if line.removed or line.blank:
            continue
        row = {}
        for name, text in line.cells.items():
            if text.strip():
                row[name] = cell_value(table, name, text.strip() if widget_kind(table, name) != "json" else text)
        rows.append(row)
        where.append(Location(line.number))
    return rows, where


# -- drafts ---------------------------------------------------------------------------------


@dataclass
class Draft:
    """Checked rows waiting to be recorded as a new version."""

    token: str
    key: str
    rows: list[dict[str, Any]]
    where: list[Location]
    details: dict[str, Any]
    based_on: int | None
    #: ``import`` (an uploaded file) or ``admin`` (rows edited in the browser).
    source: str
    filename: str | None = None


def _folder() -> Path:
    path = Path(current_app.instance_path) / "refdata-drafts"
    path.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - STALE_SECONDS
    for old in path.iterdir():
        try:
            if old.is_file() and old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            pass
    return path


def _path(token: str) -> Path | None:
    return _folder() / f"{token}.json" if _TOKEN.match(token or "") else None


def keep_draft(key: str, rows: list[dict[str, Any]], where: list[Location], details: dict[str, Any],
               based_on: int | None, source: str, filename: str | None = None) -> str:
    """Keep checked rows as the session's draft (replacing an earlier one); its token."""
    discard_draft()
    token = secrets.token_urlsafe(24)
    path = _path(token)
    assert path is not None
    payload = {"key": key, "rows": rows, "where": [[w.number, w.unit, w.sheet] for w in where], "details": details,
               "based_on": based_on, "source": source, "filename": filename}
    path.write_text(json.dumps(payload, ensure_ascii=False, default=str), encoding="utf-8")
    session[SESSION_KEY] = {"token": token, "key": key, "user": current_user.id}
    return token


def kept_draft(token: str | None, key: str) -> Draft | None:
    """The session's draft of table ``key`` with this token (``None``: gone, another user's, another table's)."""
    kept = session.get(SESSION_KEY)
    if not kept or not token or not secrets.compare_digest(str(kept.get("token")), token) \
            or kept.get("user") != current_user.id or kept.get("key") != key:
        return None
    path = _path(token)
    if path is None or not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    where = [Location(int(n), str(unit), sheet) for n, unit, sheet in data["where"]]
    return Draft(token, data["key"], data["rows"], where, data["details"], data["based_on"], data["source"],
                 data.get("filename"))


def discard_draft() -> None:
    kept = session.pop(SESSION_KEY, None)
    if kept:
        path = _path(str(kept.get("token", "")))
        if path is not None:
            path.unlink(missing_ok=True)
