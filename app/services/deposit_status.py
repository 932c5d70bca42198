"""A house's deposit status as the trading system asks for it (by its trading house code).

The same figures and labels as the deposit-status pushes (services.outbox), read on demand, so the
trading system can check before it files a contract even if a push is still queued.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from app.models.base import ZERO, utcnow
from app.models.property import HOUSE_OPEN, House
from app.services.ledger import paid_amount
from app.services.outbox import deposit_status_of


def deposit_status(session: Session, trade_house_code: str) -> Optional[dict[str, Any]]:
    """The DepositStatus of the house with this trading code, or None when no house has it.

    A code may also sit on houses closed by a split or merge; the open house answers first.
    """
    code = (trade_house_code or "").strip()[:60]
    if not code:
        return None
    house = session.scalar(select(House).where(House.trade_house_code == code)
                           .order_by(case((House.status == HOUSE_OPEN, 0), else_=1), House.id.desc())
                           .limit(1))
    if house is None:
        return None
    paid = max(paid_amount(session, house.id), ZERO)
    return {"house_code": code, "contract_no": house.contract_no or None,
            "amount_due": f"{house.amount_due:.2f}", "amount_paid": f"{paid:.2f}",
            "status": deposit_status_of(house, paid),
            "occurred_at": utcnow().replace(tzinfo=dt.timezone.utc).isoformat()}
