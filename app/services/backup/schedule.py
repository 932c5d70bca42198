"""The nightly backup: a daemon thread of the serving process, and the pruning of old archives.

Every gunicorn worker starts the thread; a lock file in the backup folder and the "a backup from
the last 20 hours exists" rule make sure one archive is written per night, whichever worker wakes
first.
"""
from __future__ import annotations

import atexit
import datetime as dt
import fcntl
import logging
from pathlib import Path
from typing import Callable, Optional
from zoneinfo import ZoneInfo

from flask import Flask

from app.services.background import DaemonLoop
from app.services.backup.archive import ARCHIVE_PREFIX, ARCHIVE_SUFFIX, BackupResult, create_backup
from app.services.backup.database import Tools

log = logging.getLogger(__name__)
#: A backup younger than this counts as tonight's: another worker (or an operator) made it.
RECENT = dt.timedelta(hours=20)
LOCK_NAME = ".backup.lock"


def archives(dest_dir: str | Path) -> list[Path]:
    """The complete archives in the folder, oldest first (names sort by time)."""
    folder = Path(dest_dir)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.name.startswith(ARCHIVE_PREFIX) and p.name.endswith(ARCHIVE_SUFFIX))


def prune(dest_dir: str | Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` archives; returns the deleted paths."""
    old = archives(dest_dir)[:-keep] if keep > 0 else []
    for path in old:
        path.unlink(missing_ok=True)
    return old


def next_run(now: dt.datetime, at: str, zone: str) -> dt.datetime:
    """The next ``at`` (HH:MM, local time of ``zone``) strictly after ``now`` (aware)."""
    hour, minute = (int(part) for part in at.split(":", 1))
    local = now.astimezone(ZoneInfo(zone))
    candidate = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if candidate <= local:
        candidate += dt.timedelta(days=1)
    return candidate.astimezone(dt.timezone.utc)


def nightly_backup(url: str, upload_folder: str, dest_dir: str, keep: int, tools: Tools,
                   now: Optional[dt.datetime] = None) -> Optional[BackupResult]:
    """Make tonight's backup unless another process holds the lock or one is recent; then prune."""
    now = now or dt.datetime.now(dt.timezone.utc)
    folder = Path(dest_dir)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK_NAME, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None
        existing = archives(folder)
        if existing and now - dt.datetime.fromtimestamp(existing[-1].stat().st_mtime,
                                                         dt.timezone.utc) < RECENT:
            return None
        result = create_backup(url, upload_folder, folder, tools=tools, now=now)
        prune(folder, keep)
        return result


class BackupScheduler(DaemonLoop):
    """Sleeps until the next BACKUP_AT, runs ``job``, and again; survives a failed night."""

    def __init__(self, job: Callable[[], Optional[BackupResult]], at: str, zone: str) -> None:
        super().__init__("backup-nightly")
        self.job = job
        self.at = at
        self.zone = zone
        self.last_error: Optional[str] = None
        self.last_archive: Optional[Path] = None

    def run_once(self) -> Optional[BackupResult]:
        try:
            result = self.job()
        except Exception as exc:  # noqa: BLE001 - one failed night must not end the schedule
            self.last_error = str(exc)
            log.exception("nightly backup failed")
            return None
        self.last_error = None
        if result is not None:
            self.last_archive = result.path
            log.info("nightly backup written: %s", result.path)
        return result

    def _loop(self) -> None:
        while not self._stop.is_set():
            now = dt.datetime.now(dt.timezone.utc)
            wait = (next_run(now, self.at, self.zone) - now).total_seconds()
            if self._stop.wait(wait):
                break
            self.run_once()


def start_backup_scheduler(app: Flask) -> BackupScheduler:
    """Start (once per app) the nightly backup thread with the app's settings."""
    existing = app.extensions.get("backup_scheduler")
    if existing is not None and existing.alive:
        return existing
    config = app.config
    tools = Tools(config["PG_DUMP_PATH"], config["PG_RESTORE_PATH"])

    def job() -> Optional[BackupResult]:
        return nightly_backup(config["SQLALCHEMY_DATABASE_URI"], config["UPLOAD_FOLDER"],
                              config["BACKUP_DIR"], config["BACKUP_KEEP"], tools)

    scheduler = BackupScheduler(job, config["BACKUP_AT"], config["BABEL_DEFAULT_TIMEZONE"]).start()
    app.extensions["backup_scheduler"] = scheduler
    atexit.register(scheduler.stop, 5.0)
    return scheduler
