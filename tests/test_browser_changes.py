"""Browser: 物业区域变更 (completed on 保存) and 楼幢变更 (pick buildings in the dialog, edit a row,
批量修改, submit, review with amounts due before and after, approve), in Chinese, and both forms in
English. Screenshots go to test-artifacts/changes_*.png.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any, Callable

import openpyxl
import pytest
from sqlalchemy import select

from app.models.order import APPROVED, AREA_CHANGE, BUILDING_CHANGE, BusinessOrder
from app.models.payment import PAY_TOPUP, Notice
from app.models.property import HOUSE_OPEN, Building, House, PropertyArea
from app.services.ledger import book_deposit
from tests.browser_support import LiveServer, browser_page, choose_in_box, live_server  # noqa: F401
from tests.test_browser_orders import fill_agent

pytestmark = pytest.mark.browser


def shot(page: Any, artifacts_dir: Path, name: str) -> None:
    page.screenshot(path=str(artifacts_dir / f"changes_{name}.png"), full_page=True)


def test_area_change_and_building_change_end_to_end(
        live_server: LiveServer, browser_page: Callable[..., Any],  # noqa: F811
        session: Any, demo: Any, artifacts_dir: Path) -> None:
    url = live_server.url
    dev = browser_page("dev_a", accept_dialogs=True)

    # ---- 物业区域变更: choose the area, its data comes in, correct it, 保存 completes it
    dev.goto(f"{url}/order-form/area-change")
    choose_in_box(dev, "#f-area_id", demo.area_a.name)
    dev.wait_for_selector("#f-area-address")
    assert dev.input_value("#f-area-address") == demo.area_a.address
    dev.fill("#f-area-address", "江门市蓬江区华信路99号")
    dev.fill("#f-area-contact", "陈经理")
    fill_agent(dev)
    shot(dev, artifacts_dir, "01_area_change_form")
    dev.click("#jm-save")
    dev.wait_for_selector(".jm-order-show")
    assert "华信路99号" in dev.inner_text("#lines")
    shot(dev, artifacts_dir, "02_area_change_done")
    session.expire_all()
    assert session.get(PropertyArea, demo.area_a.id).address == "江门市蓬江区华信路99号"
    assert session.scalars(select(BusinessOrder).where(
        BusinessOrder.type == AREA_CHANGE)).one().status == APPROVED

    # ---- 楼幢变更: pick 1栋 in the dialog, edit its storeys, 批量修改 its completion month
    dev.goto(f"{url}/order-form/building-change")
    choose_in_box(dev, "#f-area_id", demo.area_a.name)
    fill_agent(dev)
    dev.fill("#f-reason", "楼层数登记有误")
    dev.click("#jm-pick-rows")
    dev.wait_for_selector(".hp-building-check")
    dev.locator(".hp-building", has_text=demo.building_a.name).locator(".hp-building-check").check()
    shot(dev, artifacts_dir, "03_building_dialog")
    dev.click(".hp-confirm")
    dev.wait_for_selector("#jm-order-page[data-jm-ready] .jm-line-edit")
    dev.click(".jm-line-edit")
    dev.wait_for_selector("#m-floors", state="visible")
    dev.fill("#m-floors", "6")
    dev.fill("#m-unit_count", "2")
    dev.click("#jm-modify-ok")
    dev.wait_for_selector("#jm-order-page[data-jm-ready] #jm-extra-impacts tbody tr td:nth-child(5)")
    dev.click("#jm-batch-open")
    dev.wait_for_selector("#m-built_ym", state="visible")
    assert not dev.is_visible("#m-floors")  # 批量修改 offers the manual's three fields only
    dev.fill("#m-built_ym", "2019-08")
    dev.click("#jm-modify-ok")
    dev.wait_for_selector("#jm-order-page[data-jm-ready] #jm-lines-table td.jm-after:has-text('2019-08')")
    assert "2" in dev.inner_text("#jm-totals")
    shot(dev, artifacts_dir, "04_building_form")
    dev.click("#jm-save-submit")
    dev.wait_for_selector("#jm-print-now")
    number = re.search(r"LB\d{13}", dev.inner_text("h3")).group(0)
    shot(dev, artifacts_dir, "05_building_submitted")

    # ---- the fund office: before/after per building, houses' amounts due, approve
    officer = browser_page("officer", accept_dialogs=True)
    order = session.scalars(select(BusinessOrder).where(BusinessOrder.number == number)).one()
    officer.goto(f"{url}/review/{order.id}")
    assert "jm-changed" in officer.inner_html("#jm-lines-table")
    assert officer.locator("#jm-extra-impacts tbody tr").count() > 0
    shot(officer, artifacts_dir, "06_building_review")
    if officer.locator("#jm-papers-checked").count():
        officer.check("#jm-papers-checked")
    officer.click("#jm-accept")
    officer.click("#jm-approve")
    officer.wait_for_selector(".jm-status[data-status='approved']")
    shot(officer, artifacts_dir, "07_building_approved")
    session.expire_all()
    building = session.get(Building, demo.building_a.id)
    assert (building.floors, building.unit_count, building.built_ym) == (6, 2, "2019-08")
    assert session.scalars(select(BusinessOrder).where(
        BusinessOrder.type == BUILDING_CHANGE)).one().status == APPROVED
    # 1栋 was priced at 90 yuan/m² (a lift building of 7 storeys or more); at 6 storeys it is 55.
    houses = session.scalars(select(House).where(House.building_id == building.id)).all()
    assert houses and all(h.amount_due == (h.building_area * 55).quantize(Decimal("0.01"))
                          for h in houses if h.use_code == "residential" and h.has_lift)


def test_change_forms_in_english(live_server: LiveServer, browser_page: Callable[..., Any],  # noqa: F811
                                 demo: Any, artifacts_dir: Path) -> None:
    dev = browser_page("dev_a", lang="en")
    dev.goto(f"{live_server.url}/order-form/building-change")
    assert "Building change" in dev.inner_text("h3")
    assert "Choose the buildings to change" in dev.inner_text("#jm-intake")
    shot(dev, artifacts_dir, "08_building_form_en")
    dev.goto(f"{live_server.url}/order-form/area-change?area_id={demo.area_a.id}")
    assert "Property area change" in dev.inner_text("h3")
    assert "saving applies it at once" in dev.inner_text("body")
    shot(dev, artifacts_dir, "09_area_change_en")
    dev.goto(f"{live_server.url}/orders/")
    for slug in ("collect", "area-change", "building-change", "supplement"):
        assert dev.locator(f"#jm-new-{slug}").count() == 1
    shot(dev, artifacts_dir, "10_orders_en")


def test_an_attachment_before_the_first_save_saves_the_order_for_the_user(
        live_server: LiveServer, browser_page: Callable[..., Any],  # noqa: F811
        artifacts_dir: Path) -> None:
    dev = browser_page("dev_a")
    dev.goto(f"{live_server.url}/order-form/collect")
    dev.fill("#f-area-name", "附件花园")
    dev.select_option("#jm-upload-kind", "survey_report")
    dev.set_input_files("#jm-upload-file", files=[{"name": "测绘报告.pdf", "mimeType": "application/pdf",
                                                  "buffer": b"%PDF-1.4\n%jm\n"}])
    dev.click("#jm-upload")
    dev.wait_for_selector(".jm-attachment-link")
    assert "/edit" in dev.url and dev.input_value("#f-area-name") == "附件花园"
    assert dev.inner_text(".jm-attachment-link") == "测绘报告.pdf"
    shot(dev, artifacts_dir, "11_attachment_before_save")


def edited_export(page: Any, tmp: Path, name: str, change: Callable[[Any], None]) -> Path:
    """Download the order's 批量导出, change it with ``change(sheet)``, save it as ``name``."""
    with page.expect_download() as download:
        page.click("#jm-export-lines")
    book = openpyxl.load_workbook(BytesIO(Path(download.value.path()).read_bytes()))
    change(book.active)
    path = tmp / name
    book.save(path)
    return path


def column(sheet: Any, header: str) -> int:
    return next(cell.column for cell in sheet[1] if cell.value == header)


def pick_houses(page: Any, demo: Any, houses: list[House]) -> None:
    choose_in_box(page, "#f-area_id", demo.area_a.name)
    fill_agent(page)
    page.click("#jm-pick-rows")
    page.locator(".hp-building", has_text=demo.building_a.name).click()
    for house in houses:
        page.click(f'#hp-modal td.hp-cell[title^="{house.code}"]')
    page.click(".hp-confirm")
    page.wait_for_selector("#jm-export-lines")


def test_house_change_excel_round_trip_and_topup_notice(
        live_server: LiveServer, browser_page: Callable[..., Any],  # noqa: F811
        session: Any, demo: Any, artifacts_dir: Path, tmp_path: Path) -> None:
    url = live_server.url
    houses = session.scalars(select(House).where(House.building_id == demo.building_a.id,
                                                 House.status == HOUSE_OPEN)
                             .order_by(House.id).offset(6).limit(2)).all()
    for house in houses:  # no lift: 50 yuan/m²; the first paid in full
        house.use_code, house.has_lift = "residential", False
        house.amount_due = (house.building_area * 50).quantize(Decimal("0.01"))
    session.commit()
    book_deposit(session, houses[0], houses[0].amount_due, notice_id=None, payment_type="bank",
                 value_date=dt.date(2026, 3, 1))
    session.commit()
    dev = browser_page("dev_a", accept_dialogs=True)
    dev.goto(f"{url}/order-form/house-change")
    dev.fill("#f-reason", "电梯登记有误")
    pick_houses(dev, demo, houses)

    # 批量导入 of a file naming another developer's house: refused by row and column, marked copy
    def lift_and_stranger(sheet: Any) -> None:
        for row in (2, 3):
            sheet.cell(row=row, column=column(sheet, "电梯"), value="有")
        sheet.append([demo.house_b.code] + [c.value for c in sheet[2]][1:])

    bad = edited_export(dev, tmp_path, "bad.xlsx", lift_and_stranger)
    dev.set_input_files("#jm-import-file", str(bad))
    dev.wait_for_selector("#jm-job-problems")
    assert "房屋编号" in dev.inner_text("#jm-job-problems")
    assert dev.locator("#jm-marked-copy").count() == 1
    shot(dev, artifacts_dir, "12_house_sheet_refused")

    def lift(sheet: Any) -> None:
        for row in (2, 3):
            sheet.cell(row=row, column=column(sheet, "电梯"), value="有")

    dev.set_input_files("#jm-import-file", str(edited_export(dev, tmp_path, "ok.xlsx", lift)))
    dev.wait_for_selector("#jm-extra-impacts tbody tr td:nth-child(5)")
    assert dev.locator("#jm-lines-table td.jm-after.jm-changed").count() == 2
    shot(dev, artifacts_dir, "13_house_sheet_imported")
    dev.click("#jm-save-submit")
    dev.wait_for_selector("#jm-print-now")
    number = re.search(r"FB\d{13}", dev.inner_text("h3")).group(0)

    officer = browser_page("officer", accept_dialogs=True)
    order = session.scalars(select(BusinessOrder).where(BusinessOrder.number == number)).one()
    officer.goto(f"{url}/review/{order.id}")
    if officer.locator("#jm-papers-checked").count():
        officer.check("#jm-papers-checked")
    officer.click("#jm-accept")
    officer.click("#jm-approve")
    officer.wait_for_selector(".jm-status[data-status='approved']")

    # 补交: the shortfalls on the order page, printed at once as a 补交 notice
    english = browser_page("dev_a", lang="en")
    english.goto(f"{url}/orders/{order.id}")
    assert "Print the top-up notice" in english.inner_text("#jm-topup")
    shot(english, artifacts_dir, "14_topup_panel_en")
    dev.goto(f"{url}/orders/{order.id}")
    assert dev.locator("#jm-topup-table tbody tr").count() == 2
    shot(dev, artifacts_dir, "15_topup_panel")
    with dev.context.expect_page() as popup:
        dev.click("#jm-topup-print")
    printed = popup.value
    printed.wait_for_url("**/notices/print/**")
    printed.wait_for_load_state()
    dev.wait_for_selector("#jm-topup-pdf")
    session.expire_all()
    notice = session.scalars(select(Notice).where(Notice.payment_type == PAY_TOPUP)).one()
    assert notice.number in printed.content()
    assert notice.number in dev.inner_text("#jm-topup-result")
    assert {line.house_id for line in notice.lines} == {h.id for h in houses}
    shot(dev, artifacts_dir, "16_topup_created")
    shot(printed, artifacts_dir, "17_topup_notice_print")


def test_ownership_excel_round_trip_in_english(
        live_server: LiveServer, browser_page: Callable[..., Any],  # noqa: F811
        session: Any, demo: Any, artifacts_dir: Path, tmp_path: Path) -> None:
    houses = session.scalars(select(House).where(House.building_id == demo.building_a.id,
                                                 House.status == HOUSE_OPEN)
                             .order_by(House.id).offset(2).limit(2)).all()
    dev = browser_page("dev_a", lang="en", accept_dialogs=True)
    dev.goto(f"{live_server.url}/order-form/ownership-change")
    pick_houses(dev, demo, houses)

    def two_owners(sheet: Any) -> None:
        code = sheet.cell(row=2, column=1).value
        sheet.delete_rows(2, sheet.max_row)
        sheet.append([code, "", "张伟", "居民身份证", "11010519491231002X", "13800138002", 60])
        sheet.append([code, "", "王芳", "护照", "E12345678", "0750-3201234", 40])

    path = edited_export(dev, tmp_path, "owners.xlsx", two_owners)
    dev.set_input_files("#jm-import-file", str(path))
    dev.wait_for_selector("#jm-lines-table td.jm-multiline:has-text('王芳')")
    cell = dev.inner_text("#jm-lines-table td.jm-after.jm-multiline")
    assert [line.split()[0] for line in cell.strip().splitlines()] == ["张伟", "王芳"]
    assert "Batch export" in dev.inner_text("#jm-intake")
    shot(dev, artifacts_dir, "18_ownership_sheet_en")
