"""房屋权属批量变更 (§1.3.7) on the general order engine: picked houses with their owners, the
编辑业主 edit of one house checked like every owner list, approval replacing the owners."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from app.errors import NotFound, ValidationFailed
from app.models.audit import AuditLog
from app.models.order import OWNERSHIP_CHANGE, BusinessOrder
from app.models.property import HOUSE_OPEN, House, Owner
from app.services.orders import drafts, staging, workflow
from app.services.orders.drafts import AgentInput, DraftInput, save_draft

AGENT = AgentInput(name="李敏", phone="13800138001", id_type="01", id_no="11010519491231002X")
NEW_OWNERS = [
    {"name": "张伟", "id_type": "01", "id_no": "11010519491231002X", "phone": "13800138002",
     "share": "60"},
    {"name": "王芳", "id_type": "02", "id_no": "E12345678", "phone": "0750-3201234", "share": "40"},
]


def area_houses(session: Any, demo: Any, n: int = 2) -> list[House]:
    return list(session.scalars(select(House).where(House.area_id == demo.area_a.id,
                                                    House.status == HOUSE_OPEN)
                                .order_by(House.id).limit(n)))


def ownership_order(session: Any, demo: Any, houses: list[House]) -> BusinessOrder:
    dev = demo.users["dev_a"]
    order = save_draft(session, dev, OWNERSHIP_CHANGE, DraftInput(
        agent=AGENT, reason="产权转移", fields={"area_id": demo.area_a.id}))
    drafts.pick_rows(session, order.id, dev, [h.id for h in houses])
    return session.get(BusinessOrder, order.id)


def test_houses_are_picked_with_their_owners(session, demo):
    houses = area_houses(session, demo)
    order = ownership_order(session, demo, houses)
    lines = staging.changes(session, order.id, staging.HOUSE)
    assert [t for _s, t, _b, _a in lines] and all(b == a for _s, _t, b, a in lines)
    first = session.get(House, lines[0][1])
    assert [o["name"] for o in lines[0][2]["owners"]] == [o.name for o in first.owners]
    with pytest.raises(NotFound):
        drafts.pick_rows(session, order.id, demo.users["dev_a"], [demo.house_b.id])


def test_owner_rows_are_checked_and_a_refusal_stores_nothing(session, demo):
    dev = demo.users["dev_a"]
    order = ownership_order(session, demo, area_houses(session, demo, 1))
    seq = staging.changes(session, order.id, staging.HOUSE)[0][0]
    bad = [{"name": "张伟", "id_type": "01", "id_no": "110105194912310021", "phone": "123",
            "share": "60"},
           {"name": "", "id_type": "01", "id_no": "11010519491231002X", "phone": "13800138002",
            "share": "abc"}]
    with pytest.raises(ValidationFailed) as caught:
        drafts.modify_lines(session, order.id, dev, [seq], {"owners": bad})
    found = {(p.row, p.field) for p in caught.value.problems}
    assert {(1, "id_no"), (1, "phone"), (2, "name"), (2, "share")} <= found
    with pytest.raises(ValidationFailed):  # shares above 100 in all
        drafts.modify_lines(session, order.id, dev, [seq], {"owners": [
            {**NEW_OWNERS[0], "share": "70"}, NEW_OWNERS[1]]})
    with pytest.raises(ValidationFailed):  # one house at a time
        drafts.modify_lines(session, order.id, dev, None, {"owners": NEW_OWNERS})
    (_s, _t, before, after), = staging.changes(session, order.id, staging.HOUSE)
    assert before == after
    with pytest.raises(ValidationFailed) as caught:  # nothing changed yet
        workflow.submit(session, order.id, dev)
    assert caught.value.problems[0].field == before["code"]


def test_approval_replaces_the_owners_and_audits_them(session, demo):
    dev, officer = demo.users["dev_a"], demo.users["officer"]
    houses = area_houses(session, demo, 2)
    old_names = [o.name for o in houses[1].owners]
    order = ownership_order(session, demo, houses)
    lines = staging.changes(session, order.id, staging.HOUSE)
    by_house = {t: s for s, t, _b, _a in lines}
    assert drafts.modify_lines(session, order.id, dev, [by_house[houses[0].id]],
                               {"owners": NEW_OWNERS}) == 1
    drafts.modify_lines(session, order.id, dev, [by_house[houses[1].id]],
                        {"owners": [{**NEW_OWNERS[1], "share": ""}]})
    workflow.submit(session, order.id, dev)
    assert session.get(House, houses[0].id).locked_by_order_id == order.id
    workflow.accept(session, order.id, officer, papers_checked=True)
    workflow.approve(session, order.id, officer)
    session.expire_all()
    first = session.get(House, houses[0].id)
    assert [(o.name, o.id_type, o.id_no, o.phone, o.share) for o in first.owners] == [
        ("张伟", "01", "11010519491231002X", "13800138002", Decimal("60.00")),
        ("王芳", "02", "E12345678", "0750-3201234", Decimal("40.00"))]
    second = session.get(House, houses[1].id)
    assert [(o.name, o.share) for o in second.owners] == [("王芳", None)]
    audits = session.scalars(select(AuditLog).where(AuditLog.action == "house.owners",
                                                    AuditLog.object_id == houses[1].id)).all()
    assert [o["name"] for o in audits[-1].detail["before"]] == old_names
    assert first.locked_by_order_id is None


def test_approval_refuses_owners_changed_since_the_house_was_picked(session, demo):
    dev, officer = demo.users["dev_a"], demo.users["officer"]
    houses = area_houses(session, demo, 1)
    order = ownership_order(session, demo, houses)
    seq = staging.changes(session, order.id, staging.HOUSE)[0][0]
    drafts.modify_lines(session, order.id, dev, [seq], {"owners": NEW_OWNERS})
    workflow.submit(session, order.id, dev)
    workflow.accept(session, order.id, officer, papers_checked=True)
    house = session.get(House, houses[0].id)
    house.owners.append(Owner(org_id=house.org_id, seq=9, name="赵六", id_type="02",
                              id_no="G87654321", phone="13900139000"))
    session.commit()
    owners_before = session.scalar(select(func.count(Owner.id)).where(Owner.house_id == house.id))
    with pytest.raises(ValidationFailed) as caught:
        workflow.approve(session, order.id, officer)
    assert caught.value.problems[0].field == house.code
    session.expire_all()
    assert session.scalar(select(func.count(Owner.id)).where(
        Owner.house_id == house.id)) == owners_before  # all or nothing


def test_ownership_views_pick_edit_and_review(dev_a_client, officer_client, session, demo):
    houses = area_houses(session, demo, 1)
    form = {"area_id": demo.area_a.id, "agent_name": "李敏", "agent_phone": "13800138001",
            "agent_id_type": "01", "agent_id_no": "11010519491231002X", "reason": "产权转移"}
    response = dev_a_client.post("/order-form/ownership-change", data={**form, "action": "save"})
    order_id = int(response.headers["Location"].split("/")[-2])
    assert dev_a_client.post(f"/order-form/{order_id}/pick",
                             json={"ids": [houses[0].id]}).get_json() == {"added": 1}
    seq = staging.changes(session, order_id, staging.HOUSE)[0][0]
    bad = dev_a_client.post(f"/order-form/{order_id}/modify",
                            json={"seqs": [seq], "values": {"owners": [{**NEW_OWNERS[0],
                                                                        "phone": "12"}]}})
    assert bad.status_code == 422
    assert bad.get_json()["problems"][0]["field"] == "phone"
    ok = dev_a_client.post(f"/order-form/{order_id}/modify",
                           json={"seqs": [seq], "values": {"owners": NEW_OWNERS}})
    assert ok.get_json() == {"changed": 1}
    page = dev_a_client.get(f"/order-form/{order_id}/edit").get_data(as_text=True)
    assert "jm-owners-modal" in page and "jm-line-edit" in page and "张伟" in page
    dev_a_client.post(f"/order-form/{order_id}/edit", data={**form, "action": "submit"})
    assert session.get(BusinessOrder, order_id).status == "submitted"
    review = officer_client.get(f"/review/{order_id}").get_data(as_text=True)
    assert "张伟" in review and "jm-changed" in review
    printed = officer_client.get(f"/review/{order_id}/print/application.html").get_data(as_text=True)
    assert houses[0].code in printed and "张伟、王芳" in printed


def test_earlier_owners_are_shown_on_the_house_page(dev_a_client, dev_b_client, session, demo):
    dev, officer = demo.users["dev_a"], demo.users["officer"]
    house = area_houses(session, demo, 1)[0]
    house.owners = [Owner(org_id=house.org_id, seq=1, name="赵六", id_type="02", id_no="G87654321",
                          phone="13900139000")]
    session.commit()
    order = ownership_order(session, demo, [house])
    seq = staging.changes(session, order.id, staging.HOUSE)[0][0]
    drafts.modify_lines(session, order.id, dev, [seq], {"owners": NEW_OWNERS})
    workflow.submit(session, order.id, dev)
    workflow.accept(session, order.id, officer, papers_checked=True)
    workflow.approve(session, order.id, officer)
    page = dev_a_client.get(f"/property/houses/show/{house.id}").get_data(as_text=True)
    history = page[page.index('id="jm-ownership-history"'):]
    assert "赵六" in history and "G87654321" in history and order.number in history
    assert "张伟" in page[:page.index('id="jm-ownership-history"')]  # the owners now
    assert dev_b_client.get(f"/property/houses/show/{house.id}").status_code == 404
