"""房屋拆分合并 (§1.3.4) on the order engine: pick, 导出, 导入 the resulting houses, review, approve.

Money is the point: a split shares the old balance by floor area (half-up to the cent, remainder
on the last house), a merge adds the balances up, each move is a transfer-out / transfer-in pair,
and the balances before and after add up to the same cent, per order and in the whole ledger.
"""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any, Iterator

import pytest
from flask import Flask
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from app.documents.excel.house_sheet import (BUILDING_AREA, BUILDING_NAME, FLOOR, INNER_AREA,
                                             LIFT, ROOM, SALES_STATUS, USE, HouseCodes)
from app.documents.excel.split_sheet import SOURCES, source_codes, split_columns
from app.domain.money import share_by_weights
from app.errors import ValidationFailed
from app.models.audit import AuditLog
from app.models.ledger import ENTRY_TRANSFER_IN, ENTRY_TRANSFER_OUT, LedgerEntry
from app.models.order import HOUSE_SPLIT_MERGE, BusinessOrder, OrderJob
from app.models.outbox import OutboxMessage
from app.models.payment import Refund
from app.models.property import HOUSE_CLOSED, HOUSE_OPEN, SOURCE_ORDER, Building, House
from app.services.ledger import balances, book_deposit, outstanding
from app.services.orders import drafts, intake, staging, workflow
from app.services.orders.drafts import AgentInput, DraftInput, save_draft
from app.services.orders.types import split_merge
from app.services.orders.types.split_merge import shape_problems

AGENT = AgentInput(name="李敏", phone="13800138001", id_type="01", id_no="11010519491231002X")
ACCOUNT = {"refund_account_name": "江门市华信房地产开发有限公司", "refund_bank_name": "中国银行江门分行",
           "refund_account_no": "6216610200001234567"}
HEADERS = tuple(c.header for c in split_columns(HouseCodes((), (), (), (), ())))


@pytest.fixture(autouse=True)
def inline_jobs(app: Flask) -> Iterator[None]:
    app.config["ORDER_JOBS_INLINE"] = True
    yield
    app.config.pop("ORDER_JOBS_INLINE", None)


def garages(session: Any, demo: Any, n: int) -> list[House]:
    building = session.scalar(select(Building).where(Building.area_id == demo.area_a.id,
                                                     Building.name == "地下车库"))
    return list(session.scalars(select(House).where(House.building_id == building.id,
                                                    House.status == HOUSE_OPEN)
                                .order_by(House.id).limit(n)))


def pay(session: Any, house: House, amount: str) -> None:
    book_deposit(session, house, Decimal(amount), notice_id=None, payment_type="首期",
                 value_date=dt.date(2026, 3, 1))
    session.commit()


def sheet(rows: list[dict[str, Any]]) -> bytes:
    """An edited split sheet: the export's headers, one row per resulting house."""
    book = Workbook()
    ws = book.active
    ws.title = "拆分合并房屋"
    ws.append(list(HEADERS))
    for row in rows:
        ws.append([row.get(h) for h in HEADERS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def part(sources: str, room: str, area: str, *, building: str = "地下车库", floor: int = -1,
         **extra: Any) -> dict[str, Any]:
    return {SOURCES: sources, BUILDING_NAME: building, FLOOR: floor, ROOM: room,
            BUILDING_AREA: float(area), USE: "车库/车位", LIFT: "无", SALES_STATUS: "未售", **extra}


def new_order(session: Any, demo: Any, houses: list[House], **fields: Any) -> BusinessOrder:
    dev = demo.users["dev_a"]
    order = save_draft(session, dev, HOUSE_SPLIT_MERGE, DraftInput(
        agent=AGENT, reason="车位重新测绘", fields={"area_id": demo.area_a.id, **fields}))
    drafts.pick_rows(session, order.id, dev, [h.id for h in houses])
    return session.get(BusinessOrder, order.id)


def run_import(app: Flask, session: Any, demo: Any, order: BusinessOrder, data: bytes) -> OrderJob:
    job = intake.start_import(session, app, order.id, demo.users["dev_a"], data, "split.xlsx",
                              locale="zh")
    session.expire_all()
    return session.get(OrderJob, job.id)


def approve(session: Any, demo: Any, order: BusinessOrder) -> None:
    officer = demo.users["officer"]
    workflow.submit(session, order.id, demo.users["dev_a"])
    workflow.accept(session, order.id, officer, papers_checked=True)
    workflow.approve(session, order.id, officer)
    session.expire_all()


def ledger_totals(session: Any) -> tuple[int, Decimal]:
    return (session.scalar(select(func.count(LedgerEntry.id))),
            session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0))))


def opened_by(session: Any, order: BusinessOrder) -> list[House]:
    return list(session.scalars(select(House).where(House.opened_by_order_id == order.id)
                                .order_by(House.id)))


# ---------------------------------------------------------------- pure rules

def test_shares_are_half_up_with_the_remainder_on_the_last():
    assert share_by_weights(Decimal("100.00"), [Decimal(1)] * 3) == [
        Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    assert share_by_weights(Decimal("0.05"), [Decimal("1"), Decimal("1")]) == [
        Decimal("0.03"), Decimal("0.02")]  # 0.025 rounds half up
    assert share_by_weights(Decimal("0.00"), [Decimal("5")]) == [Decimal("0.00")]
    with pytest.raises(ValueError):
        share_by_weights(Decimal("1.00"), [])


def test_the_shape_of_a_result_is_a_split_or_a_merge():
    problems, unused = shape_problems([(2, ["A"]), (3, ["A"]), (4, ["B", "C"])], ["A", "B", "C"])
    assert (problems, unused) == ([], [])
    problems, unused = shape_problems([(2, ["A"]), (3, ["A", "B"]), (4, ["X"])], ["A", "B", "C"])
    assert [n for n, _r in problems] == [2, 3, 4] and unused == ["C"]
    assert source_codes("A、B，C  A") == ["A", "B", "C"]


# ---------------------------------------------------------------- split

def test_split_three_ways_moves_the_balance_by_area_to_the_cent(app, session, demo):
    old = garages(session, demo, 1)[0]
    pay(session, old, "100.00")
    rows_before, sum_before = ledger_totals(session)
    order = new_order(session, demo, [old])
    job = run_import(app, session, demo, order, sheet([
        part(old.code, "G1-A", "10.00"), part(old.code, "G1-B", "10.00"),
        part(old.code, "G1-C", "10.00")]))
    assert job.state == "done", (job.message, job.problems)
    assert staging.count_lines(session, order.id, staging.HOUSE) == 4
    approve(session, demo, order)

    old = session.get(House, old.id)
    assert old.status == HOUSE_CLOSED and old.closed_at is not None and old.locked_by_order_id is None
    new = opened_by(session, order)
    assert [h.room for h in new] == ["G1-A", "G1-B", "G1-C"]
    assert {h.status for h in new} == {HOUSE_OPEN} and {h.source for h in new} == {SOURCE_ORDER}
    assert [h.amount_due for h in new] == [Decimal("300.00")] * 3  # 30 yuan/m² garage standard
    # The shortfall is each new house's 补交: what it still owes towards its amount due.
    assert [outstanding(h.amount_due, balances(session, [h.id])[h.id].balance) for h in new] == [
        Decimal("266.67"), Decimal("266.67"), Decimal("266.66")]
    money = balances(session, [old.id] + [h.id for h in new])
    assert money[old.id].balance == Decimal("0.00")
    assert [money[h.id].balance for h in new] == [Decimal("33.33"), Decimal("33.33"),
                                                  Decimal("33.34")]
    moves = session.scalars(select(LedgerEntry).where(LedgerEntry.order_id == order.id)
                            .order_by(LedgerEntry.id)).all()
    outs = [m for m in moves if m.kind == ENTRY_TRANSFER_OUT]
    ins = [m for m in moves if m.kind == ENTRY_TRANSFER_IN]
    assert {m.house_id for m in outs} == {old.id} and sum(m.amount for m in outs) == Decimal("-100.00")
    assert sorted(m.counterpart_house_id for m in outs) == [h.id for h in new]
    assert {m.counterpart_house_id for m in ins} == {old.id}
    # Nothing created or lost: two more rows per move, the ledger's sum unchanged.
    assert ledger_totals(session) == (rows_before + 6, sum_before)
    assert session.scalar(select(func.count(Refund.id)).where(Refund.order_id == order.id)) == 0
    assert session.scalar(select(func.count(AuditLog.id)).where(
        AuditLog.action.in_(["house_opened", "house_closed"]))) == 4


# ---------------------------------------------------------------- merge

def test_merge_sums_the_balances_and_refunds_the_excess(app, session, demo):
    first, second = garages(session, demo, 2)
    pay(session, first, str(first.amount_due))
    pay(session, second, "10.01")
    first.trade_house_code = "TH-MERGE-1"
    session.commit()
    held = first.amount_due + Decimal("10.01")
    rows_before, sum_before = ledger_totals(session)
    order = new_order(session, demo, [first, second], **ACCOUNT)
    # The merged house takes the first one's place: the old houses free theirs on approval.
    job = run_import(app, session, demo, order, sheet([
        part(f"{first.code}、{second.code}", first.room, "2.00")]))
    assert job.state == "done", job.problems
    plan = split_merge.SplitMergeHandler().plan(session, order)
    assert plan.balance_before == plan.balance_after == held
    approve(session, demo, order)

    merged = opened_by(session, order)
    assert len(merged) == 1 and merged[0].amount_due == Decimal("60.00")
    assert (merged[0].room, merged[0].building_id) == (first.room, first.building_id)
    assert balances(session, [merged[0].id])[merged[0].id].balance == held
    refund = session.scalars(select(Refund).where(Refund.order_id == order.id)).one()
    assert (refund.house_id, refund.amount) == (merged[0].id, held - Decimal("60.00"))
    assert refund.account_no == ACCOUNT["refund_account_no"]
    assert {session.get(House, h.id).status for h in (first, second)} == {HOUSE_CLOSED}
    assert ledger_totals(session) == (rows_before + 4, sum_before)
    push = session.scalars(select(OutboxMessage).where(OutboxMessage.house_code == "TH-MERGE-1")).one()
    assert push.payload["amount_paid"] == "0.00"
    form = split_merge.SplitMergeHandler().refund_form(session, session.get(BusinessOrder, order.id))
    assert form is not None and form.lines[0].refund == held - Decimal("60.00")


def test_a_refund_needs_the_account_before_submit(app, session, demo):
    first, second = garages(session, demo, 2)
    pay(session, first, "500.00")
    order = new_order(session, demo, [first, second])
    run_import(app, session, demo, order, sheet([part(f"{first.code},{second.code}", "G-M", "2")]))
    with pytest.raises(ValidationFailed) as caught:
        workflow.submit(session, order.id, demo.users["dev_a"])
    assert {p.field for p in caught.value.problems} == set(ACCOUNT)
    session.expire_all()
    assert session.get(BusinessOrder, order.id).status == "draft"


# ---------------------------------------------------------------- all or nothing

def test_approval_is_all_or_nothing(app, session, demo, monkeypatch):
    old = garages(session, demo, 1)[0]
    pay(session, old, "99.99")
    totals = ledger_totals(session)
    houses = session.scalar(select(func.count(House.id)))
    order = new_order(session, demo, [old])
    run_import(app, session, demo, order, sheet([part(old.code, "G1-A", "7.5"),
                                                 part(old.code, "G1-B", "2.5")]))
    workflow.submit(session, order.id, demo.users["dev_a"])
    workflow.accept(session, order.id, demo.users["officer"], papers_checked=True)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the outbox is down")

    monkeypatch.setattr(split_merge, "enqueue_deposit_pushes", broken)
    with pytest.raises(RuntimeError):
        workflow.approve(session, order.id, demo.users["officer"])
    session.expire_all()
    assert session.get(BusinessOrder, order.id).status == "accepted"
    assert session.get(House, old.id).status == HOUSE_OPEN
    assert session.scalar(select(func.count(House.id))) == houses
    assert ledger_totals(session) == totals
    monkeypatch.undo()
    workflow.approve(session, order.id, demo.users["officer"])
    session.expire_all()
    new = opened_by(session, order)
    assert [balances(session, [h.id])[h.id].balance for h in new] == [Decimal("74.99"),
                                                                     Decimal("25.00")]
    assert ledger_totals(session)[1] == totals[1]


# ---------------------------------------------------------------- refusals

def test_held_and_changed_houses_are_refused(app, session, demo):
    dev = demo.users["dev_a"]
    a, b, c = garages(session, demo, 3)
    first = new_order(session, demo, [a, b])
    run_import(app, session, demo, first, sheet([part(f"{a.code}、{b.code}", "G-AB", "5")]))
    workflow.submit(session, first.id, dev)
    second = save_draft(session, dev, HOUSE_SPLIT_MERGE, DraftInput(
        agent=AGENT, fields={"area_id": demo.area_a.id}))
    with pytest.raises(ValidationFailed) as caught:
        drafts.pick_rows(session, second.id, dev, [a.id, c.id])
    assert [p.field for p in caught.value.problems] == [a.code]
    assert first.number in str(caught.value.problems[0].reason)
    assert staging.count_lines(session, second.id) == 0

    third = new_order(session, demo, [c])
    run_import(app, session, demo, third, sheet([part(c.code, "G-C1", "5"),
                                                 part(c.code, "G-C2", "5")]))
    session.get(House, c.id).building_area += Decimal("1.00")  # the register changes meanwhile
    session.commit()
    with pytest.raises(ValidationFailed) as caught:
        workflow.submit(session, third.id, dev)
    assert [p.field for p in caught.value.problems] == [c.code]
    session.expire_all()
    assert session.get(BusinessOrder, third.id).status == "draft"


def test_bad_rows_are_named_by_row_and_column_and_nothing_is_stored(app, session, demo):
    a, b, c = garages(session, demo, 3)
    order = new_order(session, demo, [a, b, c])
    lines = staging.count_lines(session, order.id)
    taken = garages(session, demo, 4)[3]
    job = run_import(app, session, demo, order, sheet([
        part(a.code, "G-A1", "5"),                             # 2: a split into one house only
        part(b.code, "G-B1", "5", building="99栋"),            # 3: no such building
        part(b.code, taken.room, "5"),                         # 4: another house is there
        part("440703999999999999", "G-X", "5"),                # 5: not picked
        part(c.code, "G-C1", "0"),                             # 6: area below the minimum
        part(c.code, "G-C2", "5", **{USE: "宫殿"}),            # 7: not a house use
    ]))
    assert job.state == "failed"
    found = {(p["row"], p["field"]) for p in job.problems}
    assert {(2, SOURCES), (3, BUILDING_NAME), (4, ROOM), (5, SOURCES), (6, BUILDING_AREA),
            (7, USE)} <= found
    assert job.result_name  # the marked copy to download
    marked = load_workbook(intake.marked_copy_path(job.result_name, app.config["UPLOAD_FOLDER"]))
    assert len(marked.sheetnames) >= 2
    assert staging.count_lines(session, order.id) == lines  # nothing stored

    job = run_import(app, session, demo, order, sheet([part(a.code, "G-A1", "5"),
                                                       part(a.code, "G-A2", "5")]))
    assert job.state == "failed" and b.code in job.message and c.code in job.message
    assert staging.count_lines(session, order.id) == lines


def test_import_again_replaces_the_resulting_houses(app, session, demo):
    old = garages(session, demo, 1)[0]
    order = new_order(session, demo, [old])
    run_import(app, session, demo, order, sheet([part(old.code, "G1-A", "5"),
                                                 part(old.code, "G1-B", "5")]))
    job = run_import(app, session, demo, order, sheet([
        part(old.code, "G1-A", "3"), part(old.code, "G1-B", "3"), part(old.code, "G1-C", "4")]))
    assert job.state == "done"
    rooms = [data["room"] for _s, data in staging.staged(session, order.id, staging.HOUSE)]
    assert rooms == ["G1-A", "G1-B", "G1-C"]


# ---------------------------------------------------------------- views

def test_views_export_import_review_and_print(app, dev_a_client, officer_client, session, demo):
    old = garages(session, demo, 1)[0]
    pay(session, old, "100.00")
    form = {"area_id": demo.area_a.id, "agent_name": "李敏", "agent_phone": "13800138001",
            "agent_id_type": "01", "agent_id_no": "11010519491231002X", "reason": "车位拆分"}
    page = dev_a_client.get("/order-form/house-split").get_data(as_text=True)
    assert 'data-mode="houses"' in page and "jm-import-open" in page
    response = dev_a_client.post("/order-form/house-split", data={**form, "action": "save"})
    order_id = int(response.headers["Location"].split("/")[-2])
    assert dev_a_client.post(f"/order-form/{order_id}/pick", json={"ids": [old.id]}).status_code == 200
    page = dev_a_client.get(f"/order-form/{order_id}/edit").get_data(as_text=True)
    assert "jm-export-lines" in page

    exported = dev_a_client.get(f"/order-form/{order_id}/export.xlsx")
    assert exported.status_code == 200
    ws = load_workbook(io.BytesIO(exported.data)).active
    header = [c.value for c in ws[1]]
    row = dict(zip(header, [c.value for c in ws[2]]))
    assert row[SOURCES] == old.code and row[ROOM] == old.room and row[BUILDING_NAME] == "地下车库"
    # The developer turns the one row into two and imports the file back.
    ws.cell(row=2, column=header.index(ROOM) + 1, value="G9-A")
    ws.cell(row=2, column=header.index(BUILDING_AREA) + 1, value=6)
    ws.cell(row=2, column=header.index(INNER_AREA) + 1, value=5)
    ws.append([{ROOM: "G9-B", BUILDING_AREA: 4, INNER_AREA: 3}.get(h, v)
               for h, v in zip(header, row.values())])
    out = io.BytesIO()
    ws.parent.save(out)
    response = dev_a_client.post(f"/order-form/{order_id}/import",
                                 data={"file": (io.BytesIO(out.getvalue()), "split.xlsx")},
                                 content_type="multipart/form-data")
    assert response.status_code == 202
    job = dev_a_client.get(f"/order-form/jobs/{response.get_json()['id']}").get_json()
    assert job["state"] == "done", (job["message"], job["problems"])
    page = dev_a_client.get(f"/order-form/{order_id}/edit").get_data(as_text=True)
    assert "jm-extra-plan" in page and "60.00" in page and "40.00" in page
    response = dev_a_client.post(f"/order-form/{order_id}/edit", data={**form, "action": "submit"})
    assert response.status_code == 302
    review = officer_client.get(f"/review/{order_id}").get_data(as_text=True)
    assert old.code in review and "G9-A" in review and "jm-extra-plan" in review
    printed = dev_a_client.get(f"/orders/{order_id}/print/application.html")
    assert printed.status_code == 200 and "G9-B" in printed.get_data(as_text=True)


def test_another_developer_cannot_export_the_order(app, dev_a_client, dev_b_client, session, demo):
    old = garages(session, demo, 1)[0]
    order = new_order(session, demo, [old])
    assert dev_a_client.get(f"/order-form/{order.id}/export.xlsx").status_code == 200
    assert dev_b_client.get(f"/order-form/{order.id}/export.xlsx").status_code == 404
