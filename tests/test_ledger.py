"""The per-house ledger: rows are only appended; balances and states are derived from them."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.errors import ValidationFailed
from app.models.ledger import LedgerEntry, LedgerIsAppendOnly
from app.models.property import House
from app.services.ledger import (STATE_PAID, STATE_PARTLY_PAID, STATE_UNPAID, balances, book_deposit,
                                 book_refund, book_transfer, deposit_state, entries, outstanding,
                                 paid_amount)

DAY = dt.date(2026, 3, 2)


def _two_houses(session, demo) -> tuple[House, House]:
    houses = session.scalars(select(House).where(House.area_id == demo.area_a.id)
                             .order_by(House.id).limit(2)).all()
    return houses[0], houses[1]


def test_balance_is_the_sum_of_rows(session, demo):
    house, _other = _two_houses(session, demo)
    assert paid_amount(session, house.id) == Decimal("0.00")
    book_deposit(session, house, Decimal("1000.10"), notice_id=None, payment_type="first",
                 value_date=DAY)
    book_deposit(session, house, Decimal("200"), notice_id=None, payment_type="renew", value_date=DAY)
    book_refund(session, house, Decimal("50.05"), refund_id=None)
    session.commit()
    assert paid_amount(session, house.id) == Decimal("1150.05")
    result = balances(session, [house.id])[house.id]
    assert result.deposited == Decimal("1200.10")
    assert result.balance == Decimal("1150.05")
    assert [e.kind for e in entries(session, house.id)] == ["deposit", "deposit", "refund"]


def test_transfer_moves_money_without_creating_any(session, demo):
    source, target = _two_houses(session, demo)
    book_deposit(session, source, Decimal("300.00"), notice_id=None, payment_type="first",
                 value_date=DAY)
    book_transfer(session, source, target, Decimal("120.50"), order_id=None)
    session.commit()
    money = balances(session, [source.id, target.id])
    assert money[source.id].balance == Decimal("179.50")
    assert money[target.id].balance == Decimal("120.50")
    total = session.scalar(select(func.sum(LedgerEntry.amount))
                           .where(LedgerEntry.house_id.in_([source.id, target.id])))
    assert total == Decimal("300.00")


def test_rows_cannot_be_changed_or_deleted(session, demo):
    house, _other = _two_houses(session, demo)
    entry = book_deposit(session, house, Decimal("10.00"), notice_id=None, payment_type="first",
                         value_date=DAY)
    session.commit()
    entry.amount = Decimal("99999.00")
    with pytest.raises(LedgerIsAppendOnly):
        session.commit()
    session.rollback()
    session.delete(session.get(LedgerEntry, entry.id))
    with pytest.raises(LedgerIsAppendOnly):
        session.commit()
    session.rollback()
    assert paid_amount(session, house.id) == Decimal("10.00")


def test_amounts_must_be_positive_decimals(session, demo):
    house, _other = _two_houses(session, demo)
    with pytest.raises(ValidationFailed):
        book_deposit(session, house, Decimal("0"), notice_id=None, payment_type="first", value_date=DAY)
    with pytest.raises(TypeError):
        book_deposit(session, house, 10.0,  # type: ignore[arg-type]
                     notice_id=None, payment_type="first", value_date=DAY)
    session.rollback()
    assert entries(session, house.id) == []


def test_balances_of_houses_without_rows_are_zero(session, demo):
    house, other = _two_houses(session, demo)
    money = balances(session, [house.id, other.id])
    assert money[house.id].balance == money[other.id].balance == Decimal("0.00")


def test_states_and_outstanding():
    due = Decimal("5000.00")
    assert deposit_state(due, Decimal("0")) == STATE_UNPAID
    assert deposit_state(due, Decimal("0.01")) == STATE_PARTLY_PAID
    assert deposit_state(due, due) == STATE_PAID
    assert deposit_state(due, Decimal("6000")) == STATE_PAID
    assert outstanding(due, Decimal("1234.56")) == Decimal("3765.44")
    assert outstanding(due, Decimal("9000")) == Decimal("0.00")


def test_house_balance_column_property_agrees(session, demo):
    from sqlalchemy.orm import undefer

    house, _other = _two_houses(session, demo)
    book_deposit(session, house, Decimal("77.70"), notice_id=None, payment_type="first", value_date=DAY)
    session.commit()
    session.expire_all()
    loaded = session.scalar(select(House).where(House.id == house.id).options(undefer(House.balance)))
    assert Decimal(loaded.balance) == Decimal("77.70")
