"""The house sheet: template round trip, files from other programs, and the house rules."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from io import BytesIO
from typing import Any

import openpyxl
import pytest

from app.documents.excel import HOUSE_HEADERS, house_columns, house_template, read_houses
from tests.fixtures.excel.workbooks import (
    CODES,
    ID_CARD,
    ID_CARD_2,
    LIBREOFFICE_XLS,
    LIBREOFFICE_XLSX,
    house_row,
    house_rows,
    xls,
    xlsx,
)

EXPECTED_HEADERS = (
    "楼幢名称",
    "建筑结构",
    "建成年月",
    "总层数",
    "单元",
    "楼层",
    "房号",
    "房屋坐落",
    "建筑面积",
    "套内面积",
    "房屋用途",
    "电梯",
    "销售状态",
    "房屋总价",
    "业主姓名",
    "证件类型",
    "证件号码",
    "联系电话",
)


def never(row: Mapping[str, Any]) -> bool:
    return False


def read(data: bytes, price_required: Any = never, **options: Any) -> Any:
    return read_houses(data, CODES, price_required=price_required, **options)


def problems(data: bytes, **options: Any) -> list[tuple[int, str, str]]:
    result = read(data, **options)
    assert result.rows == []
    return [(e.row, e.column, e.reason) for e in result.errors]


def test_headers_are_exactly_the_product_headers() -> None:
    assert HOUSE_HEADERS == EXPECTED_HEADERS
    assert tuple(c.header for c in house_columns(CODES)) == EXPECTED_HEADERS
    assert [c.header for c in house_columns(CODES) if c.required] == [
        "楼幢名称",
        "楼层",
        "房号",
        "建筑面积",
        "房屋用途",
        "电梯",
    ]


def test_filled_in_template_reads_back_as_plain_typed_dicts() -> None:
    book = openpyxl.load_workbook(BytesIO(house_template(CODES)))
    sheet = book.active
    sheet.delete_rows(2)
    sheet.append(house_row(房号="0102", 建成年月="2005-03", 电梯="无"))
    out = BytesIO()
    book.save(out)
    result = read(out.getvalue())
    assert result.errors == []
    assert result.rows == [
        {
            "building_name": "1栋",
            "structure_code": "2",
            "built_ym": "2005-03",
            "floors": 18,
            "unit": "1",
            "floor": 1,
            "room": "0102",
            "address": "江门市蓬江区建设路1号1栋0101",
            "building_area": Decimal("89.12"),
            "inner_area": Decimal("70.50"),
            "use_code": "10",
            "has_lift": False,
            "sales_status": "sold",
            "price": Decimal("1234567.89"),
            "owner_name": "张三",
            "owner_id_type": "01",
            "owner_id_no": ID_CARD,
            "owner_phone": "13800138000",
        }
    ]


def test_the_template_example_row_left_in_place_is_refused() -> None:
    assert problems(house_template(CODES)) == [
        (2, "楼幢名称", "This is the template's example row; delete it before importing.")
    ]


@pytest.mark.parametrize("path", [LIBREOFFICE_XLSX, LIBREOFFICE_XLS], ids=["xlsx", "xls"])
def test_files_saved_by_libreoffice_are_read(path: Any) -> None:
    result = read(path.read_bytes())
    assert result.errors == []
    first, second, third = result.rows
    assert (
        first["room"],
        first["built_ym"],
        first["floor"],
        first["structure_code"],
        first["has_lift"],
    ) == ("0101", "2005-03", 1, "2", True)
    assert (
        second["room"],
        second["built_ym"],
        second["floor"],
        second["building_area"],
        second["owner_name"],
    ) == ("0102", "2005-03", 1, Decimal("89.50"), None)
    assert (
        third["built_ym"],
        third["structure_code"],
        third["price"],
        third["owner_id_no"],
        third["owner_phone"],
    ) == ("2010-07", "3", Decimal("2000000.00"), ID_CARD_2, "0750-3501234")
    assert first["owner_phone"] == "13800138000"


def test_xls_house_sheet_is_read() -> None:
    result = read(xls(house_rows(3)))
    assert [r["room"] for r in result.rows] == ["101", "102", "103"]


def test_codes_and_aliases_are_accepted_in_cells() -> None:
    rows = [
        house_row(建筑结构="钢混", 电梯="是", 证件类型="01", 房号="0101"),
        house_row(建筑结构="2", 电梯="否", 证件类型=1, 房号="0102", 房屋用途="车位"),
    ]
    result = read(xlsx(rows))
    assert [
        (r["structure_code"], r["has_lift"], r["owner_id_type"], r["use_code"]) for r in result.rows
    ] == [
        ("2", True, "01", "10"),
        ("2", False, "01", "40"),
    ]


def test_required_cells_are_reported_per_cell() -> None:
    row = house_row(楼幢名称=None, 楼层=None, 房号=None, 建筑面积=None, 房屋用途=None, 电梯=None)
    assert problems(xlsx([row])) == [
        (2, h, "Required.") for h in ("楼幢名称", "楼层", "房号", "建筑面积", "房屋用途", "电梯")
    ]


def test_price_is_required_where_the_caller_says_so() -> None:
    rows = [
        house_row(房号="0101", 房屋总价=None),
        house_row(房号="0102", 房屋总价=None, 房屋用途="商业"),
    ]
    assert read(xlsx(rows)).rows
    reasons = problems(xlsx(rows), price_required=lambda row: row["use_code"] == "20")
    assert reasons == [
        (3, "房屋总价", "Required: the deposit standard for this house is based on its price.")
    ]


def test_owner_columns_are_all_or_none() -> None:
    rows = [
        house_row(房号="0101", 业主姓名=None, 证件类型=None, 证件号码=None, 联系电话=None),
        house_row(房号="0102", 证件号码=None, 联系电话=None),
    ]
    assert [(row, column) for row, column, _reason in problems(xlsx(rows))] == [
        (3, "证件号码"),
        (3, "联系电话"),
    ]


def test_id_number_is_checked_against_its_type() -> None:
    rows = [
        house_row(房号="0101", 证件号码="110105194912310021"),
        house_row(房号="0102", 证件类型="护照", 证件号码="E12345678"),
        house_row(房号="0103", 证件类型="护照", 证件号码="E1"),
    ]
    assert problems(xlsx(rows)) == [
        (2, "证件号码", "ID number check digit is wrong."),
        (4, "证件号码", "Passport number must be 5 to 17 letters or digits."),
    ]


def test_id_number_typed_as_a_number_is_refused() -> None:
    [(row, column, reason)] = problems(xlsx([house_row(证件号码=440703198001010012)]))
    assert (row, column) == (2, "证件号码") and "rounded" in reason


def test_one_building_has_one_structure_month_and_floor_count() -> None:
    rows = [
        house_row(房号="0101"),
        house_row(房号="0102", 建筑结构="混合结构", 总层数=17),
        house_row(房号="0103", 建成年月=None),
        house_row(楼幢名称="2栋", 房号="0101", 总层数=6),
    ]
    assert problems(xlsx(rows)) == [
        (3, "建筑结构", "Differs from row 2 of the same building; a building has one value."),
        (3, "总层数", "Differs from row 2 of the same building; a building has one value."),
        (4, "建成年月", "Differs from row 2 of the same building; a building has one value."),
    ]


def test_duplicate_houses_name_both_rows() -> None:
    rows = [house_row(房号="0101"), house_row(房号="0102"), house_row(房号="0101 ")]
    assert problems(xlsx(rows)) == [
        (4, "房号", "Rows 2 and 4 are the same house (same building, unit, floor and room)."),
    ]


def test_same_room_in_another_unit_is_not_a_duplicate() -> None:
    rows = [house_row(单元="1"), house_row(单元="2"), house_row(单元=None)]
    assert len(read(xlsx(rows)).rows) == 3


def test_inner_area_cannot_exceed_building_area() -> None:
    assert problems(xlsx([house_row(套内面积=90)])) == [
        (2, "套内面积", "The inner area is larger than the building area.")
    ]


def test_error_value_of_a_code_column_shows_the_label() -> None:
    rows = [house_row(房号="0101"), house_row(房号="0102", 建筑结构="钢混", 总层数=17)]
    result = read(xlsx([*rows, house_row(房号="0103", 建筑结构="砖混")]))
    values = {(e.row, e.column): e.value for e in result.errors}
    assert values[(4, "建筑结构")] == "混合结构"
    assert values[(3, "总层数")] == "17"


def test_a_hundred_houses_round_trip() -> None:
    result = read(xlsx(house_rows(100)))
    assert len(result.rows) == 100 and result.errors == []
    assert len({(r["floor"], r["room"]) for r in result.rows}) == 100
