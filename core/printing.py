"""Printing a Chinese document as PDF: one setup for core's documents and the plugins' reports.

WeasyPrint (imported on first use: evaluating a file never loads it)
renders HTML with the CJK font the CI installs (WenQuanYi Micro Hei,
Debian's fonts-wqy-microhei). ``PRINT_STYLE`` carries the conventions every
printed document shares — A4, the font, table headers repeated on every
page, "第 n 页 共 m 页" at the foot — so a plugin's template includes it
rather than setting up its own page.
"""

from __future__ import annotations

from typing import Any

__all__ = ["PRINT_STYLE", "pdf_from_html"]

#: The shared print conventions (CSS): A4 portrait, CJK font, repeated table headers, page numbers.
PRINT_STYLE = """
  @page {
    size: A4;
    margin: 14mm 12mm 16mm 12mm;
    @bottom-center { content: "第 " counter(page) " 页 共 " counter(pages) " 页"; font-size: 9pt; }
  }
  body { font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif; font-size: 9pt; }
  h1 { font-size: 15pt; text-align: center; margin: 0 0 4mm 0; }
  table { width: 100%; border-collapse: collapse; margin-top: 3mm; }
  thead { display: table-header-group; }
  tr { page-break-inside: avoid; }
  th, td { border: 0.6pt solid #000; padding: 1.2mm 1.5mm; vertical-align: top; }
  th { background: #eee; font-weight: bold; text-align: center; }
  td.n { text-align: right; white-space: nowrap; }
  tr.sum td { font-weight: bold; }
"""


def pdf_from_html(html: str) -> bytes:
    """The PDF WeasyPrint renders from ``html`` (a whole document; images may be ``data:`` URIs, e.g. SVG charts).

    Nothing else is fetched: WeasyPrint would otherwise load any ``file:``
    or ``http:`` URL the document names, and a document holds applicants'
    text (an unescaped name in a plugin's template would read the server's
    files into the PDF, or reach its network). Such a resource is left out,
    with WeasyPrint's warning in the log.
    """
    from weasyprint import HTML

    return bytes(HTML(string=html, url_fetcher=_data_only()).write_pdf())


def _data_only() -> Any:
    """A WeasyPrint URL fetcher that fetches ``data:`` URIs and refuses every other URL (WeasyPrint 68's class)."""
    from weasyprint import URLFetcher

    return URLFetcher(allowed_protocols=("data",))
