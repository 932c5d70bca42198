"""A throwaway PostgreSQL cluster on a loopback port for the benchmarks (as scripts/test-postgres.sh).

Durability is off (fsync, synchronous_commit, full_page_writes), as in the test script: the
benchmarks measure the platform's queries, not the disk.
"""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.getuid() == 0 else command


@contextmanager
def cluster(port: int, database: str = "jm_bench") -> Iterator[str]:
    """Start a cluster on 127.0.0.1:``port`` with an empty ``database``; yield its URL; remove it."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if not found:
        raise SystemExit("PostgreSQL server binaries not found (install the 'postgresql' package)")
    pgbin = found[-1]
    data = tempfile.mkdtemp(prefix="jm-bench-pg.")
    if os.getuid() == 0:
        shutil.chown(data, "postgres")
    options = (f"-c listen_addresses=127.0.0.1 -p {port} -k {data} -c fsync=off "
               "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
    try:
        subprocess.run(_as_postgres([f"{pgbin}/initdb", "-D", data, "-U", "jm", "--auth=trust",
                                     "-E", "UTF8", "--locale=C.UTF-8"]),
                       check=True, capture_output=True)
        subprocess.run(_as_postgres([f"{pgbin}/pg_ctl", "-D", data, "-l", f"{data}/server.log", "-w",
                                     "-o", options, "start"]), check=True, capture_output=True)
        subprocess.run([f"{pgbin}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "jm", database],
                       check=True, capture_output=True)
        yield f"postgresql://jm@127.0.0.1:{port}/{database}"
    finally:
        subprocess.run(_as_postgres([f"{pgbin}/pg_ctl", "-D", data, "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(data, ignore_errors=True)
