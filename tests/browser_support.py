"""Shared pieces of the browser tests: a live server and logged-in Playwright pages.

Import the fixtures into a test module (``from tests.browser_support import browser_page,
live_server  # noqa: F401``). Neither needs another fixture of this module, so importing those two
is enough.

- ``live_server``: the app over the test's freshly restored demo database, served by werkzeug on
  127.0.0.1:<free port> in a thread, with CSRF on, a trading-system simulator of its own, and the zh
  catalogue compiled from translations/fragments (what ``scripts/i18n.py build`` ships), so pages
  show Chinese even before the lead merges the fragments. ``live_server.url`` is its address.
  ``live_server.simulator`` is that simulator (``set_faults`` / ``reset_faults`` for slow or failing
  trading-system calls); ``live_server.app`` the served app.
- ``browser_page``: ``browser_page("dev_a")`` gives a new tab logged in as that demo user (no name:
  a visitor); ``lang="en"`` switches the UI language first; ``accept_dialogs=True`` answers every
  ``confirm()`` with OK (Playwright dismisses them otherwise). Each tab has its own cookies and
  accepts downloads. One headless Debian chromium serves all tabs of a test; it is closed afterwards.
"""
from __future__ import annotations

import importlib.util
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import pytest
from babel.messages.mofile import write_mo
from werkzeug.serving import make_server

from tests.conftest import DEMO_PASSWORD, build_test_app

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1366, "height": 900}


def compile_catalogue(tmp: Path) -> Path:
    """A translations/ directory whose zh catalogue is compiled from the fragments."""
    spec = importlib.util.spec_from_file_location("jm_i18n", ROOT / "scripts" / "i18n.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    target = tmp / "translations" / "zh" / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    with (target / "messages.mo").open("wb") as handle:
        write_mo(handle, module.load_fragments())
    return tmp / "translations"


@dataclass
class LiveServer:
    url: str
    app: Any
    simulator: Any


@pytest.fixture()
def live_server(app: Any, tmp_path: Path) -> Iterator[LiveServer]:
    from tradesim.testing import SimulatorServer

    simulator = SimulatorServer(str(tmp_path / "tradesim.sqlite")).start()
    served = build_test_app(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                            UPLOAD_FOLDER=app.config["UPLOAD_FOLDER"], WTF_CSRF_ENABLED=True,
                            TRADE_BASE_URL=simulator.url, TRADE_TOKEN=simulator.token,
                            TRADE_RETRIES=0,
                            BABEL_TRANSLATION_DIRECTORIES=str(compile_catalogue(tmp_path)),
                            HUEY_IMMEDIATE=False, HUEY_SQLITE_PATH=str(tmp_path / "queue.sqlite"))
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    consumer = start_consumer(served)
    yield LiveServer(f"http://127.0.0.1:{server.server_port}", served, simulator)
    consumer.stop(graceful=True)
    server.shutdown()
    thread.join(timeout=5)
    simulator.stop()


def start_consumer(served: Any) -> Any:
    """A huey consumer in this process, as ``make run`` starts beside the web server: order jobs
    run apart from the request that queued them, so the page shows their progress."""
    consumer = served.extensions["queue"].huey.create_consumer(
        workers=2, periodic=False, initial_delay=0.05, max_delay=0.2)
    # Its threads only: Consumer.start() would also take over the test process's signals.
    consumer.scheduler.start()
    for _name, worker in consumer.worker_threads:
        worker.start()
    return consumer


def goto(page: Any, url: str) -> Any:
    """Open a page with Bootstrap's fades off, so a screenshot never catches a dialog half-drawn."""
    response = page.goto(url)
    page.add_style_tag(content=".fade, .modal-backdrop { transition: none !important; }")
    page.evaluate("window.jQuery && (jQuery.support.transition = false)")
    return response


def choose_in_box(page: Any, select_css: str, text: str, *, keyboard: bool = False) -> None:
    """Choose the option named ``text`` in a search-as-you-type box (app/static/js/ajax-select.js)
    as a user does: open it, type the text key by key, pick the option the server sends back
    (with Enter when ``keyboard``: the box is reached and opened with the keyboard too)."""
    selection = page.locator(f"{select_css} + .select2 .select2-selection")
    if keyboard:
        selection.focus()
        page.keyboard.press("Enter")  # select2 opens on Enter, Space or Alt+ArrowDown
    else:
        selection.click()
    field = page.locator(".select2-container--open .select2-search__field")
    field.wait_for()
    field.press_sequentially(text)
    option = page.locator(".select2-container--open .select2-results__option").filter(
        has_text=re.compile(rf"^\s*{re.escape(text)}\s*$"))
    if keyboard:
        # The answer to the whole text highlights its first option (an answer to the first keys
        # may still be showing: wait for the wanted one to be the highlighted one).
        option.and_(page.locator(".select2-results__option--highlighted")).wait_for()
        page.keyboard.press("Enter")
    else:
        option.first.click()
    page.wait_for_function("([css, text]) => { const el = document.querySelector(css);"
                           " return el && el.selectedOptions.length && el.selectedOptions[0].text.trim() === text; }",
                           arg=[select_css, text])


def log_in(page: Any, base: str, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{base}/login/")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/login" not in page.url, f"login of {username} failed"


@pytest.fixture()
def browser_page(live_server: LiveServer) -> Iterator[Callable[..., Any]]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = None

        def open_page(username: Optional[str] = None, *, lang: Optional[str] = None,
                      accept_dialogs: bool = False) -> Any:
            nonlocal browser
            if browser is None:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", accept_downloads=True)
            page = context.new_page()
            page.set_default_timeout(20_000)
            if accept_dialogs:
                page.on("dialog", lambda dialog: dialog.accept())
            if username:
                log_in(page, live_server.url, username)
            if lang:
                page.goto(f"{live_server.url}/lang/{lang}")
            return page

        yield open_page
        if browser is not None:
            browser.close()
