"""``stdpolicy refdata list|show|history|diff|import|export``: versioned reference data tables.

Exit status: 0 done; 1 some rows of an imported file invalid (each listed,
nothing stored); 2 an unknown table or version, a bad argument, an
unreadable file, or someone recorded a version meanwhile (``--based-on``);
3 and 4 database faults (``core.cli._common``).
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import click
from marshmallow import ValidationError

from .. import clock
from ..app import get_registry
from ..interchange import InputError
from ..messages import flatten_errors
from ..refdata import ReferenceResolver, ReferenceTable, ReferenceVersion, RowsInvalid, VersionDiff, diff_rows
from ..refdata.versions import StoredRowsInvalid
from ..registry import Registry
from ..screening import clipped
from ..services import record_reference
from ..store import ReferenceConflict, plugin_owner, reference_resolver
from ._common import actor, print_table, with_database

__all__ = ["refdata_group"]

_DAY = click.DateTime(formats=["%Y-%m-%d"])


@click.group("refdata")
def refdata_group() -> None:
    """Versioned reference data: tables of the plugins, their versions, differences, files."""


def _table(registry: Registry, key: str) -> ReferenceTable:
    table = registry.reference_tables.get(key)
    if table is None:
        raise click.BadParameter(f"unknown reference table '{clipped(key)}'; `stdpolicy refdata list` shows the tables",
                                 param_hint="KEY")
    return table


def _believed(day: datetime | None) -> datetime | None:
    """The end of that day in the city's time zone, as the naive UTC the database keeps."""
    if day is None:
        return None
    return datetime.combine(day.date(), time.max, tzinfo=clock.zone()).astimezone(UTC).replace(tzinfo=None)


def _version_label(version: ReferenceVersion) -> str:
    number = str(version.sequence) if version.id is not None else "shipped"
    return f"{number} (sample)" if version.sample else number


def _pick_version(resolver: ReferenceResolver, key: str, number: int | None, on: date | None) -> ReferenceVersion:
    if number is not None:
        found = resolver.version(key, number)
        if found is None:
            raise click.BadParameter(f"{key} has no version {number}; `stdpolicy refdata history {key}` lists them",
                                     param_hint="--version")
        return found
    day = on or clock.today()
    found = resolver.current(key, day)
    if found is None:
        raise click.BadParameter(f"no version of {key} is in force on {day.isoformat()}"
                                 + ("" if resolver.has_versions(key) else ": none is stored (run `stdpolicy init`)"),
                                 param_hint="--on")
    return found


@refdata_group.command("list")
@click.argument("plugin", required=False)
@click.option("--on", "on", type=_DAY, help="The versions in force on this day (default: today).")
@with_database
def list_command(plugin: str | None, on: datetime | None) -> None:
    """Every reference table (of PLUGIN) with the version in force."""
    registry = get_registry()
    if plugin is not None and plugin not in registry.plugins:
        raise click.BadParameter(f"no loaded plugin '{clipped(plugin)}'", param_hint="PLUGIN")
    resolver = reference_resolver(registry)
    day = on.date() if on else clock.today()
    rows = []
    for key, table in registry.reference_tables.items():
        if plugin is not None and registry.reference_plugin[key] != plugin:
            continue
        current = resolver.current(key, day)
        rows.append([
            key,
            "—" if current is None else _version_label(current),
            "not in force" if current is None else current.effective_from.isoformat(),
            "" if current is None else current.row_count,
            len(resolver.history(key)),
            table.clause,
            table.label.zh,
        ])
    click.echo(f"versions in force on {day.isoformat()}")
    print_table(["key", "version", "in force from", "rows", "versions", "clause", "label"], rows)


@refdata_group.command("show")
@click.argument("key")
@click.option("--on", "on", type=_DAY, help="The version in force on this day (default: today).")
@click.option("--version", "number", type=click.IntRange(min=1), help="Version number N (第N版) instead.")
@click.option("--believed-at", type=_DAY, help="Ignore versions recorded after this day: what we believed then.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@with_database
def show_command(key: str, on: datetime | None, number: int | None, believed_at: datetime | None, fmt: str) -> None:
    """The rows of a version of KEY (by default the one in force today)."""
    registry = get_registry()
    table = _table(registry, key)
    resolver = reference_resolver(registry, believed_at=_believed(believed_at))
    version = _pick_version(resolver, key, number, on.date() if on else None)
    snapshot = _open(resolver, version)
    if fmt == "json":
        from ..refdata.tabular import stored_rows

        click.echo(json.dumps({"table": key, "version": _version_json(version), "rows": stored_rows(table, snapshot.rows)},
                              ensure_ascii=False, indent=2))
        return
    if fmt == "csv":
        from ..refdata.tabular import write_csv

        click.echo(write_csv(table, snapshot.rows, "en").lstrip("\ufeff"), nl=False)
        return
    from ..refdata.tabular import cell_text

    click.echo(f"{key} — {table.label.zh} / {table.label.en} ({table.clause})")
    click.echo(_describe(version))
    print_table(table.columns, [[cell_text(table, n, row.get(n), "en").replace("\n", "; ") for n in table.columns]
                                for row in snapshot.rows])


def _open(resolver: ReferenceResolver, version: ReferenceVersion) -> Any:
    try:
        return resolver.open(version)
    except StoredRowsInvalid as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)


def _describe(version: ReferenceVersion) -> str:
    recorded = clock.local(version.recorded_at).strftime("%Y-%m-%d %H:%M") if version.recorded_at else "not stored"
    sample = "; SAMPLE DATA (stdpolicy init --demo), not a decision" if version.sample else ""
    return (f"version {_version_label(version)}, in force from {version.effective_from.isoformat()}; "
            f"{version.row_count} rows; recorded {recorded} by {version.recorded_by} ({version.source}){sample}\n"
            f"reason: {version.reason}\nreference: {version.reference}")


def _version_json(version: ReferenceVersion) -> dict[str, Any]:
    return {
        "sequence": version.sequence if version.id is not None else None,
        "effective_from": version.effective_from.isoformat(), "reason": version.reason,
        "reference": version.reference, "recorded_by": version.recorded_by,
        "recorded_at": version.recorded_at.isoformat() + "Z" if version.recorded_at else None,
        "source": version.source, "sample": version.sample, "rows": version.row_count,
    }


@refdata_group.command("history")
@click.argument("key")
@with_database
def history_command(key: str) -> None:
    """Every recorded version of KEY, oldest first (nothing is ever deleted)."""
    registry = get_registry()
    table = _table(registry, key)
    resolver = reference_resolver(registry)
    today = resolver.current(key)
    click.echo(f"{key} — {table.label.zh} / {table.label.en} ({table.clause}); key fields: {', '.join(table.key_fields)}")
    print_table(
        ["version", "in force from", "rows", f"recorded at ({clock.zone_name()})", "by", "source", "reason", "reference", ""],
        [[_version_label(v), v.effective_from.isoformat(), v.row_count,
          clock.local(v.recorded_at).strftime("%Y-%m-%d %H:%M:%S") if v.recorded_at else "", v.recorded_by, v.source,
          v.reason, v.reference, "← in force today" if today is not None and v.id == today.id else ""]
         for v in resolver.history(key)],
    )


@refdata_group.command("diff")
@click.argument("key")
@click.argument("first", type=click.IntRange(min=1), metavar="A")
@click.argument("second", type=click.IntRange(min=1), metavar="B")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@with_database
def diff_command(key: str, first: int, second: int, fmt: str) -> None:
    """What changed from version A to version B of KEY: rows added, removed and changed, field by field."""
    registry = get_registry()
    table = _table(registry, key)
    resolver = reference_resolver(registry)
    a = _pick_version(resolver, key, first, None)
    b = _pick_version(resolver, key, second, None)
    diff = diff_rows(table, _open(resolver, a).rows, _open(resolver, b).rows)
    if fmt == "json":
        click.echo(json.dumps({**diff.to_json(), "from": a.sequence, "to": b.sequence}, ensure_ascii=False, indent=2))
        return
    _print_diff(table, diff, f"version {_version_label(a)} → version {_version_label(b)}")


def _print_diff(table: ReferenceTable, diff: VersionDiff, title: str) -> None:
    from ..refdata.tabular import cell_text

    s = diff.summary()
    click.echo(f"{table.key}: {title}: {s['added']} added, {s['removed']} removed, {s['changed']} changed, "
               f"{s['unchanged']} unchanged")

    def shown(name: str, value: Any) -> str:
        return cell_text(table, name, value, "en").replace("\n", "; ") or "—"

    for change in diff.added:
        click.echo(f"+ {diff.key_text(change)}")
        for name in table.columns:
            if name not in table.key_fields and change.after.get(name) is not None:  # type: ignore[union-attr]
                click.echo(f"    {name}: {shown(name, change.after[name])}")  # type: ignore[index]
    for change in diff.removed:
        click.echo(f"- {diff.key_text(change)}")
    for change in diff.changed:
        click.echo(f"~ {diff.key_text(change)}")
        for field in change.fields:
            click.echo(f"    {field.field}: {shown(field.field, field.before)} → {shown(field.field, field.after)}")


@refdata_group.command("import")
@click.argument("key")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--from", "effective_from", required=True, metavar="YYYY-MM-DD", help="The day the version takes effect.")
@click.option("--reason", required=True, help="Why the table changes (kept in the history and the audit log).")
@click.option("--reference", required=True, help="The document (and clause) that decided the change.")
@click.option("--based-on", type=click.IntRange(min=0), metavar="N",
              help="Refuse if a version after N was recorded meanwhile (the number you reviewed).")
@click.option("--dry-run", is_flag=True, help="Check the file and show the difference; store nothing.")
@with_database
def import_command(key: str, file: str, effective_from: str, reason: str, reference: str, based_on: int | None,
                   dry_run: bool) -> None:
    """Record FILE (CSV, XLSX or JSON: the whole table, one row per item) as a new version of KEY.

    Every row is checked with the table's row schema first; if any is
    invalid, each error is listed with its row and field and nothing is
    stored (exit status 1). The difference from the latest version is
    printed before it is recorded. Earlier versions stay as they are. Run
    `stdpolicy reevaluate --since DATE` afterwards to update stored outcomes.
    """
    from ..refdata import load_rows
    from ..refdata.tabular import read_rows

    registry = get_registry()
    table = _table(registry, key)
    try:
        data = Path(file).read_bytes()
    except OSError as exc:
        click.echo(f"error: cannot read {clipped(file)}: {exc.strerror or type(exc).__name__}", err=True)
        sys.exit(2)
    try:
        rows, where = read_rows(table, data, file)
    except InputError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if dry_run:
        try:
            loaded = load_rows(table, rows, where=where)
        except RowsInvalid as exc:
            _invalid(table, exc)
        resolver = reference_resolver(registry)
        latest = resolver.history(key)[-1] if resolver.has_versions(key) else None
        before = _open(resolver, latest).rows if latest is not None else None
        _print_diff(table, diff_rows(table, before, loaded),
                    f"version {_version_label(latest)} → this file" if latest else "this file (the first version)")
        click.echo("dry run: nothing stored")
        return
    try:
        done = record_reference(
            registry, key, rows, {"effective_from": effective_from, "reason": reason, "reference": reference},
            actor=actor(), source="cli", based_on=based_on, department=plugin_owner(registry.reference_plugin[key]),
            where=where,
        )
    except RowsInvalid as exc:
        _invalid(table, exc)
    except ValidationError as exc:
        for error in flatten_errors(exc.messages):
            click.echo(f"error: --{(error.field or '').replace('effective_from', 'from')}: {error.message}", err=True)
        click.echo("nothing stored", err=True)
        sys.exit(2)
    except ReferenceConflict as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    previous = done.previous
    _print_diff(table, done.diff, f"version {_version_label(previous)} → version {done.version.sequence}"
                if previous else f"version {done.version.sequence} (the first)")
    click.echo(f"recorded {key} version {done.version.sequence}: {done.version.row_count} rows "
               f"from {done.version.effective_from.isoformat()}")


def _invalid(table: ReferenceTable, exc: RowsInvalid) -> None:
    for error in exc.errors:
        click.echo(f"{error.text(table, 'en')} / {error.text(table, 'zh')}", err=True)
    click.echo(f"{len(exc.errors)} error(s); nothing stored", err=True)
    sys.exit(1)


@refdata_group.command("export")
@click.argument("key")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "json"]), default="csv", show_default=True)
@click.option("--version", "number", type=click.IntRange(min=1), help="Version number N (default: the one in force).")
@click.option("--on", "on", type=_DAY, help="The version in force on this day (default: today).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of the column headers and coded values.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write to this file (default: standard output; XLSX needs a file).")
@with_database
def export_command(key: str, fmt: str, number: int | None, on: datetime | None, lang: str, output: str | None) -> None:
    """Write a version of KEY as CSV, XLSX or JSON: one row per item, in the layout `import` reads back."""
    from ..refdata.tabular import stored_rows, version_details, write_csv, write_xlsx

    registry = get_registry()
    table = _table(registry, key)
    resolver = reference_resolver(registry)
    version = _pick_version(resolver, key, number, on.date() if on else None)
    rows = _open(resolver, version).rows
    if fmt == "xlsx":
        if output is None:
            raise click.BadParameter("an XLSX workbook needs a file: give --output FILE.xlsx", param_hint="--output")
        Path(output).write_bytes(write_xlsx(table, rows, lang, version_details(table, version)))
    else:
        if fmt == "csv":
            text = write_csv(table, rows, lang)
        else:
            text = json.dumps({"table": key, "version": _version_json(version), "rows": stored_rows(table, rows)},
                              ensure_ascii=False, indent=2) + "\n"
        if output is None:
            click.echo(text.lstrip("\ufeff"), nl=False)
        else:
            Path(output).write_text(text, encoding="utf-8")
    if output is not None:
        click.echo(f"wrote {key} version {_version_label(version)} ({len(rows)} rows) to {output}", err=True)

