"""``stdpolicy evaluate``, ``import`` and ``reevaluate``."""

from __future__ import annotations

import sys
import time
from datetime import date

import click

from ..activities import Activity
from ..app import get_registry
from ..interchange import InputError, field_label, format_of, read_records
from ..registry import Registry
from ..screening import safe_text
from ..services import Evaluation, evaluate_records, evaluate_streamed, import_activities, reevaluate_outcomes
from ..streaming import JsonLinesSource, RecordsSource, Source, StreamedEvaluation, parts_for, parts_for_file
from ..outcomes import status_label
from ..text import format_yuan_en
from ._common import EXIT_PLUGIN_FAILED, actor, department_option, plugin_failures, resolve_department, with_database

__all__ = ["evaluate_command", "import_command", "reevaluate_command"]


def _read(path: str) -> list:
    try:
        return read_records(path, get_registry())
    except InputError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)


@click.command("evaluate")
@click.argument("file", metavar="FILE")
@department_option
@click.option("--format", "fmt", type=click.Choice(["json", "jsonl", "table"]), default="json", show_default=True,
              help="json: one document {\"results\": [...], \"total_amount\", \"held_amount\", \"invalid\"}; "
                   "jsonl: one result per line, then a line with the totals; table: for reading.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of the explanations in --format table (JSON carries both).")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, metavar="N",
              help="Processes that validate a file of 20,000 records or more. N > 1 pays only where N CPUs "
                   "are idle, and reads the whole input into memory (as --format table does).")
@click.option("--timings", is_flag=True,
              help="Print to standard error how long reading, validation, evaluation and output took.")
@with_database
def evaluate_command(file: str, department: str | None, fmt: str, lang: str, workers: int,
                     timings: bool) -> None:
    """Validate and evaluate the activities in FILE; store nothing.

    FILE is a JSON array, JSON Lines (.jsonl), CSV (.csv), or - for standard
    input. Parameters come from the database. With --department, only the
    plugins that department enabled evaluate; without, every loaded plugin.

    JSON and JSON Lines output is written in bounded memory: the records are
    validated and spilled to temporary files (TMPDIR), evaluated a part at a
    time and written in input order. A JSON Lines file is read a line at a
    time; a JSON array, CSV, workbook or standard input is read whole first.

    Exit status: 0 all valid, 1 some activity invalid (the others are still
    evaluated), 2 the file cannot be read (or an enabled plugin's parameters
    are not stored yet: run `stdpolicy init`), 3 the database cannot be
    reached or is busy, 5 a plugin raised: the activities it raised on got
    error outcomes (listed on standard error), the rest are complete. Works
    on a read-only database.
    """
    clock = _Clock()
    registry = get_registry()
    if fmt != "table" and workers == 1:
        streamed = _evaluate_streamed(registry, file, department, fmt, clock)
        if timings:
            click.echo(f"timings: {clock} ({streamed.records} records, {streamed.parts} parts)", err=True)
        if plugin_failures(streamed.result, "the activities it raised on have error outcomes (amount 0); the others are complete"):
            sys.exit(EXIT_PLUGIN_FAILED)
        sys.exit(0 if streamed.ok else 1)
    records = _read(file)
    clock.lap("read")
    evaluation = evaluate_records(registry, records, department=resolve_department(department),
                                  workers=workers, lap=clock.lap)
    if fmt == "table":
        _print_table(evaluation, lang)
    elif fmt == "jsonl":
        evaluation.write_lines(sys.stdout)
    else:
        evaluation.write_json(sys.stdout)
    sys.stdout.flush()
    clock.lap("write")
    if timings:
        click.echo(f"timings: {clock} ({len(evaluation.items)} records)", err=True)
    if plugin_failures(evaluation.result, "the activities it raised on have error outcomes (amount 0); the others are complete"):
        sys.exit(EXIT_PLUGIN_FAILED)
    sys.exit(0 if evaluation.ok else 1)


def _evaluate_streamed(registry: Registry, file: str, department: str | None, fmt: str, clock: _Clock) -> StreamedEvaluation:
    """``stdpolicy evaluate`` in bounded memory (``core.streaming``); the same output as the whole input's."""
    source: Source
    if file != "-" and format_of(file) == "jsonl":
        source, parts = JsonLinesSource(file), parts_for_file(file)
    else:
        records = _read(file)
        clock.lap("read")
        source, parts = RecordsSource(records), parts_for(len(records))
    dept = resolve_department(department)
    try:
        found = evaluate_streamed(registry, source, sys.stdout, department=dept, parts=parts, fmt=fmt, lap=clock.lap)
    except InputError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    sys.stdout.flush()
    clock.lap("write")
    return found


class _Clock:
    """Wall time of each step of a command, for ``--timings``."""

    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()
        self.laps: list[tuple[str, float]] = []

    def lap(self, name: str, read: float | None = None) -> None:
        """A step ended; ``read``: seconds of it spent reading (a streamed pass reads as it validates)."""
        now = time.perf_counter()
        if read is not None:
            self.laps.append(("read", read))
            self.laps.append((name, now - self.last - read))
        else:
            self.laps.append((name, now - self.last))
        self.last = now

    def __str__(self) -> str:
        # "read=0.351s validate=6.012s … total=8.402s": one line, easy to parse
        return " ".join(f"{name}={seconds:.3f}s" for name, seconds in [*self.laps, ("total", self.last - self.start)])


def _print_table(evaluation: Evaluation, lang: str) -> None:
    for item in evaluation.items:
        if isinstance(item, Activity):
            outcomes = evaluation.outcomes(item)
            amount, held = sum(o.amount for o in outcomes), sum(o.held_amount for o in outcomes)
            click.echo(f"{item.ref}  {item.kind}  {format_yuan_en(amount)}"
                       + (f"  ({_held_words(lang)} {format_yuan_en(held)})" if held else ""))
            for o in outcomes:
                text = o.explanation_zh if lang == "zh" else o.explanation_en
                if o.status == "held":
                    click.echo(f"    {o.rule:<5} {format_yuan_en(o.amount):>12}  [{status_label(o.status).get(lang)} "
                               f"{format_yuan_en(o.held_amount)}]  {text}")
                    for reason in o.held_reasons:
                        click.echo(f"          - {reason['zh'] if lang == 'zh' else reason['en']}")
                else:
                    click.echo(f"    {o.rule:<5} {format_yuan_en(o.amount):>12}  {text}")
            if not outcomes:
                click.echo("    (no enabled plugin evaluates this kind)")
        else:
            click.echo(f"{item.ref}  {item.kind or '?'}  INVALID ({item.location.text.get(lang)})")
            for e in item.errors:
                click.echo(f"    ! {_field_name(item.kind, e.field, lang)}: {e.message_zh if lang == 'zh' else e.message}")
    held = evaluation.result.held_amount
    click.echo(
        f"total {format_yuan_en(evaluation.total_amount)}; "
        + (f"held for review {format_yuan_en(held)}; " if held else "")
        + f"{len(evaluation.items)} activities, {len(evaluation.invalid)} invalid"
    )


def _held_words(lang: str) -> str:
    return status_label("held").get(lang)


def _field_name(kind: str | None, field: str | None, lang: str) -> str:
    """``rank`` in English, ``起草单位排名`` in Chinese; ``(record)`` / ``(整条记录)`` for the record as a whole."""
    if field is None:
        return "(整条记录)" if lang == "zh" else "(record)"
    if lang != "zh":
        return field
    label = field_label(get_registry(), kind, field)
    return label.zh if label is not None else field


@click.command("import")
@click.argument("file", metavar="FILE")
@department_option
@click.option("--source", help="Where the records come from (default: the file name).")
@click.option("--timings", is_flag=True,
              help="Print to standard error how long reading, validation, evaluation and each storing step took.")
@with_database
def import_command(file: str, department: str | None, source: str | None, timings: bool) -> None:
    """Store the activities in FILE and their outcomes: all of them, or none.

    Every record is validated first; if any is invalid, each invalid row is
    listed and nothing is stored (exit status 1). Records already stored are
    skipped, so importing the same file twice adds nothing the second time.
    A known credit code arriving with another organisation name is listed;
    that name becomes the organisation's current name, and the former one
    stays in its name history.

    Exit status: 0 stored, 1 some record invalid, 2 the file cannot be read
    (or an enabled plugin's parameters are not stored yet: run `stdpolicy
    init`), 3 the database cannot be reached or is busy (another import or
    re-evaluation running), 4 the database refused the write, 5 stored, but
    a plugin raised: the activities it raised on were stored with error
    outcomes (listed on standard error); fix the plugin and run `stdpolicy
    reevaluate`. Nothing is stored unless the status is 0 or 5.
    """
    clock = _Clock()
    registry = get_registry()
    records = _read(file)
    clock.lap("read")
    dept = resolve_department(department)
    # A path may hold bytes that are not UTF-8 (kept as surrogates): no database stores those.
    result = import_activities(registry, records, source=safe_text(source or file), actor=actor(), department=dept,
                               lap=clock.lap)
    if timings:
        click.echo(f"timings: {clock} ({len(records)} records)", err=True)
    if not result.ok:
        for item in result.report.invalid:
            where = item.location.text
            click.echo(f"{where.en} ({item.ref}): {where.zh}", err=True)
            for e in item.errors:
                click.echo(f"    {_field_name(item.kind, e.field, 'en')}: {e.message} / "
                           f"{_field_name(item.kind, e.field, 'zh')}:{e.message_zh}", err=True)
        click.echo(f"{len(result.report.invalid)} of {len(records)} records invalid; nothing stored", err=True)
        sys.exit(1)
    total = result.result.total_amount if result.result else 0
    for change in result.renamed:
        click.echo(f"organisation {change.credit_code} renamed: {change.before} → {change.after} "
                   "(the former name is kept in its name history)")
    click.echo(
        f"stored {len(result.stored)} activities, skipped {len(result.skipped)} already stored; "
        f"{result.run.outcomes_added if result.run else 0} outcomes, total {format_yuan_en(total)}"
        + (f", held for review {format_yuan_en(result.result.held_amount)}" if result.result and result.result.held_amount else "")
        + (f"; {len(result.renamed)} organisation name change(s)" if result.renamed else "")
    )
    if plugin_failures(result.result, "the activities it raised on were stored with error outcomes (amount 0); "
                                      "once the plugin is fixed, `stdpolicy reevaluate` replaces them"):
        sys.exit(EXIT_PLUGIN_FAILED)


@click.command("reevaluate")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Only activities dated on or after this day.")
@click.option("--full", is_flag=True, help="Recompute every activity, not only those the parameter versions "
                                           "recorded since the last re-evaluation can affect.")
@with_database
def reevaluate_command(since: object, full: bool) -> None:
    """Recompute stored outcomes after a parameter or enablement change.

    Without --since or --full, only the activities that read a parameter
    changed since the outcomes were computed are recomputed, with every
    activity of their evaluation groups (the same stored result as
    recomputing everything), and the outcomes that change with the day
    (certificates' days left) computed on an earlier day: run it daily to
    keep those current. When that set cannot be told safely (reference data
    or enablements changed, a parameter no outcome records), everything is,
    and the output says why.

    Outcomes that change are kept, marked superseded (when, and by which
    run); the new ones are added beside them. Waits for a running import or
    re-evaluation (up to STDPOLICY_LOCK_TIMEOUT seconds, default 30), then
    gives up with exit status 3, storing nothing. Exit status 5: a plugin
    raised; the activities it raised on now have error outcomes (listed on
    standard error).
    """
    day: date | None = since.date() if since is not None else None  # type: ignore[attr-defined]
    done = reevaluate_outcomes(get_registry(), actor=actor(), since=day, incremental=not full)
    click.echo(
        f"run {done.run.id}: {done.activities} activities evaluated, {done.changed} changed, {done.unchanged} unchanged; "
        f"{done.run.outcomes_superseded} outcomes superseded, {done.run.outcomes_added} added"
    )
    if done.everything_because:
        click.echo(f"every activity recomputed: {done.everything_because}")
    if plugin_failures(done.result, "the activities it raised on now have error outcomes (amount 0); "
                                    "once the plugin is fixed, run `stdpolicy reevaluate` again"):
        sys.exit(EXIT_PLUGIN_FAILED)
