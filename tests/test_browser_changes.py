"""Browser: 物业区域变更 (completed on 保存) and 楼幢变更 (pick buildings in the dialog, edit a row,
批量修改, submit, review with amounts due before and after, approve), in Chinese, and both forms in
English. Screenshots go to test-artifacts/changes_*.png.
"""
from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

import pytest
from sqlalchemy import select

from app.models.order import APPROVED, AREA_CHANGE, BUILDING_CHANGE, BusinessOrder
from app.models.property import Building, House, PropertyArea
from tests.browser_support import LiveServer, browser_page, live_server  # noqa: F401
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
    dev.select_option("#f-area_id", str(demo.area_a.id))
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
    dev.select_option("#f-area_id", str(demo.area_a.id))
    fill_agent(dev)
    dev.fill("#f-reason", "楼层数登记有误")
    dev.click("#jm-pick-rows")
    dev.wait_for_selector(".hp-building-check")
    dev.locator(".hp-building", has_text=demo.building_a.name).locator(".hp-building-check").check()
    shot(dev, artifacts_dir, "03_building_dialog")
    dev.click(".hp-confirm")
    dev.wait_for_selector(".jm-line-edit")
    dev.click(".jm-line-edit")
    dev.wait_for_selector("#m-floors", state="visible")
    dev.fill("#m-floors", "6")
    dev.fill("#m-unit_count", "2")
    dev.click("#jm-modify-ok")
    dev.wait_for_selector("#jm-extra-impacts tbody tr td:nth-child(5)")
    dev.click("#jm-batch-open")
    dev.wait_for_selector("#m-built_ym", state="visible")
    assert not dev.is_visible("#m-floors")  # 批量修改 offers the manual's three fields only
    dev.fill("#m-built_ym", "2019-08")
    dev.click("#jm-modify-ok")
    dev.wait_for_selector("#jm-lines-table td.jm-after:has-text('2019-08')")
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
