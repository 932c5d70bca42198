"""CPU milliseconds per request of the clerks' mix (locustfile.py), in process: where a page's time goes.

The 20-clerk load (bench_load.py) is bound by the server's CPU on two shared cores, and its
figures swing with whatever else runs on the machine; the CPU time of this process per request
is the steadier figure to compare two versions of the code by. On a seeded city (seed.py; SQLite
by default, 10,000 houses: the pages' statements are the same as on 100,000) the app runs in
production configuration (CSRF on, logged in through the real form) under the Flask test client;
four clerks (dev_a, dev_b, officer, dev_a_staff) in turn click what ``Clerk`` clicks, in its
proportions. Printed: CPU ms per request for the mix and the median per kind of click; with
--profile, cProfile's top functions. Baseline: a bare Flask page through the same test client.

    .venv/bin/python benchmarks/cpu_clerks.py [--houses 10000] [--requests 600] [--profile]
"""
from __future__ import annotations

import argparse
import cProfile
import logging
import pstats
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.seed import PASSWORD, build_app, seed  # noqa: E402

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SHOW = re.compile(r"/property/houses/show/(\d+)")
#: locustfile.Clerk's tasks and weights.
CLICKS: dict[str, tuple[int, Callable[[list[int]], str]]] = {
    "house list, paged": (6, lambda _ids: f"/property/houses/list/?page_HouseView={random.randint(0, 40)}"),
    "house list, searched": (3, lambda _ids: f"/property/houses/list/?q={random.randint(0, 99999):05d}"),
    "house page": (4, lambda ids: f"/property/houses/show/{random.choice(ids)}"),
    "area list": (2, lambda _ids: "/property/areas/list/"),
    "building list": (2, lambda _ids: "/property/buildings/list/"),
    "notice list": (2, lambda _ids: "/notices/list/"),
    "home": (1, lambda _ids: "/"),
}


def clerks(app: Any) -> list[tuple[Any, list[int]]]:
    """Four logged-in test clients, each with the house ids of its first house-list page."""
    made = []
    for user in ["dev_a", "dev_b", "officer", "dev_a_staff"]:
        client = app.test_client()
        token = CSRF.search(client.get("/login/").get_data(as_text=True))
        response = client.post("/login/", data={"username": user, "password": PASSWORD,
                                                "csrf_token": token.group(1) if token else ""})
        assert response.status_code == 302, (user, response.status_code)
        listing = client.get("/property/houses/list/").get_data(as_text=True)
        made.append((client, [int(i) for i in SHOW.findall(listing)] or [1]))
    return made


def run(users: list[tuple[Any, list[int]]], count: int, per_kind: dict[str, list[float]]) -> float:
    """CPU seconds of ``count`` clicks in the clerks' proportions."""
    kinds = [kind for kind, (weight, _url) in CLICKS.items() for _ in range(weight)]
    total = 0.0
    for i in range(count):
        client, ids = users[i % len(users)]
        kind = kinds[i % len(kinds)]
        url = CLICKS[kind][1](ids)
        started = time.process_time()
        response = client.get(url)
        spent = time.process_time() - started
        assert response.status_code == 200, (url, response.status_code)
        per_kind.setdefault(kind, []).append(spent)
        total += spent
    return total


def floor(count: int) -> float:
    """CPU seconds per request of a bare Flask page through the test client."""
    from flask import Flask

    bare = Flask("floor")
    bare.add_url_rule("/", "page", lambda: "<html><body>ok</body></html>")
    client = bare.test_client()
    started = time.process_time()
    for _ in range(count):
        client.get("/")
    return (time.process_time() - started) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--houses", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--profile", action="store_true", help="print cProfile's top 40 functions")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    random.seed(14)
    with tempfile.TemporaryDirectory(prefix="cpu-clerks-") as tmp:
        work = Path(tmp)
        seeder = build_app(work, "city")
        with seeder.app_context():
            seed(args.houses, extra_buildings=940)
        from app import create_app
        from config import Config

        app = create_app(Config, SQLALCHEMY_DATABASE_URI=f"sqlite:///{work / 'city.sqlite'}",
                         RATELIMIT_ENABLED=False, AUTH_RATE_LIMITED=False,
                         UPLOAD_FOLDER=str(work / "uploads"), TRADE_BACKGROUND_DELIVERY=False)
        users = clerks(app)
        run(users, 40, {})  # warm-up: templates compiled, caches filled
        per_kind: dict[str, list[float]] = {}
        cpu = run(users, args.requests, per_kind)
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            run(users, args.requests, {})
            profile.disable()
    base = floor(2000)
    mix = cpu / args.requests * 1000
    print(f"clerks' mix, {args.requests} requests in process on {args.houses:,} houses (SQLite): "
          f"CPU {mix:.1f} ms per request")
    for kind, spent in per_kind.items():
        print(f"  {kind:<22} median CPU {statistics.median(spent) * 1000:6.1f} ms  ({len(spent)} requests)")
    print(f"  baseline: a bare Flask page through the same test client: {base * 1000:.2f} ms; "
          f"ratio {mix / (base * 1000):.0f}x")
    if args.profile:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
