"""The per-house ledger (分户账): append rows, read balances.

Every movement of money is one row per house; nothing here updates or deletes a row (the model
refuses it), so a correction is a new row. A house's paid amount is the sum of its rows. The
``book_*`` helpers add rows to the caller's transaction and never commit: the business command
that moves the money owns the transaction.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable, Optional, Sequence

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Subquery

from app.domain.money import quantize_money
from app.errors import Problem, ValidationFailed
from app.models.base import ZERO, utcnow
from app.models.ledger import (DEPOSIT_KINDS, ENTRY_DEPOSIT, ENTRY_REFUND, ENTRY_REVERSAL,
                               ENTRY_TRANSFER_IN, ENTRY_TRANSFER_OUT, LedgerEntry,
                               first_deposit_total, ledger_total)
from app.models.property import House
from app.models.totals import AreaTotals, BuildingTotals

# Deposit states of a house, derived from balance against amount due.
STATE_UNPAID = "unpaid"
STATE_PARTLY_PAID = "partly_paid"
STATE_PAID = "paid"


@dataclass(frozen=True, slots=True)
class Balance:
    """What a house's ledger adds up to."""

    deposited: Decimal   # all deposits ever credited, less those reversed (冲正)
    balance: Decimal     # deposits, refunds and transfers together
    first: Decimal = ZERO  # the first deposit (``first_deposit_total``), base of the 续筹 rule

    @property
    def paid(self) -> Decimal:
        """The amount counted as paid towards the amount due (the balance)."""
        return self.balance


EMPTY = Balance(ZERO, ZERO)


def deposit_state(amount_due: Decimal, paid: Decimal) -> str:
    """``paid`` / ``partly_paid`` / ``unpaid`` for a house with this amount due and paid amount."""
    if paid >= amount_due:
        return STATE_PAID
    return STATE_PARTLY_PAID if paid > ZERO else STATE_UNPAID


def outstanding(amount_due: Decimal, paid: Decimal) -> Decimal:
    """What is still to pay towards the amount due (never negative)."""
    return max(quantize_money(amount_due - paid), ZERO)


def paid_amount(session: Session, house_id: int) -> Decimal:
    """The house's balance: the sum of its ledger rows (0.00 for a house without rows)."""
    total = session.scalar(select(ledger_total()).where(LedgerEntry.house_id == house_id))
    return quantize_money(Decimal(total or 0))


def balance_query(house_ids: Optional[Iterable[int]] = None):  # noqa: ANN201 - a Select
    """``SELECT house_id, deposited, balance, first`` grouped by house; join it as a subquery
    for lists."""
    deposited = func.sum(case((LedgerEntry.kind.in_(DEPOSIT_KINDS), LedgerEntry.amount), else_=0))
    query = select(LedgerEntry.house_id.label("house_id"),
                   func.coalesce(deposited, 0).label("deposited"),
                   ledger_total().label("balance"),
                   first_deposit_total().label("first"))
    if house_ids is not None:
        query = query.where(LedgerEntry.house_id.in_(list(house_ids)))
    return query.group_by(LedgerEntry.house_id)


def paid_of(house_ids: Any) -> Subquery:
    """A subquery ``house_id, paid`` of the houses a select of house ids yields (a filtered list's
    own query), to outer-join in lists and exports: one grouped pass over their ledger rows; a
    house without ledger rows has no row there (coalesce ``paid`` to 0)."""
    return (select(LedgerEntry.house_id, ledger_total().label("paid"))
            .where(LedgerEntry.house_id.in_(house_ids))
            .group_by(LedgerEntry.house_id).subquery())


def paid_by_house(*criteria: Any) -> Subquery:
    """``paid_of`` the houses matching ``criteria`` (on House)."""
    return paid_of(select(House.id).where(*criteria))


def paid_totals(session: Session, group_column: Any, ids: Sequence[int]) -> dict[int, Decimal]:
    """The ledger balance of all houses per ``group_column`` value (``House.area_id``,
    ``House.building_id``) among ``ids``; a group without ledger rows is left out."""
    if not ids:
        return {}
    query = (select(group_column, ledger_total()).join(House, House.id == LedgerEntry.house_id)
             .where(group_column.in_(list(ids))).group_by(group_column))
    return {ident: quantize_money(Decimal(total)) for ident, total in session.execute(query)}


@dataclass(frozen=True)
class GroupTotals:
    """Open houses, their amount due, and the ledger balance of all houses of one area or building."""

    houses: int
    due: Decimal
    paid: Decimal


def group_totals(session: Session, group_column: Any, ids: Sequence[int]) -> dict[int, GroupTotals]:
    """``GroupTotals`` per ``group_column`` value (``House.area_id``, ``House.building_id``) among
    ``ids``: one primary-key read of the totals the database keeps in step with every house and
    ledger row (``app.models.totals``), whatever the number of houses. A group that never had a
    house is left out."""
    if not ids:
        return {}
    if group_column is House.area_id:
        key, table = AreaTotals.area_id, AreaTotals
    elif group_column is House.building_id:
        key, table = BuildingTotals.building_id, BuildingTotals
    else:
        raise ValueError(f"no totals are kept per {group_column}")
    query = select(key, table.open_houses, table.open_due, table.ledger_sum).where(key.in_(list(ids)))
    return {ident: GroupTotals(int(count), quantize_money(Decimal(due)), quantize_money(Decimal(total)))
            for ident, count, due, total in session.execute(query)}


def balances(session: Session, house_ids: Iterable[int]) -> dict[int, Balance]:
    """Balance of every house asked for, in one query; houses without rows get zeros."""
    ids = sorted(set(house_ids))
    result = {house_id: EMPTY for house_id in ids}
    # Chunked so a large selection stays under every database's bound-parameter limit.
    for start in range(0, len(ids), 900):
        chunk = ids[start:start + 900]
        for house_id, deposited, balance, first in session.execute(balance_query(chunk)):
            result[house_id] = Balance(quantize_money(Decimal(deposited)),
                                       quantize_money(Decimal(balance)),
                                       quantize_money(Decimal(first)))
    return result


def _entry(house: House, kind: str, amount: Decimal, *, user_id: Optional[int],
           value_date: Optional[dt.date], memo: Optional[str], **links: Optional[int]) -> LedgerEntry:
    return LedgerEntry(org_id=house.org_id, house_id=house.id, kind=kind,
                       amount=quantize_money(amount), booked_at=utcnow(), value_date=value_date,
                       created_by_id=user_id, memo=memo, **links)


def _positive(amount: Decimal, field: str = "amount") -> Decimal:
    if not isinstance(amount, Decimal):
        raise TypeError(f"ledger amounts are Decimal, got {type(amount).__name__}")
    value = quantize_money(amount)
    if value <= ZERO:
        raise ValidationFailed(_l("The amount must be greater than zero."),
                               [Problem(field, _l("The amount must be greater than zero."), value=value)])
    return value


def book_deposit(session: Session, house: House, amount: Decimal, *, notice_id: Optional[int],
                 payment_type: Optional[str], value_date: Optional[dt.date],
                 user_id: Optional[int] = None, memo: Optional[str] = None,
                 notice_round: int = 1) -> LedgerEntry:
    """Credit a deposit (交存) to ``house``; one row per house per confirmation of a notice
    (``notice_round`` counts the notice's confirmations: a reversed one may be paid again)."""
    entry = _entry(house, ENTRY_DEPOSIT, _positive(amount), user_id=user_id, value_date=value_date,
                   memo=memo, notice_id=notice_id)
    entry.payment_type = payment_type
    entry.notice_round = notice_round
    session.add(entry)
    return entry


def book_reversal(session: Session, deposit: LedgerEntry, *, reversal_id: int,
                  value_date: Optional[dt.date], user_id: Optional[int] = None,
                  memo: Optional[str] = None) -> LedgerEntry:
    """Take a confirmed deposit back (冲正): the same house, notice, round and payment type, negative."""
    if deposit.kind != ENTRY_DEPOSIT:
        raise ValueError(f"only deposits are reversed, not {deposit.kind}")
    entry = LedgerEntry(org_id=deposit.org_id, house_id=deposit.house_id, kind=ENTRY_REVERSAL,
                        amount=-_positive(deposit.amount), payment_type=deposit.payment_type,
                        notice_id=deposit.notice_id, notice_round=deposit.notice_round,
                        reversal_id=reversal_id, booked_at=utcnow(), value_date=value_date,
                        created_by_id=user_id, memo=memo)
    session.add(entry)
    return entry


def book_refund(session: Session, house: House, amount: Decimal, *, refund_id: Optional[int],
                order_id: Optional[int] = None, value_date: Optional[dt.date] = None,
                user_id: Optional[int] = None, memo: Optional[str] = None) -> LedgerEntry:
    """Debit a refund (退款) paid out of ``house``'s account; ``amount`` is given positive."""
    entry = _entry(house, ENTRY_REFUND, -_positive(amount), user_id=user_id, value_date=value_date,
                   memo=memo, refund_id=refund_id, order_id=order_id)
    session.add(entry)
    return entry


def book_transfer(session: Session, source: House, target: House, amount: Decimal, *,
                  order_id: Optional[int], value_date: Optional[dt.date] = None,
                  user_id: Optional[int] = None, memo: Optional[str] = None
                  ) -> tuple[LedgerEntry, LedgerEntry]:
    """Move money between two houses (拆分合并): an out row and an in row that sum to zero."""
    value = _positive(amount)
    if source.org_id != target.org_id:
        raise ValidationFailed(_l("Money can only move between houses of the same organisation."))
    out = _entry(source, ENTRY_TRANSFER_OUT, -value, user_id=user_id, value_date=value_date,
                 memo=memo, order_id=order_id, counterpart_house_id=target.id)
    into = _entry(target, ENTRY_TRANSFER_IN, value, user_id=user_id, value_date=value_date,
                  memo=memo, order_id=order_id, counterpart_house_id=source.id)
    session.add_all([out, into])
    return out, into


def entries(session: Session, house_id: int) -> list[LedgerEntry]:
    """A house's ledger rows, oldest first (分户账明细)."""
    return list(session.scalars(select(LedgerEntry).where(LedgerEntry.house_id == house_id)
                                .order_by(LedgerEntry.booked_at, LedgerEntry.id)))


__all__ = [
    "Balance", "ENTRY_DEPOSIT", "ENTRY_REFUND", "ENTRY_REVERSAL", "ENTRY_TRANSFER_IN",
    "ENTRY_TRANSFER_OUT", "STATE_PAID", "STATE_PARTLY_PAID", "STATE_UNPAID", "balance_query",
    "balances", "book_deposit", "book_refund", "book_reversal", "book_transfer", "deposit_state", "entries", "outstanding", "paid_amount",
]
