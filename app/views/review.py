"""业务审核 (fund office): the queue of orders and the review page (lines before/after side by side,
attachments, history) with accept / approve / reject and the paper-documents confirmation."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from flask import flash, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.errors import DomainError
from app.extensions import db
from app.models.order import BusinessOrder
from app.models.organisation import Organisation
from app.security.roles import RES_REVIEW
from app.security.tenant import current_scope, current_user, get_owned_or_404
from app.services.options import organisation_labels
from app.services.orders import queries, workflow
from app.services.orders.queries import OrderFilters
from app.services.orders.types import display_handler
from app.views.errors import flash_domain_error
from app.views.menus import CATEGORY_FUND_OFFICE
from app.views.orders_common import (int_arg, opinion_arg, order_context, page_url, print_links,
                                     print_response, status_choices, type_choices, type_label,
                                     version_arg)

REGISTER_ORDER = 45
MENU_REVIEW = "Order review"


def _date_arg(name: str) -> Optional[dt.date]:
    try:
        return dt.date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _org_arg() -> Optional[int]:
    try:
        return int(request.args.get("org_id") or 0) or None
    except ValueError:
        return None


class ReviewView(BaseView):
    route_base = "/review"
    default_view = "queue"
    class_permission_name = RES_REVIEW
    method_permission_name = {"queue": "read", "show": "read", "accept": "accept",
                              "approve": "approve", "reject": "reject", "print_doc": "print"}

    @expose("/", methods=["GET"])
    @has_access
    def queue(self) -> Any:
        status = request.args.get("status", "waiting")
        filters = OrderFilters(type=request.args.get("type") or None, status=status or None,
                               org_id=_org_arg(), date_from=_date_arg("date_from"),
                               date_to=_date_arg("date_to"),
                               number=request.args.get("number") or None)
        page = queries.list_orders(db.session, current_scope(), filters, page=int_arg("page"),
                                   waiting_first=True)
        rows = [{"order": o, "type": type_label(o.type),
                 "status": workflow.status_label(o.status),
                 "org": o.organisation.name, "papers_checked": o.organisation.papers_checked,
                 "area": _area_name(o), "submitted": workflow.local_time(o.submitted_at)}
                for o in page.items]
        statuses = [("waiting", _("Waiting (submitted or accepted)"))] + status_choices()
        return self.render_template("orders/review_queue.html", rows=rows, page=page,
                                    filters=filters, status=status, types=type_choices(),
                                    statuses=statuses, chosen_orgs=organisation_labels(
                                        db.session, current_scope(), [filters.org_id])
                                    if filters.org_id else [],
                                    page_url=page_url("ReviewView.queue"))

    @expose("/<int:pk>", methods=["GET"])
    @has_access
    def show(self, pk: int) -> Any:
        order = get_owned_or_404(db.session, BusinessOrder, pk)
        context = order_context(order, lines_endpoint="ReviewView.show")
        org = db.session.get(Organisation, order.org_id)
        return self.render_template("orders/review.html", **context, org=org,
                                    prints=print_links(order, "ReviewView.print_doc"))

    def _decide(self, pk: int, action: str) -> Any:
        order = get_owned_or_404(db.session, BusinessOrder, pk)
        user = current_user()
        try:
            if action == "accept":
                workflow.accept(db.session, order.id, user, opinion=opinion_arg(),
                                papers_checked=request.form.get("papers_checked") == "1",
                                expected_version=version_arg())
            elif action == "approve":
                workflow.approve(db.session, order.id, user, opinion=opinion_arg(),
                                 expected_version=version_arg())
            else:
                workflow.reject(db.session, order.id, user, opinion=opinion_arg(),
                                expected_version=version_arg())
        except DomainError as error:
            flash_domain_error(error)
        else:
            messages = {"accept": _("Order %(number)s was accepted.", number=order.number),
                        "approve": _("Order %(number)s was approved.", number=order.number),
                        "reject": _("Order %(number)s was sent back to the developer.",
                                    number=order.number)}
            flash(messages[action], "success")
        return redirect(url_for("ReviewView.show", pk=pk))

    @expose("/<int:pk>/accept", methods=["POST"])
    @has_access
    def accept(self, pk: int) -> Any:
        return self._decide(pk, "accept")

    @expose("/<int:pk>/approve", methods=["POST"])
    @has_access
    def approve(self, pk: int) -> Any:
        return self._decide(pk, "approve")

    @expose("/<int:pk>/reject", methods=["POST"])
    @has_access
    def reject(self, pk: int) -> Any:
        return self._decide(pk, "reject")

    @expose("/<int:pk>/print/<doc>.<fmt>", methods=["GET"])
    @has_access
    def print_doc(self, pk: int, doc: str, fmt: str) -> Any:
        order = get_owned_or_404(db.session, BusinessOrder, pk)
        return print_response(order, doc, fmt)


def _area_name(order: BusinessOrder) -> str:
    return display_handler(order.type).area_name(order)


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view(ReviewView(), MENU_REVIEW, label=_l("Order review"), icon="fa-gavel",
                        category=CATEGORY_FUND_OFFICE)
