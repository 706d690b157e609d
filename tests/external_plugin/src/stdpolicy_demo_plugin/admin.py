"""The demo plugin's admin page: ``/admin/p/demo/``, on the plugin API only.

Imported by the ``stdpolicy_register_admin_pages`` hook, so the rules load
without Flask. The page extends ``stdpolicy/plugin_page.html`` through
``core.render_page``, reads the stored parameters through
``core.stored_parameters`` and the plugin's own table (``demo_venues``)
through ``core.database_session``.
"""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy import select

from core import AdminPage, Text, current_department, database_session, render_page, stored_parameters, today

from .models import Venue

__all__ = ["PAGE_LABEL", "admin_pages", "pages"]

PARAMETER = "demo.training.per_event"
PAGE_LABEL = Text("培训", "Training")

pages = Blueprint("demo_pages", __name__, template_folder="templates")

WORDS = {
    "overview": Text("总览", "Overview"),
    "intro": Text("每场标准化培训给予固定补助;金额为今日施行的政策参数版本。",
                  "A flat grant per standards training event; the amount is the parameter version in force today."),
    "amount": Text("每场补助", "Grant per event"),
    "since": Text("生效日期", "In force from"),
    "none": Text("今日无施行版本", "none in force today"),
    "venues": Text("培训场地", "Training venues"),
    "seats": Text("座位数", "Seats"),
    "no_venues": Text("尚未登记培训场地。", "No training venue is registered yet."),
}


@pages.route("/")
def index() -> str:
    version = stored_parameters().current(PARAMETER, today())
    return render_page("demo/index.html", title=PAGE_LABEL, breadcrumbs=[(WORDS["overview"], None)],
                       words=WORDS, version=version, parameter=PARAMETER, department=current_department(),
                       venues=list(database_session().scalars(select(Venue).order_by(Venue.name))))


def admin_pages() -> list[AdminPage]:
    return [AdminPage(pages, PAGE_LABEL)]
