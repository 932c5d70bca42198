"""One backup = one ``.tar.gz``: the database snapshot, every uploaded or generated file, a manifest.

Layout::

    database/platform.sqlite | database/platform.pgdump   the snapshot
    files/<path under UPLOAD_FOLDER>                       attachments, marked import copies …
    manifest.json                                          written last

The manifest names the schema revision, the row count of every table, the ledger total and the
sha256 and size of every other member, so ``verify_archive`` can tell a damaged or altered archive
without restoring it. The database is snapshotted before the files are copied: attachments are
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
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Iterator, Optional

from app.services.attachments import SUBFOLDER as ATTACHMENT_SUBFOLDER
from app.services.backup import database
from app.services.backup.database import DatabaseFacts, Tools
from app.services.backup.errors import ArchiveInvalid, BackupError

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE_DIR = "database"
FILES_DIR = "files"
ARCHIVE_PREFIX = "jm-backup-"
ARCHIVE_SUFFIX = ".tar.gz"
_SNAPSHOT_NAMES = {database.SQLITE: "platform.sqlite", database.POSTGRESQL: "platform.pgdump"}
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: dict


@dataclass
class VerifyReport:
    """``problems`` make the archive unusable; ``warnings`` are worth knowing."""

    manifest: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


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
        snapshot_member = f"{DATABASE_DIR}/{_SNAPSHOT_NAMES[facts.dialect]}"
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


# ---------------------------------------------------------------------------------------------
# reading an archive
# ---------------------------------------------------------------------------------------------

def safe_member_name(name: str) -> bool:
    """A relative path inside ``database/`` or ``files/`` (or the manifest), without ``..``."""
    path = PurePosixPath(name)
    if name == MANIFEST:
        return True
    return (not path.is_absolute() and ".." not in path.parts and len(path.parts) >= 2
            and path.parts[0] in (DATABASE_DIR, FILES_DIR) and "\\" not in name)


def _hash_member(tar: tarfile.TarFile, info: tarfile.TarInfo) -> dict:
    digest = hashlib.sha256()
    handle = tar.extractfile(info)
    assert handle is not None  # regular files only reach here
    size = 0
    while chunk := handle.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return {"sha256": digest.hexdigest(), "size": size}


def read_manifest(tar: tarfile.TarFile) -> dict:
    try:
        handle = tar.extractfile(MANIFEST)
        manifest = json.loads(handle.read()) if handle else None
    except (KeyError, ValueError) as exc:
        raise ArchiveInvalid(f"{MANIFEST} missing or unreadable: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArchiveInvalid(f"{MANIFEST} is not a format {FORMAT} manifest")
    return manifest


def _check_members(tar: tarfile.TarFile, manifest: dict, report: VerifyReport) -> None:
    expected: dict = manifest.get("members") or {}
    seen = set()
    for info in tar:
        if info.name == MANIFEST:
            continue
        if not info.isreg() or not safe_member_name(info.name):
            report.problems.append(f"unexpected member {info.name!r}")
            continue
        seen.add(info.name)
        if info.name not in expected:
            report.problems.append(f"member not in manifest: {info.name}")
        elif _hash_member(tar, info) != expected[info.name]:
            report.problems.append(f"checksum mismatch: {info.name}")
    report.problems.extend(f"member missing: {name}" for name in sorted(set(expected) - seen))


def extract_member(tar: tarfile.TarFile, name: str, target: Path) -> None:
    handle = tar.extractfile(name)
    if handle is None:
        raise ArchiveInvalid(f"{name} is not a file")
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "xb") as out:
        while chunk := handle.read(_CHUNK):
            out.write(chunk)


def _check_snapshot(tar: tarfile.TarFile, manifest: dict, tools: Tools, report: VerifyReport) -> None:
    db_info = manifest.get("database") or {}
    member, dialect = db_info.get("member"), db_info.get("dialect")
    if member not in (manifest.get("members") or {}) or dialect not in _SNAPSHOT_NAMES:
        report.problems.append("the manifest names no database snapshot")
        return
    with tempfile.TemporaryDirectory(prefix="jm-verify-") as scratch:
        path = Path(scratch) / "snapshot"
        extract_member(tar, member, path)
        problems = database.check_dump(path, dialect, tools)
        if not problems and dialect == database.SQLITE:
            facts = database.facts_of(f"sqlite:///{path}")
            problems = [f"snapshot differs from manifest: {d}" for d in facts.differences(manifest)]
        report.problems.extend(problems)


def verify_archive(path: str | os.PathLike[str], *, tools: Tools = Tools()) -> VerifyReport:
    """Check an archive without restoring it: members against the manifest, the snapshot readable
    (and, for SQLite, its row counts and ledger total equal to the manifest's)."""
    report = VerifyReport()
    try:
        with tarfile.open(path, "r:gz") as tar:
            report.manifest = read_manifest(tar)
            _check_members(tar, report.manifest, report)
            if not report.problems:
                _check_snapshot(tar, report.manifest, tools, report)
    except BackupError as exc:
        report.problems.append(exc.detail)
    except (OSError, tarfile.TarError, EOFError) as exc:
        report.problems.append(f"not a readable backup archive: {exc}")
    missing = report.manifest.get("missing_attachments") or []
    if missing:
        report.warnings.append(f"{len(missing)} attachment file(s) were already missing when the "
                               f"backup was made: {', '.join(missing[:10])}")
    return report
