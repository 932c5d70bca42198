"""交款流水, 业务单统计 and 退款台账: what happened, by the database's GROUP BY."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.documents.excel.columns import ColumnType
from app.models.order import APPROVED, BusinessOrder
from app.models.organisation import Organisation
from app.models.payment import NOTICE_PAID, Notice, Refund
from app.models.property import House, PropertyArea
from app.security.tenant import Scope
from app.services.payments.documents import CHANNEL_LABELS
from app.services.payments.notices import PAYMENT_TYPE_LABELS
from app.services.reports.common import (EXPORT_LIMIT, Filters, Report, col, days_between_expr,
                                         money, month_expr, narrow, page_window)
from app.services.reports.labels import ORDER_TYPE_LABELS, REFUND_STATUS_LABELS, order_status_label

INT, DEC = ColumnType.INT, ColumnType.DECIMAL


# ------------------------------------------------------------------ 交款流水

def _journal_base(scope: Scope, filters: Filters) -> Any:
    query = (select().select_from(Notice).join(Organisation, Organisation.id == Notice.org_id)
             .join(PropertyArea, PropertyArea.id == Notice.area_id)
             .where(Notice.status == NOTICE_PAID))
    query = narrow(query, filters, dates=Notice.paid_on, org_id=Notice.org_id, area_id=Notice.area_id,
                   channel=Notice.channel)
    return scope.apply(query, Notice)


def payment_journal(session: Session, scope: Scope, filters: Filters, *,
                    everything: bool = False) -> Report:
    """交款流水: confirmed payments by date, channel, bank serial and notice."""
    base = _journal_base(scope, filters)
    offset, limit = (0, EXPORT_LIMIT) if everything else page_window(filters)
    query = (base.add_columns(Notice.id, Notice.paid_on, Notice.channel, Notice.bank_serial,
                              Notice.number, Notice.payment_type, Notice.payer_name, Notice.total,
                              Organisation.id.label("org_id"), Organisation.name.label("org"),
                              PropertyArea.id.label("area_id"), PropertyArea.name.label("area"))
             .order_by(Notice.paid_on.desc(), Notice.id.desc()).offset(offset).limit(limit))
    rows = [{"notice_id": r.id, "paid_on": r.paid_on,
             "channel": str(CHANNEL_LABELS.get(r.channel or "", r.channel or "")),
             "serial": r.bank_serial, "number": r.number,
             "type": str(PAYMENT_TYPE_LABELS.get(r.payment_type, r.payment_type)),
             "payer": r.payer_name, "org_id": r.org_id, "org": r.org, "area_id": r.area_id,
             "area": r.area, "amount": money(r.total)} for r in session.execute(query)]
    count, total = session.execute(base.add_columns(func.count(Notice.id),
                                                    func.coalesce(func.sum(Notice.total), 0))).one()
    by_channel = session.execute(base.add_columns(Notice.channel, func.count(Notice.id),
                                                  func.coalesce(func.sum(Notice.total), 0))
                                 .group_by(Notice.channel).order_by(Notice.channel)).all()
    columns = [col(_l("Payment date"), "paid_on", ColumnType.TEXT, 12),
               col(_l("Channel"), "channel", width=14), col(_l("Bank serial"), "serial", width=24),
               col(_l("Notice number"), "number", width=20), col(_l("Payment type"), "type", width=10),
               col(_l("Payer"), "payer", width=20), col(_l("Developer"), "org", width=28),
               col(_l("Property area"), "area", width=20), col(_l("Amount"), "amount", DEC)]
    report = Report("journal", _l("Payment journal"), columns, rows,
                    {"serial": count, "amount": money(total)}, count, page=filters.page,
                    links={"number": "notice"})
    for channel, n, amount in by_channel:
        report.notes.append(_l("%(channel)s: %(count)s payments, %(amount)s yuan",
                               channel=CHANNEL_LABELS.get(channel or "", channel or "-"),
                               count=n, amount=f"{money(amount):,.2f}"))
    return report


# ------------------------------------------------------------------ 业务单统计

def order_statistics(session: Session, scope: Scope, filters: Filters) -> Report:
    """业务单统计: orders by type, status and month, with the days from submission to approval."""
    month = month_expr(session, BusinessOrder.created_at).label("month")
    # NULL for orders not approved, so AVG and MAX look at approved orders only.
    days = case((BusinessOrder.status == APPROVED, days_between_expr(
        session, BusinessOrder.submitted_at, BusinessOrder.decided_at)))
    query = select(BusinessOrder.type, BusinessOrder.status, month, func.count(BusinessOrder.id),
                   func.avg(days), func.max(days))
    query = scope.apply(_order_filters(query, filters), BusinessOrder)
    query = query.group_by(BusinessOrder.type, BusinessOrder.status, month).order_by(
        month.desc(), BusinessOrder.type, BusinessOrder.status)
    rows = []
    for kind, status, month_v, count, avg_days, max_days in session.execute(query):
        rows.append({"month": month_v, "type_code": kind, "status_code": status,
                     "type": str(ORDER_TYPE_LABELS.get(kind, kind)), "status": order_status_label(status),
                     "count": count, "avg_days": _days(avg_days), "max_days": _days(max_days)})
    total_query = scope.apply(_order_filters(select(
        func.count(BusinessOrder.id), func.avg(days)),
        filters), BusinessOrder)
    count, avg_days = session.execute(total_query).one()
    columns = [col(_l("Month"), "month", width=10), col(_l("Order type"), "type", width=20),
               col(_l("Status"), "status", width=10), col(_l("Orders"), "count", INT, 10),
               col(_l("Average days to approval"), "avg_days", DEC, 14),
               col(_l("Longest days to approval"), "max_days", DEC, 14)]
    return Report("orders", _l("Order statistics"), columns, rows,
                  {"count": count, "avg_days": _days(avg_days)}, len(rows), page_size=max(len(rows), 1))


def _order_filters(query: Any, filters: Filters) -> Any:
    return narrow(query, filters, dates=BusinessOrder.created_at, org_id=BusinessOrder.org_id,
                  area_id=BusinessOrder.area_id, order_type=BusinessOrder.type,
                  status=BusinessOrder.status)


def _days(value: Any) -> Any:
    """Days as shown: two decimals, blank when no order was approved."""
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"))


# ------------------------------------------------------------------ 退款台账

def refund_ledger(session: Session, scope: Scope, filters: Filters, *, everything: bool = False) -> Report:
    """退款台账: every refund record with its house, payee account and state."""
    base = (select().select_from(Refund).join(House, House.id == Refund.house_id)
            .join(Organisation, Organisation.id == Refund.org_id)
            .join(PropertyArea, PropertyArea.id == House.area_id))
    base = narrow(base, filters, dates=Refund.created_at, org_id=Refund.org_id, area_id=House.area_id,
                  status=Refund.status)
    base = scope.apply(scope.apply(base, Refund), House)
    offset, limit = (0, EXPORT_LIMIT) if everything else page_window(filters)
    query = (base.add_columns(Refund.id, Refund.created_at, Refund.amount, Refund.account_name,
                              Refund.bank_name, Refund.account_no, Refund.status, Refund.processed_at,
                              House.code, Organisation.id.label("org_id"), Organisation.name.label("org"),
                              PropertyArea.name.label("area"))
             .order_by(Refund.created_at.desc(), Refund.id.desc()).offset(offset).limit(limit))
    rows = [{"refund_id": r.id, "created": r.created_at.date().isoformat(), "org_id": r.org_id,
             "org": r.org, "area": r.area, "code": r.code, "amount": money(r.amount),
             "account_name": r.account_name, "bank": r.bank_name, "account_no": r.account_no,
             "status": str(REFUND_STATUS_LABELS.get(r.status, r.status)),
             "processed": r.processed_at.date().isoformat() if r.processed_at else ""}
            for r in session.execute(query)]
    count, total = session.execute(base.add_columns(func.count(Refund.id),
                                                    func.coalesce(func.sum(Refund.amount), 0))).one()
    by_status = session.execute(base.add_columns(Refund.status, func.count(Refund.id),
                                                 func.coalesce(func.sum(Refund.amount), 0))
                                .group_by(Refund.status).order_by(Refund.status)).all()
    columns = [col(_l("Recorded on"), "created", width=12), col(_l("Developer"), "org", width=28),
               col(_l("Property area"), "area", width=20), col(_l("House code"), "code", width=24),
               col(_l("Amount"), "amount", DEC), col(_l("Account name"), "account_name", width=16),
               col(_l("Bank"), "bank", width=16), col(_l("Account number"), "account_no", width=22),
               col(_l("State"), "status", width=10), col(_l("Paid out on"), "processed", width=12)]
    report = Report("refunds", _l("Refund ledger"), columns, rows,
                    {"code": count, "amount": money(total)}, count, page=filters.page)
    for status, n, amount in by_status:
        report.notes.append(_l("%(state)s: %(count)s refunds, %(amount)s yuan",
                               state=REFUND_STATUS_LABELS.get(status, status), count=n,
                               amount=f"{money(amount):,.2f}"))
    return report
