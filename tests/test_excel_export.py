"""Export of any list: typed cells, code labels, and formula-injection neutralisation."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO

import openpyxl
import pytest

from app.documents.excel import Column, ColumnType, export_rows, house_columns, neutralise
from tests.fixtures.excel.workbooks import CODES

COLUMNS = (
    Column("名称", "name"),
    Column("金额", "amount", ColumnType.DECIMAL),
    Column("楼层", "floor", ColumnType.INT),
    Column("电梯", "lift", ColumnType.CODE, codes=[(True, "有"), (False, "无")]),
    Column("日期", "day"),
    Column("时间", "at"),
)


def sheet_of(data: bytes) -> openpyxl.worksheet.worksheet.Worksheet:
    return openpyxl.load_workbook(BytesIO(data))["清单"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+86 138", "'+86 138"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("a=1", "a=1"),
        ("", ""),
    ],
)
def test_neutralise_prefixes_formula_triggers(text: str, expected: str) -> None:
    assert neutralise(text) == expected


def test_formula_like_text_is_exported_as_a_string_that_does_not_start_with_equals() -> None:
    rows = [
        {"name": '=HYPERLINK("http://evil","x")'},
        {"name": "@cmd"},
        {"name": "-2+3"},
        {"name": "plain"},
    ]
    data = export_rows(COLUMNS, rows, "清单")
    sheet = sheet_of(data)
    cells = [sheet.cell(r, 1) for r in range(2, 6)]
    assert all(c.data_type == "s" for c in cells)
    assert [c.value for c in cells] == [
        '\'=HYPERLINK("http://evil","x")',
        "'@cmd",
        "'-2+3",
        "plain",
    ]
    assert not any(str(c.value).startswith(("=", "+", "-", "@")) for c in cells)
    sheet_xml = zipfile.ZipFile(BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml and b"<f " not in sheet_xml


def test_values_keep_their_types_and_codes_become_labels() -> None:
    rows = [
        {
            "name": "1栋",
            "amount": Decimal("1234.50"),
            "floor": 3,
            "lift": True,
            "day": date(2026, 1, 2),
            "at": datetime(2026, 1, 2, 9, 30),
        },
        {"name": None, "amount": None, "floor": None, "lift": False},
    ]
    sheet = sheet_of(export_rows(COLUMNS, rows, "清单"))
    assert [c.value for c in sheet[1]] == ["名称", "金额", "楼层", "电梯", "日期", "时间"]
    assert all(c.font.b for c in sheet[1]) and sheet.freeze_panes == "A2"
    name, amount, floor, lift, day, at = sheet[2]
    assert name.value == "1栋" and amount.value == 1234.5 and amount.number_format == "#,##0.00"
    assert floor.value == 3 and lift.value == "有"
    assert day.value == datetime(2026, 1, 2) and at.value == datetime(2026, 1, 2, 9, 30)
    assert [c.value for c in sheet[3]][:4] == [None, None, None, "无"]


def test_house_columns_export_many_rows() -> None:
    row = {
        "building_name": "1栋",
        "room": "0101",
        "has_lift": True,
        "use_code": "10",
        "building_area": Decimal("89.12"),
    }
    data = export_rows(house_columns(CODES), [row] * 2000, "清单")
    sheet = sheet_of(data)
    assert sheet.max_row == 2001
    assert (
        sheet["G2001"].value == "0101"
        and sheet["L2001"].value == "有"
        and sheet["K2"].value == "住宅"
    )


def test_empty_list_exports_just_the_header() -> None:
    sheet = sheet_of(export_rows(COLUMNS, [], "清单"))
    assert sheet.max_row == 1
