"""Benchmark: 20 clerks at once on gunicorn (as ``make run`` serves) + PostgreSQL, driven by locust.

Starts a throwaway PostgreSQL cluster on --pg-port (benchmarks/pgcluster.py), seeds the city
(benchmarks/seed.py: 100,000 houses), serves ``run:app`` with gunicorn on 127.0.0.1:--port with
the project's gunicorn.conf.py (on two cores: 4 workers × 2 threads) in production configuration (CSRF on; the request rate limits off, since every simulated clerk
comes from 127.0.0.1), and runs locust headless on the loopback for --seconds with --users clerks
(benchmarks/locustfile.py: log in once, then house lists, searches, houses, areas, buildings,
notices, home). Everything it started is stopped at the end.

locust shares the two cores with the server, so its own CPU is part of what is measured: the
users are ``FastHttpUser`` (geventhttpclient, shipped with locust), about half the CPU per request
of ``HttpUser`` (python-requests), with the same clicks, form login and cookies. The CPU locust
spent per request (its process's user + system time, start-up included) is printed for both runs.

Baselines: the same gunicorn and locust on a trivial WSGI page (benchmarks/wsgi_floor.py), the
ceiling of this machine; and the issue's measurement before this work (9–16 requests/s, p95
1.9–4.1 s).

Goals (issue 14): ≥ 50 requests/s (3× today's throughput), p95 ≤ 500 ms, 0 errors.

    .venv/bin/python benchmarks/bench_load.py [--houses 100000] [--users 20] [--seconds 60]
        [--pg-port 55448] [--port 55449]
"""
from __future__ import annotations

import argparse
import csv
import os
import resource
import runpy
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.pgcluster import cluster  # noqa: E402
from benchmarks.seed import PASSWORD, build_app, seed  # noqa: E402

BIN = Path(sys.executable).parent
GOAL_RPS, GOAL_P95_MS = 50, 500
BEFORE_RPS, BEFORE_P95_MS = 16, 1900  # the best figures before this work


def serve(app_spec: str, port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    """gunicorn on the loopback with the project's gunicorn.conf.py, as ``make run`` serves
    (scripts/run.sh: no gunicorn access log; the app logs one line per request itself); returns
    once it answers."""
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", app_spec],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn stopped; see {log}:\n{log.read_text()[-2000:]}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2)
            return process
        except OSError:
            time.sleep(0.5)
    process.terminate()
    raise SystemExit("gunicorn did not answer within 60 s")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def swarm(user_class: str, port: int, users: int, seconds: int, work: Path, env: dict[str, str]
          ) -> dict[str, Any]:
    """Run locust headless; the aggregated row of its statistics and locust's CPU per request."""
    prefix = work / f"locust-{user_class}"
    # gunicorn is not waited for until stop(): the children's times here are locust's alone.
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [str(BIN / "locust"), "-f", str(ROOT / "benchmarks" / "locustfile.py"), "--headless",
         "--users", str(users), "--spawn-rate", str(users), "--run-time", f"{seconds}s",
         "--host", f"http://127.0.0.1:{port}", "--csv", str(prefix), "--only-summary",
         "--stop-timeout", "10", "--exit-code-on-error", "0", user_class],
        cwd=ROOT, env=env, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    locust_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    with open(f"{prefix}_stats.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    pages = [r for r in rows if r["Name"] != "Aggregated"]
    return {"requests": int(total["Request Count"]), "failures": int(total["Failure Count"]),
            "rps": float(total["Requests/s"]), "median": float(total["Median Response Time"]),
            "p95": float(total["95%"]), "pages": pages,
            "locust_ms": locust_cpu * 1000 / max(int(total["Request Count"]), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--houses", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--pg-port", type=int, default=55448)
    parser.add_argument("--port", type=int, default=55449)
    args = parser.parse_args()
    import logging

    logging.disable(logging.WARNING)
    with cluster(args.pg_port) as url, tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        work = Path(tmp)
        app = build_app(work, "city", url)
        with app.app_context():
            from app.extensions import db

            made = seed(args.houses, extra_buildings=940)
            with db.engine.connect() as conn:  # fresh planner statistics, as autovacuum would
                conn.exec_driver_sql("ANALYZE")
                conn.commit()
            db.session.remove()
            db.engine.dispose()
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32),
               "JM_INSTANCE_DIR": str(work / "instance"), "UPLOAD_FOLDER": str(work / "uploads"),
               "RATELIMIT_ENABLED": "0", "AUTH_RATE_LIMITED": "0", "BENCH_PASSWORD": PASSWORD,
               "PYTHONPATH": str(ROOT)}
        floor_server = serve("benchmarks.wsgi_floor:app", args.port, env, work / "floor.log")
        try:
            floor = swarm("Floor", args.port, args.users, min(args.seconds, 20), work, env)
        finally:
            stop(floor_server)
        server = serve("run:app", args.port, env, work / "gunicorn.log")
        try:
            load = swarm("Clerk", args.port, args.users, args.seconds, work, env)
        finally:
            stop(server)
    sizes = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    print(f"{args.users} clerks for {args.seconds} s on gunicorn ({sizes['workers']} workers × "
          f"{sizes['threads']} threads) + PostgreSQL, "
          f"locust on the loopback; city: " + ", ".join(f"{n:,} {w}" for w, n in made.items()))
    print(f"  {'page':<34} {'requests':>8} {'fails':>6} {'median ms':>9} {'p95 ms':>7}")
    for row in load["pages"]:
        print(f"  {row['Name']:<34} {int(row['Request Count']):8d} {int(row['Failure Count']):6d} "
              f"{float(row['Median Response Time']):9.0f} {float(row['95%']):7.0f}")
    print(f"  all: {load['requests']:,} requests, {load['rps']:.1f} requests/s, median {load['median']:.0f} ms, "
          f"p95 {load['p95']:.0f} ms, {load['failures']} errors; locust's own CPU {load['locust_ms']:.1f} ms per request")
    print(f"  baseline (floor): trivial WSGI page, same server and locust: {floor['rps']:.1f} requests/s, "
          f"p95 {floor['p95']:.0f} ms, locust's CPU {floor['locust_ms']:.1f} ms per request; "
          f"ratio {load['rps'] / floor['rps']:.2f} of the floor")
    print(f"  before this work (issue 14): {BEFORE_RPS} requests/s at best, p95 ≥ {BEFORE_P95_MS} ms; "
          f"ratio {load['rps'] / BEFORE_RPS:.1f}x")
    print(f"  goal ≥ {GOAL_RPS} requests/s: {'met' if load['rps'] >= GOAL_RPS else 'NOT met'}; "
          f"goal p95 ≤ {GOAL_P95_MS} ms: {'met' if load['p95'] <= GOAL_P95_MS else 'NOT met'}; "
          f"goal 0 errors: {'met' if load['failures'] == 0 else 'NOT met'}")


if __name__ == "__main__":
    main()
