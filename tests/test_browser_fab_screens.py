"""Browser: FAB's own screens speak the page's language (roles, permissions, dialogs, select2).

The role list calls its column 角色名称 (not 姓名) and lists permissions by translated name;
permission screens show no raw names such as ``can_read``; the delete dialog's buttons, select2's
"Remove all items" and its placeholder are translated, and a filter on a related column never
shows FAB's internal ``__None``. Screenshots: test-artifacts/fab_*.png.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable

import pytest

from tests.browser_support import browser_page, goto, live_server  # noqa: F401

pytestmark = pytest.mark.browser
RAW_PERMISSION = re.compile(r"\bcan_[a-z_]+|\bmenu_access\b")


def shot(page: Any, artifacts_dir: Path, name: str) -> None:
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts_dir / f"fab_{name}.png"), full_page=True)


def test_fab_screens_in_chinese(live_server: Any, browser_page: Callable[..., Any],  # noqa: F811
                                artifacts_dir: Path) -> None:
    page = browser_page("admin")
    goto(page, f"{live_server.url}/roles/list/")
    header = page.inner_text("body > div.container table thead")
    assert "角色名称" in header and "姓名" not in header
    body = page.inner_text("body > div.container")
    assert "维修资金管理部门" in body or "平台管理员" in body  # role names by label
    assert not RAW_PERMISSION.search(body)
    shot(page, artifacts_dir, "01_roles")
    for url in ("/permissions/list/", "/permissionviews/list/", "/viewmenus/list/"):
        goto(page, f"{live_server.url}{url}")
        body = page.inner_text("body > div.container")
        assert not RAW_PERMISSION.search(body), url
    shot(page, artifacts_dir, "02_permission_views")

    # FAB's confirmation dialog (a user's delete button).
    goto(page, f"{live_server.url}/users/list/")
    page.locator("body > div.container a.confirm").first.click()
    page.wait_for_selector("#modal-confirm.in")
    buttons = page.inner_text("#modal-confirm .modal-footer")
    assert "取消" in buttons and "确定" in buttons and "Cancel" not in buttons
    shot(page, artifacts_dir, "03_confirm")
    page.click("#modal-confirm button[data-dismiss=modal]")

    # select2 on FAB's user form: translated placeholder and "remove all".
    goto(page, f"{live_server.url}/users/add")
    page.wait_for_selector(".select2-container")
    html = page.content()
    assert "Select a State" not in page.inner_text("body")
    assert page.evaluate("$.fn.select2.defaults.defaults.language.removeAllItems()") == "清除全部"
    shot(page, artifacts_dir, "04_user_form")
    assert "__None" not in page.inner_text("body") and html


def test_related_filter_never_shows_internal_none(live_server: Any,  # noqa: F811
                                                  browser_page: Callable[..., Any],  # noqa: F811
                                                  artifacts_dir: Path) -> None:
    page = browser_page("dev_a")
    goto(page, f"{live_server.url}/property/houses/list/?_flt_0_building=__None")
    page.wait_for_load_state("networkidle")
    shot(page, artifacts_dir, "05_filter_none")
    assert "__None" not in page.inner_text("body")
    goto(page, f"{live_server.url}/property/houses/list/")
    page.evaluate("$('#filter_form').parents('.collapse').addClass('in')")  # the 查询 panel, opened
    page.click("#filter_form .dropdown-toggle")
    page.click('#filter_form a.filter[name="building"]')
    page.wait_for_selector("#filter_form table.filters select")
    shot(page, artifacts_dir, "06_filter_building")
    assert "__None" not in page.inner_text("body")
