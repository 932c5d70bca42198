"""我的业务单: a developer's orders with their status, opinions and history; open, submit,
withdraw, and print the 申请表 / 开户清册 again at any time."""
from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.errors import DomainError
from app.extensions import db
from app.models.order import BusinessOrder
from app.security.roles import RES_ORDER
from app.security.tenant import current_scope, current_user, get_owned_or_404
from app.services.orders import drafts, queries, workflow
from app.services.orders.queries import OrderFilters
from app.services.orders.types import display_handler
from app.views.errors import flash_domain_error
from app.views.order_topups import topup_context
from app.views.menus import CATEGORY_PROPERTY
from app.views.orders_common import (int_arg, new_order_links, opinion_arg, order_context, page_url,
                                     print_links, print_response, status_choices, type_choices,
                                     type_label, version_arg)

#: After the businesses: orders_form.py (40) adds 1.3.1 and 1.3.5, contracts.py (42) adds 1.3.9.
REGISTER_ORDER = 48
MENU_MY_ORDERS = "My orders"


class OrdersView(BaseView):
    route_base = "/orders"
    default_view = "index"
    class_permission_name = RES_ORDER
    method_permission_name = {"index": "read", "show": "read", "submit": "submit",
                              "withdraw": "withdraw", "print_doc": "print", "delete": "write"}

    @expose("/", methods=["GET"])
    @has_access
    def index(self) -> Any:
        filters = OrderFilters(type=request.args.get("type") or None,
                               status=request.args.get("status") or None,
                               number=request.args.get("number") or None)
        page = queries.list_orders(db.session, current_scope(), filters, page=int_arg("page"))
        opinions = queries.last_opinions(db.session, [o.id for o in page.items])
        rows = [{"order": o, "type": type_label(o.type),
                 "status": workflow.status_label(o.status),
                 "area": o.area.name if o.area else _order_area_name(o),
                 "submitted": workflow.local_time(o.submitted_at),
                 "created": workflow.local_time(o.created_at),
                 "opinion": opinions.get(o.id, ""),
                 "editable": workflow.may(o, "edit", current_user())} for o in page.items]
        return self.render_template("orders/list.html", rows=rows, page=page, filters=filters,
                                    types=type_choices(), statuses=status_choices(),
                                    new_orders=new_order_links(), page_url=page_url("OrdersView.index"))

    @expose("/<int:pk>", methods=["GET"])
    @has_access
    def show(self, pk: int) -> Any:
        order = get_owned_or_404(db.session, BusinessOrder, pk)
        context = order_context(order, lines_endpoint="OrdersView.show")
        return self.render_template("orders/show.html", **context,
                                    prints=print_links(order, "OrdersView.print_doc"),
                                    topup=topup_context(self.appbuilder, order),
                                    just_submitted=request.args.get("submitted") == "1")

    @expose("/<int:pk>/submit", methods=["POST"])
    @has_access
    def submit(self, pk: int) -> Any:
        order = get_owned_or_404(db.session, BusinessOrder, pk)
        try:
            workflow.submit(db.session, order.id, current_user(), expected_version=version_arg())
        except DomainError as error:
            flash_domain_error(error)
            return redirect(url_for("OrdersView.show", pk=pk))
        flash(_("Order %(number)s was submitted. Print the application form and bring the "
                "documents to the fund office.", number=order.number), "success")
        return redirect(url_for("OrdersView.show", pk=pk, submitted=1))

    @expose("/<int:pk>/withdraw", methods=["POST"])
    @has_access
    def withdraw(self, pk: int) -> Any:
        order = get_owned_or_404(db.session, BusinessOrder, pk)
        try:
            workflow.withdraw(db.session, order.id, current_user(), opinion=opinion_arg(),
                              expected_version=version_arg())
        except DomainError as error:
            flash_domain_error(error)
        else:
            flash(_("Order %(number)s was withdrawn.", number=order.number), "info")
        return redirect(url_for("OrdersView.show", pk=pk))

    @expose("/<int:pk>/delete", methods=["POST"])
    @has_access
    def delete(self, pk: int) -> Any:
        order = get_owned_or_404(db.session, BusinessOrder, pk)
        try:
            number = drafts.delete_draft(db.session, order.id, current_user(),
                                         current_app.config["UPLOAD_FOLDER"])
        except DomainError as error:
            flash_domain_error(error)
            return redirect(url_for("OrdersView.show", pk=pk))
        flash(_("Draft %(number)s was deleted.", number=number), "info")
        return redirect(url_for("OrdersView.index"))

    @expose("/<int:pk>/print/<doc>.<fmt>", methods=["GET"])
    @has_access
    def print_doc(self, pk: int, doc: str, fmt: str) -> Any:
        order = get_owned_or_404(db.session, BusinessOrder, pk)
        return print_response(order, doc, fmt)


def _order_area_name(order: BusinessOrder) -> str:
    return display_handler(order.type).area_name(order)


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view(OrdersView(), MENU_MY_ORDERS, label=_l("My business orders"),
                        icon="fa-file-alt", category=CATEGORY_PROPERTY)
