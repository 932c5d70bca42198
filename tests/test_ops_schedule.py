"""The nightly backup: one archive per night across workers, pruning (its schedule: tests/test_queue.py)."""
from __future__ import annotations

import datetime as dt
import fcntl
from pathlib import Path
from typing import Any

from flask import Flask

from app.services.backup import Tools, nightly_backup, prune
from app.services.backup.schedule import LOCK_NAME, archives

UTC = dt.timezone.utc


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
