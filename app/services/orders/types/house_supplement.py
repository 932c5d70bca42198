"""房屋补充 (§1.3.5): more houses (and new buildings) for an existing area, from a 交存时点 on."""
from __future__ import annotations

from typing import Any, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app.errors import Problem
from app.models.order import HOUSE_SUPPLEMENT, BusinessOrder
from app.models.property import PropertyArea
from app.services.orders import fields, staging
from app.services.orders.types.base import register_handler
from app.services.orders.types.new_houses import NewHousesHandler


class HouseSupplementHandler(NewHousesHandler):
    type = HOUSE_SUPPLEMENT
    code = "BC"
    slug = "supplement"
    title = _l("House supplement")
    form_title = _l("House Supplement Application Form")
    menu_name = "House supplement"
    menu_icon = "fa-plus"
    menu_order = 50
    form_partial = "orders/forms/_house_supplement.html"
    require_deposit_point = True

    def read_fields(self, source: Any) -> dict[str, Any]:
        return {**super().read_fields(source), "area_id": fields.read_id(source, "area_id")}

    def apply_fields(self, session: Session, user: Any, order: BusinessOrder,
                     values: dict[str, Any]) -> list[Problem]:
        problems = fields.choose_area(session, user, order, values.get("area_id"),
                                      has_lines=bool(staging.count_lines(session, order.id)))
        return problems + super().apply_fields(session, user, order, values)

    def form_values(self, session: Session, user: Any, order: Optional[BusinessOrder], args: Any
                    ) -> dict[str, str]:
        values = super().form_values(session, user, order, args)
        values["area_id"] = str(order.area_id or "") if order is not None else ""
        return values

    def summary_rows(self, session: Session, order: BusinessOrder) -> list[tuple[str, str]]:
        return fields.area_rows(session, order.area)

    def header_problems(self, session: Session, order: BusinessOrder, required: bool
                        ) -> list[Problem]:
        problems = super().header_problems(session, order, required)
        return fields.required_area(session, order, required) + problems

    def existing_area_id(self, order: BusinessOrder) -> Optional[int]:
        return order.area_id

    def target_area(self, session: Session, order: BusinessOrder, user: Any) -> PropertyArea:
        return session.get(PropertyArea, order.area_id)


register_handler(HouseSupplementHandler())
