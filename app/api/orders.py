"""REST API of a developer's business orders, over the same services as the screens.

``GET /api/v1/order/`` (own orders, filters ``type``, ``status``, ``page``), ``GET /api/v1/order/<id>``
(summary, lines staged, history), ``POST /api/v1/order/`` (a draft of any business whose handler
allows it — ``GET /api/v1/order/types`` lists them — with the business's header fields, and for the
businesses that open houses optionally the houses), ``POST /api/v1/order/<id>/submit`` and
``/withdraw``. JWT from ``/api/v1/security/login``; another organisation's id answers 404.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import request
from flask_appbuilder import AppBuilder
from flask_appbuilder.api import BaseApi, expose, protect, safe
from flask_babel import lazy_gettext as _l

from app.domain.money import json_loads_exact, to_exact_money
from app.errors import DomainError, NotFound, Problem, ValidationFailed
from app.extensions import db
from app.views.errors import problem_response
from app.models.order import BusinessOrder
from app.models.property import SOURCE_EXCEL
from app.security.roles import RES_ORDER
from app.security.tenant import current_scope, current_user, get_owned
from app.services.orders import intake, queries, staging, workflow
from app.services.orders.drafts import DraftInput, save_draft
from app.services.orders.queries import OrderFilters
from app.services.orders.types import TEMPLATE_IMPORT, display_handler, handler_for, handlers

MAX_API_HOUSES = 20_000


def api_types() -> list[str]:
    """The businesses whose drafts the API creates (from the handler registry)."""
    return [h.type for h in handlers() if h.api_enabled]


def _order_dict(order: BusinessOrder) -> dict[str, Any]:
    handler = display_handler(order.type)
    point = handler.deposit_point(order)
    return {"id": order.id, "number": order.number, "type": order.type,
            "type_label": str(handler.title), "status": order.status,
            "status_label": workflow.status_label(order.status), "org_id": order.org_id,
            "area_id": order.area_id, "area_name": handler.area_name(order),
            "deposit_time_point": point.isoformat() if point else None,
            "agent": {"name": order.agent_name, "phone": order.agent_phone,
                      "id_type": order.agent_id_type, "id_no": order.agent_id_no},
            "reason": order.reason, "version": order.version,
            "created_at": order.created_at.isoformat() + "Z",
            "submitted_at": order.submitted_at.isoformat() + "Z" if order.submitted_at else None}


def _json_object() -> dict[str, Any]:
    """The request's JSON object with fractions as Decimal, so a price never passes float."""
    try:
        body = json_loads_exact(request.get_data(cache=True))
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _exact_price(value: Any) -> Any:
    """A price to the cent or ValueError (reported per house): 1234.567 is not rounded."""
    return None if value in (None, "") else to_exact_money(value)


def _houses(items: Any) -> intake.Incoming:
    """House dicts of the request as line data; type problems named by index."""
    if not isinstance(items, list) or len(items) > MAX_API_HOUSES:
        raise ValidationFailed(_l("houses must be a list of at most %(n)d houses.",
                                  n=MAX_API_HOUSES), [])
    incoming = intake.Incoming([], [], [], lambda index, _data: f"houses[{index}]")
    problems: list[Problem] = []
    buildings: dict[str, dict[str, Any]] = {}
    for index, item in enumerate(items):
        try:
            name = str(item["building"]).strip()
            data = staging.house_data(
                building=name, unit=item.get("unit"), floor=int(item["floor"]),
                room=str(item["room"]), address=item.get("address"),
                building_area=Decimal(str(item["building_area"])),
                inner_area=item.get("inner_area"), use_code=str(item["use_code"]),
                has_lift=bool(item.get("has_lift")), sales_status=item.get("sales_status"),
                price=_exact_price(item.get("price")), source=SOURCE_EXCEL)
        except (KeyError, TypeError, ValueError, InvalidOperation, AttributeError) as error:
            problems.append(Problem(f"houses[{index}]", _l("Invalid house: %(error)s",
                                                           error=str(error))))
            continue
        buildings.setdefault(name, staging.building_data(
            name=name, structure_code=item.get("structure_code"), built_ym=item.get("built_ym"),
            floors=item.get("floors")))
        incoming.houses.append(data)
        incoming.rows.append(index)
    if problems:
        raise ValidationFailed(_l("Some houses are invalid."), problems)
    incoming.buildings = list(buildings.values())
    return incoming


class OrdersApi(BaseApi):
    resource_name = "order"
    class_permission_name = RES_ORDER
    method_permission_name = {"list_orders": "read", "get_order": "read", "create_order": "write",
                              "order_types": "read",
                              "submit_order": "submit", "withdraw_order": "withdraw"}
    openapi_spec_tag = "Business orders"

    def _error(self, error: DomainError) -> Any:
        return problem_response(error)

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def list_orders(self) -> Any:
        """Own business orders, newest first.
        ---
        get:
          responses:
            200:
              description: A page of orders
        """
        try:
            page = max(1, int(request.args.get("page", 1)))
        except ValueError:
            page = 1
        result = queries.list_orders(db.session, current_scope(), OrderFilters(
            type=request.args.get("type") or None, status=request.args.get("status") or None),
            page=page, per_page=50)
        return self.response(200, count=result.total, page=result.page,
                             result=[_order_dict(o) for o in result.items])

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def get_order(self, pk: int) -> Any:
        """One order with its staged houses count and history.
        ---
        get:
          responses:
            200:
              description: The order
            404:
              description: Not found
        """
        order = get_owned(db.session, BusinessOrder, pk)
        if order is None:
            return self._error(NotFound())
        body = _order_dict(order)
        body["houses"] = staging.count_lines(db.session, order.id, staging.HOUSE)
        body["lines"] = staging.count_lines(db.session, order.id)
        body["history"] = [{"from": h.from_status, "to": h.to_status, "at": h.at.isoformat() + "Z",
                            "user": h.user.display_name if h.user else None, "opinion": h.opinion}
                           for h in queries.history(db.session, order)]
        return self.response(200, result=body)

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def create_order(self) -> Any:
        """Create a draft 物业区域采集 or 房屋补充 order, optionally with its houses.
        ---
        post:
          responses:
            201:
              description: The draft
            422:
              description: Problems, by field or house index
        """
        body = _json_object()
        order_type = body.get("type")
        if order_type not in api_types():
            return self._error(ValidationFailed(_l("Unknown order type."),
                                                [Problem("type", _l("Required."))]))
        handler = handler_for(order_type)
        try:
            incoming = None
            if body.get("houses"):
                if TEMPLATE_IMPORT not in handler.intake:
                    raise ValidationFailed(_l("This business does not take new houses."),
                                           [Problem("houses", _l("Not allowed."))])
                incoming = _houses(body["houses"])
            order = save_draft(db.session, current_user(), order_type, DraftInput.read(body),
                               incoming=incoming)
        except DomainError as error:
            return self._error(error)
        return self.response(201, result=_order_dict(order))

    @expose("/types", methods=["GET"])
    @protect()
    @safe
    def order_types(self) -> Any:
        """The businesses whose drafts this API creates.
        ---
        get:
          responses:
            200:
              description: slug, type and title of each business
        """
        return self.response(200, result=[
            {"type": h.type, "slug": h.slug, "title": str(h.title), "needs_review": h.needs_review}
            for h in handlers() if h.api_enabled])

    @expose("/<int:pk>/submit", methods=["POST"])
    @protect()
    @safe
    def submit_order(self, pk: int) -> Any:
        """Submit an order to the fund office.
        ---
        post:
          responses:
            200:
              description: Submitted
            422:
              description: Problems
        """
        return self._transition(pk, workflow.submit)

    @expose("/<int:pk>/withdraw", methods=["POST"])
    @protect()
    @safe
    def withdraw_order(self, pk: int) -> Any:
        """Withdraw an order before acceptance.
        ---
        post:
          responses:
            200:
              description: Withdrawn
        """
        return self._transition(pk, workflow.withdraw)

    def _transition(self, pk: int, action: Any) -> Any:
        order = get_owned(db.session, BusinessOrder, pk)
        if order is None:
            return self._error(NotFound())
        try:
            order = action(db.session, order.id, current_user())
        except DomainError as error:
            return self._error(error)
        return self.response(200, result=_order_dict(order))


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_api(OrdersApi)
