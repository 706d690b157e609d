"""Reference data (参考数据): the plugins' versioned tables, their versions and rows, differences, new versions.

Who sees and changes what (as for parameters, ``webadmin.views.parameters``):

- the list shows the tables of the plugins the working department has
  enabled (and, for a department administrator, those of the plugins their
  department owns); a table of another plugin answers 404;
- only those who manage the plugin (``webadmin.access.may_manage``: city
  administrators and the administrators of the owning department) record
  versions; any POST from anyone else is 403 and stores nothing;
- a new version is never an edit of an old one: it is added, with the date
  it is in force from; nothing earlier changes.

A new version comes from an uploaded CSV/XLSX/JSON file or from editing the
rows in the browser. Either way the rows are checked first (every error by
row and field), kept as a draft (``webadmin.refdata_forms``), previewed as
the difference from the latest version, and recorded on confirmation by
``core.store.record_reference`` (writer lock, one transaction with its audit
entry; refused if someone recorded a version meanwhile).
"""

from __future__ import annotations

import io
import os
from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from marshmallow import ValidationError

from core import clock
from core.app import get_registry
from core.interchange import InputError
from core.messages import flatten_errors
from core.refdata import (
    ReferenceResolver,
    ReferenceSnapshot,
    ReferenceTable,
    ReferenceVersion,
    RowsInvalid,
    diff_rows,
    dump_row,
    load_rows,
)
from core.refdata.tabular import cell_text, read_rows, version_details, write_csv, write_xlsx
from core.refdata.versions import StoredRowsInvalid
from core.screening import safe_text
from core.services import record_reference
from core.store import ReferenceConflict, plugin_owner, reference_resolver
from core.store.refdata import latest_reference_sequence, outcomes_reading

from ..access import acting_department, current_department, may_manage, sees_plugin, visible_plugins
from ..i18n import is_chinese, pick
from ..labels import version_label
from ..nav import NavItem
from ..refdata_forms import (
    BLANK_ROWS,
    MAX_EDITOR_ROWS,
    ConfirmForm,
    EditForm,
    EditorRow,
    TooManyRows,
    UploadForm,
    discard_draft,
    editor_rows,
    keep_draft,
    kept_draft,
    posted_rows,
    submitted_rows,
    widget_kind,
)
from ..urlints import int_arg

__all__ = ["NAV", "SOURCES", "bp"]

bp = Blueprint("refdata", __name__, url_prefix="/reference-data")
NAV = [NavItem("refdata.index", _l("Reference data"), 45)]

#: Where a version came from (``ReferenceVersion.source``), as the history shows it.
SOURCES = {
    # TRANSLATORS: where a reference data version came from: shipped with the plugin, citing its document.
    "shipped": _l("shipped with the plugin"),
    # TRANSLATORS: where a reference data version came from: sample data of `stdpolicy init --demo`.
    "demo": _l("sample data"),
    # TRANSLATORS: where a reference data version came from: the stdpolicy command.
    "cli": _l("command line"),
    # TRANSLATORS: where a reference data version came from: rows edited on this admin's pages.
    "admin": _l("edited in the admin"),
    # TRANSLATORS: where a reference data version came from: a file uploaded on this admin's pages.
    "import": _l("uploaded file"),
}


def _language() -> str:
    return "zh" if is_chinese() else "en"




def _table_or_404(key: str) -> tuple[ReferenceTable, str]:
    registry = get_registry()
    table = registry.reference_tables.get(key)
    if table is None:
        abort(404)
    plugin = registry.reference_plugin[key]
    if not sees_plugin(plugin):
        abort(404)
    return table, plugin


def _managed_or_403(key: str) -> tuple[ReferenceTable, str]:
    table, plugin = _table_or_404(key)
    if not may_manage(plugin):
        abort(403)
    return table, plugin


def _open(resolver: ReferenceResolver, version: ReferenceVersion) -> ReferenceSnapshot | None:
    """The version's rows; ``None`` when the stored rows no longer fit the table's row schema (the plugin changed it)."""
    try:
        return resolver.open(version)
    except StoredRowsInvalid:
        return None


def _unreadable(key: str, version: ReferenceVersion):
    """To the table's page of ``version``, which says its stored rows no longer fit (never a 500)."""
    return redirect(url_for(".table", key=key, version=version.sequence, _anchor="rows-card"))


def _statuses(history: list[ReferenceVersion], current: ReferenceVersion | None, today: date) -> dict[int, tuple[str, str]]:
    """Per version number: (css class, label) — in force, scheduled, or replaced by a correction."""
    out: dict[int, tuple[str, str]] = {}
    for n, version in enumerate(history):
        replaced_by = next((v for v in history[n + 1:] if v.effective_from == version.effective_from), None)
        if current is not None and version.sequence == current.sequence:
            out[version.sequence] = ("on", _("In force today"))
        elif replaced_by is not None:
            out[version.sequence] = ("off", _("Corrected by %(version)s", version=version_label(replaced_by.sequence)))
        elif version.effective_from > today:
            out[version.sequence] = ("future", _("Scheduled"))
    return out


def _shown(table: ReferenceTable, name: str, value: Any) -> str:
    """A value as the pages show it: coded values by label, yes/no, lists by line, nested rows as JSON."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return cell_text(table, name, value, _language()) or "—"


@bp.route("/")
@login_required
def index():
    registry = get_registry()
    resolver = reference_resolver(registry)
    today = clock.today()
    groups = []
    for name in visible_plugins():
        keys = registry.plugins[name].reference_tables
        if not keys:
            continue
        rows = [{"table": registry.reference_tables[key], "current": resolver.current(key, today),
                 "versions": len(resolver.history(key))} for key in keys]
        groups.append((registry.plugins[name], rows))
    return render_template("refdata/index.html", groups=groups, department=current_department(), today=today)


@bp.route("/<key>")
@login_required
def table(key: str):
    table, plugin = _table_or_404(key)
    registry = get_registry()
    resolver = reference_resolver(registry)
    today = clock.today()
    history = resolver.history(key)
    current = resolver.current(key, today)
    number = int_arg("version")
    shown = resolver.version(key, number) if number is not None else current
    if number is not None and shown is None:
        abort(404)
    if shown is None and history:
        shown = history[-1]
    snapshot = _open(resolver, shown) if shown is not None else None
    managed = may_manage(plugin)
    upload = UploadForm(formdata=None, based_on=str(latest_reference_sequence(key)),
                        reference=history[-1].reference if history else "") if managed else None
    later = sorted({v.effective_from for v in history if v.effective_from > today})
    return render_template(
        "refdata/table.html", table=table, plugin=registry.plugins[plugin], owner=plugin_owner(plugin),
        history=list(reversed(history)), current=current, shown=shown, snapshot=snapshot,
        next_change=resolver.current(key, later[0]) if later else None,
        statuses=_statuses(history, current, today), may_record=managed, upload=upload, sources=SOURCES,
        show=_shown, today=today,
    )


@bp.route("/<key>/diff")
@login_required
def diff(key: str):
    table, plugin = _table_or_404(key)
    resolver = reference_resolver(get_registry())
    history = resolver.history(key)
    if not history:
        abort(404)
    a = resolver.version(key, int_arg("a") or (history[-2].sequence if len(history) > 1 else history[-1].sequence))
    b = resolver.version(key, int_arg("b") or history[-1].sequence)
    if a is None or b is None:
        abort(404)
    first, second = _open(resolver, a), _open(resolver, b)
    if first is None or second is None:
        return _unreadable(key, a if first is None else b)
    changes = diff_rows(table, first.rows, second.rows)
    return render_template("refdata/diff.html", table=table, plugin=get_registry().plugins[plugin], a=a, b=b,
                           diff=changes, history=list(reversed(history)), show=_shown, sources=SOURCES)


def _file_errors(form: UploadForm, table: ReferenceTable, key: str, errors: list[str], status: int = 400):
    form.file.errors = [*form.file.errors, *errors]
    return _table_page_with(table, key, upload=form), status


def _table_page_with(table: ReferenceTable, key: str, **forms: Any) -> str:
    """The table page with a submitted form and its errors."""
    registry = get_registry()
    resolver = reference_resolver(registry)
    today = clock.today()
    history = resolver.history(key)
    current = resolver.current(key, today)
    shown = current or (history[-1] if history else None)
    plugin = registry.reference_plugin[key]
    later = sorted({v.effective_from for v in history if v.effective_from > today})
    return render_template(
        "refdata/table.html", table=table, plugin=registry.plugins[plugin], owner=plugin_owner(plugin),
        history=list(reversed(history)), current=current, shown=shown,
        snapshot=_open(resolver, shown) if shown is not None else None,
        next_change=resolver.current(key, later[0]) if later else None,
        statuses=_statuses(history, current, today), may_record=True, sources=SOURCES, show=_shown, today=today,
        upload=forms.get("upload"), row_errors=forms.get("row_errors"),
    )


def _row_errors(table: ReferenceTable, exc: RowsInvalid) -> list[dict[str, Any]]:
    language = _language()
    from core.refdata import field_text

    return [{"where": pick(e.where.text) if e.where.number else _("the table as a whole"),
             "field": field_text(table, e.field).get(language) if e.field else "",
             "message": e.message_zh if language == "zh" else e.message} for e in exc.errors[:500]]


def _details_errors(form: Any, exc: ValidationError) -> None:
    for problem in flatten_errors(exc.messages):
        message = problem.message_zh if is_chinese() else problem.message
        name = (problem.field or "").split(".", 1)[0]
        if name in ("effective_from", "reason", "reference"):
            form[name].errors = [*form[name].errors, message]


@bp.route("/<key>/upload", methods=["POST"])
@login_required
def upload(key: str):
    table, _plugin = _managed_or_403(key)
    form = UploadForm()
    if not form.validate_on_submit():
        return _table_page_with(table, key, upload=form), 400
    storage = form.file.data
    filename = safe_text(os.path.basename(storage.filename or "upload"))[:200]
    try:
        rows, where = read_rows(table, storage.read(), filename)
    except InputError as exc:
        return _file_errors(form, table, key, [_("The file cannot be read: %(reason)s", reason=exc.get(_language()))])
    try:
        loaded = load_rows(table, rows, where=where)
    except RowsInvalid as exc:
        form.file.errors = [*form.file.errors, _("Nothing was recorded: correct these rows and upload the file again.")]
        return _table_page_with(table, key, upload=form, row_errors=_row_errors(table, exc)), 400
    token = keep_draft(key, [dump_row(table, r) for r in loaded], where, form.details(), form.based_on_sequence(),
                       "import", filename)
    return redirect(url_for(".preview", key=key, token=token))


@bp.route("/<key>/edit", methods=["GET", "POST"])
@login_required
def edit(key: str):
    table, _plugin = _managed_or_403(key)
    registry = get_registry()
    resolver = reference_resolver(registry)
    history = resolver.history(key)
    latest = history[-1] if history else None
    if request.method == "GET":
        form = EditForm(formdata=None, based_on=str(latest_reference_sequence(key)),
                        reference=latest.reference if latest else "")
        snapshot = _open(resolver, latest) if latest is not None else None
        if latest is not None and snapshot is None:
            return _unreadable(key, latest)
        rows = snapshot.rows if snapshot is not None else []
        if len(rows) > MAX_EDITOR_ROWS:
            flash(_("This table has more rows than the browser editor handles: export it, change the file and upload it."),
                  "warning")
            return redirect(url_for(".table", key=key))
        return _editor(table, form, editor_rows(table, rows), latest)
    form = EditForm()
    try:
        lines = posted_rows(table, request.form)
    except TooManyRows:
        flash(_("This table has more rows than the browser editor handles: export it, change the file and upload it."),
              "error")
        return redirect(url_for(".table", key=key))
    if form.more.data:  # more blank lines, keeping what was typed
        start = len(lines)
        lines.extend(EditorRow(start + i + 1, {n: "" for n in table.columns}) for i in range(BLANK_ROWS))
        return _editor(table, form, lines, latest)
    rows, where = submitted_rows(table, lines)
    valid = form.validate_on_submit()
    errors: list[dict[str, Any]] = []
    try:
        loaded = load_rows(table, rows, where=where)
    except RowsInvalid as exc:
        errors = _row_errors(table, exc)
        loaded = None
    if not valid or loaded is None:
        return _editor(table, form, lines, latest, errors), 400
    token = keep_draft(key, [dump_row(table, r) for r in loaded], where, form.details(), form.based_on_sequence(),
                       "admin")
    return redirect(url_for(".preview", key=key, token=token))


def _editor(table: ReferenceTable, form: EditForm, lines: list, latest: ReferenceVersion | None,
            errors: list[dict[str, Any]] | None = None) -> str:
    kinds = {name: widget_kind(table, name) for name in table.columns}
    return render_template("refdata/edit.html", table=table, form=form, lines=lines, latest=latest, kinds=kinds,
                           errors=errors or [], language=_language())


@bp.route("/<key>/preview/<token>")
@login_required
def preview(key: str, token: str):
    table, _plugin = _managed_or_403(key)
    draft = kept_draft(token, key)
    if draft is None:
        flash(_("That draft is no longer available. Upload the file or edit the rows again."), "error")
        return redirect(url_for(".table", key=key))
    return _preview(table, draft)


def _preview(table: ReferenceTable, draft: Any, conflict: list[ReferenceVersion] | None = None, status: int = 200):
    registry = get_registry()
    resolver = reference_resolver(registry)
    history = resolver.history(table.key)
    latest = history[-1] if history else None
    try:
        rows = load_rows(table, draft.rows, where=draft.where)
    except RowsInvalid:  # the plugin's schema changed since the check: start again
        discard_draft()
        abort(409)
    previous = _open(resolver, latest) if latest is not None else None
    changes = diff_rows(table, previous.rows if previous is not None else None, rows)
    effective = date.fromisoformat(draft.details["effective_from"]) if draft.details.get("effective_from") else None
    return render_template(
        "refdata/preview.html", table=table, draft=draft, diff=changes, latest=latest, rows=rows,
        in_force_then=resolver.current(table.key, effective) if effective else None, effective=effective,
        later=[v for v in history if effective and v.effective_from > effective],
        reading=outcomes_reading(table.key), today=clock.today(), confirm=ConfirmForm(token=draft.token),
        conflict=conflict or [], show=_shown, sources=SOURCES,
    ), status


@bp.route("/<key>/confirm", methods=["POST"])
@login_required
def confirm(key: str):
    table, plugin = _managed_or_403(key)
    form = ConfirmForm()
    draft = kept_draft(form.token.data, key) if form.validate_on_submit() else None
    if draft is None:
        flash(_("That draft is no longer available. Upload the file or edit the rows again."), "error")
        return redirect(url_for(".table", key=key))
    registry = get_registry()
    try:
        done = record_reference(registry, key, draft.rows, draft.details, actor=current_user.username,
                                source=draft.source, based_on=draft.based_on, department=acting_department(plugin),
                                where=draft.where)
    except ReferenceConflict:
        resolver = reference_resolver(registry)
        conflict = [v for v in resolver.history(key) if draft.based_on is None or v.sequence > draft.based_on]
        return _preview(table, draft, conflict, 409)
    except (RowsInvalid, ValidationError):
        discard_draft()
        flash(_("The draft no longer passes the checks: nothing was recorded. Upload the file or edit the rows again."),
              "error")
        return redirect(url_for(".table", key=key))
    discard_draft()
    summary = done.diff.summary()
    flash(_("%(version)s recorded, in force from %(date)s: %(added)s added, %(removed)s removed, %(changed)s changed. "
            "Stored outcomes change only when the activities from that date are re-evaluated.",
            version=version_label(done.version.sequence), date=done.version.effective_from.isoformat(),
            added=summary["added"], removed=summary["removed"], changed=summary["changed"]), "success")
    return redirect(url_for(".table", key=key, version=done.version.sequence))


@bp.route("/<key>/discard", methods=["POST"])
@login_required
def discard(key: str):
    _managed_or_403(key)
    discard_draft()
    flash(_("The draft was discarded; nothing was recorded."), "success")
    return redirect(url_for(".table", key=key))


@bp.route("/<key>/export.<fmt>")
@login_required
def export(key: str, fmt: str):
    table, _plugin = _table_or_404(key)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    resolver = reference_resolver(get_registry())
    number = int_arg("version")
    version = resolver.version(key, number) if number is not None else resolver.current(key)
    if version is None:
        abort(404)
    snapshot = _open(resolver, version)
    if snapshot is None:
        return _unreadable(key, version)
    rows = snapshot.rows
    name = f"{key}-v{version.sequence}-{clock.today().isoformat()}.{fmt}"
    language = _language()
    if fmt == "csv":
        data = write_csv(table, rows, language).encode("utf-8")
        return send_file(io.BytesIO(data), as_attachment=True, download_name=name, mimetype="text/csv; charset=utf-8")
    data = write_xlsx(table, rows, language, version_details(table, version))
    return send_file(io.BytesIO(data), as_attachment=True, download_name=name,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
