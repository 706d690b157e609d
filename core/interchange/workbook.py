"""Opening an uploaded XLSX workbook: its size checked before openpyxl unpacks it, every failure one clear error.

Activity imports (``core.interchange``) and reference tables
(``core.refdata.tabular``) read workbooks people made in Excel or WPS, or
that someone crafted: a zip that unpacks to gigabytes, a damaged part, an
extension openpyxl warns about. Both read them through ``open_workbook``.
"""

from __future__ import annotations

import io
import logging
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .records import InputError

__all__ = ["MAX_XLSX_UNCOMPRESSED", "formulas_as_text", "open_workbook"]

log = logging.getLogger(__name__)

#: A workbook whose parts would unpack to more than this is refused (a zip bomb).
MAX_XLSX_UNCOMPRESSED = 1024 * 1024 * 1024


@contextmanager
def open_workbook(data: bytes, name: str) -> Iterator[Any]:
    """The workbook in ``data``, read-only and with cell values (not formulas); closed when the block ends.

    :param name: the file's name, for the messages.
    :raises InputError: ``data`` is not an XLSX workbook, unpacks to more
        than ``MAX_XLSX_UNCOMPRESSED``, or openpyxl fails on it while the
        block reads it (a read-only workbook is parsed as it is read). An
        ``InputError`` the block raises itself passes through unchanged.
    """
    from openpyxl import load_workbook

    unreadable = InputError(f"{name}: not an XLSX workbook (save it from Excel as .xlsx)",
                            f"{name}:不是有效的 XLSX 工作簿(请在 Excel 中另存为 .xlsx)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise unreadable from None
    if unpacked > MAX_XLSX_UNCOMPRESSED:
        raise InputError(f"{name}: the workbook unpacks to more than {MAX_XLSX_UNCOMPRESSED // 2**20:,} MiB",
                         f"{name}:工作簿解压后超过 {MAX_XLSX_UNCOMPRESSED // 2**20:,} MiB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns of extensions it does not read
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                yield workbook
            finally:
                workbook.close()
    except InputError:
        raise
    except Exception:  # openpyxl and lxml raise many kinds for a damaged workbook
        log.info("%s: not read as a workbook", name, exc_info=True)
        raise unreadable from None


def formulas_as_text(worksheet: Any) -> None:
    """Store as text every cell of ``worksheet`` that openpyxl took for a formula; call it before saving.

    openpyxl writes a string that starts with ``=`` as a formula. An
    organisation registered as ``=HYPERLINK("http://…","点此核对")`` would
    then run in the finance office's Excel when it opens the approval list.
    The cell keeps its text, shown as written; nothing is added to it.
    """
    for row in worksheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"
