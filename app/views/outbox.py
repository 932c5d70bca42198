"""Fund office: the trading-system outbox (pending, delivered, failed pushes) with a retry action."""
from __future__ import annotations

import json
from typing import Any

from flask import flash, redirect
from flask_appbuilder import AppBuilder
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from app.errors import DomainError, PermissionDenied
from app.extensions import db
from app.models.outbox import OUTBOX_DELIVERED, OUTBOX_PARKED, OUTBOX_PENDING, OutboxMessage
from app.security.roles import MODEL_VIEW_METHODS, READ, RES_OUTBOX, RETRY
from app.security.tenant import get_owned, is_internal_user, tenant_filters
from app.services.outbox import KIND_DEPOSIT_STATUS, retry_many
from app.views.base import PlatformModelView, when
from app.views.errors import flash_domain_error
from app.views.menus import CATEGORY_FUND_OFFICE

STATUS_LABELS = {
    OUTBOX_PENDING: _l("Pending"),
    OUTBOX_DELIVERED: _l("Delivered"),
    OUTBOX_PARKED: _l("Failed"),
}
KIND_LABELS = {KIND_DEPOSIT_STATUS: _l("Deposit status")}


def _payload(value: Any) -> Markup:
    text = json.dumps(value, ensure_ascii=False, indent=2) if value is not None else ""
    return Markup("<pre>%s</pre>") % escape(text)


class TradeOutboxView(PlatformModelView):
    """Internal users only (permission ``can_read`` / ``can_retry`` on TradeOutbox)."""

    datamodel = SQLAInterface(OutboxMessage)
    class_permission_name = RES_OUTBOX
    method_permission_name = {**MODEL_VIEW_METHODS, "retry_action": "retry"}
    # Read and retry only: the rows are written by services, never edited by hand.
    base_permissions = [READ, RETRY]
    base_filters = tenant_filters()
    base_order = ("id", "desc")

    list_title = _l("Trading outbox")
    show_title = _l("Outbox message")
    list_columns = ["id", "kind", "house_code", "status", "attempts", "next_attempt_at",
                    "last_error", "created_at", "delivered_at"]
    show_columns = ["id", "kind", "idempotency_key", "house_code", "status", "attempts",
                    "next_attempt_at", "last_error", "payload", "created_at", "delivered_at"]
    search_columns = ["kind", "house_code", "status", "attempts", "next_attempt_at",
                      "last_error", "created_at", "delivered_at", "idempotency_key"]
    label_columns = {
        "id": _l("No."),
        "kind": _l("Kind"),
        "idempotency_key": _l("Idempotency key"),
        "house_code": _l("Trading-system house code"),
        "status": _l("Status"),
        "attempts": _l("Attempts"),
        "next_attempt_at": _l("Next attempt"),
        "last_error": _l("Last error"),
        "payload": _l("Content"),
        "created_at": _l("Created"),
        "delivered_at": _l("Delivered"),
    }
    formatters_columns = {
        "status": lambda v: str(STATUS_LABELS.get(v, v)),
        "kind": lambda v: str(KIND_LABELS.get(v, v)),
        "next_attempt_at": when,
        "created_at": when,
        "delivered_at": when,
        "payload": _payload,
    }

    @action("retry", _l("Retry"), _l("Send the selected messages again?"), "fa-redo")
    def retry_action(self, items: Any) -> Any:
        """Queue the picked messages again; each id is reloaded through the tenant scope."""
        picked = items if isinstance(items, list) else [items]
        try:
            if not is_internal_user():
                raise PermissionDenied()
            owned = [get_owned(db.session, OutboxMessage, getattr(i, "id", None)) for i in picked]
            messages = retry_many(db.session, [m.id for m in owned if m is not None])
            flash(_("%(count)s message(s) queued for sending again.", count=len(messages)), "success")
        except DomainError as exc:
            flash_domain_error(exc)
        self.update_redirect()
        return redirect(self.get_redirect())


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view(TradeOutboxView, "Trading outbox", label=_l("Trading outbox"),
                        icon="fa-exchange-alt", category=CATEGORY_FUND_OFFICE)
