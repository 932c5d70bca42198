"""Refunds made the way production makes them: a paid house cancelled by an approved 房屋注销."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from app.models.payment import Refund
from app.services.orders import workflow
from tests.test_orders_house_cancel import ACCOUNT, area_houses, cancel_order, pay


def cancelled_with_refunds(session: Any, demo: Any, amounts: list[str]) -> list[Refund]:
    """Pay ``amounts`` into as many open houses of area A, cancel them (approved), and return the
    refund records the approval left, one per house, in house order."""
    dev, officer = demo.users["dev_a"], demo.users["officer"]
    houses = area_houses(session, demo, len(amounts))
    for house, amount in zip(houses, amounts):
        pay(session, house, amount)
    order = cancel_order(session, demo, houses, **ACCOUNT)
    workflow.submit(session, order.id, dev)
    workflow.accept(session, order.id, officer, papers_checked=True)
    workflow.approve(session, order.id, officer, opinion="同意注销")
    refunds = list(session.scalars(select(Refund).where(Refund.order_id == order.id)
                                   .order_by(Refund.house_id)))
    assert [r.amount for r in refunds] == [Decimal(a) for a in amounts]
    return refunds
