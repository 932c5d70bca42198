"""Reading a backup archive: its manifest, its members checked against it, one member extracted.

``verify_archive`` tells a damaged or altered archive without restoring it; ``restore`` uses the
same readers after it.
"""
from __future__ import annotations

import hashlib
import json
import os
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from app.services.backup import database
from app.services.backup.archive import DATABASE_DIR, FILES_DIR, FORMAT, MANIFEST, SNAPSHOT_NAMES
from app.services.backup.database import Tools
from app.services.backup.errors import ArchiveInvalid, BackupError

CHUNK = 1024 * 1024


@dataclass
class VerifyReport:
    """``problems`` make the archive unusable; ``warnings`` are worth knowing."""

    manifest: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


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
    while chunk := handle.read(CHUNK):
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
        while chunk := handle.read(CHUNK):
            out.write(chunk)


def _check_snapshot(tar: tarfile.TarFile, manifest: dict, tools: Tools, report: VerifyReport) -> None:
    db_info = manifest.get("database") or {}
    member, dialect = db_info.get("member"), db_info.get("dialect")
    if member not in (manifest.get("members") or {}) or dialect not in SNAPSHOT_NAMES:
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
