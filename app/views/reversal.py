"""冲正 screens (fund office): the request from the teller screen, the queue of reversals and one
reversal's page with approve / reject. Maker ≠ checker is the service's rule."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.errors import DomainError
from app.extensions import db
from app.models.reversal import REVERSAL_PENDING, PaymentReversal
from app.security.roles import APPROVE, REJECT, RES_REVERSAL
from app.security.tenant import current_user, get_owned_or_404
from app.services.payments.documents import CHANNEL_LABELS
from app.services.payments.reversal import (STATUS_LABELS, VIA_TELLER, approve_reversal,
                                            house_effects, reject_reversal, request_reversal,
                                            reversal_queue)
from app.views.bank import render_teller
from app.views.errors import flash_domain_error
from app.views.menus import CATEGORY_FUND_OFFICE

REGISTER_ORDER = 86
MENU_REVERSALS = "Payment reversals"


def _user_id() -> Any:
    return getattr(current_user(), "id", None)


class ReversalView(BaseView):
    """Read / request / approve / reject on PaymentReversal (fund officers)."""

    route_base = "/reversals"
    class_permission_name = RES_REVERSAL
    base_permissions = ["can_read", "can_request", "can_approve", "can_reject"]
    method_permission_name = {"index": "read", "show": "read", "ask": "request",
                              "approve": "approve", "reject": "reject"}

    def _labels(self) -> dict[str, Any]:
        return {"status_labels": {k: str(v) for k, v in STATUS_LABELS.items()},
                "channel_labels": {k: str(v) for k, v in CHANNEL_LABELS.items()},
                "via_labels": {"teller": _("Fund office"), "api": _("Bank system")}}

    @expose("/")
    @has_access
    def index(self) -> Any:
        pending, decided = reversal_queue(db.session)
        return self.render_template("bank/reversals.html", pending=pending, decided=decided,
                                    user_id=_user_id(), **self._labels())

    @expose("/<int:reversal_id>/")
    @has_access
    def show(self, reversal_id: int) -> Any:
        reversal = get_owned_or_404(db.session, PaymentReversal, reversal_id)
        sm = self.appbuilder.sm
        pending = reversal.status == REVERSAL_PENDING
        return self.render_template(
            "bank/reversal_show.html", reversal=reversal, effects=house_effects(db.session, reversal),
            pending=pending, own=reversal.requested_by_id == _user_id(),
            can_approve=pending and sm.has_access(APPROVE, RES_REVERSAL),
            can_reject=pending and sm.has_access(REJECT, RES_REVERSAL), **self._labels())

    @expose("/request", methods=["POST"])
    @has_access
    def ask(self) -> Any:
        form = {key: (request.form.get(key) or "").strip() for key in ("number", "bank_serial", "reason")}
        try:
            result = request_reversal(db.session, form["number"], form["bank_serial"], form["reason"],
                                      _user_id(), via=VIA_TELLER)
        except DomainError as error:
            return render_teller(self, form["number"], error, {"reason": form["reason"]},
                                 status=error.status)
        flash(_("Reversal of notice %(number)s requested; another fund officer must approve it.",
                number=result.reversal.notice.number), "success")
        return redirect(url_for("ReversalView.show", reversal_id=result.reversal.id))

    def _decide(self, reversal_id: int, action: Any, done: str) -> Any:
        reversal = get_owned_or_404(db.session, PaymentReversal, reversal_id)
        try:
            action(reversal.id, (request.form.get("opinion") or "").strip())
        except DomainError as error:
            flash_domain_error(error)
        else:
            flash(done, "success")
        return redirect(url_for("ReversalView.show", reversal_id=reversal_id))

    @expose("/<int:reversal_id>/approve", methods=["POST"])
    @has_access
    def approve(self, reversal_id: int) -> Any:
        return self._decide(reversal_id, lambda rid, opinion: approve_reversal(
            db.session, rid, _user_id(), opinion=opinion),
            _("The reversal is approved: the payment was taken back and the notice is unpaid again."))

    @expose("/<int:reversal_id>/reject", methods=["POST"])
    @has_access
    def reject(self, reversal_id: int) -> Any:
        return self._decide(reversal_id, lambda rid, opinion: reject_reversal(
            db.session, rid, _user_id(), opinion), _("The reversal is rejected."))


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view(ReversalView, MENU_REVERSALS, label=_l("Payment reversals"),
                        href="/reversals/", icon="fa-undo", category=CATEGORY_FUND_OFFICE)
