"""Lists of orders and of an order's lines, always under the caller's tenant scope."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Generic, Optional, Sequence, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.models.order import (ACCEPTED, SUBMITTED, Attachment, BusinessOrder, OrderHistory,
                              OrderLine)
from app.security.tenant import Scope
from app.services.orders.states import LOCAL_TZ

T = TypeVar("T")
WAITING = (SUBMITTED, ACCEPTED)


@dataclass
class Page(Generic[T]):
    items: Sequence[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass
class OrderFilters:
    type: Optional[str] = None
    status: Optional[str] = None
    org_id: Optional[int] = None
    date_from: Optional[dt.date] = None
    date_to: Optional[dt.date] = None
    number: Optional[str] = None


def _utc_start(day: dt.date) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time.min, tzinfo=LOCAL_TZ)
    return local.astimezone(dt.timezone.utc).replace(tzinfo=None)


def list_orders(session: Session, scope: Scope, filters: OrderFilters, *, page: int = 1,
                per_page: int = 20, waiting_first: bool = False) -> Page[BusinessOrder]:
    """Orders the scope may see, filtered; the fund office's queue puts waiting orders first."""
    query = scope.apply(select(BusinessOrder), BusinessOrder)
    if filters.type:
        query = query.where(BusinessOrder.type == filters.type)
    if filters.status == "waiting":
        query = query.where(BusinessOrder.status.in_(WAITING))
    elif filters.status:
        query = query.where(BusinessOrder.status == filters.status)
    if filters.org_id:
        query = query.where(BusinessOrder.org_id == filters.org_id)
    when = func.coalesce(BusinessOrder.submitted_at, BusinessOrder.created_at)
    if filters.date_from:
        query = query.where(when >= _utc_start(filters.date_from))
    if filters.date_to:
        query = query.where(when < _utc_start(filters.date_to + dt.timedelta(days=1)))
    if filters.number:
        query = query.where(BusinessOrder.number.like(f"%{filters.number.strip().upper()}%"))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    order_by = [when.desc(), BusinessOrder.id.desc()]
    if waiting_first:
        order_by = [BusinessOrder.status.in_(WAITING).desc(), when.asc(), BusinessOrder.id]
    page = max(1, page)
    items = session.scalars(query.options(selectinload(BusinessOrder.organisation),
                                          selectinload(BusinessOrder.area))
                            .order_by(*order_by).offset((page - 1) * per_page).limit(per_page)).all()
    return Page(items, total, page, per_page)


def lines_page(session: Session, order: BusinessOrder, target: str, *, page: int = 1,
               per_page: int = 50) -> Page[OrderLine]:
    query = select(OrderLine).where(OrderLine.order_id == order.id, OrderLine.target == target)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = max(1, page)
    items = session.scalars(query.order_by(OrderLine.seq).offset((page - 1) * per_page)
                            .limit(per_page)).all()
    return Page(items, total, page, per_page)


def history(session: Session, order: BusinessOrder) -> list[OrderHistory]:
    return list(session.scalars(select(OrderHistory).where(OrderHistory.order_id == order.id)
                                .options(selectinload(OrderHistory.user))
                                .order_by(OrderHistory.at, OrderHistory.id)))


def attachments(session: Session, order: BusinessOrder) -> list[Attachment]:
    return list(session.scalars(select(Attachment).where(Attachment.order_id == order.id)
                                .order_by(Attachment.id)))


def last_opinions(session: Session, order_ids: Sequence[int]) -> dict[int, str]:
    """The latest non-empty opinion of each order (what the developer needs to read)."""
    if not order_ids:
        return {}
    rows = session.execute(select(OrderHistory.order_id, OrderHistory.opinion)
                           .where(OrderHistory.order_id.in_(order_ids),
                                  OrderHistory.opinion.is_not(None))
                           .order_by(OrderHistory.at, OrderHistory.id))
    return {order_id: opinion for order_id, opinion in rows}
