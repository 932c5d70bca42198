"""交款通知单 (payment notices), their house lines, and refund records (退款)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Money, OrgOwned, Timestamped

NOTICE_UNPAID = "unpaid"
NOTICE_PAID = "paid"
NOTICE_VOID = "void"

PAYER_DEVELOPER = "developer"  # 1.4.1 开发建设单位批量交款
PAYER_OWNER = "owner"          # 1.4.2 代打交款通知单

# Payment types (交款类型, §1.4.3)
PAY_FIRST = "first"          # 首期
PAY_TOPUP = "topup"          # 补交
PAY_RENEW = "renew"          # 续筹
PAY_OTHER = "other"          # 其他

CHANNEL_BANK = "bank"        # 专户银行
CHANNEL_QIAODU = "qiaodu"    # 侨都之窗
CHANNEL_POS = "pos"          # 维修资金专用POS
CHANNELS = (CHANNEL_BANK, CHANNEL_QIAODU, CHANNEL_POS)

# Refund states (退款): pending → approved → paid, or rejected (see app/services/refunds.py)
REFUND_PENDING = "pending"
REFUND_APPROVED = "approved"
REFUND_PAID = "paid"
REFUND_REJECTED = "rejected"
REFUND_STATES = (REFUND_PENDING, REFUND_APPROVED, REFUND_PAID, REFUND_REJECTED)


class Notice(OrgOwned, Timestamped, Model):
    __tablename__ = "notice"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(24), nullable=False, unique=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("property_area.id"), nullable=False, index=True)
    building_id: Mapped[Optional[int]] = mapped_column(ForeignKey("building.id"))
    payer_type: Mapped[str] = mapped_column(String(10), nullable=False)
    payer_name: Mapped[str] = mapped_column(String(100), nullable=False)
    payer_id_no: Mapped[Optional[str]] = mapped_column(String(30))
    payment_type: Mapped[str] = mapped_column(String(10), nullable=False, default=PAY_FIRST)
    total: Mapped[Decimal] = mapped_column(Money, nullable=False)
    status: Mapped[str] = mapped_column(String(8), nullable=False, default=NOTICE_UNPAID, index=True)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    voided_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    void_reason: Mapped[Optional[str]] = mapped_column(String(200))
    # Filled by the bank's confirmation
    bank_serial: Mapped[Optional[str]] = mapped_column(String(60), unique=True)
    channel: Mapped[Optional[str]] = mapped_column(String(10))
    paid_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    confirmed_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    confirmed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    #: Owner notices (§1.4.2): every owner printed as payer, [{name, id_type, id_no, phone}].
    payers: Mapped[Optional[list]] = mapped_column(JSON)
    #: The notice that replaced this one when its houses were printed again.
    replaced_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("notice.id"))
    #: Who confirmed: "teller" (the Bank screen) or "api" (a bank system).
    confirmed_via: Mapped[Optional[str]] = mapped_column(String(10))

    __mapper_args__ = {"version_id_col": version}

    area = relationship("PropertyArea")
    building = relationship("Building")
    lines: Mapped[list["NoticeLine"]] = relationship(
        back_populates="notice", order_by="NoticeLine.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return self.number


class NoticeSequence(Model):
    """The last notice sequence issued on one day; its row is locked while a number is taken."""

    __tablename__ = "notice_sequence"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class NoticeLine(OrgOwned, Model):
    __tablename__ = "notice_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id"), nullable=False, index=True)
    house_id: Mapped[int] = mapped_column(ForeignKey("house.id"), nullable=False, index=True)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)

    notice: Mapped[Notice] = relationship(back_populates="lines")
    house = relationship("House")


class Refund(OrgOwned, Timestamped, Model):
    """A refund owed to a payer (house change made paid > due, or a cancelled house's balance)."""

    __tablename__ = "refund"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    house_id: Mapped[int] = mapped_column(ForeignKey("house.id"), nullable=False, index=True)
    order_id: Mapped[Optional[int]] = mapped_column(ForeignKey("business_order.id"))
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    account_name: Mapped[Optional[str]] = mapped_column(String(100))  # 户名
    bank_name: Mapped[Optional[str]] = mapped_column(String(100))     # 开户银行
    account_no: Mapped[Optional[str]] = mapped_column(String(40))     # 账号
    reason: Mapped[Optional[str]] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), nullable=False, default=REFUND_PENDING,
                                        index=True)
    #: The payout: recorded when and by whom (the fund officer who entered the bank's serial).
    processed_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    processed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    #: The review (审核): the officer's decision and opinion (required when rejecting).
    opinion: Mapped[Optional[str]] = mapped_column(Text)
    reviewed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    reviewed_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    #: The bank's serial number of the transfer to the payee: one payout per serial.
    payout_serial: Mapped[Optional[str]] = mapped_column(String(60), unique=True)
    paid_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    house = relationship("House")
    order = relationship("BusinessOrder")
    organisation = relationship("Organisation")
    reviewed_by = relationship("PlatformUser", foreign_keys=[reviewed_by_id])
    processed_by = relationship("PlatformUser", foreign_keys=[processed_by_id])
