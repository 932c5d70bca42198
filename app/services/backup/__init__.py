"""Backups: ``create_backup`` (archive), ``verify_archive`` (verify), ``restore_backup`` (restore),
``nightly_backup`` and ``prune`` (schedule). See README "Backup and restore"."""
from app.services.backup.archive import BackupResult, create_backup
from app.services.backup.database import Tools
from app.services.backup.errors import (ArchiveInvalid, BackupError, RestoreMismatch, SchemaTooNew,
                                        TargetNotEmpty)
from app.services.backup.restore import RestoreReport, restore_backup
from app.services.backup.schedule import nightly_backup, prune
from app.services.backup.verify import VerifyReport, verify_archive

__all__ = ["ArchiveInvalid", "BackupError", "BackupResult", "RestoreMismatch", "RestoreReport",
           "SchemaTooNew", "TargetNotEmpty", "Tools", "VerifyReport", "create_backup",
           "nightly_backup", "prune", "restore_backup", "verify_archive"]
