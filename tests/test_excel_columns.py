"""Cell parsers built from column specs (app.documents.excel.columns); pure, no app."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from app.documents.excel.columns import (
    CellInvalid,
    Column,
    ColumnType,
    code_lookup,
    display,
    header_key,
    make_parser,
)
from app.domain.validators import validate_person_name

STRUCTURES = [("1", "钢结构"), ("2", "钢筋混凝土结构"), ("3", "混合结构")]
ID_TYPES = [("01", "居民身份证"), ("02", "护照"), ("99", "其他")]


def parse(column: Column, raw: object) -> object:
    return make_parser(column)(raw)


def reason(column: Column, raw: object) -> str:
    with pytest.raises(CellInvalid) as caught:
        make_parser(column)(raw)
    return caught.value.reason


TEXT = Column("名称", "name", max_length=5)
INT = Column("楼层", "floor", ColumnType.INT, minimum=-10, maximum=200)
AREA = Column("面积", "area", ColumnType.DECIMAL, minimum=Decimal("0.01"))
PRICE = Column("总价", "price", ColumnType.DECIMAL, money=True)
YM = Column("建成年月", "built", ColumnType.YEAR_MONTH)
CODE = Column(
    "建筑结构",
    "structure",
    ColumnType.CODE,
    codes=STRUCTURES,
    aliases={"钢混": "钢筋混凝土结构", "土木": "土木结构"},
)
ID_TYPE = Column("证件类型", "id_type", ColumnType.CODE, codes=ID_TYPES)
ID_NO = Column("证件号码", "id_no", ColumnType.ID_NUMBER, max_length=30)
PHONE = Column("联系电话", "phone", ColumnType.PHONE)


@pytest.mark.parametrize("column", [TEXT, INT, AREA, PRICE, YM, CODE, ID_NO, PHONE])
@pytest.mark.parametrize("blank", ["", "   ", "\u3000", "\t"])
def test_blank_cells_parse_to_none(column: Column, blank: str) -> None:
    assert parse(column, blank) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("  1栋 ", "1栋"), ("ＡＢ１", "AB1"), (101.0, "101"), (7, "7"), ("a  b", "a b")],
)
def test_text_is_normalised(raw: object, expected: str) -> None:
    assert parse(TEXT, raw) == expected


def test_text_longer_than_max_length_is_refused() -> None:
    assert "At most 5 characters" in reason(TEXT, "123456")


def test_text_check_callable_gives_its_message() -> None:
    column = Column("业主姓名", "owner", check=validate_person_name)
    assert parse(column, "张三") == "张三"
    assert "digits" in reason(column, "12345")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(3.0, 3), (3, 3), ("3", 3), ("３", 3), (" 12 ", 12), ("-1", -1), ("－2", -2), ("5.0", 5)],
)
def test_int_accepts_floats_text_and_full_width_digits(raw: object, expected: int) -> None:
    value = parse(INT, raw)
    assert value == expected and type(value) is int


@pytest.mark.parametrize("raw", [3.5, "3.5", "三", "3层", True])
def test_int_refuses_non_whole_numbers(raw: object) -> None:
    assert "whole number" in reason(INT, raw)


def test_int_range_is_checked() -> None:
    assert "between -10 and 200" in reason(INT, 201)
    assert "between -10 and 200" in reason(INT, "-11")
    assert "at least 1" in reason(Column("总层数", "floors", ColumnType.INT, minimum=1), 0)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (89.12, Decimal("89.12")),
        (89.1, Decimal("89.10")),
        (90, Decimal("90.00")),
        ("89.50 ", Decimal("89.50")),
        ("８９．５", Decimal("89.50")),
        ("1,234.5", Decimal("1234.50")),
        ("89.120", Decimal("89.12")),
    ],
)
def test_decimal_reads_to_two_places(raw: object, expected: Decimal) -> None:
    value = parse(AREA, raw)
    assert value == expected and str(value) == str(expected) and isinstance(value, Decimal)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (89.125, "2 decimal places"),
        ("abc", "number"),
        ("1e3", "number"),
        (float("nan"), "number"),
        (0, "at least 0.01"),
    ],
)
def test_decimal_refuses_bad_values(raw: object, message: str) -> None:
    assert message in reason(AREA, raw)


def test_money_column_accepts_currency_marks_through_to_money() -> None:
    assert parse(PRICE, "¥1,234.50") == Decimal("1234.50")
    assert parse(PRICE, "1234元") == Decimal("1234.00")
    assert "number" in reason(AREA, "1234元")


@pytest.mark.parametrize(
    "raw",
    [
        "2005-03",
        "2005/3",
        "2005.03",
        "2005年3月",
        "2005年03月01日",
        "200503",
        "2005-03-01",
        "2005/3/1 0:00:00",
        "２００５－０３",
        200503,
        38412.0,
        38412,
        datetime(2005, 3, 1),
        date(2005, 3, 17),
    ],
)
def test_year_month_understands_text_numbers_serials_and_dates(raw: object) -> None:
    assert parse(YM, raw) == "2005-03"


@pytest.mark.parametrize("raw", [2005, "2005", 2005.03, "2005-13", "03/2005", "1899-12", "soon"])
def test_year_month_refuses_ambiguous_or_bad_values(raw: object) -> None:
    assert "year and month" in reason(YM, raw)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("钢结构", "1"),
        (" 钢筋混凝土结构 ", "2"),
        ("钢混", "2"),
        ("2", "2"),
        (2.0, "2"),
        ("混合结构", "3"),
    ],
)
def test_code_accepts_label_code_and_alias(raw: object, code: str) -> None:
    assert parse(CODE, raw) == code


def test_code_with_leading_zero_survives_excel_number() -> None:
    assert parse(ID_TYPE, 1.0) == "01"
    assert parse(ID_TYPE, "01") == "01"
    assert parse(ID_TYPE, "护照") == "02"


def test_code_refuses_unknown_value_listing_choices() -> None:
    message = reason(CODE, "木结构")
    assert "钢结构、钢筋混凝土结构、混合结构" in message


def test_alias_to_a_label_missing_from_the_table_is_ignored() -> None:
    assert "土木" not in code_lookup(CODE)


def test_code_lookup_keeps_non_string_codes() -> None:
    lift = Column(
        "电梯", "lift", ColumnType.CODE, codes=[(True, "有"), (False, "无")], aliases={"否": "无"}
    )
    assert parse(lift, "否") is False
    assert parse(lift, "有") is True


def test_id_number_is_upper_cased_and_stripped() -> None:
    assert parse(ID_NO, " 11010519491231002x ") == "11010519491231002X"
    assert parse(ID_NO, "ｅ１２３４５６７８") == "E12345678"


def test_id_number_typed_into_a_number_cell_is_refused() -> None:
    assert "rounded" in reason(ID_NO, 4.40703198001010e17)
    assert parse(ID_NO, 12345678.0) == "12345678"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (13800138000.0, "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("0750-3501234", "0750-3501234"),
    ],
)
def test_phone_is_normalised_and_validated(raw: object, expected: str) -> None:
    assert parse(PHONE, raw) == expected


def test_phone_refuses_bad_number() -> None:
    assert "Phone number" in reason(PHONE, "12345")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" 楼幢名称 ", "楼幢名称"),
        ("楼幢名称*", "楼幢名称"),
        ("＊房号", "房号"),
        ("联系\n电话", "联系电话"),
    ],
)
def test_header_key_ignores_spaces_full_width_and_required_marks(raw: str, expected: str) -> None:
    assert header_key(raw) == expected


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (101.0, "101"),
        (1.5, "1.5"),
        (None, ""),
        (datetime(2005, 3, 1), "2005-03-01"),
        (date(2005, 3, 1), "2005-03-01"),
        (" x ", "x"),
    ],
)
def test_display_shows_values_as_excel_users_see_them(value: object, shown: str) -> None:
    assert display(value) == shown
