"""The Bank Teller screen (专户银行): look a notice up by number, confirm its payment, print the proof."""
from __future__ import annotations

from typing import Any, Optional

from flask import abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.domain.localtime import local_today
from app.errors import DomainError
from app.extensions import db
from app.models.payment import CHANNELS, NOTICE_PAID, Notice
from app.security.roles import READ, REQUEST, RES_BANK, RES_REVERSAL
from app.security.tenant import current_user
from app.services.payments.confirm import VIA_TELLER, confirm, find_notice
from app.services.payments.documents import CHANNEL_LABELS, load_for_print
from app.services.payments.reversal import STATUS_LABELS as REVERSAL_STATUS_LABELS
from app.services.payments.reversal import reversals_of
from app.services.payments.notices import NOTICE_STATUS_LABELS, PAYMENT_TYPE_LABELS, house_location
from app.views.menus import CATEGORY_BANK
from app.views.notices import proof_response

REGISTER_ORDER = 60
MENU_BANK = "Payment confirmation"


def _notice_context(notice: Notice) -> dict[str, Any]:
    loaded = load_for_print(db.session, [notice.id])[0]
    sm = current_app.appbuilder.sm
    return {
        "can_request_reversal": sm.has_access(REQUEST, RES_REVERSAL),
        "reversals": reversals_of(db.session, notice.id) if sm.has_access(READ, RES_REVERSAL) else [],
        "reversal_labels": {k: str(v) for k, v in REVERSAL_STATUS_LABELS.items()},
        "notice": loaded,
        "status_label": str(NOTICE_STATUS_LABELS.get(loaded.status, loaded.status)),
        "type_label": str(PAYMENT_TYPE_LABELS.get(loaded.payment_type, loaded.payment_type)),
        "channel_label": str(CHANNEL_LABELS.get(loaded.channel or "", loaded.channel or "")),
        "lines": [{"code": line.house.code, "location": house_location(line.house),
                   "amount": f"{line.amount:,.2f}"} for line in loaded.lines],
    }


def render_teller(view: BaseView, number: str = "", error: Optional[DomainError] = None,
                  form: Optional[dict[str, str]] = None, status: int = 200) -> Any:
    """The teller screen with the notice ``number`` looked up, an error and the form as typed (also
    rendered by the reversal request, app/views/reversal.py, when it is refused)."""
    context: dict[str, Any] = {"number": number, "channels": [
        (c, str(CHANNEL_LABELS[c])) for c in CHANNELS], "today": local_today().isoformat(),
        "form": form or {}}
    if number:
        try:
            context.update(_notice_context(find_notice(db.session, number)))
        except DomainError as lookup_error:
            if error is None:
                error, status = lookup_error, lookup_error.status
    context["error"] = error
    return view.render_template("bank/teller.html", **context), status


class BankView(BaseView):
    """Permissions read / confirm / print on BankConfirmation (tellers and fund officers)."""

    route_base = "/bank"
    class_permission_name = RES_BANK
    base_permissions = ["can_read", "can_confirm", "can_print"]
    method_permission_name = {"index": "read", "confirm_payment": "confirm", "proof": "print"}

    def _render(self, number: str = "", error: Optional[DomainError] = None,
                form: Optional[dict[str, str]] = None, status: int = 200) -> Any:
        return render_teller(self, number, error, form, status)

    @expose("/")
    @has_access
    def index(self) -> Any:
        number = (request.args.get("number") or "").strip()
        return self._render(number)

    @expose("/confirm", methods=["POST"])
    @has_access
    def confirm_payment(self) -> Any:
        form = {key: (request.form.get(key) or "").strip()
                for key in ("number", "bank_serial", "channel", "paid_on", "amount")}
        try:
            result = confirm(db.session, form["number"], form["bank_serial"], form["channel"],
                             form["paid_on"], form["amount"], getattr(current_user(), "id", None),
                             via=VIA_TELLER)
        except DomainError as error:
            return self._render(form["number"], error, form, status=error.status)
        if result.replayed:
            flash(_("This payment had already been confirmed; nothing was counted twice."), "info")
        else:
            flash(_("Payment of notice %(number)s confirmed.", number=result.notice.number), "success")
        return redirect(url_for("BankView.index", number=result.notice.number))

    @expose("/proof/<string:number>")
    @has_access
    def proof(self, number: str) -> Any:
        try:
            notice = find_notice(db.session, number)
        except DomainError:
            abort(404)
        if notice.status != NOTICE_PAID:
            abort(404)
        return proof_response(notice, reprint=request.args.get("reprint") == "1")


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view(BankView, MENU_BANK, label=_l("Payment confirmation"), href="/bank/",
                        icon="fa-cash-register", category=CATEGORY_BANK)
