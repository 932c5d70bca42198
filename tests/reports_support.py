"""Shared data builders for the report tests, the browser test and the benchmark's checks."""
from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any, Iterable, Optional

_serials = itertools.count(1)


def pay(session: Any, houses: Iterable[Any], amounts: Iterable[str], *, channel: str = "bank",
        day: dt.date = dt.date(2026, 3, 2), serial: Optional[str] = None,
        payment_type: str = "first") -> Any:
    """A confirmed notice over ``houses`` with its ledger deposits (as the bank confirmation books)."""
    from app.models.ledger import LedgerEntry
    from app.models.payment import Notice, NoticeLine

    houses, amounts = list(houses), [Decimal(a) for a in amounts]
    number = f"T{next(_serials):011d}"
    first = houses[0]
    notice = Notice(org_id=first.org_id, number=number, area_id=first.area_id,
                    building_id=first.building_id, payer_type="developer", payer_name="测试付款人",
                    payment_type=payment_type, total=sum(amounts), status="paid",
                    bank_serial=serial or f"BS{number}", channel=channel, paid_on=day,
                    confirmed_at=dt.datetime.combine(day, dt.time(10, 0)), confirmed_via="teller")
    session.add(notice)
    session.flush()
    for house, amount in zip(houses, amounts):
        session.add(NoticeLine(org_id=house.org_id, notice_id=notice.id, house_id=house.id, amount=amount))
        session.add(LedgerEntry(org_id=house.org_id, house_id=house.id, kind="deposit", amount=amount,
                                payment_type=payment_type, notice_id=notice.id, value_date=day))
    session.commit()
    return notice


def refund(session: Any, house: Any, amount: str, status: str = "pending") -> Any:
    """A refund record and, once paid, its ledger debit."""
    from app.models.ledger import LedgerEntry
    from app.models.payment import Refund

    record = Refund(org_id=house.org_id, house_id=house.id, amount=Decimal(amount), account_name="王五",
                    bank_name="建设银行", account_no="6222000000000001", reason="测试", status=status)
    session.add(record)
    session.flush()
    if status == "paid":
        session.add(LedgerEntry(org_id=house.org_id, house_id=house.id, kind="refund",
                                amount=-Decimal(amount), refund_id=record.id))
    session.commit()
    return record


def add_houses(session: Any, building: Any, count: int, due: str = "1000.00") -> list[Any]:
    """``count`` more open houses in ``building`` (plain rows, for size-independence checks)."""
    from app.models.property import House

    start = len(building.houses) + 1000
    houses = [House(org_id=building.org_id, area_id=building.area_id, building_id=building.id,
                    code=f"{building.code}-X{start + i}", unit="9", floor=1 + i % 30, room=f"{start + i}",
                    building_area=Decimal("90.00"), use_code="residential", amount_due=Decimal(due),
                    status="open") for i in range(count)]
    session.add_all(houses)
    session.commit()
    return houses
