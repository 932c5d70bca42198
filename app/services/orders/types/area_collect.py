"""物业区域采集 (§1.3.1): a new property area with its buildings and houses, all accounts opened."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.validators import normalise_phone, normalise_text, validate_phone
from app.errors import Problem
from app.models.codes import KIND_DISTRICT
from app.models.order import AREA_COLLECT, BusinessOrder
from app.models.property import PropertyArea
from app.services.accounts import area_code
from app.services.orders import fields
from app.services.orders.states import LOCKING
from app.services.orders.types.base import register_handler
from app.services.orders.types.new_houses import NewHousesHandler
from app.services.reference import code_map

#: Fields of the new area kept in ``order.payload["area"]``: key → (label, max length, required).
AREA_FIELDS: dict[str, tuple[Any, int, bool]] = {
    "name": (_l("Property area name"), 100, True),
    "district_code": (_l("District"), 6, True),
    "address": (_l("Address"), 200, True),
    "project_name": (_l("Project name"), 100, False),
    "presale_permit_no": (_l("Pre-sale permit number"), 60, False),
    "land_use_cert_no": (_l("Land use certificate number"), 60, False),
    "planned_households": (_l("Planned households"), 9, False),
    "total_building_area": (_l("Total building area (m²)"), 14, False),
    "contact": (_l("Contact person"), 50, False),
    "contact_phone": (_l("Contact phone"), 20, False),
}


def area_data(order: BusinessOrder) -> dict[str, Any]:
    return dict((order.payload or {}).get("area") or {})


def read_area_fields(source: Any) -> dict[str, str]:
    """The area's fields from a form (``area.name`` …) or a JSON object (``{"area": {…}}``)."""
    nested = source.get("area")
    values = nested if isinstance(nested, dict) else {
        key: source.get(f"area.{key}") for key in AREA_FIELDS}
    cleaned = {}
    for key in AREA_FIELDS:
        value = normalise_text(values.get(key))
        cleaned[key] = normalise_phone(value) if key == "contact_phone" else value
    return cleaned


class AreaCollectHandler(NewHousesHandler):
    type = AREA_COLLECT
    code = "CJ"
    slug = "collect"
    title = _l("Property area collection")
    form_title = _l("Property Area Collection Application Form")
    menu_name = "Area collection"
    menu_icon = "fa-plus-square"
    menu_order = 10
    form_partial = "orders/forms/_area_collect.html"
    field_labels = {**fields.LABELS,
                    **{f"area.{key}": label for key, (label, _n, _r) in AREA_FIELDS.items()}}

    def read_fields(self, source: Any) -> dict[str, Any]:
        return {**super().read_fields(source), "area": read_area_fields(source)}

    def apply_fields(self, session: Session, user: Any, order: BusinessOrder,
                     values: dict[str, Any]) -> list[Problem]:
        payload = dict(order.payload or {})
        payload["area"] = {**(payload.get("area") or {}), **values.get("area", {})}
        order.payload = payload
        return super().apply_fields(session, user, order, values)

    def form_values(self, session: Session, user: Any, order: Optional[BusinessOrder], args: Any
                    ) -> dict[str, str]:
        values = super().form_values(session, user, order, args)
        if order is not None:
            values.update({f"area.{k}": str(v or "") for k, v in area_data(order).items()})
        return values

    def form_context(self, session: Session, user: Any, order: Optional[BusinessOrder]
                     ) -> dict[str, Any]:
        return {"area_fields": [(k, str(label), req) for k, (label, _n, req) in AREA_FIELDS.items()],
                "districts": list(code_map(session, KIND_DISTRICT).items())}

    def summary_rows(self, session: Session, order: BusinessOrder) -> list[tuple[str, str]]:
        if order.area is not None:
            return fields.area_rows(session, order.area)
        districts = code_map(session, KIND_DISTRICT)
        rows = []
        for key, (label, _length, _req) in AREA_FIELDS.items():
            value = area_data(order).get(key) or ""
            if key == "district_code":
                value = districts.get(value, value)
            rows.append((str(label), str(value)))
        return rows

    def area_name(self, order: BusinessOrder) -> str:
        if order.area is not None:
            return order.area.name
        return area_data(order).get("name") or ""

    def header_problems(self, session: Session, order: BusinessOrder, required: bool
                        ) -> list[Problem]:
        problems = area_problems(session, order, required)
        return problems + super().header_problems(session, order, required)

    def existing_area_id(self, order: BusinessOrder) -> Optional[int]:
        return None

    def target_area(self, session: Session, order: BusinessOrder, user: Any) -> PropertyArea:
        area = PropertyArea(org_id=order.org_id, code="pending", **area_columns(area_data(order)),
                            trade_project_ids=",".join(
                                (order.payload or {}).get("trade_project_ids") or []) or None)
        session.add(area)
        session.flush()
        area.code = area_code(area)
        order.area_id = area.id
        return area


def area_columns(data: dict[str, Any]) -> dict[str, Any]:
    """The area's columns from its fields as the form holds them (text)."""
    def text(key: str) -> Optional[str]:
        return str(data.get(key) or "").strip() or None

    return {"name": text("name"), "district_code": text("district_code"),
            "address": text("address"), "project_name": text("project_name"),
            "presale_permit_no": text("presale_permit_no"),
            "land_use_cert_no": text("land_use_cert_no"),
            "planned_households": int(data["planned_households"]) if text("planned_households") else None,
            "total_building_area": Decimal(str(data["total_building_area"])) if text("total_building_area") else None,
            "contact": text("contact"), "contact_phone": text("contact_phone")}


def area_problems(session: Session, order: BusinessOrder, required: bool) -> list[Problem]:
    """The new area's fields: required ones on submit, formats always, the name unique."""
    return area_field_problems(session, order.org_id, area_data(order), required,
                               other_than_order=order.id)


def area_field_problems(session: Session, org_id: int, data: dict[str, Any], required: bool, *,
                        other_than_area: Optional[int] = None,
                        other_than_order: Optional[int] = None) -> list[Problem]:
    """An area's fields: required ones (when ``required``), formats, and the name unique among
    the organisation's areas and the areas its unfinished collections create."""
    problems: list[Problem] = []
    for key, (label, length, needed) in AREA_FIELDS.items():
        value = str(data.get(key) or "").strip()
        if not value:
            if needed and required:
                problems.append(Problem(f"area.{key}", _l("%(field)s is required.", field=label)))
            continue
        if len(value) > length:
            problems.append(Problem(f"area.{key}", _l("%(field)s must be at most %(n)d characters.",
                                                      field=label, n=length)))
    if data.get("district_code") and data["district_code"] not in code_map(session, KIND_DISTRICT):
        problems.append(Problem("area.district_code", _l("Choose a district of Jiangmen.")))
    if data.get("contact_phone"):
        message = validate_phone(data["contact_phone"])
        if message:
            problems.append(Problem("area.contact_phone", message))
    problems += _number_problems(data)
    name = str(data.get("name") or "").strip()
    if name:
        exists = session.scalar(select(PropertyArea.id).where(
            PropertyArea.org_id == org_id, PropertyArea.name == name,
            PropertyArea.id != (other_than_area or 0)))
        if exists:
            problems.append(Problem("area.name", _l("Your organisation already has a property area "
                                                    "named %(name)s.", name=name)))
        others = session.execute(select(BusinessOrder.number, BusinessOrder.payload).where(
            BusinessOrder.org_id == org_id, BusinessOrder.type == AREA_COLLECT,
            BusinessOrder.id != (other_than_order or 0), BusinessOrder.status.in_(LOCKING)))
        for number, payload in others:
            if str(((payload or {}).get("area") or {}).get("name") or "").strip() == name:
                problems.append(Problem("area.name", _l(
                    "Unfinished order %(number)s already collects a property area named %(name)s.",
                    number=number, name=name)))
    return problems


def _number_problems(data: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    households = data.get("planned_households")
    if households not in (None, ""):
        if not str(households).isdigit():
            problems.append(Problem("area.planned_households", _l("Must be a whole number.")))
    total = data.get("total_building_area")
    if total not in (None, ""):
        try:
            if Decimal(str(total)) < 0:
                raise InvalidOperation
        except InvalidOperation:
            problems.append(Problem("area.total_building_area", _l("Must be a number.")))
    return problems


register_handler(AreaCollectHandler())
