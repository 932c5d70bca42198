"""Header fields several businesses share: the chosen property area and the 交存时点.

Handlers read their fields from a form (flat names such as ``area_id``) or from a JSON object
(the same names), check them and store them on the draft with these helpers.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Mapping, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app.domain import validators
from app.errors import Problem
from app.models.codes import KIND_DISTRICT
from app.models.order import BusinessOrder
from app.models.property import PropertyArea
from app.security.tenant import Scope
from app.services.reference import code_map

LABELS = {"area_id": _l("Property area"), "deposit_time_point": _l("Deposit time point"),
          "reason": _l("Reason"), "agent_name": _l("Agent name"), "agent_phone": _l("Agent phone"),
          "agent_id_no": _l("Agent ID number"), "agent_id_type": _l("Agent ID type")}


def text(value: Any) -> Optional[str]:
    value = "" if value is None else str(value).strip()
    return value or None


def read_id(source: Mapping[str, Any], name: str) -> Optional[int]:
    """A positive integer id from a form or JSON value; anything else is None."""
    value = source.get(name)
    try:
        number = int(str(value).strip()) if value not in (None, "") else 0
    except ValueError:
        return None
    return number if 0 < number < 2**31 else None


def choose_area(session: Session, user: Any, order: BusinessOrder, area_id: Optional[int], *,
                has_lines: bool) -> list[Problem]:
    """Set the order's area to one of the user's active areas; it cannot move once lines exist."""
    area = session.get(PropertyArea, area_id) if area_id else None
    if area_id and (area is None or not may_choose(user, area)):
        return [Problem("area_id", _l("Choose one of your property areas."))]
    if order.area_id and area is not None and area.id != order.area_id and has_lines:
        return [Problem("area_id", _l("Remove the lines first to choose another property area."))]
    order.area_id = area.id if area is not None else None
    return []


def required_area(session: Session, order: BusinessOrder, required: bool) -> list[Problem]:
    """The chosen area on submit: it must exist, be the organisation's and be active."""
    area = session.get(PropertyArea, order.area_id) if order.area_id else None
    if area is None:
        return [Problem("area_id", _l("Choose the property area."))] if required else []
    if area.org_id != order.org_id or not area.active:
        return [Problem("area_id", _l("Choose one of your active property areas."))]
    return []


def may_choose(user: Any, area: PropertyArea) -> bool:
    """Whether the user may put ``area`` on an order: one of the scope's areas still in use.
    (The form offers them as the user types: app/services/options.py, ``active_only``.)"""
    return area.active and Scope.for_user(user).allows(area)


def area_rows(session: Session, area: Optional[PropertyArea]) -> list[tuple[str, str]]:
    """(label, value) of an existing area for an order's summary."""
    if area is None:
        return []
    districts = code_map(session, KIND_DISTRICT)
    return [(str(_l("Property area")), area.name), (str(_l("Area code")), area.code),
            (str(_l("District")), districts.get(area.district_code, area.district_code)),
            (str(_l("Address")), area.address)]


def date_field(order: BusinessOrder, name: str, value: Optional[str]) -> list[Problem]:
    """Store an ISO date of the payload, or say how to write one."""
    if value:
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return [Problem(name, _l("Enter a date such as 2026-01-31."))]
    payload = dict(order.payload or {})
    payload[name] = value or None
    order.payload = payload
    return []


def agent_problems(order: BusinessOrder, required: bool) -> list[Problem]:
    """The order's agent (经办人): name, phone and ID; all required for submission."""
    return validators.agent_problems(order.agent_name, order.agent_phone or "",
                                     order.agent_id_type or "01", order.agent_id_no,
                                     required=required)
