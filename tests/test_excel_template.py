"""Import templates (xlsxwriter): header, notes, drop-downs, text formats, example row."""

from __future__ import annotations

from io import BytesIO

import openpyxl

from app.documents.excel import Column, ColumnType, build_template, house_template, inspect_workbook
from app.documents.excel.house_sheet import SHEET_NAME
from tests.fixtures.excel.workbooks import CODES


def house_book() -> openpyxl.Workbook:
    return openpyxl.load_workbook(BytesIO(house_template(CODES)))


def column_of(sheet: object, header: str) -> str:
    for cell in sheet[1]:  # type: ignore[index]
        if cell.value == header:
            return cell.column_letter
    raise AssertionError(header)


def test_one_visible_sheet_with_the_header_in_row_one() -> None:
    book = house_book()
    assert book.sheetnames == [SHEET_NAME]
    sheet = book.active
    assert sheet.sheet_state == "visible"
    assert [c.value for c in sheet[1]][:3] == ["楼幢名称", "建筑结构", "建成年月"]
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2"


def test_every_header_has_a_note_saying_required_or_optional() -> None:
    sheet = house_book().active
    notes = {cell.value: cell.comment.text for cell in sheet[1]}
    assert len(notes) == 18
    assert "Required." in notes["楼层"] and "negative" in notes["楼层"]
    assert "Optional." in notes["套内面积"]
    assert "price" in notes["房屋总价"]


def test_code_columns_have_inline_drop_downs() -> None:
    sheet = house_book().active
    lists = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
    structure = column_of(sheet, "建筑结构")
    assert (
        lists[f"{structure}2:{structure}1048576"]
        == '"钢结构,钢筋混凝土结构,混合结构,砖木结构,其他"'
    )
    lift = column_of(sheet, "电梯")
    assert lists[f"{lift}2:{lift}1048576"] == '"有,无"'
    assert len(lists) == 5  # structure, use, lift, sales status, ID type


def test_text_columns_are_formatted_as_text_so_leading_zeros_survive() -> None:
    sheet = house_book().active
    for header in ("房号", "单元", "证件号码", "联系电话"):
        letter = column_of(sheet, header)
        assert sheet.column_dimensions[letter].number_format == "@", header
        assert sheet[f"{letter}2"].number_format == "@"
    assert sheet.column_dimensions[column_of(sheet, "建筑面积")].number_format == "0.00"


def test_example_row_is_filled_in() -> None:
    sheet = house_book().active
    example = {sheet.cell(1, c).value: sheet.cell(2, c).value for c in range(1, 19)}
    assert example["房号"] == "0101" and example["证件号码"] == "11010519491231002X"
    assert example["楼层"] == 1 and example["建筑结构"] == "钢结构"
    assert sheet.max_row == 2


def test_template_passes_our_own_hostile_file_checks() -> None:
    assert inspect_workbook(house_template(CODES)) == "xlsx"


def test_long_code_lists_go_to_a_visible_lists_sheet() -> None:
    districts = [(str(440700 + i), f"区县名称{i:03d}") for i in range(40)]
    columns = [
        Column("区县", "district", ColumnType.CODE, codes=districts, required=True),
        Column("名称", "name"),
    ]
    data = build_template(columns, "区域")
    book = openpyxl.load_workbook(BytesIO(data))
    assert book.sheetnames[0] == "区域" and all(s.sheet_state == "visible" for s in book.worksheets)
    [validation] = book["区域"].data_validations.dataValidation
    assert validation.formula1 == "'Lists'!$A$2:$A$41"
    assert book["Lists"]["A41"].value == "区县名称039"
    assert book["区域"]["A1"].comment is not None
    assert book["区域"].max_row == 1  # no example row unless every column has an example
