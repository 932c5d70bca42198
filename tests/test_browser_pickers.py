"""Browser: the business forms' area pickers type for their options (app/static/js/ajax-select.js).

The developer has many areas: the payment page prints none, the box is reached and opened with
the keyboard, the typed text brings the matching areas (the developer's own only), Enter picks
one. A building-change draft's row edit dialog shows the row's area by name and types for another
one inside the dialog. The fund office's refund filter types for the developer. The English page
says the same in English. Screenshots: test-artifacts/pickers_*.png.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest
from playwright.sync_api import expect

from app.models.property import PropertyArea
from tests.browser_support import LiveServer, browser_page, choose_in_box, goto, live_server  # noqa: F401
from tests.test_orders_changes import building_order

pytestmark = pytest.mark.browser

PREFIX = "拣选区"
OPTIONS = ".select2-container--open .select2-results__option"


def shot(page: Any, artifacts_dir: Path, name: str) -> None:
    page.screenshot(path=str(artifacts_dir / f"pickers_{name}.png"), full_page=False)


@pytest.fixture()
def many_areas(session: Any, demo: Any) -> list[PropertyArea]:
    areas = [PropertyArea(org_id=demo.org_a.id, code=f"PKB{i:03d}", name=f"{PREFIX}{i:02d}号",
                          district_code=demo.area_a.district_code, address="江门市蓬江区拣选路1号")
             for i in range(25)]
    session.add_all(areas)
    session.commit()
    return areas


def open_box(page: Any, select_css: str, text: str) -> Any:
    page.locator(f"{select_css} + .select2 .select2-selection").click()
    field = page.locator(".select2-container--open .select2-search__field")
    field.wait_for()
    field.press_sequentially(text)
    return page.locator(OPTIONS)


def test_payment_area_is_typed_for_with_the_keyboard(live_server: LiveServer,
                                                     browser_page: Callable[..., Any],  # noqa: F811
                                                     demo: Any, many_areas: list[PropertyArea],
                                                     artifacts_dir: Path) -> None:
    dev = browser_page("dev_a")
    goto(dev, f"{live_server.url}/payments/batch/")
    assert dev.locator("#jm-area option:not([value=''])").count() == 0  # no area printed
    expect(dev.locator("#jm-area + .select2 .select2-selection__placeholder")).to_have_text("请选择物业区域")

    # Another organisation's area is not offered.
    open_box(dev, "#jm-area", demo.area_b.name)
    dev.locator(".select2-container--open .select2-results__message").wait_for()
    expect(dev.locator(OPTIONS)).to_have_count(1)  # the "no results" message alone
    dev.keyboard.press("Escape")

    options = open_box(dev, "#jm-area", f"{PREFIX}1")
    expect(options).to_have_count(10)  # 拣选区10号 … 拣选区19号
    shot(dev, artifacts_dir, "01_payment_area_matches")
    dev.keyboard.press("Escape")

    # The keyboard alone: focus the box, open it, type, Enter.
    choose_in_box(dev, "#jm-area", many_areas[12].name, keyboard=True)
    assert dev.input_value("#jm-area") == str(many_areas[12].id)
    # The page works on the chosen area: its building dialog opens for it.
    dev.click("#jm-pick-buildings")
    expect(dev.locator("#hp-modal .hp-area-name")).to_have_text(many_areas[12].name)
    shot(dev, artifacts_dir, "02_payment_area_chosen")


def test_building_row_dialog_types_for_its_destination_area(live_server: LiveServer,
                                                            browser_page: Callable[..., Any],  # noqa: F811
                                                            session: Any, demo: Any,
                                                            many_areas: list[PropertyArea],
                                                            artifacts_dir: Path) -> None:
    order = building_order(session, demo)
    session.commit()
    dev = browser_page("dev_a")
    goto(dev, f"{live_server.url}/order-form/{order.id}/edit")
    expect(dev.locator("#f-area_id + .select2 .select2-selection__rendered")).to_contain_text(demo.area_a.name)
    dev.wait_for_selector("#jm-order-page[data-jm-ready] .jm-line-edit")
    dev.click(".jm-line-edit")
    dev.wait_for_selector("#m-floors", state="visible")
    # The row's area is shown by name, though no area is printed into the dialog.
    expect(dev.locator("#m-area_id + .select2 .select2-selection__rendered")).to_contain_text(demo.area_a.name)
    options = open_box(dev, "#m-area_id", f"{PREFIX}2")
    expect(options).to_have_count(5)  # 拣选区20号 … 拣选区24号
    shot(dev, artifacts_dir, "03_building_dialog_area_matches")
    options.filter(has_text=many_areas[21].name).click()
    dev.click("#jm-modify-ok")
    dev.wait_for_selector(f"#jm-lines-table td.jm-after:has-text('{many_areas[21].name}')")
    shot(dev, artifacts_dir, "04_building_moved")


def test_refund_filter_types_for_the_developer(live_server: LiveServer,
                                               browser_page: Callable[..., Any],  # noqa: F811
                                               demo: Any, artifacts_dir: Path) -> None:
    officer = browser_page("officer")
    goto(officer, f"{live_server.url}/refunds/")
    assert officer.locator("#jm-refund-filter select[name=org_id] option:not([value=''])").count() == 0
    # A part of the name only developer B's holds: its answer is that developer alone (no
    # earlier answer to the first keys, no "searching…" row left).
    part = next(demo.org_b.name[i:i + 2] for i in range(len(demo.org_b.name) - 1)
                if demo.org_b.name[i:i + 2] not in demo.org_a.name)
    options = open_box(officer, "#jm-refund-filter select[name=org_id]", part)
    expect(options).to_have_count(1)
    expect(options).to_have_text(demo.org_b.name)
    shot(officer, artifacts_dir, "05_refund_developer_matches")
    options.filter(has_text=demo.org_b.name).click()
    officer.click("#jm-refund-filter button[type=submit]")
    officer.wait_for_load_state("networkidle")
    assert f"org_id={demo.org_b.id}" in officer.url
    expect(officer.locator("#jm-refund-filter .select2-selection__rendered").first).to_contain_text(demo.org_b.name)


def test_the_english_page_types_for_areas_too(live_server: LiveServer,
                                              browser_page: Callable[..., Any],  # noqa: F811
                                              demo: Any, many_areas: list[PropertyArea],
                                              artifacts_dir: Path) -> None:
    dev = browser_page("dev_a", lang="en")
    goto(dev, f"{live_server.url}/contracts/")
    expect(dev.locator("#jm-area + .select2 .select2-selection__placeholder")).to_have_text(
        "Choose a property area")
    choose_in_box(dev, "#jm-area", demo.area_a.name)
    shot(dev, artifacts_dir, "06_contracts_area_en")
