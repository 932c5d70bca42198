"""A day of money through the real services, checked to the cent after every step.

The day is a list of steps; one invariant checker runs after each. A business that moves money
(split and merge, refund payout, reversal) joins the day as one more step: write a function
``step(day)`` that drives its service and adds to ``day.bank_in`` / ``day.taken_back`` /
``day.paid_out`` what the bank took in, took back (冲正) or paid out, and put it in ``STEPS``. The
checker then proves, per house and in total:

    ledger = balance = confirmed notices − paid refunds ± transfers

and that no cent was created or lost: the ledger holds exactly what the bank confirmed, less what it
took back and what was paid out; transfers sum to zero; every paid notice is credited once per house
(a reversal takes back exactly one credited round); and no house owes more refunds than it holds.
"""
from __future__ import annotations

import itertools
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Optional

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import undefer

from app.domain.localtime import local_today
from app.errors import DomainError, InvalidTransition, ValidationFailed
from app.models.base import ZERO
from app.models.ledger import (ENTRY_DEPOSIT, ENTRY_REFUND, ENTRY_REVERSAL, ENTRY_TRANSFER_IN,
                               ENTRY_TRANSFER_OUT, LedgerEntry)
from app.models.order import (AREA_CHANGE, AREA_COLLECT, BUILDING_CHANGE, HOUSE_CANCEL, HOUSE_CHANGE,
                              HOUSE_SUPPLEMENT, BusinessOrder)
from app.models.payment import (CHANNEL_BANK, CHANNEL_POS, CHANNEL_QIAODU, NOTICE_PAID, NOTICE_UNPAID,
                                PAY_FIRST, PAY_OTHER, PAY_RENEW, PAY_TOPUP, REFUND_APPROVED,
                                REFUND_PAID, REFUND_PENDING, REFUND_REJECTED, Notice, Refund)
from app.models.property import (HOUSE_CANCELLED, HOUSE_CLOSED, HOUSE_OPEN, Building, House, Owner,
                                 PropertyArea)
from app.models.reversal import REVERSAL_APPROVED, PaymentReversal
from app.services import refunds as refund_queue
from app.services.ledger import balances
from app.services.orders import drafts, staging, workflow
from app.services.orders.drafts import AgentInput, DraftInput, save_draft
from app.services.orders.types.area_change import snapshot
from app.services.payments import (issue_building_notices, issue_custom_notices, issue_owner_notices,
                                   reissue_notice)
from app.services.payments.confirm import NoticeAlreadyPaid, confirm
from app.services.payments.reversal import SameOfficer, approve_reversal, request_reversal
from tests.reversal_support import second_officer
from tests.test_orders_concurrency import _race
from tests.test_orders_split_merge import garages, new_order, opened_by, part, run_import, sheet

AGENT = AgentInput(name="李敏", phone="13800138001", id_type="01", id_no="11010519491231002X")
ACCOUNT = {"refund_account_name": "江门市华信置业有限公司", "refund_bank_name": "中国银行江门分行",
           "refund_account_no": "6216610200001234567"}
CENT = Decimal("0.01")


@dataclass
class Day:
    """What the steps share: the database, the actors, the places made today, the money seen."""

    app: Any
    session: Any
    demo: Any
    postgres: bool
    #: What the bank confirmed (new confirmations only), took back by an approved reversal, and
    #: paid out of house accounts.
    bank_in: Decimal = ZERO
    taken_back: Decimal = ZERO
    paid_out: Decimal = ZERO
    places: dict[str, int] = field(default_factory=dict)
    houses: dict[str, list[int]] = field(default_factory=dict)
    refunds: dict[str, list[int]] = field(default_factory=dict)
    notices: dict[str, str] = field(default_factory=dict)
    serials: Any = field(default_factory=lambda: itertools.count(1))

    @property
    def dev(self) -> Any:
        return self.demo.users["dev_a"]

    @property
    def officer(self) -> Any:
        return self.demo.users["officer"]

    @property
    def checker(self) -> Any:
        """A second fund officer: the checker of the demo officer's reversals."""
        return second_officer(self.app, self.session)

    def notice(self, name: str) -> Notice:
        return self.session.scalar(select(Notice).where(Notice.number == self.notices[name]))

    def refund(self, refund_id: int) -> Refund:
        return self.session.get(Refund, refund_id)

    def ledger_rows(self) -> int:
        return self.session.scalar(select(func.count(LedgerEntry.id)))

    def house(self, house_id: int) -> House:
        return self.session.get(House, house_id)

    def approve(self, order_id: int) -> None:
        workflow.submit(self.session, order_id, self.dev)
        workflow.accept(self.session, order_id, self.officer, papers_checked=True)
        workflow.approve(self.session, order_id, self.officer)
        self.session.expire_all()

    def pay(self, number: str, *, channel: str = CHANNEL_BANK, serial: Optional[str] = None) -> Any:
        """The bank confirms a notice in full; a new confirmation adds to ``bank_in``."""
        notice = self.session.scalar(select(Notice).where(Notice.number == number))
        result = confirm(self.session, number, serial or f"DAY-{next(self.serials):04d}", channel,
                         local_today(), notice.total, self.officer.id)
        if not result.replayed:
            self.bank_in += result.notice.total
        return result


# ----------------------------------------------------------------------------- the checker

def check_invariants(day: Day, step: str) -> None:
    """ledger = balance = confirmed notices − paid refunds ± transfers, per house and in total."""
    session = day.session
    session.expire_all()
    rows = session.scalars(select(LedgerEntry)).all()
    by_house: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for row in rows:
        assert row.amount == row.amount.quantize(CENT), (step, row.id)
        by_house[row.house_id][row.kind] += row.amount
        by_house[row.house_id]["all"] += row.amount
    # Deposits: one row per house line and confirmation round; a reversal row takes back exactly one
    # round; what is left is one credited round per house line of every paid notice, for its amount.
    deposits = {(r.notice_id, r.house_id, r.notice_round): r.amount for r in rows
                if r.kind == ENTRY_DEPOSIT}
    assert len(deposits) == sum(1 for r in rows if r.kind == ENTRY_DEPOSIT), step
    taken = {(r.notice_id, r.house_id, r.notice_round): -r.amount for r in rows
             if r.kind == ENTRY_REVERSAL}
    assert len(taken) == sum(1 for r in rows if r.kind == ENTRY_REVERSAL), step
    assert all(deposits.get(key) == amount for key, amount in taken.items()), \
        f"{step}: a reversal took back other than one credited round"
    live = [key for key in deposits if key not in taken]
    credited = {(notice_id, house_id): deposits[(notice_id, house_id, n)]
                for notice_id, house_id, n in live}
    assert len(credited) == len(live), f"{step}: a notice line credited twice"
    paid_lines: dict[tuple[int, int], Decimal] = {}
    confirmed_by_house: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for notice in session.scalars(select(Notice).where(Notice.status == NOTICE_PAID)):
        assert notice.total == sum((line.amount for line in notice.lines), ZERO), (step, notice.number)
        for line in notice.lines:
            paid_lines[(notice.id, line.house_id)] = line.amount
            confirmed_by_house[line.house_id] += line.amount
    assert credited == paid_lines, f"{step}: deposits differ from confirmed notices"
    # Refunds: every refund row is a paid refund record of that house, for its amount.
    paid_refunds: dict[int, Decimal] = defaultdict(lambda: ZERO)
    pending_refunds: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for refund in session.scalars(select(Refund).where(Refund.status != REFUND_REJECTED)):
        (paid_refunds if refund.status == REFUND_PAID else pending_refunds)[refund.house_id] += refund.amount
    refund_rows = {r.refund_id: -r.amount for r in rows if r.kind == ENTRY_REFUND}
    assert refund_rows == {r.id: r.amount for r in session.scalars(
        select(Refund).where(Refund.status == REFUND_PAID))}, f"{step}: refund rows vs paid refunds"
    # Transfers move money between houses and never make any.
    transfers = [r for r in rows if r.kind in (ENTRY_TRANSFER_IN, ENTRY_TRANSFER_OUT)]
    assert sum((r.amount for r in transfers), ZERO) == ZERO, step
    # Per house: the ledger, the balance the services read and the business figures agree.
    house_ids = {h for h, in session.execute(select(House.id))}
    derived = balances(session, house_ids)
    column = {h.id: h.balance for h in session.scalars(select(House).options(undefer(House.balance)))}
    for house_id in house_ids:
        kinds = by_house.get(house_id, {})
        ledger = kinds.get("all", ZERO)
        moved = kinds.get(ENTRY_TRANSFER_IN, ZERO) + kinds.get(ENTRY_TRANSFER_OUT, ZERO)
        expected = confirmed_by_house[house_id] - paid_refunds[house_id] + moved
        assert derived[house_id].balance == ledger == expected, (step, house_id, ledger, expected)
        assert Decimal(column[house_id] or 0).quantize(CENT) == ledger, (step, house_id)
        assert pending_refunds[house_id] <= ledger, f"{step}: house {house_id} owes more than it holds"
    # In total: nothing created, nothing lost.
    held = day.bank_in - day.taken_back - day.paid_out
    total = session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0)))
    assert Decimal(total).quantize(CENT) == held, (step, total, held)
    assert sum((b.balance for b in derived.values()), ZERO) == held, step


# ----------------------------------------------------------------------------- the steps

def collect_area(day: Day) -> None:
    """物业区域采集: a new area, one 12-storey lift building, four houses opened on approval."""
    order = save_draft(day.session, day.dev, AREA_COLLECT, DraftInput(
        agent=AGENT, fields={"area": {"name": "账日花园", "district_code": "440703",
                                      "address": "江门市蓬江区账日路1号"},
                             "deposit_time_point": "2026-03-01"}))
    rows = [(staging.BUILDING, staging.building_data(name="A座", structure_code="rc", floors=12))]
    rows += [(staging.HOUSE, staging.house_data(
        building="A座", unit="1", floor=1, room=f"10{i + 1}", building_area=Decimal("88.50"),
        use_code="residential", has_lift=True, source="excel")) for i in range(4)]
    staging.insert_lines(day.session, order.id, rows)
    day.session.commit()
    day.approve(order.id)
    order = day.session.get(BusinessOrder, order.id)
    houses = day.session.scalars(select(House).where(House.opened_by_order_id == order.id)
                                 .order_by(House.room)).all()
    assert [h.amount_due for h in houses] == [Decimal("7965.00")] * 4
    day.places["area"], day.places["building"] = order.area_id, houses[0].building_id
    day.houses["collected"] = [h.id for h in houses]


def supplement_houses(day: Day) -> None:
    """房屋补录: two more houses in the demo building."""
    building = day.session.get(Building, day.demo.building_a.id)
    order = save_draft(day.session, day.dev, HOUSE_SUPPLEMENT, DraftInput(
        agent=AGENT, fields={"area_id": day.demo.area_a.id, "deposit_time_point": "2026-03-01"}))
    staging.insert_lines(day.session, order.id, [(staging.HOUSE, staging.house_data(
        building=building.name, unit="1", floor=99, room=f"990{i + 1}", building_area=Decimal("100.00"),
        use_code="residential", has_lift=True, source="excel")) for i in range(2)])
    day.session.commit()
    day.approve(order.id)
    added = day.session.scalars(select(House).where(House.opened_by_order_id == order.id)
                                .order_by(House.room)).all()
    assert len(added) == 2 and all(h.amount_due > ZERO for h in added)
    day.houses["supplemented"] = [h.id for h in added]


def print_notices(day: Day) -> None:
    """Notices of every payer and payment type: a developer batch, an owner's, custom ones."""
    area = day.session.get(PropertyArea, day.places["area"])
    batch = issue_building_notices(day.session, area, [day.places["building"]], user_id=day.dev.id)
    assert len(batch.notices) == 1 and len(batch.notices[0].lines) == 4
    day.notices["batch"] = batch.notices[0].number
    owned = day.house(day.houses["supplemented"][0])
    owned.owners = [Owner(org_id=owned.org_id, seq=1, name="张三", id_type="01",
                          id_no="11010519491231002X", phone="13800138000")]
    day.session.commit()
    owner = issue_owner_notices(day.session, day.demo.area_a, [owned.id], user_id=day.dev.id)
    day.notices["owner"] = owner.notices[0].number
    # A first deposit paid in part (a custom amount), and the rest as an "other" payment later.
    second = day.house(day.houses["supplemented"][1])
    part = (second.amount_due / 3).quantize(CENT)
    custom = issue_custom_notices(day.session, day.demo.area_a, PAY_FIRST, {second.id: part},
                                  user_id=day.dev.id)
    day.notices["part"] = custom.notices[0].number
    demo_houses = day.session.scalars(select(House).where(House.building_id == day.demo.building_a.id,
                                                          House.status == HOUSE_OPEN,
                                                          House.floor != 99)
                                      .order_by(House.id).limit(3)).all()
    day.houses["demo"] = [h.id for h in demo_houses]
    topup = issue_custom_notices(day.session, day.demo.area_a, PAY_TOPUP,
                                 {h.id: None for h in demo_houses}, user_id=day.dev.id)
    day.notices["topup"] = topup.notices[0].number
    # Printed again: the first print is voided, the new number is the one paid.
    again = reissue_notice(day.session, topup.notices[0], user_id=day.dev.id)
    day.notices["topup"] = again.notices[0].number


def refuse_renew_for_unpaid_houses(day: Day) -> None:
    """续筹 for a house that never paid is refused, naming the house, and stores nothing."""
    house = day.house(day.houses["collected"][0])
    before = day.session.scalar(select(func.count(Notice.id)))
    with pytest.raises(ValidationFailed) as caught:
        issue_custom_notices(day.session, day.session.get(PropertyArea, day.places["area"]), PAY_RENEW,
                             {house.id: Decimal("100.00")}, user_id=day.dev.id)
    assert [p.field for p in caught.value.problems] == [house.code]
    assert house.code in str(caught.value.problems[0].reason)
    assert day.session.scalar(select(func.count(Notice.id))) == before


def bank_confirms(day: Day) -> None:
    """The bank confirms them over its three channels."""
    for name, channel in (("batch", CHANNEL_BANK), ("owner", CHANNEL_QIAODU), ("part", CHANNEL_POS),
                          ("topup", CHANNEL_BANK)):
        assert not day.pay(day.notices[name], channel=channel).replayed


def duplicate_confirmation(day: Day) -> None:
    """The same confirmation again is answered with the first result and books nothing; another
    serial for a paid notice is refused."""
    notice = day.session.scalar(select(Notice).where(Notice.number == day.notices["batch"]))
    again = day.pay(notice.number, serial=notice.bank_serial)
    assert again.replayed
    with pytest.raises(NoticeAlreadyPaid):
        day.pay(notice.number, serial="DAY-OTHER-SERIAL")


def concurrent_confirmation(day: Day) -> None:
    """Two tellers confirm the same notice at once with their own serials: exactly one counts."""
    rest = day.house(day.houses["supplemented"][1])
    other = issue_custom_notices(day.session, day.demo.area_a, PAY_OTHER, {rest.id: None},
                                 user_id=day.dev.id).notices[0]
    number, total = other.number, other.total
    results: list[Any] = [None, None]
    if day.postgres:
        from app.extensions import db

        barrier = threading.Barrier(2)

        def run(i: int) -> None:
            with day.app.app_context():
                barrier.wait()
                try:
                    results[i] = confirm(db.session, number, f"DAY-RACE-{i}", CHANNEL_BANK,
                                         local_today(), total, None)
                except DomainError as error:
                    results[i] = error
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    else:  # SQLite serialises writers: the second teller comes strictly after the first
        for i in range(2):
            try:
                results[i] = confirm(day.session, number, f"DAY-RACE-{i}", CHANNEL_BANK,
                                     local_today(), total, None)
            except DomainError as error:
                results[i] = error
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1 and not winners[0].replayed, results
    assert all(isinstance(r, NoticeAlreadyPaid) for r in results if isinstance(r, Exception)), results
    day.bank_in += total


def change_area(day: Day) -> None:
    """物业区域变更: completed on save, moves no money."""
    area = day.session.get(PropertyArea, day.places["area"])
    values = {**snapshot(area), "address": "江门市蓬江区账日路2号"}
    save_draft(day.session, day.dev, AREA_CHANGE, DraftInput(
        agent=AGENT, reason="门牌调整", fields={"area_id": area.id, "area": values}))


def change_building(day: Day) -> None:
    """楼幢变更: 12 storeys were 6, so the 55 yuan/m² tier applies; the excess becomes refunds owed."""
    order = save_draft(day.session, day.dev, BUILDING_CHANGE, DraftInput(
        agent=AGENT, reason="楼层数登记有误",
        fields={"area_id": day.places["area"], **ACCOUNT}))
    drafts.pick_rows(day.session, order.id, day.dev, [day.places["building"]])
    (seq, _target, _before, after), = staging.changes(day.session, order.id, staging.BUILDING)
    drafts.modify_lines(day.session, order.id, day.dev, [seq], {**after, "floors": "6"})
    day.approve(order.id)
    refunds = day.session.scalars(select(Refund).where(Refund.order_id == order.id)
                                  .order_by(Refund.house_id)).all()
    assert len(refunds) == 4 and {r.amount for r in refunds} == {Decimal("7965.00") - Decimal("4867.50")}
    day.refunds["building"] = [r.id for r in refunds]


def change_house(day: Day) -> None:
    """房屋信息变更: the owner's house was measured at 25 m², not 100: most of its deposit is owed back."""
    house_id = day.houses["supplemented"][0]
    order = save_draft(day.session, day.dev, HOUSE_CHANGE, DraftInput(
        agent=AGENT, reason="面积测绘更正", fields={"area_id": day.demo.area_a.id, **ACCOUNT}))
    drafts.pick_rows(day.session, order.id, day.dev, [house_id])
    seq = staging.changes(day.session, order.id, staging.HOUSE)[0][0]
    drafts.modify_lines(day.session, order.id, day.dev, [seq], {"building_area": "25.00"})
    day.approve(order.id)
    refund = day.session.scalars(select(Refund).where(Refund.order_id == order.id)).one()
    house = day.house(house_id)
    assert refund.amount == balances(day.session, [house_id])[house_id].balance - house.amount_due
    day.places["changed_refund"] = refund.id


def cancel_house(day: Day) -> None:
    """房屋注销: a paid house is closed and its whole balance owed back, no money moving yet."""
    house_id = day.houses["demo"][0]
    held = balances(day.session, [house_id])[house_id].balance
    order = save_draft(day.session, day.dev, HOUSE_CANCEL, DraftInput(
        agent=AGENT, reason="房屋灭失", fields={"area_id": day.demo.area_a.id, **ACCOUNT}))
    drafts.pick_rows(day.session, order.id, day.dev, [house_id])
    day.approve(order.id)
    assert day.house(house_id).status == HOUSE_CANCELLED
    refund = day.session.scalars(select(Refund).where(Refund.order_id == order.id)).one()
    assert refund.amount == held > ZERO


def pay_out_the_house_refund(day: Day) -> None:
    """The refund queue: a fund officer approves the owner's refund, then records the bank's payout
    (serial, date): one refund ledger row; the same payout sent again books nothing."""
    refund_id = day.places["changed_refund"]
    assert day.refund(refund_id).status == REFUND_PENDING
    refund_queue.approve(day.session, refund_id, day.officer, opinion="同意退款")
    paid = refund_queue.record_payout(day.session, refund_id, day.officer,
                                      bank_serial="DAY-REFUND-1", paid_on=local_today())
    assert not paid.replayed and paid.refund.status == REFUND_PAID
    day.paid_out += paid.refund.amount
    rows = day.ledger_rows()
    assert refund_queue.record_payout(day.session, refund_id, day.officer, bank_serial="DAY-REFUND-1",
                                      paid_on=local_today()).replayed
    assert day.ledger_rows() == rows


def renew(day: Day) -> None:
    """续筹: refused while the balance is at or above the threshold, proposed back to the first
    deposit once below it, and paid."""
    area = day.demo.area_a
    above = day.houses["demo"][1]
    with pytest.raises(ValidationFailed) as caught:
        issue_custom_notices(day.session, area, PAY_RENEW, {above: None}, user_id=day.dev.id)
    assert day.house(above).code in str(caught.value.problems[0].reason)
    low = day.houses["supplemented"][0]
    money = balances(day.session, [low])[low]
    assert money.balance * 100 < money.first * 30
    notice = issue_custom_notices(day.session, area, PAY_RENEW, {low: None}, user_id=day.dev.id).notices[0]
    assert notice.total == money.first - money.balance
    assert not day.pay(notice.number).replayed
    after = balances(day.session, [low])[low]
    assert after.balance == money.first and after.first == money.first  # a 续筹 is no first deposit


def leave_a_notice_unpaid(day: Day) -> None:
    """An unpaid notice at the end of the day holds no money."""
    house = day.house(day.houses["demo"][2])
    number = issue_custom_notices(day.session, day.demo.area_a, PAY_OTHER, {house.id: Decimal("12.34")},
                                  user_id=day.dev.id).notices[0].number
    assert day.session.scalar(select(Notice.status).where(Notice.number == number)) == NOTICE_UNPAID


def reject_a_refund(day: Day) -> None:
    """A refund rejected with the officer's reason: the money stays on the house, and a rejected
    refund cannot be paid out."""
    refund_id = day.refunds["building"][0]
    rows = day.ledger_rows()
    with pytest.raises(ValidationFailed):
        refund_queue.reject(day.session, refund_id, day.officer, opinion=" ")
    rejected = refund_queue.reject(day.session, refund_id, day.officer,
                                   opinion="楼层数以原登记为准")
    assert rejected.status == REFUND_REJECTED
    with pytest.raises(InvalidTransition):
        refund_queue.record_payout(day.session, refund_id, day.officer, bank_serial="DAY-REJECTED",
                                   paid_on=local_today())
    assert day.refund(refund_id).status == REFUND_REJECTED and day.ledger_rows() == rows


def _pay_garages(day: Day, amounts: dict[int, Optional[Decimal]]) -> None:
    """A first deposit for garages of the demo area, through a notice the bank confirms."""
    notice = issue_custom_notices(day.session, day.demo.area_a, PAY_FIRST, amounts,
                                  user_id=day.dev.id).notices[0]
    assert not day.pay(notice.number).replayed


def _split_merge(day: Day, houses: list[House], rows: list[dict[str, Any]],
                 **fields: Any) -> list[House]:
    """A 房屋拆分合并 order: pick, import the edited sheet, approve; the houses it opened."""
    order = new_order(day.session, day.demo, houses, **fields)
    job = run_import(day.app, day.session, day.demo, order, sheet(rows))
    assert job.state == "done", (job.message, job.problems)
    day.approve(order.id)
    assert {day.house(h.id).status for h in houses} == {HOUSE_CLOSED}
    return opened_by(day.session, order)


def split_a_house(day: Day) -> None:
    """房屋拆分: a garage holding 100.00 becomes three of equal area: 33.33 + 33.33 + 33.34."""
    old = garages(day.session, day.demo, 1)[0]
    _pay_garages(day, {old.id: Decimal("100.00")})
    new = _split_merge(day, [old], [part(old.code, f"DAY-G{i}", "10.00") for i in "ABC"])
    money = balances(day.session, [old.id] + [h.id for h in new])
    assert money[old.id].balance == ZERO
    assert [money[h.id].balance for h in new] == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]


def merge_two_houses(day: Day) -> None:
    """房屋合并: two garages' balances add up on the merged house; above its amount due, a refund."""
    first, second = garages(day.session, day.demo, 2)
    _pay_garages(day, {first.id: None, second.id: Decimal("10.01")})
    held = sum((balances(day.session, [h.id])[h.id].balance for h in (first, second)), ZERO)
    merged, = _split_merge(day, [first, second],
                           [part(f"{first.code}、{second.code}", first.room, "2.00")], **ACCOUNT)
    assert balances(day.session, [merged.id])[merged.id].balance == held
    refund = day.session.scalars(select(Refund).where(Refund.house_id == merged.id)).one()
    assert refund.status == REFUND_PENDING and refund.amount == held - merged.amount_due > ZERO


def reverse_a_confirmation(day: Day) -> None:
    """冲正: the batch notice was confirmed by mistake. One officer asks, another approves (the maker
    may not), the bank takes the money back; a refund approved before cannot be paid out of the
    emptied houses (nothing changes); the notice is then paid again with a new serial."""
    notice = day.notice("batch")
    number, total = notice.number, notice.total
    lines = {line.house_id: line.amount for line in notice.lines}
    house_ids = list(lines)
    refund_id = day.refunds["building"][1]
    refund_queue.approve(day.session, refund_id, day.officer)
    reversal = request_reversal(day.session, number, notice.bank_serial, "金额错误，误确认",
                                day.officer.id).reversal
    with pytest.raises(SameOfficer):
        approve_reversal(day.session, reversal.id, day.officer.id)
    approve_reversal(day.session, reversal.id, day.checker.id, opinion="核实无误")
    day.taken_back += total
    day.session.expire_all()
    assert day.notice("batch").status == NOTICE_UNPAID
    assert {m.balance for m in balances(day.session, house_ids).values()} == {ZERO}

    rows = day.ledger_rows()
    with pytest.raises(ValidationFailed):
        refund_queue.record_payout(day.session, refund_id, day.officer, bank_serial="DAY-OVERDRAWN",
                                   paid_on=local_today())
    day.session.expire_all()
    refund = day.refund(refund_id)
    assert (refund.status, refund.payout_serial) == (REFUND_APPROVED, None)
    assert day.ledger_rows() == rows

    again = day.pay(number)
    assert not again.replayed and again.notice.bank_serial != reversal.bank_serial
    assert {h: m.balance for h, m in balances(day.session, house_ids).items()} == lines


def _contend(day: Day, target: int, officers: list[Any],
             action: Callable[[Any, int, Any], Any]) -> list[Any]:
    """Two officers act on ``target`` at the same moment, in threads with their own sessions."""
    user_ids = [officer.id for officer in officers]
    day.session.commit()  # the day's session holds no transaction while the threads write
    results = _race(day.app, target, user_ids, action)
    day.session.expire_all()
    assert sorted(r == "ok" for r in results) == [False, True], results
    loser = next(r for r in results if r != "ok")
    # The winner claims the row before reading balances, so the loser reads the decision.
    assert isinstance(loser, str) and "already" in loser, loser
    return results


def concurrent_reversal(day: Day) -> None:
    """Two officers approve the same reversal at once: the payment is taken back exactly once; the
    notice is then paid a third time."""
    notice = day.notice("batch")
    number, total = notice.number, notice.total
    reversal = request_reversal(day.session, number, notice.bank_serial, "通知单付错",
                                day.checker.id).reversal
    reversal_id = reversal.id
    _contend(day, reversal_id, [day.officer, day.demo.users["admin"]],
             lambda s, rid, user: approve_reversal(s, rid, user.id, opinion="同意"))
    day.taken_back += total
    assert day.session.get(PaymentReversal, reversal_id).status == REVERSAL_APPROVED
    assert day.session.scalar(select(func.count(LedgerEntry.id)).where(
        LedgerEntry.reversal_id == reversal_id)) == len(notice.lines)
    house_ids = [line.house_id for line in notice.lines]
    assert {m.balance for m in balances(day.session, house_ids).values()} == {ZERO}
    assert not day.pay(number).replayed


def concurrent_payout(day: Day) -> None:
    """Two officers record the payout of the same refund at once, with their own serials: one refund
    ledger row, the other officer told it was already paid."""
    refund_id = day.refunds["building"][1]
    refund = day.refund(refund_id)
    amount, house_id = refund.amount, refund.house_id
    assert refund.status == REFUND_APPROVED

    def pay(s: Any, rid: int, user: Any) -> None:
        refund_queue.record_payout(s, rid, user, bank_serial=f"DAY-PAYOUT-{user.id}",
                                   paid_on=local_today())

    _contend(day, refund_id, [day.officer, day.demo.users["admin"]], pay)
    day.paid_out += amount
    assert day.refund(refund_id).status == REFUND_PAID
    assert list(day.session.scalars(select(LedgerEntry.amount).where(
        LedgerEntry.house_id == house_id, LedgerEntry.kind == ENTRY_REFUND))) == [-amount]


STEPS: list[tuple[str, Callable[[Day], None]]] = [
    ("area collect", collect_area),
    ("house supplement", supplement_houses),
    ("notices of every payer and type", print_notices),
    ("续筹 refused for a house never paid", refuse_renew_for_unpaid_houses),
    ("bank confirmations", bank_confirms),
    ("a duplicate confirmation", duplicate_confirmation),
    ("a concurrent confirmation", concurrent_confirmation),
    ("area change", change_area),
    ("building change", change_building),
    ("house change", change_house),
    ("house cancel", cancel_house),
    ("refund approved and paid out", pay_out_the_house_refund),
    ("续筹", renew),
    ("a refund rejected", reject_a_refund),
    ("house split", split_a_house),
    ("house merge", merge_two_houses),
    ("冲正, a refund payout refused, the notice paid again", reverse_a_confirmation),
    ("a concurrent reversal", concurrent_reversal),
    ("a concurrent refund payout", concurrent_payout),
    ("an unpaid notice", leave_a_notice_unpaid),
]


def test_a_day_of_money_creates_and_loses_nothing(app: Any, session: Any, demo: Any,
                                                  is_postgres: bool, monkeypatch: Any) -> None:
    monkeypatch.setitem(app.config, "ORDER_JOBS_INLINE", True)  # the split sheet's import, inline
    day = Day(app, session, demo, is_postgres)
    check_invariants(day, "start")
    for name, step in STEPS:
        step(day)
        check_invariants(day, name)
    assert day.bank_in > ZERO and day.taken_back > ZERO and day.paid_out > ZERO


@pytest.mark.parametrize("kind", [ENTRY_DEPOSIT, ENTRY_TRANSFER_IN])
def test_the_checker_sees_a_created_cent(app: Any, session: Any, demo: Any, is_postgres: bool,
                                         kind: str) -> None:
    """One cent booked outside the services, as a deposit or an unmatched transfer, fails it."""
    day = Day(app, session, demo, is_postgres)
    for _name, step in STEPS[:5]:
        step(day)
    check_invariants(day, "paid")
    house = day.house(day.houses["collected"][0])
    session.add(LedgerEntry(org_id=house.org_id, house_id=house.id, kind=kind, amount=CENT))
    session.commit()
    with pytest.raises(AssertionError):
        check_invariants(day, "a cent created")
