"""房屋信息变更 (§1.3.6) on the general order engine: picked houses, 批量修改 of the manual's six
fields, one house's edit, amounts due before and after, refunds with their account, approval."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from app.errors import NotFound, ValidationFailed
from app.models.ledger import LedgerEntry
from app.models.order import HOUSE_CHANGE, BusinessOrder
from app.models.payment import Refund
from app.models.property import HOUSE_OPEN, Building, House
from app.services.ledger import balances, book_deposit
from app.services.orders import drafts, staging, workflow
from app.services.orders.drafts import AgentInput, DraftInput, save_draft

AGENT = AgentInput(name="李敏", phone="13800138001", id_type="01", id_no="11010519491231002X")
ACCOUNT = {"refund_account_name": "江门市华信置业有限公司", "refund_bank_name": "中国银行江门分行",
           "refund_account_no": "6216610200001234567"}


def lift_houses(session: Any, demo: Any, n: int = 2) -> list[House]:
    """Residential lift houses of the demo building (18 storeys: 90 yuan/m²)."""
    houses = list(session.scalars(select(House).where(House.building_id == demo.building_a.id,
                                                      House.status == HOUSE_OPEN)
                                  .order_by(House.id).limit(n)))
    for house in houses:
        house.use_code, house.has_lift = "residential", True
        house.amount_due = (house.building_area * Decimal("90")).quantize(Decimal("0.01"))
    session.commit()
    return houses


def change_order(session: Any, demo: Any, houses: list[House], **fields: Any) -> BusinessOrder:
    dev = demo.users["dev_a"]
    order = save_draft(session, dev, HOUSE_CHANGE, DraftInput(
        agent=AGENT, reason="电梯登记有误", fields={"area_id": demo.area_a.id, **fields}))
    drafts.pick_rows(session, order.id, dev, [h.id for h in houses])
    return session.get(BusinessOrder, order.id)


def test_batch_modify_sets_the_manuals_fields_and_checks_them(session, demo):
    dev = demo.users["dev_a"]
    houses = lift_houses(session, demo)
    order = change_order(session, demo, houses)
    with pytest.raises(NotFound):
        drafts.pick_rows(session, order.id, dev, [demo.house_b.id])
    with pytest.raises(ValidationFailed) as caught:
        drafts.modify_lines(session, order.id, dev, None, {"use_code": "castle", "has_lift": "x",
                                                          "building": "不存在的楼"})
    assert {p.field for p in caught.value.problems} == {"use_code", "has_lift", "building"}
    assert drafts.modify_lines(session, order.id, dev, None,
                               {"sales_status": "已售", "building_area": "1"}) == 2
    afters = [after for _s, _t, _b, after in staging.changes(session, order.id, staging.HOUSE)]
    assert {a["sales_status"] for a in afters} == {"已售"}
    assert [a["building_area"] for a in afters] == [f"{h.building_area:.2f}" for h in houses]


def test_less_due_turns_the_excess_into_a_refund_with_its_account(session, demo):
    dev, officer = demo.users["dev_a"], demo.users["officer"]
    houses = lift_houses(session, demo)
    paid_house = houses[0]
    book_deposit(session, paid_house, paid_house.amount_due, notice_id=None, payment_type="bank",
                 value_date=dt.date(2026, 3, 1))
    session.commit()
    ledger_sum = session.scalar(select(func.sum(LedgerEntry.amount)))
    order = change_order(session, demo, houses)
    drafts.modify_lines(session, order.id, dev, None, {"has_lift": "0"})
    with pytest.raises(ValidationFailed) as caught:  # a refund needs its account
        workflow.submit(session, order.id, dev)
    assert {"refund_account_name", "refund_bank_name", "refund_account_no"} <= {
        p.field for p in caught.value.problems}
    save_draft(session, dev, HOUSE_CHANGE, DraftInput(
        agent=AGENT, reason="电梯登记有误", fields={"area_id": demo.area_a.id, **ACCOUNT}),
        order_id=order.id, then="submit")
    handler = workflow.handler_for(HOUSE_CHANGE)
    impacts, _unpriced = handler.impacts(session, order)
    printed = [value for _label, value in handler.form_content(session, order).totals]
    assert printed[2] == f"{sum(i.new_due - i.old_due for i in impacts):+,.2f}"  # Difference
    assert printed[3] == f"{sum(i.refund for i in impacts):,.2f}" != "0.00"  # Refunds
    workflow.accept(session, order.id, officer, papers_checked=True)
    workflow.approve(session, order.id, officer)
    session.expire_all()
    for house in houses:
        house = session.get(House, house.id)
        assert not house.has_lift and house.locked_by_order_id is None
        assert house.amount_due == (house.building_area * Decimal("50")).quantize(Decimal("0.01"))
    refund = session.scalars(select(Refund).where(Refund.order_id == order.id)).one()
    new_due = session.get(House, paid_house.id).amount_due
    paid = balances(session, [paid_house.id])[paid_house.id].balance
    assert (refund.house_id, refund.amount) == (paid_house.id, paid - new_due)
    assert refund.account_no == ACCOUNT["refund_account_no"]
    assert session.scalar(select(func.sum(LedgerEntry.amount))) == ledger_sum  # no money moves
    form = handler.refund_form(session, session.get(BusinessOrder, order.id))
    assert form.total == refund.amount


def test_one_house_is_moved_to_another_building_and_clashes_are_refused(session, demo):
    dev, officer = demo.users["dev_a"], demo.users["officer"]
    house = lift_houses(session, demo, 1)[0]
    other = session.scalars(select(Building).where(Building.area_id == demo.area_a.id,
                                                   Building.id != demo.building_a.id)
                            .order_by(Building.id)).first()
    order = change_order(session, demo, [house])
    seq = staging.changes(session, order.id, staging.HOUSE)[0][0]
    clash = session.scalar(select(House).where(House.building_id == other.id,
                                               House.unit == house.unit, House.floor == house.floor,
                                               House.room == house.room))
    assert clash is not None  # the demo's buildings repeat their rooms
    drafts.modify_lines(session, order.id, dev, [seq], {"building": other.name})
    with pytest.raises(ValidationFailed) as caught:
        workflow.submit(session, order.id, dev)
    assert house.code in {p.field for p in caught.value.problems}
    drafts.modify_lines(session, order.id, dev, [seq], {"unit": "9"})
    drafts.modify_lines(session, order.id, dev, [seq], {"address": "江门市蓬江区华信路88号改"})
    workflow.submit(session, order.id, dev)
    workflow.accept(session, order.id, officer, papers_checked=True)
    workflow.approve(session, order.id, officer)
    session.expire_all()
    moved = session.get(House, house.id)
    assert (moved.building_id, moved.unit, moved.address) == (other.id, "9", "江门市蓬江区华信路88号改")


def test_house_change_views_pick_modify_review(dev_a_client, officer_client, session, demo):
    houses = lift_houses(session, demo, 1)
    form = {"area_id": demo.area_a.id, "agent_name": "李敏", "agent_phone": "13800138001",
            "agent_id_type": "01", "agent_id_no": "11010519491231002X", "reason": "电梯登记有误"}
    response = dev_a_client.post("/order-form/house-change", data={**form, "action": "save"})
    order_id = int(response.headers["Location"].split("/")[-2])
    assert dev_a_client.post(f"/order-form/{order_id}/pick",
                             json={"ids": [houses[0].id]}).get_json() == {"added": 1}
    bad = dev_a_client.post(f"/order-form/{order_id}/modify",
                            json={"seqs": None, "values": {"use_code": "castle"}})
    assert bad.status_code == 422 and bad.get_json()["problems"][0]["field"] == "use_code"
    ok = dev_a_client.post(f"/order-form/{order_id}/modify",
                           json={"seqs": None, "values": {"has_lift": "0"}})
    assert ok.get_json() == {"changed": 1}
    page = dev_a_client.get(f"/order-form/{order_id}/edit").get_data(as_text=True)
    assert "jm-batch-open" in page and "jm-extra-impacts" in page and "jm-line-edit" in page
    dev_a_client.post(f"/order-form/{order_id}/edit", data={**form, "action": "submit"})
    assert session.get(BusinessOrder, order_id).status == "submitted"
    review = officer_client.get(f"/review/{order_id}").get_data(as_text=True)
    assert "jm-changed" in review and "jm-extra-impacts" in review
