"""Browser: the house list's building filter is a search-as-you-type box: the developer adds the
filter, types part of a building's name, picks it from the options the server sends (its own
buildings only), searches, and the list shows that building's houses; the reloaded page names the
chosen building. A report's area filter works the same way: the officer types part of an area's
name, picks it, applies, and the reloaded report names the area. The keyword box above the house
list finds a house by its owner's name, part of its contract number or its number, for its own
developer only. Screenshots: test-artifacts/filters_*.png.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from app.models.property import House
from app.security.tenant import Scope
from app.services.options import area_options, building_options
from tests.browser_support import LiveServer, browser_page, goto, live_server  # noqa: F401

pytestmark = pytest.mark.browser


def shot(page: Any, artifacts_dir: Path, name: str, full_page: bool = True) -> None:
    page.screenshot(path=str(artifacts_dir / f"filters_{name}.png"), full_page=full_page)


def open_building_box(page: Any, text: str) -> Any:
    box = page.locator("#filter_form select.jm-ajax-select[name$='_building'] + .select2 .select2-selection")
    box.click()
    field = page.locator(".select2-container--open .select2-search__field")
    field.wait_for()
    field.press_sequentially(text)  # typed key by key, as a user does
    return page.locator(".select2-container--open .select2-results__option")


def test_house_list_building_filter_searches_as_you_type(live_server: LiveServer,
                                                         browser_page: Callable[..., Any],  # noqa: F811
                                                         session: Any, demo: Any, artifacts_dir: Path) -> None:
    building = demo.building_a
    expected = session.scalar(select(func.count(House.id)).where(House.building_id == building.id))
    page = browser_page("dev_a")
    goto(page, f"{live_server.url}/property/houses/list/")
    page.click("a[href='#accordion1_href']")
    page.click("#filter_form button.dropdown-toggle")
    page.click("#filter_form a.filter[name='building']")
    # The box carries no building options: they come from the server as the user types.
    assert page.locator("#filter_form select.jm-ajax-select option:not([value=''])").count() == 0

    # Another developer's building is never offered.
    options = open_building_box(page, demo.area_b.name)
    page.locator(".select2-container--open .select2-results__message").wait_for()
    assert options.count() == 1
    page.keyboard.press("Escape")

    matching = building_options(session, Scope.for_user(demo.users["dev_a"]), building.name).options
    options = open_building_box(page, building.name)
    expect(options).to_have_count(len(matching))  # the typed text's answer, not the first page
    wanted = options.filter(has_text=f"{demo.area_a.name} {building.name}")
    shot(page, artifacts_dir, "01_building_options")
    wanted.first.click()
    page.click("#filter_form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert f"_building={building.id}" in page.url
    rows = page.locator("table.table:not(.filters) tbody tr")
    assert rows.count() == min(expected, 25)
    assert all(building.name in rows.nth(i).inner_text() for i in range(rows.count()))
    # The reloaded search form names the chosen building.
    page.click("a[href='#accordion1_href']")
    chosen = page.locator("#filter_form .select2-selection__rendered").last
    assert building.name in chosen.inner_text()
    shot(page, artifacts_dir, "02_filtered_by_building")


def test_report_area_filter_searches_as_you_type(live_server: LiveServer,
                                                 browser_page: Callable[..., Any],  # noqa: F811
                                                 session: Any, demo: Any, artifacts_dir: Path) -> None:
    area = demo.area_b
    page = browser_page("officer")
    goto(page, f"{live_server.url}/reports/arrears/")
    # No area is printed into the page: the box asks the server as the officer types.
    assert page.locator("#f-area_id option:not([value=''])").count() == 0
    page.locator("#f-area_id + .select2 .select2-selection").click()
    field = page.locator(".select2-container--open .select2-search__field")
    field.wait_for()
    field.press_sequentially(area.name[:2])
    matching = area_options(session, Scope.everything(), area.name[:2]).options
    options = page.locator(".select2-container--open .select2-results__option")
    expect(options).to_have_count(len(matching))
    assert area.name in [options.nth(i).inner_text() for i in range(options.count())]
    shot(page, artifacts_dir, "03_report_area_options", full_page=False)  # the box, not every row
    options.filter(has_text=area.name).first.click()
    page.click("#jm-report-apply")
    page.wait_for_load_state("networkidle")
    assert f"area_id={area.id}" in page.url
    # The reloaded report names the chosen area in its box.
    expect(page.locator("#f-area_id + .select2 .select2-selection__rendered")).to_contain_text(area.name)
    shot(page, artifacts_dir, "04_report_filtered_by_area", full_page=False)


def test_house_keyword_box_finds_by_owner_contract_and_number(live_server: LiveServer,
                                                              browser_page: Callable[..., Any],  # noqa: F811
                                                              session: Any, demo: Any,
                                                              artifacts_dir: Path) -> None:
    """The keyword box above the house list: an owner's name, part of a contract number or a
    house number typed and searched shows that house alone; another developer finds nothing."""
    from app.models.property import Owner

    house = session.scalars(select(House).where(House.building_id == demo.building_a.id)
                            .order_by(House.id.desc())).first()
    session.add(Owner(org_id=house.org_id, house_id=house.id, seq=1, name="司马光明",
                      id_type="01", id_no="440703199001011234"))
    house.contract_no = "HT2026-004321"
    session.commit()

    def search(page: Any, text: str) -> list[str]:
        page.fill("#jm-keyword", text)
        page.press("#jm-keyword", "Enter")
        page.wait_for_load_state("networkidle")
        links = page.locator("table.table:not(.filters) tbody a[href*='/property/houses/show/']")
        return sorted({links.nth(i).get_attribute("href").rsplit("/", 1)[-1] for i in range(links.count())})

    page = browser_page("dev_a")
    goto(page, f"{live_server.url}/property/houses/list/")
    assert search(page, "司马光明") == [str(house.id)]
    expect(page.locator("table.table:not(.filters) tbody")).to_contain_text(house.code)
    shot(page, artifacts_dir, "05_keyword_owner")
    assert search(page, "004321") == [str(house.id)]
    assert search(page, house.code) == [str(house.id)]

    other = browser_page("dev_b")
    goto(other, f"{live_server.url}/property/houses/list/")
    assert search(other, house.code) == []
    shot(other, artifacts_dir, "06_keyword_other_developer")
