"""Backups: ``create_backup`` / ``verify_archive`` (archive), ``restore_backup`` (restore),
``nightly_backup`` and ``prune`` (schedule). See README "Backup and restore"."""
from app.services.backup.archive import BackupResult, VerifyReport, create_backup, verify_archive
from app.services.backup.database import Tools
from app.services.backup.errors import (ArchiveInvalid, BackupError, RestoreMismatch, SchemaTooNew,
                                        TargetNotEmpty)
from app.services.backup.restore import RestoreReport, restore_backup
from app.services.backup.schedule import nightly_backup, prune

__all__ = ["ArchiveInvalid", "BackupError", "BackupResult", "RestoreMismatch", "RestoreReport",
           "SchemaTooNew", "TargetNotEmpty", "Tools", "VerifyReport", "create_backup",
           "nightly_backup", "prune", "restore_backup", "verify_archive"]
