"""Benchmark: every report and dashboard on a city's data, against raw SQL aggregates.

Builds a throw-away SQLite database (schema, roles, demo data) and adds --houses open houses
(100,000 by default) for three developers (two demo ones and a third), 2 areas × 10 buildings
each, with payments on half of them (one confirmed notice per 50 houses, channels and days
spread over the last 30 days, one house in ten of those only partly paid), refunds, and business
orders in every state. Then, as the fund officer and as a developer, it times each report page and
the dashboard through the app (login, tenant scope, SQL aggregates, HTML) and counts the SQL
statements each runs; it does the same on the demo data alone, so the counts can be compared.

Baseline: the 交存统计 aggregate written by hand in sqlite3 over the same rows (houses left-joined
to their ledger sums, GROUP BY developer), the floor a report cannot go below.
Goal: every report under 0.5 s, and the statement count the same on small and large data.

    .venv/bin/python benchmarks/bench_reports.py [--houses 100000] [--repeat 5]
"""
from __future__ import annotations

import argparse
import datetime as dt
import sqlite3
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_picker import timed  # noqa: E402 - the same median-of-runs timer

PASSWORD = "Bench@2026"
GOAL_SECONDS = 0.5
URLS = ["/reports/deposits/", "/reports/deposits/?level=area", "/reports/deposits/?level=building",
        "/reports/arrears/", "/reports/renew/", "/reports/journal/", "/reports/orders/",
        "/reports/refunds/", "/dashboard/"]
RAW_DEPOSITS = (
    "SELECT h.org_id, count(*), sum(h.amount_due), sum(coalesce(b.bal, 0)),"
    " sum(CASE WHEN h.amount_due > coalesce(b.bal, 0) THEN h.amount_due - coalesce(b.bal, 0) ELSE 0 END)"
    " FROM house h LEFT JOIN (SELECT house_id, sum(amount) AS bal FROM ledger_entry GROUP BY house_id) b"
    " ON b.house_id = h.id WHERE h.status = 'open' GROUP BY h.org_id")


def seed(houses: int) -> None:
    """Bulk-insert the city: plain INSERTs, since only the reports are measured."""
    from sqlalchemy import insert, select

    from app.extensions import db
    from app.models.ledger import LedgerEntry
    from app.models.order import ORDER_STATES, ORDER_TYPES, BusinessOrder
    from app.models.organisation import Organisation
    from app.models.payment import CHANNELS, Notice, NoticeLine, Refund
    from app.models.property import Building, House, PropertyArea

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
    house_rows, building_ids = [], []
    for o, org in enumerate(orgs):
        for a in range(2):
            area = PropertyArea(org_id=org.id, code=f"BA{o}{a}", name=f"基准小区{o}-{a}",
                                district_code=districts[(o + a) % 3], address="江门市")
            session.add(area)
            session.flush()
            for b in range(10):
                building = Building(org_id=org.id, area_id=area.id, code=f"BB{o}{a}{b:02d}", name=f"{b + 1}栋",
                                    floors=30)
                session.add(building)
                session.flush()
                building_ids.append(building.id)
                for i in range(per_building):
                    if len(house_rows) >= houses:
                        break
                    house_rows.append({"org_id": org.id, "area_id": area.id, "building_id": building.id,
                                       "code": f"H{o}{a}{b:02d}{i:06d}", "unit": str(1 + i % 4),
                                       "floor": 1 + i // 40 % 30, "room": f"{i:05d}",
                                       "building_area": Decimal("89.47"), "use_code": "residential",
                                       "amount_due": Decimal("4473.50"), "status": "open",
                                       "standard_text": "50元/㎡", "sales_status": "已售", "source": "excel",
                                       "has_lift": False, "created_at": dt.datetime(2026, 1, 1)})
    session.execute(insert(House), house_rows)
    session.commit()
    ids = list(session.execute(select(House.id, House.org_id, House.area_id, House.building_id)
                               .order_by(House.id)))
    paid = ids[::2]
    notices, lines, ledger = [], [], []
    for n, start in enumerate(range(0, len(paid), 50)):
        batch = paid[start:start + 50]
        day = today - dt.timedelta(days=n % 30)
        notices.append({"id": n + 100_000, "org_id": batch[0].org_id, "number": f"JKB{n:014d}",
                        "area_id": batch[0].area_id, "building_id": batch[0].building_id,
                        "payer_type": "developer", "payer_name": "基准付款人", "payment_type": "first",
                        "total": Decimal("4473.50") * len(batch), "status": "paid", "version": 1,
                        "bank_serial": f"BS{n:010d}", "channel": CHANNELS[n % 3], "paid_on": day,
                        "confirmed_at": dt.datetime.combine(day, dt.time(10)), "created_at": dt.datetime(2026, 1, 2)})
        for k, house in enumerate(batch):
            amount = Decimal("4473.50") if k % 10 else Decimal("1000.00")
            lines.append({"org_id": house.org_id, "notice_id": n + 100_000, "house_id": house.id,
                          "amount": amount})
            ledger.append({"org_id": house.org_id, "house_id": house.id, "kind": "deposit", "amount": amount,
                           "payment_type": "first", "notice_id": n + 100_000, "value_date": day,
                           "booked_at": dt.datetime.combine(day, dt.time(10))})
    session.execute(insert(Notice), notices)
    session.execute(insert(NoticeLine), lines)
    session.execute(insert(LedgerEntry), ledger)
    refunds = [{"org_id": h.org_id, "house_id": h.id, "amount": Decimal("3500.00"), "status": "paid",
                "created_at": dt.datetime(2026, 2, 1)} for h in paid[1:2001:4]]
    session.execute(insert(Refund), refunds)
    session.execute(insert(LedgerEntry), [{"org_id": r["org_id"], "house_id": r["house_id"], "kind": "refund",
                                           "amount": -r["amount"], "booked_at": dt.datetime(2026, 2, 1)}
                                          for r in refunds])
    orders = [{"org_id": orgs[i % 3].id, "number": f"BO{i:08d}", "type": ORDER_TYPES[i % len(ORDER_TYPES)],
               "status": ORDER_STATES[i % len(ORDER_STATES)], "payload": {}, "version": 1,
               "created_at": dt.datetime(2026, 1 + i % 10, 1 + i % 27),
               "submitted_at": dt.datetime(2026, 1 + i % 10, 1 + i % 27),
               "decided_at": dt.datetime(2026, 1 + i % 10, 1 + i % 27) + dt.timedelta(days=i % 9)}
              for i in range(3000)]
    session.execute(insert(BusinessOrder), orders)
    session.commit()


def measure(app: Any, username: str, repeat: int) -> dict[str, tuple[float, int]]:
    """url → (median seconds, statements) for one user."""
    from sqlalchemy import event

    from app.extensions import db

    client = app.test_client()
    client.post("/login/", data={"username": username, "password": PASSWORD})
    results = {}
    for url in URLS:
        def fetch() -> int:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return len(response.data)

        seconds, _size = timed(fetch, repeat)
        seen: list[str] = []
        with app.app_context():
            engine = db.engine
        listener = lambda *args: seen.append(args[2])  # noqa: E731 - a one-line statement counter
        event.listen(engine, "before_cursor_execute", listener)
        fetch()
        event.remove(engine, "before_cursor_execute", listener)
        results[url] = (seconds, len(seen))
    return results


def build_app(work: Path, name: str) -> tuple[Any, Path]:
    from app import create_app
    from app.extensions import db
    from app.security.sync import sync_roles
    from app.services.demo import load_demo
    from config import TestConfig

    path = work / f"{name}.sqlite"
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}",
                     UPLOAD_FOLDER=str(work / "uploads"), WTF_CSRF_ENABLED=False)
    with app.app_context():
        db.create_all()
        sync_roles(app.appbuilder.sm)
        load_demo(db.session, app.appbuilder.sm, PASSWORD)
    return app, path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--houses", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    small_app, _ = build_app(work, "small")
    small = measure(small_app, "officer", 1)
    app, path = build_app(work, "large")
    with app.app_context():
        started = time.perf_counter()
        seed(args.houses)
        seeded = time.perf_counter() - started
    officer = measure(app, "officer", args.repeat)
    developer = measure(app, "dev_a", args.repeat)

    connection = sqlite3.connect(path)
    baseline, rows = timed(lambda: connection.execute(RAW_DEPOSITS).fetchall(), args.repeat)
    houses = sum(r[1] for r in rows)
    connection.close()

    print(f"reports on {houses:,} open houses (3 developers, payments on half; seeded in {seeded:.1f} s), "
          f"SQLite, median of {args.repeat}")
    print(f"  {'page':<36} {'officer s':>10} {'stmts':>6} {'developer s':>12} {'stmts':>6} "
          f"{'demo stmts':>10} {'ratio':>7}")
    slowest = 0.0
    for url in URLS:
        (o_s, o_n), (d_s, d_n) = officer[url], developer[url]
        slowest = max(slowest, o_s, d_s)
        same = "" if small[url][1] == o_n else "  (GROWS)"
        print(f"  {url:<36} {o_s:10.3f} {o_n:6d} {d_s:12.3f} {d_n:6d} {small[url][1]:10d} "
              f"{o_s / baseline:6.1f}×{same}")
    print(f"  baseline: raw sqlite3 交存统计 GROUP BY developer   {baseline:8.3f} s")
    verdict = "OK" if slowest < GOAL_SECONDS else "SLOWER THAN GOAL"
    print(f"  slowest page {slowest:.3f} s; goal < {GOAL_SECONDS} s: {verdict}")


if __name__ == "__main__":
    main()
