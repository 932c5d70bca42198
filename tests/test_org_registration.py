"""开发商注册 (§1.1): the public page, the service, and that a refused registration stores nothing."""
from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.models.order import Attachment
from app.models.organisation import Organisation
from app.security.models import PlatformUser
from app.security.roles import ROLE_DEV_ADMIN
from tests.conftest import api_token, build_test_app, login
from tests.test_org_support import (count, field_errors, make_resident_id, make_uscc, pdf_bytes,
                                    png_bytes, stored_files, translated)

PASSWORD = "Kaifa@2026x"
USCC = make_uscc()


def form_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "江门市滨江置业有限公司", "uscc": USCC, "legal_rep": "欧阳明华",
        "legal_rep_id_no": make_resident_id(), "contact": "张伟", "phone": "13912345678",
        "address": "江门市江海区五邑路100号", "district_code": "440704", "email": "",
        "username": "binjiang", "password": PASSWORD, "password_confirm": PASSWORD, "agreement": "y",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def upload_files(**changes: Any) -> dict[str, Any]:
    files: dict[str, Any] = {
        "business_license": (pdf_bytes("licence"), "营业执照副本.pdf"),
        "legal_rep_id": (png_bytes(), "法定代表人身份证.png"),
        "authorisation": (pdf_bytes("authorisation"), "授权委托书（盖章）.pdf"),
    }
    files.update(changes)
    return {k: (io.BytesIO(v[0]), v[1]) for k, v in files.items() if v is not None}


def post(client: Any, data: dict[str, Any], files: dict[str, Any]) -> Any:
    return client.post("/register/", data={**data, **files}, content_type="multipart/form-data")


class Counts:
    def __init__(self, app: Any, session: Any) -> None:
        self.values = self.take(app, session)

    @staticmethod
    def take(app: Any, session: Any) -> tuple[int, int, int, int]:
        session.expire_all()
        # Documents kept for the visitor's next try (pending/) are not stored attachments.
        return (count(session, Organisation), count(session, PlatformUser),
                count(session, Attachment),
                len([p for p in stored_files(app) if "pending" not in p.parts]))

    def unchanged(self, app: Any, session: Any) -> bool:
        return self.take(app, session) == self.values


def test_form_is_public_and_shows_agreement(anon_client):
    page = anon_client.get("/register/").get_data(as_text=True)
    assert 'name="csrf_token"' in page
    assert "机构注册协议" in page  # the agreement text itself (zh template)
    for field in ("uscc", "legal_rep_id_no", "district_code", "username", "password_confirm",
                  "business_license", "legal_rep_id", "authorisation", "agreement"):
        assert f'name="{field}"' in page
    assert "蓬江区" in page and "恩平市" in page  # districts from the code table
    home = anon_client.get("/").get_data(as_text=True)
    assert "/register/" in home


def test_registration_creates_org_admin_and_attachments(app, session, anon_client):
    response = post(anon_client, form_data(uscc=USCC.lower(), phone="139 1234 5678"), upload_files())
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/register/done")
    done = anon_client.get("/register/done").get_data(as_text=True)
    assert "江门市滨江置业有限公司" in done and "binjiang" in done and "/login/" in done

    org = session.scalar(select(Organisation).where(Organisation.uscc == USCC))
    assert org is not None and org.phone == "13912345678" and org.district_code == "440704"
    assert org.agreement_accepted_at is not None and org.papers_checked is False
    user = session.scalar(select(PlatformUser).where(PlatformUser.username == "binjiang"))
    assert user.org_id == org.id and user.active
    assert [r.name for r in user.roles] == [ROLE_DEV_ADMIN]
    assert (user.last_name, user.first_name) == ("张", "伟")

    atts = session.scalars(select(Attachment).where(Attachment.org_id == org.id)
                           .order_by(Attachment.id)).all()
    assert [a.kind for a in atts] == ["business_license", "legal_rep_id", "authorisation"]
    assert [a.original_name for a in atts] == ["营业执照副本.pdf", "法定代表人身份证.png",
                                               "授权委托书（盖章）.pdf"]
    assert [a.content_type for a in atts] == ["application/pdf", "image/png", "application/pdf"]
    files = {p.name: p for p in stored_files(app)}
    assert len(files) == 3
    for att in atts:
        assert att.stored_name in files and att.stored_name.endswith((".pdf", ".png"))
        assert att.order_id is None and att.uploaded_by_id == user.id
        assert hashlib.sha256(files[att.stored_name].read_bytes()).hexdigest() == att.sha256

    # The new Developer Admin can log in at once, on the web and through the API.
    client = login(app.test_client(), "binjiang", PASSWORD)
    assert client.get("/org/users/").status_code == 200
    assert api_token(app.test_client(), "binjiang", PASSWORD)


def _bad(case: str) -> tuple[dict[str, Any], dict[str, Any], str, str, dict[str, Any]]:
    """(form data, files, field, msgid, msgid values) for each refused registration."""
    cases = {
        "duplicate name": (form_data(name="江门市华信置业有限公司"), {}, "name",
                           "An organisation with this name is already registered.", {}),
        "duplicate uscc": (form_data(uscc="91440703MA4UJ7K26E"), {}, "uscc",
                           "An organisation with this unified social credit code is already registered.", {}),
        "duplicate username": (form_data(username="DEV_A"), {}, "username",
                               "The user name %(name)s is already taken.", {"name": "DEV_A"}),
        "uscc check char": (form_data(uscc=USCC[:17] + ("0" if USCC[17] != "0" else "1")), {}, "uscc",
                            "Unified social credit code check character is wrong.", {}),
        "id check digit": (form_data(legal_rep_id_no=make_resident_id()[:17] + (
            "0" if make_resident_id()[17] != "0" else "1")), {}, "legal_rep_id_no",
                           "ID number check digit is wrong.", {}),
        "mobile": (form_data(phone="0750-123"), {}, "phone",
                   "Mobile number must be 11 digits starting with 13 to 19.", {}),
        "district": (form_data(district_code="110101"), {}, "district_code",
                     "Please choose a district of Jiangmen.", {}),
        "missing file": ({**form_data()}, {"authorisation": None}, "authorisation",
                         "Please choose a file.", {}),
        "renamed exe": (form_data(), {"business_license": (b"MZ\x90\x00" + b"\x00" * 100, "营业执照.pdf")},
                        "business_license", "The file %(name)s is not of an allowed type (%(types)s).",
                        {"name": "营业执照.pdf", "types": "jpeg, jpg, pdf, png"}),
        "png named pdf": (form_data(), {"legal_rep_id": (png_bytes(), "身份证.pdf")}, "legal_rep_id",
                          "The file %(name)s is not of an allowed type (%(types)s).",
                          {"name": "身份证.pdf", "types": "jpeg, jpg, pdf, png"}),
        "text file": (form_data(), {"authorisation": (b"hello", "委托书.txt")}, "authorisation",
                      "The file %(name)s is not of an allowed type (%(types)s).",
                      {"name": "委托书.txt", "types": "jpeg, jpg, pdf, png"}),
        "weak password": (form_data(password="abcdefgh", password_confirm="abcdefgh"), {}, "password",
                          "The password must contain at least three of: lower-case letters, "
                          "upper-case letters, digits, symbols.", {}),
        "password mismatch": (form_data(password_confirm=PASSWORD + "1"), {}, "password_confirm",
                              "The two passwords do not match.", {}),
        "agreement": (form_data(agreement=None), {}, "agreement",
                      "Please read and accept the organisation registration agreement.", {}),
        "email taken": (form_data(email="dev_a@demo.jiangmen.invalid"), {}, "email",
                        "This e-mail address is already used by another account.", {}),
    }
    return cases[case]


@pytest.mark.parametrize("case", [
    "duplicate name", "duplicate uscc", "duplicate username", "uscc check char", "id check digit",
    "mobile", "district", "missing file", "renamed exe", "png named pdf", "text file",
    "weak password", "password mismatch", "agreement", "email taken",
])
def test_refused_registration_says_why_at_the_field_and_stores_nothing(app, session, anon_client, case):
    data, files, field, msgid, values = _bad(case)
    before = Counts(app, session)
    response = post(anon_client, data, upload_files(**files))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert translated(app, msgid, **values) in field_errors(page, field)
    assert before.unchanged(app, session)
    # Values are kept, passwords are not sent back.
    assert 'value="江门市江海区五邑路100号"' in page
    assert PASSWORD not in page


def test_too_large_file_is_refused(app, session, anon_client, monkeypatch):
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_MB", 1)
    big = pdf_bytes() + b"0" * (1024 * 1024)
    before = Counts(app, session)
    response = post(anon_client, form_data(), upload_files(business_license=(big, "营业执照.pdf")))
    assert response.status_code == 422
    expected = translated(app, "The file %(name)s is larger than %(mb)d MB.", name="营业执照.pdf", mb=1)
    assert expected in field_errors(response.get_data(as_text=True), "business_license")
    assert before.unchanged(app, session)


def test_all_problems_are_reported_together(app, anon_client):
    response = post(anon_client, form_data(name="", phone="123", password_confirm="x"),
                    upload_files(legal_rep_id=None))
    page = response.get_data(as_text=True)
    for field in ("name", "phone", "password_confirm", "legal_rep_id"):
        assert field_errors(page, field), field


def test_failed_commit_removes_written_files(app, session, monkeypatch):
    from app.services.attachments import UploadedFile
    from app.services.registration import RegistrationInput, register_developer

    before = Counts(app, session)
    data = RegistrationInput(**{k: v for k, v in form_data().items() if k != "agreement"},
                             agreement_accepted=True)
    files = {kind: UploadedFile(name, content) for kind, (content, name) in {
        "business_license": (pdf_bytes(), "a.pdf"), "legal_rep_id": (png_bytes(), "b.png"),
        "authorisation": (pdf_bytes(), "c.pdf")}.items()}

    def broken_commit() -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(session, "commit", broken_commit)
    with pytest.raises(RuntimeError):
        register_developer(session, data, files, upload_folder=app.config["UPLOAD_FOLDER"], max_mb=5)
    monkeypatch.undo()
    assert before.unchanged(app, session)


def test_registration_post_is_rate_limited(app, tmp_path):
    limited = build_test_app(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                             UPLOAD_FOLDER=str(tmp_path), RATELIMIT_ENABLED=True,
                             REGISTRATION_RATE_LIMIT="2 per hour")
    client = limited.test_client()
    codes = [post(client, form_data(agreement=None), upload_files()).status_code for _ in range(3)]
    assert codes == [422, 422, 429]
    assert client.get("/register/").status_code == 200  # only the POST is limited
    # The default app (RATELIMIT_ENABLED off in tests) never limits.
    other = app.test_client()
    assert {post(other, form_data(agreement=None), upload_files()).status_code
            for _ in range(3)} == {422}


def test_documents_of_a_refused_try_are_kept_for_the_next(app, session, anon_client):
    refused = post(anon_client, form_data(agreement=None), upload_files(legal_rep_id=None))
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "营业执照副本.pdf" in page and "授权委托书（盖章）.pdf" in page  # shown as kept
    assert page.count("jm-kept") == 2  # the missing one is not pretended kept
    # The second try sends only the document that was missing: the others are not picked again.
    again = post(anon_client, form_data(), upload_files(business_license=None, authorisation=None))
    assert again.status_code == 302, again.get_data(as_text=True)
    org = session.scalar(select(Organisation).where(Organisation.uscc == USCC))
    atts = session.scalars(select(Attachment).where(Attachment.org_id == org.id)
                           .order_by(Attachment.id)).all()
    assert [a.original_name for a in atts] == ["营业执照副本.pdf", "法定代表人身份证.png",
                                               "授权委托书（盖章）.pdf"]
    pending = list((Path(app.config["UPLOAD_FOLDER"]) / "pending").glob("*/*"))
    assert pending == []  # nothing left behind once registered


def test_another_visitor_never_gets_kept_documents(app, session, anon_client):
    post(anon_client, form_data(agreement=None), upload_files())
    stranger = app.test_client()
    response = post(stranger, form_data(username="other1", uscc=make_uscc()), {})
    assert response.status_code == 422  # no documents: the first visitor's are not used
