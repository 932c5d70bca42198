"""Browser: 房屋拆分合并 (§1.3.4) through the real pages, split AND merge: pick the houses in the
楼盘表, 导出 them, edit the file into the resulting houses, 导入 it (a bad file first: its rows and
columns are named), 保存并提交, the fund office reviews old → new with balances before and after and
approves; the merge refunds its excess and prints the 退款申请表. Then the form in English.
Screenshots go to test-artifacts/split_*.png.
"""
from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.documents.excel.house_sheet import BUILDING_AREA, BUILDING_NAME, INNER_AREA, ROOM
from app.documents.excel.split_sheet import SOURCES
from app.models.order import APPROVED, HOUSE_SPLIT_MERGE, BusinessOrder
from app.models.payment import Refund
from app.models.property import HOUSE_CLOSED, House
from app.services.ledger import balances
from app.services.orders import drafts, intake
from app.services.orders.drafts import AgentInput, DraftInput, save_draft
from tests.browser_support import LiveServer, browser_page, choose_in_box, live_server  # noqa: F401
from tests.test_browser_orders import fill_agent
from tests.test_orders_split_merge import garages, part, pay, sheet

pytestmark = pytest.mark.browser


def shot(page: Any, artifacts_dir: Path, name: str) -> None:
    page.screenshot(path=str(artifacts_dir / f"split_{name}.png"), full_page=True)


def pick(page: Any, houses: list[House]) -> None:
    page.click("#jm-pick-rows")
    page.locator(".hp-building", has_text="地下车库").click()
    for house in houses:
        page.click(f'#hp-modal td.hp-cell[title^="{house.code}"]')


def export(page: Any, path: Path) -> Any:
    """导出 the picked houses and open the file the developer edits."""
    with page.expect_download() as download:
        page.click("#jm-export-lines")
    download.value.save_as(str(path))
    return load_workbook(path)


def rewrite(book: Any, path: Path, rows: list[dict[str, Any]]) -> Path:
    """Replace the data rows by ``rows`` (each the first exported row with some cells changed)."""
    sheet = book.active
    header = [c.value for c in sheet[1]]
    first = [c.value for c in sheet[2]]
    sheet.delete_rows(2, sheet.max_row)
    for changes in rows:
        sheet.append([changes.get(h, v) for h, v in zip(header, first)])
    book.save(path)
    return path


def test_split_and_merge_end_to_end(live_server: LiveServer,
                                    browser_page: Callable[..., Any],  # noqa: F811
                                    session: Any, demo: Any, artifacts_dir: Path,
                                    tmp_path: Path) -> None:
    url = live_server.url
    big, first, second = garages(session, demo, 3)
    pay(session, big, "100.00")
    pay(session, first, str(first.amount_due))
    pay(session, second, "10.01")
    total_before = sum(b.balance for b in balances(session, [big.id, first.id, second.id]).values())
    dev = browser_page("dev_a", accept_dialogs=True)
    officer = browser_page("officer", accept_dialogs=True)

    # ---- split: one garage into three
    dev.goto(f"{url}/order-form/house-split")
    choose_in_box(dev, "#f-area_id", demo.area_a.name)
    fill_agent(dev)
    dev.fill("#f-reason", "车位重新测绘后拆分")
    pick(dev, [big])
    shot(dev, artifacts_dir, "01_picker")
    dev.click(".hp-confirm")
    dev.wait_for_selector("#jm-export-lines")
    book = export(dev, tmp_path / "split.xlsx")
    assert book.active["A2"].value == big.code
    # A wrong file first: one part only, in a building the area does not have.
    rewrite(book, tmp_path / "bad.xlsx", [{BUILDING_NAME: "99栋", ROOM: "G1-A"}])
    dev.set_input_files("#jm-import-file", str(tmp_path / "bad.xlsx"))
    dev.wait_for_selector("#jm-job-problems")
    problems = dev.inner_text("#jm-job-problems")
    assert SOURCES in problems and BUILDING_NAME in problems and "2" in problems
    assert dev.locator("#jm-marked-copy").count() == 1
    shot(dev, artifacts_dir, "02_import_errors")
    book = load_workbook(tmp_path / "split.xlsx")
    rewrite(book, tmp_path / "split.xlsx", [
        {ROOM: f"G{n}", BUILDING_AREA: 10, INNER_AREA: 8} for n in ("A", "B", "C")])
    dev.set_input_files("#jm-import-file", str(tmp_path / "split.xlsx"))
    dev.wait_for_selector("#jm-extra-plan tbody tr:nth-child(3)")
    plan = dev.inner_text("#jm-extra-plan")
    assert "33.33" in plan and "33.34" in plan and "100.00" in plan
    shot(dev, artifacts_dir, "03_split_form")
    dev.click("#jm-save-submit")
    dev.wait_for_selector("#jm-print-now")
    split_number = re.search(r"CF\d{13}", dev.inner_text("h3")).group(0)
    shot(dev, artifacts_dir, "04_split_submitted")

    split = session.scalars(select(BusinessOrder).where(BusinessOrder.number == split_number)).one()
    officer.goto(f"{url}/review/{split.id}")
    assert big.code in officer.inner_text("#jm-extra-plan")
    shot(officer, artifacts_dir, "05_split_review")
    if officer.locator("#jm-papers-checked").count():
        officer.check("#jm-papers-checked")
    officer.click("#jm-accept")
    officer.click("#jm-approve")
    officer.wait_for_selector(".jm-status[data-status='approved']")
    shot(officer, artifacts_dir, "06_split_approved")
    dev.goto(f"{url}/orders/{split.id}/print/application.html")
    printed = dev.inner_text("body")
    assert "房屋拆分合并申请表" in printed and big.code in printed and "33.34" in printed
    shot(dev, artifacts_dir, "06b_split_application_form")

    # ---- merge: two garages into one smaller one; the excess is refunded
    dev.goto(f"{url}/order-form/house-split")
    choose_in_box(dev, "#f-area_id", demo.area_a.name)
    fill_agent(dev)
    dev.fill("#f-reason", "两个车位合并")
    pick(dev, [first, second])
    dev.click(".hp-confirm")
    dev.wait_for_selector("#jm-export-lines")
    book = export(dev, tmp_path / "merge.xlsx")
    rewrite(book, tmp_path / "merge.xlsx", [
        {SOURCES: f"{first.code}、{second.code}", ROOM: "G-M", BUILDING_AREA: 2, INNER_AREA: 1}])
    dev.set_input_files("#jm-import-file", str(tmp_path / "merge.xlsx"))
    dev.wait_for_selector("#jm-extra-plan tbody tr")
    dev.click("#jm-save-submit")
    dev.wait_for_selector("[data-field='refund_account_no']")  # the excess needs the account
    dev.fill("#f-refund_account_name", "江门市华信置业有限公司")
    dev.fill("#f-refund_bank_name", "中国银行江门分行")
    dev.fill("#f-refund_account_no", "6216610200001234567")
    shot(dev, artifacts_dir, "07_merge_form")
    dev.click("#jm-save-submit")
    dev.wait_for_selector("#jm-print-now")
    merge_number = re.search(r"CF\d{13}", dev.inner_text("h3")).group(0)
    merge = session.scalars(select(BusinessOrder).where(BusinessOrder.number == merge_number)).one()
    officer.goto(f"{url}/review/{merge.id}")
    shot(officer, artifacts_dir, "08_merge_review")
    officer.click("#jm-accept")
    officer.click("#jm-approve")
    officer.wait_for_selector(".jm-status[data-status='approved']")
    officer.goto(f"{url}/review/{merge.id}/print/refund.html")
    assert "6216610200001234567" in officer.inner_text("body")
    shot(officer, artifacts_dir, "09_merge_refund_form")

    session.expire_all()
    assert {session.get(BusinessOrder, o.id).status for o in (split, merge)} == {APPROVED}
    assert {session.get(House, h.id).status for h in (big, first, second)} == {HOUSE_CLOSED}
    new = session.scalars(select(House).where(House.opened_by_order_id.in_([split.id, merge.id]))
                          .order_by(House.id)).all()
    money = balances(session, [h.id for h in new])
    assert [money[h.id].balance for h in new] == [
        Decimal("33.33"), Decimal("33.33"), Decimal("33.34"), first.amount_due + Decimal("10.01")]
    assert sum(b.balance for b in money.values()) == total_before
    refund = session.scalars(select(Refund).where(Refund.order_id == merge.id)).one()
    assert refund.amount == money[new[-1].id].balance - new[-1].amount_due


def test_split_merge_form_in_english(app: Any, live_server: LiveServer,
                                     browser_page: Callable[..., Any],  # noqa: F811
                                     session: Any, demo: Any, artifacts_dir: Path) -> None:
    dev_user = demo.users["dev_a"]
    house = garages(session, demo, 1)[0]
    pay(session, house, "50.00")
    order = save_draft(session, dev_user, HOUSE_SPLIT_MERGE, DraftInput(
        agent=AgentInput(name="李敏", phone="13800138001", id_type="01",
                         id_no="11010519491231002X"), fields={"area_id": demo.area_a.id}))
    drafts.pick_rows(session, order.id, dev_user, [house.id])
    app.config["ORDER_JOBS_INLINE"] = True
    try:
        intake.start_import(session, app, order.id, dev_user, sheet([
            part(house.code, "G-E1", "6.6"), part(house.code, "G-E2", "6.6")]), "split.xlsx",
            locale="en")
    finally:
        app.config.pop("ORDER_JOBS_INLINE", None)
    dev = browser_page("dev_a", lang="en")
    dev.goto(f"{live_server.url}/order-form/{order.id}/edit")
    assert "House split and merge" in dev.inner_text("h3")
    assert "Export" in dev.inner_text("#jm-intake") and "Import" in dev.inner_text("#jm-intake")
    assert "Refund account" in dev.inner_text("#jm-header")
    assert house.code in dev.inner_text("#jm-lines-table")
    plan = dev.inner_text("#jm-extra-plan")
    assert "Split" in plan and "25.00" in plan and "Balance after" in plan
    shot(dev, artifacts_dir, "10_form_en")
