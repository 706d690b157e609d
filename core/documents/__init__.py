"""Printed documents: an issued approval list (拨付清单) as an XLSX workbook, a PDF and a public notice (公示).

Chinese documents, for the finance office and the public: Chinese labels
only, no codes or keys. Everything printed comes from the list's frozen
rows (``core.services.approvals``), so a list exports the same bytes
whenever it is exported: later parameter changes and re-evaluations change
nothing. The PDF is rendered by WeasyPrint from a Jinja template
(``templates/approval_list.html``) with a CJK font (WenQuanYi Micro Hei,
Debian's fonts-wqy-microhei); the workbook by openpyxl.
"""

from __future__ import annotations

from .approvals import PrintedList, list_pdf, list_xlsx, notice_pdf, printed_list

__all__ = ["PrintedList", "list_pdf", "list_xlsx", "notice_pdf", "printed_list"]
