"""The statuses of an order: labels, which ones may be edited or hold houses, and local time.

Kept apart from ``workflow`` so the business handlers can use them without importing the workflow
(which imports the handlers).
"""
from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from app.domain.localtime import LOCAL_TZ, local_time_text, local_today  # noqa: F401
from app.models.order import ACCEPTED, APPROVED, DRAFT, REJECTED, SUBMITTED, WITHDRAWN

STATUS_LABELS: dict[str, LazyString] = {
    DRAFT: _l("Draft"), SUBMITTED: _l("Submitted"), ACCEPTED: _l("Accepted"),
    APPROVED: _l("Approved"), REJECTED: _l("Rejected"), WITHDRAWN: _l("Withdrawn"),
}
#: Statuses in which the developer may change the order.
EDITABLE = frozenset({DRAFT, REJECTED})
#: Statuses in which the order still holds its houses.
LOCKING = frozenset({SUBMITTED, ACCEPTED, REJECTED})


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


#: The order screens' names for the calendar helpers of app.domain.localtime.
today_local = local_today
local_time = local_time_text
