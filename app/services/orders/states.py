"""The statuses of an order: labels, which ones may be edited or hold houses, and local time.

Kept apart from ``workflow`` so the business handlers can use them without importing the workflow
(which imports the handlers).
"""
from __future__ import annotations

import datetime as dt
from typing import Optional
from zoneinfo import ZoneInfo

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from app.models.order import ACCEPTED, APPROVED, DRAFT, REJECTED, SUBMITTED, WITHDRAWN

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

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


def today_local() -> dt.date:
    return dt.datetime.now(LOCAL_TZ).date()


def local_time(at: Optional[dt.datetime]) -> str:
    if at is None:
        return ""
    return at.replace(tzinfo=dt.timezone.utc).astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
