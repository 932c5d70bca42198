"""银行对账 (bank reconciliation): a day's bank statement, its lines, and what matching found.

A statement belongs to the fund office, not to a developer: it is internal and carries no org_id.
Once the day is closed (日结) nothing of it changes; the services refuse every write.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Money, utcnow

STATEMENT_OPEN = "open"
STATEMENT_CLOSED = "closed"

MATCHED = "matched"              # same serial (or notice) and amount on both sides
BANK_ONLY = "bank_only"          # in the bank's statement, not confirmed here
PLATFORM_ONLY = "platform_only"  # confirmed here for that day, not in the statement
AMOUNT_DIFFERS = "amount_differs"

ITEM_OK = "ok"              # matched: nothing to do
ITEM_OPEN = "open"          # a difference nobody has looked at
ITEM_RESOLVED = "resolved"  # a clerk explained it with a note


class BankStatement(Model):
    """The bank's statement of one day, as imported; one per day."""

    __tablename__ = "bank_statement"
    __table_args__ = (UniqueConstraint("day", name="uq_bank_statement_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, nullable=False)
    file_name: Mapped[str] = mapped_column(String(200), nullable=False)
    #: sha256 of the imported file: importing the same file again changes nothing.
    file_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[str] = mapped_column(String(8), nullable=False, default=STATEMENT_OPEN)
    bank_total: Mapped[Decimal] = mapped_column(Money, nullable=False)
    bank_count: Mapped[int] = mapped_column(Integer, nullable=False)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    imported_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    matched_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    closed_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    closed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    #: Optimistic lock: two clerks closing or re-importing the same day cannot both win.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    lines: Mapped[list["StatementLine"]] = relationship(
        back_populates="statement", order_by="StatementLine.row_no", cascade="all, delete-orphan")
    items: Mapped[list["ReconItem"]] = relationship(
        back_populates="statement", order_by="ReconItem.id", cascade="all, delete-orphan")


class StatementLine(Model):
    """One transaction of the bank's statement."""

    __tablename__ = "bank_statement_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("bank_statement.id"), nullable=False, index=True)
    row_no: Mapped[int] = mapped_column(Integer, nullable=False)
    bank_serial: Mapped[str] = mapped_column(String(60), nullable=False)
    notice_number: Mapped[Optional[str]] = mapped_column(String(24))
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    paid_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    channel: Mapped[Optional[str]] = mapped_column(String(10))

    statement: Mapped[BankStatement] = relationship(back_populates="lines")


class ReconItem(Model):
    """One result of matching: a pair that agrees, or a difference a clerk must resolve."""

    __tablename__ = "recon_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("bank_statement.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    state: Mapped[str] = mapped_column(String(10), nullable=False)
    bank_serial: Mapped[Optional[str]] = mapped_column(String(60))
    notice_number: Mapped[Optional[str]] = mapped_column(String(24))
    notice_id: Mapped[Optional[int]] = mapped_column(ForeignKey("notice.id"), index=True)
    bank_amount: Mapped[Optional[Decimal]] = mapped_column(Money)
    platform_amount: Mapped[Optional[Decimal]] = mapped_column(Money)
    note: Mapped[Optional[str]] = mapped_column(Text)
    resolved_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    resolved_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))

    statement: Mapped[BankStatement] = relationship(back_populates="items")
