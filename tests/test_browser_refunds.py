"""Browser: a refund from the queue to its payout. A paid house is cancelled by an approved 房屋注销
(the real services); the fund officer finds the refund in 退款管理, prints the 退款申请表, approves
it with an opinion, records the payout (first with a mistyped serial), and the developer sees it
paid in 我的退款 and on the house page. Screenshots: test-artifacts/refunds_*.png (zh, one en).
"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

import pytest
from sqlalchemy import select

from app.domain.localtime import local_today
from app.models.ledger import ENTRY_REFUND, LedgerEntry
from app.models.payment import REFUND_PAID, Refund
from app.services import refunds
from app.services.ledger import paid_amount
from tests.browser_support import LiveServer, browser_page, goto, live_server  # noqa: F401
from tests.refunds_support import cancelled_with_refunds

pytestmark = pytest.mark.browser


def shot(page: Any, artifacts_dir: Path, name: str) -> None:
    page.screenshot(path=str(artifacts_dir / f"refunds_{name}.png"), full_page=True)


def test_refund_from_queue_to_payout(live_server: LiveServer,  # noqa: F811
                                     browser_page: Callable[..., Any],  # noqa: F811
                                     session: Any, demo: Any, artifacts_dir: Path) -> None:
    url = live_server.url
    refund = cancelled_with_refunds(session, demo, ["1234.56", "88.00"])[0]
    number, refund_id, house_id = refunds.refund_number(refund), refund.id, refund.house_id
    house_code = refund.house.code

    officer = browser_page("officer", accept_dialogs=True)
    goto(officer, f"{url}/")
    officer.click("text=维修资金管理部门")
    officer.click("a:has-text('退款管理')")
    officer.wait_for_selector("#jm-refunds-table")
    assert number in officer.inner_text("#jm-refunds-table")
    officer.select_option("#jm-refund-filter select[name=status]", "pending")
    officer.click("#jm-refund-filter button[type=submit]")
    officer.wait_for_selector(f"tr[data-refund='{number}']")
    shot(officer, artifacts_dir, "01_queue")

    officer.click(f"tr[data-refund='{number}'] a.btn")
    officer.wait_for_selector("#jm-refund-summary")
    summary = officer.inner_text("#jm-refund-summary")
    assert "1,234.56" in summary and house_code in summary and "6216610200001234567" in summary
    assert officer.inner_text(".jm-house-balance") == "1,234.56"
    shot(officer, artifacts_dir, "02_refund_pending")

    # The 退款申请表, as the browser prints it
    with officer.context.expect_page() as printed:
        officer.click("#jm-print-refund-html")
    form = printed.value
    form.wait_for_load_state()
    assert number in form.inner_text("body") and "1,234.56" in form.inner_text("body")
    shot(form, artifacts_dir, "03_refund_form")
    form.close()

    # Rejecting needs an opinion: the error names the field
    officer.click("#jm-refund-reject")
    officer.wait_for_selector(".jm-problems")
    assert "意见" in officer.inner_text(".jm-problems")
    officer.fill("#jm-refund-opinion", "资料齐全，同意退款")
    officer.click("#jm-refund-approve")
    officer.wait_for_selector("#jm-refund-pay-form")
    assert "已审核，待支付" in officer.inner_text("h3")

    # A mistyped payout: both fields named, nothing booked
    officer.fill("#jm-payout-serial", "流水 号!")
    officer.fill("#jm-paid-on", "")
    officer.click("#jm-refund-pay")
    officer.wait_for_selector(".jm-problems")
    problems = officer.inner_text(".jm-problems")
    assert "退款银行流水号" in problems and "退款日期" in problems
    assert officer.locator(".has-error").count() == 2
    shot(officer, artifacts_dir, "04_payout_errors")

    officer.fill("#jm-payout-serial", "BK2026113000017")
    officer.fill("#jm-paid-on", local_today().isoformat())
    officer.click("#jm-refund-pay")
    officer.wait_for_selector(".jm-payout-serial")
    assert officer.inner_text(".jm-payout-serial") == "BK2026113000017"
    assert officer.inner_text(".jm-house-balance") == "0.00"
    assert "已登记支付" in officer.inner_text("#jm-refund-history")
    shot(officer, artifacts_dir, "05_paid")

    session.expire_all()
    assert session.get(Refund, refund_id).status == REFUND_PAID
    rows = session.scalars(select(LedgerEntry).where(LedgerEntry.refund_id == refund_id)).all()
    assert [(r.kind, r.amount) for r in rows] == [(ENTRY_REFUND, Decimal("-1234.56"))]
    assert paid_amount(session, house_id) == Decimal("0.00")

    # The developer sees where each refund stands, in the list and on the house page
    dev = browser_page("dev_a")
    goto(dev, f"{url}/my-refunds/")
    table = dev.inner_text("#jm-refunds-table")
    assert number in table and "已退款" in table and "待审核" in table
    shot(dev, artifacts_dir, "06_developer_list")
    goto(dev, f"{url}/property/houses/show/{house_id}")
    assert number in dev.inner_text("#jm-house-refunds")
    assert "-1,234.56" in dev.inner_text("#jm-ledger")
    shot(dev, artifacts_dir, "07_house_page")

    # The refund page in English
    english = browser_page("officer", lang="en")
    goto(english, f"{url}/refunds/{refund_id}")
    assert "Paid out" in english.inner_text("h3")
    assert "Bank serial number of the payout" in english.inner_text("#jm-refund-summary")
    shot(english, artifacts_dir, "08_paid_en")
