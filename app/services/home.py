"""What the landing page shows each kind of user, under the caller's tenant scope.

A developer sees its own areas with their money, its unfinished orders and its unpaid notices; the
fund office sees how many orders wait for it and what else needs a look. The bank teller sees none
of this: its page is the notice-number lookup only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from app.models.order import ACCEPTED, OPEN_STATES, SUBMITTED, BusinessOrder
from app.models.organisation import Organisation
from app.models.outbox import OUTBOX_PARKED, OutboxMessage
from app.models.payment import NOTICE_UNPAID, Notice
from app.models.property import House, PropertyArea
from app.security.tenant import Scope
from app.services.ledger import group_totals

ZERO = Decimal("0.00")
#: How many rows of each list the landing page shows; the lists' own screens show the rest.
HOME_ROWS = 8


@dataclass
class AreaFigures:
    """One property area of the developer with its open houses and money."""

    id: int
    code: str
    name: str
    houses: int = 0
    due: Decimal = ZERO
    paid: Decimal = ZERO

    @property
    def unpaid(self) -> Decimal:
        return max(self.due - self.paid, ZERO)


@dataclass
class DeveloperHome:
    areas: list[AreaFigures] = field(default_factory=list)
    area_count: int = 0
    open_orders: list[BusinessOrder] = field(default_factory=list)
    open_order_count: int = 0
    unpaid_notices: list[Notice] = field(default_factory=list)
    unpaid_notice_count: int = 0
    unpaid_notice_total: Decimal = ZERO


@dataclass
class OfficeHome:
    submitted: int = 0
    accepted: int = 0
    unpaid_notices: int = 0
    failed_pushes: int = 0
    papers_unchecked: int = 0


def _count(session: Session, scope: Scope, model: Any, *criteria: Any) -> int:
    query = scope.apply(select(func.count()).select_from(model), model).where(*criteria)
    return session.scalar(query) or 0


def _money(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


def area_figures(session: Session, areas: Sequence[PropertyArea]) -> list[AreaFigures]:
    """Open houses, amount due and ledger balance of each area, in one grouped query."""
    result = {a.id: AreaFigures(a.id, a.code or "", a.name) for a in areas}
    if not result:
        return []
    for area_id, totals in group_totals(session, House.area_id, list(result)).items():
        figures = result[area_id]
        figures.houses, figures.due, figures.paid = totals.houses, totals.due, totals.paid
    return [result[a.id] for a in areas]


def developer_home(session: Session, scope: Scope, rows: int = HOME_ROWS) -> DeveloperHome:
    """The developer's areas, unfinished orders and unpaid notices (newest first); the rows come
    with the area and building they show, so the page costs the same whatever the rows are."""
    home = DeveloperHome()
    areas = session.scalars(scope.apply(select(PropertyArea), PropertyArea)
                            .order_by(PropertyArea.id).limit(rows)).all()
    home.areas = area_figures(session, areas)
    home.area_count = _count(session, scope, PropertyArea)
    open_orders = BusinessOrder.status.in_(OPEN_STATES)
    home.open_orders = list(session.scalars(
        scope.apply(select(BusinessOrder), BusinessOrder).where(open_orders)
        .options(joinedload(BusinessOrder.area)).order_by(BusinessOrder.id.desc()).limit(rows)))
    home.open_order_count = _count(session, scope, BusinessOrder, open_orders)
    unpaid = Notice.status == NOTICE_UNPAID
    home.unpaid_notices = list(session.scalars(
        scope.apply(select(Notice), Notice).where(unpaid)
        .options(joinedload(Notice.area), joinedload(Notice.building)).order_by(Notice.id.desc()).limit(rows)))
    totals = scope.apply(select(func.count(), func.sum(Notice.total)).select_from(Notice), Notice)
    count, total = session.execute(totals.where(unpaid)).one()
    home.unpaid_notice_count, home.unpaid_notice_total = count or 0, _money(total)
    return home


def office_home(session: Session, scope: Scope) -> OfficeHome:
    """The fund office's work: orders waiting, unpaid notices, failed pushes, unchecked papers."""
    return OfficeHome(
        submitted=_count(session, scope, BusinessOrder, BusinessOrder.status == SUBMITTED),
        accepted=_count(session, scope, BusinessOrder, BusinessOrder.status == ACCEPTED),
        unpaid_notices=_count(session, scope, Notice, Notice.status == NOTICE_UNPAID),
        failed_pushes=_count(session, scope, OutboxMessage, OutboxMessage.status == OUTBOX_PARKED),
        papers_unchecked=_count(session, scope, Organisation, Organisation.papers_checked.is_(False)),
    )

