"""Benchmark: list and home pages through the real app on a city of 100,000 houses.

On SQLite files, or on a throwaway PostgreSQL cluster with --pg-port: the city seeded by
``benchmarks/seed.py`` (100,000 houses, 1,000 buildings, owners, ledger, notices, orders) and, in
a database of its own, a small city of the same shape with a hundredth of its houses (so that no
list is empty: an empty list skips its per-page look-ups and would show fewer statements than a
full one for no fault of the page). As the fund officer and as dev_a (a developer, its own
organisation), each page is fetched once to warm up and then --repeat times; printed per page:
median and p95 milliseconds (single client, the Flask test client: the whole request but no
network), the SQL statements of one request on the city and on the small city.

Baseline: the house list's own query written by hand (one page of 25 houses with their area and
building names, and the count), timed the same way on the same database.

Goals (issue 14): list pages p95 ≤ 150 ms on PostgreSQL, single client; ≤ 12 statements per
page, independent of data size. The fund office's dashboard is measured too, but it is a report
over the whole city (collection per district and developer, from every open house's balance):
the issue sets it the statement goals, not the list pages' time, and its figure is printed apart.

    .venv/bin/python benchmarks/bench_pages.py [--houses 100000] [--repeat 20] [--pg-port 55448]
"""
from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.seed import PASSWORD, build_app, seed  # noqa: E402

GOAL_P95_MS, GOAL_STATEMENTS = 150, 12
#: Report pages: held to the statement goals only (see the docstring).
REPORTS = {"/dashboard/"}
PAGES = {
    "officer": ["/", "/dashboard/", "/property/areas/list/", "/property/buildings/list/",
                "/property/houses/list/", "/notices/list/", "/fund/audit/list/", "/review/"],
    "dev_a": ["/", "/property/areas/list/", "/property/buildings/list/", "/property/houses/list/",
              "/notices/list/", "/orders/", "/payments/owners/"],
}
RAW_HOUSE_PAGE = (
    "SELECT h.id, h.code, a.name, b.name, h.unit, h.floor, h.room, h.building_area, h.use_code,"
    " h.has_lift, h.status, h.amount_due, h.contract_no FROM house h"
    " JOIN property_area a ON a.id = h.area_id JOIN building b ON b.id = h.building_id"
    " ORDER BY h.code LIMIT 25")


def timings(work: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Median and p95 milliseconds of ``repeat`` runs after one warm-up."""
    work()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    p95 = statistics.quantiles(times, n=20, method="inclusive")[18] if len(times) > 1 else times[0]
    return statistics.median(times), p95


def statements_of(app: Any, work: Callable[[], Any]) -> int:
    from sqlalchemy import event

    from app.extensions import db

    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def measure(app: Any, repeat: int) -> dict[tuple[str, str], tuple[float, float, int]]:
    """(user, url) → (median ms, p95 ms, statements)."""
    results = {}
    for user, urls in PAGES.items():
        client = app.test_client()
        client.post("/login/", data={"username": user, "password": PASSWORD})
        for url in urls:
            def fetch(url: str = url) -> None:
                response = client.get(url)
                assert response.status_code == 200, (user, url, response.status_code)

            count = statements_of(app, fetch)
            median, p95 = timings(fetch, repeat) if repeat else (0.0, 0.0)
            results[user, url] = (median, p95, count)
    return results


def second_database(url: str, name: str) -> str:
    """A new empty database beside ``url``'s, on the same cluster; its URL."""
    from sqlalchemy import create_engine

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    engine.dispose()
    return url.rsplit("/", 1)[0] + "/" + name


def raw_baseline(app: Any, repeat: int) -> tuple[float, float]:
    from app.extensions import db

    with app.app_context():
        engine = db.engine

    def page() -> None:
        with engine.connect() as conn:
            conn.exec_driver_sql(RAW_HOUSE_PAGE).fetchall()
            conn.exec_driver_sql("SELECT count(*) FROM house").scalar()

    return timings(page, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--houses", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--pg-port", type=int, help="run on a throwaway PostgreSQL cluster on this port")
    args = parser.parse_args()
    import logging

    logging.disable(logging.WARNING)
    with contextlib.ExitStack() as stack:
        url = None
        if args.pg_port:
            from benchmarks.pgcluster import cluster

            url = stack.enter_context(cluster(args.pg_port))
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-pages-")))
        small_app = build_app(work, "small", url and second_database(url, "jm_small"))
        with small_app.app_context():
            seed(max(args.houses // 100, 1000), extra_buildings=10)
        small = measure(small_app, 0)
        app = build_app(work, "city", url)
        with app.app_context():
            started = time.perf_counter()
            made = seed(args.houses, extra_buildings=940)
            seeded = time.perf_counter() - started
            if url:
                from app.extensions import db

                with db.engine.connect() as conn:  # fresh planner statistics, as autovacuum would
                    conn.exec_driver_sql("ANALYZE")
                    conn.commit()
        large = measure(app, args.repeat)
        base_median, base_p95 = raw_baseline(app, args.repeat)
    backend = "PostgreSQL" if url else "SQLite"
    print(f"list pages on {backend}: " + ", ".join(f"{n:,} {what}" for what, n in made.items())
          + f" (seeded in {seeded:.1f} s); single client, {args.repeat} requests per page")
    print(f"  {'user':<8} {'page':<28} {'median ms':>9} {'p95 ms':>8} {'stmts':>6} {'small city':>10}"
          f" {'p95/baseline':>12}")
    worst_p95, worst_count, grows = 0.0, 0, []
    for (user, url_), (median, p95, count) in large.items():
        small_count = small[user, url_][2]
        worst_count = max(worst_count, count)
        if url_ not in REPORTS:
            worst_p95 = max(worst_p95, p95)
        if count > small_count:
            grows.append(f"{user} {url_}")
        print(f"  {user:<8} {url_:<28} {median:9.1f} {p95:8.1f} {count:6d} {small_count:10d}"
              f" {p95 / base_p95:11.1f}x")
    print(f"  baseline: one page of 25 houses with area and building names, and the count, raw SQL: "
          f"median {base_median:.1f} ms, p95 {base_p95:.1f} ms")
    print(f"  goal list pages p95 ≤ {GOAL_P95_MS} ms{' (PostgreSQL)' if url else ' (the goal is for PostgreSQL)'}: "
          f"worst {worst_p95:.1f} ms, {'met' if worst_p95 <= GOAL_P95_MS else 'NOT met'}"
          f" (reports, no time goal: {', '.join(sorted(REPORTS))})")
    print(f"  goal ≤ {GOAL_STATEMENTS} statements per page: worst {worst_count}, "
          f"{'met' if worst_count <= GOAL_STATEMENTS else 'NOT met'}")
    print("  goal statements independent of data size: "
          + ("met" if not grows else "NOT met, grows on " + "; ".join(grows)))


if __name__ == "__main__":
    main()
