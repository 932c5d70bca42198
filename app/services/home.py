"""Figures for the landing page, under the caller's tenant scope."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.order import OPEN_STATES, SUBMITTED, ACCEPTED, BusinessOrder
from app.models.property import HOUSE_OPEN, House, PropertyArea
from app.security.tenant import Scope


def home_summary(session: Session, user: Any) -> dict[str, Any]:
    scope = Scope.for_user(user)

    def count(model: Any, *criteria: Any) -> int:
        query = scope.apply(select(func.count()).select_from(model), model)
        return session.scalar(query.where(*criteria)) or 0

    return {
        "areas": count(PropertyArea),
        "houses": count(House, House.status == HOUSE_OPEN),
        "open_orders": count(BusinessOrder, BusinessOrder.status.in_(OPEN_STATES)),
        "waiting_review": count(BusinessOrder, BusinessOrder.status.in_((SUBMITTED, ACCEPTED))),
        "internal": scope.internal,
    }
