"""The activity register: the filtered list, one activity's page, CSV and XLSX exports.

Everything is scoped to the working department: only the kinds its enabled
plugins declare, and only those plugins' outcomes. The queries live in
``core.store.register``.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request, send_file, stream_with_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from werkzeug.routing import BuildError
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import Length, Optional

from core.app import get_registry
from core.regions import JIAXING_COUNTIES
from core.store.register import (
    ExportRow,
    RegisterFilter,
    activity_detail,
    export_rows,
    register_page,
    visible_kinds,
    year_range,
)

from ..access import department_plugins
from ..forms import select_choices
from ..i18n import pick
from ..nav import NavItem

__all__ = ["NAV", "RegisterFilterForm", "bp"]

bp = Blueprint("register", __name__)
NAV = [NavItem("register.index", _l("Activities"), 20)]


class RegisterFilterForm(FlaskForm):
    """The register's filters, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=200)],
                    description=_l("Organisation name or credit code, standard number or committee, record id"))
    kind = SelectField(_l("Kind"), validators=[Optional()])
    year = SelectField(_l("Year"), validators=[Optional()])
    county = SelectField(_l("County"), validators=[Optional()])
    plugin = SelectField(_l("Plugin"), validators=[Optional()])
    paid_only = BooleanField(_l("Amount above zero only"))


def _filter_form() -> tuple[RegisterFilterForm, RegisterFilter]:
    """The filter form filled from the query string, and the filter of its valid fields.

    An invalid field keeps its error (shown next to it) and does not narrow the list.
    """
    registry = get_registry()
    plugins = department_plugins()
    form = RegisterFilterForm(formdata=request.args)
    every = ("", _("All"))
    form.kind.choices = select_choices([every] + [(k, pick(registry.kinds[k].label)) for k in visible_kinds(registry, plugins)])
    years = year_range()
    form.year.choices = select_choices([every] + ([(str(y), str(y)) for y in range(years[1], years[0] - 1, -1)] if years else []))
    form.county.choices = select_choices([every] + [(code, pick(name)) for code, name in JIAXING_COUNTIES.items()])
    form.plugin.choices = select_choices([every] + [
        (name, pick(record.description.label)) for name, record in registry.plugins.items() if name in plugins
    ])
    form.validate()

    def value(name: str) -> Any:
        f = getattr(form, name)
        return None if f.errors else (f.data or None)

    year = value("year")
    filt = RegisterFilter(
        q=(value("q") or "").strip(),
        kind=value("kind"),
        year=int(year) if year else None,
        county=value("county"),
        plugin=value("plugin"),
        paid_only=bool(value("paid_only")),
    )
    return form, filt


def _filter_args() -> dict[str, str]:
    """The query string without the page number (for export links)."""
    return {k: v for k, v in request.args.items() if k not in ("page", "lang") and v}


@bp.route("/activities")
@login_required
def index():
    registry = get_registry()
    form, filt = _filter_form()
    page = register_page(registry, department_plugins(), filt, request.args.get("page", 1, type=int))
    return render_template("register/index.html", form=form, page=page, registry=registry, filter_args=_filter_args())


def parameter_url(key: str) -> str | None:
    """The parameters page of ``key``, if the admin has one."""
    if "parameters.detail" not in current_app.view_functions:
        return None
    try:
        return url_for("parameters.detail", key=key)
    except BuildError:
        return None


@bp.route("/activities/<int:activity_id>")
@login_required
def detail(activity_id: int):
    registry = get_registry()
    found = activity_detail(registry, department_plugins(), activity_id)
    if found is None:
        abort(404)
    kind = registry.kinds.get(found.record.kind)
    return render_template("register/detail.html", a=found, kind=kind, registry=registry, parameter_url=parameter_url)


# -- exports ------------------------------------------------------------------------


def _columns() -> list[tuple[str, str]]:
    """(attribute, header in the UI language) of each export column."""
    return [
        ("activity_id", _("Activity id")),
        ("external_id", _("Record id")),
        ("date", _("Date")),
        ("organisation", _("Organisation")),
        ("credit_code", _("Credit code")),
        ("county", _("County")),
        ("kind", _("Kind")),
        ("kind_label", _("Kind name")),
        ("subject", _("Subject")),
        ("plugin", _("Plugin")),
        ("plugin_version", _("Plugin version")),
        ("rule", _("Rule")),
        ("amount", _("Amount (yuan)")),
        ("clause", _("Clause")),
        ("explanation_zh", _("Explanation (Chinese)")),
        ("explanation_en", _("Explanation (English)")),
        ("parameters", _("Parameter versions")),
    ]


def _values(row: ExportRow, names: list[str], kind_labels: dict[str, str]) -> list[Any]:
    values = []
    for name in names:
        if name == "county":
            values.append(pick(row.county))
        elif name == "kind_label":
            values.append(kind_labels.get(row.kind, row.kind))
        else:
            values.append(getattr(row, name))
    return values


def _kind_labels() -> dict[str, str]:
    return {name: pick(kind.label) for name, kind in get_registry().kinds.items()}


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_safe(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading apostrophe (CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def _download_name(ext: str) -> str:
    return f"activities-{date.today().isoformat()}.{ext}"


@bp.route("/activities/export.csv")
@login_required
def export_csv():
    registry = get_registry()
    _form, filt = _filter_form()
    plugins = set(department_plugins())
    columns = _columns()
    names = [name for name, _header in columns]
    kind_labels = _kind_labels()

    def generate() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([header for _name, header in columns])
        yield "\ufeff" + buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        for n, row in enumerate(export_rows(registry, plugins, filt), start=1):
            writer.writerow([_csv_safe(v) for v in _values(row, names, kind_labels)])
            if n % 1000 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    response = Response(stream_with_context(generate()), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{_download_name("csv")}"'
    return response


@bp.route("/activities/export.xlsx")
@login_required
def export_xlsx():
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    registry = get_registry()
    _form, filt = _filter_form()
    columns = _columns()
    names = [name for name, _header in columns]
    kind_labels = _kind_labels()

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Activities"))
    widths = {"activity_id": 10, "external_id": 14, "date": 12, "organisation": 30, "credit_code": 21,
              "county": 14, "kind": 18, "kind_label": 18, "subject": 20, "plugin": 14, "plugin_version": 9,
              "rule": 8, "amount": 14, "clause": 10, "explanation_zh": 60, "explanation_en": 60, "parameters": 50}
    for n, name in enumerate(names, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = widths.get(name, 14)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for _name, text in columns:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in export_rows(registry, set(department_plugins()), filt):
        cells: list[Any] = []
        for value in _values(row, names, kind_labels):
            if isinstance(value, str) and value.startswith("="):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"  # text, never a formula
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    out = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)
    workbook.save(out)
    out.seek(0)
    return send_file(
        out, as_attachment=True, download_name=_download_name("xlsx"),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
