"""The per-house ledger (分户账明细): append-only; a house's balance is the sum of its rows."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import (Date, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint, event,
                        func, select)
from sqlalchemy.orm import Mapped, column_property, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from app.models.base import Money, OrgOwned, utcnow
from app.models.property import House

ENTRY_DEPOSIT = "deposit"            # 交存 (首期, 补交, 续筹 …)
ENTRY_REFUND = "refund"              # 退款 (negative)
ENTRY_TRANSFER_IN = "transfer_in"    # 拆分合并转入
ENTRY_TRANSFER_OUT = "transfer_out"  # 拆分合并转出 (negative)
ENTRY_KINDS = (ENTRY_DEPOSIT, ENTRY_REFUND, ENTRY_TRANSFER_IN, ENTRY_TRANSFER_OUT)


class LedgerEntry(OrgOwned, Model):
    __tablename__ = "ledger_entry"
    #: A notice credits each of its houses once: the database refuses a second deposit row, so a
    #: confirmation that slipped past every other check still cannot count twice.
    #: Every balance (a house's, a page's, an area's) sums amounts by house: the index holds them.
    __table_args__ = (UniqueConstraint("notice_id", "house_id", "kind", name="uq_ledger_notice_house"),
                      Index("ix_ledger_entry_house_kind_amount", "house_id", "kind", "amount"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    house_id: Mapped[int] = mapped_column(ForeignKey("house.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    #: Signed: money into the house account is positive, money out negative.
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    payment_type: Mapped[Optional[str]] = mapped_column(String(20))  # 首期 / 补交 / 续筹 / 其他
    notice_id: Mapped[Optional[int]] = mapped_column(ForeignKey("notice.id"), index=True)
    order_id: Mapped[Optional[int]] = mapped_column(ForeignKey("business_order.id"), index=True)
    refund_id: Mapped[Optional[int]] = mapped_column(ForeignKey("refund.id"))
    #: For transfers: the house on the other side of the move.
    counterpart_house_id: Mapped[Optional[int]] = mapped_column(ForeignKey("house.id"))
    booked_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    value_date: Mapped[Optional[dt.date]] = mapped_column(Date)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    memo: Mapped[Optional[str]] = mapped_column(String(200))


class LedgerIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete a ledger row."""


@event.listens_for(LedgerEntry, "before_update")
def _refuse_update(mapper, connection, target) -> None:  # noqa: ANN001 - SQLAlchemy hook
    raise LedgerIsAppendOnly("ledger rows are append-only; book a correcting entry instead")


@event.listens_for(LedgerEntry, "before_delete")
def _refuse_delete(mapper, connection, target) -> None:  # noqa: ANN001 - SQLAlchemy hook
    raise LedgerIsAppendOnly("ledger rows are append-only; book a correcting entry instead")


def ledger_total() -> ColumnElement[Decimal]:
    """What ledger rows add up to: the one SQL expression for a balance (0 where there are none).

    Every balance query uses it (``House.balance`` and the aggregates in ``app.services.ledger``).
    """
    return func.coalesce(func.sum(LedgerEntry.amount), 0)


# A house's balance, derived from its ledger. Deferred so plain house lists do not pay for it;
# list queries that show money use ``undefer(House.balance)`` or the aggregate helpers in services.ledger.
House.balance = column_property(
    select(ledger_total())
    .where(LedgerEntry.house_id == House.id)
    .correlate_except(LedgerEntry)
    .scalar_subquery(),
    deferred=True,
)
