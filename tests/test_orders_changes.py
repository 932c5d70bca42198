"""物业区域变更 (§1.3.2) and 楼幢变更 (§1.3.3) on the general order engine: change lines with
before snapshots, no-review completion, picked buildings, batch modify, amounts due and refunds."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from app.errors import NotFound, ValidationFailed
from app.models.audit import AuditLog
from app.models.ledger import LedgerEntry
from app.models.order import (APPROVED, AREA_CHANGE, BUILDING_CHANGE, BusinessOrder, OrderLine)
from app.models.payment import Refund
from app.models.property import Building, House, PropertyArea
from app.services.ledger import balances, book_deposit
from app.services.orders import drafts, staging, workflow
from app.services.orders.drafts import AgentInput, DraftInput, save_draft
from app.services.orders.types.area_change import snapshot

AGENT = AgentInput(name="李敏", phone="13800138001", id_type="01", id_no="11010519491231002X")


def area_fields(area: PropertyArea, **changes: str) -> dict[str, Any]:
    """Every field as the form posts it: the area's current data with ``changes``."""
    values = {**snapshot(area), **changes}
    return {"area_id": area.id, "area": values}


# ---------------------------------------------------------------- 物业区域变更

def test_area_change_is_completed_on_save_with_before_and_after(session, demo):
    dev = demo.users["dev_a"]
    old_name = demo.area_a.name
    order = save_draft(session, dev, AREA_CHANGE, DraftInput(
        agent=AGENT, reason="小区更名", fields=area_fields(demo.area_a, name="华信·翠苑二期",
                                                       address="江门市蓬江区新地址8号")))
    session.expire_all()
    order = session.get(BusinessOrder, order.id)
    assert order.status == APPROVED and order.number.startswith("QB")
    area = session.get(PropertyArea, demo.area_a.id)
    assert area.name == "华信·翠苑二期" and area.address == "江门市蓬江区新地址8号"
    line = session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)).one()
    assert (line.action, line.target, line.target_id) == ("update", "area", area.id)
    assert line.before["name"] == old_name and line.after["name"] == "华信·翠苑二期"
    audit = session.scalars(select(AuditLog).where(AuditLog.action == "area_changed")).one()
    assert audit.detail["changes"]["name"] == [old_name, "华信·翠苑二期"]
    assert [h.to_status for h in order.history] == ["draft", "approved"]


def test_area_change_refusals_store_nothing(session, demo):
    dev = demo.users["dev_a"]
    before = session.scalar(select(func.count(BusinessOrder.id)))
    with pytest.raises(ValidationFailed) as caught:
        save_draft(session, dev, AREA_CHANGE, DraftInput(
            agent=AGENT, fields=area_fields(demo.area_a, name="", district_code="999999")))
    assert {p.field for p in caught.value.problems} >= {"area.name", "area.district_code"}
    with pytest.raises(ValidationFailed) as caught:  # nothing changed
        save_draft(session, dev, AREA_CHANGE, DraftInput(agent=AGENT, fields=area_fields(demo.area_a)))
    with pytest.raises(ValidationFailed):  # another organisation's area is not a choice
        save_draft(session, dev, AREA_CHANGE, DraftInput(
            agent=AGENT, fields=area_fields(demo.area_b, name="别人的小区")))
    assert session.scalar(select(func.count(BusinessOrder.id))) == before
    assert session.get(PropertyArea, demo.area_b.id).name != "别人的小区"


def test_area_change_views_prefill_and_complete(dev_a_client, session, demo):
    page = dev_a_client.get(f"/order-form/area-change?area_id={demo.area_a.id}").get_data(as_text=True)
    assert f'value="{demo.area_a.address}"' in page
    other = dev_a_client.get(f"/order-form/area-change?area_id={demo.area_b.id}").get_data(as_text=True)
    assert demo.area_b.address not in other  # never another organisation's data
    form = {**{f"area.{k}": v for k, v in snapshot(demo.area_a).items()},
            "area_id": demo.area_a.id, "area.address": "江门市蓬江区改址1号", "agent_name": "李敏", "agent_phone": "13800138001", "agent_id_type": "01",
            "agent_id_no": "11010519491231002X", "action": "save"}
    response = dev_a_client.post("/order-form/area-change", data=form)
    assert response.status_code == 302 and "/orders/" in response.headers["Location"]
    session.expire_all()
    assert session.get(PropertyArea, demo.area_a.id).address == "江门市蓬江区改址1号"


# ---------------------------------------------------------------- 楼幢变更

def building_order(session: Any, demo: Any) -> BusinessOrder:
    dev = demo.users["dev_a"]
    order = save_draft(session, dev, BUILDING_CHANGE, DraftInput(
        agent=AGENT, reason="楼层数登记有误", fields={"area_id": demo.area_a.id}))
    drafts.pick_rows(session, order.id, dev, [demo.building_a.id])
    return session.get(BusinessOrder, order.id)


def lift_building(session: Any, demo: Any) -> Building:
    """Make the demo building a lift building of 18 storeys, priced at the ≥7-storey tier."""
    building = session.get(Building, demo.building_a.id)
    building.floors = 18
    houses = session.scalars(select(House).where(House.building_id == building.id)).all()
    for house in houses:
        house.has_lift = True
        house.use_code = "residential"
        house.amount_due = (house.building_area * Decimal("90")).quantize(Decimal("0.01"))
    session.commit()
    return building


def test_buildings_are_picked_as_change_lines_with_their_snapshot(session, demo):
    order = building_order(session, demo)
    (seq, target, before, after), = staging.changes(session, order.id, staging.BUILDING)
    assert target == demo.building_a.id and before == after
    assert before["name"] == demo.building_a.name and before["area_id"] == str(demo.area_a.id)
    dev = demo.users["dev_a"]
    assert drafts.pick_rows(session, order.id, dev, [demo.building_a.id]) == 0  # not twice
    with pytest.raises(NotFound):  # another organisation's building
        drafts.pick_rows(session, order.id, dev, [demo.building_b.id])


def test_batch_modify_sets_only_the_manuals_fields_and_checks_them(session, demo):
    dev = demo.users["dev_a"]
    order = building_order(session, demo)
    assert drafts.modify_lines(session, order.id, dev, None,
                               {"built_ym": "2019-08", "structure_code": "rc", "name": "X"}) == 1
    (_s, _t, _before, after), = staging.changes(session, order.id, staging.BUILDING)
    assert after["built_ym"] == "2019-08" and after["name"] == demo.building_a.name
    with pytest.raises(ValidationFailed) as caught:
        drafts.modify_lines(session, order.id, dev, None, {"built_ym": "2019-13"})
    assert caught.value.problems[0].field == "built_ym"
    with pytest.raises(ValidationFailed):  # another organisation's area is no destination
        drafts.modify_lines(session, order.id, dev, None, {"area_id": str(demo.area_b.id)})


def test_fewer_storeys_lower_the_amount_due_and_turn_the_excess_into_refunds(session, demo):
    dev, officer = demo.users["dev_a"], demo.users["officer"]
    building = lift_building(session, demo)
    houses = session.scalars(select(House).where(House.building_id == building.id)
                             .order_by(House.id)).all()
    paid_house = houses[0]
    book_deposit(session, paid_house, paid_house.amount_due, notice_id=None, payment_type="bank",
                 value_date=dt.date(2026, 3, 1))
    session.commit()
    total_before = session.scalar(select(func.sum(LedgerEntry.amount)))
    order = building_order(session, demo)
    seq = staging.changes(session, order.id, staging.BUILDING)[0][0]
    drafts.modify_lines(session, order.id, dev, [seq], {**staging.changes(
        session, order.id, staging.BUILDING)[0][3], "floors": "6", "unit_count": "2"})
    impacts, unpriced = workflow.handler_for(BUILDING_CHANGE).impacts(session, order)
    assert not unpriced and len(impacts) == len(houses)
    workflow.submit(session, order.id, dev)
    assert session.get(House, paid_house.id).locked_by_order_id == order.id
    workflow.accept(session, order.id, officer, papers_checked=True)
    workflow.approve(session, order.id, officer)
    session.expire_all()
    assert session.get(Building, building.id).floors == 6
    assert session.get(Building, building.id).unit_count == 2
    for house in houses:
        house = session.get(House, house.id)
        assert house.amount_due == (house.building_area * Decimal("55")).quantize(Decimal("0.01"))
        assert house.locked_by_order_id is None
    refund = session.scalars(select(Refund).where(Refund.order_id == order.id)).one()
    paid = balances(session, [paid_house.id])[paid_house.id].paid
    assert refund.house_id == paid_house.id
    assert refund.amount == paid - session.get(House, paid_house.id).amount_due
    # No money moves on approval: the refund is owed, not paid.
    assert session.scalar(select(func.sum(LedgerEntry.amount))) == total_before


def test_a_building_moves_to_another_area_with_its_houses(session, demo):
    dev, officer = demo.users["dev_a"], demo.users["officer"]
    target = PropertyArea(org_id=demo.org_a.id, code="440703099999", name="华信·新区",
                          district_code="440703", address="江门市蓬江区新区1号")
    session.add(target)
    session.commit()
    order = building_order(session, demo)
    drafts.modify_lines(session, order.id, dev, None, {"area_id": str(target.id)})
    workflow.submit(session, order.id, dev)
    workflow.accept(session, order.id, officer, papers_checked=True)
    workflow.approve(session, order.id, officer)
    session.expire_all()
    assert session.get(Building, demo.building_a.id).area_id == target.id
    assert session.scalar(select(func.count(House.id)).where(
        House.building_id == demo.building_a.id, House.area_id != target.id)) == 0


def test_approval_refuses_a_building_changed_since_it_was_picked(session, demo):
    dev, officer = demo.users["dev_a"], demo.users["officer"]
    order = building_order(session, demo)
    drafts.modify_lines(session, order.id, dev, None, {"built_ym": "2018-01"})
    workflow.submit(session, order.id, dev)
    workflow.accept(session, order.id, officer, papers_checked=True)
    session.get(Building, demo.building_a.id).address = "有人改了地址"
    session.commit()
    with pytest.raises(ValidationFailed) as caught:
        workflow.approve(session, order.id, officer)
    assert caught.value.problems[0].field == demo.building_a.name
    assert session.get(BusinessOrder, order.id).status == "accepted"


def test_houses_held_by_another_order_are_reported_while_drafting(session, demo):
    dev = demo.users["dev_a"]
    first = building_order(session, demo)
    drafts.modify_lines(session, first.id, dev, None, {"built_ym": "2018-01"})
    workflow.submit(session, first.id, dev)
    second = save_draft(session, dev, BUILDING_CHANGE, DraftInput(
        agent=AGENT, fields={"area_id": demo.area_a.id}))
    with pytest.raises(ValidationFailed) as caught:
        drafts.pick_rows(session, second.id, dev, [demo.building_a.id])
    assert first.number in str(caught.value.problems[0].reason)


def test_building_change_views_pick_modify_and_review(dev_a_client, officer_client, session, demo):
    form = {"area_id": demo.area_a.id, "agent_name": "李敏", "agent_phone": "13800138001",
            "agent_id_type": "01", "agent_id_no": "11010519491231002X", "reason": "竣工年月有误"}
    response = dev_a_client.post("/order-form/building-change", data={**form, "action": "save"})
    order_id = int(response.headers["Location"].split("/")[-2])
    picked = dev_a_client.post(f"/order-form/{order_id}/pick", json={"ids": [demo.building_a.id]})
    assert picked.status_code == 200 and picked.get_json() == {"added": 1}
    other = dev_a_client.post(f"/order-form/{order_id}/pick", json={"ids": [demo.building_b.id]})
    assert other.status_code == 404
    bad = dev_a_client.post(f"/order-form/{order_id}/modify",
                            json={"seqs": None, "values": {"built_ym": "1999-99"}})
    assert bad.status_code == 422 and bad.get_json()["problems"][0]["field"] == "built_ym"
    ok = dev_a_client.post(f"/order-form/{order_id}/modify",
                           json={"seqs": None, "values": {"built_ym": "2017-05"}})
    assert ok.get_json() == {"changed": 1}
    page = dev_a_client.get(f"/order-form/{order_id}/edit").get_data(as_text=True)
    assert "2017-05" in page and "jm-changed" in page and "jm-line-edit" in page
    dev_a_client.post(f"/order-form/{order_id}/edit", data={**form, "action": "submit"})
    assert session.get(BusinessOrder, order_id).status == "submitted"
    review = officer_client.get(f"/review/{order_id}").get_data(as_text=True)
    assert "2017-05" in review and "jm-extra-impacts" in review
    pdf = officer_client.get(f"/review/{order_id}/print/application.html").get_data(as_text=True)
    assert "2017-05" in pdf


# ---------------------------------------------------------------- drafts and 交存时点 (clerk's first hour)

def test_an_empty_form_is_not_saved_as_a_numbered_draft(dev_a_client, session):
    before = session.scalar(select(func.count(BusinessOrder.id)))
    response = dev_a_client.post("/order-form/collect", data={
        "agent_name": "李敏", "agent_phone": "13800138001", "agent_id_type": "01",
        "agent_id_no": "11010519491231002X", "action": "save"})
    assert response.status_code == 422
    assert session.scalar(select(func.count(BusinessOrder.id))) == before


def test_a_draft_is_deleted_with_its_lines_files_and_jobs(dev_a_client, dev_b_client, session, demo,
                                                         app):
    from app.models.order import Attachment, OrderJob
    from app.services.attachments import attachment_file_path
    from app.services.orders.drafts import add_attachment

    order = building_order(session, demo)
    order_id = order.id
    folder = app.config["UPLOAD_FOLDER"]
    attachment = add_attachment(session, order.id, demo.users["dev_a"], kind="survey_report",
                                filename="测绘.pdf", data=b"%PDF-1.4\n%x\n", upload_folder=folder,
                                max_mb=10)
    path = attachment_file_path(attachment, folder)
    session.add(OrderJob(org_id=order.org_id, order_id=order.id, kind="import", state="failed"))
    session.commit()
    assert dev_b_client.post(f"/orders/{order_id}/delete").status_code == 404
    shown = dev_a_client.get(f"/orders/{order_id}").get_data(as_text=True)
    assert 'id="jm-delete"' in shown
    assert dev_a_client.post(f"/orders/{order_id}/delete").status_code == 302
    session.expire_all()
    assert session.get(BusinessOrder, order_id) is None
    assert session.scalar(select(func.count(OrderLine.id)).where(OrderLine.order_id == order_id)) == 0
    assert session.scalar(select(func.count(Attachment.id)).where(Attachment.order_id == order_id)) == 0
    assert session.scalar(select(func.count(OrderJob.id)).where(OrderJob.order_id == order_id)) == 0
    assert not path.exists()
    assert session.scalars(select(AuditLog).where(AuditLog.action == "order_deleted")).one()


def test_a_submitted_order_cannot_be_deleted(session, demo):
    dev = demo.users["dev_a"]
    order = building_order(session, demo)
    drafts.modify_lines(session, order.id, dev, None, {"built_ym": "2018-01"})
    workflow.submit(session, order.id, dev)
    with pytest.raises(Exception):
        drafts.delete_draft(session, order.id, dev, "/tmp")
    assert session.get(BusinessOrder, order.id) is not None


def test_old_finished_jobs_and_their_marked_copies_are_purged(session, demo, app, tmp_path):
    from app.models.order import OrderJob
    from app.services.orders.intake import IMPORT_SUBFOLDER
    from app.services.orders.jobs import purge_finished

    order = building_order(session, demo)
    (tmp_path / IMPORT_SUBFOLDER).mkdir()
    name = "a" * 32 + ".xlsx"
    (tmp_path / IMPORT_SUBFOLDER / name).write_bytes(b"x")
    old = OrderJob(org_id=order.org_id, order_id=order.id, kind="import", state="failed",
                   result_name=name, created_at=dt.datetime(2020, 1, 1))
    fresh = OrderJob(org_id=order.org_id, order_id=order.id, kind="import", state="failed")
    session.add_all([old, fresh])
    session.commit()
    assert purge_finished(session, str(tmp_path), 7) == 1
    assert not (tmp_path / IMPORT_SUBFOLDER / name).exists()
    assert session.get(OrderJob, fresh.id) is not None


def test_the_deposit_time_point_of_approval_day_is_recorded(session, demo):
    from tests.test_orders_workflow import new_collect

    dev, officer = demo.users["dev_a"], demo.users["officer"]
    order = new_collect(session, dev)
    order.payload = {**order.payload, "deposit_time_point": None}
    session.commit()
    workflow.submit(session, order.id, dev)
    workflow.accept(session, order.id, officer, papers_checked=True)
    workflow.approve(session, order.id, officer)
    session.expire_all()
    order = session.get(BusinessOrder, order.id)
    today = workflow.today_local().isoformat()
    assert order.payload["deposit_time_point"] == today
    assert today in session.get(PropertyArea, order.area_id).deposit_time_points


def test_a_new_order_form_prefills_the_agent_with_the_user(dev_a_client):
    page = dev_a_client.get("/order-form/building-change").get_data(as_text=True)
    assert 'value="11010519491231002X"' in page and 'value="13800138001"' in page
