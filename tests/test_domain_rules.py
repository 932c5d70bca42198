"""Rules written once: the person/agent check, the row-id bound, Jiangmen's calendar, the building
floors a standard is looked up with, and the ledger balance SQL."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import undefer

from app.domain.ids import MAX_ID, fits_integer, row_id
from app.domain.localtime import (local_date, local_day_start_utc, local_time_text, local_today,
                                  to_local)
from app.domain.validators import agent_problems, person_problems
from app.models.property import Building, House
from app.services.accounts import building_floors
from app.services.ledger import book_deposit, book_refund, paid_by_house, paid_totals

ID_NO = "11010519491231002X"


# ------------------------------------------------------------------------------ person and agent

def _parts(problems: list) -> set[str]:
    return {part for part, _message in problems}


def test_a_valid_person_has_no_problems() -> None:
    assert person_problems("李敏", "13800138000", "01", ID_NO) == []
    assert person_problems("Anna Lee", "0750-3501234", "02", "E12345678") == []


def test_every_wrong_part_is_named() -> None:
    assert _parts(person_problems("", "12", "01", "110105194912310021")) == {"name", "phone", "id_no"}
    assert _parts(person_problems("李敏", "13800138000", "", "")) == {"id_type", "id_no"}
    assert _parts(person_problems("李敏", "13800138000", "77", ID_NO)) == {"id_type"}


def test_a_person_without_phone_leaves_the_phone_out() -> None:
    assert person_problems("李敏", None, "01", ID_NO) == []
    assert _parts(person_problems("123", None, "01", "")) == {"name", "id_no"}


def test_a_draft_judges_only_what_was_typed() -> None:
    assert person_problems("", "", "01", "", required=False) == []
    assert _parts(person_problems("", "12", "01", "", required=False)) == {"phone"}


def test_agent_problems_name_the_agent_fields() -> None:
    problems = agent_problems("", "13800138000", "01", "123")
    assert [p.field for p in problems] == ["agent_name", "agent_id_no"]
    assert agent_problems("李敏", "13800138000", "01", ID_NO) == []
    assert agent_problems("", "", "01", "", required=False) == []


# ----------------------------------------------------------------------------------------- ids

@pytest.mark.parametrize("value, expected", [
    (1, 1), ("42", 42), (" 7 ", 7), (MAX_ID, MAX_ID), (str(MAX_ID), MAX_ID),
    (MAX_ID + 1, None), (2**31, None), (0, None), (-1, None), ("abc", None), (None, None),
    ("", None), (True, None), ("1e3", None),
])
def test_row_id(value: object, expected: int | None) -> None:
    assert row_id(value) == expected


def test_fits_integer() -> None:
    assert fits_integer(MAX_ID) and fits_integer(-MAX_ID - 1) and fits_integer(0)
    assert not fits_integer(MAX_ID + 1) and not fits_integer(-MAX_ID - 2)


def test_ids_beyond_integer_are_not_found(dev_a_client, session, demo) -> None:
    from app.security.tenant import get_owned

    for house_id in (MAX_ID + 1, 2**40):
        answer = dev_a_client.post(f"/payments/owners/house/{house_id}", json={"owners": []})
        assert answer.status_code == 404
    # Within the bound the same route answers (here: no owners given).
    assert dev_a_client.post(f"/payments/owners/house/{demo.house_a.id}",
                             json={"owners": []}).status_code == 422
    with dev_a_client.application.test_request_context():
        assert get_owned(session, House, str(MAX_ID + 1)) is None
        assert get_owned(session, House, True) is None


# ----------------------------------------------------------------------------------- local time

def test_stored_utc_times_become_jiangmen_dates() -> None:
    evening_utc = dt.datetime(2026, 3, 1, 20, 30)  # 04:30 on 2 March in Jiangmen
    assert local_date(evening_utc) == dt.date(2026, 3, 2)
    assert local_date(dt.datetime(2026, 3, 1, 15, 59)) == dt.date(2026, 3, 1)
    assert local_date(None) is None
    assert local_time_text(evening_utc) == "2026-03-02 04:30"
    assert local_time_text(None) == ""
    assert to_local(evening_utc).utcoffset() == dt.timedelta(hours=8)


def test_a_local_day_starts_at_16_utc_the_day_before() -> None:
    assert local_day_start_utc(dt.date(2026, 3, 2)) == dt.datetime(2026, 3, 1, 16, 0)


def test_local_today_follows_the_local_calendar() -> None:
    now_utc = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    assert local_today() in (local_date(now_utc), local_date(now_utc + dt.timedelta(seconds=5)))


# ------------------------------------------------------------------------------ building floors

def test_building_floors_register_wins_and_new_buildings_are_added(session, demo) -> None:
    registered = {name: count for name, count in session.execute(
        select(Building.name, Building.floors).where(Building.area_id == demo.area_a.id))}
    name = demo.building_a.name
    floors = building_floors(session, demo.area_a.id, {name: 99, "新楼": 12})
    assert floors == {**registered, "新楼": 12}
    assert floors[name] == demo.building_a.floors
    assert building_floors(session, None, {"新楼": 12}) == {"新楼": 12}
    assert building_floors(session, None) == {}


# ---------------------------------------------------------------------------------- ledger SQL

def test_every_balance_query_agrees(session, demo) -> None:
    houses = session.scalars(select(House).where(House.building_id == demo.building_a.id)
                             .order_by(House.id).limit(2)).all()
    book_deposit(session, houses[0], Decimal("100.10"), notice_id=None, payment_type="first",
                 value_date=dt.date(2026, 3, 2))
    book_refund(session, houses[0], Decimal("0.05"), refund_id=None)
    book_deposit(session, houses[1], Decimal("5"), notice_id=None, payment_type="first",
                 value_date=dt.date(2026, 3, 2))
    session.commit()
    paid = paid_by_house(House.building_id == demo.building_a.id)
    by_house = {house_id: total for house_id, total in session.execute(select(paid.c.house_id,
                                                                               paid.c.paid))}
    assert {k: Decimal(v).quantize(Decimal("0.01")) for k, v in by_house.items()} == {
        houses[0].id: Decimal("100.05"), houses[1].id: Decimal("5.00")}
    assert paid_totals(session, House.building_id, [demo.building_a.id, demo.building_b.id]) == {
        demo.building_a.id: Decimal("105.05")}
    assert paid_totals(session, House.area_id, []) == {}
    balance = session.scalar(select(House).where(House.id == houses[0].id)
                             .options(undefer(House.balance)).execution_options(populate_existing=True)
                             ).balance
    assert Decimal(balance) == Decimal("100.05")
    empty = session.scalar(select(func.count()).select_from(paid_by_house(House.id == -1)))
    assert empty == 0
