"""Browser: 房屋注销 (§1.3.8): pick houses in the 楼盘表, enter the refund account, submit, the fund
office reviews the balances to refund, approves, prints the 退款申请表; the form in English.
Screenshots go to test-artifacts/houses_*.png.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

import pytest
from sqlalchemy import select

from app.models.order import APPROVED, BusinessOrder
from app.models.payment import Refund
from app.models.property import HOUSE_CANCELLED, HOUSE_OPEN, House
from app.services.ledger import book_deposit
from tests.browser_support import LiveServer, browser_page, choose_in_box, live_server  # noqa: F401
from tests.test_browser_orders import fill_agent

pytestmark = pytest.mark.browser


def shot(page: Any, artifacts_dir: Path, name: str) -> None:
    page.screenshot(path=str(artifacts_dir / f"houses_{name}.png"), full_page=True)


def test_house_cancellation_end_to_end(live_server: LiveServer,
                                       browser_page: Callable[..., Any],  # noqa: F811
                                       session: Any, demo: Any, artifacts_dir: Path) -> None:
    url = live_server.url
    houses = session.scalars(select(House).where(House.building_id == demo.building_a.id,
                                                 House.status == HOUSE_OPEN)
                             .order_by(House.id).limit(2)).all()
    book_deposit(session, houses[0], Decimal("800.00"), notice_id=None, payment_type="bank",
                 value_date=dt.date(2026, 3, 1))
    session.commit()
    dev = browser_page("dev_a", accept_dialogs=True)
    dev.goto(f"{url}/order-form/house-cancel")
    choose_in_box(dev, "#f-area_id", demo.area_a.name)
    fill_agent(dev)
    dev.fill("#f-reason", "房屋灭失")
    dev.click("#jm-pick-rows")
    dev.locator(".hp-building", has_text=demo.building_a.name).click()
    for house in houses:
        dev.click(f'#hp-modal td.hp-cell[title^="{house.code}"]')
    shot(dev, artifacts_dir, "01_cancel_picker")
    dev.click(".hp-confirm")
    dev.wait_for_selector("#jm-extra-refunds tbody tr")
    assert "800.00" in dev.inner_text("#jm-extra-refunds")
    # Without the refund account the order cannot be submitted; the fields are named.
    dev.click("#jm-save-submit")
    dev.wait_for_selector("[data-field='refund_account_no']")
    shot(dev, artifacts_dir, "02_cancel_account_required")
    dev.fill("#f-refund_account_name", "江门市华信置业有限公司")
    dev.fill("#f-refund_bank_name", "中国银行江门分行")
    dev.fill("#f-refund_account_no", "6216610200001234567")
    dev.click("#jm-save-submit")
    dev.wait_for_selector("#jm-print-now")
    number = re.search(r"ZX\d{13}", dev.inner_text("h3")).group(0)
    shot(dev, artifacts_dir, "03_cancel_submitted")

    officer = browser_page("officer", accept_dialogs=True)
    order = session.scalars(select(BusinessOrder).where(BusinessOrder.number == number)).one()
    officer.goto(f"{url}/review/{order.id}")
    assert "jm-changed" in officer.inner_html("#jm-lines-table")
    assert "800.00" in officer.inner_text("#jm-extra-refunds")
    shot(officer, artifacts_dir, "04_cancel_review")
    if officer.locator("#jm-papers-checked").count():
        officer.check("#jm-papers-checked")
    officer.click("#jm-accept")
    officer.click("#jm-approve")
    officer.wait_for_selector(".jm-status[data-status='approved']")
    shot(officer, artifacts_dir, "05_cancel_approved")
    officer.goto(f"{url}/review/{order.id}/print/refund.html")
    assert "6216610200001234567" in officer.inner_text("body")
    shot(officer, artifacts_dir, "06_refund_form")
    session.expire_all()
    assert session.get(BusinessOrder, order.id).status == APPROVED
    assert {session.get(House, h.id).status for h in houses} == {HOUSE_CANCELLED}
    refund = session.scalars(select(Refund).where(Refund.order_id == order.id)).one()
    assert (refund.house_id, refund.amount) == (houses[0].id, Decimal("800.00"))


def test_house_cancellation_form_in_english(live_server: LiveServer,
                                            browser_page: Callable[..., Any],  # noqa: F811
                                            artifacts_dir: Path) -> None:
    dev = browser_page("dev_a", lang="en")
    dev.goto(f"{live_server.url}/order-form/house-cancel")
    assert "House cancellation" in dev.inner_text("h3")
    assert "Add houses" in dev.inner_text("#jm-intake")
    assert "Refund account" in dev.inner_text("#jm-header")
    shot(dev, artifacts_dir, "07_cancel_form_en")


def test_ownership_change_end_to_end(live_server: LiveServer,
                                     browser_page: Callable[..., Any],  # noqa: F811
                                     session: Any, demo: Any, artifacts_dir: Path) -> None:
    url = live_server.url
    house = session.scalars(select(House).where(House.building_id == demo.building_a.id,
                                                House.status == HOUSE_OPEN)
                            .order_by(House.id.desc()).limit(1)).one()
    dev = browser_page("dev_a", accept_dialogs=True)
    dev.goto(f"{url}/order-form/ownership-change")
    choose_in_box(dev, "#f-area_id", demo.area_a.name)
    fill_agent(dev)
    dev.fill("#f-reason", "产权转移")
    dev.click("#jm-pick-rows")
    dev.locator(".hp-building", has_text=demo.building_a.name).click()
    dev.click(f'#hp-modal td.hp-cell[title^="{house.code}"]')
    dev.click(".hp-confirm")
    # Each change reloads the form: wait until the new page has wired its buttons (orders.js).
    dev.wait_for_selector("#jm-order-page[data-jm-ready] .jm-line-edit")
    dev.click(".jm-line-edit")
    dev.wait_for_selector("#jm-owners-modal tbody tr", state="visible")
    rows = dev.locator("#jm-owners-table tbody tr")
    for i in range(rows.count() - 1, 0, -1):  # keep the first owner, delete the others
        rows.nth(i).locator(".jm-owner-delete").click()
    first = dev.locator("#jm-owners-table tbody tr").nth(0)
    first.locator("[data-key=name]").fill("张伟")
    first.locator("[data-key=id_type]").select_option("01")
    first.locator("[data-key=id_no]").fill("11010519491231002X")
    first.locator("[data-key=phone]").fill("13800138002")
    first.locator("[data-key=share]").fill("60")
    dev.click("#jm-owner-add")
    new = dev.locator("#jm-owners-table tbody tr").nth(1)
    new.locator("[data-key=name]").fill("王芳")
    new.locator("[data-key=id_type]").select_option("02")
    new.locator("[data-key=id_no]").fill("E12345678")
    new.locator("[data-key=phone]").fill("12")  # wrong: refused with the row and field
    new.locator("[data-key=share]").fill("40")
    dev.click("#jm-owners-ok")
    dev.wait_for_selector("#jm-owners-modal .jm-owners-errors :text-matches('.+')")
    shot(dev, artifacts_dir, "08_owners_dialog_error")
    new.locator("[data-key=phone]").fill("13900139001")
    dev.click("#jm-owners-ok")
    dev.wait_for_selector("#jm-order-page[data-jm-ready] #jm-lines-table td:has-text('王芳')")
    shot(dev, artifacts_dir, "09_ownership_form")
    dev.click("#jm-save-submit")
    dev.wait_for_selector("#jm-print-now")
    number = re.search(r"QS\d{13}", dev.inner_text("h3")).group(0)

    officer = browser_page("officer", accept_dialogs=True)
    order = session.scalars(select(BusinessOrder).where(BusinessOrder.number == number)).one()
    officer.goto(f"{url}/review/{order.id}")
    assert "王芳" in officer.inner_text("#jm-lines-table")
    shot(officer, artifacts_dir, "10_ownership_review")
    if officer.locator("#jm-papers-checked").count():
        officer.check("#jm-papers-checked")
    officer.click("#jm-accept")
    officer.click("#jm-approve")
    officer.wait_for_selector(".jm-status[data-status='approved']")
    session.expire_all()
    owners = session.get(House, house.id).owners
    assert [(o.name, o.share) for o in owners] == [("张伟", Decimal("60.00")),
                                                   ("王芳", Decimal("40.00"))]
    dev.goto(f"{url}/property/houses/show/{house.id}")
    assert number in dev.inner_text("#jm-ownership-history")
    shot(dev, artifacts_dir, "11_house_earlier_owners")


def test_house_information_change_end_to_end(live_server: LiveServer,
                                             browser_page: Callable[..., Any],  # noqa: F811
                                             session: Any, demo: Any, artifacts_dir: Path) -> None:
    url = live_server.url
    houses = session.scalars(select(House).where(House.building_id == demo.building_a.id,
                                                 House.status == HOUSE_OPEN)
                             .order_by(House.id).offset(4).limit(2)).all()
    dev = browser_page("dev_a", accept_dialogs=True)
    dev.goto(f"{url}/order-form/house-change")
    choose_in_box(dev, "#f-area_id", demo.area_a.name)
    fill_agent(dev)
    dev.fill("#f-reason", "销售状态与地址登记有误")
    dev.click("#jm-pick-rows")
    dev.locator(".hp-building", has_text=demo.building_a.name).click()
    for house in houses:
        dev.click(f'#hp-modal td.hp-cell[title^="{house.code}"]')
    dev.click(".hp-confirm")
    dev.wait_for_selector("#jm-order-page[data-jm-ready] #jm-batch-open")
    dev.click("#jm-batch-open")
    dev.wait_for_selector("#m-sales_status", state="visible")
    assert not dev.is_visible("#m-building_area")  # 批量修改 offers the manual's six fields
    dev.select_option("#m-sales_status", "已售")
    dev.click("#jm-modify-ok")
    dev.wait_for_selector("#jm-order-page[data-jm-ready] #jm-lines-table td:has-text('已售')")
    dev.locator(".jm-line-edit").first.click()
    dev.wait_for_selector("#m-building_area", state="visible")
    dev.fill("#m-address", "江门市蓬江区华信路88号1栋改")
    dev.click("#jm-modify-ok")
    dev.wait_for_selector("#jm-order-page[data-jm-ready] #jm-lines-table td:has-text('1栋改')")
    shot(dev, artifacts_dir, "12_house_change_form")
    dev.click("#jm-save-submit")
    dev.wait_for_selector("#jm-print-now")
    number = re.search(r"FB\d{13}", dev.inner_text("h3")).group(0)

    officer = browser_page("officer", accept_dialogs=True)
    order = session.scalars(select(BusinessOrder).where(BusinessOrder.number == number)).one()
    officer.goto(f"{url}/review/{order.id}")
    assert "jm-changed" in officer.inner_html("#jm-lines-table")
    shot(officer, artifacts_dir, "13_house_change_review")
    if officer.locator("#jm-papers-checked").count():
        officer.check("#jm-papers-checked")
    officer.click("#jm-accept")
    officer.click("#jm-approve")
    officer.wait_for_selector(".jm-status[data-status='approved']")
    session.expire_all()
    assert {session.get(House, h.id).sales_status for h in houses} == {"已售"}
    assert session.get(House, houses[0].id).address == "江门市蓬江区华信路88号1栋改"
