"""``stdpolicy carbon-rectification``: the energy-quota rectification list from the command line.

The same rows as the admin's 整改名单 page (non-compliant energy-quota
reports, as last evaluated), filtered the same way, printed as a table or
written as an Excel workbook for offices that work from files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from core import Text, formulas_as_text

__all__ = ["register"]


def _text(value: Any, lang: str) -> str:
    if isinstance(value, Text):
        return value.zh if lang == "zh" else value.en
    return "" if value is None else str(value)


def register(cli: click.Group) -> None:
    @cli.command("carbon-rectification")
    @click.option("--year", type=int, help="Reporting year.")
    @click.option("--county", help="Region code of the county (e.g. 330421 for 嘉善县).")
    @click.option("--industry", help="Industry as the quota standard names it (e.g. 钢铁).")
    @click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
    @click.option("--xlsx", "xlsx", type=click.Path(dir_okay=False, path_type=Path),
                  help="Write an Excel workbook to this file instead of printing.")
    def rectification(year: int | None, county: str | None, industry: str | None, lang: str, xlsx: Path | None) -> None:
        """List the enterprises to rectify under 二(五)1 (non-compliant energy-quota reports).

        Exit status: 0 listed (possibly none), 2 the file cannot be written.
        """
        from .admin import RECTIFICATION_COLUMNS, quota_rows

        rows = [r for r in quota_rows() if r["status"] == "non_compliant"
                and (year is None or r["_year"] == year) and (county is None or r["_county"] == county)
                and (industry is None or r["_industry"] == industry)]
        columns = [c for c in RECTIFICATION_COLUMNS if c.key != "explanation"] if xlsx is None else RECTIFICATION_COLUMNS
        if xlsx is not None:
            from openpyxl import Workbook

            book = Workbook()
            sheet = book.active
            sheet.title = "整改名单" if lang == "zh" else "Rectification"
            sheet.append([_text(c.label, lang) for c in columns])
            for row in rows:
                sheet.append([_text(c.of(row), lang) if not isinstance(c.of(row), int) else c.of(row) for c in columns])
            formulas_as_text(sheet)  # enterprises' names are their own text
            try:
                book.save(xlsx)
            except OSError as exc:
                raise click.ClickException(f"cannot write {xlsx}: {exc.strerror}") from None
            click.echo(f"{len(rows)} rows written to {xlsx}")
            return
        table = [[_text(c.label, lang) for c in columns]] + [[_text(c.of(r), lang) for c in columns] for r in rows]
        widths = [max(_width(line[i]) for line in table) for i in range(len(columns))]
        for n, line in enumerate(table):
            click.echo("  ".join(cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(line)).rstrip())
            if n == 0:
                click.echo("  ".join("-" * w for w in widths))
        click.echo(f"{len(rows)} " + ("家企业列入整改名单" if lang == "zh" else "on the rectification list"))


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)
