"""Refunds, fund-office side: review, payout, the ledger rows and the balance guard."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from app.domain.localtime import local_today
from app.errors import (Conflict, InvalidTransition, PermissionDenied, ValidationFailed,
                        field_label)
from app.models.audit import AuditLog
from app.models.ledger import ENTRY_DEPOSIT, ENTRY_REFUND, LedgerEntry
from app.models.outbox import OutboxMessage
from app.models.payment import (REFUND_APPROVED, REFUND_PAID, REFUND_PENDING, REFUND_REJECTED,
                                Refund)
from app.models.order import HOUSE_CHANGE
from app.models.property import House
from app.services import refunds
from app.services.ledger import balances, book_deposit, book_refund, paid_amount
from app.services.orders import drafts, workflow
from app.services.orders.drafts import DraftInput, save_draft
from app.services.outbox import DEPOSIT_CANCELLED, DEPOSIT_PAID
from tests.refunds_support import cancelled_with_refunds
from tests.test_orders_house_change import ACCOUNT, AGENT, change_order, lift_houses

TODAY = local_today()


def _ledger_count(session) -> int:
    return session.scalar(select(func.count(LedgerEntry.id)))


def test_approve_then_payout_books_one_negative_refund_row_and_pushes_the_status(session, demo):
    officer = demo.users["officer"]
    refund = cancelled_with_refunds(session, demo, ["1234.56"])[0]
    house = session.get(House, refund.house_id)
    house.trade_house_code = "TH-REFUND-1"
    session.commit()
    assert refund.status == REFUND_PENDING
    refunds.approve(session, refund.id, officer, opinion="资料齐全，同意退款")
    session.expire_all()
    refund = session.get(Refund, refund.id)
    assert (refund.status, refund.opinion, refund.reviewed_by_id) == (
        REFUND_APPROVED, "资料齐全，同意退款", officer.id)
    assert paid_amount(session, house.id) == Decimal("1234.56")  # approval moves no money

    result = refunds.record_payout(session, refund.id, officer, bank_serial=" TK-BANK-0001 ",
                                   paid_on=TODAY.isoformat())
    assert not result.replayed
    session.expire_all()
    refund = session.get(Refund, refund.id)
    assert (refund.status, refund.payout_serial, refund.paid_on, refund.processed_by_id) == (
        REFUND_PAID, "TK-BANK-0001", TODAY, officer.id)
    rows = session.scalars(select(LedgerEntry).where(LedgerEntry.kind == ENTRY_REFUND)).all()
    assert [(r.house_id, r.amount, r.refund_id, r.order_id, r.value_date) for r in rows] == [
        (house.id, Decimal("-1234.56"), refund.id, refund.order_id, TODAY)]
    assert paid_amount(session, house.id) == Decimal("0.00")
    push = session.scalars(select(OutboxMessage).where(OutboxMessage.house_code == "TH-REFUND-1")
                           .order_by(OutboxMessage.id.desc())).first()
    assert push.payload["amount_paid"] == "0.00" and push.payload["status"] == DEPOSIT_CANCELLED
    assert push.payload["reason"] == "refund"
    actions = session.scalars(select(AuditLog.action).where(
        AuditLog.object_type == "Refund", AuditLog.object_id == refund.id).order_by(AuditLog.id)).all()
    assert actions == ["refund.approved", "refund.paid"]


def test_the_same_payout_again_is_answered_once_and_another_serial_is_refused(session, demo):
    officer = demo.users["officer"]
    first, second = cancelled_with_refunds(session, demo, ["100.00", "200.00"])
    for refund in (first, second):
        refunds.approve(session, refund.id, officer)
    refunds.record_payout(session, first.id, officer, bank_serial="S-1", paid_on=TODAY)
    rows = _ledger_count(session)
    again = refunds.record_payout(session, first.id, officer, bank_serial="S-1", paid_on=TODAY)
    assert again.replayed and _ledger_count(session) == rows
    with pytest.raises(Conflict) as caught, force_locale("en"):
        refunds.record_payout(session, first.id, officer, bank_serial="S-2", paid_on=TODAY)
    with force_locale("en"):
        assert "already paid out" in str(caught.value.message) and "S-1" in str(caught.value.message)
    with pytest.raises(Conflict) as caught:  # one serial, one payout
        refunds.record_payout(session, second.id, officer, bank_serial="S-1", paid_on=TODAY)
    with force_locale("en"):
        assert refunds.refund_number(first) in str(caught.value.message)
    session.expire_all()
    assert session.get(Refund, second.id).status == REFUND_APPROVED
    assert _ledger_count(session) == rows


def test_states_only_move_forward(session, demo):
    officer = demo.users["officer"]
    a, b = cancelled_with_refunds(session, demo, ["10.00", "20.00"])
    with pytest.raises(InvalidTransition):  # a payout needs the approval first
        refunds.record_payout(session, a.id, officer, bank_serial="S-9", paid_on=TODAY)
    refunds.approve(session, a.id, officer)
    with pytest.raises(InvalidTransition):
        refunds.approve(session, a.id, officer)
    refunds.reject(session, a.id, officer, opinion="账户信息有误")  # approved, not yet paid: may be rejected
    refunds.approve(session, b.id, officer)
    refunds.record_payout(session, b.id, officer, bank_serial="S-10", paid_on=TODAY)
    for action in (lambda: refunds.reject(session, b.id, officer, opinion="x"),
                   lambda: refunds.approve(session, b.id, officer),
                   lambda: refunds.approve(session, a.id, officer),
                   lambda: refunds.record_payout(session, a.id, officer, bank_serial="S-11",
                                                 paid_on=TODAY)):
        with pytest.raises(InvalidTransition):
            action()
    session.expire_all()
    assert session.get(Refund, a.id).status == REFUND_REJECTED
    assert session.get(Refund, a.id).opinion == "账户信息有误"
    assert paid_amount(session, a.house_id) == Decimal("10.00")  # a rejected refund stays on the house
    assert session.get(Refund, b.id).status == REFUND_PAID


def test_rejection_needs_an_opinion_and_a_stale_page_is_refused(session, demo):
    officer = demo.users["officer"]
    refund = cancelled_with_refunds(session, demo, ["10.00"])[0]
    with pytest.raises(ValidationFailed) as caught:
        refunds.reject(session, refund.id, officer, opinion="   ")
    assert [p.field for p in caught.value.problems] == ["opinion"]
    with force_locale("en"):
        assert str(caught.value.problems[0]).startswith("Opinion: ")
    with pytest.raises(Conflict):
        refunds.approve(session, refund.id, officer, expected_version=refund.version + 5)
    session.expire_all()
    refund = session.get(Refund, refund.id)
    assert (refund.status, refund.reviewed_at) == (REFUND_PENDING, None)
    assert session.scalar(select(func.count(AuditLog.id)).where(AuditLog.object_type == "Refund")) == 0


def test_only_the_fund_office_may_review_and_pay(session, demo):
    refund = cancelled_with_refunds(session, demo, ["10.00"])[0]
    for name in ("dev_a", "teller"):
        with pytest.raises(PermissionDenied):
            refunds.approve(session, refund.id, demo.users[name])
    refunds.approve(session, refund.id, demo.users["admin"])
    with pytest.raises(PermissionDenied):
        refunds.record_payout(session, refund.id, demo.users["dev_a"], bank_serial="S-1",
                              paid_on=TODAY)
    session.expire_all()
    assert session.get(Refund, refund.id).status == REFUND_APPROVED


def test_payout_input_problems_are_named_together_and_nothing_is_stored(session, demo):
    officer = demo.users["officer"]
    refund = cancelled_with_refunds(session, demo, ["10.00"])[0]
    refunds.approve(session, refund.id, officer)
    rows = _ledger_count(session)
    with pytest.raises(ValidationFailed) as caught:
        refunds.record_payout(session, refund.id, officer, bank_serial="流水 号!",
                              paid_on=(TODAY + dt.timedelta(days=1)).isoformat())
    assert [p.field for p in caught.value.problems] == ["payout_serial", "payout_date"]
    with force_locale("en"):
        texts = [str(p) for p in caught.value.problems]
    assert texts[0].startswith("Bank serial number of the payout: ")
    assert texts[1] == "Payout date: The payout date cannot be in the future."
    with force_locale("en"):  # the payments' own date field keeps its label
        assert str(field_label("paid_on")) == "Paid on"
    with pytest.raises(ValidationFailed) as caught:
        refunds.record_payout(session, refund.id, officer, bank_serial="", paid_on="2026-13-01")
    assert [p.field for p in caught.value.problems] == ["payout_serial", "payout_date"]
    with pytest.raises(ValidationFailed) as caught:  # before the approval
        refunds.record_payout(session, refund.id, officer, bank_serial="S-1",
                              paid_on=TODAY - dt.timedelta(days=30))
    assert [p.field for p in caught.value.problems] == ["payout_date"]
    session.expire_all()
    assert session.get(Refund, refund.id).status == REFUND_APPROVED
    assert _ledger_count(session) == rows


def test_a_refund_never_takes_more_than_the_house_holds(session, demo):
    officer = demo.users["officer"]
    refund = cancelled_with_refunds(session, demo, ["500.00"])[0]
    house = session.get(House, refund.house_id)
    # A second record for the same house (e.g. left by another business) cannot be approved once
    # the first has reserved the whole balance.
    extra = Refund(org_id=house.org_id, house_id=house.id, amount=Decimal("0.01"),
                   account_name="华信", bank_name="中国银行", account_no="62166102000012345")
    session.add(extra)
    session.commit()
    refunds.approve(session, refund.id, officer)
    with pytest.raises(ValidationFailed) as caught, force_locale("en"):
        refunds.approve(session, extra.id, officer)
    with force_locale("en"):
        message = str(caught.value.message)
    assert "0.01" in message and house.code in message and "(0.00 yuan)" in message
    assert [p.field for p in caught.value.problems] == ["amount"]
    # The balance shrinks between approval and payout (money moved out by another business):
    # the payout is refused and nothing is booked.
    book_refund(session, house, Decimal("0.02"), refund_id=None, memo="moved")
    session.commit()
    rows = _ledger_count(session)
    with pytest.raises(ValidationFailed) as caught:
        refunds.record_payout(session, refund.id, officer, bank_serial="S-1", paid_on=TODAY)
    with force_locale("en"):
        assert "499.98" in str(caught.value.message)
    session.expire_all()
    assert session.get(Refund, refund.id).status == REFUND_APPROVED
    assert session.get(Refund, refund.id).payout_serial is None
    assert _ledger_count(session) == rows


def test_no_cent_is_created_or_lost(session, demo):
    """Σ deposits − Σ refunds = Σ balances, per house and in total, after payouts."""
    officer = demo.users["officer"]
    made = cancelled_with_refunds(session, demo, ["1000.01", "0.01", "333.33"])
    for n, refund in enumerate(made[:2]):
        refunds.approve(session, refund.id, officer)
        refunds.record_payout(session, refund.id, officer, bank_serial=f"SUM-{n}", paid_on=TODAY)
    refunds.reject(session, made[2].id, officer, opinion="暂缓")
    ids = [r.house_id for r in made]
    per_kind = {house_id: {} for house_id in ids}
    for house_id, kind, total in session.execute(
            select(LedgerEntry.house_id, LedgerEntry.kind, func.sum(LedgerEntry.amount))
            .where(LedgerEntry.house_id.in_(ids)).group_by(LedgerEntry.house_id, LedgerEntry.kind)):
        per_kind[house_id][kind] = Decimal(total)
    money = balances(session, ids)
    paid_out = dict(session.execute(select(Refund.house_id, Refund.amount).where(
        Refund.house_id.in_(ids), Refund.status == REFUND_PAID)).all())
    for house_id in ids:
        deposits = per_kind[house_id].get(ENTRY_DEPOSIT, Decimal("0"))
        refunded = -per_kind[house_id].get(ENTRY_REFUND, Decimal("0"))
        assert refunded == paid_out.get(house_id, Decimal("0"))
        assert deposits - refunded == money[house_id].balance
    assert [money[i].balance for i in ids] == [Decimal("0.00"), Decimal("0.00"), Decimal("333.33")]
    total = sum((b.balance for b in money.values()), Decimal("0"))
    assert total == Decimal("1333.35") - Decimal("1000.02")


def test_lists_follow_the_tenant_scope_and_put_waiting_refunds_first(session, demo):
    from app.security.tenant import Scope

    officer = demo.users["officer"]
    a, b, c = cancelled_with_refunds(session, demo, ["1.00", "2.00", "3.00"])
    refunds.approve(session, b.id, officer)
    refunds.record_payout(session, b.id, officer, bank_serial="L-1", paid_on=TODAY)
    refunds.approve(session, c.id, officer)
    everything = refunds.list_refunds(session, Scope.everything(), refunds.RefundFilters())
    assert [r.id for r in everything.items] == [a.id, c.id, b.id] and everything.total == 3
    paid = refunds.list_refunds(session, Scope.everything(), refunds.RefundFilters(status=REFUND_PAID))
    assert [r.id for r in paid.items] == [b.id]
    dev_b = Scope.for_user(demo.users["dev_b"])
    assert refunds.list_refunds(session, dev_b, refunds.RefundFilters()).total == 0
    dev_a = Scope.for_user(demo.users["dev_a"])
    assert refunds.list_refunds(session, dev_a, refunds.RefundFilters(
        area_id=demo.area_a.id)).total == 3
    assert refunds.list_refunds(session, Scope.everything(), refunds.RefundFilters(
        area_id=demo.area_b.id)).total == 0
    assert [r.id for r in refunds.house_refunds(session, dev_b, a.house_id)] == []
    form = refunds.refund_form(session, session.get(Refund, b.id))
    assert form.total == Decimal("2.00") and form.lines[0].amount_paid == Decimal("2.00")
    assert form.lines[0].amount_due == Decimal("0.00") and form.account.account_number


def test_a_house_change_refund_leaves_the_house_exactly_paid(session, demo):
    """房屋信息变更 lowered the amount due of a paid house: paying the excess back leaves it 已交清."""
    dev, officer = demo.users["dev_a"], demo.users["officer"]
    house = lift_houses(session, demo, 1)[0]
    house.trade_house_code = "TH-CHANGE-1"
    book_deposit(session, house, house.amount_due, notice_id=None, payment_type="first",
                 value_date=dt.date(2026, 3, 1))
    session.commit()
    order = change_order(session, demo, [house])
    drafts.modify_lines(session, order.id, dev, None, {"has_lift": "0"})
    save_draft(session, dev, HOUSE_CHANGE, DraftInput(
        agent=AGENT, reason="电梯登记有误", fields={"area_id": demo.area_a.id, **ACCOUNT}),
        order_id=order.id, then="submit")
    workflow.accept(session, order.id, officer, papers_checked=True)
    workflow.approve(session, order.id, officer)
    refund = session.scalars(select(Refund).where(Refund.order_id == order.id)).one()
    refunds.approve(session, refund.id, officer)
    refunds.record_payout(session, refund.id, officer, bank_serial="CHG-1", paid_on=TODAY)
    session.expire_all()
    house = session.get(House, house.id)
    assert paid_amount(session, house.id) == house.amount_due
    push = session.scalars(select(OutboxMessage).where(OutboxMessage.house_code == "TH-CHANGE-1")
                           .order_by(OutboxMessage.id.desc())).first()
    assert push.payload["status"] == DEPOSIT_PAID
    assert push.payload["amount_paid"] == f"{house.amount_due:.2f}"
