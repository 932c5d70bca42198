"""The house sheet (房屋信息): its columns, template and import rules.

The header texts are part of the product: users' files and our templates both carry them exactly.
Code tables come from the caller (the code-table data), as (code, label) pairs.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.documents.excel.columns import Column, ColumnType
from app.documents.excel.reader import DEFAULT_MAX_ROWS, ImportResult, RowRule, read_sheet
from app.documents.excel.security import DEFAULT_LIMITS, Limits
from app.documents.excel.template import build_template
from app.domain.location import unit_number
from app.domain.validators import validate_person_name

SHEET_NAME = "房屋信息"

#: The key of a sheet of existing houses (the house account number), never edited.
HOUSE_CODE = "房屋编号"

BUILDING_NAME = "楼幢名称"
STRUCTURE = "建筑结构"
BUILT_YM = "建成年月"
FLOORS = "总层数"
UNIT = "单元"
FLOOR = "楼层"
ROOM = "房号"
ADDRESS = "房屋坐落"
BUILDING_AREA = "建筑面积"
INNER_AREA = "套内面积"
USE = "房屋用途"
LIFT = "电梯"
SALES_STATUS = "销售状态"
PRICE = "房屋总价"
OWNER_NAME = "业主姓名"
ID_TYPE = "证件类型"
ID_NUMBER = "证件号码"
PHONE = "联系电话"

HOUSE_HEADERS = (
    BUILDING_NAME, STRUCTURE, BUILT_YM, FLOORS, UNIT, FLOOR, ROOM, ADDRESS, BUILDING_AREA,
    INNER_AREA, USE, LIFT, SALES_STATUS, PRICE, OWNER_NAME, ID_TYPE, ID_NUMBER, PHONE,
)

OWNER_KEYS = ("owner_name", "owner_id_type", "owner_id_no", "owner_phone")
BUILDING_KEYS = ("structure_code", "built_ym", "floors")

# Words people write instead of the table's label; mapped only when the label is in the table.
STRUCTURE_ALIASES = {
    "钢混": "钢筋混凝土结构",
    "钢混结构": "钢筋混凝土结构",
    "砖混": "混合结构",
    "砖混结构": "混合结构",
}
USE_ALIASES = {"车库": "车库/车位", "车位": "车库/车位"}
LIFT_ALIASES = {"是": "有", "否": "无", "有电梯": "有", "无电梯": "无"}

_AREA_MAX = Decimal("9999999999.99")
_PRICE_MAX = Decimal("999999999999.99")

PriceRequired = Callable[[Mapping[str, Any]], bool]


@dataclass(frozen=True)
class HouseCodes:
    """The code tables the house sheet uses, each a sequence of (code, label) pairs."""

    structures: Sequence[tuple[Any, Any]]
    uses: Sequence[tuple[Any, Any]]
    lifts: Sequence[tuple[Any, Any]]
    sales_statuses: Sequence[tuple[Any, Any]]
    id_types: Sequence[tuple[Any, Any]]


def _first_label(codes: Sequence[tuple[Any, Any]]) -> str:
    return str(codes[0][1]) if codes else ""


def house_columns(codes: HouseCodes) -> tuple[Column, ...]:
    """Return the 18 house-sheet columns in template order; dict keys follow the House model."""
    choose = _l("Choose from the list.")
    owner = _l("Owner columns: fill in all four or leave all four empty.")
    area = {"minimum": Decimal("0.01"), "maximum": _AREA_MAX}
    return (
        Column(BUILDING_NAME, "building_name", required=True, max_length=60, example="1栋",
               width=12,
               note=_l("Building name, e.g. 1栋. Rows of one building must have the same "
                       "structure, completion month and total floors.")),
        Column(STRUCTURE, "structure_code", ColumnType.CODE, codes=codes.structures,
               aliases=STRUCTURE_ALIASES, note=choose, example=_first_label(codes.structures),
               width=16),
        Column(BUILT_YM, "built_ym", ColumnType.YEAR_MONTH, example="2005-03", width=10,
               note=_l("Year and month the building was completed, e.g. 2005-03.")),
        Column(FLOORS, "floors", ColumnType.INT, minimum=1, maximum=200, example=18, width=8,
               note=_l("Number of floors of the building, a whole number.")),
        Column(UNIT, "unit", max_length=20, example="1", width=8,
               note=_l("Unit, e.g. 1 or 1单元; leave empty if the building has no units.")),
        Column(FLOOR, "floor", ColumnType.INT, required=True, minimum=-10, maximum=200, example=1,
               width=8,
               note=_l("Floor of the house, a whole number; basements are negative, e.g. -1.")),
        Column(ROOM, "room", required=True, max_length=20, example="0101", width=8,
               note=_l("Room number as written on the door, e.g. 0101.")),
        Column(ADDRESS, "address", max_length=200, example="江门市蓬江区建设路1号1栋0101",
               width=30,
               note=_l("Full address of the house.")),
        Column(BUILDING_AREA, "building_area", ColumnType.DECIMAL, required=True, **area,
               example=Decimal("89.12"), width=10,
               note=_l("Building area in square metres, at most 2 decimal places.")),
        Column(INNER_AREA, "inner_area", ColumnType.DECIMAL, **area, example=Decimal("70.50"),
               width=10,
               note=_l("Inner (套内) area in square metres, at most 2 decimal places; not larger "
                       "than the building area.")),
        Column(USE, "use_code", ColumnType.CODE, required=True, codes=codes.uses,
               aliases=USE_ALIASES, note=choose, example=_first_label(codes.uses), width=12),
        Column(LIFT, "has_lift", ColumnType.CODE, required=True, codes=codes.lifts,
               aliases=LIFT_ALIASES, note=choose, example=_first_label(codes.lifts), width=6),
        Column(SALES_STATUS, "sales_status", ColumnType.CODE, codes=codes.sales_statuses,
               note=choose, example=_first_label(codes.sales_statuses), width=10),
        Column(PRICE, "price", ColumnType.DECIMAL, money=True, minimum=Decimal("0.01"),
               maximum=_PRICE_MAX, example=Decimal("1234567.89"), width=14,
               note=_l("Total price in yuan, at most 2 decimal places; required when the deposit "
                       "standard for the house is based on its price.")),
        Column(OWNER_NAME, "owner_name", max_length=50, check=validate_person_name,
               example="张三", width=10, note=owner),
        Column(ID_TYPE, "owner_id_type", ColumnType.CODE, codes=codes.id_types, note=owner,
               example=_first_label(codes.id_types), width=16),
        Column(ID_NUMBER, "owner_id_no", ColumnType.ID_NUMBER, max_length=30,
               id_type_key="owner_id_type", example="11010519491231002X", width=20, note=owner),
        Column(PHONE, "owner_phone", ColumnType.PHONE, max_length=20, example="13800138000",
               width=14,
               note=_l("Owner's mobile or landline, e.g. 13800138000 or 0750-3501234.")),
    )


def house_template(codes: HouseCodes) -> bytes:
    """Return the house-sheet template (.xlsx) with notes, drop-downs and one example row."""
    return build_template(house_columns(codes), SHEET_NAME)


def read_houses(
    data: bytes,
    codes: HouseCodes,
    *,
    price_required: PriceRequired,
    max_rows: int = DEFAULT_MAX_ROWS,
    limits: Limits = DEFAULT_LIMITS,
) -> ImportResult:
    """Read a house sheet; ``price_required(row)`` says whether that row's standard needs the price.

    Rows come back as dicts keyed like the House/Building/Owner fields (see ``house_columns``).
    """
    return read_sheet(
        data,
        house_columns(codes),
        max_rows=max_rows,
        row_rules=(owner_all_or_none, inner_area_fits, price_rule(price_required)),
        file_rules=(consistent_buildings, unique_houses),
        limits=limits,
    )


def owner_all_or_none(row: Mapping[str, Any]) -> Iterable[tuple[str, Any]]:
    """Owner name, ID type, ID number and phone are filled in together or not at all."""
    missing = [key for key in OWNER_KEYS if row[key] is None]
    if missing and len(missing) < len(OWNER_KEYS):
        reason = _(
            "Owner name, ID type, ID number and phone must be filled in together or left empty "
            "together."
        )
        for key in missing:
            yield key, reason


def inner_area_fits(row: Mapping[str, Any]) -> Iterable[tuple[str, Any]]:
    """The inner area cannot exceed the building area."""
    if row["inner_area"] is not None and row["inner_area"] > row["building_area"]:
        yield "inner_area", _("The inner area is larger than the building area.")


def price_rule(price_required: PriceRequired) -> RowRule:
    """Return the row rule asking for 房屋总价 where the caller's standard is price-based."""

    def rule(row: Mapping[str, Any]) -> Iterable[tuple[str, Any]]:
        if row["price"] is None and price_required(row):
            yield "price", _("Required: the deposit standard for this house is based on its price.")

    return rule


def consistent_buildings(
    rows: Sequence[tuple[int, Mapping[str, Any]]],
) -> Iterable[tuple[int, str, Any]]:
    """Rows of one 楼幢名称 must agree on structure, completion month and total floors."""
    first: dict[str, tuple[int, Mapping[str, Any]]] = {}
    for number, row in rows:
        seen = first.setdefault(row["building_name"], (number, row))
        if seen[0] == number:
            continue
        for key in BUILDING_KEYS:
            if row[key] != seen[1][key]:
                yield number, key, _(
                    "Differs from row %(row)d of the same building; a building has one value.",
                    row=seen[0],
                )


def unique_houses(
    rows: Sequence[tuple[int, Mapping[str, Any]]],
) -> Iterable[tuple[int, str, Any]]:
    """No two rows may describe the same house (same building, unit, floor and room)."""
    first: dict[tuple[Any, ...], int] = {}
    for number, row in rows:
        unit = unit_number(row["unit"]).casefold()  # "1" and "1单元" are the same unit
        key = (row["building_name"], unit, row["floor"], row["room"].casefold())
        earlier = first.setdefault(key, number)
        if earlier != number:
            yield number, "room", _(
                "Rows %(first)d and %(second)d are the same house (same building, unit, floor "
                "and room).",
                first=earlier,
                second=number,
            )
