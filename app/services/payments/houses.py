"""Picked houses as the payment screens list them, and the 续筹 amounts sheet (§1.4.3).

续筹 (replenishment) amounts come from a sheet: the developer exports the picked houses, with the
amount back to the first deposit proposed for each house due for replenishment, changes the amounts
in Excel and imports the sheet back.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.documents.excel.columns import Column, ColumnType
from app.documents.excel.export import export_rows
from app.documents.excel.reader import read_sheet
from app.errors import Problem, ValidationFailed
from app.models.property import House, PropertyArea
from app.services.ledger import balances, outstanding
from app.services.owners import owner_dict
from app.services.payments.notices import MAX_HOUSES, MAX_NOTICE_AMOUNT, house_location
from app.services.payments.renewal import RenewCheck
from app.services.standards import renew_threshold

SHEET_NAME = "续筹交款"
HOUSE_CODE = "房屋编号"
LOCATION = "房屋坐落"
AREA = "建筑面积"
DUE = "应交金额"
PAID = "已交金额"
FIRST = "首期交存额"
AMOUNT = "续筹金额"


def area_houses(session: Session, area: PropertyArea, house_ids: Iterable[int]) -> list[House]:
    """The houses of ``area`` among ``house_ids`` (ids of other areas are dropped), by code."""
    ids = sorted({int(i) for i in house_ids})
    if len(ids) > MAX_HOUSES:
        raise ValidationFailed(_l("Choose at most %(n)d houses at a time.", n=MAX_HOUSES))
    if not ids:
        return []
    query = (select(House).where(House.id.in_(ids), House.area_id == area.id)
             .options(selectinload(House.owners), selectinload(House.building)).order_by(House.code))
    return list(session.scalars(query))


def house_rows(session: Session, area: PropertyArea, house_ids: Iterable[int]) -> list[dict[str, Any]]:
    """One row per picked house: location, money, contract and owners."""
    houses = area_houses(session, area, house_ids)
    money = balances(session, [h.id for h in houses])
    return [{
        "house_id": h.id, "house_code": h.code, "location": house_location(h),
        "building_area": f"{h.building_area:.2f}", "amount_due": f"{h.amount_due:.2f}",
        "paid": f"{money[h.id].paid:.2f}", "first_deposit": f"{money[h.id].first:.2f}",
        "outstanding": f"{outstanding(h.amount_due, money[h.id].paid):.2f}",
        "contract_no": h.contract_no or "", "status": h.status,
        "locked": bool(h.locked_by_order_id), "owners": [owner_dict(o) for o in h.owners],
    } for h in houses]


def renew_columns() -> tuple[Column, ...]:
    return (
        Column(HOUSE_CODE, "house_code", required=True, max_length=40, width=22,
               note=_l("House account number; do not change it.")),
        Column(LOCATION, "location", max_length=200, width=30, note=_l("For reference only.")),
        Column(AREA, "building_area", ColumnType.DECIMAL, width=10, note=_l("For reference only.")),
        Column(DUE, "amount_due", ColumnType.DECIMAL, money=True, width=12,
               note=_l("For reference only.")),
        Column(PAID, "paid", ColumnType.DECIMAL, money=True, width=12, note=_l("For reference only.")),
        Column(FIRST, "first_deposit", ColumnType.DECIMAL, money=True, width=12,
               note=_l("For reference only.")),
        Column(AMOUNT, "amount", ColumnType.DECIMAL, money=True, required=True,
               minimum=Decimal("0.01"), maximum=MAX_NOTICE_AMOUNT, width=14,
               note=_l("Amount to deposit for this house, in yuan, at most 2 decimal places.")),
    )


def export_renew_sheet(session: Session, area: PropertyArea, house_ids: Iterable[int]) -> bytes:
    """The picked houses as an .xlsx; 续筹金额 holds the proposed replenishment (back to the first
    deposit) of each house due for one, and is empty for the others (issuing refuses them)."""
    threshold = renew_threshold(session)
    rows = []
    for row in house_rows(session, area, house_ids):
        first, paid = Decimal(row["first_deposit"]), Decimal(row["paid"])
        check = RenewCheck(first, paid, threshold)
        rows.append({**row, "building_area": Decimal(row["building_area"]),
                     "amount_due": Decimal(row["amount_due"]), "paid": paid, "first_deposit": first,
                     "amount": check.proposed if check.due else None})
    return export_rows(renew_columns(), rows, SHEET_NAME)


def import_renew_amounts(session: Session, area: PropertyArea, data: bytes) -> dict[int, Decimal]:
    """house id → amount from a filled-in sheet; every bad cell or unknown house is reported."""
    result = read_sheet(data, renew_columns())
    if len(result.rows) > MAX_HOUSES:
        raise ValidationFailed(_l("Choose at most %(n)d houses at a time.", n=MAX_HOUSES))
    if not result.ok:
        raise ValidationFailed(_l("%(n)d cells must be corrected.", n=result.error_count),
                               [Problem(e.column, e.reason, row=e.row, value=e.value or None)
                                for e in result.errors])
    codes = [str(r["house_code"]).upper() for r in result.rows]
    houses = dict(session.execute(select(House.code, House.id)
                                  .where(House.code.in_(codes), House.area_id == area.id)).all())
    amounts: dict[int, Decimal] = {}
    problems = []
    for number, (code, row) in enumerate(zip(codes, result.rows), start=2):
        house_id = houses.get(code)
        if house_id is None:
            problems.append(Problem(HOUSE_CODE, _l("The house is not in this property area."),
                                    row=number, value=code))
        elif house_id in amounts:
            problems.append(Problem(HOUSE_CODE, _l("The house is listed twice."), row=number, value=code))
        else:
            amounts[house_id] = row["amount"]
    if problems:
        raise ValidationFailed(_l("%(n)d cells must be corrected.", n=len(problems)), problems)
    return amounts
