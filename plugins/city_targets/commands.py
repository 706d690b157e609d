"""``stdpolicy targets``, ``stdpolicy assessment`` and ``stdpolicy report``: the city's figures from the command line.

The same figures as the pages (``figures``), as a table, as JSON, or (the
assessment) as an Excel workbook; the annual report (``report``) as XLSX or PDF.
"""

from __future__ import annotations

import json
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from core import Text, formulas_as_text

__all__ = ["register"]


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _table(lines: list[list[str]]) -> None:
    widths = [max(_width(line[i]) for line in lines) for i in range(len(lines[0]))]
    for n, line in enumerate(lines):
        click.echo("  ".join(cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(line)).rstrip())
        if n == 0:
            click.echo("  ".join("-" * w for w in widths))


def _text(value: Any, lang: str) -> str:
    if isinstance(value, Text):
        return value.zh if lang == "zh" else value.en
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")
    return str(value)


def _json_number(value: Decimal | None) -> int | str | None:
    """Exact figures in JSON: whole numbers as integers, others as decimal text."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else format(value, "f")


def register(cli: click.Group) -> None:
    @cli.command("targets")
    @click.option("--year", type=click.IntRange(2000, 2100), help="Only what was new in this year (progress: to its end).")
    @click.option("--county", help="Region code of a county (e.g. 330421 for 嘉善县).")
    @click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
    @click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
    def targets(year: int | None, county: str | None, fmt: str, lang: str) -> None:
        """Progress to the 2025 targets of 一(二): goal, count, share, by year and by county."""
        from core import CITY_REGIONS

        from .figures import targets_report

        if county is not None and county not in CITY_REGIONS:
            raise click.BadParameter(f"unknown county {county!r} (one of {', '.join(CITY_REGIONS)})", param_hint="--county")
        report = targets_report(year, county)
        if fmt == "json":
            click.echo(json.dumps({
                "period": {"start": report.start.isoformat(), "end": report.end.isoformat()},
                "year": year, "county": county,
                "targets": [{"target": f.target, "name": {"zh": f.name.zh, "en": f.name.en}, "goal": f.goal,
                             "count": f.count, "cumulative": f.cumulative, "share": _json_number(f.share),
                             "by_year": {str(y): n for y, n in f.by_year.items()}, "by_county": f.by_county}
                            for f in report.figures],
            }, ensure_ascii=False, indent=2))
            return
        head = ["目标", "目标值", "本期新增", "累计完成", "完成比例"] if lang == "zh" else \
            ["Target", "Goal", "New", "Reached", "Share"]
        lines = [head + [str(y) for y in report.years]]
        for f in report.figures:
            lines.append([_text(f.name, lang), _text(f.goal, lang), str(f.count), str(f.cumulative),
                          f"{f.share}%" if f.share is not None else "—"] + [str(f.by_year[y]) for y in report.years])
        _table(lines)
        click.echo((f"统计期 {report.start} 至 {report.end}" if lang == "zh"
                    else f"counting period {report.start} to {report.end}"))

    @cli.command("assessment")
    @click.option("--year", type=click.IntRange(2000, 2100),
                  help="Assessment year (default: this year, or the counting period's last once it is over).")
    @click.option("--format", "fmt", type=click.Choice(["table", "json", "xlsx"]), default="table", show_default=True)
    @click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="The .xlsx file to write (--format xlsx).")
    @click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
    def assessment_command(year: int | None, fmt: str, output: Path | None, lang: str) -> None:
        """The county assessment of 三(三) for a year: indicators, weighted score, ranking.

        Exit status: 0 shown or written, 2 bad options or the file cannot be written.
        """
        from .figures import assessment, default_year

        if fmt == "xlsx" and output is None:
            raise click.UsageError("--format xlsx needs --output FILE")
        table = assessment(year or default_year())
        if fmt == "json":
            click.echo(json.dumps({
                "year": table.year,
                "weights_version": ({**table.weights_version,
                                     "effective_from": table.weights_version["effective_from"].isoformat()}
                                    if table.weights_version else None),
                "weights": {k: _json_number(v) for k, v in table.weights.items()},
                "indicators": [{"key": i.key, "name": {"zh": i.name.zh, "en": i.name.en},
                                "unit": {"zh": i.unit.zh, "en": i.unit.en}} for i in table.indicators],
                "counties": [{"county": r.county, "name": {"zh": r.name.zh, "en": r.name.en}, "rank": r.rank,
                              "score": _json_number(r.score),
                              "values": {k: _json_number(v) for k, v in r.values.items()},
                              "contributions": {k: _json_number(v) for k, v in r.contributions.items()}}
                             for r in table.rows],
            }, ensure_ascii=False, indent=2))
            return
        if fmt == "xlsx":
            assert output is not None
            _write_xlsx(table, output, lang)
            click.echo(f"{len(table.rows)} rows written to {output}")
            return
        head = ["排名", "县(市、区)"] if lang == "zh" else ["Rank", "County"]
        head += [_text(i.name, lang) for i in table.indicators] + ["得分" if lang == "zh" else "Score"]
        lines = [head] + [[_text(r.rank, lang), _text(r.name, lang)]
                          + [_text(r.values[i.key], lang) for i in table.indicators] + [_text(r.score, lang)]
                          for r in table.rows]
        _table(lines)
        if table.weights_version is None:
            click.echo("该年度没有生效的考核指标权重,未计算得分和排名" if lang == "zh"
                       else "no assessment weights in force for this year: no score or ranking")
        elif table.weights_version["sample"]:
            click.echo("所用权重为示例数据" if lang == "zh" else "the weights used are SAMPLE data")

    _report_command(cli)


def _report_command(cli: click.Group) -> None:
    @cli.command("report")
    @click.option("--year", type=click.IntRange(2000, 2100),
                  help="Report year (default: this year, or the counting period's last once it is over).")
    @click.option("--format", "fmt", type=click.Choice(["xlsx", "pdf"]), required=True)
    @click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
                  help="The file to write.")
    def report_command(year: int | None, fmt: str, output: Path) -> None:
        """The annual report: targets progress with charts, county assessment, rewards by rule and county, top organisations.

        Exit status: 0 written, 1 the file cannot be written, 2 bad options.
        """
        from .figures import default_year
        from .report import annual_report, report_pdf, report_xlsx

        report = annual_report(year or default_year())
        data = report_xlsx(report) if fmt == "xlsx" else report_pdf(report)
        try:
            output.write_bytes(data)
        except OSError as exc:
            raise click.ClickException(f"cannot write {output}: {exc.strerror}") from None
        click.echo(f"annual report {report.year} ({fmt}) written to {output}")


def _write_xlsx(table: Any, output: Path, lang: str) -> None:
    from openpyxl import Workbook

    from .admin import assessment_columns

    columns = assessment_columns(table, lambda text: _text(text, lang))
    book = Workbook()
    sheet = book.active
    sheet.title = str(table.year)
    sheet.append([_text(c.label, lang) for c in columns])
    for row in table.rows:
        sheet.append([c.of(row) for c in columns])
    formulas_as_text(sheet)
    sheet.freeze_panes = "A2"
    try:
        book.save(output)
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror}") from None
