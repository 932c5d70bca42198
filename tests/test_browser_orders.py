"""Browser: dev_a collects one area by template and another by 接口获取, submits and prints; the
officer accepts (confirming the paper documents) and approves both; dev_a sees the houses with
their amounts due. Live server with CSRF on, background jobs, the zh catalogue built from the
fragments, and the trading-system simulator; screenshots go to test-artifacts/orders_*.png.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable

import pytest
from sqlalchemy import func, select

from app.models.order import APPROVED, BusinessOrder
from app.models.outbox import OutboxMessage
from app.models.property import House
from tests.browser_support import LiveServer, browser_page, live_server  # noqa: F401
from tests.test_orders_views import house_sheet, sheet_rows

pytestmark = pytest.mark.browser


def shot(page: Any, artifacts_dir: Path, name: str) -> None:
    page.screenshot(path=str(artifacts_dir / f"orders_{name}.png"), full_page=True)


def fill_agent(page: Any) -> None:
    page.fill("#f-agent_name", "李敏")
    page.fill("#f-agent_phone", "13800138001")
    page.select_option("#f-agent_id_type", "01")
    page.fill("#f-agent_id_no", "11010519491231002X")


def wait_for_lines(page: Any, count: int) -> None:
    """The job ends with a reload of the page showing ``count`` staged houses."""
    # a selector, not wait_for_function: the CSP forbids the eval Playwright's predicates need
    page.wait_for_selector(f"#jm-lines-table[data-total='{count}']", timeout=60_000)


def order_number(page: Any) -> str:
    return re.search(r"CJ\d{13}", page.inner_text("h3")).group(0)


def test_collect_by_template_and_by_trading_system_then_review(
        live_server: LiveServer, browser_page: Callable[..., Any],  # noqa: F811
        session: Any, artifacts_dir: Path, tmp_path: Path) -> None:
    live_url, sim = live_server.url, live_server.simulator
    dev = browser_page("dev_a", accept_dialogs=True)

    # ---- 1. 物业区域采集 by template import
    dev.goto(f"{live_url}/order-form/collect")
    dev.fill("#f-area-name", "江滨花园")
    dev.select_option("#f-area-district_code", "440703")
    dev.fill("#f-area-address", "江门市蓬江区江滨路8号")
    dev.fill("#f-area-project_name", "江滨花园一期")
    fill_agent(dev)
    with dev.expect_download() as download:
        dev.click("#jm-template")
    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = tmp_path / "houses.xlsx"
    sheet.write_bytes(house_sheet(sheet_rows(24)))
    dev.set_input_files("#jm-import-file", str(sheet))
    wait_for_lines(dev, 24)
    shot(dev, artifacts_dir, "01_collect_imported")
    assert "24" in dev.inner_text("#jm-totals")
    first_number = order_number(dev)
    dev.set_input_files("#jm-upload-file", files=[{"name": "测绘报告.pdf", "mimeType": "application/pdf",
                                                  "buffer": b"%PDF-1.4\n%jm\n"}])
    # No kind is preselected: the form refuses to upload until one is chosen.
    dev.click("#jm-upload")
    assert dev.evaluate("document.querySelector('#jm-upload-kind').validity.valueMissing")
    assert dev.locator(".jm-attachment-link").count() == 0
    dev.select_option("#jm-upload-kind", "survey_report")
    dev.click("#jm-upload")
    dev.wait_for_selector(".jm-attachment-link")
    attachment = dev.locator(".jm-attachments tbody tr").first
    assert attachment.locator("td").first.inner_text() == "房屋面积测绘报告"
    assert attachment.locator(".jm-attachment-size").inner_text() == "13 B"
    assert dev.locator("#jm-lines-table .jm-line-no").first.inner_text() == "1"
    shot(dev, artifacts_dir, "01b_collect_attachment")
    dev.click("#jm-save-submit")
    dev.wait_for_selector("#jm-print-now")
    shot(dev, artifacts_dir, "02_collect_submitted")
    with dev.expect_popup() as popup:
        dev.click(".jm-print-links a[data-doc=accounts][data-fmt=html]")
    accounts = popup.value
    accounts.wait_for_load_state()
    assert "江滨花园" in accounts.content()
    shot(accounts, artifacts_dir, "03_account_list_print")
    pdf = dev.request.get(live_url + dev.locator(
        ".jm-print-links a[data-doc=application][data-fmt=pdf]").get_attribute("href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    (artifacts_dir / "orders_application_form.pdf").write_bytes(pdf.body())

    # ---- 2. 物业区域采集 by 接口获取 (a 2,000-house project, with progress)
    dev.goto(f"{live_url}/order-form/collect")
    fill_agent(dev)
    dev.click("#jm-trade-open")
    dev.wait_for_selector(".jm-project-check")
    shot(dev, artifacts_dir, "04_trade_dialog")
    dev.check(".jm-project-check[value=P44070302]")
    sim.set_faults(delay_seconds=3)  # a slow trading system: the page shows progress meanwhile
    dev.click("#jm-trade-ok")
    dev.wait_for_selector("#jm-progress:not(.hidden)")
    dev.wait_for_selector("#jm-progress-text:has-text('P44070302')")
    dev.screenshot(path=str(artifacts_dir / "orders_05_trade_progress.png"))
    sim.reset_faults()
    wait_for_lines(dev, 2128)
    assert dev.input_value("#f-area-name") == "华信·江畔花园"  # prefilled from the project
    shot(dev, artifacts_dir, "06_trade_fetched")
    second_number = order_number(dev)
    dev.click("#jm-save-submit")
    dev.wait_for_selector("#jm-print-now")

    dev.goto(f"{live_url}/orders/")
    shot(dev, artifacts_dir, "07_my_orders_submitted")
    assert first_number in dev.content() and second_number in dev.content()

    # ---- 3. the fund office accepts and approves both
    officer = browser_page("officer", accept_dialogs=True)
    officer.goto(f"{live_url}/review/")
    shot(officer, artifacts_dir, "08_review_queue")
    for index, number in enumerate((first_number, second_number)):
        officer.goto(f"{live_url}/review/")
        officer.click(f"tr[data-order={number}] a")
        if index == 0:
            shot(officer, artifacts_dir, "09_review_page")
            officer.check("#jm-papers-checked")
        officer.fill("#jm-opinion", "材料齐全，予以受理")
        officer.click("#jm-accept")
        officer.wait_for_selector("#jm-approve")
        officer.fill("#jm-opinion", "审核通过")
        officer.click("#jm-approve")
        officer.wait_for_selector(".jm-status[data-status=approved]")
    shot(officer, artifacts_dir, "10_review_approved")

    # ---- 4. dev_a sees the houses with their amounts due
    dev.goto(f"{live_url}/orders/")
    assert dev.locator(".jm-status[data-status=approved]").count() >= 2
    shot(dev, artifacts_dir, "11_my_orders_approved")
    first = session.scalar(select(BusinessOrder).where(BusinessOrder.number == first_number))
    session.refresh(first)
    assert first.status == APPROVED
    dev.goto(f"{live_url}/orders/{first.id}/print/accounts.html")
    codes = session.scalars(select(House.code).where(House.opened_by_order_id == first.id)).all()
    assert len(codes) == 24 and codes[0] in dev.content()
    assert "108,600.00" in dev.content()  # 24 × 90.50 m² × 50 yuan/m²
    shot(dev, artifacts_dir, "12_account_list_approved")
    dev.goto(f"{live_url}/property/houses/list/?_flt_0_area={first.area_id}")
    assert codes[-1] in dev.content() and "4,525.00" in dev.content()
    shot(dev, artifacts_dir, "13_houses_list")
    second = session.scalar(select(BusinessOrder).where(BusinessOrder.number == second_number))
    pushes = session.scalar(select(func.count(OutboxMessage.id)).join(
        House, House.id == OutboxMessage.house_id).where(House.opened_by_order_id == second.id))
    assert pushes == 2128
