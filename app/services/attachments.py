"""要件 (attachments): checking an upload, storing it under a generated name, finding it again.

Shared by registration and the order workflow. Files are written only by ``store_attachment``,
after the caller has validated everything; the caller commits and, if the commit fails, calls
``remove_stored_files`` so that no file outlives its database row.
"""
from __future__ import annotations

import hashlib
import os
import re
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app.errors import Problem
from app.models.order import Attachment

DEFAULT_ALLOWED = ("pdf", "jpg", "jpeg", "png")
#: Files live in this folder under UPLOAD_FOLDER, apart from Excel imports and exports.
SUBFOLDER = "attachments"
ORIGINAL_NAME_MAX = 255

# detected type -> (magic bytes, extensions that may carry it, canonical extension, content type)
_TYPES: dict[str, tuple[bytes, tuple[str, ...], str, str]] = {
    "pdf": (b"%PDF-", ("pdf",), "pdf", "application/pdf"),
    "jpeg": (b"\xff\xd8\xff", ("jpg", "jpeg"), "jpg", "image/jpeg"),
    "png": (b"\x89PNG\r\n\x1a\n", ("png",), "png", "image/png"),
}
_STORED_NAME_RE = re.compile(r"^[0-9a-f]{32}\.(pdf|jpg|png)\Z")


@dataclass(frozen=True)
class UploadedFile:
    """An uploaded file as plain data: the name the browser sent and the bytes."""

    filename: str
    data: bytes


def clean_filename(filename: Optional[str]) -> str:
    """The user's file name without any path, control characters or surrounding spaces."""
    name = unicodedata.normalize("NFC", filename or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in {"Cc", "Cf", "Cs"})
    name = name.strip().strip(".").strip()
    if len(name) > ORIGINAL_NAME_MAX:
        stem, dot, ext = name.rpartition(".")
        keep = ORIGINAL_NAME_MAX - len(ext) - 1
        name = f"{stem[:keep]}.{ext}" if dot and 0 < len(ext) < 10 else name[:ORIGINAL_NAME_MAX]
    return name


def _extension(filename: str) -> str:
    _, dot, ext = filename.rpartition(".")
    return ext.lower() if dot else ""


def _detect(data: bytes) -> Optional[str]:
    for kind, (magic, *_rest) in _TYPES.items():
        if data.startswith(magic):
            return kind
    return None


def validate_upload(filename: Optional[str], data_bytes: Optional[bytes], *, max_mb: int,
                    allowed: Iterable[str] = DEFAULT_ALLOWED, field: str = "file") -> Optional[Problem]:
    """Return a Problem (named ``field``) if the upload is missing, too large or not allowed.

    The type is judged twice: by the extension of the name and by the file's first bytes, and the
    two must agree, so a renamed executable or a PDF called ``.png`` is refused.
    """
    name = clean_filename(filename)
    data = data_bytes or b""
    if not name and not data:
        return Problem(field, _l("Please choose a file."))
    if not data:
        return Problem(field, _l("The file %(name)s is empty.", name=name), value=name)
    if len(data) > max_mb * 1024 * 1024:
        return Problem(field, _l("The file %(name)s is larger than %(mb)d MB.", name=name, mb=max_mb),
                       value=name)
    allowed_ext = {ext.lower() for ext in allowed}
    ext = _extension(name)
    kind = _detect(data)
    if ext not in allowed_ext or kind is None or ext not in _TYPES[kind][1]:
        return Problem(field, _l("The file %(name)s is not of an allowed type (%(types)s).", name=name,
                                 types=", ".join(sorted(allowed_ext))), value=name)
    return None


def attachments_dir(upload_folder: str | os.PathLike[str]) -> Path:
    return Path(upload_folder) / SUBFOLDER


def attachment_file_path(att: Attachment, upload_folder: str | os.PathLike[str]) -> Path:
    """Where the file of ``att`` is kept. Refuses a stored name that is not one we generate."""
    if not _STORED_NAME_RE.match(att.stored_name or ""):
        raise ValueError(f"unexpected stored name for attachment {att.id}")
    return attachments_dir(upload_folder) / att.stored_name


def store_attachment(session: Session, *, org_id: int, kind: str, filename: str, data: bytes,
                     upload_folder: str | os.PathLike[str], order_id: Optional[int] = None,
                     user_id: Optional[int] = None) -> Attachment:
    """Write a validated upload to disk and add its row to the session (the caller commits).

    Call ``validate_upload`` first; a file whose type cannot be recognised raises ValueError here.
    """
    detected = _detect(data)
    if detected is None:
        raise ValueError("store_attachment needs a validated upload")
    _magic, _exts, ext, content_type = _TYPES[detected]
    stored_name = f"{uuid.uuid4().hex}.{ext}"
    folder = attachments_dir(upload_folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / stored_name
    handle = open(path, "xb")  # exclusive: never overwrite another attachment
    try:
        with handle:
            handle.write(data)
        os.chmod(path, 0o640)
    except OSError:
        remove_stored_files([path])
        raise
    att = Attachment(org_id=org_id, order_id=order_id, kind=kind,
                     original_name=clean_filename(filename) or stored_name, stored_name=stored_name,
                     content_type=content_type, size=len(data),
                     sha256=hashlib.sha256(data).hexdigest(), uploaded_by_id=user_id)
    session.add(att)
    return att


def stored_paths(attachments: Iterable[Attachment], upload_folder: str | os.PathLike[str]) -> list[Path]:
    return [attachment_file_path(att, upload_folder) for att in attachments]


def remove_stored_files(paths: Iterable[str | os.PathLike[str]]) -> None:
    """Delete files written for a transaction that did not commit; missing files are fine."""
    for path in paths:
        try:
            os.remove(path)
        except FileNotFoundError:
            continue
