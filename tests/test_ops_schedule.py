"""The nightly backup: when it runs, one archive per night across workers, pruning, failures kept."""
from __future__ import annotations

import datetime as dt
import fcntl
from pathlib import Path
from typing import Any

from flask import Flask

from app.services.backup import Tools, nightly_backup, prune
from app.services.backup.schedule import LOCK_NAME, BackupScheduler, archives, next_run

UTC = dt.timezone.utc


def test_next_run_is_the_next_local_backup_time() -> None:
    # 02:30 in Asia/Shanghai is 18:30 UTC of the day before.
    assert next_run(dt.datetime(2026, 3, 1, 10, 0, tzinfo=UTC), "02:30", "Asia/Shanghai") == \
        dt.datetime(2026, 3, 1, 18, 30, tzinfo=UTC)
    assert next_run(dt.datetime(2026, 3, 1, 18, 30, tzinfo=UTC), "02:30", "Asia/Shanghai") == \
        dt.datetime(2026, 3, 2, 18, 30, tzinfo=UTC)


def _nightly(app: Flask, dest: Path, now: dt.datetime, keep: int = 3) -> Any:
    return nightly_backup(app.config["SQLALCHEMY_DATABASE_URI"], app.config["UPLOAD_FOLDER"],
                          str(dest), keep, Tools(), now=now)


def test_one_backup_per_night_and_old_ones_pruned(app: Flask, tmp_path: Path) -> None:
    first = _nightly(app, tmp_path, dt.datetime.now(UTC))
    assert first is not None and archives(tmp_path) == [first.path]
    # A second worker waking the same night finds tonight's archive and does nothing.
    assert _nightly(app, tmp_path, dt.datetime.now(UTC) + dt.timedelta(minutes=5)) is None
    for day in range(1, 5):
        (tmp_path / f"jm-backup-2026010{day}T000000000000Z.tar.gz").write_bytes(b"older archive")
    tomorrow = _nightly(app, tmp_path, dt.datetime.now(UTC) + dt.timedelta(days=1))
    assert tomorrow is not None
    kept_old = tmp_path / "jm-backup-20260104T000000000000Z.tar.gz"
    assert archives(tmp_path) == [kept_old, first.path, tomorrow.path]
    assert prune(tmp_path, 1) == [kept_old, first.path]
    assert archives(tmp_path) == [tomorrow.path]


def test_a_worker_holding_the_lock_keeps_the_others_out(app: Flask, tmp_path: Path) -> None:
    with open(tmp_path / LOCK_NAME, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        assert _nightly(app, tmp_path, dt.datetime.now(UTC)) is None
    assert archives(tmp_path) == []


def test_a_failed_night_is_remembered_and_the_next_one_clears_it(tmp_path: Path) -> None:
    outcomes: list[Any] = [OSError("disk full"), None]

    def job() -> Any:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    scheduler = BackupScheduler(job, "02:30", "Asia/Shanghai")
    assert scheduler.run_once() is None and scheduler.last_error == "disk full"
    assert scheduler.run_once() is None and scheduler.last_error is None
    assert not scheduler.alive
