"""The nightly backup (a periodic task of the queue, ``app/queue.py``) and the pruning of old archives.

Several consumers (machines) may each run the task; a lock file in the backup folder and the "a
backup from the last 20 hours exists" rule make sure one archive is written per night, whichever
wakes first.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import logging
from pathlib import Path
from typing import Optional

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
