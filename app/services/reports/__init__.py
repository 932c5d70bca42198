"""统计报表 (§7): each report by name, for the screens, the Excel export, the prints and the API."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app.security.tenant import Scope
from app.services.reports import activity, deposits
from app.services.reports.common import Filters, Report

Builder = Callable[[Session, Scope, Filters, bool, Decimal], Report]

#: name → (title, builder(session, scope, filters, everything, renew threshold), filters offered).
REPORTS: dict[str, tuple[Any, Builder, tuple[str, ...]]] = {
    "deposits": (_l("Deposit statistics"),
                 lambda s, sc, f, everything, t: deposits.deposit_statistics(s, sc, f),
                 ("org_id", "area_id", "district", "level")),
    "arrears": (_l("Arrears list"),
                lambda s, sc, f, everything, t: deposits.arrears(s, sc, f, everything=everything),
                ("org_id", "area_id", "building_id", "district")),
    "renew": (_l("Replenishment warnings"),
              lambda s, sc, f, everything, t: deposits.renew_warnings(s, sc, f, t, everything=everything),
              ("org_id", "area_id", "building_id", "district", "threshold")),
    "journal": (_l("Payment journal"),
                lambda s, sc, f, everything, t: activity.payment_journal(s, sc, f, everything=everything),
                ("org_id", "area_id", "date_from", "date_to", "channel")),
    "orders": (_l("Order statistics"),
               lambda s, sc, f, everything, t: activity.order_statistics(s, sc, f),
               ("org_id", "area_id", "order_type", "order_status", "date_from", "date_to")),
    "refunds": (_l("Refund ledger"),
                lambda s, sc, f, everything, t: activity.refund_ledger(s, sc, f, everything=everything),
                ("org_id", "area_id", "refund_status", "date_from", "date_to")),
}


def build_report(session: Session, scope: Scope, name: str, filters: Filters, *,
                 renew_threshold: Decimal, everything: bool = False) -> Report:
    """The report ``name`` for ``scope``: one page of rows, or every row with ``everything``."""
    _title, build, _offered = REPORTS[name]
    return build(session, scope, filters, everything, renew_threshold)
