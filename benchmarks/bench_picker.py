"""Benchmark: the house picker's data for one 40-floor building of 800 houses, against a raw query.

Builds a throw-away SQLite database (schema, roles, demo data), opens a building of --houses houses
(40 floors × 4 units × 5 rooms by default) in dev_a's demo area, and gives it what makes the query
work: two owners on every house, ledger rows on half of them, contract numbers on a third, an
unpaid notice on a tenth, a few houses held by an order. Then it times

* ``services.picker.building_houses`` (the one query with ledger, owner and notice aggregates,
  plus the state of every house), and
* ``GET /picker/building/<id>/houses`` as dev_a through the app (login, tenant check, JSON).

The baseline selects the same houses' own columns with sqlite3 (no aggregates, no states, no
JSON): the floor the picker cannot go below. Goal: the endpoint under 0.3 s.

    .venv/bin/python benchmarks/bench_picker.py [--houses 800] [--repeat 7]
"""
from __future__ import annotations

import argparse
import datetime as dt
import sqlite3
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "Bench@2026"
GOAL_SECONDS = 0.3
FLOORS, UNITS = 40, 4


def timed(work: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median seconds of ``repeat`` runs (after one warm-up) and the last result."""
    result = work()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def build(app: Any, houses: int) -> int:
    """Open the benchmark building and its money, owners, contracts and notices; returns its id."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models.order import BusinessOrder
    from app.models.property import House, PropertyArea
    from app.security.sync import sync_roles
    from app.services.accounts import BuildingInput, HouseInput, OwnerInput, open_houses
    from app.services.demo import load_demo
    from app.services.ledger import book_deposit
    from app.services.payments import issue_owner_notices
    from app.services.standards import StandardBook

    session = db.session
    db.create_all()
    sync_roles(app.appbuilder.sm)
    load_demo(session, app.appbuilder.sm, PASSWORD)
    area = session.scalar(select(PropertyArea).order_by(PropertyArea.id))
    rooms = max(1, -(-houses // (FLOORS * UNITS)))
    specs = []
    for i in range(houses):
        unit, rest = divmod(i, FLOORS * rooms)
        floor, room = divmod(rest, rooms)
        specs.append(HouseInput(
            building_name="基准楼", unit=str(unit + 1), floor=floor + 1, room=f"{floor + 1}{room + 1:02d}",
            building_area=Decimal("89.47"), use_code="residential", has_lift=True,
            owners=[OwnerInput("陈伟", "01", "11010519491231002X", "13800138000"),
                    OwnerInput("黄芳", "01", "440703198001010012", "13800138001")]))
    building = BuildingInput(name="基准楼", structure_code="rc", floors=FLOORS)
    opened = open_houses(session, area, [building], specs, StandardBook.load(session), source="excel")
    session.commit()
    created = session.scalars(select(House).where(House.id.in_(opened.house_ids))
                              .order_by(House.id)).all()
    order = BusinessOrder(org_id=area.org_id, number="BENCH00001", type="house_cancel", payload={})
    session.add(order)
    session.flush()
    for index, house in enumerate(created):
        if index % 2 == 0:
            book_deposit(session, house, house.amount_due / (1 if index % 4 == 0 else 2),
                         notice_id=None, payment_type="first", value_date=dt.date(2026, 3, 1))
        if index % 3 == 0:
            house.contract_no = f"JM2026YS9{index:05d}"
        if index % 97 == 0:
            house.locked_by_order_id = order.id
    session.commit()
    unpaid = [h.id for i, h in enumerate(created) if i % 10 == 5 and not h.locked_by_order_id]
    issue_owner_notices(session, area, unpaid, user_id=None)
    return created[0].building_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--houses", type=int, default=800)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    from app import create_app
    from app.extensions import db
    from app.models.property import Building
    from app.services.picker import building_houses
    from config import TestConfig

    work = Path(tempfile.mkdtemp(prefix="bench-picker-"))
    path = work / "bench.sqlite"
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}",
                     UPLOAD_FOLDER=str(work / "uploads"))
    with app.app_context():
        building_id = build(app, args.houses)
        building = db.session.get(Building, building_id)
        service, data = timed(lambda: building_houses(db.session, building), args.repeat)
        assert len(data["houses"]) == args.houses, len(data["houses"])
        states = sorted({row[data["columns"].index("state")] for row in data["houses"]})
        db.session.remove()

    client = app.test_client()
    client.post("/login/", data={"username": "dev_a", "password": PASSWORD})
    url = f"/picker/building/{building_id}/houses"

    def fetch() -> bytes:
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        return response.data

    endpoint, body = timed(fetch, args.repeat)

    connection = sqlite3.connect(path)

    def raw() -> list[tuple]:
        return connection.execute(
            "SELECT id, code, unit, floor, room, status, amount_due, contract_no, locked_by_order_id "
            "FROM house WHERE building_id = ? ORDER BY unit, floor DESC, room", (building_id,)).fetchall()

    baseline, rows = timed(raw, args.repeat)
    connection.close()
    assert len(rows) == args.houses

    print(f"house picker, one building of {args.houses} houses ({FLOORS} floors × {UNITS} units), "
          f"SQLite, median of {args.repeat}")
    print(f"  states present:                 {', '.join(states)}")
    print(f"  services.picker.building_houses  {service:8.4f} s")
    print(f"  GET {url:<28} {endpoint:8.4f} s   ({len(body) / 1024:.0f} KiB JSON)")
    print(f"  baseline: raw sqlite3 SELECT     {baseline:8.4f} s")
    print(f"  ratio endpoint / baseline        {endpoint / baseline:8.1f} ×")
    verdict = "OK" if endpoint < GOAL_SECONDS else "SLOWER THAN GOAL"
    print(f"  goal < {GOAL_SECONDS} s: {verdict}")


if __name__ == "__main__":
    main()
