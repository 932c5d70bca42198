"""Labels the reports show for codes of other areas (order types, refund states)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.models.order import (AREA_CHANGE, AREA_COLLECT, BUILDING_CHANGE, CONTRACT_SET, HOUSE_CANCEL,
                              HOUSE_CHANGE, HOUSE_SPLIT_MERGE, HOUSE_SUPPLEMENT, OWNERSHIP_CHANGE)
from app.models.payment import REFUND_APPROVED, REFUND_PAID, REFUND_PENDING, REFUND_REJECTED
from app.services.orders.states import status_label

#: One label per business of the manual (§1.3).
ORDER_TYPE_LABELS = {
    AREA_COLLECT: _l("Property area collection"), AREA_CHANGE: _l("Property area change"),
    BUILDING_CHANGE: _l("Building change"), HOUSE_SPLIT_MERGE: _l("House split and merge"),
    HOUSE_SUPPLEMENT: _l("House supplement"), HOUSE_CHANGE: _l("House information change"),
    OWNERSHIP_CHANGE: _l("Ownership batch change"), HOUSE_CANCEL: _l("House cancellation"),
    CONTRACT_SET: _l("Contract number setting"),
}
REFUND_STATUS_LABELS = {REFUND_PENDING: _l("Refund pending"), REFUND_APPROVED: _l("Refund approved"),
                        REFUND_PAID: _l("Refund paid out"), REFUND_REJECTED: _l("Refund rejected")}


def order_status_label(status: str) -> str:
    return status_label(status)
