"""房屋注销 (§1.3.8): cancel houses of an area; their remaining balance is owed back as a refund.

The developer chooses the area and the reason and picks the houses in the 楼盘表 (grid or list).
A house that is already cancelled, held by another unfinished order, or on an unpaid notice that
is not voided cannot be added, and is named with the reason. Where a picked house still holds
money, the developer enters the account it goes back to (户名, 开户银行, 账号); the order cannot be
submitted without it. Approval marks the houses 已注销 (closed now), turns each balance into a
refund record with that account, and pushes the houses' status to the trading system. The ledger
is not touched: the fund office pays the refund out later and books it then.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Optional, Sequence

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.documents.print_models import RefundForm, RefundLine, SummaryTable
from app.domain.location import location_text
from app.errors import Problem
from app.models.base import utcnow
from app.models.order import APPROVED, HOUSE_CANCEL, BusinessOrder
from app.models.payment import Refund
from app.models.property import HOUSE_CANCELLED, HOUSE_OPEN, House
from app.services.audit import record
from app.services.ledger import balances
from app.services.orders import fields, house_picks, staging
from app.services.orders.types import refund_account
from app.services.orders.types.base import (HOUSE_PICK, ExtraTable, FormContent, LineRow,
                                            LinesTable, register_handler)
from app.services.orders.types.refund_account import RefundAccountHandler
from app.services.outbox import enqueue_deposit_pushes

#: What a line keeps of a house; a change of any of these after picking refuses the approval.
HOUSE_COLUMNS: dict[str, Any] = {
    "code": _l("House number"), "building": _l("Building"), "unit": _l("Unit"),
    "floor": _l("Floor"), "room": _l("Room"), "building_area": _l("Floor area"),
    "amount_due": _l("Amount due"), "status": _l("Status"),
}
STATUS_LABELS = {HOUSE_OPEN: _l("Open"), HOUSE_CANCELLED: _l("Cancelled")}


def snapshot(house: House, building_name: str) -> dict[str, str]:
    return {"code": house.code, "building": building_name, "unit": house.unit or "",
            "floor": str(house.floor), "room": house.room,
            "building_area": f"{house.building_area:.2f}", "amount_due": f"{house.amount_due:.2f}",
            "status": house.status}


class HouseCancelHandler(house_picks.PickedHouses, RefundAccountHandler):
    pick_action = staging.CANCEL
    type = HOUSE_CANCEL
    code = "ZX"
    slug = "house-cancel"
    title = _l("House cancellation")
    form_title = _l("House Cancellation Application Form")
    menu_name = "House cancellation"
    menu_icon = "fa-ban"
    menu_order = 80
    form_partial = "orders/forms/_house_cancel.html"
    intake = (HOUSE_PICK,)
    line_targets = ((staging.HOUSE, _l("Houses")),)
    snapshot_targets = (staging.HOUSE,)
    #: Picker states that may be cancelled (not cancelled already, not held by an order).
    pickable_states = ("not_opened", "unpaid", "partly_paid", "paid")
    field_labels = {**fields.LABELS, **refund_account.LABELS, "houses": _l("Houses")}

    # ------------------------------------------------ lines

    def house_snapshot(self, house: House, building_name: str) -> dict[str, Any]:
        return snapshot(house, building_name)

    def picked_after(self, before: dict[str, Any]) -> dict[str, Any]:
        return {**before, "status": HOUSE_CANCELLED}

    def pick_refusal(self, count: int) -> Any:
        return _l("%(n)d of the houses cannot be cancelled.", n=count)

    def pick_problems(self, session: Session, order: BusinessOrder,
                      houses: Sequence[House]) -> list[Problem]:
        """The houses that cannot be cancelled now, each with its reason."""
        return house_picks.unclosable(session, order, houses)

    def _houses(self, session: Session, order: BusinessOrder) -> list[House]:
        return house_picks.staged_houses(session, order)


    def refunds(self, session: Session, order: BusinessOrder) -> list[tuple[House, Decimal]]:
        """(house, balance) of every picked house that still holds money: what goes back.

        Once approved, the refund records themselves (the fund office may have paid some out).
        """
        if order.status == APPROVED:
            return list(session.execute(select(House, Refund.amount)
                                        .join(Refund, Refund.house_id == House.id)
                                        .where(Refund.order_id == order.id).order_by(Refund.id)))
        return self._owed(session, order)

    def _owed(self, session: Session, order: BusinessOrder) -> list[tuple[House, Decimal]]:
        """(house, balance) of the picked houses holding money, read from the ledger now."""
        houses = self._houses(session, order)
        money = balances(session, [h.id for h in houses])
        return [(h, money[h.id].balance) for h in houses if money[h.id].balance > 0]

    # ------------------------------------------------ checks

    def validate(self, session: Session, order: BusinessOrder) -> list[Problem]:
        problems = fields.agent_problems(order, True) + fields.required_area(session, order, True)
        if not (order.reason or "").strip():
            problems.append(Problem("reason", _l("Enter the reason for the cancellation.")))
        houses = self._houses(session, order)
        if not houses:
            return problems + [Problem("houses", _l("Pick the houses to cancel."))]
        # A house may have been cancelled or put on a notice since it was picked.
        problems += self.pick_problems(session, order, houses)
        needs_account = bool(self.refunds(session, order))
        problems += self.account_problems(order, required=needs_account)
        return problems

    # ------------------------------------------------ approval

    def apply(self, session: Session, order: BusinessOrder, user: Any) -> None:
        refunds = dict((h.id, amount) for h, amount in self._owed(session, order))
        houses = self._houses(session, order)
        now = utcnow()
        reason = _("Cancelled by order %(number)s", number=order.number)
        for house in houses:
            house.status = HOUSE_CANCELLED
            house.closed_at = now
            amount = refunds.get(house.id)
            if amount:
                session.add(self.new_refund(order, house, amount, reason))
            record(session, "house_cancelled", "House", house.id, user_id=user.id,
                   org_id=order.org_id, detail={"order": order.number,
                                                "refund": f"{amount or Decimal('0.00'):.2f}"})
        session.flush()
        enqueue_deposit_pushes(session, houses, reason=reason)

    # ------------------------------------------------ display

    def _cells(self, data: Optional[dict[str, Any]]) -> list[str]:
        if not data:
            return []
        return [str(STATUS_LABELS.get(data.get(key), data.get(key))) if key == "status"
                else str(data.get(key) or "") for key in HOUSE_COLUMNS]

    def lines_table(self, order: BusinessOrder, lines: Any = None, *,
                    target: str = staging.HOUSE) -> LinesTable:
        rows = []
        for line in list(order.lines if lines is None else lines):
            before, after = self._cells(line.before), self._cells(line.after)
            rows.append(LineRow(seq=line.seq, action=line.action, target=line.target,
                                before=before, after=after,
                                changed=[b != a for b, a in zip(before, after)]))
        return LinesTable(columns=[str(label) for label in HOUSE_COLUMNS.values()], rows=rows)

    def _refund_table(self, session: Session, order: BusinessOrder) -> SummaryTable:
        return SummaryTable(
            headers=[_("House number"), _("Location"), _("Amount due"), _("Balance"), _("Refund")],
            rows=[[h.code, location_text(h.building.name, h.unit, h.room, h.floor),
                   f"{h.amount_due:,.2f}", f"{amount:,.2f}", f"{amount:,.2f}"]
                  for h, amount in self.refunds(session, order)],
            caption=_("Balances to refund"))

    def extra_tables(self, session: Session, order: BusinessOrder) -> list[ExtraTable]:
        table = self._refund_table(session, order)
        return [ExtraTable("refunds", table.caption, table)]

    def lines_summary(self, session: Session, order: BusinessOrder) -> str:
        refunds = self.refunds(session, order)
        total = sum((amount for _h, amount in refunds), Decimal("0.00"))
        return _("%(n)d houses to cancel; %(r)d of them hold %(total)s yuan to refund.",
                 n=staging.count_lines(session, order.id, staging.HOUSE), r=len(refunds),
                 total=f"{total:,.2f}")

    def form_content(self, session: Session, order: BusinessOrder) -> FormContent:
        refunds = dict((h.id, amount) for h, amount in self.refunds(session, order))
        rows = []
        for _seq, target, before, _after in staging.changes(session, order.id, staging.HOUSE):
            rows.append([before.get("code") or "",
                         location_text(before.get("building"), before.get("unit"),
                                       before.get("room"), before.get("floor")),
                         f"{refunds.get(target, Decimal('0.00')):,.2f}"])
        total = sum(refunds.values(), Decimal("0.00"))
        totals: list[tuple[str, Any]] = [(_("Houses"), len(rows)), (_("Refunds"), f"{total:,.2f}")]
        if refunds:
            account = self.account(order)
            totals += [(str(label), account[key] or "") for key, label in refund_account.LABELS.items()]
        return FormContent(
            # Three columns: the print gives each an equal share, and a house number is long.
            lines=SummaryTable(headers=[_("House number"), _("Location"), _("Refund")], rows=rows,
                               caption=_("Houses to cancel")),
            totals=totals)

    def refund_form(self, session: Session, order: BusinessOrder) -> Optional[RefundForm]:
        """The 退款申请表 of the balances the order refunds (None when nothing is refunded)."""
        return self.build_refund_form(session, order, [
            RefundLine(h.code, location_text(h.building.name, h.unit, h.room, h.floor),
                       h.building_area, amount, Decimal("0.00"), amount)
            for h, amount in self.refunds(session, order)])


register_handler(HouseCancelHandler())
