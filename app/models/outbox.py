"""Outbox of pushes to the trading system, written in the business change's transaction."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import utcnow

OUTBOX_PENDING = "PENDING"
OUTBOX_DELIVERED = "DELIVERED"
OUTBOX_PARKED = "PARKED"

#: Delivery order: lower first. A payment or a contract binding a developer is waiting to see in
#: the trading system goes before the thousands of pushes of a collection approval.
PRIORITY_URGENT = 0
PRIORITY_BULK = 10


class OutboxMessage(Model):
    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)
    idempotency_key: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    org_id: Mapped[Optional[int]] = mapped_column(ForeignKey("organisation.id"), index=True)
    house_id: Mapped[Optional[int]] = mapped_column(ForeignKey("house.id"), index=True)
    house_code: Mapped[Optional[str]] = mapped_column(String(60))
    payload: Mapped[dict] = mapped_column(JSON, nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default=OUTBOX_PENDING, index=True)
    priority: Mapped[int] = mapped_column(Integer, nullable=False, default=PRIORITY_URGENT,
                                          server_default="0")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    delivered_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)

    # The deliverer's query: pending rows, most urgent first, then oldest due.
    __table_args__ = (Index("ix_outbox_message_due", "status", "priority", "next_attempt_at"),)
