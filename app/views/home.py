"""The landing page: login and 开发商注册 for visitors, each role's own starting points for users.

Developers get their areas, unfinished orders and unpaid notices with links; the fund office its
review queue counts; whoever may confirm payments (the bank teller) a notice-number lookup box.
"""
from __future__ import annotations

from typing import Any, Optional

from flask import g, url_for
from flask_appbuilder import IndexView, expose
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.order import BusinessOrder
from app.models.outbox import OUTBOX_PARKED
from app.models.payment import NOTICE_UNPAID
from app.security.roles import (APPROVE, MENU_ACCESS, READ, RES_BANK, RES_NOTICE, RES_ORDER,
                                RES_OUTBOX, RES_REVERSAL, RES_REVIEW)
from app.security.tenant import Scope
from app.services.home import developer_home, office_home
from app.services.orders.states import status_label
from app.services.payments.reversal import pending_reversals
from app.views.base import money, when

#: The developer's businesses besides the order businesses (which come from their handlers)
#: offered as buttons, by menu name (shown when the menu shows them).
OTHER_SHORTCUTS = ("Contract number setting", "Developer batch payment",
                   "Payment notices for owners", "Custom payment")


def developer_shortcuts() -> tuple[str, ...]:
    from app.services.orders.types import handlers

    return tuple(h.menu_name for h in handlers()) + OTHER_SHORTCUTS


def order_row(order: BusinessOrder) -> dict[str, Any]:
    # FAB imports this index view before Flask-Babel exists; the order handlers need Babel at
    # import time, so they are imported on first use.
    from app.services.orders.types import display_handler

    handler = display_handler(order.type)
    return {"number": order.number, "type": str(handler.title), "area": handler.area_name(order),
            "status": order.status, "status_label": status_label(order.status),
            "created": when(order.created_at),
            "url": url_for("OrdersView.show", pk=order.id)}


class HomeView(IndexView):
    route_base = ""
    index_template = "home.html"

    def _shortcuts(self) -> list[dict[str, str]]:
        """The developer's business buttons, as its menu offers them."""
        found = []
        for name in developer_shortcuts():
            item = self.appbuilder.menu.find(name)
            if item is not None and self.appbuilder.sm.has_access(MENU_ACCESS, name):
                found.append({"label": str(item.label), "url": item.get_url(), "icon": item.icon})
        return found

    def _developer(self, scope: Scope) -> dict[str, Any]:
        sm = self.appbuilder.sm
        home = developer_home(db.session, scope)
        # A staff member granted only some businesses sees only those lists (None: no panel).
        orders = [order_row(o) for o in home.open_orders] if sm.has_access(READ, RES_ORDER) else None
        notices = [{"number": n.number, "area": n.area.name if n.area else "",
                    "building": n.building.name if n.building else "", "payer": n.payer_name,
                    "total": money(n.total), "url": url_for("NoticeView.show", pk=n.id)}
                   for n in home.unpaid_notices] if sm.has_access(READ, RES_NOTICE) else None
        return {
            "areas": [{"name": a.name, "code": a.code, "houses": a.houses, "due": money(a.due),
                       "paid": money(a.paid), "unpaid": money(a.unpaid),
                       "url": url_for("PropertyAreaView.show", pk=a.id)} for a in home.areas],
            "area_count": home.area_count,
            "orders": orders,
            "order_count": home.open_order_count,
            "notices": notices,
            "notice_count": home.unpaid_notice_count,
            "notice_total": money(home.unpaid_notice_total),
            "shortcuts": self._shortcuts(),
        }

    def _office(self, scope: Scope) -> dict[str, Any]:
        sm = self.appbuilder.sm
        home = office_home(db.session, scope)
        review = url_for("ReviewView.queue")
        cards = [
            {"id": "submitted", "figure": home.submitted, "label": _l("Submitted, to be accepted"),
             "url": f"{review}?status=submitted"},
            {"id": "accepted", "figure": home.accepted, "label": _l("Accepted, to be reviewed"),
             "url": f"{review}?status=accepted"},
            {"id": "unpaid-notices", "figure": home.unpaid_notices,
             "label": _l("Unpaid payment notices"),
             "url": url_for("NoticeView.list", _flt_0_status=NOTICE_UNPAID)},
            {"id": "papers", "figure": home.papers_unchecked,
             "label": _l("Developers whose paper documents are not checked yet"),
             "url": url_for("OrgAdminView.list", papers="no")},
        ]
        if sm.has_access(READ, RES_OUTBOX):
            cards.append({"id": "failed-pushes", "figure": home.failed_pushes,
                          "label": _l("Trading-system pushes that failed"),
                          "url": url_for("TradeOutboxView.list", _flt_0_status=OUTBOX_PARKED)})
        if sm.has_access(APPROVE, RES_REVERSAL):
            cards.append({"id": "pending-reversals", "figure": pending_reversals(db.session),
                          "label": _l("Payment reversals waiting for approval"),
                          "url": url_for("ReversalView.index")})
        return {"cards": cards, "waiting": home.submitted + home.accepted, "review_url": review}

    @expose("/")
    def index(self):  # noqa: ANN201 - FAB view
        user = g.user if getattr(g.user, "is_authenticated", False) else None
        developer: Optional[dict[str, Any]] = None
        office: Optional[dict[str, Any]] = None
        bank = False
        if user is not None:
            scope = Scope.for_user(user)
            sm = self.appbuilder.sm
            if not scope.internal and scope.org_id is not None:
                developer = self._developer(scope)
            if scope.internal and sm.has_access(READ, RES_REVIEW):
                office = self._office(scope)
            bank = sm.has_access(READ, RES_BANK)
        return self.render_template(self.index_template, appbuilder=self.appbuilder,
                                    developer=developer, office=office, bank=bank,
                                    logged_in=user is not None)
