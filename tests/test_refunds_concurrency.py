"""Two officers record the payout of the same refund at the same moment: exactly one ledger row.

Runs on SQLite and, through ``scripts/test-postgres.sh``, on PostgreSQL (row lock on the refund,
version column, unique (refund, kind) on the ledger).
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from app.domain.localtime import local_today
from app.models.ledger import ENTRY_REFUND, LedgerEntry
from app.models.payment import REFUND_APPROVED, REFUND_PAID, Refund
from app.services import refunds
from app.services.ledger import paid_amount
from tests.refunds_support import cancelled_with_refunds
from tests.test_orders_concurrency import _race

TODAY = local_today()


def _refund_rows(session, house_id: int) -> list[Decimal]:
    return list(session.scalars(select(LedgerEntry.amount).where(
        LedgerEntry.house_id == house_id, LedgerEntry.kind == ENTRY_REFUND)))


def _approved(session, demo, amounts: list[str]) -> list[Refund]:
    made = cancelled_with_refunds(session, demo, amounts)
    for refund in made:
        refunds.approve(session, refund.id, demo.users["officer"])
    return made


def test_two_payouts_with_different_serials_book_exactly_one(app, session, demo):
    refund = _approved(session, demo, ["987.65"])[0]
    refund_id, house_id = refund.id, refund.house_id
    users = [demo.users["officer"].id, demo.users["admin"].id]
    session.remove()

    def pay(s, rid, user):
        refunds.record_payout(s, rid, user, bank_serial=f"RACE-{user.username}", paid_on=TODAY)

    results = _race(app, refund_id, users, pay)
    assert sorted(r == "ok" for r in results) == [False, True], results
    loser = next(r for r in results if r != "ok")
    assert isinstance(loser, str) and "already" in loser, loser
    assert _refund_rows(session, house_id) == [Decimal("-987.65")]
    assert paid_amount(session, house_id) == Decimal("0.00")
    paid = session.get(Refund, refund_id)
    assert paid.status == REFUND_PAID and paid.payout_serial.startswith("RACE-")


def test_the_same_payout_sent_twice_at_once_is_booked_once(app, session, demo):
    refund = _approved(session, demo, ["10.01"])[0]
    refund_id, house_id = refund.id, refund.house_id
    users = [demo.users["officer"].id, demo.users["admin"].id]
    session.remove()
    replays: list[bool] = []

    def pay(s, rid, user):
        replays.append(refunds.record_payout(s, rid, user, bank_serial="SAME-1",
                                             paid_on=TODAY).replayed)

    results = _race(app, refund_id, users, pay)
    assert results == ["ok", "ok"], results
    assert sorted(replays) == [False, True]
    assert _refund_rows(session, house_id) == [Decimal("-10.01")]


def test_two_refunds_of_one_house_never_take_more_than_it_holds(app, session, demo):
    """Two approved refunds of one house, paid at once, may not overdraw it together."""
    refund = _approved(session, demo, ["300.00"])[0]
    house = refund.house
    # A second, approved-looking record of the same house (as if left by another business and
    # approved before the balance moved): the payouts must still not take 600 out of 300.
    other = Refund(org_id=house.org_id, house_id=house.id, amount=Decimal("300.00"),
                   status=REFUND_APPROVED, account_name="华信", bank_name="中国银行",
                   account_no="62166102000012345")
    session.add(other)
    session.commit()
    ids = {refund.id: demo.users["officer"].id, other.id: demo.users["admin"].id}
    house_id = house.id
    session.remove()

    def pay(s, _rid, user):
        rid = next(r for r, u in ids.items() if u == user.id)
        refunds.record_payout(s, rid, user, bank_serial=f"TWO-{rid}", paid_on=TODAY)

    results = _race(app, 0, list(ids.values()), pay)
    assert sum(r == "ok" for r in results) == 1, results
    assert _refund_rows(session, house_id) == [Decimal("-300.00")]
    assert paid_amount(session, house_id) == Decimal("0.00")
    assert session.scalar(select(func.count(Refund.id)).where(
        Refund.house_id == house_id, Refund.status == REFUND_PAID)) == 1


def test_two_approvals_of_one_house_never_reserve_more_than_it_holds(app, session, demo):
    refund = cancelled_with_refunds(session, demo, ["300.00"])[0]
    house = refund.house
    other = Refund(org_id=house.org_id, house_id=house.id, amount=Decimal("300.00"),
                   account_name="华信", bank_name="中国银行", account_no="62166102000012345")
    session.add(other)
    session.commit()
    ids = {refund.id: demo.users["officer"].id, other.id: demo.users["admin"].id}
    house_id = house.id
    session.remove()

    def approve(s, _rid, user):
        refunds.approve(s, next(r for r, u in ids.items() if u == user.id), user)

    results = _race(app, 0, list(ids.values()), approve)
    assert sum(r == "ok" for r in results) == 1, results
    assert session.scalar(select(func.count(Refund.id)).where(
        Refund.house_id == house_id, Refund.status == REFUND_APPROVED)) == 1
