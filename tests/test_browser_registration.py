"""Browser: register a developer, log in, add a staff user, deactivate them; screenshots of each step.

Runs the real pages in headless Debian chromium against a live server with CSRF switched on.
The server's catalogue is compiled from translations/fragments, i.e. what ``make translations``
ships, so the screenshots show the Chinese UI even before the lead merges the fragments.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from tests.browser_support import LiveServer, browser_page, live_server  # noqa: F401
from tests.conftest import DEMO_PASSWORD
from tests.test_org_support import make_resident_id, make_uscc, pdf_bytes, png_bytes

pytestmark = pytest.mark.browser

PASSWORD = "Kaifa#2026x"
STAFF_PASSWORD = "Jingban#2026"


def shot(page: Any, artifacts_dir: Path, name: str) -> None:
    page.screenshot(path=str(artifacts_dir / f"registration_{name}.png"), full_page=True)


def fill_registration(page: Any, files: dict[str, Path], uscc: str) -> None:
    page.fill("#name", "江门市滨江置业有限公司")
    page.fill("#uscc", uscc)
    page.fill("#legal_rep", "欧阳明华")
    page.fill("#legal_rep_id_no", make_resident_id())
    page.fill("#contact", "张伟")
    page.fill("#phone", "13912345678")
    page.fill("#address", "江门市江海区五邑路100号")
    page.select_option("#district_code", "440704")
    page.fill("#username", "binjiang")
    page.fill("#password", PASSWORD)
    page.fill("#password_confirm", PASSWORD)
    for kind, path in files.items():
        page.set_input_files(f"#{kind}", str(path))
    page.check("#agreement")


def log_in(page: Any, base: str, username: str, password: str) -> None:
    """Log in on the open tab, which may be refused (browser_page's own log-in insists on success)."""
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form [type=submit]")
    page.wait_for_load_state()


def test_register_log_in_add_and_deactivate_staff(
        live_server: LiveServer, browser_page: Callable[..., Any],  # noqa: F811
        artifacts_dir: Path, tmp_path: Path) -> None:
    live_url = live_server.url
    page = browser_page()
    files = {"business_license": tmp_path / "营业执照副本.pdf",
             "legal_rep_id": tmp_path / "法定代表人身份证.png",
             "authorisation": tmp_path / "授权委托书.pdf"}
    files["business_license"].write_bytes(pdf_bytes("business licence"))
    files["legal_rep_id"].write_bytes(png_bytes(120, 80))
    files["authorisation"].write_bytes(pdf_bytes("authorisation"))
    uscc = make_uscc()

    page.goto(live_url + "/")
    shot(page, artifacts_dir, "01_home")
    page.click("#jm-register")
    page.wait_for_selector("#jm-registration-form")
    assert "机构注册协议" in page.inner_text("#jm-agreement")

    # A wrong check character is shown at its field; the other values stay, files must be chosen again.
    fill_registration(page, files, uscc[:17] + ("1" if uscc[17] != "1" else "2"))
    page.click("#jm-register-submit")
    page.wait_for_selector('.jm-field-error[data-field="uscc"]')
    assert page.input_value("#name") == "江门市滨江置业有限公司"
    assert page.input_value("#password") == ""
    shot(page, artifacts_dir, "02_form_error")

    fill_registration(page, files, uscc)
    shot(page, artifacts_dir, "03_form_filled")
    page.click("#jm-register-submit")
    page.wait_for_selector("#jm-login-now")
    assert "binjiang" in page.inner_text(".jm-registration-done")
    shot(page, artifacts_dir, "04_done")

    page.click("#jm-login-now")
    page.fill("input[name=username]", "binjiang")
    page.fill("input[name=password]", PASSWORD)
    page.click("form [type=submit]")
    page.wait_for_load_state()
    shot(page, artifacts_dir, "05_logged_in")

    page.click("li.dropdown:has(a[href='/org/info/']) > a.dropdown-toggle")
    page.click("a[href='/org/info/']")
    page.fill("#phone", "13912340000")
    page.click("#jm-org-info-save")
    page.locator("#jm-org-changes td:has-text('13912340000')").wait_for()
    shot(page, artifacts_dir, "06_info_changed")

    page.click("li.dropdown:has(a[href='/org/users/']) > a.dropdown-toggle")
    page.click("a[href='/org/users/']")
    page.wait_for_selector("#jm-users")
    shot(page, artifacts_dir, "07_users")

    page.click("#jm-user-add")
    page.fill("#username", "bj_clerk")
    page.fill("#name", "周小红")
    page.fill("#phone", "13688880001")
    page.check("input[name=roles][value='Developer Staff (payment)']")
    page.fill("#password", STAFF_PASSWORD)
    page.fill("#password_confirm", STAFF_PASSWORD)
    shot(page, artifacts_dir, "08_add_user")
    page.click("#jm-user-save")
    row = page.locator("tr[data-username='bj_clerk']")
    row.wait_for()
    shot(page, artifacts_dir, "09_user_added")

    page.once("dialog", lambda dialog: dialog.accept())
    row.locator(".jm-user-deactivate").click()
    page.locator("tr[data-username='bj_clerk'] .jm-user-activate").wait_for()
    shot(page, artifacts_dir, "10_user_deactivated")

    page.goto(live_url + "/logout/")
    log_in(page, live_url, "bj_clerk", STAFF_PASSWORD)
    assert "/login" in page.url
    shot(page, artifacts_dir, "11_deactivated_login_refused")

    # The demo officer sees the new organisation with its documents.
    page.goto(live_url + "/logout/")
    log_in(page, live_url, "officer", DEMO_PASSWORD)
    page.goto(live_url + "/office/organisations/?q=滨江")
    page.click("text=江门市滨江置业有限公司")
    page.wait_for_selector("#jm-papers")
    assert "营业执照副本.pdf" in page.inner_text(".jm-attachments")
    page.click("#jm-papers-check")
    page.wait_for_selector("#jm-papers-uncheck")
    assert "13912340000" in page.inner_text("#jm-org-changes")
    shot(page, artifacts_dir, "12_office_view")
