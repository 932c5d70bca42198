"""业务单 (business orders): lines with before/after snapshots, status history, attachments."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import OrgOwned, Timestamped, utcnow

# Workflow states (see app/services/orders/workflow.py for the transitions)
DRAFT = "draft"
SUBMITTED = "submitted"
ACCEPTED = "accepted"
APPROVED = "approved"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
ORDER_STATES = (DRAFT, SUBMITTED, ACCEPTED, APPROVED, REJECTED, WITHDRAWN)
OPEN_STATES = (DRAFT, SUBMITTED, ACCEPTED, REJECTED)

# Order types, one per business of the manual
AREA_COLLECT = "area_collect"          # 1.3.1 物业区域采集
AREA_CHANGE = "area_change"            # 1.3.2 物业区域变更
BUILDING_CHANGE = "building_change"    # 1.3.3 楼幢变更
HOUSE_SPLIT_MERGE = "house_split"      # 1.3.4 房屋拆分合并
HOUSE_SUPPLEMENT = "house_supplement"  # 1.3.5 房屋补充
HOUSE_CHANGE = "house_change"          # 1.3.6 房屋信息变更
OWNERSHIP_CHANGE = "ownership_change"  # 1.3.7 房屋权属批量变更
HOUSE_CANCEL = "house_cancel"          # 1.3.8 房屋注销
CONTRACT_SET = "contract_set"          # 1.3.9 房屋合同号设置
ORDER_TYPES = (AREA_COLLECT, AREA_CHANGE, BUILDING_CHANGE, HOUSE_SPLIT_MERGE, HOUSE_SUPPLEMENT,
               HOUSE_CHANGE, OWNERSHIP_CHANGE, HOUSE_CANCEL, CONTRACT_SET)


class BusinessOrder(OrgOwned, Timestamped, Model):
    __tablename__ = "business_order"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(24), nullable=False, unique=True)
    type: Mapped[str] = mapped_column(String(20), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default=DRAFT, index=True)
    area_id: Mapped[Optional[int]] = mapped_column(ForeignKey("property_area.id"), index=True)
    reason: Mapped[Optional[str]] = mapped_column(Text)
    agent_name: Mapped[Optional[str]] = mapped_column(String(50))
    agent_phone: Mapped[Optional[str]] = mapped_column(String(20))
    agent_id_type: Mapped[Optional[str]] = mapped_column(String(4))
    agent_id_no: Mapped[Optional[str]] = mapped_column(String(30))
    #: Order-level data of the business (e.g. the new area's fields, 交存时点, refund account).
    payload: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    submitted_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    accepted_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    decided_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    #: Optimistic lock: every transition bumps it, so two officers cannot both approve.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    organisation = relationship("Organisation")
    area = relationship("PropertyArea")
    created_by = relationship("PlatformUser", foreign_keys=[created_by_id])
    lines: Mapped[list["OrderLine"]] = relationship(
        back_populates="order", order_by="OrderLine.seq", cascade="all, delete-orphan"
    )
    history: Mapped[list["OrderHistory"]] = relationship(
        back_populates="order", order_by="OrderHistory.at", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return self.number


class OrderLine(Model):
    """One change the order makes: what it targets, and the snapshots before and after."""

    __tablename__ = "order_line"
    __table_args__ = (UniqueConstraint("order_id", "seq", name="uq_order_line_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("business_order.id", ondelete="CASCADE"),
                                          nullable=False, index=True)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    action: Mapped[str] = mapped_column(String(12), nullable=False)  # add / update / close / cancel …
    target: Mapped[str] = mapped_column(String(12), nullable=False)  # area / building / house / owner
    target_id: Mapped[Optional[int]] = mapped_column(Integer, index=True)
    before: Mapped[Optional[dict]] = mapped_column(JSON)
    after: Mapped[Optional[dict]] = mapped_column(JSON)

    order: Mapped[BusinessOrder] = relationship(back_populates="lines")


class OrderHistory(Model):
    """Every status change: who, when, from what to what, and the opinion."""

    __tablename__ = "order_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("business_order.id", ondelete="CASCADE"),
                                          nullable=False, index=True)
    from_status: Mapped[Optional[str]] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12), nullable=False)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    opinion: Mapped[Optional[str]] = mapped_column(Text)

    order: Mapped[BusinessOrder] = relationship(back_populates="history")
    user = relationship("PlatformUser")


class Attachment(OrgOwned, Timestamped, Model):
    """要件: an uploaded file kept under a generated name; the original Chinese name in a column."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: What it belongs to: the organisation (registration) or an order.
    order_id: Mapped[Optional[int]] = mapped_column(ForeignKey("business_order.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)  # code of KIND_ATTACHMENT
    original_name: Mapped[str] = mapped_column(String(255), nullable=False)
    stored_name: Mapped[str] = mapped_column(String(80), nullable=False, unique=True)
    content_type: Mapped[str] = mapped_column(String(80), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))


JOB_RUNNING = "running"
JOB_DONE = "done"
JOB_FAILED = "failed"


class OrderJob(OrgOwned, Timestamped, Model):
    """A long operation on an order (Excel import, trading-system fetch) run in the background.

    Kept in the database, not in memory, so any worker process can answer the page's progress
    polls, and the outcome (problems, the marked error copy) survives a reload.
    """

    __tablename__ = "order_job"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("business_order.id", ondelete="CASCADE"),
                                          nullable=False, index=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    kind: Mapped[str] = mapped_column(String(20), nullable=False)  # import / trade_fetch
    state: Mapped[str] = mapped_column(String(10), nullable=False, default=JOB_RUNNING)
    done: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    message: Mapped[Optional[str]] = mapped_column(Text)
    #: [{"field": ..., "reason": ..., "row": ...}] when the job was refused.
    problems: Mapped[Optional[list]] = mapped_column(JSON)
    #: Stored name (under UPLOAD_FOLDER) of the import file with its bad cells marked.
    result_name: Mapped[Optional[str]] = mapped_column(String(80))
    finished_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
