"""What can go wrong making, checking or restoring a backup.

Each error has a translated message and a technical ``detail`` (a path, a tool's output) that the
command line prints after it.
"""
from __future__ import annotations

from typing import Any, Iterable

from flask_babel import lazy_gettext as _l

from app.errors import DomainError, Problem


class BackupError(DomainError):
    default_message = _l("The backup operation failed.")

    def __init__(self, detail: str = "", problems: Iterable[Problem] | None = None,
                 message: Any = None) -> None:
        super().__init__(message, problems)
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.message} {self.detail}".strip()


class ToolFailed(BackupError):
    default_message = _l("A PostgreSQL client program failed.")


class ArchiveInvalid(BackupError):
    status = 422
    default_message = _l("The backup archive failed verification.")


class SchemaTooNew(BackupError):
    status = 409
    default_message = _l("The backup comes from a newer schema than this version of the platform.")


class TargetNotEmpty(BackupError):
    status = 409
    default_message = _l("The target database or upload folder is not empty; use --force to "
                         "overwrite it.")


class RestoreMismatch(BackupError):
    default_message = _l("The restored database does not match the backup manifest.")
