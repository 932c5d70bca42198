"""Data of the house picker (楼盘表): an area's buildings, and one building's houses with state.

One query per request: the houses of a building joined with their ledger sums and their owners'
summary. Rows go out as arrays under a column list, which keeps an 800-house building's answer
small and quick to build.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from app.models.payment import NOTICE_UNPAID, Notice, NoticeLine
from app.models.property import HOUSE_OPEN, Building, House, Owner, PropertyArea
from app.services.ledger import paid_by_house

STATE_NOT_OPENED = "not_opened"
STATE_UNPAID = "unpaid"
STATE_PARTLY_PAID = "partly_paid"
STATE_PAID = "paid"
STATE_CANCELLED = "cancelled"
STATE_LOCKED = "locked"
#: Legend order; "contract bound" is a mark on the cell (a bound house is also unpaid or paid).
STATES = (STATE_NOT_OPENED, STATE_UNPAID, STATE_PARTLY_PAID, STATE_PAID, STATE_CANCELLED,
          STATE_LOCKED)

HOUSE_COLUMNS = ("id", "code", "unit", "floor", "room", "col", "state", "contract", "owner",
                 "owners", "due", "paid", "use", "area", "notice", "locked_by")


def house_state(status: str, opened: bool, locked: bool, due: Decimal, paid: Decimal) -> str:
    """The one state a cell is coloured by."""
    if status != HOUSE_OPEN:
        return STATE_CANCELLED
    if locked:
        return STATE_LOCKED
    if not opened:
        return STATE_NOT_OPENED
    if paid >= due:
        return STATE_PAID
    return STATE_PARTLY_PAID if paid > 0 else STATE_UNPAID


def room_column(floor: int, room: str) -> str:
    """The room's position on its floor: "1802" on floor 18 is column "02"; other rooms keep
    their own number, so every floor of a unit lines up under the same columns."""
    prefix = str(floor)
    if floor > 0 and room.startswith(prefix) and len(room) > len(prefix):
        return room[len(prefix):]
    return room


def area_buildings(session: Session, area: PropertyArea) -> list[dict[str, Any]]:
    """The area's buildings with house counts per state group (for the left-hand list)."""
    paid = paid_by_house(House.area_id == area.id)
    unpaid = and_(House.status == HOUSE_OPEN, func.coalesce(paid.c.paid, 0) < House.amount_due)
    query = (select(Building.id, Building.name, Building.floors, func.count(House.id),
                    func.sum(case((unpaid, 1), else_=0)),
                    func.sum(case((House.contract_no.is_not(None), 1), else_=0)))
             .join(House, House.building_id == Building.id, isouter=True)
             .join(paid, paid.c.house_id == House.id, isouter=True)
             .where(Building.area_id == area.id)
             .group_by(Building.id, Building.name, Building.floors).order_by(Building.id))
    return [{"id": bid, "name": name, "floors": floors, "houses": int(count or 0),
             "unpaid": int(unpaid_count or 0), "contracts": int(bound or 0)}
            for bid, name, floors, count, unpaid_count, bound in session.execute(query)]


def building_houses(session: Session, building: Building) -> dict[str, Any]:
    """Every house of the building with its state, owner summary and money, as column arrays."""
    paid = paid_by_house(House.building_id == building.id)
    owners = (select(Owner.house_id, func.min(Owner.name).label("owner"),
                     func.count(Owner.id).label("owners"))
              .join(House, House.id == Owner.house_id)
              .where(House.building_id == building.id).group_by(Owner.house_id).subquery())
    notices = (select(NoticeLine.house_id, func.max(Notice.number).label("notice"))
               .join(Notice, Notice.id == NoticeLine.notice_id)
               .join(House, House.id == NoticeLine.house_id)
               .where(House.building_id == building.id, Notice.status == NOTICE_UNPAID)
               .group_by(NoticeLine.house_id).subquery())
    query = (select(House.id, House.code, House.unit, House.floor, House.room, House.status,
                    House.opened_at, House.locked_by_order_id, House.amount_due,
                    func.coalesce(paid.c.paid, 0), House.contract_no, owners.c.owner,
                    func.coalesce(owners.c.owners, 0), House.use_code, House.building_area,
                    notices.c.notice)
             .join(paid, paid.c.house_id == House.id, isouter=True)
             .join(owners, owners.c.house_id == House.id, isouter=True)
             .join(notices, notices.c.house_id == House.id, isouter=True)
             .where(House.building_id == building.id)
             .order_by(House.unit, House.floor.desc(), House.room))
    rows = []
    for (hid, code, unit, floor, room, status, opened_at, locked, due, paid_sum, contract, owner,
         owner_count, use, area, notice) in session.execute(query):
        due = Decimal(due)
        paid_value = Decimal(paid_sum).quantize(Decimal("0.01"))
        rows.append([hid, code, unit or "", floor, room, room_column(floor, room),
                     house_state(status, opened_at is not None, bool(locked), due, paid_value),
                     contract or "", owner or "", int(owner_count), f"{due:.2f}", f"{paid_value:.2f}",
                     use, f"{Decimal(area):.2f}", notice or "", locked or None])
    return {"building": {"id": building.id, "name": building.name, "floors": building.floors,
                         "area_id": building.area_id},
            "columns": list(HOUSE_COLUMNS), "states": list(STATES), "houses": rows}
