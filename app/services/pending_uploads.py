"""Uploads kept between two tries of a form, so a user need not pick the files again.

A form refused for another field (a taken user name, a missing agreement) would otherwise lose
the files the browser sent: browsers never re-fill file inputs. Each valid file is kept under
``<upload folder>/pending/<key>/<field>`` until the form succeeds or ``MAX_AGE`` has passed; the
caller holds ``key`` (a random token, e.g. in the visitor's signed session) and never lets the
browser name a path.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import time
import uuid
from pathlib import Path
from typing import Mapping, Optional

from app.services.attachments import UploadedFile, clean_filename, validate_upload

SUBFOLDER = "pending"
MAX_AGE = dt.timedelta(hours=24)
_KEY = re.compile(r"^[0-9a-f]{32}$")
_FIELD = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


def new_key() -> str:
    return uuid.uuid4().hex


def _folder(upload_folder: str, key: str) -> Path:
    if not _KEY.match(key or ""):
        raise ValueError("not a pending-upload key")
    return Path(upload_folder) / SUBFOLDER / key


def keep(upload_folder: str, key: str, files: Mapping[str, Optional[UploadedFile]], *,
         max_mb: int) -> dict[str, str]:
    """Keep every valid file of ``files`` (field → upload); returns field → file name kept."""
    folder = _folder(upload_folder, key)
    kept: dict[str, str] = {}
    for field, upload in files.items():
        if upload is None or not _FIELD.match(field):
            continue
        if validate_upload(upload.filename, upload.data, max_mb=max_mb, field=field) is not None:
            continue
        folder.mkdir(parents=True, exist_ok=True)
        (folder / field).write_bytes(upload.data)
        name = clean_filename(upload.filename)
        (folder / f"{field}.json").write_text(json.dumps({"name": name}), encoding="utf-8")
        kept[field] = name
    return kept


def load(upload_folder: str, key: str, field: str) -> Optional[UploadedFile]:
    """The file kept for ``field``, or None."""
    if not key or not _FIELD.match(field):
        return None
    folder = _folder(upload_folder, key)
    data, meta = folder / field, folder / f"{field}.json"
    if not data.is_file() or not meta.is_file():
        return None
    name = json.loads(meta.read_text(encoding="utf-8")).get("name", "")
    return UploadedFile(filename=name, data=data.read_bytes())


def kept_names(upload_folder: str, key: str) -> dict[str, str]:
    """Field → file name of what is kept under ``key``."""
    if not key or not _KEY.match(key):
        return {}
    folder = _folder(upload_folder, key)
    if not folder.is_dir():
        return {}
    return {meta.stem: json.loads(meta.read_text(encoding="utf-8")).get("name", "")
            for meta in folder.glob("*.json") if (folder / meta.stem).is_file()}


def discard(upload_folder: str, key: str) -> None:
    if key and _KEY.match(key):
        shutil.rmtree(_folder(upload_folder, key), ignore_errors=True)


def sweep(upload_folder: str, *, now: Optional[float] = None) -> int:
    """Remove what was kept longer than ``MAX_AGE`` (abandoned forms); returns folders removed."""
    root = Path(upload_folder) / SUBFOLDER
    if not root.is_dir():
        return 0
    limit = (now or time.time()) - MAX_AGE.total_seconds()
    removed = 0
    for folder in root.iterdir():
        if folder.is_dir() and _KEY.match(folder.name) and folder.stat().st_mtime < limit:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed
