"""Hostile and broken uploads: each gets one clear ExcelFileError and nothing is returned."""

from __future__ import annotations

import re
import struct
import zipfile
from io import BytesIO
from typing import Any

import pytest
import xlwt

from app.documents.excel import HOUSE_HEADERS, ExcelFileError, Limits, inspect_workbook, read_houses
from app.documents.excel.security import XLS, XLSX
from tests.fixtures.excel.workbooks import (
    CODES,
    HERE,
    house_row,
    house_rows,
    members,
    ole_file,
    with_member,
    xls,
    xlsx,
    zip_bytes,
)


def refused(data: bytes, **options: object) -> str:
    """Return the message read_houses refuses ``data`` with."""
    with pytest.raises(ExcelFileError) as caught:
        read_houses(data, CODES, price_required=lambda row: False, **options)  # type: ignore[arg-type]
    return str(caught.value.message)


def test_valid_files_are_recognised_by_their_bytes() -> None:
    assert inspect_workbook(xlsx(house_rows(2))) == XLSX
    assert inspect_workbook(xls(house_rows(2))) == XLS


@pytest.mark.parametrize(
    "data",
    [
        "楼幢名称,房号\n1栋,0101\n".encode(),
        b"<html><table><tr><td>1</td></tr></table></html>",
        b"%PDF-1.4\n%...",
        b"",
    ],
    ids=["csv", "html-saved-as-xls", "pdf", "empty"],
)
def test_not_an_excel_file_is_refused_by_magic_bytes(data: bytes) -> None:
    assert "not an Excel workbook" in refused(data)


def test_zip_that_is_not_a_workbook_is_refused() -> None:
    docx_like = zip_bytes({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"})
    assert "not an Excel workbook" in refused(docx_like)


def test_ole_file_that_is_not_a_workbook_is_refused() -> None:
    assert "not an Excel workbook" in refused(ole_file({"WordDocument": b"\xec\xa5" * 100}))


def test_zip_bomb_is_refused_from_its_directory_by_ratio() -> None:
    bomb = dict(members(xlsx(house_rows(1))))
    bomb["xl/media/padding.bin"] = b"\0" * (8 << 20)
    assert "too large or too highly compressed" in refused(zip_bytes(bomb))


def test_zip_bomb_is_refused_by_total_uncompressed_size() -> None:
    data = xlsx(house_rows(50))
    assert "too large or too highly compressed" in refused(
        data, limits=Limits(max_uncompressed_bytes=10_000)
    )


def test_zip_whose_directory_understates_a_member_is_refused_while_inflating() -> None:
    data = bytearray(xlsx(house_rows(200)))
    # The central directory record of the worksheet: its declared size (offset 24) is halved.
    sheet_entry = next(
        m.start()
        for m in re.finditer(rb"PK\x01\x02", bytes(data))
        if data[m.start() + 46 :].startswith(b"xl/worksheets/sheet1.xml")
    )
    size = struct.unpack_from("<I", data, sheet_entry + 24)[0]
    struct.pack_into("<I", data, sheet_entry + 24, size // 2)
    assert "too large or too highly compressed" in refused(bytes(data))


def test_truncated_zip_is_reported_as_damaged() -> None:
    data = xlsx(house_rows(3))
    assert "damaged" in refused(data[: len(data) // 2])


def test_xml_with_a_doctype_is_refused() -> None:
    def add_doctype(xml: bytes) -> bytes:
        declaration, _sep, body = xml.rpartition(b"?>")
        return declaration + _sep + b'<!DOCTYPE lol [<!ENTITY lol "lol">]>' + body

    data = with_member(xlsx(house_rows(1)), "xl/workbook.xml", add_doctype)
    assert "damaged" in refused(data)


def test_empty_sheet_is_refused() -> None:
    assert "is empty" in refused(xlsx([], headers=None))


def test_header_only_sheet_is_refused() -> None:
    assert "no data rows" in refused(xlsx([]))


def test_missing_header_columns_are_named() -> None:
    headers = [h for h in HOUSE_HEADERS if h not in ("楼层", "联系电话")]
    message = refused(xlsx([], headers=headers))
    assert "missing the columns: 楼层、联系电话" in message


def test_sheet_without_any_header_row_is_refused() -> None:
    message = refused(xlsx([house_row()], headers=None))
    assert "No header row found in the first 5 rows" in message and "楼幢名称" in message


def test_more_rows_than_allowed_is_refused() -> None:
    assert "more than 3 data rows" in refused(xlsx(house_rows(4)), max_rows=3)


def test_far_more_rows_than_allowed_is_refused_before_loading() -> None:
    data = xlsx(house_rows(250))
    with pytest.raises(ExcelFileError, match="more than 10 data rows"):
        inspect_workbook(data, max_rows=10)


@pytest.mark.parametrize("far", [["XFD1048576"], ["A1048576"], ["XFD1", "A99999"], ["CV99999"]])
def test_far_away_cell_is_refused_before_the_reader_allocates_its_range(far: list[str]) -> None:
    # python-calamine allocates every cell from A1 to the farthest one: XFD1048576 alone would
    # ask for 17 billion cells and abort the process.
    def write_far(book: object, ws: Any) -> None:
        for ref in far:
            ws[ref] = "x"

    assert "too large" in refused(xlsx(house_rows(2), edit=write_far))


@pytest.mark.parametrize("far", ["XFD1", "Z99999", "CB99999"])
def test_wide_or_long_ranges_within_the_cell_limit_are_read(far: str) -> None:
    def write_far(book: object, ws: Any) -> None:
        ws[far] = "备注"

    result = read_houses(xlsx(house_rows(2), edit=write_far), CODES, price_required=lambda r: False)
    assert len(result.rows) == 2 and not result.errors  # the far note is outside the columns read


def test_row_far_beyond_the_row_limit_is_refused_as_too_many_rows() -> None:
    def write_far(book: object, ws: Any) -> None:
        ws["A20000"] = "1栋"

    assert "more than 10 data rows" in refused(xlsx(house_rows(2), edit=write_far), max_rows=10)


def test_far_away_cell_in_xls_is_refused() -> None:
    def write_far(book: object, ws: xlwt.Worksheet) -> None:
        ws.write(65535, 255, "x")

    assert "too large" in refused(xls(house_rows(2), edit=write_far))


def test_formulas_are_refused_naming_the_first_cells() -> None:
    def formulas(book: object, ws: object) -> None:
        ws["N2"] = "=I2*10000"  # type: ignore[index]
        ws["N3"] = "=SUM(I2:I3)"  # type: ignore[index]

    message = refused(xlsx(house_rows(2), edit=formulas))
    assert "Formulas are not allowed (cells N2, N3)" in message


def test_formulas_with_a_namespace_prefix_are_found() -> None:
    sheet = (
        b'<?xml version="1.0"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<x:sheetData><x:row r="1"><x:c r="B1"><x:f>1+1</x:f><x:v>2</x:v></x:c></x:row>'
        b"</x:sheetData></x:worksheet>"
    )
    data = with_member(xlsx(house_rows(1)), "xl/worksheets/sheet1.xml", lambda _old: sheet)
    assert "cells B1" in refused(data)


def test_formulas_in_xls_are_refused() -> None:
    def formula(book: object, ws: xlwt.Worksheet) -> None:
        ws.write(1, 13, xlwt.Formula("I2*10000"))

    assert "Formulas are not allowed (cells N2)" in refused(
        xls([house_row(房屋总价=None)], edit=formula)
    )


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_hidden_sheets_are_refused(state: str) -> None:
    def hide(book: object, ws: object) -> None:
        extra = book.create_sheet("代码")  # type: ignore[attr-defined]
        extra.sheet_state = state

    assert "Hidden sheets are not allowed (代码)" in refused(xlsx(house_rows(1), edit=hide))


def test_hidden_sheets_in_xls_are_refused() -> None:
    def hide(book: xlwt.Workbook, ws: object) -> None:
        book.add_sheet("隐藏").visibility = 1

    assert "Hidden sheets are not allowed (隐藏)" in refused(xls(house_rows(1), edit=hide))


def test_merged_cells_in_the_data_are_refused_naming_the_ranges() -> None:
    def merge(book: object, ws: object) -> None:
        ws.merge_cells("A2:A3")  # type: ignore[attr-defined]
        ws.merge_cells("H2:I2")  # type: ignore[attr-defined]

    message = refused(xlsx(house_rows(2), edit=merge))
    assert "Merged cells are not allowed" in message and "A2:A3" in message and "H2:I2" in message


def test_merged_title_above_the_header_is_allowed() -> None:
    def merge(book: object, ws: object) -> None:
        ws.merge_cells("A1:R1")  # type: ignore[attr-defined]

    result = read_houses(
        xlsx(house_rows(2), title="房屋信息表", edit=merge), CODES, price_required=lambda row: False
    )
    assert len(result.rows) == 2 and not result.errors


def test_encrypted_xlsx_is_refused_as_password_protected() -> None:
    encrypted = ole_file(
        {"EncryptionInfo": b"\x04\x00\x04\x00" + b"\0" * 60, "EncryptedPackage": b"\x01" * 5000}
    )
    assert "password-protected" in refused(encrypted)


def test_encrypted_xls_is_refused_as_password_protected() -> None:
    data = (HERE / "libreoffice_encrypted.xls").read_bytes()
    assert "password-protected" in refused(data)


def test_zip_level_encryption_is_refused_as_password_protected() -> None:
    data = bytearray(xlsx(house_rows(1)))
    for match in re.finditer(rb"PK\x01\x02", bytes(data)):
        flags = struct.unpack_from("<H", data, match.start() + 8)[0]
        struct.pack_into("<H", data, match.start() + 8, flags | 0x1)
    assert "password-protected" in refused(bytes(data))


def test_unsupported_zip_compression_is_refused() -> None:
    parts = members(xlsx(house_rows(1)))
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_BZIP2) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    assert "damaged" in refused(out.getvalue())


def test_file_over_the_byte_limit_is_refused() -> None:
    data = xlsx(house_rows(5))
    assert "too large" in refused(data, limits=Limits(max_file_bytes=len(data) - 1))


@pytest.mark.parametrize("cap", [5, 100, 49_999])
def test_small_row_caps_accept_files_within_them(cap: int) -> None:
    # The size guard assumes up to 100,000 rows until the file says more; that assumption must not
    # count as rows, or every file would be refused under a cap below about 50,000.
    result = read_houses(xlsx(house_rows(3)), CODES, price_required=lambda r: False, max_rows=cap)
    assert len(result.rows) == 3 and not result.errors
