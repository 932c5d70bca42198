"""One backup = one ``.tar.gz``: the database snapshot, every uploaded or generated file, a manifest.

Layout::

    database/platform.sqlite | database/platform.pgdump   the snapshot
    files/<path under UPLOAD_FOLDER>                       attachments, marked import copies …
    manifest.json                                          written last

The manifest names the schema revision, the row count of every table, the ledger total and the
sha256 and size of every other member, so ``verify_archive`` can tell a damaged or altered archive
without restoring it (``verify.py``). The database is snapshotted before the files are copied: attachments are
written before their row commits and never changed, so every attachment the snapshot knows is
already on disk when the copy starts.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator, Optional

from app.services.attachments import SUBFOLDER as ATTACHMENT_SUBFOLDER
from app.services.backup import database
from app.services.backup.database import DatabaseFacts, Tools

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE_DIR = "database"
FILES_DIR = "files"
ARCHIVE_PREFIX = "jm-backup-"
ARCHIVE_SUFFIX = ".tar.gz"
SNAPSHOT_NAMES = {database.SQLITE: "platform.sqlite", database.POSTGRESQL: "platform.pgdump"}


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: dict


class _HashingReader:
    """Reads a file for tarfile while hashing exactly the bytes that go into the archive."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data


def archive_name(now: dt.datetime) -> str:
    return f"{ARCHIVE_PREFIX}{now.strftime('%Y%m%dT%H%M%S%fZ')}{ARCHIVE_SUFFIX}"


def upload_files(upload_folder: Path) -> Iterator[tuple[Path, str]]:
    """Every regular file under the upload folder with its archive-relative path, in name order."""
    if not upload_folder.is_dir():
        return
    for root, dirs, files in os.walk(upload_folder):
        dirs.sort()
        for name in sorted(files):
            path = Path(root) / name
            if path.is_file() and not path.is_symlink():
                yield path, path.relative_to(upload_folder).as_posix()


def _add_file(tar: tarfile.TarFile, path: Path, member: str) -> dict:
    with open(path, "rb") as handle:
        info = tar.gettarinfo(fileobj=handle, arcname=member)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        reader = _HashingReader(handle)
        tar.addfile(info, reader)  # type: ignore[arg-type] - tarfile only calls read()
    return {"sha256": reader.digest.hexdigest(), "size": info.size}


def _manifest(facts: DatabaseFacts, snapshot_member: str, members: dict[str, dict],
              now: dt.datetime, missing: list[str]) -> dict:
    return {"format": FORMAT, "created_at": now.isoformat(timespec="seconds"),
            "database": {"dialect": facts.dialect, "member": snapshot_member},
            "schema_revision": facts.revision, "counts": facts.counts,
            "ledger_total": facts.ledger_total, "missing_attachments": missing, "members": members}


def create_backup(url: str, upload_folder: str | os.PathLike[str], dest_dir: str | os.PathLike[str],
                  *, tools: Tools = Tools(), now: Optional[dt.datetime] = None) -> BackupResult:
    """Write one archive to ``dest_dir`` and return its path and manifest.

    The archive appears under its final name only when complete (written as ``.partial``, then
    renamed), so a half-written backup is never mistaken for a good one.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    dest = Path(dest_dir)
    dest.mkdir(parents=True, exist_ok=True)
    upload = Path(upload_folder)
    final = dest / archive_name(now)
    partial = final.with_name(final.name + ".partial")
    with tempfile.TemporaryDirectory(dir=dest, prefix=".snapshot-") as scratch:
        snapshot_file = Path(scratch) / "snapshot"
        facts = database.snapshot(url, snapshot_file, tools)
        snapshot_member = f"{DATABASE_DIR}/{SNAPSHOT_NAMES[facts.dialect]}"
        members: dict[str, dict] = {}
        try:
            with tarfile.open(partial, "w:gz") as tar:
                members[snapshot_member] = _add_file(tar, snapshot_file, snapshot_member)
                for path, relative in upload_files(upload):
                    member = f"{FILES_DIR}/{relative}"
                    members[member] = _add_file(tar, path, member)
                missing = [name for name in facts.attachment_names
                           if f"{FILES_DIR}/{ATTACHMENT_SUBFOLDER}/{name}" not in members]
                manifest = _manifest(facts, snapshot_member, members, now, missing)
                _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False).encode())
            os.replace(partial, final)
        finally:
            partial.unlink(missing_ok=True)
    return BackupResult(final, manifest)


def _add_bytes(tar: tarfile.TarFile, member: str, data: bytes) -> None:
    info = tarfile.TarInfo(member)
    info.size = len(data)
    info.mode = 0o644
    info.mtime = int(dt.datetime.now().timestamp())
    tar.addfile(info, io.BytesIO(data))
