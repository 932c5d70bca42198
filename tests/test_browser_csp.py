"""Browser: under the Content-Security-Policy the pages, Swagger UI and the print views still work,
and the browser reports no CSP violation on any of them.

Violations are caught twice: the console messages chromium prints ("Refused to ...") and the
``securitypolicyviolation`` events the page fires. Screenshots: test-artifacts/csp_*.png.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Callable

import pytest
from sqlalchemy import select

from tests.browser_support import browser_page, goto, live_server  # noqa: F401
from tests.test_browser_walkthrough import navbar_links

pytestmark = pytest.mark.browser

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + e.sourceFile + ':' + e.lineNumber);
});
"""


def watched(page: Any) -> list[str]:
    """Start recording the page's CSP violations; returns the list the console ones go to."""
    found: list[str] = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on("console", lambda message: found.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text else None)
    return found


def violations(page: Any, console: list[str], url: str) -> list[str]:
    events = page.evaluate("window.__cspViolations || []")
    return [f"{url}: {text}" for text in [*console, *events]]


def visit(page: Any, base: str, url: str, console: list[str]) -> list[str]:
    console.clear()
    response = goto(page, f"{base}{url}")
    page.wait_for_load_state("networkidle")
    problems = violations(page, console, url)
    if response.status >= 400:
        problems.append(f"{url}: HTTP {response.status}")
    return problems


@pytest.mark.parametrize("role", ["admin", "officer", "dev_a"])
def test_no_csp_violation_on_the_main_pages(role: str, live_server: Any,  # noqa: F811
                                            browser_page: Callable[..., Any],  # noqa: F811
                                            artifacts_dir: Path) -> None:
    page = browser_page()
    console = watched(page)
    from tests.browser_support import log_in

    log_in(page, live_server.url, role)
    problems = visit(page, live_server.url, "/", console)
    links = navbar_links(page)
    assert len(links) > 3, links
    for url in links:
        problems += visit(page, live_server.url, url, console)
    page.screenshot(path=str(artifacts_dir / f"csp_{role}_last.png"), full_page=True)
    assert not problems, "\n".join(problems)


def test_swagger_ui_works_under_the_policy(live_server: Any, browser_page: Callable[..., Any],  # noqa: F811
                                           artifacts_dir: Path) -> None:
    page = browser_page()
    console = watched(page)
    from tests.browser_support import log_in

    log_in(page, live_server.url, "admin")
    problems = visit(page, live_server.url, "/swagger/v1", console)
    page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)
    page.screenshot(path=str(artifacts_dir / "csp_swagger.png"), full_page=False)
    assert page.locator(".swagger-ui .opblock").count() > 10
    assert not problems and not violations(page, console, "/swagger/v1"), problems


def test_print_view_and_confirmations_work_under_the_policy(live_server: Any, session: Any, demo: Any,  # noqa: F811
                                                            browser_page: Callable[..., Any],  # noqa: F811
                                                            artifacts_dir: Path) -> None:
    from app.security.models import PlatformUser
    from app.services.payments import issue_building_notices

    notice = issue_building_notices(session, demo.area_a, [demo.building_a.id], user_id=None).notices[0]
    page = browser_page()
    console = watched(page)
    from tests.browser_support import log_in

    log_in(page, live_server.url, "dev_a")
    url = f"/notices/print/{notice.id}?format=html"
    problems = visit(page, live_server.url, url, console)
    assert page.locator(".sheet").count() >= 1
    assert notice.number in page.content()
    page.screenshot(path=str(artifacts_dir / "csp_print_notice.png"), full_page=False)

    # a confirmation (data-jm-confirm, no inline handler): dismissed, nothing happens; accepted, it does
    problems += visit(page, live_server.url, "/org/users/", console)
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.click("tr[data-username='dev_a_staff'] .jm-user-deactivate")
    page.wait_for_load_state("networkidle")
    assert asked and "dev_a_staff" in asked[0]
    session.expire_all()
    staff = session.scalar(select(PlatformUser).where(PlatformUser.username == "dev_a_staff"))
    assert staff.active
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("tr[data-username='dev_a_staff'] .jm-user-deactivate")
    session.expire_all()
    assert not session.get(PlatformUser, staff.id).active
    problems += violations(page, console, "/org/users/ (after deactivate)")
    assert not problems, "\n".join(problems)


def test_the_officer_unlocks_a_locked_account(live_server: Any, session: Any, demo: Any,  # noqa: F811
                                              browser_page: Callable[..., Any],  # noqa: F811
                                              artifacts_dir: Path) -> None:
    from app.models.base import utcnow
    from app.security.models import PlatformUser

    user = session.get(PlatformUser, demo.users["dev_b"].id)
    user.locked_until = utcnow() + dt.timedelta(minutes=12)
    session.commit()
    page = browser_page()
    console = watched(page)
    from tests.browser_support import log_in

    log_in(page, live_server.url, "officer")
    problems = visit(page, live_server.url, "/fund/locked-accounts/", console)
    assert "dev_b" in page.inner_text("#jm-locked-accounts")
    page.screenshot(path=str(artifacts_dir / "csp_locked_accounts.png"), full_page=True)
    with page.expect_navigation():
        page.click("tr[data-username='dev_b'] .jm-unlock")
    page.wait_for_load_state("networkidle")
    assert page.locator("#jm-no-locked-accounts").count() == 1
    page.screenshot(path=str(artifacts_dir / "csp_locked_accounts_unlocked.png"), full_page=True)
    session.expire_all()
    assert session.get(PlatformUser, user.id).locked_until is None
    problems += violations(page, console, "/fund/locked-accounts/ (after unlock)")
    assert not problems, "\n".join(problems)

    # the policy is enforced and the watcher sees it: a script without the nonce is refused
    page.evaluate("""() => { const s = document.createElement('script');
                            s.textContent = 'window.__injected = 1'; document.body.appendChild(s); }""")
    page.wait_for_timeout(200)
    assert page.evaluate("window.__injected") is None
    assert violations(page, console, "injected")
