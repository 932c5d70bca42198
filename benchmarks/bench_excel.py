"""Benchmark: Excel export and import of 100,000 houses through the real routes, with baselines.

Seeds a city (``benchmarks/seed.py``: 100,000 houses, 1,000 buildings, owners, ledger) on a SQLite
file or the PostgreSQL database given by --database-url, then runs each measurement in a fresh
subprocess, so its peak memory (VmHWM) is its own:

* export -- ``GET /property/houses/export/`` as the fund officer (every house; the list's query,
  tenant filter, ledger balances, labels, xlsxwriter); the seconds of the request;
* export baseline -- raw xlsxwriter (constant_memory) writing the same 100,000 rows of 16 cells,
  fetched beforehand with one raw SQL query (the fetch is printed, not counted);
* import -- ``POST /order-form/<id>/import`` of a 100,000-row house template as dev_a into a new
  物业区域采集 order (job run inline: hostile-file checks, reading, every rule, the checks against
  the area and other orders, staging of every line); the seconds of the request;
* import baselines -- the reader benchmark (``read_houses`` on the same bytes, as
  bench_import.py) and a raw python-calamine read of the file.

Goals (issue 14): export ≤ 1.5× raw xlsxwriter and ≤ 150 MB; import ≤ 1.5× the reader
benchmark and ≤ 400 MB.

    .venv/bin/python benchmarks/bench_excel.py [--houses 100000] [--repeat 1]
        [--pg-port 55448 | --database-url postgresql://…] [--only export|import]
"""
from __future__ import annotations

import argparse
import contextlib
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.seed import PASSWORD, build_app, seed  # noqa: E402

EXPORT_GOAL_RATIO, EXPORT_GOAL_MB = 1.5, 150
IMPORT_GOAL_RATIO, IMPORT_GOAL_MB = 1.5, 400
EXPORT_SQL = """
SELECT h.code, a.name, b.name, h.unit, h.floor, h.room, h.building_area, h.use_code, h.has_lift,
       h.sales_status, h.status, h.amount_due, coalesce(l.paid, 0), h.standard_text, h.contract_no
FROM house h JOIN property_area a ON a.id = h.area_id JOIN building b ON b.id = h.building_id
LEFT JOIN (SELECT house_id, sum(amount) AS paid FROM ledger_entry GROUP BY house_id) l
  ON l.house_id = h.id
ORDER BY h.id LIMIT ?
"""


def _app(url: str, work: Path) -> Any:
    import logging

    from app import create_app
    from config import TestConfig

    logging.disable(logging.WARNING)
    return create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, UPLOAD_FOLDER=str(work / "uploads"),
                      WTF_CSRF_ENABLED=False, ORDER_JOBS_INLINE=True, IMPORT_MAX_MB=100)


def _login(app: Any, username: str) -> Any:
    client = app.test_client()
    response = client.post("/login/", data={"username": username, "password": PASSWORD})
    assert response.status_code in (200, 302), response.status_code
    return client


def child_export(url: str, work: Path) -> dict[str, Any]:
    client = _login(_app(url, work), "officer")
    before, startup = rss_mb(), peak_mb()
    reset_peak()
    start, cpu = time.perf_counter(), time.process_time()
    response = client.get("/property/houses/export/")
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert response.status_code == 200, response.status_code
    request_peak = peak_mb()
    (work / "export.xlsx").write_bytes(response.data)
    return {"seconds": seconds, "cpu": cpu, "bytes": len(response.data), "before_mb": before,
            "startup_peak_mb": startup, "request_peak_mb": request_peak}


def child_export_baseline(url: str, work: Path, rows: int) -> dict[str, Any]:
    """The same rows and cells written by raw xlsxwriter constant_memory (fetch not counted)."""
    import os
    from decimal import Decimal

    import sqlalchemy
    import xlsxwriter

    engine = sqlalchemy.create_engine(url)
    fetch = time.perf_counter()
    with engine.connect() as conn:
        table = [tuple(r) for r in conn.exec_driver_sql(EXPORT_SQL.replace("?", str(rows)))]
    fetched = time.perf_counter() - fetch
    start, cpu = time.perf_counter(), time.process_time()
    path = work / "baseline.xlsx"
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "tmpdir": str(work)})
    sheet = book.add_worksheet("房屋清单")
    money = book.add_format({"num_format": "#,##0.00"})
    sheet.write_row(0, 0, [f"c{i}" for i in range(16)])
    for n, (code, area, building, unit, floor, room, size, use, lift, sales, status, due, paid,
            standard, contract) in enumerate(table, start=1):
        due, paid = Decimal(due), Decimal(paid)
        sheet.write_string(n, 0, code)
        sheet.write_string(n, 1, area)
        sheet.write_string(n, 2, building)
        sheet.write_string(n, 3, unit or "")
        sheet.write_number(n, 4, floor)
        sheet.write_string(n, 5, room)
        sheet.write_number(n, 6, float(size), money)
        sheet.write_string(n, 7, use)
        sheet.write_string(n, 8, "是" if lift else "否")
        sheet.write_string(n, 9, sales or "")
        sheet.write_string(n, 10, status)
        sheet.write_number(n, 11, float(due), money)
        sheet.write_number(n, 12, float(paid), money)
        sheet.write_number(n, 13, float(max(due - paid, Decimal(0))), money)
        sheet.write_string(n, 14, standard or "")
        if contract:
            sheet.write_string(n, 15, contract)
    book.close()
    data = path.read_bytes()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    os.remove(path)
    return {"seconds": seconds, "cpu": cpu, "fetch": fetched, "rows": len(table), "bytes": len(data)}


def child_import(url: str, work: Path, sheet: Path) -> dict[str, Any]:
    from app.extensions import db
    from app.models.order import AREA_COLLECT
    from app.security.models import PlatformUser
    from app.services.orders.drafts import AgentInput, DraftInput, save_draft

    app = _app(url, work)
    with app.app_context():
        dev = db.session.query(PlatformUser).filter_by(username="dev_a").one()
        order = save_draft(db.session, dev, AREA_COLLECT, DraftInput(
            agent=AgentInput(name="李敏", phone="13800138001", id_no="11010519491231002X"),
            fields={"area": {"name": f"导入基准花园{time.time_ns()}", "district_code": "440703",
                             "address": "江门市蓬江区基准路1号"}, "deposit_time_point": "2026-06-01"}))
        order_id = order.id
        db.session.remove()
    client = _login(app, "dev_a")
    data = sheet.read_bytes()
    before = rss_mb()
    start, cpu = time.perf_counter(), time.process_time()
    response = client.post(f"/order-form/{order_id}/import",
                           data={"file": (BytesIO(data), "houses.xlsx")},
                           content_type="multipart/form-data")
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    status = response.get_json()
    if status.get("state") != "done":
        raise SystemExit(f"import did not finish: {json.dumps(status, ensure_ascii=False)[:600]}")
    return {"seconds": seconds, "cpu": cpu, "message": status["message"], "before_mb": before}


def child_reader(sheet: Path) -> dict[str, Any]:
    from benchmarks.bench_import import child_import as reader

    return reader(str(sheet))


def child_calamine(sheet: Path) -> dict[str, Any]:
    from python_calamine import CalamineWorkbook

    start, cpu = time.perf_counter(), time.process_time()
    table = CalamineWorkbook.from_filelike(BytesIO(sheet.read_bytes())).get_sheet_by_index(0).to_python()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": seconds, "cpu": cpu, "rows": len(table) - 1}


def rss_mb() -> float:
    """This process's resident memory now (the app loaded and logged in, before the request)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_mb() -> float:
    """This process's peak resident memory. Not ru_maxrss: Linux carries the parent's peak at
    fork into it across exec, and the parent holds the seeded city."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak() -> None:
    """Start this process's peak (VmHWM) again from its resident memory now, so the peak read
    after a request is the request's: the start-up and the login (whose scrypt password check
    alone takes 32 MB for a moment) reach their own peak before it."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def run_child(*args: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"child {args[0]} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _child(args: list[str]) -> None:
    mode, rest = args[0], args[1:]
    if mode == "export":
        figures = child_export(rest[0], Path(rest[1]))
    elif mode == "export-baseline":
        figures = child_export_baseline(rest[0], Path(rest[1]), int(rest[2]))
    elif mode == "import":
        figures = child_import(rest[0], Path(rest[1]), Path(rest[2]))
    elif mode == "reader":
        figures = child_reader(Path(rest[0]))
    else:
        figures = child_calamine(Path(rest[0]))
    # The whole process's peak, start-up and login included (the export resets the counter).
    figures["peak_mb"] = max(peak_mb(), figures.get("startup_peak_mb", 0.0))
    print(json.dumps(figures))


def _best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    best = min(runs, key=lambda r: r["seconds"])
    return {**best, "peak_mb": max(r["peak_mb"] for r in runs)}


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def bench_export(url: str, work: Path, rows: int, repeat: int) -> None:
    runs, bases = [], []
    for _ in range(repeat):  # interleaved, so load from other work hits both alike
        bases.append(run_child("export-baseline", url, str(work), str(rows)))
        runs.append(run_child("export", url, str(work)))
    run, base = _best(runs), _best(bases)
    ratio, cpu_ratio = run["seconds"] / base["seconds"], run["cpu"] / base["cpu"]
    own = run["peak_mb"] - run["before_mb"]
    request_peak = max(r["request_peak_mb"] for r in runs)
    print(f"export of {base['rows']:,} houses (GET /property/houses/export/ as the officer), best of {repeat}")
    print(f"  export:    {run['seconds']:7.2f} s (CPU {run['cpu']:.2f} s), peak {run['peak_mb']:5.0f} MB "
          f"(the app before the request {run['before_mb']:.0f} MB, the export's own +{own:.0f} MB), "
          f"{run['bytes'] / 2**20:.1f} MB file")
    print(f"             peak from the request on {request_peak:5.0f} MB (+{request_peak - run['before_mb']:.0f} MB "
          f"over the app); before it, start-up and login peaked at {run['startup_peak_mb']:.0f} MB")
    print(f"  baseline:  {base['seconds']:7.2f} s (CPU {base['cpu']:.2f} s), peak {base['peak_mb']:5.0f} MB "
          f"(raw xlsxwriter constant_memory, same rows; their raw SQL fetch {base['fetch']:.2f} s not counted)")
    print(f"  ratio:     {ratio:7.2f}x (CPU {cpu_ratio:.2f}x)   goal ≤ {EXPORT_GOAL_RATIO}x: "
          f"wall {_verdict(ratio <= EXPORT_GOAL_RATIO)}, CPU {_verdict(cpu_ratio <= EXPORT_GOAL_RATIO)}; "
          f"goal ≤ {EXPORT_GOAL_MB} MB: process peak {_verdict(run['peak_mb'] <= EXPORT_GOAL_MB)}, "
          f"from the request on {_verdict(request_peak <= EXPORT_GOAL_MB)}, "
          f"the export's own {_verdict(own <= EXPORT_GOAL_MB)}")


def bench_import(url: str, work: Path, rows: int, repeat: int, sqlite_file: Path | None) -> None:
    from benchmarks.bench_import import generate

    sheet = work / f"houses-{rows}.xlsx"
    generate(sheet, rows)
    runs, readers, raws = [], [], []
    for n in range(repeat):
        target = url
        if sqlite_file is not None:  # each import into a fresh copy of the seeded city
            copy = work / f"import-{n}.sqlite"
            shutil.copyfile(sqlite_file, copy)
            target = f"sqlite:///{copy}"
        readers.append(run_child("reader", str(sheet)))
        raws.append(run_child("calamine", str(sheet)))
        runs.append(run_child("import", target, str(work), str(sheet)))
        if sqlite_file is not None:
            copy.unlink()
    run, reader, raw = _best(runs), _best(readers), _best(raws)
    ratio, cpu_ratio = run["seconds"] / reader["seconds"], run["cpu"] / reader["cpu"]
    print(f"import of {rows:,} houses (POST /order-form/<id>/import as dev_a, into the seeded "
          f"city), best of {repeat}: {run['message']}")
    print(f"  import:    {run['seconds']:7.2f} s (CPU {run['cpu']:.2f} s), peak {run['peak_mb']:5.0f} MB "
          f"(the app before the request {run['before_mb']:.0f} MB)")
    print(f"  reader:    {reader['seconds']:7.2f} s (CPU {reader['cpu']:.2f} s), peak {reader['peak_mb']:5.0f} MB "
          "(read_houses alone, the reader benchmark)")
    print(f"  calamine:  {raw['seconds']:7.2f} s, peak {raw['peak_mb']:5.0f} MB (raw python-calamine read)")
    print(f"  ratio:     {ratio:7.2f}x the reader (CPU {cpu_ratio:.2f}x), "
          f"{run['seconds'] / raw['seconds']:.1f}x raw calamine   goal ≤ {IMPORT_GOAL_RATIO}x: "
          f"wall {_verdict(ratio <= IMPORT_GOAL_RATIO)}, CPU {_verdict(cpu_ratio <= IMPORT_GOAL_RATIO)}; "
          f"peak goal ≤ {IMPORT_GOAL_MB} MB: {_verdict(run['peak_mb'] <= IMPORT_GOAL_MB)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--houses", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--database-url", help="PostgreSQL URL (emptied and seeded); default SQLite")
    parser.add_argument("--pg-port", type=int, help="run on a throwaway PostgreSQL cluster on this port")
    parser.add_argument("--only", choices=("export", "import"))
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child)
        return
    with contextlib.ExitStack() as stack:
        if args.pg_port:
            from benchmarks.pgcluster import cluster

            args.database_url = stack.enter_context(cluster(args.pg_port))
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-excel-")))
        app = build_app(work, "city", args.database_url)
        with app.app_context():
            started = time.perf_counter()
            made = seed(args.houses, extra_buildings=940)
            from app.extensions import db

            db.session.remove()
            db.engine.dispose()
        url = args.database_url or f"sqlite:///{work / 'city.sqlite'}"
        print(f"{url.split(':')[0]}: seeded in {time.perf_counter() - started:.1f} s: "
              + ", ".join(f"{count:,} {what}" for what, count in made.items()))
        if args.only in (None, "export"):
            bench_export(url, work, min(args.houses, 100_000), args.repeat)
        if args.only in (None, "import"):
            bench_import(url, work, args.houses, args.repeat,
                         None if args.database_url else work / "city.sqlite")


if __name__ == "__main__":
    main()
