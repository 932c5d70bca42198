"""Chinese by default, English selectable, and no string left untranslated (ours or FAB's)."""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale, gettext


ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u4e00-\u9fff]")
#: FAB's own words the platform's pages show (menus, list pages, forms, user menu).
FAB_UI_STRINGS = ["List", "Search", "Add", "Edit", "Show", "Delete", "Actions", "Record Count", "Logout",
                  "Login", "User info", "Reset my password", "Language", "Page size", "Previous", "Next",
                  "Save", "Back", "Detail", "Add Filter", "Order by", "Not a valid choice"]


def load_i18n_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("jm_i18n_script", ROOT / "scripts" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_msgid_used_in_app_has_a_chinese_translation() -> None:
    missing = load_i18n_script().untranslated()
    listing = "\n".join(f"{where}: {msgid!r}" for msgid, where in sorted(missing.items(), key=lambda i: i[1]))
    assert not missing, f"{len(missing)} msgids without zh (add them to your translations/fragments/*.po):\n{listing}"


def test_fab_strings_the_ui_shows_are_covered_by_fab_or_our_fragments() -> None:
    import flask_appbuilder
    from babel.messages.mofile import read_mo

    fab_mo = Path(flask_appbuilder.__file__).parent / "translations" / "zh" / "LC_MESSAGES" / "messages.mo"
    with fab_mo.open("rb") as handle:
        fab = read_mo(handle)
    ours = load_i18n_script().load_fragments()
    uncovered = [s for s in FAB_UI_STRINGS
                 if not ((s in ours and CJK.search(ours[s].string or "")) or
                         (s in fab and CJK.search(fab[s].string or "")))]
    assert not uncovered, uncovered


def test_fab_has_no_untranslated_strings_left() -> None:
    import contextlib
    import io

    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        load_i18n_script().missing_fab()
    assert "msgid" not in output.getvalue(), output.getvalue()


@pytest.mark.parametrize("msgid", FAB_UI_STRINGS)
def test_fab_strings_render_in_chinese(app: Flask, msgid: str) -> None:
    with app.test_request_context("/"), force_locale("zh"):
        assert CJK.search(gettext(msgid)), f"{msgid!r} is not Chinese in the compiled catalog"


def test_logout_is_not_the_word_for_deactivation(app: Flask) -> None:
    """注销 means deactivating a user or cancelling a house in the manual; logging out is 退出."""
    with app.test_request_context("/"), force_locale("zh"):
        assert "退出" in gettext("Logout")


def test_chinese_is_the_default(anon_client: Any) -> None:
    html = anon_client.get("/login/").get_data(as_text=True)
    assert "登录" in html and "Login" not in re.sub(r"<[^>]+>", " ", html).split()


def test_list_page_is_chinese_including_fab_parts(dev_a_client: Any) -> None:
    html = dev_a_client.get("/property/houses/list/").get_data(as_text=True)
    for text in ("记录数", "每页行数", "查询", "退出登录", "房屋编号", "应交金额", "导出Excel"):
        assert text in html, text
    for english in ("Record Count", "Page size", "Logout", "House No."):
        assert english not in html, english


def test_lang_en_switches_to_english_and_back(dev_a_client: Any) -> None:
    assert dev_a_client.get("/lang/en").status_code == 302
    html = dev_a_client.get("/property/houses/list/").get_data(as_text=True)
    assert "Record Count" in html and "House No." in html and "房屋编号" not in html
    dev_a_client.get("/lang/zh")
    assert "房屋编号" in dev_a_client.get("/property/houses/list/").get_data(as_text=True)


def test_unknown_language_falls_back_to_chinese(dev_a_client: Any) -> None:
    dev_a_client.get("/lang/xx")
    assert "房屋编号" in dev_a_client.get("/property/houses/list/").get_data(as_text=True)
