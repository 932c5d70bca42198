"""Benchmark: approving a 10,000-house 物业区域采集 order on SQLite, against a raw bulk insert.

Builds a throw-away SQLite database (schema, roles, demo data), stages a collection order of
--houses houses in --buildings buildings (Excel source, one owner on every other house), submits and
accepts it, then times ``workflow.approve``: validation again, the area, buildings, houses with
their amounts due and standards, owners, locks, history, audit, one commit.

The baseline inserts the same number of house rows (and the same owners) with one
``executemany`` each through sqlite3, in one transaction, on a copy of the same database: what the
approval cannot beat, since it must write those rows too. Goals: approval under 3 s, and (issue
14) at most 5× the raw insert. Wall and CPU seconds are both printed: on a shared machine the CPU
ratio is the steadier one.

    .venv/bin/python benchmarks/bench_approval.py [--houses 10000] [--buildings 20] [--repeat 3]
"""
from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "Bench@2026"
GOAL_SECONDS = 3.0
GOAL_RATIO = 5.0


def build_template(path: Path) -> None:
    """A database with the schema, roles and demo data (reused by every repetition)."""
    from app import create_app
    from app.extensions import db
    from app.security.sync import sync_roles
    from app.services.demo import load_demo
    from config import TestConfig

    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}",
                     UPLOAD_FOLDER=str(path.parent / "uploads"))
    with app.app_context():
        db.create_all()
        sync_roles(app.appbuilder.sm)
        load_demo(db.session, app.appbuilder.sm, PASSWORD)
        db.session.remove()
        db.engine.dispose()


def house_rows(houses: int, buildings: int) -> tuple[list[dict], list[dict]]:
    from app.services.orders import staging

    per_building = -(-houses // buildings)
    building_rows = [staging.building_data(name=f"{b + 1}栋", structure_code="rc", floors=33,
                                           built_ym="2026-06") for b in range(buildings)]
    rows = []
    for i in range(houses):
        b, rest = divmod(i, per_building)
        unit, rest = divmod(rest, 132)
        floor, room = divmod(rest, 4)
        owners = [{"name": "张三", "id_type": "01", "id_no": "11010519491231002X",
                   "phone": "13800138000"}] if i % 2 else []
        rows.append(staging.house_data(
            building=f"{b + 1}栋", unit=str(unit + 1), floor=floor + 1, room=f"{floor + 1}0{room + 1}",
            building_area=Decimal("89.47") + i % 50, inner_area=Decimal("70.10"),
            use_code="residential", has_lift=True, sales_status="未售", source="excel",
            owners=owners))
    return building_rows, rows


def prepare_order(app, houses: int, buildings: int) -> int:  # noqa: ANN001 - Flask app
    """Stage, submit and accept a collection order; returns its id."""
    from app.extensions import db
    from app.models.order import AREA_COLLECT
    from app.security.models import PlatformUser
    from app.services.orders import staging, workflow
    from app.services.orders.drafts import AgentInput, DraftInput, save_draft

    session = db.session
    dev = session.query(PlatformUser).filter_by(username="dev_a").one()
    officer = session.query(PlatformUser).filter_by(username="officer").one()
    order = save_draft(session, dev, AREA_COLLECT, DraftInput(
        agent=AgentInput(name="李敏", phone="13800138001", id_no="11010519491231002X"),
        fields={"area": {"name": "基准花园", "district_code": "440703",
                         "address": "江门市蓬江区基准路1号"}, "deposit_time_point": "2026-06-01"}))
    building_rows, rows = house_rows(houses, buildings)
    staging.insert_lines(session, order.id, [(staging.BUILDING, b) for b in building_rows]
                         + [(staging.HOUSE, h) for h in rows])
    session.commit()
    workflow.submit(session, order.id, dev)
    workflow.accept(session, order.id, officer, papers_checked=True)
    return order.id


def time_approval(template: Path, work: Path, houses: int, buildings: int) -> tuple[float, float]:
    from app import create_app
    from app.extensions import db
    from app.models.property import House
    from app.security.models import PlatformUser
    from app.services.orders import workflow
    from config import TestConfig

    shutil.copyfile(template, work)
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{work}",
                     UPLOAD_FOLDER=str(work.parent / "uploads"))
    with app.app_context():
        order_id = prepare_order(app, houses, buildings)
        db.session.remove()
        officer = db.session.query(PlatformUser).filter_by(username="officer").one()
        start, cpu = time.perf_counter(), time.process_time()
        workflow.approve(db.session, order_id, officer, opinion="同意")
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        opened = db.session.query(House).filter_by(opened_by_order_id=order_id).count()
        if opened != houses:
            raise SystemExit(f"approval opened {opened} houses, expected {houses}")
        db.session.remove()
        db.engine.dispose()
    return seconds, cpu


def time_baseline(template: Path, work: Path, houses: int, buildings: int) -> tuple[float, float]:
    """sqlite3 executemany of the same house (and owner) rows, one transaction."""
    import datetime as dt

    shutil.copyfile(template, work)
    _building_rows, rows = house_rows(houses, buildings)
    conn = sqlite3.connect(work)
    org_id, area_id = conn.execute("SELECT org_id, id FROM property_area LIMIT 1").fetchone()
    building_id = conn.execute("SELECT id FROM building WHERE area_id = ? LIMIT 1",
                               (area_id,)).fetchone()[0]
    now = dt.datetime.now().isoformat(sep=" ")
    start, cpu = time.perf_counter(), time.process_time()
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO house (org_id, created_at, area_id, building_id, code, unit, floor, room, "
        "building_area, inner_area, use_code, has_lift, sales_status, status, amount_due, "
        "standard_text, opened_at, source) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [(org_id, now, area_id, building_id, f"BENCH{i:012d}", h["unit"], h["floor"],
          f"b{i}", h["building_area"], h["inner_area"], h["use_code"], 1, "未售", "open",
          str(Decimal(h["building_area"]) * 90), "90.00元/㎡", now, "excel")
         for i, h in enumerate(rows)])
    first = conn.execute("SELECT min(id) FROM house WHERE code LIKE 'BENCH%'").fetchone()[0]
    conn.executemany(
        "INSERT INTO owner (org_id, house_id, seq, name, id_type, id_no, phone) VALUES (?,?,?,?,?,?,?)",
        [(org_id, first + i, 1, o["name"], o["id_type"], o["id_no"], o["phone"])
         for i, h in enumerate(rows) for o in h["owners"]])
    conn.commit()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    conn.close()
    return seconds, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--houses", type=int, default=10_000)
    parser.add_argument("--buildings", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import logging

    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="jm-bench-approval-") as tmp:
        template = Path(tmp) / "template.sqlite"
        build_template(template)
        runs, bases = [], []
        for i in range(args.repeat):  # interleaved, so load from other work hits both alike
            runs.append(time_approval(template, Path(tmp) / f"a{i}.sqlite", args.houses, args.buildings))
            bases.append(time_baseline(template, Path(tmp) / f"b{i}.sqlite", args.houses, args.buildings))
    approval, approval_cpu = min(r[0] for r in runs), min(r[1] for r in runs)
    baseline, baseline_cpu = min(b[0] for b in bases), min(b[1] for b in bases)
    ratio, cpu_ratio = approval / baseline, approval_cpu / baseline_cpu
    print(f"houses:                 {args.houses} in {args.buildings} buildings (SQLite)")
    print(f"approval (best of {args.repeat}):   {approval:.3f} s (CPU {approval_cpu:.3f} s)")
    print(f"raw bulk insert:        {baseline:.3f} s (CPU {baseline_cpu:.3f} s; sqlite3 executemany, "
          "houses + owners)")
    print(f"ratio:                  {ratio:.1f}x (CPU {cpu_ratio:.1f}x)   goal ≤ {GOAL_RATIO:.0f}x: "
          f"wall {'met' if ratio <= GOAL_RATIO else 'NOT met'}, "
          f"CPU {'met' if cpu_ratio <= GOAL_RATIO else 'NOT met'}")
    print(f"goal < {GOAL_SECONDS:.0f} s:             {'met' if approval < GOAL_SECONDS else 'NOT met'}")


if __name__ == "__main__":
    main()
