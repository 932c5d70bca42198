"""Marked error copies: bad cells filled and commented, plus the 错误清单 sheet."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import openpyxl
import pytest

from app.documents.excel import ERROR_SHEET, CellError, ExcelFileError, mark_errors, read_houses
from app.documents.excel import marked as marked_module
from tests.fixtures.excel.workbooks import CODES, house_row, xls, xlsx

RED = "FFC7CE"


def bad_upload(maker: Any, **options: Any) -> tuple[bytes, list[CellError]]:
    rows = [
        house_row(房号="0101"),
        house_row(房号="0102", 楼层="二", 建筑面积=89.125),
        house_row(房号="0101"),
    ]
    data = maker(rows, **options)
    result = read_houses(data, CODES, price_required=lambda row: False)
    assert result.rows == [] and len(result.errors) == 3
    return data, result.errors


def open_copy(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(BytesIO(data))


def assert_marked(book: openpyxl.Workbook, header_row: int) -> None:
    sheet = book["房屋信息"]
    floor, area = sheet.cell(header_row + 2, 6), sheet.cell(header_row + 2, 9)
    assert floor.value == "二" and floor.fill.fgColor.rgb.endswith(RED)
    assert floor.comment.text == "Must be a whole number."
    assert area.fill.fgColor.rgb.endswith(RED) and "2 decimal places" in area.comment.text
    assert not sheet.cell(header_row + 1, 6).fill.fgColor.rgb.endswith(RED)
    assert sheet.cell(header_row + 1, 7).value == "0101"
    listing = book[ERROR_SHEET]
    rows = [[c.value for c in row] for row in listing.iter_rows()]
    assert rows[0] == ["Sheet", "Row", "Column", "Value", "Reason"]
    assert rows[1] == ["房屋信息", header_row + 2, "楼层", "二", "Must be a whole number."]
    assert rows[2][:4] == ["房屋信息", header_row + 2, "建筑面积", "89.125"]
    assert rows[3][:4] == ["房屋信息", header_row + 3, "房号", "0101"]
    duplicate = sheet.cell(header_row + 3, 7)
    assert duplicate.fill.fgColor.rgb.endswith(RED) and "same house" in duplicate.comment.text


def test_xlsx_copy_marks_bad_cells_in_place_and_lists_errors() -> None:
    data, errors = bad_upload(xlsx, title="标题")
    book = open_copy(mark_errors(data, "房屋.xlsx", errors))
    assert book.sheetnames == ["房屋信息", ERROR_SHEET]
    assert book.properties.title == "房屋.xlsx"
    assert book["房屋信息"]["A1"].value == "标题"  # the user's own content stays
    assert_marked(book, header_row=2)


def test_xls_copy_is_rebuilt_from_values() -> None:
    data, errors = bad_upload(xls)
    copy = mark_errors(data, "房屋.xls", errors)
    assert copy.startswith(b"PK")
    book = open_copy(copy)
    assert book.sheetnames == ["房屋信息", ERROR_SHEET]
    assert_marked(book, header_row=1)
    assert book["房屋信息"]["N2"].value == 1234567.89


def test_big_xlsx_copy_is_rebuilt_from_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(marked_module, "OPENPYXL_MAX_CELLS", 10)
    data, errors = bad_upload(xlsx)
    assert_marked(open_copy(mark_errors(data, "房屋.xlsx", errors)), header_row=1)


def test_several_reasons_for_one_cell_share_its_comment() -> None:
    data = xlsx([house_row()])
    errors = [
        CellError("房屋信息", 2, "房号", "0101", "First."),
        CellError("房屋信息", 2, "房号", "0101", "Second."),
    ]
    book = open_copy(mark_errors(data, "x.xlsx", errors))
    assert book["房屋信息"]["G2"].comment.text == "First.\nSecond."


def test_error_values_that_look_like_formulas_stay_text() -> None:
    data = xlsx([house_row()])
    errors = [CellError("房屋信息", 2, "房屋坐落", '=HYPERLINK("http://x")', "Bad.")]
    book = open_copy(mark_errors(data, "x.xlsx", errors))
    cell = book[ERROR_SHEET]["D2"]
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("http://x")'


def test_existing_error_sheet_is_replaced() -> None:
    data, errors = bad_upload(xlsx)
    once = mark_errors(data, "x.xlsx", errors)
    twice = open_copy(mark_errors(once, "x.xlsx", errors[:1]))
    assert twice.sheetnames == ["房屋信息", ERROR_SHEET]
    assert twice[ERROR_SHEET].max_row == 2


def test_hostile_file_gets_no_copy() -> None:
    with pytest.raises(ExcelFileError):
        mark_errors(b"not a workbook", "x.xlsx", [])
