"""要件 storage and download: type by magic bytes and extension, original names, tenant check."""
from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import quote

import pytest

from app.models.order import Attachment
from app.services.attachments import (attachment_file_path, clean_filename, remove_stored_files,
                                      store_attachment, validate_upload)
from tests.test_org_support import pdf_bytes, png_bytes

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64


@pytest.mark.parametrize("name,data", [
    ("营业执照.pdf", pdf_bytes()), ("照片.PNG", png_bytes()), ("a.jpg", JPEG), ("a.jpeg", JPEG),
])
def test_allowed_uploads(name, data):
    assert validate_upload(name, data, max_mb=1) is None


@pytest.mark.parametrize("name,data", [
    ("a.pdf", png_bytes()), ("a.png", pdf_bytes()), ("a.jpg", pdf_bytes()), ("a.exe", b"MZ\x90"),
    ("a.pdf", b"MZ\x90\x00"), ("a", pdf_bytes()), ("a.txt", b"%PDF-1.4 but text"),
    ("a.gif", b"GIF89a"),
])
def test_refused_types(name, data):
    problem = validate_upload(name, data, max_mb=1, field="doc")
    assert problem is not None and problem.field == "doc"


def test_missing_empty_and_too_large():
    assert validate_upload("", b"", max_mb=1) is not None
    assert validate_upload("a.pdf", b"", max_mb=1) is not None
    assert validate_upload("a.pdf", pdf_bytes() + b"0" * 1024 * 1024, max_mb=1) is not None
    assert validate_upload("a.pdf", pdf_bytes(), max_mb=1, allowed=("png",)) is not None


def test_clean_filename_keeps_chinese_and_drops_paths():
    assert clean_filename("C:\\Users\\李\\营业执照（副本）.pdf") == "营业执照（副本）.pdf"
    assert clean_filename("../../etc/passwd") == "passwd"
    assert clean_filename(" 授权\x00委托书.pdf ") == "授权委托书.pdf"
    long = clean_filename("长" * 300 + ".pdf")
    assert len(long) == 255 and long.endswith(".pdf")


def test_store_and_remove(app, session, demo):
    folder = app.config["UPLOAD_FOLDER"]
    data = png_bytes()
    att = store_attachment(session, org_id=demo.org_a.id, kind="legal_rep_id", filename="身份证.png",
                           data=data, upload_folder=folder, user_id=demo.users["dev_a"].id)
    session.commit()
    path = attachment_file_path(att, folder)
    assert path.read_bytes() == data and att.sha256 == hashlib.sha256(data).hexdigest()
    assert path.name == att.stored_name and len(att.stored_name) == 36 and att.size == len(data)
    remove_stored_files([path, path])  # a missing file is fine
    assert not path.exists()
    att.stored_name = "../../secret.pdf"
    with pytest.raises(ValueError):
        attachment_file_path(att, folder)


@pytest.fixture()
def org_a_file(app, session, demo) -> Attachment:
    att = store_attachment(session, org_id=demo.org_a.id, kind="business_license",
                           filename="营业执照 副本.pdf", data=pdf_bytes("a"),
                           upload_folder=app.config["UPLOAD_FOLDER"])
    session.commit()
    return att


def test_download_with_original_name(dev_a_client, org_a_file):
    response = dev_a_client.get(f"/attachments/{org_a_file.id}")
    assert response.status_code == 200 and response.data == pdf_bytes("a")
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("inline")
    assert f"filename*=UTF-8''{quote('营业执照 副本.pdf')}" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    download = dev_a_client.get(f"/attachments/{org_a_file.id}?download=1")
    assert download.headers["Content-Disposition"].startswith("attachment")


def test_tenant_check_on_download(app, client_for, anon_client, org_a_file):
    assert client_for("dev_b").get(f"/attachments/{org_a_file.id}").status_code == 404
    assert client_for("dev_a_staff").get(f"/attachments/{org_a_file.id}").status_code == 200
    for internal in ("officer", "admin"):
        assert client_for(internal).get(f"/attachments/{org_a_file.id}").status_code == 200
    response = anon_client.get(f"/attachments/{org_a_file.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client_for("dev_a").get("/attachments/999999").status_code == 404


def test_missing_file_on_disk_is_not_found(app, dev_a_client, org_a_file):
    Path(attachment_file_path(org_a_file, app.config["UPLOAD_FOLDER"])).unlink()
    assert dev_a_client.get(f"/attachments/{org_a_file.id}").status_code == 404
