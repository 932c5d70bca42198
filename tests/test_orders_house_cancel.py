"""房屋注销 (§1.3.8) on the general order engine: picked houses, refusals, the refund account,
approval that cancels the houses and owes their balance back without moving a cent."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from app.errors import NotFound, ValidationFailed
from app.models.audit import AuditLog
from app.models.ledger import LedgerEntry
from app.models.order import HOUSE_CANCEL, BusinessOrder
from app.models.outbox import OutboxMessage
from app.models.payment import NOTICE_UNPAID, Notice, NoticeLine, Refund
from app.models.property import HOUSE_CANCELLED, HOUSE_OPEN, House
from app.services.ledger import balances, book_deposit
from app.services.orders import drafts, staging, workflow
from app.services.orders.drafts import AgentInput, DraftInput, save_draft

AGENT = AgentInput(name="李敏", phone="13800138001", id_type="01", id_no="11010519491231002X")
ACCOUNT = {"refund_account_name": "江门市华信房地产开发有限公司", "refund_bank_name": "中国银行江门分行",
           "refund_account_no": "6216 6102 0000 1234 567"}


def area_houses(session: Any, demo: Any, n: int = 3) -> list[House]:
    return list(session.scalars(select(House).where(House.area_id == demo.area_a.id,
                                                    House.status == HOUSE_OPEN)
                                .order_by(House.id).limit(n)))


def cancel_order(session: Any, demo: Any, houses: list[House], **fields: Any) -> BusinessOrder:
    dev = demo.users["dev_a"]
    order = save_draft(session, dev, HOUSE_CANCEL, DraftInput(
        agent=AGENT, reason="房屋灭失", fields={"area_id": demo.area_a.id, **fields}))
    drafts.pick_rows(session, order.id, dev, [h.id for h in houses])
    return session.get(BusinessOrder, order.id)


def pay(session: Any, house: House, amount: str) -> None:
    book_deposit(session, house, Decimal(amount), notice_id=None, payment_type="bank",
                 value_date=dt.date(2026, 3, 1))
    session.commit()


def test_houses_are_picked_as_cancel_lines_and_locked_on_submit(session, demo):
    houses = area_houses(session, demo)
    order = cancel_order(session, demo, houses)
    lines = staging.changes(session, order.id, staging.HOUSE)
    assert [t for _s, t, _b, _a in lines] == sorted(
        [h.id for h in houses], key=[t for _s, t, _b, _a in lines].index)
    assert {after["status"] for _s, _t, _b, after in lines} == {HOUSE_CANCELLED}
    assert {before["code"] for _s, _t, before, _a in lines} == {h.code for h in houses}
    dev = demo.users["dev_a"]
    assert drafts.pick_rows(session, order.id, dev, [houses[0].id]) == 0  # not twice
    with pytest.raises(NotFound):  # another organisation's house
        drafts.pick_rows(session, order.id, dev, [demo.house_b.id])
    workflow.submit(session, order.id, dev)
    session.expire_all()
    assert {session.get(House, h.id).locked_by_order_id for h in houses} == {order.id}


def test_held_cancelled_and_noticed_houses_cannot_be_added(session, demo):
    dev = demo.users["dev_a"]
    first_houses = area_houses(session, demo, 2)
    first = cancel_order(session, demo, first_houses[:1])
    workflow.submit(session, first.id, dev)
    noticed = area_houses(session, demo, 4)[3]
    notice = Notice(org_id=demo.org_a.id, number="JK202611300001", area_id=demo.area_a.id,
                    payer_type="developer", payer_name="华信", total=Decimal("100.00"),
                    status=NOTICE_UNPAID)
    session.add(notice)
    session.flush()
    session.add(NoticeLine(org_id=demo.org_a.id, notice_id=notice.id, house_id=noticed.id,
                           amount=Decimal("100.00")))
    session.commit()
    second = save_draft(session, dev, HOUSE_CANCEL, DraftInput(
        agent=AGENT, fields={"area_id": demo.area_a.id}))
    lines_before = staging.count_lines(session, second.id)
    with pytest.raises(ValidationFailed) as caught:
        drafts.pick_rows(session, second.id, dev, [first_houses[0].id, noticed.id])
    reasons = {p.field: str(p.reason) for p in caught.value.problems}
    assert first.number in reasons[first_houses[0].code]
    assert "JK202611300001" in reasons[noticed.code]
    assert staging.count_lines(session, second.id) == lines_before == 0  # nothing stored


def test_a_balance_needs_a_valid_refund_account_before_submit(session, demo):
    dev = demo.users["dev_a"]
    houses = area_houses(session, demo, 2)
    pay(session, houses[0], "1234.56")
    order = cancel_order(session, demo, houses)
    with pytest.raises(ValidationFailed) as caught:
        workflow.submit(session, order.id, dev)
    assert {p.field for p in caught.value.problems} >= set(ACCOUNT)
    with pytest.raises(ValidationFailed) as caught:  # a bad number is named, nothing is stored
        save_draft(session, dev, HOUSE_CANCEL, DraftInput(
            agent=AGENT, reason="房屋灭失", fields={"area_id": demo.area_a.id, **ACCOUNT,
                                                 "refund_account_no": "12ab"}), order_id=order.id)
    assert [p.field for p in caught.value.problems] == ["refund_account_no"]
    session.expire_all()
    assert not (session.get(BusinessOrder, order.id).payload or {}).get("refund_account_no")
    assert session.get(BusinessOrder, order.id).status == "draft"


def test_approval_cancels_the_houses_and_owes_the_balance_without_moving_money(session, demo):
    dev, officer = demo.users["dev_a"], demo.users["officer"]
    houses = area_houses(session, demo, 3)
    pay(session, houses[0], "1234.56")
    pay(session, houses[1], "0.01")
    houses[0].trade_house_code = "TH-CANCEL-1"
    session.commit()
    ledger_rows = session.scalar(select(func.count(LedgerEntry.id)))
    ledger_sum = session.scalar(select(func.sum(LedgerEntry.amount)))
    held = balances(session, [h.id for h in houses])
    order = cancel_order(session, demo, houses, **ACCOUNT)
    workflow.submit(session, order.id, dev)
    workflow.accept(session, order.id, officer, papers_checked=True)
    workflow.approve(session, order.id, officer)
    session.expire_all()
    for house in houses:
        house = session.get(House, house.id)
        assert house.status == HOUSE_CANCELLED and house.closed_at is not None
        assert house.locked_by_order_id is None
    refunds = session.scalars(select(Refund).where(Refund.order_id == order.id)
                              .order_by(Refund.house_id)).all()
    assert {r.house_id: r.amount for r in refunds} == {
        houses[0].id: Decimal("1234.56"), houses[1].id: Decimal("0.01")}
    assert {(r.account_name, r.bank_name, r.account_no) for r in refunds} == {
        (ACCOUNT["refund_account_name"], ACCOUNT["refund_bank_name"], "6216610200001234567")}
    # No cent created or lost: the ledger is untouched, and what is owed is exactly what was held.
    assert session.scalar(select(func.count(LedgerEntry.id))) == ledger_rows
    assert session.scalar(select(func.sum(LedgerEntry.amount))) == ledger_sum
    assert sum(r.amount for r in refunds) == sum(b.balance for b in held.values())
    assert balances(session, [h.id for h in houses]) == held
    push = session.scalars(select(OutboxMessage).where(OutboxMessage.house_code == "TH-CANCEL-1")).one()
    assert push.payload["status"] != "" and push.payload["amount_paid"] == "1234.56"
    assert session.scalar(select(func.count(AuditLog.id)).where(
        AuditLog.action == "house_cancelled")) == 3


def test_approval_refuses_a_house_changed_since_it_was_picked(session, demo):
    dev, officer = demo.users["dev_a"], demo.users["officer"]
    houses = area_houses(session, demo, 2)
    order = cancel_order(session, demo, houses)
    workflow.submit(session, order.id, dev)
    workflow.accept(session, order.id, officer, papers_checked=True)
    session.get(House, houses[1].id).amount_due += Decimal("1.00")
    session.commit()
    with pytest.raises(ValidationFailed) as caught:
        workflow.approve(session, order.id, officer)
    assert caught.value.problems[0].field == houses[1].code
    session.expire_all()
    assert session.get(BusinessOrder, order.id).status == "accepted"
    assert {session.get(House, h.id).status for h in houses} == {HOUSE_OPEN}  # all or nothing


def test_house_cancel_views_pick_review_and_print(dev_a_client, officer_client, session, demo):
    houses = area_houses(session, demo, 2)
    pay(session, houses[0], "500.00")
    form = {"area_id": demo.area_a.id, "agent_name": "李敏", "agent_phone": "13800138001",
            "agent_id_type": "01", "agent_id_no": "11010519491231002X", "reason": "房屋灭失",
            **ACCOUNT}
    page = dev_a_client.get("/order-form/house-cancel").get_data(as_text=True)
    assert 'data-mode="houses"' in page and "refund_account_no" in page
    response = dev_a_client.post("/order-form/house-cancel", data={**form, "action": "save"})
    order_id = int(response.headers["Location"].split("/")[-2])
    picked = dev_a_client.post(f"/order-form/{order_id}/pick", json={"ids": [h.id for h in houses]})
    assert picked.status_code == 200 and picked.get_json() == {"added": 2}
    other = dev_a_client.post(f"/order-form/{order_id}/pick", json={"ids": [demo.house_b.id]})
    assert other.status_code == 404
    page = dev_a_client.get(f"/order-form/{order_id}/edit").get_data(as_text=True)
    assert houses[0].code in page and "jm-extra-refunds" in page and "500.00" in page
    dev_a_client.post(f"/order-form/{order_id}/edit", data={**form, "action": "submit"})
    assert session.get(BusinessOrder, order_id).status == "submitted"
    review = officer_client.get(f"/review/{order_id}").get_data(as_text=True)
    assert houses[1].code in review and "jm-changed" in review
    application = officer_client.get(f"/review/{order_id}/print/application.html").get_data(as_text=True)
    assert houses[0].code in application
    assert "6216610200001234567" in application
    refund = officer_client.get(f"/review/{order_id}/print/refund.html")
    assert refund.status_code == 200 and "500.00" in refund.get_data(as_text=True)
    assert "6216610200001234567" in refund.get_data(as_text=True)
    session.expire_all()
    form = workflow.handler_for(HOUSE_CANCEL).refund_form(session, session.get(BusinessOrder, order_id))
    assert form.applied_on is not None and form.total == Decimal("500.00")
    assert [line.house_code for line in form.lines] == [houses[0].code]
