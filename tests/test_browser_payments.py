"""Browser: contract numbers, batch and owner notices, bank confirmation; screenshots of each step.

dev_a sets contract numbers (double-click editing) and matches them against the trading-system
simulator, submits, prints a batch notice for 1栋 (warned about houses without contract) and owner
notices for two houses of 2栋; the teller confirms the batch notice; dev_a sees 1栋 paid in the
house picker. Runs against a live server with CSRF on and the zh catalogue built from the
fragments; screenshots go to test-artifacts/payments_*.png.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable

import pytest
from sqlalchemy import select

from tests.browser_support import LiveServer, browser_page, choose_in_box, goto, live_server  # noqa: F401
from tradesim.seed import seed_dataset

pytestmark = pytest.mark.browser


def shot(page: Any, artifacts_dir: Path, name: str) -> None:
    page.screenshot(path=str(artifacts_dir / f"payments_{name}.png"), full_page=True)


def signed_houses(session: Any, area_id: int, building: str, count: int) -> list[tuple[Any, dict]]:
    """Houses of the demo area that have a signed contract in the simulator, with that contract."""
    from app.models.property import Building, House

    contracts = {c["house_code"]: c for c in seed_dataset()["contracts"]}
    houses = session.scalars(select(House).join(Building).where(
        House.area_id == area_id, Building.name == building).order_by(House.id)).all()
    return [(h, contracts[h.trade_house_code]) for h in houses if h.trade_house_code in contracts][:count]


def pick_cells(page: Any, codes: list[str]) -> None:
    for code in codes:
        page.click(f'#hp-modal td.hp-cell[title^="{code}"]')


def edit_cell(page: Any, row: int, field: str, value: str) -> None:
    cell = page.locator(f'#jm-rows td.jm-editable[data-i="{row}"][data-field="{field}"]')
    cell.dblclick()
    cell.locator("input").fill(value)
    cell.locator("input").press("Enter")


def test_contracts_payments_and_bank_confirmation(
        live_server: LiveServer, browser_page: Callable[..., Any],  # noqa: F811
        session: Any, demo: Any, artifacts_dir: Path) -> None:
    from app.models.payment import NOTICE_PAID, Notice

    live_url = live_server.url

    area = demo.area_a
    signed = signed_houses(session, area.id, "1栋", 2)
    wrong = signed_houses(session, area.id, "2栋", 1)[0]
    assert len(signed) == 2

    # 房屋合同号设置: pick three houses, type the data in by double-click, match, submit.
    dev = browser_page("dev_a")
    goto(dev, f"{live_url}/contracts/")
    choose_in_box(dev, "#jm-area", area.name)
    dev.fill("#jm-agent-name", "李敏")
    dev.fill("#jm-agent-phone", "13800138001")
    dev.fill("#jm-agent-id-no", "11010519491231002X")
    dev.click("#jm-pick-houses")
    dev.wait_for_selector("#hp-modal td.hp-cell")
    pick_cells(dev, [h.code for h, _c in signed])
    dev.click(f'#hp-modal .hp-building:has-text("2栋")')
    dev.wait_for_selector(f'#hp-modal td.hp-cell[title^="{wrong[0].code}"]')
    pick_cells(dev, [wrong[0].code])
    shot(dev, artifacts_dir, "01_picker_grid")
    dev.click("#hp-modal .hp-view[data-view=list]")
    dev.fill("#hp-modal .hp-search", wrong[0].room)
    shot(dev, artifacts_dir, "02_picker_list")
    dev.click("#hp-modal .hp-confirm")
    dev.wait_for_selector("#jm-rows td.jm-editable")
    codes = [dev.locator(f'#jm-rows tr[data-i="{i}"] td').first.inner_text() for i in range(3)]
    by_code = {h.code: c for h, c in signed + [wrong]}
    for index, code in enumerate(codes):
        contract = by_code[code]
        buyer = contract["buyers"][0]
        edit_cell(dev, index, "owner_name", buyer["name"])
        edit_cell(dev, index, "id_no", buyer["id_number"])
        number = contract["contract_no"] if code != wrong[0].code else "JM2026YS999999"
        edit_cell(dev, index, "contract_no", number)
    dev.click("#jm-match")
    dev.wait_for_selector("#jm-rows .label-danger")
    assert dev.locator("#jm-rows .label-success").count() == 2
    shot(dev, artifacts_dir, "03_contracts_matched")
    dev.click("#jm-submit")
    dev.wait_for_selector("#jm-bind-confirm.in #jm-bind-list tbody tr")
    assert dev.locator("#jm-bind-list tbody tr").count() == 2  # the matched ones only
    dev.wait_for_timeout(400)
    shot(dev, artifacts_dir, "04a_contracts_confirm")
    dev.click("#jm-bind-ok")
    dev.wait_for_selector("#jm-rows .label-primary")
    assert dev.locator("#jm-rows .label-primary").count() == 2
    shot(dev, artifacts_dir, "04_contracts_bound")

    # 开发建设单位批量交款: pick 1栋, get the warning, print anyway, fetch the PDF.
    goto(dev, f"{live_url}/payments/batch/")
    choose_in_box(dev, "#jm-area", area.name)
    dev.click("#jm-pick-buildings")
    dev.wait_for_selector("#hp-modal .hp-building-check")
    dev.check(f'#hp-modal .hp-building-check[value="{demo.building_a.id}"]')
    dev.click("#hp-modal .hp-confirm")
    dev.click("#jm-print")
    dev.wait_for_selector("#jm-warn.in #jm-warn-list h5")
    shot(dev, artifacts_dir, "05_batch_warning")
    dev.click("#jm-continue")
    dev.wait_for_selector("#jm-open-pdf")
    shot(dev, artifacts_dir, "06_batch_printed")
    pdf_url = live_url + dev.get_attribute("#jm-open-pdf", "href")
    pdf = dev.request.get(pdf_url)
    assert pdf.ok and pdf.body()[:4] == b"%PDF"
    batch_number = re.search(r"JK\d{14}[0-9X]", dev.inner_text("#jm-result")).group(0)
    html = dev.request.get(pdf_url + "?format=html").text()
    assert batch_number in html
    printable = browser_page()
    printable.set_viewport_size({"width": 1000, "height": 1300})
    printable.set_content(html)
    printable.screenshot(path=str(artifacts_dir / "payments_07_batch_notice.png"))
    printable.close()

    # 代打交款通知单: two houses of 2栋, owners entered in the 业主交款列表 dialog.
    goto(dev, f"{live_url}/payments/owners/")
    choose_in_box(dev, "#jm-area", area.name)
    dev.click("#jm-pick-houses")
    dev.click(f'#hp-modal .hp-building:has-text("2栋")')
    dev.wait_for_selector(f'#hp-modal td.hp-cell[title^="{wrong[0].code}"]')
    cells = dev.locator("#hp-modal td.hp-cell.hp-s-unpaid:not(.hp-contract)")
    first, second = (cells.nth(i).get_attribute("title").split("\n")[0] for i in (0, 1))
    pick_cells(dev, [first, second])
    dev.click("#hp-modal .hp-confirm")
    dev.wait_for_selector(f'#jm-houses td:has-text("{first}")')
    dev.click("#jm-open-list")
    dev.wait_for_selector("#jm-owner-list.in")
    people = [("陈伟", "11010519491231002X", "13800138010"),
              ("黄芳", "440703198001010012", "13800138011")]
    for index, (name, id_no, phone) in enumerate(people):
        row = dev.locator("#jm-owner-table tr.jm-house-row").nth(index)
        row.locator(".jm-toggle").click()
        editor = dev.locator("#jm-owner-table tr.jm-editor").nth(index)
        editor.locator(".jm-o-name").fill(name)
        editor.locator(".jm-o-idno").fill(id_no)
        editor.locator(".jm-o-phone").fill(phone)
        editor.locator(".jm-o-save").click()
        editor.locator(".jm-o-message .text-success").wait_for()
    shot(dev, artifacts_dir, "08_owner_list")
    dev.click("#jm-print")
    dev.wait_for_selector("#jm-open-pdf")
    assert dev.locator("#jm-result li").count() == 2
    shot(dev, artifacts_dir, "09_owner_notices")

    # The teller looks the batch notice up and confirms it.
    teller = browser_page("teller")
    goto(teller, f"{live_url}/bank/")
    teller.fill("#jm-number", batch_number[:-1] + ("0" if batch_number[-1] != "0" else "1"))
    teller.click("#jm-lookup button[type=submit]")
    teller.wait_for_selector("#jm-error")
    assert "校验" in teller.inner_text("#jm-error") or "check" in teller.inner_text("#jm-error")
    shot(teller, artifacts_dir, "10_teller_mistyped")
    teller.fill("#jm-number", batch_number)
    teller.click("#jm-lookup button[type=submit]")
    teller.wait_for_selector("#jm-confirm-form")
    total = teller.inner_text("#jm-total").replace(",", "")
    teller.fill("#jm-bank-serial", "CCB20260301000123")
    teller.select_option("#jm-channel", "bank")
    teller.fill("#jm-amount", total)
    shot(teller, artifacts_dir, "11_teller_lookup")
    teller.click("#jm-confirm")
    teller.wait_for_selector("#jm-proof")
    shot(teller, artifacts_dir, "12_teller_confirmed")
    proof = teller.request.get(live_url + teller.get_attribute("#jm-proof", "href"))
    assert proof.ok and proof.body()[:4] == b"%PDF"

    # dev_a sees 1栋 paid in the picker and the notice paid in the list.
    goto(dev, f"{live_url}/payments/custom/")
    choose_in_box(dev, "#jm-area", area.name)
    dev.click("#jm-pick-houses")
    dev.wait_for_selector("#hp-modal td.hp-cell")
    dev.wait_for_selector("#hp-modal td.hp-cell.hp-s-paid")
    assert dev.locator("#hp-modal td.hp-cell.hp-s-paid").count() == 72  # all of 1栋
    assert dev.locator("#hp-modal td.hp-cell.hp-contract").count() == 2
    shot(dev, artifacts_dir, "13_picker_paid")
    goto(dev, f"{live_url}/notices/list/")
    shot(dev, artifacts_dir, "14_notice_list")
    session.expire_all()
    assert session.scalar(select(Notice.status).where(Notice.number == batch_number)) == NOTICE_PAID
