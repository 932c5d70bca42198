"""The order state machine: transitions, who may do them, history, locks, numbering, all-or-nothing."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from app.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from app.models.audit import AuditLog
from app.models.order import (ACCEPTED, APPROVED, AREA_COLLECT, DRAFT, HOUSE_SUPPLEMENT, REJECTED,
                              SUBMITTED, WITHDRAWN, BusinessOrder, OrderHistory)
from app.models.property import House, PropertyArea
from app.services.orders import staging, workflow
from app.services.orders.drafts import AgentInput, DraftInput, save_draft

AGENT = AgentInput(name="李敏", phone="13800138001", id_type="01", id_no="11010519491231002X")


def house(building: str = "A座", floor: int = 1, room: str = "101", **extra: Any) -> dict[str, Any]:
    values = dict(building=building, floor=floor, room=room, unit="1", building_area=Decimal("88.50"),
                  use_code="residential", has_lift=True, source="excel")
    values.update(extra)
    return staging.house_data(**values)


def new_collect(session: Any, user: Any, name: str = "测试花园", houses: int = 3) -> BusinessOrder:
    order = save_draft(session, user, AREA_COLLECT, DraftInput(
        agent=AGENT, fields={"area": {"name": name, "district_code": "440703",
                                      "address": "江门市蓬江区测试路1号"},
                             "deposit_time_point": "2026-03-01"}))
    rows = [(staging.BUILDING, staging.building_data(name="A座", structure_code="rc", floors=12))]
    rows += [(staging.HOUSE, house(floor=1 + i // 4, room=f"{1 + i // 4}0{1 + i % 4}"))
             for i in range(houses)]
    staging.insert_lines(session, order.id, rows)
    session.commit()
    return order


@pytest.fixture()
def users(demo: Any) -> dict[str, Any]:
    return demo.users


def test_collection_goes_from_draft_to_approved_and_opens_the_houses(session, users):
    dev, officer = users["dev_a"], users["officer"]
    order = new_collect(session, dev)
    assert order.status == DRAFT and order.number.startswith("CJ")

    workflow.submit(session, order.id, dev)
    workflow.accept(session, order.id, officer, papers_checked=True, opinion="材料齐全")
    workflow.approve(session, order.id, officer, opinion="同意")

    session.expire_all()
    order = session.get(BusinessOrder, order.id)
    assert order.status == APPROVED
    area = session.get(PropertyArea, order.area_id)
    assert area.name == "测试花园" and area.org_id == dev.org_id
    houses = session.scalars(select(House).where(House.opened_by_order_id == order.id)).all()
    assert len(houses) == 3
    # 住宅 with lift in a 12-floor building: the 90 yuan/m² example tier, recorded on the house
    assert all(h.amount_due == Decimal("7965.00") for h in houses)
    assert all(h.standard_text == "90.00元/㎡" for h in houses)
    assert all(h.deposit_time_point == dt.date(2026, 3, 1) for h in houses)
    steps = [(h.from_status, h.to_status) for h in order.history]
    assert steps == [(None, DRAFT), (DRAFT, SUBMITTED), (SUBMITTED, ACCEPTED), (ACCEPTED, APPROVED)]
    assert [h.opinion for h in order.history][2:] == ["材料齐全", "同意"]
    assert session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "houses_opened"))


def test_developer_and_officer_actions_are_separate(session, users):
    dev, officer, other = users["dev_a"], users["officer"], users["dev_b"]
    order = new_collect(session, dev)
    with pytest.raises(PermissionDenied):
        workflow.accept(session, order.id, dev, papers_checked=True)
    with pytest.raises(NotFound):
        workflow.submit(session, order.id, other)  # another organisation: not even found
    with pytest.raises(NotFound):
        workflow.submit(session, order.id, officer)  # officers do not submit for developers
    workflow.submit(session, order.id, dev)
    with pytest.raises(InvalidTransition):
        workflow.approve(session, order.id, officer)  # must be accepted first
    assert session.get(BusinessOrder, order.id).status == SUBMITTED


def test_reject_needs_an_opinion_and_the_developer_resubmits(session, users):
    dev, officer = users["dev_a"], users["officer"]
    order = new_collect(session, dev)
    workflow.submit(session, order.id, dev)
    with pytest.raises(ValidationFailed):
        workflow.reject(session, order.id, officer, opinion="  ")
    workflow.reject(session, order.id, officer, opinion="缺少测绘报告")
    order = session.get(BusinessOrder, order.id)
    assert order.status == REJECTED
    assert workflow.may(order, "edit", dev) and not workflow.may(order, "withdraw", officer)
    save_draft(session, dev, AREA_COLLECT, DraftInput(
        agent=AGENT, fields={"area": {"name": "测试花园", "district_code": "440703", "address": "新地址"},
                             "deposit_time_point": "2026-03-01"}), order_id=order.id)
    workflow.submit(session, order.id, dev)
    assert session.get(BusinessOrder, order.id).status == SUBMITTED


def test_withdraw_only_before_acceptance(session, users):
    dev, officer = users["dev_a"], users["officer"]
    first = new_collect(session, dev)
    workflow.submit(session, first.id, dev)
    workflow.withdraw(session, first.id, dev)
    assert session.get(BusinessOrder, first.id).status == WITHDRAWN
    second = new_collect(session, dev, name="第二花园")
    workflow.submit(session, second.id, dev)
    workflow.accept(session, second.id, officer, papers_checked=True)
    with pytest.raises(InvalidTransition):
        workflow.withdraw(session, second.id, dev)


def test_first_acceptance_needs_the_paper_documents_confirmed(session, users, demo):
    dev, officer = users["dev_a"], users["officer"]
    order = new_collect(session, dev)
    workflow.submit(session, order.id, dev)
    with pytest.raises(ValidationFailed):
        workflow.accept(session, order.id, officer)
    assert session.get(BusinessOrder, order.id).status == SUBMITTED
    workflow.accept(session, order.id, officer, papers_checked=True)
    org = demo.org_a
    session.refresh(org)
    assert org.papers_checked and org.papers_checked_by_id == officer.id
    other = new_collect(session, dev, name="第二花园")
    workflow.submit(session, other.id, dev)
    workflow.accept(session, other.id, officer)  # later orders need no confirmation


def test_submit_refuses_incomplete_orders_and_names_the_problems(session, users):
    dev = users["dev_a"]
    order = save_draft(session, dev, AREA_COLLECT, DraftInput(agent=AgentInput(name="李敏")))
    with pytest.raises(ValidationFailed) as caught:
        workflow.submit(session, order.id, dev)
    fields = {p.field for p in caught.value.problems}
    assert {"area.name", "area.district_code", "area.address", "agent_phone", "agent_id_no",
            "houses"} <= fields
    assert session.get(BusinessOrder, order.id).status == DRAFT


def test_duplicate_houses_are_refused_with_the_lines_named(session, users, demo):
    dev = users["dev_a"]
    order = save_draft(session, dev, HOUSE_SUPPLEMENT, DraftInput(
        agent=AGENT, fields={"area_id": demo.area_a.id, "deposit_time_point": "2026-03-01"}))
    existing = demo.house_a
    staging.insert_lines(session, order.id, [
        (staging.HOUSE, house(building=existing.building.name, unit=existing.unit,
                              floor=existing.floor, room=existing.room)),
        (staging.HOUSE, house(building=existing.building.name, floor=99, room="9901")),
        (staging.HOUSE, house(building=existing.building.name, floor=99, room="9901")),
    ])
    session.commit()
    with force_locale("en"), pytest.raises(ValidationFailed) as caught:
        workflow.submit(session, order.id, dev)
    with force_locale("en"):
        text = [str(p) for p in caught.value.problems]
    assert any("Line 1" in t and "already exists" in t for t in text), text
    assert any("Line 3" in t and "Listed twice" in t and "Line 2" in t for t in text), text


def test_approval_is_all_or_nothing(session, users, demo):
    dev, officer = users["dev_a"], users["officer"]
    order = new_collect(session, dev)
    workflow.submit(session, order.id, dev)
    workflow.accept(session, order.id, officer, papers_checked=True)
    # meanwhile another area of the same name appears: the approval must change nothing
    session.add(PropertyArea(org_id=dev.org_id, code="X1", name="测试花园", district_code="440703",
                             address="x"))
    session.commit()
    areas_before = session.scalar(select(func.count(PropertyArea.id)))
    houses_before = session.scalar(select(func.count(House.id)))
    with pytest.raises(ValidationFailed):
        workflow.approve(session, order.id, officer)
    assert session.get(BusinessOrder, order.id).status == ACCEPTED
    assert session.scalar(select(func.count(PropertyArea.id))) == areas_before
    assert session.scalar(select(func.count(House.id))) == houses_before
    assert session.scalar(select(func.count(OrderHistory.id))
                          .where(OrderHistory.order_id == order.id)) == 3


def test_stale_version_is_a_conflict(session, users):
    dev, officer = users["dev_a"], users["officer"]
    order = new_collect(session, dev)
    seen = order.version
    workflow.submit(session, order.id, dev)
    with pytest.raises(Conflict):
        workflow.accept(session, order.id, officer, papers_checked=True, expected_version=seen)


def test_houses_are_locked_from_submit_to_approval(session, users, demo):
    """Lock mechanics for businesses that change existing houses (used by later businesses)."""
    dev = users["dev_a"]
    first = new_collect(session, dev)
    second = new_collect(session, dev, name="第二花园")
    ids = [demo.house_a.id]
    workflow.lock_houses(session, first, ids)
    session.commit()
    with pytest.raises(ValidationFailed) as caught:
        workflow.lock_houses(session, second, ids)
    assert first.number in str(caught.value.problems[0])
    workflow.release_houses(session, first)
    workflow.lock_houses(session, second, ids)
    session.commit()
    session.refresh(demo.house_a)
    assert demo.house_a.locked_by_order_id == second.id


def test_order_numbers_are_sequential_per_type_and_day(session, users):
    dev = users["dev_a"]
    a = save_draft(session, dev, AREA_COLLECT, DraftInput(agent=AGENT))
    b = save_draft(session, dev, AREA_COLLECT, DraftInput(agent=AGENT))
    c = save_draft(session, dev, HOUSE_SUPPLEMENT, DraftInput(agent=AGENT))
    assert int(b.number[-5:]) == int(a.number[-5:]) + 1
    assert c.number.startswith("BC") and c.number[-5:] == "00001"


def test_a_taken_number_is_skipped(session, users):
    dev = users["dev_a"]
    day = workflow.today_local()
    from app.domain.numbering import order_number

    taken = BusinessOrder(org_id=dev.org_id, number=order_number("CJ", day, 1), type=AREA_COLLECT,
                          status=DRAFT, payload={})
    session.add(taken)
    session.commit()
    # a concurrent writer took number 1 after our sequence was computed: the save runs again
    original = workflow.next_sequence
    calls = iter([1, 2])
    workflow.next_sequence = lambda s, p: next(calls)  # type: ignore[assignment]
    try:
        order = save_draft(session, dev, AREA_COLLECT, DraftInput(agent=AGENT))
    finally:
        workflow.next_sequence = original  # type: ignore[assignment]
    assert order.number == order_number("CJ", day, 2)
    assert session.scalar(select(func.count(BusinessOrder.id))) == 2
    assert len(order.history) == 1


def test_staged_lines_read_back_as_written_and_numbered_after_the_last(session, users):
    """``insert_lines`` (an executemany, a COPY on PostgreSQL) stores each line's JSON as given,
    Chinese text, owners and quotes included, numbered after the order's last line."""
    from app.models.order import OrderLine

    order = new_collect(session, users["dev_a"], houses=2)
    tricky = house(building="A座", floor=9, room="9\t01", address='江门 "东" \\ 路',
                   owners=[{"name": "王五", "id_type": "01", "id_no": "11010519491231002X",
                            "phone": None}])
    added = staging.insert_lines(session, order.id, [(staging.HOUSE, tricky),
                                                     (staging.HOUSE, house(floor=10, room="1001"))])
    session.commit()
    assert added == 2
    houses = staging.staged(session, order.id, staging.HOUSE)
    assert [seq for seq, _data in houses] == [2, 3, 4, 5]
    assert houses[2][1] == tricky and houses[3][1]["room"] == "1001"
    assert session.scalar(select(func.count(OrderLine.id)).where(
        OrderLine.order_id == order.id, OrderLine.before.is_(None), OrderLine.target_id.is_(None))) == 5


def test_approval_builds_each_house_input_once_and_opens_what_it_validated(session, users,
                                                                           monkeypatch):
    dev, officer = users["dev_a"], users["officer"]
    order = new_collect(session, dev, houses=5)
    workflow.submit(session, order.id, dev)
    workflow.accept(session, order.id, officer, papers_checked=True)
    built = []
    original = staging.to_house_input

    def counted(data, origin=""):
        built.append(data["room"])
        return original(data, origin)

    monkeypatch.setattr(staging, "to_house_input", counted)
    workflow.approve(session, order.id, officer, opinion="同意")

    assert sorted(built) == ["101", "102", "103", "104", "201"]
    session.expire_all()
    rooms = session.scalars(select(House.room).where(House.opened_by_order_id == order.id)
                            .order_by(House.code)).all()
    assert rooms == ["101", "102", "103", "104", "201"]
