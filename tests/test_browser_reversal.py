"""Browser: 冲正 of a mistaken confirmation, requested by one fund officer and approved by another.

The demo officer opens a paid notice on the Payment confirmation screen and requests the reversal
with a reason; a second officer finds it in the reversal queue, checks the houses' balances and
approves; the notice is unpaid again and can be confirmed once more. Screenshots:
test-artifacts/reversal_*.png (zh, the last one en).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest
from sqlalchemy import select

from tests.browser_support import LiveServer, browser_page, goto, live_server  # noqa: F401
from tests.reversal_support import CHECKER, ledger_sum, paid_notice, second_officer

pytestmark = pytest.mark.browser


def shot(page: Any, artifacts_dir: Path, name: str) -> None:
    page.screenshot(path=str(artifacts_dir / f"reversal_{name}.png"), full_page=True)


def test_request_and_approve_a_reversal(live_server: LiveServer,  # noqa: F811
                                        browser_page: Callable[..., Any],  # noqa: F811
                                        app: Any, session: Any, demo: Any,
                                        artifacts_dir: Path) -> None:
    from app.models.payment import NOTICE_UNPAID, Notice
    from app.models.reversal import REVERSAL_APPROVED, PaymentReversal

    notice = paid_notice(session, demo, serial="BOC20261130-0042")
    number, notice_id = notice.number, notice.id
    house_ids = [line.house_id for line in notice.lines]
    second_officer(app, session)
    session.commit()
    base = live_server.url

    maker = browser_page("officer")
    goto(maker, f"{base}/bank/?number={number}")
    assert maker.locator("#jm-reversal-form").is_visible()
    maker.fill("#jm-reversal-reason", "付款人付错通知单，应为下一张通知单")
    shot(maker, artifacts_dir, "01_request_form")
    maker.click("#jm-request-reversal")
    maker.wait_for_selector("#jm-reversal-status")
    assert maker.locator("#jm-own-request").is_visible()
    assert maker.locator("#jm-approve").count() == 0
    assert "待审批" in maker.inner_text("#jm-reversal-status")
    shot(maker, artifacts_dir, "02_requested_maker_cannot_approve")

    checker = browser_page(CHECKER)
    goto(checker, f"{base}/reversals/")
    row = checker.locator("tr.jm-reversal-row", has_text=number)
    assert row.count() == 1
    shot(checker, artifacts_dir, "03_queue")
    row.locator("a.jm-open-reversal").click()
    checker.wait_for_selector("#jm-decide-form")
    assert "付款人付错通知单" in checker.inner_text("#jm-reversal-reason")
    shot(checker, artifacts_dir, "04_review")
    checker.fill("#jm-opinion", "核实为误确认，同意冲正")
    checker.click("#jm-approve")
    checker.wait_for_selector(".alert-success")
    assert "已冲正" in checker.inner_text("#jm-reversal-status")
    shot(checker, artifacts_dir, "05_approved")

    session.expire_all()
    assert session.get(Notice, notice_id).status == NOTICE_UNPAID
    assert ledger_sum(session, house_ids) == 0
    reversal = session.scalar(select(PaymentReversal).where(PaymentReversal.notice_id == notice_id))
    assert reversal.status == REVERSAL_APPROVED and reversal.opinion == "核实为误确认，同意冲正"

    english = browser_page("officer", lang="en")
    goto(english, f"{base}/bank/?number={number}")
    assert english.locator("#jm-confirm-form").is_visible()
    assert "Reversed" in english.inner_text("#jm-notice-reversals")
    shot(english, artifacts_dir, "06_unpaid_again_en")
