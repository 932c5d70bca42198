"""Every list, home and report page runs a fixed number of SQL statements, whatever the data size.

The pages are discovered, not listed: every argument-less GET rule of the url map (plus each
report of ``/reports/<name>/``) that answers a developer user or the fund officer with an HTML
page. Each page is requested on the demo data grown a little (a few areas, 10 houses per building,
a few notices and orders: less than a page of rows on most lists) and again after growing it about
tenfold (100 houses per building, more areas, notices, orders, ledger rows, users: more than a
page everywhere). A page whose statement count grows with the data loads something per row (N+1)
or per parent; the test fails and prints the table of counts.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from tests.conftest import login
from tests.scale_support import Growth, grow
from tests.test_security_permission_cache import statements

USERS = ("dev_a", "officer")
#: Rules that are not pages of data (or would end the session half way through the walk).
SKIPPED_ENDPOINTS = {"PlatformAuthDBView.login", "PlatformAuthDBView.logout", "UtilView.back",
                     "LocaleView.index", "health.health",
                     # JSON from the trading system (not running in tests), not a page of ours
                     "OrderFormView.trade_projects"}
SMALL = Growth(areas=2, buildings=3, houses=10, notices=3, orders=3, users=2, statements=1)
#: Added to SMALL: 10× the houses, ledger rows, notices, orders and users, each on more parents.
LARGER = Growth(areas=4, buildings=5, houses=100, notices=30, orders=36, users=20, statements=10)
#: The goal per page (reports included).
GOAL = 12
#: Pages with an argument measured too: the order forms whose area box types for its options.
FORM_PAGES = ("/order-form/building-change", "/order-form/house-cancel", "/order-form/area-change",
              "/order-form/supplement", "/order-form/house-change")


def page_urls(app: Flask) -> list[str]:
    """Argument-less GET pages and the reports, from the url map."""
    urls: set[str] = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIPPED_ENDPOINTS or rule.rule.startswith(
                ("/api/", "/static/", "/swagger")):
            continue
        if not rule.arguments and not rule.rule.endswith(("/export/", ".xlsx")):  # downloads
            urls.add(rule.rule)
        elif rule.rule.startswith("/reports/") and rule.arguments == {"name"} and rule.rule.endswith("/"):
            for name in rule._converters["name"].items:
                urls.add(rule.build({"name": name}, append_unknown=False)[1])
    return sorted(urls | set(FORM_PAGES))


@dataclass
class Demo:
    org_a: Any
    org_b: Any
    users: dict[str, Any]


def _demo(session: Any) -> Demo:
    from app.models.organisation import Organisation
    from app.security.models import PlatformUser

    orgs = {o.uscc: o for o in session.scalars(select(Organisation))}
    return Demo(orgs["91440703MA4UJ7K26E"], orgs["91440705MA51Q8R367"],
                {u.username: u for u in session.scalars(select(PlatformUser))})


def count_pages(app: Flask, clients: dict[str, Any], urls: list[str]) -> dict[tuple[str, str], int]:
    """(user, url) → statements of one request, for the pages that answer the user with HTML."""
    from app.extensions import db

    counts: dict[tuple[str, str], int] = {}
    for username, client in clients.items():
        for url in urls:
            client.get(url)  # warm the per-process caches (labels, permissions) as a user would
            with statements(db.engine) as seen:
                response = client.get(url)
            if response.status_code == 200 and response.mimetype == "text/html":
                counts[(username, url)] = len(seen)
    return counts


@pytest.fixture(scope="module")
def page_counts(_app: Flask, _database: Any) -> dict[tuple[str, str], tuple[int, int]]:
    """Counts on the small and on the tenfold database, built once for the module."""
    from app.extensions import db

    with _app.app_context():
        db.session.remove()
        db.engine.dispose()
    _database.restore()
    with _app.app_context():
        session = db.session
        demo = _demo(session)
        grow(session, demo, SMALL, "s")
        urls = page_urls(_app)
        clients = {name: login(_app.test_client(), name) for name in USERS}
        small = count_pages(_app, clients, urls)
        grow(session, _demo(session), LARGER, "l")
        large = count_pages(_app, clients, urls)
        db.session.remove()
    return {key: (small[key], large.get(key, -1)) for key in small}


def _table(counts: dict[tuple[str, str], tuple[int, int]]) -> str:
    lines = [f"{'user':<8} {'page':<44} {'small':>6} {'10x':>6}"]
    for (user, url), (small, large) in sorted(counts.items()):
        flag = "  GROWS" if large != small else ""
        lines.append(f"{user:<8} {url:<44} {small:>6} {large:>6}{flag}")
    return "\n".join(lines)


def test_the_walk_finds_the_pages(page_counts):
    pages = {url for _user, url in page_counts}
    for expected in ("/", "/property/houses/list/", "/property/areas/list/", "/notices/list/",
                     "/orders/", "/review/", "/reports/deposits/", "/dashboard/", *FORM_PAGES):
        assert expected in pages, f"{expected} was not measured:\n{_table(page_counts)}"
    assert {user for user, _url in page_counts} == set(USERS)


@pytest.mark.parametrize("username", USERS)
def test_no_page_runs_more_statements_on_more_data(page_counts, username):
    mine = {key: value for key, value in page_counts.items() if key[0] == username}
    print("\n" + _table(mine))
    grows = [f"{url}: {small} → {large}" for (_u, url), (small, large) in sorted(mine.items())
             if large != small]
    assert not grows, "statement count grows with the data:\n" + "\n".join(grows) + "\n" + _table(mine)


@pytest.mark.parametrize("username", USERS)
def test_every_page_stays_within_the_statement_goal(page_counts, username):
    over = [f"{url}: {large} > {GOAL}" for (user, url), (_small, large) in sorted(page_counts.items())
            if user == username and large > GOAL]
    assert not over, "pages over the statement goal:\n" + "\n".join(over)
