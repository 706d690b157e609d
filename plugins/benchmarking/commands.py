"""``stdpolicy benchmarking …``: join a per-indicator spreadsheet into interchange records."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from core import current_registry

from .interchange import group_rows, read_table

__all__ = ["benchmarking_group"]


@click.group("benchmarking")
def benchmarking_group() -> None:
    """对标达标与领跑者 (the benchmarking plugin)."""


@benchmarking_group.command("indicators-to-json")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="write here (default: stdout)")
@with_appcontext
def indicators_to_json(source: Path, output: Path | None) -> None:
    """Join SOURCE (CSV or XLSX, one row per indicator, rows of a result sharing its 编号) into JSON records.

    Every record is validated; problems are listed by spreadsheet row and
    column in both languages and nothing is written (exit 1). The JSON is
    what `stdpolicy import` and the admin's import page read.
    """
    try:
        rows = read_table(source)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise click.ClickException(f"cannot read {source}: {exc} / 无法读取文件") from None
    grouped = group_rows(rows)
    problems = [str(p) for p in grouped.problems]
    report = current_registry().validate(grouped.records)
    for item in report.invalid:
        lines = grouped.rows.get(str(item.ref), [])
        for error in item.errors:
            where = f"record {item.ref}"
            parts = (error.field or "").split(".")
            if len(parts) >= 2 and parts[0] == "indicators" and parts[1].isdigit() and int(parts[1]) < len(lines):
                where = f"row {lines[int(parts[1])]} (record {item.ref})"
            problems.append(f"{where}, {error.field or '-'}: {error.message} / {error.message_zh}")
    if problems:
        for line in problems:
            click.echo(line, err=True)
        sys.exit(1)
    text = json.dumps(grouped.records, ensure_ascii=False, indent=1)
    if output is None:
        click.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        click.echo(f"{len(grouped.records)} records written to {output}", err=True)
