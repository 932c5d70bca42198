"""Putting an archive back: into an empty database and upload folder, then up to the current schema.

Order of work: verify the whole archive, decide about its schema revision and the target, and only
then write. After loading, the restored database is checked against the manifest (row counts and
ledger total) before any migration runs, so a bad restore is never upgraded and mistaken for good.
"""
from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable, Optional

from app.services.backup import database, schema
from app.services.backup.archive import FILES_DIR, upload_files
from app.services.backup.database import Tools
from app.services.backup.errors import (ArchiveInvalid, RestoreMismatch, SchemaTooNew,
                                        TargetNotEmpty)
from app.services.backup.verify import (VerifyReport, extract_member, safe_member_name,
                                        verify_archive)


@dataclass
class RestoreReport:
    archive_revision: Optional[str]
    schema: str                      # schema.CURRENT / OLDER / UNKNOWN
    files: int = 0
    upgraded: bool = False
    warnings: list[str] = field(default_factory=list)


def _check_target(url: str, upload_folder: Path, force: bool) -> None:
    busy = []
    if not database.is_empty(url):
        busy.append("database")
    if next(upload_files(upload_folder), None) is not None:
        busy.append(f"upload folder {upload_folder}")
    if busy and not force:
        raise TargetNotEmpty(", ".join(busy))


def _clear_folder(folder: Path) -> None:
    if not folder.is_dir():
        return
    for child in folder.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def _restore_files(tar: tarfile.TarFile, manifest: dict, upload_folder: Path) -> int:
    count = 0
    for name in sorted(manifest["members"]):
        if not name.startswith(f"{FILES_DIR}/") or not safe_member_name(name):
            continue
        relative = PurePosixPath(name).relative_to(FILES_DIR)
        extract_member(tar, name, upload_folder.joinpath(*relative.parts))
        count += 1
    return count


def restore_backup(archive: str | os.PathLike[str], url: str,
                   upload_folder: str | os.PathLike[str], *, migrations_dir: str | os.PathLike[str],
                   upgrade: Callable[[], None], force: bool = False,
                   tools: Tools = Tools()) -> RestoreReport:
    """Restore ``archive`` into the database at ``url`` and ``upload_folder``.

    ``upgrade`` migrates the restored database to the current head (the caller provides it, as
    Alembic's environment needs the app); it runs only for an archive from an older schema.
    """
    verified: VerifyReport = verify_archive(archive, tools=tools)
    if not verified.ok:
        raise ArchiveInvalid("; ".join(verified.problems))
    manifest = verified.manifest
    revision = manifest.get("schema_revision")
    standing = schema.classify(migrations_dir, revision)
    if standing == schema.NEWER:
        raise SchemaTooNew(f"archive revision {revision}, this code's head "
                           f"{schema.head_revision(migrations_dir)}")
    dialect = database.dialect_of(url)
    if manifest["database"]["dialect"] != dialect:
        raise ArchiveInvalid(f"the archive holds a {manifest['database']['dialect']} database, "
                             f"the target is {dialect}")
    folder = Path(upload_folder)
    _check_target(url, folder, force)
    if force:
        database.clear(url)
        _clear_folder(folder)
    report = RestoreReport(revision, standing, warnings=list(verified.warnings))
    if standing == schema.UNKNOWN:
        report.warnings.append("the archive names no schema revision: it was restored as it is; "
                               "stamp it with `flask db stamp` if you know its revision")
    with tarfile.open(archive, "r:gz") as tar, tempfile.TemporaryDirectory(prefix="jm-restore-") as tmp:
        snapshot_file = Path(tmp) / "snapshot"
        extract_member(tar, manifest["database"]["member"], snapshot_file)
        database.load(url, snapshot_file, tools)
        folder.mkdir(parents=True, exist_ok=True)
        report.files = _restore_files(tar, manifest, folder)
    differences = database.facts_of(url).differences(manifest)
    if differences:
        raise RestoreMismatch("; ".join(differences))
    if standing == schema.OLDER:
        upgrade()
        report.upgraded = True
    return report
