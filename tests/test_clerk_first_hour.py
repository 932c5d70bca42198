"""What a new clerk hits first: login messages and links, start-up log noise, the house list."""
from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Any, Iterator

import pytest
from flask import Flask

from tests.conftest import DEMO_PASSWORD


def _login(client: Any, username: str, password: str) -> str:
    response = client.post("/login/", data={"username": username, "password": password},
                           follow_redirects=True)
    return response.get_data(as_text=True)


def test_deactivated_user_is_told_so_only_after_the_right_password(app: Flask, session: Any,
                                                                   demo: Any) -> None:
    demo.users["dev_b"].active = False
    session.commit()
    right = _login(app.test_client(), "dev_b", DEMO_PASSWORD)
    assert "账号已停用" in right and "/logout" not in right
    wrong = _login(app.test_client(), "dev_b", "Wrong@2026x")
    assert "账号已停用" not in wrong
    unknown = _login(app.test_client(), "nobody_here", DEMO_PASSWORD)
    assert "账号已停用" not in unknown
    assert wrong.count("alert-warning") == unknown.count("alert-warning") == 1  # the same answer


def test_login_page_links_to_developer_registration(anon_client: Any) -> None:
    html = anon_client.get("/login/").get_data(as_text=True)
    assert 'href="/register/"' in html and "开发商注册" in html


@contextmanager
def warnings_logged() -> Iterator[list[str]]:
    """The messages of WARNING and above logged meanwhile (independent of pytest's log capture;
    FAB's loggers, quietened for the test run, are let through)."""
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    handler = Collect(logging.WARNING)
    root, fab = logging.getLogger(), logging.getLogger("flask_appbuilder")
    level = fab.level
    fab.setLevel(logging.WARNING)
    root.addHandler(handler)
    try:
        yield messages
    finally:
        root.removeHandler(handler)
        fab.setLevel(level)


def test_login_without_next_logs_no_invalid_redirect(app: Flask) -> None:
    client = app.test_client()
    with warnings_logged() as logged:
        response = client.post("/login/", data={"username": "dev_a", "password": DEMO_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    assert not [m for m in logged if "Invalid redirect" in m]
    evil = app.test_client().post("/login/?next=https://evil.example/",
                                  data={"username": "dev_a", "password": DEMO_PASSWORD})
    assert "evil.example" not in evil.headers["Location"]


def test_role_sync_deletes_no_shared_permissions(app: Flask) -> None:
    from app.security.sync import sync_roles

    with warnings_logged() as logged:
        sync_roles(app.appbuilder.sm)
        sync_roles(app.appbuilder.sm)
    assert [m for m in logged if "Refused to delete" in m] == []


def test_house_list_shows_the_property_area(dev_a_client: Any, demo: Any) -> None:
    html = dev_a_client.get("/property/houses/list/").get_data(as_text=True)
    assert "<th" in html and demo.area_a.name in html
    header = html[html.index("<thead"):html.index("</thead>")]
    assert "物业区域" in header


@pytest.mark.parametrize("lang,expected", [("en", "Unsold"), ("zh", "未售")])
def test_house_page_shows_sales_status_in_the_ui_language(client_for: Any, session: Any, demo: Any,
                                                          lang: str, expected: str) -> None:
    demo.house_a.sales_status = "未售"
    session.commit()
    client = client_for("dev_a")
    client.get(f"/lang/{lang}")
    html = client.get(f"/property/houses/show/{demo.house_a.id}").get_data(as_text=True)
    assert expected in html


def test_kept_uploads_expire_and_keys_cannot_name_paths(tmp_path: Any) -> None:
    import os
    import time

    from app.services import pending_uploads
    from app.services.attachments import UploadedFile

    folder = str(tmp_path)
    key = pending_uploads.new_key()
    pdf = UploadedFile("营业执照.pdf", b"%PDF-1.4\n%test\n")
    bad = UploadedFile("x.pdf", b"MZ not a pdf")
    assert pending_uploads.keep(folder, key, {"business_license": pdf, "authorisation": bad},
                                max_mb=1) == {"business_license": "营业执照.pdf"}
    assert pending_uploads.load(folder, key, "business_license") == pdf
    assert pending_uploads.load(folder, key, "authorisation") is None
    with pytest.raises(ValueError):
        pending_uploads.load(folder, "../../etc", "business_license")
    old = time.time() - pending_uploads.MAX_AGE.total_seconds() - 60
    os.utime(tmp_path / "pending" / key, (old, old))
    assert pending_uploads.sweep(folder) == 1
    assert pending_uploads.kept_names(folder, key) == {}
