"""Print engine benchmark: 开户清册 of 2,000 houses and a batch notice of a 500-house building.

Goals: account list under 5 s, building notice under 3 s, render plus conversion. The baseline is
raw wkhtmltopdf with the same options on a trivial one-page HTML, i.e. the cost of starting the
process; the ratio shows how much of a document's time is its own work.

Run: .venv/bin/python benchmarks/bench_print.py [--repeat 3]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.documents.printing import html_to_pdf, wkhtmltopdf_command  # noqa: E402
from tests.test_print_render import account_list, notice, zh_env  # noqa: E402

GOALS = {"account list, 2,000 houses": 5.0, "building notice, 500 houses": 3.0}
TRIVIAL = ('<html><head><meta charset="utf-8"><style>body{font-family:"Noto Sans CJK SC"}</style>'
           '</head><body><p>维修资金 1</p></body></html>')


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Return the median seconds of ``repeat`` calls and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def raw_baseline(repeat: int) -> float:
    """Median seconds of wkhtmltopdf itself on a trivial page, without our engine around it."""
    command = wkhtmltopdf_command()
    seconds, _ = timed(lambda: subprocess.run(command, input=TRIVIAL.encode(), capture_output=True,
                                              check=True), repeat)
    return seconds


def pages(pdf: bytes) -> int:
    return pdf.count(b"/Type /Page\n") or pdf.count(b"/Type/Page") or -1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat
    env = zh_env()
    docs = {
        "account list, 2,000 houses": lambda: env.get_template("account_list.html").render(
            doc=account_list(2000)),
        "building notice, 500 houses": lambda: env.get_template("notice.html").render(
            notices=[notice(500)]),
    }
    baseline = raw_baseline(repeat)
    print(f"raw wkhtmltopdf, trivial page: {baseline:6.3f} s (median of {repeat})")
    failed = False
    for name, render in docs.items():
        render_s, html = timed(render, repeat)
        pdf_s, pdf = timed(lambda: html_to_pdf(html), repeat)  # type: ignore[arg-type]
        total = render_s + pdf_s
        goal = GOALS[name]
        verdict = "ok" if total < goal else "OVER GOAL"
        failed |= total >= goal
        print(f"{name}: render {render_s:6.3f} s + pdf {pdf_s:6.3f} s = {total:6.3f} s "
              f"(goal < {goal:g} s, {verdict}); {len(pdf) / 1024:,.0f} KiB, "  # type: ignore[arg-type]
              f"{pages(pdf)} pages; ratio to baseline {total / baseline:5.1f}x")  # type: ignore[arg-type]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
