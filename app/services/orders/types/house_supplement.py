"""房屋补充 (§1.3.5): more houses (and new buildings) for an existing area, from a 交存时点 on."""
from __future__ import annotations

from typing import Any, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app.errors import Problem
from app.models.order import HOUSE_SUPPLEMENT, BusinessOrder
from app.models.property import PropertyArea
from app.services.orders.types.base import register_handler
from app.services.orders.types.new_houses import NewHousesHandler


class HouseSupplementHandler(NewHousesHandler):
    type = HOUSE_SUPPLEMENT
    code = "BC"
    title = _l("House supplement")
    form_title = _l("House Supplement Application Form")
    require_deposit_point = True

    def header_problems(self, session: Session, order: BusinessOrder, required: bool
                        ) -> list[Problem]:
        problems = super().header_problems(session, order, required)
        area = session.get(PropertyArea, order.area_id) if order.area_id else None
        if area is None:
            if required:
                problems.insert(0, Problem("area_id", _l("Choose the property area.")))
        elif area.org_id != order.org_id or not area.active:
            problems.insert(0, Problem("area_id", _l("Choose one of your active property areas.")))
        return problems

    def existing_area_id(self, order: BusinessOrder) -> Optional[int]:
        return order.area_id

    def target_area(self, session: Session, order: BusinessOrder, user: Any) -> PropertyArea:
        return session.get(PropertyArea, order.area_id)


register_handler(HouseSupplementHandler())
