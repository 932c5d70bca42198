"""Fund office: 审计日志 (audit log), read-only."""
from __future__ import annotations

import json
from typing import Any, Sequence

from flask_appbuilder import AppBuilder, expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access_api
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import select

from app.extensions import db
from app.models.audit import AuditLog
from app.models.organisation import Organisation
from app.security.roles import MODEL_VIEW_METHODS, RES_AUDIT
from app.security.tenant import current_scope, tenant_filters
from app.services.options import user_labels, user_options
from app.views.base import PlatformModelView, options_answer, when
from app.views.menus import CATEGORY_FUND_OFFICE

REGISTER_ORDER = 62


#: The action codes services and screens record (app/services/audit.py callers), in words.
ACTION_LABELS = {
    "org.register": _l("Developer registration"),
    "org.change": _l("Organisation information changed"),
    "org.papers_checked": _l("Paper documents checked"),
    "org.papers_unchecked": _l("Paper documents check withdrawn"),
    "papers_checked": _l("Paper documents checked"),
    "user.add": _l("User added"),
    "user.update": _l("User modified"),
    "user.activate": _l("User activated"),
    "user.deactivate": _l("User deactivated"),
    "user.login": _l("Logged in"),
    "user.login_failed": _l("Login failed"),
    "user.locked": _l("Account locked"),
    "user.unlock": _l("Account unlocked"),
    "houses_opened": _l("House accounts opened"),
    "house.owners": _l("Owners saved"),
    "contract.bind": _l("Contract numbers bound"),
    "notice.issue": _l("Payment notice issued"),
    "notice.void": _l("Payment notice voided"),
    "notice.paid": _l("Payment confirmation"),
    "order_submit": _l("Order submitted"),
    "order_withdraw": _l("Order withdrawn"),
    "order_accept": _l("Order accepted"),
    "order_approve": _l("Order approved"),
    "order_reject": _l("Order rejected"),
    "create": _l("Added"),
    "update": _l("Modified"),
    "delete": _l("Deleted"),
}
OBJECT_LABELS = {
    "organisation": _l("Organisation"), "Organisation": _l("Organisation"),
    "user": _l("User"), "PropertyArea": _l("Property area"), "House": _l("House"),
    "BusinessOrder": _l("Business order"), "Notice": _l("Payment notice"),
    "CodeItem": _l("Code table entry"), "DepositStandard": _l("Deposit standard"),
}


def _label(labels: dict[str, Any]) -> Any:
    """A formatter showing a code's words; a code without words (a new business) shows as is."""
    return lambda value: str(labels.get(value, value or ""))


def _detail(value: Any) -> Markup:
    if value is None:
        return Markup("")
    text = json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str)
    return Markup("<pre>%s</pre>") % escape(text)


class AuditLogView(PlatformModelView):
    route_base = "/fund/audit"
    datamodel = SQLAInterface(AuditLog)
    class_permission_name = RES_AUDIT
    method_permission_name = {**MODEL_VIEW_METHODS, "user_options": "read"}
    include_route_methods = {"list", "show", "user_options"}
    base_filters = tenant_filters()
    base_order = ("id", "desc")
    page_size = 50

    list_title = _l("Audit log")
    show_title = _l("Audit entry")
    list_columns = ["at", "user", "organisation_name", "action", "object_type", "object_id", "ip"]
    show_columns = ["at", "user", "organisation_name", "action", "object_type", "object_id", "ip",
                    "detail"]
    search_columns = ["at", "user", "action", "object_type", "object_id", "ip"]
    #: A city has thousands of users: the user filter asks for them as the officer types.
    ajax_search_relations = {"user": ("AuditLogView.user_options", user_labels)}
    label_columns = {
        "at": _l("Time"), "user": _l("User"), "organisation_name": _l("Developer"),
        "action": _l("Action"), "object_type": _l("Object type"), "object_id": _l("Object No."),
        "ip": _l("IP address"), "detail": _l("Details"),
    }
    formatters_columns = {"at": when, "detail": _detail, "action": _label(ACTION_LABELS),
                          "object_type": _label(OBJECT_LABELS)}

    def prepare_rows(self, items: Sequence[AuditLog]) -> None:
        ids = sorted({item.org_id for item in items if item.org_id})
        names = dict(db.session.execute(select(Organisation.id, Organisation.name)
                                        .where(Organisation.id.in_(ids))).tuples().all()) if ids else {}
        for item in items:
            item.organisation_name = names.get(item.org_id, "")

    @expose("/user-options")
    @has_access_api
    def user_options(self) -> Any:
        """Options of the user filter, as the officer types: ``?q=text&page=n``."""
        return options_answer(lambda text, page: user_options(db.session, current_scope(), text, page))


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view(AuditLogView, "Audit log", label=_l("Audit log"), icon="fa-history",
                        category=CATEGORY_FUND_OFFICE)
