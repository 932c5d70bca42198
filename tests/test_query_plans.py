"""The plans of the picker's and the lists' real queries: what one building or one page needs is
read through indexes, not by scanning the big tables.

The statements are captured from real requests (the 楼盘表 of one building, the house list filtered
by a building, the area list, the developer home) on a database grown to some thousands of houses,
then explained by the database itself (``EXPLAIN`` on PostgreSQL, ``EXPLAIN QUERY PLAN`` on
SQLite). Every plan is printed; the test fails when a query for one building reads a whole
``house``, ``ledger_entry``, ``owner`` or ``notice_line`` table.

    PGPORT=55447 bash scripts/test-postgres.sh tests/test_query_plans.py -s
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Any, Iterator

import pytest
from sqlalchemy import event, select, text

from tests.scale_support import Growth, grow
from tests.test_page_statements import _demo

BIG_TABLES = ("house", "ledger_entry", "owner", "notice_line")
#: Large enough (16,000 houses and owners, 8,000 ledger rows) that reading a whole table costs
#: more than the index lookups a page needs, so the planner shows what it does at scale.
GROWTH = Growth(areas=8, buildings=10, houses=100, notices=160, orders=20, users=2, statements=1)


@contextmanager
def captured(engine: Any) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def explain(engine: Any, statement: str, parameters: Any, *settings: str) -> list[str]:
    postgres = engine.dialect.name == "postgresql"
    prefix = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for setting in settings:
            cursor.execute(setting)
        cursor.execute(prefix + statement, parameters)
        rows = cursor.fetchall()
    finally:
        raw.rollback()  # forgets the settings: the connection goes back to the pool
        raw.close()
    return [row[0] if postgres else row[-1] for row in rows]


def full_scans(plan: list[str]) -> set[str]:
    """The big tables the plan reads whole."""
    found = set()
    for line in plan:
        match = re.search(r"Seq Scan on (\w+)", line) or re.match(r"\s*SCAN (\w+)(?! USING)", line)
        if match and match.group(1) in BIG_TABLES:
            found.add(match.group(1))
    return found


@pytest.fixture()
def grown(app: Any, session: Any) -> Any:
    grow(session, _demo(session), GROWTH, "p")
    from app.extensions import db

    with db.engine.connect() as conn:  # fresh statistics, as autovacuum would keep them
        conn.execute(text("ANALYZE"))
        conn.commit()
    return _demo(session)


def test_one_buildings_queries_use_indexes(grown: Any, client_for: Any, session: Any) -> None:
    from app.extensions import db
    from app.models.property import Building, PropertyArea

    building = session.scalar(select(Building).where(Building.org_id == grown.org_a.id)
                              .order_by(Building.id.desc()))
    area = session.get(PropertyArea, building.area_id)
    dev = client_for("dev_a")
    officer = client_for("officer")
    pages = {
        "picker: one building's houses": (dev, f"/picker/building/{building.id}/houses"),
        "picker: one area's buildings": (dev, f"/picker/area/{area.id}/buildings"),
        "house list of one building": (dev, f"/property/houses/list/?_flt_0_building={building.id}"),
        "house list of one building (office)": (officer, f"/property/houses/list/?_flt_0_building={building.id}"),
    }
    for client, url in pages.values():
        client.get(url)  # warm the caches so only the page's own queries are captured
    problems = []
    for name, (client, url) in pages.items():
        with captured(db.engine) as seen:
            assert client.get(url).status_code == 200, url
        print(f"\n===== {name}: {url}")
        for statement, parameters in seen:
            if not any(re.search(rf"\b{t}\b", statement) for t in BIG_TABLES):
                continue
            plan = explain(db.engine, statement, parameters)
            print("--- " + " ".join(statement.split())[:160])
            print("\n".join("    " + line for line in plan))
            scans = full_scans(plan)
            if scans:
                problems.append(f"{name}: reads all of {sorted(scans)}: {' '.join(statement.split())[:200]}")
    assert not problems, "\n".join(problems)


def test_list_and_home_plans_are_printed(grown: Any, client_for: Any) -> None:
    """The area and building lists (officer) and the developer home show totals of the page's
    areas and buildings: their plans are shown for the record; the lists read the totals the
    database keeps (area_totals, building_totals), never the ledger."""
    from app.extensions import db

    pages = [(client_for("officer"), "/property/areas/list/"), (client_for("dev_a"), "/"),
             (client_for("officer"), "/property/buildings/list/")]
    for client, url in pages:
        client.get(url)
        with captured(db.engine) as seen:
            assert client.get(url).status_code == 200
        print(f"\n===== {url}")
        explained = 0
        for statement, parameters in seen:
            if "/list/" in url:
                assert not re.search(r"\bledger_entry\b", statement), statement
            if re.search(r"\b(ledger_entry|house|area_totals|building_totals)\b", statement):
                print("--- " + " ".join(statement.split())[:160])
                print("\n".join("    " + line for line in explain(db.engine, statement, parameters)))
                explained += 1
        assert explained, f"{url} ran no query over houses, the ledger or their totals"


def test_keyword_search_reads_indexes_on_postgres(grown: Any, client_for: Any, session: Any,
                                                  is_postgres: bool) -> None:
    """The house list's keyword box (house number, room, contract number, owner name or ID number)
    finds its houses through one index per part on PostgreSQL: trigram indexes for the "contains"
    parts. On this small city a sequential scan is cheaper and the planner rightly takes it, so the
    plan is asked for with sequential scans discouraged: what it shows is that every part *can* be
    read from an index (an OR over a subquery cannot, and reads every house of the scope on any
    city size; bench_pages.py measures the 100,000-house city). SQLite cannot index
    ``LIKE '%text%'`` and reads the table; its plans are not checked."""
    if not is_postgres:
        pytest.skip("SQLite has no index for LIKE '%text%'")
    from app.extensions import db
    from app.models.property import House

    code = session.scalar(select(House.code).where(House.org_id == grown.org_a.id).order_by(House.id.desc()))
    problems = []
    for user in ["dev_a", "officer"]:
        client = client_for(user)
        url = f"/property/houses/list/?q={code}"
        client.get(url)
        with captured(db.engine) as seen:
            assert client.get(url).status_code == 200
        searched = [(s, p) for s, p in seen if re.search(r"\bowner\b", s)]
        assert len(searched) == 2, "the page and its count each run the keyword's lookups"
        for statement, parameters in searched:
            plan = explain(db.engine, statement, parameters, "SET enable_seqscan = off")
            print(f"\n===== {user}: " + " ".join(statement.split())[:160])
            print("\n".join("    " + line for line in plan))
            if full_scans(plan):
                problems.append(f"{user}: reads all of {sorted(full_scans(plan))}")
            if not any("_trgm" in line for line in plan):
                problems.append(f"{user}: no trigram index in the plan")
    assert not problems, "\n".join(problems)
