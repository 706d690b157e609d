"""``stdpolicy approvals create|list|show|export``: approval lists (拨付清单) and the public notice (公示).

Exit status: 0 done; 2 a bad argument, an unknown list, nothing payable in
the period (or nothing changed, for a supplementary list), a department
that does not own the plugin; 3 and 4 database faults (``core.cli._common``).
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any, NoReturn

import click
from marshmallow import ValidationError

from .. import clock
from ..app import get_registry
from ..db import db
from ..messages import flatten_errors
from ..models import ApprovalListRecord, Department
from ..services.approvals import ApprovalRefused, RequestSchema, county_totals, create, verify
from ..store import approvals as store
from ._common import actor, print_table, resolve_department, with_database

__all__ = ["approvals_group"]


@click.group("approvals")
def approvals_group() -> None:
    """Approval lists (拨付清单): issue, list, show, export (XLSX, PDF, public notice)."""


def _refused(message: str) -> NoReturn:
    click.echo(f"error: {message}; nothing was stored", err=True)
    sys.exit(2)


def _find(number: str) -> ApprovalListRecord:
    found = store.find_list(number)
    if found is None:
        raise click.BadParameter(f"no approval list is numbered {number!r}; `stdpolicy approvals list` shows them",
                                 param_hint="NUMBER")
    return found


@approvals_group.command("create")
@click.option("--from", "period_from", required=True, metavar="YYYY-MM-DD", help="First day of the period.")
@click.option("--to", "period_to", required=True, metavar="YYYY-MM-DD", help="Last day of the period (included).")
@click.option("--plugin", default="reward_tiers", show_default=True, help="The plugin whose outcomes are paid.")
@click.option("--department", "-d", required=True, metavar="NAME",
              help="The issuing department (it must own the plugin), code or name.")
@click.option("--supplements", metavar="NUMBER",
              help="Issue a supplementary list to list NUMBER: what changed since (its period is NUMBER's).")
@click.option("--note", help="A note printed on the list and kept in the audit log.")
@with_database
def create_command(period_from: str, period_to: str, plugin: str, department: str, supplements: str | None,
                   note: str | None) -> None:
    """Issue a numbered approval list of the outcomes payable in the period, frozen as issued.

    Activities already on an issued list of the plugin are not listed again;
    use --supplements NUMBER for what changed since that list.
    """
    dept = resolve_department(department)
    try:
        request = RequestSchema().load({"period_from": period_from, "period_to": period_to, "plugin": plugin,
                                        "note": note, "supplements": supplements})
    except ValidationError as exc:
        names = {"period_from": "--from", "period_to": "--to"}
        for error in flatten_errors(exc.messages):
            click.echo(f"error: {names.get(error.field or '', '--' + (error.field or ''))}: {error.message}", err=True)
        _refused("invalid request")
    try:
        record = create(get_registry(), request["plugin"], request["period_from"], request["period_to"], actor=actor(),
                        department=dept, note=request["note"], supplements=request["supplements"])
    except ApprovalRefused as exc:
        _refused(str(exc))
    click.echo(f"issued approval list {record.number}: {record.item_count} rows, total {record.total_amount:,} yuan "
               f"({record.period_from.isoformat()} to {record.period_to.isoformat()}); digest {record.digest}")


def _json(record: ApprovalListRecord) -> dict[str, Any]:
    return {
        "number": record.number, "title": record.title, "kind": record.kind,
        "supplements": store.find_list_by_id(record.supplements_id).number  # type: ignore[union-attr]
        if record.supplements_id is not None else None,
        "plugin": record.plugin, "period_from": record.period_from.isoformat(),
        "period_to": record.period_to.isoformat(), "items": record.item_count, "total_amount": record.total_amount,
        "digest": record.digest, "issued_by": record.issued_by, "issued_at": record.issued_at.isoformat() + "Z",
        "note": record.note,
    }


@approvals_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@with_database
def list_command(fmt: str) -> None:
    """Every issued approval list, latest first."""
    found = store.lists()
    if fmt == "json":
        click.echo(json.dumps([_json(r) for r in found], ensure_ascii=False, indent=2))
        return
    print_table(["number", "kind", "plugin", "period", "rows", "total (yuan)", f"issued ({clock.zone_name()})", "by"],
                [[r.number, r.kind, r.plugin, f"{r.period_from.isoformat()} to {r.period_to.isoformat()}",
                  r.item_count, f"{r.total_amount:,}", clock.local(r.issued_at).strftime("%Y-%m-%d %H:%M"),
                  r.issued_by] for r in found])


@approvals_group.command("show")
@click.argument("number")
@with_database
def show_command(number: str) -> None:
    """List NUMBER: its rows as issued, the totals per county and overall, and whether its digest still holds."""
    record = _find(number)
    items = store.list_items(record)
    click.echo(f"{record.number} — {record.title}")
    click.echo(f"{record.kind}; {record.plugin}; period {record.period_from.isoformat()} to "
               f"{record.period_to.isoformat()}; issued {clock.local(record.issued_at).strftime('%Y-%m-%d %H:%M')} "
               f"by {record.issued_by}")
    if record.note:
        click.echo(f"note: {record.note}")
    print_table(["#", "organisation", "credit code", "county", "achievement", "date", "rule", "amount", "corrects"],
                [[i.position, i.organisation_name, i.credit_code, _county(i.region_code), i.achievement,
                  i.achievement_date.isoformat(), i.rule, f"{i.amount:,}",
                  f"item #{i.corrects_item_id}" if i.corrects_item_id else ""] for i in items])
    for county in county_totals(items):
        click.echo(f"  {county.county.zh} ({county.county.en}): {county.count} rows, {county.amount:,} yuan")
    click.echo(f"total: {record.total_amount:,} yuan; digest {record.digest} "
               f"({'verified' if verify(record) else 'DOES NOT MATCH the rows'})")


def _county(code: str) -> str:
    from ..regions import region_name

    return region_name(code).zh


@approvals_group.command("export")
@click.argument("number")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "pdf", "notice"]), required=True,
              help="xlsx: the workbook; pdf: the printable list; notice: the public notice (公示) as PDF.")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, writable=True), help="The file to write.")
@click.option("--notice-days", type=click.IntRange(min=1, max=60), default=7, show_default=True,
              help="The public notice's period in working days.")
@click.option("--notice-from", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="The first day of the public notice (default: 'from the day it is published').")
@with_database
def export_command(number: str, fmt: str, output: str, notice_days: int, notice_from: datetime | None) -> None:
    """Write list NUMBER as an XLSX workbook, a PDF, or its public notice (PDF, without credit codes)."""
    from ..documents import list_pdf, list_xlsx, notice_pdf, printed_list

    record = _find(number)
    department = db.session.get(Department, record.department_id) if record.department_id else None
    earlier = store.find_list_by_id(record.supplements_id) if record.supplements_id else None
    printed = printed_list(get_registry(), record, store.list_items(record), department, earlier)
    if fmt == "xlsx":
        data = list_xlsx(printed)
    elif fmt == "pdf":
        data = list_pdf(printed)
    else:
        start: date | None = notice_from.date() if notice_from else None
        data = notice_pdf(printed, days=notice_days, start=start)
    Path(output).write_bytes(data)
    click.echo(f"wrote {fmt} of approval list {record.number} ({record.item_count} rows) to {output}", err=True)
