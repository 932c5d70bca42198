"""冲正: the reversal of a bank confirmation, requested by one fund officer (or a bank system) and
approved or rejected by another.

The record keeps what the confirmation said (bank serial, channel, date, amount, who confirmed),
because approving it clears those fields from the notice so that it can be paid again.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Money, OrgOwned, Timestamped

REVERSAL_PENDING = "pending"
REVERSAL_APPROVED = "approved"
REVERSAL_REJECTED = "rejected"
REVERSAL_STATUSES = (REVERSAL_PENDING, REVERSAL_APPROVED, REVERSAL_REJECTED)
PENDING_WHERE = "status = 'pending'"


class PaymentReversal(OrgOwned, Timestamped, Model):
    __tablename__ = "payment_reversal"
    #: One pending reversal per notice, held by the database too.
    __table_args__ = (Index("uq_payment_reversal_pending", "notice_id", unique=True,
                            sqlite_where=text(PENDING_WHERE), postgresql_where=text(PENDING_WHERE)),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id"), nullable=False, index=True)
    #: The bank's own reversal serial (API requests): the key that makes its call idempotent.
    serial: Mapped[Optional[str]] = mapped_column(String(60), unique=True)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=REVERSAL_PENDING,
                                        index=True)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    #: "teller" (a fund officer's screen) or "api" (a bank system).
    via: Mapped[str] = mapped_column(String(10), nullable=False)
    requested_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    decided_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    opinion: Mapped[Optional[str]] = mapped_column(Text)
    #: Which confirmation of the notice is reversed (1 = the first; a notice reversed and paid
    #: again has a second), matching the ledger rows' ``notice_round``.
    notice_round: Mapped[int] = mapped_column(Integer, nullable=False)
    # The confirmation as it was
    bank_serial: Mapped[str] = mapped_column(String(60), nullable=False)
    channel: Mapped[Optional[str]] = mapped_column(String(10))
    paid_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    confirmed_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    confirmed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    confirmed_via: Mapped[Optional[str]] = mapped_column(String(10))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    notice = relationship("Notice")
    requested_by = relationship("PlatformUser", foreign_keys=[requested_by_id])
    decided_by = relationship("PlatformUser", foreign_keys=[decided_by_id])

    def __repr__(self) -> str:
        return f"reversal {self.id}"
