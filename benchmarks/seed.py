"""A city's worth of data for the benchmarks: 100,000 houses on SQLite or PostgreSQL, in seconds.

``build_app`` makes a fresh database (schema, roles, demo data) on a SQLite file or a PostgreSQL
URL; ``seed`` adds three developers' houses (two demo ones and a third), 2 areas × 10 buildings
each (plus ``extra_buildings`` small ones, so pickers and filters see a city's building count),
an owner on every third house, payments on half of them (one confirmed notice per 50 houses,
channels and days spread over 30 days, one house in ten only partly paid), paid refunds and
business orders in every state. Everything is plain bulk INSERTs: only what reads it is measured.

    .venv/bin/python benchmarks/seed.py [--houses 100000] [--database-url postgresql://…]

run alone, it seeds the given database (or a temporary SQLite file) and prints what it made.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any, Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "Bench@2026"
AMOUNT_DUE = Decimal("4473.50")
CHUNK = 10_000


def build_app(work: Path, name: str, database_url: Optional[str] = None, **overrides: Any) -> Any:
    """An app on a fresh database: ``database_url`` (emptied first) or ``work/<name>.sqlite``."""
    from app import create_app
    from app.extensions import db
    from app.security.sync import sync_roles
    from app.services.demo import load_demo
    from config import TestConfig

    url = database_url or f"sqlite:///{work / f'{name}.sqlite'}"
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, UPLOAD_FOLDER=str(work / "uploads"),
                     WTF_CSRF_ENABLED=False, **overrides)
    with app.app_context():
        if database_url:
            db.drop_all()
        db.create_all()
        sync_roles(app.appbuilder.sm)
        load_demo(db.session, app.appbuilder.sm, PASSWORD)
    return app


def _insert(session: Any, model: Any, rows: list[dict[str, Any]]) -> None:
    from sqlalchemy import insert

    for start in range(0, len(rows), CHUNK):
        session.execute(insert(model), rows[start:start + CHUNK])


def seed(houses: int, extra_buildings: int = 0) -> dict[str, int]:
    """Bulk-insert the city into the app's database (inside an app context); returns the counts."""
    from sqlalchemy import insert, select

    from app.extensions import db
    from app.models.ledger import LedgerEntry
    from app.models.order import ORDER_STATES, ORDER_TYPES, BusinessOrder
    from app.models.organisation import Organisation
    from app.models.payment import CHANNELS, Notice, NoticeLine, Refund
    from app.models.property import Building, House, Owner, PropertyArea

    session = db.session
    orgs = list(session.scalars(select(Organisation).order_by(Organisation.id)))[:2]
    third = Organisation(name="江门市基准地产有限公司", uscc="91440700MA00000017", legal_rep="李四",
                         legal_rep_id_no="440703198001010012", contact="李四", phone="13800138000",
                         address="江门市蓬江区基准路1号", district_code="440785")
    session.add(third)
    session.flush()
    orgs.append(third)
    districts = ["440703", "440705", "440785"]
    per_building = -(-houses // (len(orgs) * 20))
    today = dt.date.today()
    house_rows: list[dict[str, Any]] = []
    areas: list[PropertyArea] = []
    for o, org in enumerate(orgs):
        for a in range(2):
            area = PropertyArea(org_id=org.id, code=f"BA{o}{a}", name=f"基准小区{o}-{a}",
                                district_code=districts[(o + a) % 3], address="江门市")
            session.add(area)
            session.flush()
            areas.append(area)
            for b in range(10):
                building = Building(org_id=org.id, area_id=area.id, code=f"BB{o}{a}{b:02d}",
                                    name=f"{b + 1}栋", floors=30, structure_code="rc")
                session.add(building)
                session.flush()
                for i in range(per_building):
                    if len(house_rows) >= houses:
                        break
                    house_rows.append({
                        "org_id": org.id, "area_id": area.id, "building_id": building.id,
                        "code": f"H{o}{a}{b:02d}{i:06d}", "unit": str(1 + i % 4),
                        "floor": 1 + i // 40 % 30, "room": f"{i:05d}",
                        "building_area": Decimal("89.47"), "use_code": "residential",
                        "amount_due": AMOUNT_DUE, "status": "open", "standard_text": "50元/㎡",
                        "sales_status": "已售", "source": "excel", "has_lift": False,
                        "contract_no": f"HT{o}{a}{b:02d}{i:06d}" if i % 5 == 0 else None,
                        "created_at": dt.datetime(2026, 1, 1)})
    # Small buildings spread over the areas: a city has about a thousand of them.
    _insert(session, Building, [
        {"org_id": areas[k % len(areas)].org_id, "area_id": areas[k % len(areas)].id,
         "code": f"BX{k:05d}", "name": f"附{k + 1}栋", "floors": 6, "structure_code": "rc"}
        for k in range(extra_buildings)])
    _insert(session, House, house_rows)
    session.commit()
    ids = list(session.execute(select(House.id, House.org_id, House.area_id, House.building_id)
                               .where(House.code.like("H%")).order_by(House.id)))
    owners = [{"org_id": h.org_id, "house_id": h.id, "seq": 1, "name": "基准业主",
               "id_type": "01", "id_no": "11010519491231002X", "phone": "13800138000"}
              for h in ids[::3]]
    _insert(session, Owner, owners)
    paid = ids[::2]
    notices, batches = [], []
    for n, start in enumerate(range(0, len(paid), 50)):
        batch = paid[start:start + 50]
        day = today - dt.timedelta(days=n % 30)
        batches.append((batch, day))
        notices.append({"org_id": batch[0].org_id, "number": f"JKB{n:014d}",
                        "area_id": batch[0].area_id, "building_id": batch[0].building_id,
                        "payer_type": "developer", "payer_name": "基准付款人", "payment_type": "first",
                        "total": AMOUNT_DUE * len(batch), "status": "paid", "version": 1,
                        "bank_serial": f"BS{n:010d}", "channel": CHANNELS[n % 3], "paid_on": day,
                        "confirmed_at": dt.datetime.combine(day, dt.time(10)),
                        "created_at": dt.datetime(2026, 1, 2)})
    notice_ids = list(session.scalars(insert(Notice).returning(Notice.id, sort_by_parameter_order=True),
                                      notices))
    lines, ledger = [], []
    for notice_id, (batch, day) in zip(notice_ids, batches):
        for k, house in enumerate(batch):
            amount = AMOUNT_DUE if k % 10 else Decimal("1000.00")
            lines.append({"org_id": house.org_id, "notice_id": notice_id, "house_id": house.id,
                          "amount": amount})
            ledger.append({"org_id": house.org_id, "house_id": house.id, "kind": "deposit",
                           "amount": amount, "payment_type": "first", "notice_id": notice_id,
                           "value_date": day, "booked_at": dt.datetime.combine(day, dt.time(10))})
    _insert(session, NoticeLine, lines)
    _insert(session, LedgerEntry, ledger)
    refunds = [{"org_id": h.org_id, "house_id": h.id, "amount": Decimal("3500.00"), "status": "paid",
                "created_at": dt.datetime(2026, 2, 1)} for h in paid[1:2001:4]]
    _insert(session, Refund, refunds)
    _insert(session, LedgerEntry, [{"org_id": r["org_id"], "house_id": r["house_id"], "kind": "refund",
                                    "amount": -r["amount"], "booked_at": dt.datetime(2026, 2, 1)}
                                   for r in refunds])
    orders = [{"org_id": orgs[i % 3].id, "number": f"BO{i:08d}", "type": ORDER_TYPES[i % len(ORDER_TYPES)],
               "status": ORDER_STATES[i % len(ORDER_STATES)], "payload": {}, "version": 1,
               "created_at": dt.datetime(2026, 1 + i % 10, 1 + i % 27),
               "submitted_at": dt.datetime(2026, 1 + i % 10, 1 + i % 27),
               "decided_at": dt.datetime(2026, 1 + i % 10, 1 + i % 27) + dt.timedelta(days=i % 9)}
              for i in range(3000)]
    _insert(session, BusinessOrder, orders)
    session.commit()
    return {"houses": len(house_rows), "buildings": len(orgs) * 20 + extra_buildings,
            "owners": len(owners), "notices": len(notices), "ledger rows": len(ledger) + len(refunds),
            "orders": len(orders)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--houses", type=int, default=100_000)
    parser.add_argument("--extra-buildings", type=int, default=940)
    parser.add_argument("--database-url", help="a PostgreSQL URL (emptied first); default: a temp SQLite file")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-seed-"))
    app = build_app(work, "city", args.database_url)
    with app.app_context():
        started = time.perf_counter()
        made = seed(args.houses, args.extra_buildings)
        seconds = time.perf_counter() - started
    where = args.database_url or work / "city.sqlite"
    print(f"seeded {where} in {seconds:.1f} s: "
          + ", ".join(f"{count:,} {what}" for what, count in made.items()))


if __name__ == "__main__":
    main()
