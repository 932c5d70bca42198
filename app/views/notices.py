"""交款通知单 list (own notices for a developer, all for the fund office), printing and proofs."""
from __future__ import annotations

from io import BytesIO
from typing import Any, Sequence

from flask import abort, current_app, redirect, request, send_file, url_for
from flask_appbuilder import AppBuilder, expose
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.payment import NOTICE_PAID, NOTICE_UNPAID, Notice
from app.security.roles import (MODEL_VIEW_METHODS, PRINT, READ, REQUEST, RES_NOTICE, RES_PAYMENT,
                                RES_REVERSAL, WRITE)
from app.security.tenant import get_owned_or_404, tenant_filters
from app.services.options import area_labels
from app.services.payments.documents import (CHANNEL_LABELS, load_for_print, notices_html,
                                             notices_pdf, proofs_html, proofs_pdf, special_account)
from app.services.payments.notices import NOTICE_STATUS_LABELS, PAYMENT_TYPE_LABELS, house_location
from app.views.base import PlatformModelView, money, when
from app.views.menus import CATEGORY_PAYMENT

REGISTER_ORDER = 41
MENU_NOTICES = "Payment notices"
MAX_PRINT = 500
PAYER_LABELS = {"developer": _l("Developer"), "owner": _l("Owner")}


def _label(labels: dict[str, Any]) -> Any:
    return lambda value: str(labels.get(value, value or ""))


def parse_ids(text: str) -> list[int]:
    """"1,2,3" → [1, 2, 3]; anything else is a 404 (never a 500)."""
    try:
        ids = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        abort(404)
    if not ids or len(ids) > MAX_PRINT:
        abort(404)
    return list(dict.fromkeys(ids))


def pdf_response(data: bytes, name: str) -> Any:
    return send_file(BytesIO(data), mimetype="application/pdf", as_attachment=False,
                     download_name=name)


class NoticeView(PlatformModelView):
    """Read and print on Notice; printing again and voiding are Payment writes (app/views/payments)."""

    route_base = "/notices"
    datamodel = SQLAInterface(Notice)
    class_permission_name = RES_NOTICE
    method_permission_name = {**MODEL_VIEW_METHODS, "print_notices": "print", "proof": "print",
                              "print_selected": "print", "action": "print", "action_post": "print"}
    base_permissions = [READ, PRINT]
    base_filters = tenant_filters()
    base_order = ("id", "desc")
    show_template = "payments/notice_show.html"
    exclude_route_methods = {"download", "add", "edit", "delete"}

    list_title = _l("Payment notices")
    show_title = _l("Payment notice")
    list_columns = ["number", "area", "building", "payer_name", "payment_type", "total", "status",
                    "created_at", "paid_on"]
    show_columns = ["number", "area", "building", "payer_type", "payer_name", "payer_id_no",
                    "payment_type", "total", "status", "created_at", "void_reason", "bank_serial",
                    "channel", "paid_on", "confirmed_at"]
    ajax_search_relations = {"area": ("PropertyAreaView.options", area_labels)}
    search_columns = ["number", "area", "status", "payment_type", "payer_name", "created_at",
                      "paid_on", "bank_serial"]
    label_columns = {
        "number": _l("Notice number"), "area": _l("Property area"), "building": _l("Building"),
        "payer_type": _l("Payer type"), "payer_name": _l("Payer"), "payer_id_no": _l("Payer ID number"),
        "payment_type": _l("Payment type"), "total": _l("Amount"), "status": _l("Status"),
        "created_at": _l("Issued"), "void_reason": _l("Void reason"), "bank_serial": _l("Bank serial number"),
        "channel": _l("Payment channel"), "paid_on": _l("Paid on"), "confirmed_at": _l("Confirmed"),
    }
    formatters_columns = {
        "total": money, "status": _label(NOTICE_STATUS_LABELS),
        "payment_type": _label(PAYMENT_TYPE_LABELS), "payer_type": _label(PAYER_LABELS),
        "channel": _label(CHANNEL_LABELS), "created_at": when, "paid_on": when, "confirmed_at": when,
    }

    # List only: the notice page has its own print buttons above the details.
    @action("print_selected", _l("Print"), None, "fa-print", single=False)
    def print_selected(self, items: Any) -> Any:
        picked = items if isinstance(items, list) else [items]
        ids = ",".join(str(item.id) for item in picked)
        return redirect(url_for("NoticeView.print_notices", ids=ids))

    def render_template(self, template: str, **kwargs: Any) -> Any:
        if template == self.show_template and kwargs.get("pk") is not None:
            kwargs.update(self._show_context(kwargs["pk"]))
        return super().render_template(template, **kwargs)

    def _show_context(self, pk: Any) -> dict[str, Any]:
        notice = get_owned_or_404(db.session, Notice, pk)
        sm = self.appbuilder.sm
        return {
            "notice": notice,
            "lines": [{"code": line.house.code, "location": house_location(line.house),
                       "contract": line.house.contract_no or "", "amount": money(line.amount)}
                      for line in load_for_print(db.session, [notice.id])[0].lines],
            "can_print": sm.has_access(PRINT, RES_NOTICE),
            "can_reissue": notice.status == NOTICE_UNPAID and sm.has_access(WRITE, RES_PAYMENT),
            "is_paid": notice.status == NOTICE_PAID,
            # 冲正 is requested on the teller screen (app/views/reversal.py), fund officers only
            "can_reverse": notice.status == NOTICE_PAID and sm.has_access(REQUEST, RES_REVERSAL),
        }

    @expose("/print/<string:ids>")
    @has_access
    def print_notices(self, ids: str) -> Any:
        """The notices as one PDF (``?format=html`` for the printable page)."""
        wanted = [get_owned_or_404(db.session, Notice, i).id for i in parse_ids(ids)]
        notices = load_for_print(db.session, wanted)
        account = special_account(current_app.config)
        if request.args.get("format") == "html":
            return notices_html(notices, account)
        return pdf_response(notices_pdf(notices, account), f"{notices[0].number}.pdf")

    @expose("/proof/<int:notice_id>")
    @has_access
    def proof(self, notice_id: int) -> Any:
        """Reprint the proof of payment (交款证明) of a paid notice."""
        return proof_response(get_owned_or_404(db.session, Notice, notice_id), reprint=True)


def proof_response(notice: Notice, *, reprint: bool) -> Any:
    if notice.status != NOTICE_PAID:
        abort(404)
    notices: Sequence[Notice] = load_for_print(db.session, [notice.id])
    account = special_account(current_app.config)
    if request.args.get("format") == "html":
        return proofs_html(notices, account, reprint=reprint)
    return pdf_response(proofs_pdf(notices, account, reprint=reprint), f"{notice.number}-proof.pdf")


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view(NoticeView, MENU_NOTICES, label=_l("Payment notices"), icon="fa-file-invoice",
                        category=CATEGORY_PAYMENT)
