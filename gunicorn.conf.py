"""gunicorn's settings for ``make run`` and the benchmarks (gunicorn reads this file from the
working directory); the address comes from the command line.

A Python process runs one thread at a time, so the cores are used by worker processes, not by
threads: twice as many workers as cores, each with two threads so a slow export or upload does not
hold its worker alone. On two cores, 20 clerks (benchmarks/bench_load.py) were served at about
80 requests/s by 4 workers × 2 threads against about 66 by 2 workers × 4 threads.
WEB_WORKERS, WEB_THREADS and WEB_TIMEOUT override them.
"""
import os

workers = int(os.environ.get("WEB_WORKERS") or 2 * (os.cpu_count() or 1))
threads = int(os.environ.get("WEB_THREADS") or 2)
# Exports of 100,000 rows take longer than gunicorn's default 30 s worker timeout.
timeout = int(os.environ.get("WEB_TIMEOUT") or 180)
