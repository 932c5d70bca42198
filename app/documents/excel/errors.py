"""The one error an uploaded workbook can raise before any row is read."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.errors import DomainError


class ExcelFileError(DomainError):
    """The file as a whole cannot be imported (not Excel, unsafe, bad header); nothing was read."""

    status = 400
    default_message = _l("The file cannot be imported.")
