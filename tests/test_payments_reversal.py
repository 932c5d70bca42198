"""冲正: maker–checker reversal of a bank confirmation; the ledger goes back to the cent, the notice
can be paid again, a duplicate confirmation is still refused, money that left is not taken twice."""
from __future__ import annotations

from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from app.domain.localtime import local_today
from app.errors import Conflict, ValidationFailed
from app.models.audit import AuditLog
from app.models.ledger import ENTRY_DEPOSIT, ENTRY_REVERSAL, LedgerEntry
from app.models.outbox import OutboxMessage
from app.models.payment import CHANNEL_BANK, CHANNEL_POS, NOTICE_PAID, NOTICE_UNPAID
from app.models.reversal import REVERSAL_APPROVED, REVERSAL_PENDING, REVERSAL_REJECTED
from app.services.ledger import balances, book_refund
from app.services.payments import issue_building_notices
from app.services.payments.confirm import NoticeAlreadyPaid, confirm
from app.services.payments.reversal import (NoticeNotPaid, ReversalAlreadyPending, ReversalDecided,
                                            SameOfficer, approve_reversal, reject_reversal,
                                            request_reversal)
from app.services.unit_of_work import unit_of_work
from tests.reversal_support import ledger_sum, paid_notice, second_officer

TODAY = local_today()


@pytest.fixture()
def maker(demo):
    return demo.users["officer"]


@pytest.fixture()
def checker(app, session):
    return second_officer(app, session)


def _rows(session, **where) -> int:
    query = select(func.count(LedgerEntry.id))
    for name, value in where.items():
        query = query.where(getattr(LedgerEntry, name) == value)
    return session.scalar(query) or 0


def test_an_approved_reversal_takes_the_payment_back_to_the_cent(session, demo, maker, checker):
    notice = paid_notice(session, demo)
    house_ids = [line.house_id for line in notice.lines]
    paid_before = ledger_sum(session, house_ids)
    assert paid_before == notice.total
    confirmed_by = notice.confirmed_by_id

    requested = request_reversal(session, notice.number, notice.bank_serial, "金额错误，误确认",
                                 maker.id).reversal
    assert requested.status == REVERSAL_PENDING and requested.notice_round == 1
    session.refresh(notice)
    assert notice.status == NOTICE_PAID  # nothing moves before the checker approves
    pushes_before = session.scalar(select(func.count(OutboxMessage.id)))

    reversal = approve_reversal(session, requested.id, checker.id, opinion="核实无误")
    assert reversal.status == REVERSAL_APPROVED and reversal.decided_by_id == checker.id
    session.refresh(notice)
    assert notice.status == NOTICE_UNPAID
    assert (notice.bank_serial, notice.channel, notice.paid_on, notice.confirmed_at,
            notice.confirmed_by_id) == (None, None, None, None, None)
    # The record keeps what the confirmation said.
    assert (reversal.bank_serial, reversal.channel, reversal.paid_on, reversal.amount,
            reversal.confirmed_by_id) == ("BOC-PAY-1", CHANNEL_BANK, TODAY, notice.total, confirmed_by)
    assert ledger_sum(session, house_ids) == 0
    money = balances(session, house_ids)
    assert all(money[h].balance == Decimal("0.00") and money[h].deposited == Decimal("0.00")
               for h in house_ids)
    assert _rows(session, kind=ENTRY_REVERSAL, reversal_id=reversal.id) == len(house_ids)
    linked = [line.house for line in notice.lines if line.house.trade_house_code]
    pushes = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)
                             .offset(pushes_before)).all()
    assert len(pushes) == len(linked) > 0
    assert {p.payload["status"] for p in pushes} == {"未交存"}
    assert {p.payload["reason"] for p in pushes} == {"reversal"}
    actions = set(session.scalars(select(AuditLog.action).where(AuditLog.action.like("%revers%"))))
    assert actions == {"reversal.requested", "reversal.approved", "notice.reversed"}
    audit = session.scalar(select(AuditLog).where(AuditLog.action == "notice.reversed"))
    assert audit.detail["before"]["bank_serial"] == "BOC-PAY-1"


def test_the_maker_cannot_be_the_checker(session, demo, maker):
    notice = paid_notice(session, demo)
    reversal = request_reversal(session, notice.number, notice.bank_serial, "误确认", maker.id).reversal
    with pytest.raises(SameOfficer) as caught:
        approve_reversal(session, reversal.id, maker.id)
    with force_locale("en"):
        assert "different fund officer" in str(caught.value.message)
    with pytest.raises(SameOfficer):
        reject_reversal(session, reversal.id, maker.id, "撤回")
    session.refresh(reversal)
    session.refresh(notice)
    assert reversal.status == REVERSAL_PENDING and notice.status == NOTICE_PAID
    assert _rows(session, kind=ENTRY_REVERSAL) == 0


def test_a_reversed_notice_can_be_paid_again_but_not_twice(session, demo, maker, checker):
    notice = paid_notice(session, demo)
    lines = len(notice.lines)
    reversal = request_reversal(session, notice.number, "BOC-PAY-1", "误确认", maker.id).reversal
    approve_reversal(session, reversal.id, checker.id)

    again = confirm(session, notice.number, "BOC-PAY-2", CHANNEL_POS, TODAY, notice.total, None)
    assert not again.replayed and again.notice.status == NOTICE_PAID
    assert _rows(session, kind=ENTRY_DEPOSIT, notice_id=notice.id, notice_round=2) == lines
    assert ledger_sum(session, [line.house_id for line in notice.lines]) == notice.total
    # The same confirmation again books nothing; another serial is refused, as before.
    assert confirm(session, notice.number, "BOC-PAY-2", CHANNEL_POS, TODAY, notice.total,
                   None).replayed
    with pytest.raises(NoticeAlreadyPaid):
        confirm(session, notice.number, "BOC-PAY-3", CHANNEL_POS, TODAY, notice.total, None)
    assert _rows(session, notice_id=notice.id) == 3 * lines
    # And the database still refuses a second deposit row of the same round.
    first = session.scalar(select(LedgerEntry).where(LedgerEntry.notice_id == notice.id,
                                                     LedgerEntry.notice_round == 2))
    with pytest.raises(IntegrityError):
        with unit_of_work(session):
            session.execute(insert(LedgerEntry).values(
                org_id=first.org_id, house_id=first.house_id, kind=ENTRY_DEPOSIT,
                amount=first.amount, notice_id=notice.id, notice_round=2, booked_at=first.booked_at))

    # The second payment can be reversed in its turn; the first round is not taken twice.
    second = request_reversal(session, notice.number, "BOC-PAY-2", "又错了", checker.id).reversal
    assert second.notice_round == 2
    approve_reversal(session, second.id, maker.id)
    assert ledger_sum(session, [line.house_id for line in notice.lines]) == 0
    assert _rows(session, kind=ENTRY_REVERSAL, notice_id=notice.id) == 2 * lines


def test_the_serial_of_a_reversed_payment_may_pay_the_right_notice(session, demo, maker, checker):
    wrong = paid_notice(session, demo, serial="BOC-MIX")
    right = paid_notice(session, demo, serial="BOC-OTHER", building_offset=1)
    reversal = request_reversal(session, wrong.number, "BOC-MIX", "付错通知单", maker.id).reversal
    approve_reversal(session, reversal.id, checker.id)
    # right was paid with another serial meanwhile; a third notice takes the freed serial
    third = paid_notice(session, demo, serial="BOC-MIX", building_offset=2)
    assert third.bank_serial == "BOC-MIX" and right.status == NOTICE_PAID


def test_money_that_left_a_house_stops_the_reversal(session, demo, maker, checker):
    notice = paid_notice(session, demo)
    house = notice.lines[0].house
    with unit_of_work(session):
        book_refund(session, house, Decimal("10.00"), refund_id=None, memo="退款")
    reversal = request_reversal(session, notice.number, notice.bank_serial, "误确认", maker.id).reversal
    rows = _rows(session)
    with pytest.raises(ValidationFailed) as caught:
        approve_reversal(session, reversal.id, checker.id)
    assert [p.field for p in caught.value.problems] == [house.code]
    with force_locale("en"):
        assert "money has left this house" in str(caught.value.problems[0].reason)
    session.refresh(reversal)
    session.refresh(notice)
    assert reversal.status == REVERSAL_PENDING and notice.status == NOTICE_PAID
    assert _rows(session) == rows
    # Rejecting it needs a reason and leaves the payment as it is.
    with pytest.raises(ValidationFailed):
        reject_reversal(session, reversal.id, checker.id, " ")
    rejected = reject_reversal(session, reversal.id, checker.id, "已退款，不能冲正")
    assert rejected.status == REVERSAL_REJECTED and rejected.opinion == "已退款，不能冲正"
    with pytest.raises(ReversalDecided):
        approve_reversal(session, reversal.id, checker.id)
    session.refresh(notice)
    assert notice.status == NOTICE_PAID


def test_what_cannot_be_requested(session, demo, maker):
    notice = paid_notice(session, demo)
    with pytest.raises(ValidationFailed) as caught:
        request_reversal(session, "JK", "", " ", maker.id)
    assert {p.field for p in caught.value.problems} == {"notice_number", "bank_serial", "reason"}
    with pytest.raises(ValidationFailed) as caught:
        request_reversal(session, notice.number, "BOC-NOT-THIS", "误确认", maker.id)
    assert caught.value.problems[0].field == "bank_serial"
    request_reversal(session, notice.number, notice.bank_serial, "误确认", maker.id)
    with pytest.raises(ReversalAlreadyPending):
        request_reversal(session, notice.number, notice.bank_serial, "再次申请", maker.id)
    fresh = issue_building_notices(session, demo.area_a, [demo.building_a.id + 1],
                                   user_id=None).notices[0]
    with pytest.raises(NoticeNotPaid):
        request_reversal(session, fresh.number, "BOC-PAY-1", "误确认", maker.id)


def test_a_reversal_never_takes_back_other_than_what_was_credited(session, demo, maker, checker):
    notice = paid_notice(session, demo)
    reversal = request_reversal(session, notice.number, notice.bank_serial, "误确认", maker.id).reversal
    reversal.notice_round = 7  # rows of a round that was never booked
    session.commit()
    with pytest.raises(Conflict) as caught:
        approve_reversal(session, reversal.id, checker.id)
    with force_locale("en"):
        assert "The ledger holds 0.00" in str(caught.value.message)
    session.refresh(notice)
    assert notice.status == NOTICE_PAID and _rows(session, kind=ENTRY_REVERSAL) == 0
