"""Uploaded workbooks (core/interchange/workbook.py): a zip bomb, a damaged part or a non-workbook is one clear error.

Both readers of workbooks go through ``open_workbook``: activity imports
(``core.interchange.parse_bytes``) and reference tables (``core.refdata.read_rows``).
"""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook

from core.interchange import InputError, parse_bytes, workbook
from core.interchange.workbook import open_workbook
from core.refdata.tabular import read_rows


def _xlsx(*rows: list[object]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _damaged(data: bytes) -> bytes:
    """The workbook with its sheet's XML cut in half: a valid zip openpyxl fails on while reading."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            part = source.read(info)
            target.writestr(info, part[: len(part) // 2] if info.filename.endswith("sheet1.xml") else part)
    return out.getvalue()


pytestmark = pytest.mark.stdpolicy_plugins("reward_tiers", "carbon")  # carbon declares reference tables


@pytest.fixture
def readers(registry):
    """Each reader of workbooks, as a function of (bytes, file name)."""
    table = next(iter(registry.reference_tables.values()))
    return {"activities": lambda data, name: parse_bytes(data, name, registry),
            "reference table": lambda data, name: read_rows(table, data, name)}


def test_a_workbook_that_unpacks_too_large_is_refused_before_it_is_opened(readers, monkeypatch) -> None:
    data = _xlsx(["kind", "id"], ["standard_drafting", "A"])
    monkeypatch.setattr(workbook, "MAX_XLSX_UNCOMPRESSED", 1000)  # a real bomb unpacks to gigabytes
    for read in readers.values():
        with pytest.raises(InputError) as caught:
            read(data, "bomb.xlsx")
        assert "unpacks to more than" in str(caught.value) and "解压后超过" in caught.value.zh


@pytest.mark.parametrize("data", [b"", b"PK\x03\x04 not really a zip", b"\xd0\xcf\x11\xe0 an old .xls"])
def test_what_is_not_a_workbook_is_said_so(readers, data: bytes) -> None:
    for read in readers.values():
        with pytest.raises(InputError) as caught:
            read(data, "x.xlsx")
        assert "not an XLSX workbook" in str(caught.value)


def test_a_workbook_damaged_inside_is_said_so_not_a_traceback(readers) -> None:
    data = _damaged(_xlsx(["kind", "id"], *[["standard_drafting", f"A{n}"] for n in range(200)]))
    for read in readers.values():
        with pytest.raises(InputError) as caught:
            read(data, "damaged.xlsx")
        assert "not an XLSX workbook" in str(caught.value)


def test_an_input_error_of_the_reader_itself_passes_through() -> None:
    mine = InputError("row 3: my own reason", "第3行:自己的原因")
    with pytest.raises(InputError) as caught, open_workbook(_xlsx(["a"]), "x.xlsx"):
        raise mine
    assert caught.value is mine


def test_formulas_are_stored_as_the_text_they_are() -> None:
    from openpyxl import Workbook, load_workbook

    from core import formulas_as_text

    book = Workbook()
    sheet = book.active
    sheet.append(['=HYPERLINK("http://evil.example/","点此核对")', "=1+1", "plain", 3, "-2"])
    formulas_as_text(sheet)
    out = io.BytesIO()
    book.save(out)
    row = next(load_workbook(io.BytesIO(out.getvalue())).active.iter_rows())
    assert [c.value for c in row] == ['=HYPERLINK("http://evil.example/","点此核对")', "=1+1", "plain", 3, "-2"]
    assert [c.data_type for c in row] == ["s", "s", "s", "n", "s"]
