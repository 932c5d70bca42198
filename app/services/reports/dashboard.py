"""The figures behind the dashboards: a handful of GROUP BY queries, whatever the data size."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.models.base import utcnow
from app.models.order import ACCEPTED, OPEN_STATES, SUBMITTED, BusinessOrder
from app.models.organisation import Organisation
from app.models.outbox import OUTBOX_DELIVERED, OUTBOX_PARKED, OUTBOX_PENDING, OutboxMessage
from app.models.payment import CHANNELS, NOTICE_PAID, NOTICE_UNPAID, Notice
from app.models.property import HOUSE_OPEN, House, PropertyArea
from app.security.tenant import Scope
from app.services.payments.documents import CHANNEL_LABELS
from app.services.reports.common import (balance_subquery, money, outstanding_expr, paid_towards_expr,
                                         rate)
from app.services.reports.labels import ORDER_TYPE_LABELS, order_status_label

#: Days of payments the fund office's chart shows.
PAYMENT_DAYS = 30
#: Age buckets of waiting orders, in days since submission: (upper bound, label).
AGE_BUCKETS = ((3, _l("Under 3 days")), (7, _l("3 to 7 days")), (30, _l("7 to 30 days")),
               (None, _l("Over 30 days")))


#: The outbox states the backlog shows (the same words as the outbox screen).
OUTBOX_LABELS = {OUTBOX_PENDING: _l("Pending"), OUTBOX_PARKED: _l("Failed")}


@dataclass
class Chart:
    """One chart: its kind, categories and series, and the table beside it (with the links)."""

    key: str
    title: Any
    kind: str
    categories: list[str]
    series: list[dict[str, Any]]
    table_head: list[str]
    table_rows: list[list[Any]]
    #: For each table row, the report arguments its figures link to (None: no link).
    links: list[Any] = field(default_factory=list)
    link_report: str = ""
    #: Report arguments behind each category (bar) or slice; None: the table rows' ``links``.
    category_args: Any = None

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "title": str(self.title), "kind": self.kind,
                "categories": self.categories, "series": self.series}


def _collection(session: Session, scope: Scope, group: list[Any], where: Any = None) -> list[Any]:
    bal = balance_subquery()
    balance = func.coalesce(bal.c.balance, 0)
    query = (select(*group, func.count(House.id), func.coalesce(func.sum(House.amount_due), 0),
                    func.coalesce(func.sum(paid_towards_expr(House.amount_due, balance)), 0),
                    func.coalesce(func.sum(outstanding_expr(House.amount_due, balance)), 0))
             .select_from(House).join(PropertyArea, PropertyArea.id == House.area_id)
             .join(Organisation, Organisation.id == House.org_id)
             .outerjoin(bal, bal.c.house_id == House.id).where(House.status == HOUSE_OPEN)
             .group_by(*group).order_by(*group))
    return list(session.execute(scope.apply(query, House)))


def _rate_number(paid: Any, due: Any) -> float:
    """Chart value of a collection rate (a drawing coordinate, not money)."""
    text = rate(money(paid), money(due))
    return float(text.rstrip("%")) if text != "-" else 0.0


def _collection_chart(key: str, title: Any, rows: list[Any], names: dict[Any, str], arg: str) -> Chart:
    categories = [names.get(r[0], str(r[0])) for r in rows]
    return Chart(key, title, "bar", categories,
                 [{"name": str(_l("Collection rate")), "data": [_rate_number(r[-2], r[-3]) for r in rows],
                   "percent": True}],
                 [str(_l("Name")), str(_l("Houses")), str(_l("Amount due")), str(_l("Paid")),
                  str(_l("Unpaid")), str(_l("Collection rate"))],
                 [[names.get(r[0], str(r[0])), r[-4], money(r[-3]), money(r[-2]), money(r[-1]),
                   rate(money(r[-2]), money(r[-3]))] for r in rows],
                 [{arg: r[0]} for r in rows], "deposits")


def _fold(rows: list[Any], key: Any) -> list[tuple]:
    """Sum (district, org) collection rows by ``key``: Python over a few aggregated rows."""
    folded: dict[Any, list] = {}
    for row in rows:
        entry = folded.setdefault(key(row), [0, 0, 0, 0])
        for index, value in enumerate(row[-4:]):
            entry[index] += value or 0
    return [(k, *v) for k, v in sorted(folded.items(), key=lambda item: str(item[0]))]


def office_dashboard(session: Session, scope: Scope, district_names: dict[str, str],
                     today: dt.date) -> list[Chart]:
    """Fund office: collection per district and developer, payments, waiting orders, push backlog."""
    charts = []
    # One pass over the houses grouped by district and developer serves both collection charts.
    both = _collection(session, scope, [PropertyArea.district_code, Organisation.id, Organisation.name])
    charts.append(_collection_chart("district", _l("Collection rate per district"),
                                    _fold(both, lambda r: r[0]), district_names, "district"))
    names = {r[1]: r[2] for r in both}
    by_org = sorted(_fold(both, lambda r: r[1]), key=lambda r: names[r[0]])
    charts.append(_collection_chart("developer", _l("Collection rate per developer"), by_org, names,
                                    "org_id"))
    charts.append(_payments_chart(session, scope, today))
    charts.append(_waiting_orders_chart(session, scope))
    charts.append(_outbox_chart(session))
    return charts


def _payments_chart(session: Session, scope: Scope, today: dt.date) -> Chart:
    start = today - dt.timedelta(days=PAYMENT_DAYS - 1)
    query = scope.apply(select(Notice.paid_on, Notice.channel, func.count(Notice.id),
                               func.coalesce(func.sum(Notice.total), 0))
                        .where(Notice.status == NOTICE_PAID, Notice.paid_on >= start,
                               Notice.paid_on <= today)
                        .group_by(Notice.paid_on, Notice.channel), Notice)
    figures = {(day, channel): (n, money(total)) for day, channel, n, total in session.execute(query)}
    days = [start + dt.timedelta(days=i) for i in range(PAYMENT_DAYS)]
    series = [{"name": str(CHANNEL_LABELS[c]), "stack": "amount",
               "data": [float(figures.get((d, c), (0, 0))[1]) for d in days]} for c in CHANNELS]
    rows, links = [], []
    for day in reversed(days):
        for channel in CHANNELS:
            if (day, channel) in figures:
                n, total = figures[(day, channel)]
                rows.append([day.isoformat(), str(CHANNEL_LABELS[channel]), n, total])
                links.append({"date_from": day.isoformat(), "date_to": day.isoformat(),
                              "channel": channel})
    return Chart("payments", _l("Payments per day and channel (yuan)"), "stacked",
                 [d.strftime("%m-%d") for d in days], series,
                 [str(_l("Payment date")), str(_l("Channel")), str(_l("Number of payments")), str(_l("Amount"))],
                 rows, links, "journal",
                 [{"date_from": d.isoformat(), "date_to": d.isoformat()} for d in days])


def _waiting_orders_chart(session: Session, scope: Scope) -> Chart:
    now = utcnow()
    bucket = case(*[(BusinessOrder.submitted_at > now - dt.timedelta(days=limit), index)
                    for index, (limit, _label) in enumerate(AGE_BUCKETS) if limit is not None],
                  else_=len(AGE_BUCKETS) - 1)
    query = scope.apply(select(BusinessOrder.type, bucket, func.count(BusinessOrder.id))
                        .where(BusinessOrder.status.in_((SUBMITTED, ACCEPTED)))
                        .group_by(BusinessOrder.type, bucket), BusinessOrder)
    counts = {(kind, index): n for kind, index, n in session.execute(query)}
    types = sorted({kind for kind, _i in counts})
    series = [{"name": str(label), "stack": "age",
               "data": [counts.get((kind, index), 0) for kind in types]}
              for index, (_limit, label) in enumerate(AGE_BUCKETS)]
    rows = [[str(ORDER_TYPE_LABELS.get(kind, kind)),
             *[counts.get((kind, index), 0) for index in range(len(AGE_BUCKETS))],
             sum(counts.get((kind, index), 0) for index in range(len(AGE_BUCKETS)))] for kind in types]
    return Chart("orders", _l("Orders waiting for the fund office, by age"), "stacked-h",
                 [str(ORDER_TYPE_LABELS.get(k, k)) for k in types], series,
                 [str(_l("Order type")), *[str(label) for _l_, label in AGE_BUCKETS], str(_l("Total"))],
                 rows, [{"order_type": kind} for kind in types], "orders")


def _outbox_chart(session: Session) -> Chart:
    query = (select(OutboxMessage.status, func.count(OutboxMessage.id),
                    func.min(OutboxMessage.created_at))
             .where(OutboxMessage.status != OUTBOX_DELIVERED).group_by(OutboxMessage.status)
             .order_by(OutboxMessage.status))
    found = [(str(OUTBOX_LABELS.get(status, status)), n, oldest)
             for status, n, oldest in session.execute(query)]
    return Chart("outbox", _l("Trading-system push backlog"), "pie", [r[0] for r in found],
                 [{"name": str(_l("Messages")), "data": [{"name": r[0], "value": r[1]} for r in found]}],
                 [str(_l("State")), str(_l("Messages")), str(_l("Oldest since"))],
                 [[r[0], r[1], r[2].strftime("%Y-%m-%d %H:%M") if r[2] else ""] for r in found],
                 [None for _r in found], "outbox")


def developer_dashboard(session: Session, scope: Scope) -> list[Chart]:
    """A developer: its areas' collection, its open orders and its unpaid notices."""
    by_area = _collection(session, scope, [PropertyArea.id, PropertyArea.name])
    names = {r[0]: r[1] for r in by_area}
    rows = [(r[0], *r[2:]) for r in by_area]
    area_chart = Chart(
        "areas", _l("Due, paid and unpaid per property area (yuan)"), "grouped",
        [names[r[0]] for r in rows],
        [{"name": str(_l("Amount due")), "data": [float(money(r[-3])) for r in rows]},
         {"name": str(_l("Paid")), "data": [float(money(r[-2])) for r in rows]},
         {"name": str(_l("Unpaid")), "data": [float(money(r[-1])) for r in rows]}],
        [str(_l("Property area")), str(_l("Houses")), str(_l("Amount due")), str(_l("Paid")),
         str(_l("Unpaid")), str(_l("Collection rate"))],
        [[names[r[0]], r[1], money(r[2]), money(r[3]), money(r[4]), rate(money(r[3]), money(r[2]))]
         for r in rows], [{"area_id": r[0], "level": "building"} for r in rows], "deposits")
    orders = list(session.execute(scope.apply(
        select(BusinessOrder.status, func.count(BusinessOrder.id))
        .where(BusinessOrder.status.in_(OPEN_STATES)).group_by(BusinessOrder.status)
        .order_by(BusinessOrder.status), BusinessOrder)))
    order_chart = Chart(
        "open_orders", _l("Open orders by status"), "pie", [order_status_label(s) for s, _n in orders],
        [{"name": str(_l("Orders")), "data": [{"name": order_status_label(s), "value": n}
                                               for s, n in orders]}],
        [str(_l("Status")), str(_l("Orders"))], [[order_status_label(s), n] for s, n in orders],
        [{"status": s} for s, _n in orders], "orders")
    notices = list(session.execute(scope.apply(
        select(PropertyArea.id, PropertyArea.name, func.count(Notice.id),
               func.coalesce(func.sum(Notice.total), 0))
        .join(PropertyArea, PropertyArea.id == Notice.area_id).where(Notice.status == NOTICE_UNPAID)
        .group_by(PropertyArea.id, PropertyArea.name).order_by(PropertyArea.name), Notice)))
    notice_chart = Chart(
        "unpaid_notices", _l("Unpaid payment notices per property area (yuan)"), "bar",
        [r[1] for r in notices],
        [{"name": str(_l("Amount")), "data": [float(money(r[3])) for r in notices], "money": True}],
        [str(_l("Property area")), str(_l("Notices")), str(_l("Amount"))],
        [[r[1], r[2], money(r[3])] for r in notices], [None for _r in notices], "notices")
    return [area_chart, order_chart, notice_chart]
