"""Benchmark: the batch payment notice of a 500-house building, issued and printed as one PDF.

Builds a throw-away SQLite database (schema, roles, demo data), opens one building of --houses
houses in dev_a's demo area, then times

* ``issue_building_notices`` (lock the houses, balances, void older notices, number, lines, commit),
* ``notices_pdf`` (print data, Jinja render, wkhtmltopdf), and
* ``GET /notices/print/<id>`` as dev_a, which is what the user waits for after clicking print,
* ``confirm_payment`` of the notice (one ledger row per house, notice paid, audit), once.

The baseline converts an HTML page holding a bare table of the same number of rows with the same
wkhtmltopdf (``html_to_pdf``): the cost of the PDF engine alone. Goal: the print under 3 s.

    .venv/bin/python benchmarks/bench_notice.py [--houses 500] [--repeat 3]
"""
from __future__ import annotations

import argparse
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
GOAL_SECONDS = 3.0


def timed(work: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median seconds of ``repeat`` runs and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def build(app: Any, houses: int) -> tuple[Any, int]:
    from sqlalchemy import select

    from app.extensions import db
    from app.models.property import PropertyArea
    from app.security.sync import sync_roles
    from app.models.property import House
    from app.services.accounts import BuildingInput, HouseInput, open_houses
    from app.services.demo import load_demo
    from app.services.standards import StandardBook

    session = db.session
    db.create_all()
    sync_roles(app.appbuilder.sm)
    load_demo(session, app.appbuilder.sm, PASSWORD)
    area = session.scalar(select(PropertyArea).order_by(PropertyArea.id))
    specs = []
    for i in range(houses):
        unit, rest = divmod(i, 125)
        floor, room = divmod(rest, 5)
        specs.append(HouseInput(building_name="基准楼", unit=str(unit + 1), floor=floor + 1,
                                room=f"{floor + 1}{room + 1:02d}", building_area=Decimal("98.32"),
                                use_code="residential", has_lift=True))
    opened = open_houses(session, area, [BuildingInput(name="基准楼", structure_code="rc", floors=25)],
                         specs, StandardBook.load(session), source="excel")
    session.commit()
    return area, session.get(House, opened.house_ids[0]).building_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--houses", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from app import create_app
    from app.documents.printing import html_to_pdf
    from app.extensions import db
    from app.models.payment import Notice
    from app.models.property import PropertyArea
    from app.services.payments import confirm_payment, issue_building_notices, local_today
    from app.services.payments.notices import HELD_REPLACE
    from app.services.payments.documents import load_for_print, notices_pdf, special_account
    from config import TestConfig

    work = Path(tempfile.mkdtemp(prefix="bench-notice-"))
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{work / 'bench.sqlite'}",
                     UPLOAD_FOLDER=str(work / "uploads"))
    with app.app_context(), app.test_request_context():
        area, building_id = build(app, args.houses)
        area_id = area.id

        def issue() -> int:
            area = db.session.get(PropertyArea, area_id)
            # Each repeat replaces the previous run's notice (void and reprint).
            return issue_building_notices(db.session, area, [building_id], user_id=None,
                                          held=HELD_REPLACE).notice_ids[0]

        issued, notice_id = timed(issue, args.repeat)
        account = special_account(app.config)
        printed, pdf = timed(lambda: notices_pdf(load_for_print(db.session, [notice_id]), account),
                             args.repeat)
        lines = len(load_for_print(db.session, [notice_id])[0].lines)
        assert lines == args.houses and pdf[:4] == b"%PDF"
        rows = "".join(f"<tr><td>{i}</td><td>44070300001{i:07d}</td><td>基准楼1单元{i}</td>"
                       f"<td>98.32</td><td>8,848.80</td></tr>" for i in range(args.houses))
        bare = (f"<html><head><meta charset='utf-8'></head><body><table>{rows}</table>"
                "</body></html>")
        baseline, _ = timed(lambda: html_to_pdf(bare), args.repeat)
        db.session.remove()
        number = db.session.get(Notice, notice_id).number
        total = db.session.get(Notice, notice_id).total
        start = time.perf_counter()
        confirm_payment(db.session, number, "BENCH-1", "bank", local_today(), total, None)
        confirmed = time.perf_counter() - start
        db.session.remove()

    client = app.test_client()
    client.post("/login/", data={"username": "dev_a", "password": PASSWORD})

    def fetch() -> bytes:
        response = client.get(f"/notices/print/{notice_id}")
        assert response.status_code == 200 and response.data[:4] == b"%PDF", response.status_code
        return response.data

    endpoint, body = timed(fetch, args.repeat)

    print(f"batch notice of one building with {args.houses} houses, SQLite, median of {args.repeat}")
    print(f"  issue_building_notices           {issued:8.3f} s")
    print(f"  notices_pdf (render + PDF)       {printed:8.3f} s   ({len(pdf) / 1024:.0f} KiB)")
    print(f"  GET /notices/print/<id>          {endpoint:8.3f} s   ({len(body) / 1024:.0f} KiB)")
    print(f"  confirm_payment (once)           {confirmed:8.3f} s")
    print(f"  baseline: wkhtmltopdf bare table {baseline:8.3f} s")
    print(f"  ratio endpoint / baseline        {endpoint / baseline:8.1f} ×")
    total = issued + endpoint
    verdict = "OK" if endpoint < GOAL_SECONDS else "SLOWER THAN GOAL"
    print(f"  issue + print {total:.3f} s; goal print < {GOAL_SECONDS} s: {verdict}")


if __name__ == "__main__":
    main()
