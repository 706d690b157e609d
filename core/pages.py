"""What a plugin's admin pages may use: one template, a few helpers.

A plugin's view renders its own template, which extends the documented
base template ``stdpolicy/plugin_page.html``, through ``render_page``; it
links to the admin's own pages only through the helpers here
(``parameter_url``), checks permissions with ``may_manage`` and reads stored
data through ``stored_parameters`` and ``current_registry``. Nothing of
``webadmin`` — its templates, endpoint names, modules — is part of the
plugin API: it may change in any release, these may not (see
docs/plugins/admin-pages.md).

Everything here needs a Flask request (an admin page being served). The
module imports Flask, so ``core`` exports these names lazily (PEP 562):
``from core import render_page`` imports it on first use, and ``import
core`` (the CLI's ``evaluate``) stays free of Flask.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask import (Response, abort, current_app, has_request_context, render_template, request, send_file,
                   stream_with_context, url_for)
from werkzeug.routing import BuildError

from .text import Text

if TYPE_CHECKING:
    from .activities import Activity
    from .store.plugin_reads import StoredOutcome
    from .parameters import ParameterResolver
    from .refdata import ReferenceResolver
    from .registry import Registry

__all__ = [
    "BASE_TEMPLATE",
    "Column",
    "PageDepartment",
    "activity_url",
    "current_department",
    "current_plugin",
    "current_registry",
    "export_csv",
    "export_xlsx",
    "format_date",
    "may_manage",
    "money",
    "parameter_url",
    "pick",
    "render_page",
    "reference_url",
    "require_manager",
    "stored_activities",
    "stored_outcomes",
    "stored_parameters",
    "stored_references",
]

#: The template a plugin's page template extends (``{% extends "stdpolicy/plugin_page.html" %}``).
BASE_TEMPLATE = "stdpolicy/plugin_page.html"


def current_registry() -> Registry:
    """The loaded plugins of the application serving the request (or running the command)."""
    return current_app.extensions["stdpolicy"]


def current_plugin() -> str | None:
    """The plugin whose page (or JSON API endpoint) is being served (``None`` outside them)."""
    blueprint = (request.blueprint or "").split(".")[0]
    owners: Mapping[str, str] = current_app.extensions.get("stdpolicy.page_owners", {})
    api_owners: Mapping[str, str] = current_app.extensions.get("stdpolicy.api_owners", {})
    return owners.get(blueprint) or api_owners.get(blueprint)


def stored_parameters(*, believed_at: datetime | None = None) -> ParameterResolver:
    """The parameters as stored: ``.current(key)`` is the version in force today, ``.value(key, on)`` on a day.

    ``believed_at`` answers as the register stood then (versions recorded
    later are left out).
    """
    from .store import resolver

    return resolver(current_registry(), believed_at)


def pick(text: Text | Mapping[str, str] | str | None) -> str:
    """The half of a ``Text`` (or ``{"zh": …, "en": …}``) in the page's language; a ``str`` as it is."""
    from webadmin.i18n import pick as _pick

    return _pick(text)


def money(amount: int | Decimal | None) -> str:
    """An amount of yuan as the admin shows it: ``¥300,000(30万元)`` in Chinese, ``¥300,000`` in English."""
    from webadmin.i18n import money as _money

    return _money(amount)


def format_date(value: date | datetime | None) -> str:
    """A date as ``2024-08-04``; a stored (UTC) time in the city's time zone as ``2024-08-04 08:30``."""
    from webadmin.i18n import when

    return when(value)


@dataclass(frozen=True)
class PageDepartment:
    """The department the user is working in: its code and its name in both languages."""

    code: str
    name: Text


def current_department() -> PageDepartment | None:
    """The working department (a city administrator picks one in the header); ``None`` for none."""
    from webadmin.access import current_department as _current

    found = _current()
    return PageDepartment(found.code, Text(found.name_zh, found.name_en)) if found is not None else None


def may_manage(plugin: str | None = None) -> bool:
    """Whether the user manages ``plugin`` (default: the page's own plugin).

    City administrators, and administrators of the plugin's owning
    department. The one check before a page changes anything the plugin owns
    (its registry, its reference data); a page shows its forms only when it
    is true, and the view checks again (``require_manager``).
    """
    from webadmin.access import may_manage as _may_manage

    plugin = plugin or current_plugin()
    return plugin is not None and _may_manage(plugin)


def require_manager(plugin: str | None = None) -> None:
    """Answer 403 (and change nothing) unless ``may_manage(plugin)``."""
    if not may_manage(plugin):
        abort(403)


def parameter_url(key: str) -> str | None:
    """The admin's page of parameter ``key`` (its history and the form for a new version), if there is one."""
    if "parameters.detail" not in current_app.view_functions:
        return None
    try:
        return url_for("parameters.detail", key=key)
    except BuildError:
        return None


def render_page(template: str, *, title: Text, breadcrumbs: Sequence[tuple[Text, str | None]] = (),
                **context: Any) -> str:
    """Render a plugin page: ``template`` extends ``stdpolicy/plugin_page.html``.

    :param template: the plugin's template, e.g. ``"training/events.html"``
        (in the ``templates`` folder of the plugin's blueprint; name it after
        the plugin so it cannot collide with another's).
    :param title: the page's title and heading, Chinese and English.
    :param breadcrumbs: what follows the plugin's name in the trail, each
        ``(label, url)``; the last one, usually without a url, is this page.
    :param context: the template's own variables.

    Besides ``context``, the template gets ``page_title``, ``breadcrumbs``,
    ``plugin`` (the plugin's name), ``plugin_label`` (its label),
    ``plugin_home`` (its first page) and ``can_manage`` (``may_manage()``).
    """
    if not isinstance(title, Text):
        raise TypeError(f"page title must be a Text (Chinese, English), got {title!r}")
    plugin = current_plugin()
    registry = current_registry()
    record = registry.plugins.get(plugin) if plugin else None
    menu = current_app.extensions.get("stdpolicy.admin_menu", [])
    home = next((entry.endpoint for entry in menu if entry.plugin == plugin), None)
    return render_template(
        template,
        page_title=title,
        breadcrumbs=list(breadcrumbs),
        plugin=plugin,
        plugin_label=record.description.label if record is not None else Text(plugin or "", plugin or ""),
        plugin_home=url_for(home) if home else None,
        can_manage=may_manage(plugin) if plugin else False,
        **context,
    )


@dataclass(frozen=True)
class Column:
    """A column of an export: the row's ``key`` (or ``value(row)``), its header, its width in an XLSX sheet.

    ``label`` is a ``Text`` (its half in the page's language is the header), or a
    header already in that language (the admin's own pages: a gettext).
    """

    key: str
    label: Text | str
    value: Callable[[Any], Any] | None = None
    width: int = 16

    def of(self, row: Any) -> Any:
        if self.value is not None:
            return self.value(row)
        return row.get(self.key) if isinstance(row, Mapping) else getattr(row, self.key, None)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """A value as a spreadsheet cell: ``Text`` in the page's language, exact numbers, dates; never a formula."""
    if isinstance(value, Text):
        value = pick(value)
    if isinstance(value, bool):
        return pick(Text("是", "yes") if value else Text("否", "no"))
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value)
    return value


def _safe_text(value: Any) -> Any:
    # Text a spreadsheet would run as a formula gets a leading apostrophe (CSV injection);
    # ``core.interchange`` takes it off again when it reads the file back.
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def _columns(columns: Sequence[Column | tuple[str, Text | str]]) -> list[Column]:
    return [c if isinstance(c, Column) else Column(c[0], c[1]) for c in columns]


#: Rows of a CSV export written between two pieces of the streamed response.
_CSV_PIECE = 1000


def export_csv(rows: Iterable[Any], columns: Sequence[Column | tuple[str, Text | str]], filename: str) -> Response:
    """A CSV download (UTF-8 with BOM, so Excel on Chinese Windows reads it) of ``rows``, streamed as it is written.

    :param rows: mappings (``row[key]``) or objects (``row.key``); read while
        the response is sent (``stream_with_context``: the request, its
        language and database session, are still there).
    :param columns: ``Column``s, or ``(key, label)`` pairs; headers in the page's language.
    :param filename: the download's name, e.g. ``"events-2024-08-04.csv"``.
    """
    cols = _columns(columns)

    def pieces() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([pick(c.label) for c in cols])
        yield "\ufeff" + buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        for n, row in enumerate(rows, start=1):
            writer.writerow([_safe_text(_cell(c.of(row))) for c in cols])
            if n % _CSV_PIECE == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    response = Response(stream_with_context(pieces()), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def export_xlsx(rows: Iterable[Any], columns: Sequence[Column | tuple[str, Text | str]], filename: str, *,
                sheet: Text | str | None = None) -> Response:
    """An Excel workbook (.xlsx) download of ``rows``: one sheet, bold header, frozen first row.

    Numbers stay numbers, dates dates; text that starts like a formula is
    stored as text. ``sheet`` names the sheet (default: the file name without its ending).
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    cols = _columns(columns)
    workbook = Workbook(write_only=True)
    title = pick(sheet) if sheet is not None else filename.rsplit(".", 1)[0]
    worksheet = workbook.create_sheet(re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Sheet1")
    for n, column in enumerate(cols, start=1):
        worksheet.column_dimensions[get_column_letter(n)].width = column.width
    worksheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in cols:
        cell = WriteOnlyCell(worksheet, value=pick(column.label))
        cell.font = bold
        header.append(cell)
    worksheet.append(header)
    for row in rows:
        cells: list[Any] = []
        for column in cols:
            value = _cell(column.of(row))
            if isinstance(value, str) and value.startswith("="):
                cell = WriteOnlyCell(worksheet, value=value)
                cell.data_type = "s"  # text, never a formula
                cells.append(cell)
            else:
                cells.append(value)
        worksheet.append(cells)
    out = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)
    workbook.save(out)
    out.seek(0)
    return send_file(out, as_attachment=True, download_name=filename,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def stored_outcomes(*, kinds: Collection[str], plugin: str | None = None,
                    statuses: Collection[str] | None = None) -> list[StoredOutcome]:
    """The current stored outcomes of ``plugin`` (default: the page's own) on the stored activities of ``kinds``.

    What a plugin's page lists and counts (a rectification list, certificates
    about to expire): ``.activity`` (the ``Activity``, with its organisation
    and credit code), ``.rule``, ``.status``, ``.amount``, ``.details``,
    ``.explanation`` (``Text``), ``.references`` and ``.url`` (the admin's
    page of the activity). Oldest activity first; filter further in Python.
    """
    from dataclasses import replace

    from .store.plugin_reads import current_outcomes

    plugin = plugin or (current_plugin() if has_request_context() else None)
    if plugin is None:
        raise RuntimeError("stored_outcomes: name the plugin outside its own pages")
    found = current_outcomes(plugin, kinds, statuses)
    if not has_request_context() or "register.detail" not in current_app.view_functions:
        return found  # a command (no request to build links in), or an application without the register
    return [replace(o, url=url_for("register.detail", activity_id=o.activity.stored_id)) for o in found]


def stored_activities(*, kinds: Collection[str], since: date | None = None,
                      until: date | None = None) -> list[Activity]:
    """The stored activities of ``kinds`` dated from ``since`` to ``until`` (both included), oldest first.

    What a plugin counts from the register itself rather than from outcomes
    (the city's targets: standards drafted, pilots approved): each ``Activity``
    with ``.fields``, ``.date``, ``.credit_code``, ``.organisation`` and
    ``.stored_id`` (for ``activity_url``). One query; the SQL is core's.
    Needs an application context (a page or a command), not a request.
    """
    from .store.activities import stored_activities as read

    found = read(kinds=kinds, since=since)
    return found if until is None else [a for a in found if a.date <= until]


def activity_url(activity: Activity) -> str | None:
    """The admin's page of a stored activity (``None`` outside a request or for an unstored one)."""
    if activity.stored_id is None or not has_request_context() or "register.detail" not in current_app.view_functions:
        return None
    return url_for("register.detail", activity_id=activity.stored_id)


def stored_references(*, believed_at: datetime | None = None) -> ReferenceResolver:
    """The stored reference data: ``.snapshot(key, on)`` the rows in force on a day (``None``: no version),
    ``.current(key, on)``, ``.history(key)`` (docs/reference-data.md); ``snapshot.sample`` marks sample data.

    Like ``stored_parameters`` for parameters: what a page shows beside its
    lists (a campaign's targets, a category's number of places). ``believed_at``
    answers as the tables stood then.
    """
    from .store import reference_resolver

    return reference_resolver(current_registry(), believed_at)


def reference_url(key: str, sequence: int | None = None) -> str | None:
    """The admin's page of reference table ``key`` (its versions, rows, differences and exports), if there is one.

    With ``sequence``: that version's rows (第N版).
    """
    if "refdata.table" not in current_app.view_functions:
        return None
    try:
        return url_for("refdata.table", key=key, version=sequence) + ("#rows-card" if sequence else "")
    except BuildError:
        return None
