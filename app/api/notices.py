"""Read-only REST API of payment notices (交款通知单): ``/api/v1/notice/`` and ``/api/v1/notice/<id>``.

JWT from ``/api/v1/security/login``; the tenant filter applies (a developer sees its own notices
and gets 404 for another organisation's id). Fund officers read them all.
"""
from __future__ import annotations

from flask_appbuilder import AppBuilder
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.api.property import LABELS, TenantReadApi
from app.models.payment import Notice
from app.security.roles import RES_NOTICE


class NoticeApi(TenantReadApi):
    resource_name = "notice"
    datamodel = SQLAInterface(Notice)
    class_permission_name = RES_NOTICE
    label_columns = {**LABELS, "number": _l("Notice number"), "payer_name": _l("Payer"),
                     "payment_type": _l("Payment type"), "total": _l("Amount"),
                     "bank_serial": _l("Bank serial"), "channel": _l("Channel"),
                     "paid_on": _l("Payment date")}
    description_columns = {"number": _l("Notice number")}
    list_columns = ["id", "org_id", "area_id", "building_id", "number", "payer_type", "payer_name",
                    "payment_type", "total", "status", "channel", "bank_serial", "paid_on", "created_at"]
    show_columns = ["id", "org_id", "area_id", "area.name", "building_id", "number", "payer_type",
                    "payer_name", "payment_type", "total", "status", "channel", "bank_serial", "paid_on",
                    "confirmed_at", "voided_at", "void_reason", "created_at"]
    search_columns = ["number", "area_id", "building_id", "status", "payment_type", "channel", "paid_on"]
    order_columns = ["id", "number", "total", "paid_on", "created_at"]
    add_columns = edit_columns = ["number"]


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_api(NoticeApi)
