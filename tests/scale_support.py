"""Grow the demo database with plain bulk INSERTs, for tests that compare small and larger data.

``grow(session, demo, Growth(...), tag)`` adds, for each demo developer, property areas with
buildings and houses (an owner each, a deposit on every other house), payment notices over
several areas and buildings, business orders in every state and type with their history, refunds,
audit rows, outbox messages and organisation users; and bank statements with items for the fund
office. Each call adds rows under its own ``tag``, so it can be called again to grow the data
further. Only pages are measured on these rows, so no business rule runs while inserting them.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select

DAY = dt.datetime(2026, 2, 1, 10, 0)


@dataclass(frozen=True)
class Growth:
    areas: int             # per developer
    buildings: int         # per area
    houses: int            # per building
    notices: int           # per developer
    orders: int            # per developer
    users: int             # per developer
    statements: int        # bank statements (fund office)


def _ids(session: Any, column: Any, *where: Any) -> list[int]:
    return list(session.scalars(select(column).where(*where).order_by(column)))


def grow(session: Any, demo: Any, growth: Growth, tag: str) -> dict[str, int]:
    """Add ``growth`` worth of rows under ``tag``; returns the number of rows added per table."""
    from app.models.audit import AuditLog
    from app.models.ledger import LedgerEntry
    from app.models.order import ORDER_STATES, ORDER_TYPES, BusinessOrder, OrderHistory
    from app.models.outbox import OutboxMessage
    from app.models.payment import Notice, NoticeLine, Refund
    from app.models.property import Building, House, Owner, PropertyArea
    from app.models.reconciliation import BankStatement, ReconItem
    from app.security.models import PlatformUser

    added: dict[str, int] = {}

    def put(model: Any, rows: list[dict[str, Any]]) -> None:
        if rows:
            session.execute(insert(model), rows)
            added[model.__tablename__] = added.get(model.__tablename__, 0) + len(rows)

    for o, (org, user) in enumerate([(demo.org_a, demo.users["dev_a"]), (demo.org_b, demo.users["dev_b"])]):
        area_ids = []
        for a in range(growth.areas):
            area = PropertyArea(org_id=org.id, code=f"S{tag}{o}{a:03d}", name=f"规模{tag}小区{o}-{a}",
                                district_code="440703", address=f"江门市蓬江区规模路{a}号")
            session.add(area)
            session.flush()
            area_ids.append(area.id)
            put(Building, [{"org_id": org.id, "area_id": area.id, "code": f"S{tag}{o}{a:03d}B{b:03d}",
                            "name": f"{b + 1}栋", "floors": 30, "structure_code": "frame",
                            "created_at": DAY} for b in range(growth.buildings)])
        building_rows = session.execute(select(Building.id, Building.area_id)
                                        .where(Building.area_id.in_(area_ids)).order_by(Building.id)).all()
        put(House, [{"org_id": org.id, "area_id": b.area_id, "building_id": b.id,
                     "code": f"S{tag}{o}-{b.id}-{i:04d}", "unit": str(1 + i % 2), "floor": 1 + i // 4,
                     "room": f"{1 + i // 4}{1 + i % 4:02d}", "building_area": Decimal("89.47"),
                     "use_code": "residential", "amount_due": Decimal("4473.50"), "status": "open",
                     "standard_text": "50元/㎡", "sales_status": "已售", "source": "excel", "has_lift": False,
                     "deposit_time_point": dt.date(2026, 1, 1), "created_at": DAY}
                    for b in building_rows for i in range(growth.houses)])
        houses = session.execute(select(House.id, House.area_id, House.building_id)
                                 .where(House.area_id.in_(area_ids)).order_by(House.id)).all()
        put(Owner, [{"org_id": org.id, "house_id": h.id, "seq": 1, "name": f"业主{h.id}", "id_type": "01",
                     "id_no": f"4407031980{h.id:08d}", "phone": "13800000000"} for h in houses])

        # Notices spread over the new buildings, half of them paid into the ledger.
        per_notice = max(1, len(houses) // max(growth.notices, 1))
        notice_rows, line_rows, ledger_rows = [], [], []
        for n in range(growth.notices):
            batch = houses[n * per_notice:(n + 1) * per_notice] or houses[-1:]
            number = f"S{tag}{o}N{n:06d}"
            paid = n % 2 == 0
            notice_rows.append({"org_id": org.id, "number": number, "area_id": batch[0].area_id,
                                "building_id": batch[0].building_id, "payer_type": "developer",
                                "payer_name": org.name, "payment_type": "first",
                                "total": Decimal("4473.50") * len(batch), "version": 1,
                                "status": "paid" if paid else "unpaid", "created_by_id": user.id,
                                "bank_serial": f"S{tag}{o}BS{n:06d}" if paid else None,
                                "channel": "bank" if paid else None, "paid_on": DAY.date() if paid else None,
                                "confirmed_at": DAY if paid else None, "created_at": DAY})
        put(Notice, notice_rows)
        notice_ids = dict(session.execute(select(Notice.number, Notice.id)
                                          .where(Notice.number.like(f"S{tag}{o}N%"))).all())
        for n in range(growth.notices):
            batch = houses[n * per_notice:(n + 1) * per_notice] or houses[-1:]
            notice_id = notice_ids[f"S{tag}{o}N{n:06d}"]
            for h in batch:
                line_rows.append({"org_id": org.id, "notice_id": notice_id, "house_id": h.id,
                                  "amount": Decimal("4473.50")})
                if n % 2 == 0:
                    ledger_rows.append({"org_id": org.id, "house_id": h.id, "kind": "deposit",
                                        "amount": Decimal("4473.50"), "payment_type": "first",
                                        "notice_id": notice_id, "value_date": DAY.date(), "booked_at": DAY})
        put(NoticeLine, line_rows)
        put(LedgerEntry, ledger_rows)

        order_rows = []
        for n in range(growth.orders):
            status = ORDER_STATES[n % len(ORDER_STATES)]
            order_rows.append({"org_id": org.id, "number": f"S{tag}{o}O{n:06d}",
                               "type": ORDER_TYPES[n % len(ORDER_TYPES)], "status": status,
                               "area_id": area_ids[n % len(area_ids)], "payload": {}, "version": 1,
                               "created_by_id": user.id, "created_at": DAY, "agent_name": "经办人",
                               "submitted_at": DAY if status != "draft" else None,
                               "decided_at": DAY if status in ("approved", "rejected") else None})
        put(BusinessOrder, order_rows)
        order_ids = _ids(session, BusinessOrder.id, BusinessOrder.number.like(f"S{tag}{o}O%"))
        put(OrderHistory, [{"order_id": i, "from_status": "draft", "to_status": "submitted",
                            "user_id": user.id, "at": DAY} for i in order_ids])
        put(Refund, [{"org_id": org.id, "house_id": h.id, "amount": Decimal("100.00"),
                      "order_id": order_ids[k % len(order_ids)] if order_ids else None,
                      "status": "pending", "created_at": DAY}
                     for k, h in enumerate(houses[:growth.notices])])
        put(AuditLog, [{"org_id": org.id, "user_id": user.id, "action": "update", "object_type": "House",
                        "object_id": h.id, "at": DAY, "detail": {}} for h in houses[:growth.orders]])
        put(OutboxMessage, [{"kind": "deposit_status", "idempotency_key": f"S{tag}{o}K{h.id}",
                             "org_id": org.id, "house_id": h.id, "house_code": f"H{h.id}", "payload": {},
                             "status": "pending", "attempts": 0, "next_attempt_at": DAY, "created_at": DAY}
                            for h in houses[:growth.notices]])
        roles = [role.id for role in user.roles]
        put(PlatformUser, [{"username": f"s{tag}{o}u{u}", "first_name": "用户", "last_name": f"{u}",
                            "email": f"s{tag}{o}u{u}@scale.invalid", "active": True, "org_id": org.id,
                            "password": "x", "lockout_failures": 0} for u in range(growth.users)])
        new_users = _ids(session, PlatformUser.id, PlatformUser.username.like(f"s{tag}{o}u%"))
        if roles:
            from flask_appbuilder.security.sqla.models import assoc_user_role

            session.execute(insert(assoc_user_role), [{"user_id": u, "role_id": roles[0]} for u in new_users])

    notices = session.execute(select(Notice.id, Notice.number, Notice.total)
                              .where(Notice.number.like(f"S{tag}%")).order_by(Notice.id)).all()
    # One statement per bank day: the new ones go before the earliest already there.
    first = session.scalar(select(func.min(BankStatement.day))) or DAY.date()
    for s in range(growth.statements):
        statement = BankStatement(day=first - dt.timedelta(days=s + 1), file_name=f"S{tag}-{s}.csv",
                                  file_sha256=f"{tag}{s}".ljust(64, "0")[:64], bank_total=Decimal("1.00"),
                                  bank_count=1)
        statement.items = [ReconItem(kind="platform_only", state="open", notice_id=n.id,
                                     notice_number=n.number, platform_amount=n.total)
                           for n in notices[s::max(growth.statements, 1)][:20]]
        session.add(statement)
    added["bank_statement"] = growth.statements
    session.commit()
    return added
