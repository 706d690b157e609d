"""Importing activity files: upload, check every row, then store all or nothing.

Step one (``POST /import``) reads and validates the file (JSON, JSON Lines,
CSV or an XLSX workbook, read by ``core.interchange``) and shows every
invalid row with where it is (row, sheet), the field by its label and the
error, in the UI language; nothing is stored. The uploaded file is kept as
it came in ``<instance>/uploads/<random token>.<ext>``, the token in the
user's session. Step two (``POST /import/confirm``, only offered
when every row is valid) runs ``core.services.import_activities`` on that file,
which commits under the writer lock; the file is then deleted. Files older
than the session lifetime are deleted whenever the page is used. The check
lists known credit codes that arrive with another organisation name: the
import keeps the new name as current and the former in the name history.

Department administrators and city administrators only; the working
department may import only the kinds of the plugins it has enabled.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField, SubmitField
from wtforms.validators import DataRequired

from core.app import get_registry
from core.interchange import InputError, field_label, parse_bytes
from core.screening import printable, safe_text
from core.services import ImportPreview, foreign_kinds, import_activities, preview_import
from core.store.register import visible_kinds

from ..access import current_department, department_plugins, require_admin
from ..i18n import is_chinese, pick
from ..labels import flash_plugin_failures
from ..nav import NavItem

__all__ = ["ConfirmForm", "NAV", "UploadForm", "bp"]

bp = Blueprint("imports", __name__)
NAV = [NavItem("imports.upload", _l("Import"), 30, roles=("city_admin", "dept_admin"))]

EXTENSIONS = ("json", "jsonl", "csv", "xlsx")
SESSION_KEY = "import_upload"
#: Uploads not confirmed within this time are deleted (the session lasts 8 hours).
STALE_SECONDS = 8 * 3600
#: Invalid rows listed on one preview; the count of the rest is shown.
MAX_SHOWN = 2000
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


class UploadForm(FlaskForm):
    file = FileField(_l("Activity file"), validators=[
        FileRequired(message=_l("Choose a file to upload.")),
        FileAllowed(EXTENSIONS, message=_l("Choose a JSON, JSON Lines, CSV or Excel file (.json, .jsonl, .csv or .xlsx).")),
    ], render_kw={"accept": ",".join(f".{ext}" for ext in EXTENSIONS)},
       description=_l("An Excel workbook (.xlsx) or CSV with a header row (Chinese or English column names; "
                      "each sheet of a workbook is read), a JSON array of activity records or JSON Lines."))
    submit = SubmitField(_l("Check the file"))


class ConfirmForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Import all records"))


class CancelForm(FlaskForm):
    token = HiddenField()
    submit = SubmitField(_l("Cancel"))


# -- the uploaded file between the two steps ----------------------------------------------


def _uploads() -> Path:
    path = Path(current_app.instance_path) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _clean_stale() -> None:
    cutoff = time.time() - STALE_SECONDS
    for path in _uploads().iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            pass


def _upload_path(token: str, ext: str) -> Path | None:
    if not _TOKEN.match(token or "") or ext not in EXTENSIONS:
        return None
    return _uploads() / f"{token}.{ext}"


def _discard(upload: dict[str, Any] | None) -> None:
    if upload:
        path = _upload_path(upload.get("token", ""), upload.get("ext", ""))
        if path is not None:
            path.unlink(missing_ok=True)


def _keep(data: bytes, filename: str, ext: str) -> str:
    """Store the uploaded file under a new random token, tied to this session and user."""
    _discard(session.get(SESSION_KEY))
    token = secrets.token_urlsafe(24)
    path = _upload_path(token, ext)
    assert path is not None
    path.write_bytes(data)
    department = current_department()
    session[SESSION_KEY] = {
        "token": token, "ext": ext, "filename": filename, "user": current_user.id,
        "department": department.id if department is not None else None,
    }
    return token


def _kept(token: str | None) -> tuple[dict[str, Any], Path] | None:
    upload = session.get(SESSION_KEY)
    if not upload or not token or not secrets.compare_digest(str(upload.get("token")), token) \
            or upload.get("user") != current_user.id:
        return None
    path = _upload_path(upload["token"], upload.get("ext", ""))
    if path is None or not path.is_file():
        return None
    return upload, path


# -- reading and showing ----------------------------------------------------------------


def _allowed_kinds() -> list[str]:
    return visible_kinds(get_registry(), department_plugins())


def _error_rows(preview: ImportPreview) -> list[dict[str, Any]]:
    """The invalid rows to show: where each is, each field by its label, each message
    in the UI language, and the value given (as JSON, escaped where unsafe)."""
    chinese = is_chinese()
    registry = get_registry()
    rows = []
    for item in preview.invalid[:MAX_SHOWN]:
        record = item.record if isinstance(item.record, dict) else {}
        errors = []
        for e in item.errors:
            # As JSON, so the text "1" and the number 1 look different.
            shown = printable(record.get(e.field), 80) if e.field and e.field in record else None
            label = field_label(registry, item.kind, e.field)
            errors.append({"key": e.field, "field": pick(label) if label is not None else e.field,
                           "message": e.message_zh if chinese else e.message, "value": shown})
        kind = registry.kinds.get(item.kind) if item.kind else None
        where = item.location
        rows.append({"row": where.number, "where": pick(where.text), "ref": safe_text(item.ref),
                     "kind": pick(kind.label) if kind else item.kind, "errors": errors})
    return rows


def _render_preview(preview: ImportPreview, filename: str, token: str | None):
    return render_template(
        "imports/preview.html", preview=preview, filename=filename, rows=_error_rows(preview),
        hidden=max(0, len(preview.invalid) - MAX_SHOWN),
        confirm=ConfirmForm(token=token) if token else None, cancel=CancelForm(token=token, prefix="cancel") if token else None,
    )


# -- views ---------------------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
@require_admin
def upload():
    _clean_stale()
    form = UploadForm()
    if not form.validate_on_submit():
        return render_template("imports/upload.html", form=form), (400 if form.is_submitted() else 200)

    storage = form.file.data
    filename = safe_text(os.path.basename(storage.filename or "upload"))[:200]
    ext = filename.rsplit(".", 1)[-1].lower()
    data = storage.read()
    registry = get_registry()
    try:
        records = parse_bytes(data, filename, registry)
    except InputError as exc:
        form.file.errors.append(_("The file cannot be read: %(reason)s", reason=exc.get("zh" if is_chinese() else "en")))
        return render_template("imports/upload.html", form=form), 400
    if not records:
        form.file.errors.append(_("The file holds no records."))
        return render_template("imports/upload.html", form=form), 400

    preview = preview_import(registry, records, kinds=_allowed_kinds())
    token = _keep(data, filename, ext) if preview.ok and preview.new else None
    if not token:
        _discard(session.pop(SESSION_KEY, None))
    return _render_preview(preview, filename, token)


@bp.route("/import/confirm", methods=["POST"])
@require_admin
def confirm():
    form = ConfirmForm()
    kept = _kept(form.token.data) if form.validate_on_submit() else None
    if kept is None:
        flash(_("That upload is no longer available. Upload the file again."), "error")
        return redirect(url_for("imports.upload"))
    upload, path = kept
    filename = upload["filename"]
    registry = get_registry()
    try:
        data = path.read_bytes()
        records = parse_bytes(data, filename, registry)
    except (OSError, InputError):
        _discard(session.pop(SESSION_KEY, None))
        flash(_("That upload is no longer available. Upload the file again."), "error")
        return redirect(url_for("imports.upload"))

    department = current_department()
    allowed = _allowed_kinds()
    if upload.get("department") != (department.id if department else None) or foreign_kinds(records, allowed):
        # The working department changed since the check: check again for it, store nothing yet.
        preview = preview_import(registry, records, kinds=allowed)
        token = _keep(data, filename, upload["ext"]) if preview.ok and preview.new else None
        if not token:
            _discard(session.pop(SESSION_KEY, None))
        flash(_("The working department changed since the file was checked. Check the result below."), "warning")
        return _render_preview(preview, filename, token)

    result = import_activities(registry, records, source=f"upload:{filename}", actor=current_user.username,
                               department=department)
    if not result.ok:
        # Something the rows depend on changed since the check (a parameter): nothing is stored.
        _discard(session.pop(SESSION_KEY, None))
        return _render_preview(ImportPreview(result.report), filename, None)
    _discard(session.pop(SESSION_KEY, None))

    plugins = department_plugins(department)
    stored = []
    for activity in result.stored[:MAX_SHOWN]:
        outcomes = [o for o in result.result.for_activity(activity) if o.plugin in plugins] if result.result else []
        stored.append({"id": activity.stored_id, "ref": activity.ref, "kind": activity.kind, "date": activity.date,
                       "amount": sum(o.amount for o in outcomes), "rules": [o.rule for o in outcomes]})
    outcomes = [o for o in result.result.outcomes if o.plugin in plugins] if result.result else []
    already = sum(1 for _a, why in result.skipped if why == "already stored")
    flash_plugin_failures(result.result)
    return render_template(
        "imports/result.html", result=result, filename=filename, stored=stored, registry=registry,
        outcome_count=len(outcomes), total=sum(o.amount for o in outcomes), held=sum(o.held_amount for o in outcomes),
        already=already, repeated=len(result.skipped) - already,
    )


@bp.route("/import/cancel", methods=["POST"])
@require_admin
def cancel():
    form = CancelForm(prefix="cancel")
    if form.validate_on_submit() and _kept(form.token.data) is not None:
        _discard(session.pop(SESSION_KEY, None))
        flash(_("The upload was discarded; nothing was stored."), "success")
    return redirect(url_for("imports.upload"))
