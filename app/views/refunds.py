"""退款管理 (fund office): the refund queue, a refund's page with the 退款申请表, approve / reject
with an opinion and the payout; and 我的退款 (developer): each refund of the organisation and its
state. The rules are in app/services/refunds.py; these views parse, call and render."""
from __future__ import annotations

from typing import Any, Optional

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.documents.printing import render_html
from app.domain.localtime import local_today
from app.domain.location import location_text
from app.errors import DomainError
from app.extensions import db
from app.models.audit import AuditLog
from app.models.payment import REFUND_STATES, Refund
from app.security.roles import RES_ORDER, RES_REFUND
from app.security.tenant import current_scope, current_user, get_owned_or_404, is_internal_user
from app.services import refunds
from app.services.options import area_labels, organisation_labels
from app.services.ledger import paid_amount
from app.views.base import money, when
from app.views.errors import flash_domain_error
from app.views.menus import CATEGORY_FUND_OFFICE, CATEGORY_PROPERTY
from app.views.orders_common import html_or_pdf, int_arg, page_url, type_label, version_arg

REGISTER_ORDER = 46
MENU_REFUNDS = "Refunds"
MENU_MY_REFUNDS = "My refunds"
FORMATS = ("html", "pdf")
#: The audit actions of a refund (app/services/refunds.py) as its history shows them.
STEP_LABELS = {"refund.approved": _l("Approved"), "refund.rejected": _l("Refund rejected"),
               "refund.paid": _l("Payout recorded")}


def _id_arg(name: str) -> Optional[int]:
    try:
        return int(request.args.get(name) or 0) or None
    except ValueError:
        return None


def _filters() -> refunds.RefundFilters:
    status = request.args.get("status") or None
    return refunds.RefundFilters(status=status if status in REFUND_STATES else None,
                                 org_id=_id_arg("org_id"), area_id=_id_arg("area_id"))


def _owned(pk: int) -> Refund:
    """The refund, or 404 when the user may not see it or its house (area-limited staff)."""
    refund = get_owned_or_404(db.session, Refund, pk)
    if not current_scope().allows(refund.house):
        abort(404)
    return refund


def _row(refund: Refund) -> dict[str, Any]:
    house = refund.house
    return {"refund": refund, "number": refunds.refund_number(refund),
            "status": refunds.status_label(refund.status), "house": house,
            "location": location_text(house.building.name, house.unit, house.room, house.floor),
            "area": house.area.name, "org": refund.organisation.name, "amount": money(refund.amount),
            "business": type_label(refund.order.type) if refund.order else "",
            "order_number": refund.order.number if refund.order else "",
            "created": when(refund.created_at), "paid_on": when(refund.paid_on)}


def _status_choices() -> list[tuple[str, str]]:
    return [(s, refunds.status_label(s)) for s in REFUND_STATES]


def _chosen(filters: refunds.RefundFilters) -> dict[str, Any]:
    """Names of the developer and area filtered by, for their boxes (the others are typed for:
    a city has hundreds of each, never printed)."""
    scope = current_scope()
    return {"chosen_orgs": organisation_labels(db.session, scope, [filters.org_id]) if filters.org_id else [],
            "chosen_areas": area_labels(db.session, scope, [filters.area_id]) if filters.area_id else []}


def _detail(refund: Refund, **extra: Any) -> dict[str, Any]:
    """What a refund's page shows: the house, the money, the account, the source, the steps."""
    balance = paid_amount(db.session, refund.house_id)
    steps = db.session.scalars(select(AuditLog).where(
        AuditLog.object_type == "Refund", AuditLog.object_id == refund.id)
        .order_by(AuditLog.id)).all()
    return {"r": _row(refund), "refund": refund, "balance": money(balance),
            "available": money(refunds.available(db.session, refund)),
            "steps": steps, "step_labels": STEP_LABELS,
            "when": when, "money": money, "today": local_today().isoformat(),
            "errors": {}, "values": {}, **extra}


def _print(refund: Refund, fmt: str) -> Any:
    if fmt not in FORMATS:
        abort(404)
    html = render_html("refund_form.html", form=refunds.refund_form(db.session, refund))
    return html_or_pdf(html, _("refund-%(number)s", number=refunds.refund_number(refund)), fmt)


class RefundQueueView(BaseView):
    """The fund office's refund queue and a refund's page with its commands."""

    route_base = "/refunds"
    default_view = "queue"
    class_permission_name = RES_REFUND
    method_permission_name = {"queue": "read", "show": "read", "approve": "approve",
                              "reject": "reject", "pay": "confirm", "print_form": "print"}

    @expose("/", methods=["GET"])
    @has_access
    def queue(self) -> Any:
        filters = _filters()
        page = refunds.list_refunds(db.session, current_scope(), filters, page=int_arg("page"))
        return self.render_template(
            "refunds/queue.html", rows=[_row(r) for r in page.items], page=page, filters=filters,
            statuses=_status_choices(), **_chosen(filters),
            page_url=page_url("RefundQueueView.queue"))

    @expose("/<int:pk>", methods=["GET"])
    @has_access
    def show(self, pk: int) -> Any:
        refund = _owned(pk)
        return self._page(refund)

    def _page(self, refund: Refund, status: int = 200, **extra: Any) -> Any:
        context = _detail(refund, actions=refunds.allowed_actions(refund, current_user()), **extra)
        return self.render_template("refunds/show.html", office=True, **context), status

    def _command(self, pk: int, action: str) -> Any:
        refund = _owned(pk)
        user, opinion = current_user(), request.form.get("opinion")
        try:
            if action == "approve":
                refunds.approve(db.session, refund.id, user, opinion=opinion,
                                expected_version=version_arg())
                message = _("Refund %(number)s was approved.", number=refunds.refund_number(refund))
            elif action == "reject":
                refunds.reject(db.session, refund.id, user, opinion=opinion,
                               expected_version=version_arg())
                message = _("Refund %(number)s was rejected.", number=refunds.refund_number(refund))
            else:
                result = refunds.record_payout(db.session, refund.id, user,
                                               bank_serial=request.form.get("payout_serial"),
                                               paid_on=request.form.get("payout_date"))
                message = (_("This payout was already recorded.") if result.replayed else
                           _("The payout of refund %(number)s was recorded and booked on the "
                             "house's account.", number=refunds.refund_number(refund)))
        except DomainError as error:
            flash_domain_error(error)
            errors: dict[str, list[str]] = {}
            for problem in error.problems:
                errors.setdefault(problem.field, []).append(str(problem.reason))
            db.session.expire_all()
            return self._page(refund, status=error.status, errors=errors,
                              values=request.form.to_dict())
        flash(message, "success")
        return redirect(url_for("RefundQueueView.show", pk=pk))

    @expose("/<int:pk>/approve", methods=["POST"])
    @has_access
    def approve(self, pk: int) -> Any:
        return self._command(pk, "approve")

    @expose("/<int:pk>/reject", methods=["POST"])
    @has_access
    def reject(self, pk: int) -> Any:
        return self._command(pk, "reject")

    @expose("/<int:pk>/pay", methods=["POST"])
    @has_access
    def pay(self, pk: int) -> Any:
        return self._command(pk, "pay")

    @expose("/<int:pk>/print.<fmt>", methods=["GET"])
    @has_access
    def print_form(self, pk: int, fmt: str) -> Any:
        return _print(_owned(pk), fmt)


class MyRefundsView(BaseView):
    """我的退款: the developer's refunds and where each one stands; read and print only."""

    route_base = "/my-refunds"
    default_view = "index"
    class_permission_name = RES_ORDER
    method_permission_name = {"index": "read", "show": "read", "print_form": "print"}

    @expose("/", methods=["GET"])
    @has_access
    def index(self) -> Any:
        filters = _filters()
        page = refunds.list_refunds(db.session, current_scope(), filters, page=int_arg("page"))
        return self.render_template(
            "refunds/mine.html", rows=[_row(r) for r in page.items], page=page, filters=filters,
            statuses=_status_choices(), **_chosen(filters), page_url=page_url("MyRefundsView.index"))

    @expose("/<int:pk>", methods=["GET"])
    @has_access
    def show(self, pk: int) -> Any:
        refund = _owned(pk)
        return self.render_template("refunds/show.html", office=False, actions=[],
                                    **_detail(refund))

    @expose("/<int:pk>/print.<fmt>", methods=["GET"])
    @has_access
    def print_form(self, pk: int, fmt: str) -> Any:
        return _print(_owned(pk), fmt)


def refund_endpoint() -> str:
    """Where a refund's link leads for the current user: the office's page or the developer's."""
    return "RefundQueueView.show" if is_internal_user() else "MyRefundsView.show"


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view(RefundQueueView(), MENU_REFUNDS, label=_l("Refund management"), icon="fa-undo",
                        category=CATEGORY_FUND_OFFICE)
    appbuilder.add_view(MyRefundsView(), MENU_MY_REFUNDS, label=_l("My refunds"), icon="fa-undo",
                        category=CATEGORY_PROPERTY)
