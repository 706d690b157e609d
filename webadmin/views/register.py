"""The activity register: the filtered list, one activity's page, CSV and XLSX exports.

Everything is scoped to the working department: only the kinds its enabled
plugins declare, and only those plugins' outcomes. The queries live in
``core.store.register``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, render_template, request, send_file
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import Length, Optional

from core import clock
from core.app import get_registry
from core.interchange import COMMON, COMPUTED
from core.interchange.workbook import formulas_as_text
from core.pages import Column, parameter_url, reference_url
from core.pages import export_csv as export_csv_file
from core.pages import export_xlsx as export_xlsx_file
from core.regions import JIAXING_COUNTIES
from core.outcomes import status_label
from core.reviews import REVIEW_STATES, review_label
from core.registry import Registry
from core.store.organisations import name_history
from core.store.reviews import decision_history, effective_decisions, review_states
from core.store.register import (
    ExportRow,
    RegisterFilter,
    activity_detail,
    export_rows,
    register_page,
    register_totals,
    version_numbers,
    visible_kinds,
    year_range,
)

from ..access import department_plugins
from ..forms import select_choices
from ..i18n import pick
from ..labels import rule_legend, version_label
from ..nav import NavItem
from ..urlints import int_arg

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
    review = SelectField(_l("Review"), validators=[Optional()])


def _filter_form() -> tuple[RegisterFilterForm, RegisterFilter]:
    """The filter form filled from the query string, and the filter of its valid fields.

    An invalid field keeps its error (shown next to it) and does not narrow the list.
    """
    registry = get_registry()
    plugins = department_plugins()
    form = RegisterFilterForm(formdata=request.args)
    every = ("", _("All"))
    kinds = visible_kinds(registry, plugins)
    form.kind.choices = select_choices([every] + [(k, pick(registry.kinds[k].label)) for k in kinds])
    years = year_range() if kinds else None  # nothing visible: not even which years hold activities
    form.year.choices = select_choices([every] + ([(str(y), str(y)) for y in range(years[1], years[0] - 1, -1)] if years else []))
    form.county.choices = select_choices([every] + [(code, pick(name)) for code, name in JIAXING_COUNTIES.items()])
    form.plugin.choices = select_choices([every] + [
        (name, pick(record.description.label)) for name, record in registry.plugins.items() if name in plugins
    ])
    form.review.choices = select_choices([every] + [(state, pick(label)) for state, label in REVIEW_STATES.items()])
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
        review=value("review"),
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
    page = register_page(registry, department_plugins(), filt, int_arg("page", 1, low=1))
    legend = rule_legend(registry, department_plugins(), {rule for row in page.rows for rule, _amount in row.rules})
    return render_template("register/index.html", form=form, page=page, registry=registry, filter_args=_filter_args(),
                           legend=legend, meanings={e.rule: e.meaning for e in legend})


#: The totals tab's groupings: query-string value → heading.
TOTAL_GROUPS = {"organisation": _l("By organisation"), "county": _l("By county")}


def _totals_group() -> str:
    group = request.args.get("by", "organisation")
    return group if group in TOTAL_GROUPS else "organisation"


@bp.route("/activities/totals")
@login_required
def totals():
    """The totals of the filtered list (the register's filters), per organisation or per county."""
    registry = get_registry()
    form, filt = _filter_form()
    group = _totals_group()
    found = register_totals(registry, department_plugins(), filt, group)  # type: ignore[arg-type]
    return render_template("register/totals.html", form=form, totals=found, group=group, groups=TOTAL_GROUPS,
                           filter_args={k: v for k, v in _filter_args().items() if k != "by"})


@bp.route("/activities/totals.xlsx")
@login_required
def totals_xlsx():
    """The filtered list's totals as a workbook: one sheet per organisation, one per county (integer yuan)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    registry = get_registry()
    _form, filt = _filter_form()
    plugins = department_plugins()
    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    for group, title in TOTAL_GROUPS.items():
        found = register_totals(registry, plugins, filt, group)  # type: ignore[arg-type]
        sheet = workbook.create_sheet(str(title))
        if group == "organisation":
            header = [_("Organisation"), _("Credit code"), _("County")]
            keys = [[line.name or "", line.key, pick(line.county)] for line in found.lines]
        else:
            header = [_("County"), _("Region code")]
            keys = [[pick(line.county), line.key] for line in found.lines]
        header += [_("Activities"), _("Paid (yuan)"), _("Held for review (yuan)")]
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = bold
        for line, key in zip(found.lines, keys):
            sheet.append([*key, line.activities, line.amount, line.held])
        formulas_as_text(sheet)  # organisations' names are their own text
        sheet.append([_("Total"), *([""] * (len(header) - 4)), found.activities, found.amount, found.held])
        for cell in sheet[sheet.max_row]:
            cell.font = bold
        sheet.freeze_panes = "A2"
        for n, width in enumerate([30, 21, 14, 10, 16, 18][:len(header)] if group == "organisation" else [16, 12, 10, 16, 18],
                                  start=1):
            sheet.column_dimensions[chr(64 + n)].width = width
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    return send_file(out, as_attachment=True, download_name=f"activity-totals-{clock.today().isoformat()}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/activities/<int:activity_id>")
@login_required
def detail(activity_id: int):
    registry = get_registry()
    found = activity_detail(registry, department_plugins(), activity_id)
    if found is None:
        abort(404)
    kind = registry.kinds.get(found.record.kind)
    legend = rule_legend(registry, department_plugins(), {o.rule for o in (*found.current, *found.superseded)})
    reviews = effective_decisions(found.current)
    decisions = [d for d in decision_history(found.record.id) if d.plugin in department_plugins()]
    return render_template("register/detail.html", a=found, kind=kind, registry=registry, parameter_url=parameter_url,
                           reference_url=reference_url, reviews=reviews, decisions=decisions,
                           in_effect={d.id for d in reviews.values()},
                           names=name_history(found.organisation.id, found.organisation), legend=legend,
                           meanings={e.rule: e.meaning for e in legend})


# -- exports ------------------------------------------------------------------------
#
# One row per current outcome (an activity without one still gets a row), with
# the activity's every field, so that an exported file imports again: the same
# activities, recognised as already stored. Headers, kinds and coded values are
# in the UI language, with the names ``core.interchange`` reads back
# (``columns.COMMON`` and ``COMPUTED``, each kind's field labels); the computed
# columns (plugin, rule, amount …) are skipped on import.


#: Column widths in an XLSX sheet (characters); 16 for the others.
_WIDTHS = {"activity_id": 10, "id": 14, "date": 12, "organisation": 30, "credit_code": 21, "county": 14, "kind": 18,
           "subject": 20, "plugin": 14, "plugin_version": 9, "rule": 8, "amount": 14, "clause": 10,
           "explanation_zh": 60, "explanation_en": 60, "parameters": 50}


def _column(key: str, header: str, value: Callable[[ExportRow], Any]) -> Column:
    return Column(key, header, value, _WIDTHS.get(key, 16))


def _columns() -> list[Column]:
    """The export's columns, headers in the UI language."""
    registry = get_registry()
    plugins = department_plugins()
    kinds = visible_kinds(registry, plugins)
    yes, no = _("Yes"), _("No")
    sequences = version_numbers()  # for outcomes stored before the version's number travelled with them

    def review(row: ExportRow) -> str | None:
        # Held outcomes are few: the decision in effect is looked up for each held row alone.
        if row.status != "held" or row.plugin is None or row.rule is None:
            return None
        state = review_states([row.activity_id], [row.plugin]).get((row.activity_id, row.rule))
        return pick(review_label(state)) if state is not None else None

    def computed(key: str, value: Callable[[ExportRow], Any]) -> Column:
        return _column(key, pick(COMPUTED[key]), value)

    def common(key: str, value: Callable[[ExportRow], Any]) -> Column:
        return _column(key, pick(COMMON[key][0]), value)

    columns = [
        computed("activity_id", lambda r: r.activity_id),
        common("id", lambda r: r.external_id),
        common("date", lambda r: r.date),
        common("organisation", lambda r: r.organisation),
        common("credit_code", lambda r: r.credit_code),
        computed("county", lambda r: pick(r.county)),
        common("kind", lambda r: pick(registry.kinds[r.kind].label) if r.kind in registry.kinds else r.kind),
        computed("subject", lambda r: _subject(registry, r)),
    ]
    # Each kind's own fields: one column per field and header (two kinds naming
    # ``project`` differently get a column each; the import reads either).
    seen: dict[tuple[str, str], list[str]] = {}
    for name in kinds:
        kind = registry.kinds[name]
        for key, field in kind.schema._declared_fields.items():
            if field.dump_only:
                continue
            label = kind.field_label(key)
            header = pick(label) if label is not None else key
            seen.setdefault((key, header), []).append(name)
    for (key, header), owners in seen.items():
        columns.append(_column(f"field:{key}", header, _field_value(registry, key, frozenset(owners), yes, no)))
    columns += [
        computed("plugin", lambda r: pick(registry.plugins[r.plugin].description.label)
                 if r.plugin in registry.plugins else r.plugin),
        computed("plugin_version", lambda r: r.plugin_version),
        computed("rule", lambda r: r.rule),
        computed("amount", lambda r: r.amount),
        computed("status", lambda r: pick(status_label(r.status)) if r.status is not None else None),
        computed("held_amount", lambda r: r.held_amount),
        computed("review", review),
        computed("clause", lambda r: r.clause),
        computed("explanation_zh", lambda r: r.explanation_zh),
        computed("explanation_en", lambda r: r.explanation_en),
        computed("parameters", lambda r: _parameters_text(registry, r, sequences)),
    ]
    return columns


def _field_value(registry: Registry, key: str, owners: frozenset[str], yes: str, no: str) -> Callable[[ExportRow], Any]:
    """The value of field ``key`` for rows of the ``owners`` kinds: coded values by their label, yes/no in words."""

    def value(row: ExportRow) -> Any:
        if row.kind not in owners or not row.fields:
            return None
        found = row.fields.get(key)
        if found is None:
            return None
        if isinstance(found, bool):
            return yes if found else no
        label = registry.kinds[row.kind].value_label(key, found)
        if label is not None:
            return pick(label)
        if isinstance(found, (dict, list)):
            return json.dumps(found, ensure_ascii=False)
        return found

    return value


def _subject(registry: Registry, row: ExportRow) -> str | None:
    """What the activity is about; a coded subject (an award, a level) by its label."""
    kind = registry.kinds.get(row.kind)
    if kind is not None and kind.subject_field and row.subject is not None:
        label = kind.value_label(kind.subject_field, row.subject)
        if label is not None:
            return pick(label)
    return row.subject


def _parameters_text(registry: Registry, row: ExportRow, sequences: dict[int, int]) -> str | None:
    """The parameter versions an outcome read, each by its label in the UI language and its number (第2版)."""
    if row.parameter_versions is None:
        return None
    parts = []
    for p in row.parameter_versions:
        declared = registry.parameters.get(p.get("key", ""))
        label = pick(declared.label) if declared is not None else p.get("key")
        value = p.get("value")
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        number = p.get("sequence")
        if number is None and p.get("version_id") is not None:
            number = sequences.get(int(p["version_id"]))
        if number is not None:
            parts.append(_("%(label)s = %(value)s (%(version)s, in force from %(date)s)",
                           label=label, value=shown, version=version_label(number), date=p.get("effective_from")))
        else:
            parts.append(_("%(label)s = %(value)s (in force from %(date)s)", label=label, value=shown,
                           date=p.get("effective_from")))
    return "; ".join(parts)


def _download_name(ext: str) -> str:
    return f"activities-{clock.today().isoformat()}.{ext}"


@bp.route("/activities/export.csv")
@login_required
def export_csv():
    registry = get_registry()
    _form, filt = _filter_form()
    return export_csv_file(export_rows(registry, set(department_plugins()), filt), _columns(), _download_name("csv"))


@bp.route("/activities/export.xlsx")
@login_required
def export_xlsx():
    registry = get_registry()
    _form, filt = _filter_form()
    return export_xlsx_file(export_rows(registry, set(department_plugins()), filt), _columns(), _download_name("xlsx"),
                            sheet=_("Activities"))
