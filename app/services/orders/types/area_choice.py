"""The header most businesses that change the register share: one of the developer's areas.

A handler built on ``AreaChoiceHandler`` reads, stores, shows and summarises the chosen area (the
default form partial, ``orders/forms/_area_choice.html``); it extends these hooks with its own fields.
"""
from __future__ import annotations

from typing import Any, Optional

from sqlalchemy.orm import Session

from app.errors import Problem
from app.models.order import BusinessOrder
from app.services.orders import fields, staging
from app.services.orders.types.base import OrderHandler


class AreaChoiceHandler(OrderHandler):
    """Header: the property area, which cannot change once the order has lines."""

    def read_fields(self, source: Any) -> dict[str, Any]:
        return {"area_id": fields.read_id(source, "area_id")}

    def apply_fields(self, session: Session, user: Any, order: BusinessOrder,
                     values: dict[str, Any]) -> list[Problem]:
        return fields.choose_area(session, user, order, values.get("area_id"),
                                  has_lines=bool(staging.count_lines(session, order.id)))

    def form_values(self, session: Session, user: Any, order: Optional[BusinessOrder],
                    args: Any) -> dict[str, str]:
        return {"area_id": str(order.area_id or "")} if order is not None else {}

    def summary_rows(self, session: Session, order: BusinessOrder) -> list[tuple[str, str]]:
        return fields.area_rows(session, order.area)
