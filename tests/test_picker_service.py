"""House picker data: one row per house with the state its cell is coloured by."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select

from app.models.order import BusinessOrder
from app.models.property import HOUSE_CANCELLED, House
from app.services.ledger import book_deposit
from app.services.payments import issue_owner_notices
from app.services.picker import (STATE_CANCELLED, STATE_LOCKED, STATE_NOT_OPENED, STATE_PAID,
                                 STATE_PARTLY_PAID, STATE_UNPAID, area_buildings, building_houses,
                                 house_state, room_column)


def _rows(session, building) -> dict[int, dict]:
    data = building_houses(session, building)
    return {row[0]: dict(zip(data["columns"], row)) for row in data["houses"]}


def test_room_columns_line_floors_up():
    assert room_column(18, "1802") == "02"
    assert room_column(1, "101") == "01"
    assert room_column(-1, "B1-001") == "B1-001"
    assert room_column(2, "A1") == "A1"


def test_state_precedence():
    due = Decimal("100.00")
    assert house_state("open", True, False, due, Decimal("0")) == STATE_UNPAID
    assert house_state("open", True, False, due, Decimal("1")) == STATE_PARTLY_PAID
    assert house_state("open", True, False, due, due) == STATE_PAID
    assert house_state("open", False, False, due, Decimal("0")) == STATE_NOT_OPENED
    assert house_state("open", True, True, due, due) == STATE_LOCKED
    assert house_state(HOUSE_CANCELLED, True, True, due, due) == STATE_CANCELLED


def test_building_rows_carry_state_money_owner_contract_and_notice(session, demo):
    houses = session.scalars(select(House).where(House.building_id == demo.building_a.id)
                             .order_by(House.id)).all()
    paid, partly, locked, cancelled, bound = houses[:5]
    book_deposit(session, paid, paid.amount_due, notice_id=None, payment_type="first",
                 value_date=dt.date(2026, 3, 1))
    book_deposit(session, partly, Decimal("10.00"), notice_id=None, payment_type="first",
                 value_date=dt.date(2026, 3, 1))
    order = BusinessOrder(org_id=locked.org_id, number="T0001", type="house_cancel", payload={})
    session.add(order)
    session.flush()
    locked.locked_by_order_id = order.id
    cancelled.status = HOUSE_CANCELLED
    bound.contract_no = "JM2026YS000077"
    from app.models.property import Owner

    bound.owners = [Owner(org_id=bound.org_id, seq=1, name="王五", id_type="01",
                          id_no="11010519491231002X", phone="13800138000"),
                    Owner(org_id=bound.org_id, seq=2, name="赵六", id_type="01",
                          id_no="440703198001010012", phone="13800138001")]
    session.commit()
    notice = issue_owner_notices(session, demo.area_a, [bound.id], user_id=None).notices[0]
    rows = _rows(session, demo.building_a)
    assert len(rows) == len(houses)
    assert rows[paid.id]["state"] == STATE_PAID and rows[paid.id]["paid"] == f"{paid.amount_due:.2f}"
    assert rows[partly.id]["state"] == STATE_PARTLY_PAID and rows[partly.id]["paid"] == "10.00"
    assert rows[locked.id]["state"] == STATE_LOCKED and rows[locked.id]["locked_by"] == order.id
    assert rows[cancelled.id]["state"] == STATE_CANCELLED
    assert rows[bound.id]["state"] == STATE_UNPAID
    assert rows[bound.id]["contract"] == "JM2026YS000077"
    assert (rows[bound.id]["owner"], rows[bound.id]["owners"]) == ("王五", 2)
    assert rows[bound.id]["notice"] == notice.number
    assert rows[houses[6].id]["notice"] == ""


def test_area_buildings_count_unpaid_and_contracts(session, demo):
    house = session.scalar(select(House).where(House.building_id == demo.building_a.id))
    book_deposit(session, house, house.amount_due, notice_id=None, payment_type="first",
                 value_date=dt.date(2026, 3, 1))
    house.contract_no = "JM2026YS000078"
    session.commit()
    buildings = {b["id"]: b for b in area_buildings(session, demo.area_a)}
    first = buildings[demo.building_a.id]
    assert (first["houses"], first["unpaid"], first["contracts"]) == (72, 71, 1)
    assert sum(b["houses"] for b in buildings.values()) == session.scalar(
        select(func.count(House.id)).where(House.area_id == demo.area_a.id))
