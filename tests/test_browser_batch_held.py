"""Browser: printing a building's batch notice never voids owner notices without asking.

dev_a has printed an owner notice (代打交款通知单) for one house of 1栋; printing the
开发建设单位批量交款 notice for 1栋 lists that notice and asks. "Print for the remaining houses
only" leaves the house off and the owner notice payable; printing again and choosing "Void them
and reprint" voids both earlier notices, and the teller looking up the owner notice reads which
notice replaced it. Screenshots: test-artifacts/batch_held_*.png.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable

import pytest
from sqlalchemy import select

from tests.browser_support import LiveServer, browser_page, choose_in_box, goto, live_server  # noqa: F401

pytestmark = pytest.mark.browser


def shot(page: Any, artifacts_dir: Path, name: str) -> None:
    page.wait_for_timeout(400)  # the dialog's slide-in (a CSS transform) has ended
    page.screenshot(path=str(artifacts_dir / f"batch_held_{name}.png"), full_page=True)


def print_batch(page: Any, url: str, area_name: str, building_id: int) -> None:
    goto(page, f"{url}/payments/batch/")
    choose_in_box(page, "#jm-area", area_name)
    page.click("#jm-pick-buildings")
    page.wait_for_selector("#hp-modal .hp-building-check")
    page.check(f'#hp-modal .hp-building-check[value="{building_id}"]')
    page.click("#hp-modal .hp-confirm")
    page.click("#jm-print")
    page.wait_for_selector("#jm-held.in #jm-held-list tr td")


def test_batch_print_lists_owner_notices_and_asks(
        live_server: LiveServer, browser_page: Callable[..., Any],  # noqa: F811
        session: Any, demo: Any, artifacts_dir: Path) -> None:
    from app.models.payment import NOTICE_UNPAID, NOTICE_VOID, Notice
    from app.models.property import House
    from tests.test_payments_notices import owner_notice

    house = session.scalars(select(House).where(House.building_id == demo.building_a.id)
                            .order_by(House.id)).first()
    owner_number = owner_notice(session, demo, house).number

    dev = browser_page("dev_a")
    print_batch(dev, live_server.url, demo.area_a.name, demo.building_a.id)
    listed = dev.inner_text("#jm-held-list")
    assert owner_number in listed and "王五" in listed
    shot(dev, artifacts_dir, "01_asked")
    dev.click("#jm-held-keep")
    dev.wait_for_selector("#jm-warn.in #jm-warn-list h5")  # houses without contract: as before
    dev.click("#jm-continue")
    dev.wait_for_selector("#jm-open-pdf")
    result = dev.inner_text("#jm-result")
    assert owner_number in result  # named among the houses left off
    shot(dev, artifacts_dir, "02_remaining_only")
    batch_number = re.search(r"JK\d{14}[0-9X]", result).group(0)
    session.expire_all()
    assert session.scalar(select(Notice.status).where(Notice.number == owner_number)) == NOTICE_UNPAID
    batch = session.scalar(select(Notice).where(Notice.number == batch_number))
    assert house.id not in {line.house_id for line in batch.lines}

    # Again, now replacing: both earlier notices are listed, then voided.
    print_batch(dev, live_server.url, demo.area_a.name, demo.building_a.id)
    listed = dev.inner_text("#jm-held-list")
    assert owner_number in listed and batch_number in listed
    dev.click("#jm-held-replace")
    dev.wait_for_selector("#jm-warn.in #jm-warn-list h5")
    dev.click("#jm-continue")
    dev.wait_for_selector("#jm-open-pdf")
    result = dev.inner_text("#jm-result")
    assert owner_number in result and batch_number in result
    shot(dev, artifacts_dir, "03_replaced")
    new_number = [n for n in re.findall(r"JK\d{14}[0-9X]", result)
                  if n not in (owner_number, batch_number)][0]
    session.expire_all()
    assert session.scalar(select(Notice.status).where(Notice.number == owner_number)) == NOTICE_VOID

    teller = browser_page("teller")
    goto(teller, f"{live_server.url}/bank/")
    teller.fill("#jm-number", owner_number)
    teller.click("#jm-lookup button[type=submit]")
    teller.wait_for_selector("#jm-notice")
    notice_text = teller.inner_text("#jm-notice")
    assert new_number in notice_text and "已重新打印" not in notice_text
    shot(teller, artifacts_dir, "04_teller_void_reason")

    # Cancel changes nothing.
    print_batch(dev, live_server.url, demo.area_a.name, demo.building_a.id)
    dev.click("#jm-held-cancel")
    dev.wait_for_selector("#jm-held", state="hidden")
    session.expire_all()
    assert session.scalar(select(Notice.status).where(Notice.number == new_number)) == NOTICE_UNPAID
