"""The city's charts, rendered on the server as SVG with pygal: the same picture in a page and in a PDF.

No script (``js=[]``: pygal's tooltips load a script from the web, and
the configuration script pygal always writes is taken out: the admin's
policy and a PDF both refuse scripts); the text is SVG text in a CJK
font family, labelled in the page's language (Chinese first), so WeasyPrint
draws the same words as the browser.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from xml.etree import ElementTree  # noqa: S405 — parses pygal's own output, never outside input

import pygal
from pygal.style import Style

from core import Text

from .figures import Assessment, TargetsReport

__all__ = ["assessment_chart", "progress_chart", "years_chart"]

_FONTS = "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'WenQuanYi Micro Hei', 'WenQuanYi Zen Hei', 'Microsoft YaHei', sans-serif"
_STYLE = Style(
    font_family=_FONTS, background="white", plot_background="white", foreground="#333", foreground_strong="#111",
    foreground_subtle="#888", colors=("#1f5f99", "#c0392b", "#27ae60", "#8e44ad", "#d68910", "#16a085", "#7f8c8d"),
    label_font_size=13, major_label_font_size=13, value_font_size=12, title_font_size=16, legend_font_size=13,
)


def _pick(text: Text, lang: str) -> str:
    return text.zh if lang == "zh" else text.en


def _config(**options: object) -> dict[str, object]:
    return {"style": _STYLE, "js": [], "disable_xml_declaration": False, "print_values": True,
            "width": 900, "legend_at_bottom": True, **options}


_SVG = "http://www.w3.org/2000/svg"


def _svg(chart: Any) -> bytes:
    """The chart's SVG without pygal's one script (its configuration for tooltips, unconditional in pygal)."""
    ElementTree.register_namespace("", _SVG)
    ElementTree.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    root = ElementTree.fromstring(chart.render())
    for parent in root.iter():
        for child in [c for c in parent if c.tag in ("script", f"{{{_SVG}}}script")]:
            parent.remove(child)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def progress_chart(report: TargetsReport, lang: str = "zh") -> bytes:
    """Each target's share of its goal reached (per cent), one bar per target."""
    title = (f"{report.start.year}—{report.end.year}年发展目标完成进度(%)" if lang == "zh"
             else f"Progress to the targets, {report.start.year}–{report.end.year} (% of goal)")
    if report.year is not None:
        title += f"(截至{report.year}年底)" if lang == "zh" else f" (to the end of {report.year})"
    chart = pygal.HorizontalBar(**_config(title=title, height=60 + 48 * len(report.figures), show_legend=False,
                                          range=(0, 100), value_formatter=lambda v: f"{v:g}%"))
    chart.x_labels = [_pick(f.name, lang) for f in report.figures]
    chart.add("%", [{"value": float(f.share or Decimal(0)),
                     "label": f"{f.cumulative}/{f.goal if f.goal is not None else '—'}"} for f in report.figures])
    return _svg(chart)


def years_chart(report: TargetsReport, lang: str = "zh") -> bytes:
    """New achievements per year, one series per target."""
    chart = pygal.Bar(**_config(title="各年度新增数量" if lang == "zh" else "New achievements per year", height=420))
    chart.x_labels = [f"{y}年" if lang == "zh" else str(y) for y in report.years]
    for figure in report.figures:
        chart.add(_pick(figure.name, lang), [figure.by_year[y] for y in report.years])
    return _svg(chart)


def assessment_chart(table: Assessment, lang: str = "zh") -> bytes:
    """The counties' weighted scores, highest first."""
    chart = pygal.HorizontalBar(**_config(
        title=f"{table.year}年县(市、区)标准化工作考核得分" if lang == "zh" else f"County assessment scores, {table.year}",
        height=60 + 44 * len(table.rows), show_legend=False))
    chart.x_labels = [_pick(r.name, lang) for r in table.rows]
    chart.add("得分" if lang == "zh" else "score", [float(r.score) if r.score is not None else None for r in table.rows])
    return _svg(chart)
