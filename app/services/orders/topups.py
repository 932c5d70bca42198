"""补交 after a 房屋信息变更 (§1.3.6): the houses whose new amount due exceeds what they paid.

Approval records which houses' amounts due the order moved (``house_change.DUE_CHANGES``). Those
still owing more than they paid are the order's shortfalls; the developer prints them at once as
one 交款通知单 per building of payment type 补交 (``PAY_TOPUP``), through the notice service.
A house on an unpaid notice is left off, saying which notice holds it (it is paid, voided or
printed again first), as is a house closed or held by another order meanwhile.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app.domain.location import location_text
from app.errors import Conflict, InvalidTransition, NotFound, Problem, ValidationFailed
from app.models.order import APPROVED, HOUSE_CHANGE, BusinessOrder
from app.models.payment import PAY_TOPUP
from app.models.property import HOUSE_OPEN, House
from app.services.audit import record
from app.services.ledger import balances, outstanding
from app.services.orders import house_picks
from app.services.orders.types.house_change import DUE_CHANGES
from app.services.payments.notices import (IssueResult, Skipped, holding_notices,
                                           issue_custom_notices)
from app.services.unit_of_work import unit_of_work


@dataclass(frozen=True)
class Shortfall:
    """A house of the order that owes more than it paid, and why it cannot be printed ("")."""

    house: House
    location: str
    old_due: Decimal
    paid: Decimal
    reason: str

    @property
    def amount(self) -> Decimal:
        return outstanding(self.house.amount_due, self.paid)


def shortfalls(session: Session, order: BusinessOrder) -> list[Shortfall]:
    """The approved order's houses still owing more than they paid, by house number."""
    if order.type != HOUSE_CHANGE or order.status != APPROVED:
        return []
    changes = (order.payload or {}).get(DUE_CHANGES) or {}
    rows = house_picks.with_buildings(session, [int(i) for i in changes])
    money = balances(session, [h.id for h, _name in rows])
    owing = [(h, name) for h, name in rows if outstanding(h.amount_due, money[h.id].paid) > 0]
    held = {i: n for n in holding_notices(session, [h for h, _n in owing]) for i in n.house_ids}
    result = []
    for house, building in sorted(owing, key=lambda row: row[0].code):
        reason = ""
        if house.status != HOUSE_OPEN:
            reason = str(_l("The house account is cancelled or closed."))
        elif house.locked_by_order_id:
            reason = str(_l("The house is held by an unfinished business order."))
        elif house.id in held:
            reason = str(_l("On unpaid notice %(number)s: it must be paid or voided first "
                            "(printing it again gives the new amount).",
                            number=held[house.id].number))
        result.append(Shortfall(house, location_text(building, house.unit, house.room),
                                Decimal(changes[str(house.id)][0]), money[house.id].paid, reason))
    return result


def issue_topup_notice(session: Session, order_id: int, user: Any) -> IssueResult:
    """Print the 补交 notices of the order's shortfalls (the houses that can have one)."""
    with unit_of_work(session):
        order = session.get(BusinessOrder, order_id)
        if order is None:
            raise NotFound()
        if order.type != HOUSE_CHANGE or order.status != APPROVED:
            raise InvalidTransition(_l("A top-up notice is printed for an approved house "
                                       "information change only."))
        items = shortfalls(session, order)
        if not items:
            raise ValidationFailed(_l("No house of this order owes more than it has paid."))
        printable = [s for s in items if not s.reason]
        refused = [Skipped(s.house.id, s.house.code, s.location, s.reason)
                   for s in items if s.reason]
        if not printable:
            raise ValidationFailed(_l("%(n)d houses cannot get a top-up notice.", n=len(refused)),
                                   [Problem(s.house_code, s.reason) for s in refused])
        result = issue_custom_notices(session, order.area, PAY_TOPUP,
                                      {s.house.id: None for s in printable}, user_id=user.id)
        if result.voided:  # a notice was printed for these houses since they were read
            raise Conflict(_l("A payment notice was printed for these houses meanwhile. Reload "
                              "the page and try again."))
        result.skipped += refused
        record(session, "order.topup_notice", "BusinessOrder", order.id, user_id=user.id,
               org_id=order.org_id, detail={"order": order.number,
                                            "notices": [n.number for n in result.notices]})
        return result
