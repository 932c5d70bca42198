"""Benchmark: every report and dashboard on a city's data, against raw SQL aggregates.

Builds a throw-away SQLite database (schema, roles, demo data) and adds --houses open houses
(100,000 by default) with ``benchmarks/seed.py``: three developers (two demo ones and a third),
2 areas × 10 buildings each, payments on half of the houses (one confirmed notice per 50 houses,
channels and days spread over the last 30 days, one house in ten of those only partly paid),
refunds, and business orders in every state. Then, as the fund officer and as a developer, it times each report page and
the dashboard through the app (login, tenant scope, SQL aggregates, HTML) and counts the SQL
statements each runs; it does the same on the demo data alone, so the counts can be compared.

Baseline: the 交存统计 aggregate written by hand in sqlite3 over the same rows (houses left-joined
to their ledger sums, GROUP BY developer), the floor a report cannot go below.
Goal: every report under 0.5 s, and the statement count the same on small and large data.

    .venv/bin/python benchmarks/bench_reports.py [--houses 100000] [--repeat 5]
"""
from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_picker import timed  # noqa: E402 - the same median-of-runs timer
from benchmarks.seed import PASSWORD, build_app, seed  # noqa: E402 - the shared city
GOAL_SECONDS = 0.5
URLS = ["/reports/deposits/", "/reports/deposits/?level=area", "/reports/deposits/?level=building",
        "/reports/arrears/", "/reports/renew/", "/reports/journal/", "/reports/orders/",
        "/reports/refunds/", "/dashboard/"]
RAW_DEPOSITS = (
    "SELECT h.org_id, count(*), sum(h.amount_due), sum(coalesce(b.bal, 0)),"
    " sum(CASE WHEN h.amount_due > coalesce(b.bal, 0) THEN h.amount_due - coalesce(b.bal, 0) ELSE 0 END)"
    " FROM house h LEFT JOIN (SELECT house_id, sum(amount) AS bal FROM ledger_entry GROUP BY house_id) b"
    " ON b.house_id = h.id WHERE h.status = 'open' GROUP BY h.org_id")


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--houses", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    small_app = build_app(work, "small")
    small = measure(small_app, "officer", 1)
    app = build_app(work, "large")
    path = work / "large.sqlite"
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
