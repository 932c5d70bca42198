"""Data of the house picker (楼盘表): an area's buildings, and one building's houses with state.

One query per request: the houses of a building with their ledger sums and their owners' summary,
each looked up per house through an index (tests/test_query_plans.py shows the plans). Rows go out as arrays under a column list, which keeps an 800-house building's answer
small and quick to build.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from app.models.payment import NOTICE_UNPAID, Notice, NoticeLine
from app.models.property import HOUSE_OPEN, Building, House, Owner, PropertyArea

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
    houses = (select(House.id, House.building_id, House.contract_no,
                     and_(House.status == HOUSE_OPEN, House.balance < House.amount_due).label("unpaid"))
              .where(House.area_id == area.id).subquery())
    query = (select(Building.id, Building.name, Building.floors, func.count(houses.c.id),
                    func.sum(case((houses.c.unpaid, 1), else_=0)),
                    func.sum(case((houses.c.contract_no.is_not(None), 1), else_=0)))
             .join(houses, houses.c.building_id == Building.id, isouter=True)
             .where(Building.area_id == area.id)
             .group_by(Building.id, Building.name, Building.floors).order_by(Building.id))
    return [{"id": bid, "name": name, "floors": floors, "houses": int(count or 0),
             "unpaid": int(unpaid_count or 0), "contracts": int(bound or 0)}
            for bid, name, floors, count, unpaid_count, bound in session.execute(query)]


def building_houses(session: Session, building: Building) -> dict[str, Any]:
    """Every house of the building with its state, owner summary and money, as column arrays."""
    # Per-house figures as correlated subqueries: each is an index lookup for this building's
    # houses (ledger_entry, owner and notice_line by house_id), where grouped subqueries joined
    # back to the houses let the planner read those whole tables.
    owner_name = (select(func.min(Owner.name)).where(Owner.house_id == House.id)
                  .correlate(House).scalar_subquery())
    owner_count = (select(func.count(Owner.id)).where(Owner.house_id == House.id)
                   .correlate(House).scalar_subquery())
    notice = (select(func.max(Notice.number)).join(NoticeLine, NoticeLine.notice_id == Notice.id)
              .where(NoticeLine.house_id == House.id, Notice.status == NOTICE_UNPAID)
              .correlate(House).scalar_subquery())
    query = (select(House.id, House.code, House.unit, House.floor, House.room, House.status,
                    House.opened_at, House.locked_by_order_id, House.amount_due, House.balance,
                    House.contract_no, owner_name, owner_count, House.use_code, House.building_area,
                    notice)
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
