"""Benchmark: house-sheet import (parse + validate + staged rows) against a raw baseline.

Generates 10,000- and 100,000-row house templates (xlsxwriter constant_memory) in a temp dir, then
for each file runs, each in a fresh subprocess so peak memory is its own:

* import   -- ``read_houses`` on the file's bytes (hostile-file checks, parsing, every rule);
* baseline -- a raw python-calamine read of the same file plus ``executemany`` of its rows into an
  in-memory SQLite table.

Prints wall seconds (best of --repeat, runs interleaved), the import/baseline ratio of wall and of
CPU seconds (CPU is steadier on a busy machine) and peak RSS in MB (ru_maxrss of the child).
Goal: 100,000 rows within 3x the baseline and under 400 MB.

    .venv/bin/python benchmarks/bench_import.py [--rows 10000 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STRUCTURES = [
    ("1", "钢结构"),
    ("2", "钢筋混凝土结构"),
    ("3", "混合结构"),
    ("4", "砖木结构"),
    ("9", "其他"),
]
USES = [("10", "住宅"), ("20", "商业"), ("30", "办公"), ("40", "车库/车位"), ("90", "其他非住宅")]
LIFTS = [(True, "有"), (False, "无")]
SALES = [("unsold", "未售"), ("sold", "已售")]
ID_TYPES = [
    ("01", "居民身份证"),
    ("02", "护照"),
    ("03", "港澳居民来往内地通行证"),
    ("04", "台湾居民来往大陆通行证"),
    ("05", "港澳台居民居住证"),
    ("06", "统一社会信用代码"),
    ("99", "其他"),
]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许"
    "韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红文辉玉兰海燕"


def codes() -> Any:
    """Return the house code tables; imported here so the baseline child never loads the app."""
    from app.documents.excel.house_sheet import HouseCodes

    return HouseCodes(STRUCTURES, USES, LIFTS, SALES, ID_TYPES)


def _resident_id(rng: random.Random) -> str:
    from app.domain.numbering import check_char

    born = f"{rng.randint(1940, 2000)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    first17 = f"440703{born}{rng.randint(0, 999):03d}"
    return first17 + check_char(first17)


def generate(path: Path, rows: int) -> None:
    """Write a filled house template of ``rows`` realistic rows (unique houses, owners, phones)."""
    import xlsxwriter

    from app.documents.excel.house_sheet import HOUSE_HEADERS

    rng = random.Random(rows)
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("房屋信息")
    sheet.write_row(0, 0, HOUSE_HEADERS)
    for i in range(rows):
        building, rest = divmod(i, 120)
        unit, rest = divmod(rest, 60)
        floor, room = divmod(rest, 2)
        structure = STRUCTURES[building % len(STRUCTURES)][1]
        built = f"{1990 + building % 30}-{building % 12 + 1:02d}"
        area = round(rng.uniform(40, 180), 2)
        room_no = f"{floor + 1}{room + 1:02d}"
        sheet.write_row(
            i + 1,
            0,
            [
                f"{building + 1}栋",
                structure,
                built,
                30,
                str(unit + 1),
                floor + 1,
                room_no,
                f"江门市蓬江区建设路{building + 1}号{unit + 1}单元{room_no}",
                area,
                round(area * 0.8, 2),
                USES[i % 7 // 6 * 3][1],
                "有",
                SALES[i % 2][1],
                round(area * rng.uniform(6000, 15000), 2),
                rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                "居民身份证",
                _resident_id(rng),
                f"13{rng.randint(0, 999_999_999):09d}",
            ],
        )
    book.close()


def child_import(path: str) -> dict:
    from app.documents.excel.house_sheet import read_houses

    start, cpu = time.perf_counter(), time.process_time()
    data = Path(path).read_bytes()
    result = read_houses(data, codes(), price_required=lambda row: row["use_code"] == "20")
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    if result.error_count:
        raise SystemExit(f"import found {result.error_count} errors, first: {result.errors[:3]}")
    return {"seconds": seconds, "cpu": cpu, "rows": len(result.rows)}


def child_baseline(path: str) -> dict:
    import sqlite3
    from io import BytesIO

    from python_calamine import CalamineWorkbook

    start, cpu = time.perf_counter(), time.process_time()
    data = Path(path).read_bytes()
    table = CalamineWorkbook.from_filelike(BytesIO(data)).get_sheet_by_index(0).to_python()
    db = sqlite3.connect(":memory:")
    width = len(table[0])
    db.execute(f"CREATE TABLE house ({', '.join(f'c{i}' for i in range(width))})")
    db.executemany(f"INSERT INTO house VALUES ({', '.join('?' * width)})", table[1:])
    db.commit()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": seconds, "cpu": cpu, "rows": len(table) - 1}


def run_child(mode: str, path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, path = args.child
        figures = child_import(path) if mode == "import" else child_baseline(path)
        figures["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(figures))
        return
    columns = (
        "rows",
        "file MB",
        "base s",
        "import s",
        "ratio",
        "cpu ratio",
        "base MB",
        "import MB",
    )
    print(" ".join(f"{c:>9}" for c in columns))
    with tempfile.TemporaryDirectory(prefix="bench-import-") as work:
        for rows in args.rows:
            path = Path(work) / f"houses-{rows}.xlsx"
            generate(path, rows)
            base, imp = [], []
            for _ in range(args.repeat):  # interleaved, so load from other work hits both alike
                base.append(run_child("baseline", path))
                imp.append(run_child("import", path))
            assert imp[0]["rows"] == rows == base[0]["rows"], (imp[0], base[0])
            base_s, imp_s = (min(r["seconds"] for r in runs) for runs in (base, imp))
            base_cpu, imp_cpu = (min(r["cpu"] for r in runs) for runs in (base, imp))
            figures = (
                f"{rows}",
                f"{os.path.getsize(path) / 2**20:.1f}",
                f"{base_s:.2f}",
                f"{imp_s:.2f}",
                f"{imp_s / base_s:.2f}",
                f"{imp_cpu / base_cpu:.2f}",
                f"{max(r['peak_mb'] for r in base):.0f}",
                f"{max(r['peak_mb'] for r in imp):.0f}",
            )
            print(" ".join(f"{f:>9}" for f in figures), flush=True)


if __name__ == "__main__":
    main()
