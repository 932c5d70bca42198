"""补交 after an approved 房屋信息变更: the houses whose new amount due exceeds what they paid are
printed as a 交款通知单 of payment type 补交; a house on an unpaid notice is left off, saying why."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from app.errors import InvalidTransition, ValidationFailed
from app.models.order import BusinessOrder
from app.models.payment import PAY_OTHER, PAY_TOPUP, Notice
from app.models.property import House
from app.services.ledger import book_deposit
from app.services.orders import drafts, topups, workflow
from app.services.payments.notices import issue_custom_notices
from tests.test_orders_house_change import change_order, lift_houses

CENT = Decimal("0.01")


def approved_lift_change(session: Any, demo: Any) -> tuple[BusinessOrder, list[House], Notice]:
    """Three houses without a lift (50 yuan/m²) given one (90): the first paid in full, the
    second nothing, the third paid in full but holding an unpaid notice."""
    dev, officer = demo.users["dev_a"], demo.users["officer"]
    houses = lift_houses(session, demo, 3)
    for house in houses:
        house.has_lift = False
        house.amount_due = (house.building_area * 50).quantize(CENT)
    session.commit()
    for house in (houses[0], houses[2]):
        book_deposit(session, house, house.amount_due, notice_id=None, payment_type="bank",
                     value_date=dt.date(2026, 3, 1))
    session.commit()
    held = issue_custom_notices(session, demo.area_a, PAY_OTHER, {houses[2].id: Decimal("10.00")},
                                user_id=dev.id).notices[0]
    order = change_order(session, demo, houses)
    drafts.modify_lines(session, order.id, dev, None, {"has_lift": "1"})
    with pytest.raises(InvalidTransition):  # not approved yet
        topups.issue_topup_notice(session, order.id, dev)
    workflow.submit(session, order.id, dev)
    workflow.accept(session, order.id, officer, papers_checked=True)
    workflow.approve(session, order.id, officer)
    session.expire_all()
    return session.get(BusinessOrder, order.id), houses, held


def test_shortfalls_are_printed_as_one_topup_notice(session, demo):
    dev = demo.users["dev_a"]
    order, houses, held = approved_lift_change(session, demo)
    by_id = {s.house.id: s for s in topups.shortfalls(session, order)}
    area = {h.id: h.building_area for h in houses}
    assert by_id[houses[0].id].amount == (area[houses[0].id] * 40).quantize(CENT)
    assert by_id[houses[1].id].amount == (area[houses[1].id] * 90).quantize(CENT)
    assert by_id[houses[0].id].old_due == (area[houses[0].id] * 50).quantize(CENT)
    assert held.number in by_id[houses[2].id].reason
    assert not by_id[houses[0].id].reason and not by_id[houses[1].id].reason

    result = topups.issue_topup_notice(session, order.id, dev)
    notice = result.notices[0]
    assert len(result.notices) == 1 and notice.payment_type == PAY_TOPUP
    assert {line.house_id: line.amount for line in notice.lines} == {
        houses[0].id: by_id[houses[0].id].amount, houses[1].id: by_id[houses[1].id].amount}
    assert notice.total == by_id[houses[0].id].amount + by_id[houses[1].id].amount
    assert [s.house_id for s in result.skipped] == [houses[2].id]
    assert session.get(Notice, held.id).status == "unpaid"  # never voided by the top-up

    # Printed again: every shortfall is on an unpaid notice now; refused, nothing stored.
    count = session.scalar(select(func.count(Notice.id)))
    with pytest.raises(ValidationFailed) as caught:
        topups.issue_topup_notice(session, order.id, dev)
    assert {p.field for p in caught.value.problems} == {h.code for h in houses}
    assert any(notice.number in str(p.reason) for p in caught.value.problems)
    assert session.scalar(select(func.count(Notice.id))) == count


def test_a_shortfall_ends_once_the_house_has_paid(session, demo):
    dev, officer = demo.users["dev_a"], demo.users["officer"]
    houses = lift_houses(session, demo, 1)
    order = change_order(session, demo, houses)
    drafts.modify_lines(session, order.id, dev, None, {"has_lift": "0"})
    workflow.submit(session, order.id, dev)
    workflow.accept(session, order.id, officer, papers_checked=True)
    workflow.approve(session, order.id, officer)
    session.expire_all()
    order = session.get(BusinessOrder, order.id)
    # the house paid nothing: it owes its new (lower) amount due until it pays it
    assert [s.house.id for s in topups.shortfalls(session, order)] == [houses[0].id]
    book_deposit(session, session.get(House, houses[0].id),
                 session.get(House, houses[0].id).amount_due, notice_id=None,
                 payment_type="bank", value_date=dt.date(2026, 3, 1))
    session.commit()
    assert topups.shortfalls(session, order) == []
    with pytest.raises(ValidationFailed):
        topups.issue_topup_notice(session, order.id, dev)


def test_topup_views(dev_a_client, dev_b_client, session, demo):
    order, houses, held = approved_lift_change(session, demo)
    page = dev_a_client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "jm-topup-print" in page and held.number in page
    assert dev_b_client.post(f"/order-topup/{order.id}").status_code == 404
    answer = dev_a_client.post(f"/order-topup/{order.id}")
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["notices"][0]["houses"] == 2 and body["skipped"][0]["code"] == houses[2].code
    printed = dev_a_client.get(body["print_url"] + "?format=html")
    assert printed.status_code == 200
    assert body["notices"][0]["number"] in printed.get_data(as_text=True)
    again = dev_a_client.post(f"/order-topup/{order.id}")
    assert again.status_code == 422 and len(again.get_json()["problems"]) == 3


def test_the_approved_order_still_shows_its_amounts_due_before_and_after(session, demo):
    from app.services.orders.types import handler_for

    order, houses, _held = approved_lift_change(session, demo)
    table = handler_for(order.type).extra_tables(session, order)[0].table
    assert sorted(row[0] for row in table.rows) == sorted(h.code for h in houses)
    first = next(row for row in table.rows if row[0] == houses[0].code)
    assert first[1:3] == [f"{houses[0].building_area * 50:,.2f}",
                          f"{houses[0].building_area * 90:,.2f}"]
