"""补交 from the order page: a 房屋信息变更 whose new amounts due exceed what was paid prints its
shortfalls as a 交款通知单 of payment type 补交 (``services/orders/topups.py``).

Printing a notice is a payment write (``Payment`` resource), so the order page offers the button
only to users who may issue notices; the answer is the payment screens' (``issue_answer``).
"""
from __future__ import annotations

from typing import Any, Optional

from flask import jsonify, url_for
from flask_appbuilder import AppBuilder, BaseView, expose
from flask_appbuilder.security.decorators import has_access_api

from app.extensions import db
from app.models.order import BusinessOrder
from app.security.roles import RES_PAYMENT, WRITE
from app.security.tenant import current_user, get_owned_or_404
from app.services.orders import topups
from app.views.errors import json_errors
from app.views.payments import issue_answer

REGISTER_ORDER = 49


class OrderTopupView(BaseView):
    route_base = "/order-topup"
    class_permission_name = RES_PAYMENT
    method_permission_name = {"issue": "write"}

    @expose("/<int:pk>", methods=["POST"])
    @has_access_api
    @json_errors
    def issue(self, pk: int) -> Any:
        order = get_owned_or_404(db.session, BusinessOrder, pk)
        result = topups.issue_topup_notice(db.session, order.id, current_user())
        return jsonify(issue_answer(result))


def topup_context(appbuilder: Any, order: BusinessOrder) -> Optional[dict[str, Any]]:
    """The order page's 补交 panel: the shortfalls and whether this user may print them."""
    items = topups.shortfalls(db.session, order)
    if not items:
        return None
    return {"items": items, "printable": sum(1 for s in items if not s.reason),
            "can_issue": appbuilder.sm.has_access(WRITE, RES_PAYMENT),
            "url": url_for("OrderTopupView.issue", pk=order.id)}


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view_no_menu(OrderTopupView())
