"""Browser: every role opens every entry of its navbar, as a user would, in the default zh UI.

Each page must open (status < 400), show no error, and show none of FAB's English words in its main
content; each role must see only its own screens. Screenshots: test-artifacts/walk_<role>_<n>.png
(0 is the landing page, then the menu entries in navbar order).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable

import pytest

from tests.browser_support import browser_page, goto, live_server  # noqa: F401

pytestmark = pytest.mark.browser

#: FAB's own words that must be translated in zh, as whole visible words.
ENGLISH_UI_WORDS = ("List", "Search", "Add", "Record Count", "Actions", "Edit", "Show", "Delete",
                    "Back", "Save", "Filter", "Not Found", "None", "True", "False")
ERROR_TEXTS = ("Traceback", "Internal Server Error")
#: FAB's permission screens (admin only) list permission and view names such as "menu access on
#: List Users": data in English by design, so only their status and errors are checked.
PERMISSION_SCREENS = ("/roles/", "/permissions/", "/viewmenus/", "/permissionviews/")
#: What each role's navbar must (and must not) lead to.
MUST_SEE = {
    "admin": ("/review/", "/fund/standards/list/", "/bank/", "/users/list/"),
    "officer": ("/review/", "/tradeoutboxview/list/", "/fund/audit/list/", "/bank/"),
    "teller": ("/bank/",),
    "dev_a": ("/org/info/", "/org/users/", "/property/houses/list/", "/payments/batch/"),
    "dev_a_staff": ("/property/houses/list/", "/contracts/", "/payments/owners/"),
    "dev_b": ("/org/users/", "/order-form/collect", "/notices/list/"),
}
DEVELOPER_NEVER = ("/review/", "/fund/", "/bank/", "/users/list/", "/office/", "/tradeoutboxview/")
MUST_NOT_SEE = {
    "admin": ("/org/info/", "/org/users/"),
    "officer": ("/org/", "/users/list/", "/order-form/", "/payments/"),
    "teller": ("/property/", "/notices/", "/review/", "/fund/", "/org/", "/payments/", "/users/list/"),
    "dev_a": DEVELOPER_NEVER,
    "dev_a_staff": DEVELOPER_NEVER + ("/org/info/", "/org/users/"),
    "dev_b": DEVELOPER_NEVER,
}


def navbar_links(page: Any) -> list[str]:
    """The addresses the navbar offers: the menus and the user's own menu, not logout/language."""
    hrefs = page.eval_on_selector_all("#jm-menu a[href], #jm-user-menu a[href]",
                                      "links => links.map(a => a.getAttribute('href'))")
    wanted = [h for h in hrefs if h.startswith("/") and not h.startswith(("/logout", "/lang/"))]
    return list(dict.fromkeys(wanted))


def english_words(text: str) -> list[str]:
    return [word for word in ENGLISH_UI_WORDS
            if re.search(rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])", text)]


def check_page(page: Any, url: str, status: int) -> list[str]:
    problems = []
    if status >= 400:
        problems.append(f"{url}: HTTP {status}")
    body = page.inner_text("body")
    problems += [f"{url}: shows {text!r}" for text in ERROR_TEXTS if text in body]
    if not url.startswith(PERMISSION_SCREENS):
        main = page.inner_text("body > div.container")
        problems += [f"{url}: English {word!r} left in the zh UI" for word in english_words(main)]
    return problems


@pytest.mark.parametrize("role", list(MUST_SEE))
def test_every_menu_entry_opens_in_chinese(role: str, live_server: Any,  # noqa: F811
                                           browser_page: Callable[..., Any],  # noqa: F811
                                           artifacts_dir: Path) -> None:
    page = browser_page(role)
    response = goto(page, f"{live_server.url}/")
    links = navbar_links(page)
    for url in MUST_SEE[role]:
        assert url in links, f"{role} has no menu entry for {url}: {links}"
    for prefix in MUST_NOT_SEE[role]:
        assert not [link for link in links if link.startswith(prefix)], f"{role} may open {prefix}"

    page.screenshot(path=str(artifacts_dir / f"walk_{role}_0.png"), full_page=True)
    problems = check_page(page, "/", response.status)
    for number, url in enumerate(links, start=1):
        response = goto(page, f"{live_server.url}{url}")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(artifacts_dir / f"walk_{role}_{number}.png"), full_page=True)
        problems += check_page(page, url, response.status)
    assert not problems, "\n".join(problems)


def test_english_ui_reads_english(live_server: Any, browser_page: Callable[..., Any],  # noqa: F811
                                  artifacts_dir: Path) -> None:
    page = browser_page("dev_a", lang="en")
    for number, url in enumerate(("/", "/property/houses/list/", "/payments/batch/")):
        response = goto(page, f"{live_server.url}{url}")
        assert response.status < 400
        page.screenshot(path=str(artifacts_dir / f"walk_dev_a_en_{number}.png"), full_page=True)
        menu = page.inner_text("#jm-menu")
        assert "Property Management" in menu and "物业区域管理" not in menu
    assert "Record Count" in page.inner_text("body") or "Amount due" in page.content()


def test_amounts_in_picker_and_payment_pages_have_thousands_separators(
        live_server: Any, browser_page: Callable[..., Any]) -> None:  # noqa: F811
    page = browser_page("dev_a")
    goto(page, f"{live_server.url}/payments/custom/")
    assert page.evaluate("JMForm.money('1234567.50')") == "1,234,567.50"
    assert page.evaluate("JMForm.money('-1234.5')") == "-1,234.5"
    assert page.evaluate("JMForm.money('999.00')") == "999.00"
    assert page.evaluate("JMForm.money('')") == ""


# ---------------------------------------------------------------- English: codes and field names

#: Chinese names of every code table entry: in the English UI a cell, a definition or an option
#: showing exactly one of them is a code value left untranslated.
def chinese_code_names() -> set[str]:
    from app.services.reference import CODE_TABLES

    return {row[1] for rows in CODE_TABLES.values() for row in rows}


#: A visible snake_case word (``agent_id_no``, ``area.name``) is an internal field name.
RAW_FIELD = re.compile(r"(?<![\w/.#=?&:@-])[a-z]+(?:[_.][a-z0-9]+)+(?![\w/(@-])")
#: The code-table editor shows each code with its Chinese and English names: that is its job.
CODE_EDITOR = "/fund/codes/"
#: Deposit standard names are the office's own text (the seeded examples are Chinese).
FREE_TEXT_SCREENS = ("/fund/standards/",)
#: Lowercase dotted words the pages show on purpose: e-mail domains, file names.
RAW_FIELD_ALLOWED = re.compile(r"^[\w.-]+\.(com|cn|org|net|xlsx|pdf|png|jpg)$")
CODE_CELLS_JS = """names => Array.from(document.querySelectorAll(
    'body > div.container td, body > div.container dd, body > div.container option:checked,'
    + ' body > div.container .label, body > div.container th'))
  .map(e => e.innerText.trim()).filter(t => names.includes(t))"""


def english_problems(page: Any, url: str, status: int, codes: list[str],
                     data_words: set[str]) -> list[str]:
    """Chinese code values and internal field names on the page; ``data_words`` are user names."""
    problems = [] if status < 400 else [f"{url}: HTTP {status}"]
    if url.startswith(CODE_EDITOR):
        return problems
    main = page.inner_text("body > div.container")
    if not url.startswith(FREE_TEXT_SCREENS):
        problems += [f"{url}: code value {name!r} in Chinese"
                     for name in sorted(set(page.evaluate(CODE_CELLS_JS, codes)))]
    raw = [w for w in RAW_FIELD.findall(main)
           if not RAW_FIELD_ALLOWED.match(w) and w not in data_words]
    problems += [f"{url}: internal field name {word!r}" for word in sorted(set(raw))]
    return problems


def first_show_link(page: Any) -> str | None:
    """The first record's show page of a list screen, if the list has one."""
    hrefs = page.eval_on_selector_all(
        "body > div.container a[href*='/show/']", "links => links.map(a => a.getAttribute('href'))")
    return hrefs[0] if hrefs else None


@pytest.mark.parametrize("role", list(MUST_SEE))
def test_english_walkthrough_shows_no_chinese_codes_or_field_names(
        role: str, live_server: Any, browser_page: Callable[..., Any],  # noqa: F811
        artifacts_dir: Path, demo: Any) -> None:
    codes = sorted(chinese_code_names())
    usernames = set(demo.users)
    page = browser_page(role, lang="en")
    response = goto(page, f"{live_server.url}/")
    problems = english_problems(page, "/", response.status, codes, usernames)
    seen: set[str] = set()
    for number, url in enumerate(navbar_links(page), start=1):
        response = goto(page, f"{live_server.url}{url}")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(artifacts_dir / f"walk_en_{role}_{number}.png"), full_page=True)
        problems += english_problems(page, url, response.status, codes, usernames)
        show = first_show_link(page)
        if show and show.split("/show/")[0] not in seen:
            seen.add(show.split("/show/")[0])
            response = goto(page, f"{live_server.url}{show}")
            page.screenshot(path=str(artifacts_dir / f"walk_en_{role}_{number}_show.png"),
                            full_page=True)
            problems += english_problems(page, show, response.status, codes, usernames)
    assert not problems, "\n".join(problems)
