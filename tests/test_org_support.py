"""Support for the organisation tests (no tests here): valid identity numbers, small real files,
field errors. Named test_org_* so it stays with the tests it serves."""
from __future__ import annotations

import html
import io
import re
import struct
import zlib
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from app.domain.numbering import check_char
from app.domain.validators import uscc_check_char


def make_uscc(body17: str = "91440704MA4W8K3L0") -> str:
    return body17 + uscc_check_char(body17)


def make_resident_id(body17: str = "44070419900307123") -> str:
    return body17 + check_char(body17)


def pdf_bytes(text: str = "test") -> bytes:
    """A small valid one-page PDF."""
    content = f"BT /F1 18 Tf 40 100 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def png_bytes(width: int = 4, height: int = 4) -> bytes:
    """A small valid grey PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def field_errors(page: str, field: str) -> list[str]:
    """The error messages a page shows at one form field."""
    pattern = rf'<span class="help-block jm-field-error" data-field="{re.escape(field)}">(.*?)</span>'
    return [html.unescape(m) for m in re.findall(pattern, page, flags=re.S)]


def translated(app: Flask, msgid: str, **values: Any) -> str:
    """``msgid`` as the default (Chinese) UI shows it, with whatever catalog is compiled."""
    from flask_babel import gettext

    with app.test_request_context("/"):
        return str(gettext(msgid, **values))


def count(session: Any, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model))


def stored_files(app: Flask) -> list[Path]:
    return [p for p in Path(app.config["UPLOAD_FOLDER"]).rglob("*") if p.is_file()]

