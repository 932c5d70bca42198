"""Browser: the 续筹 rule on real pages. The 续筹预警 list shows the house below the threshold with
its proposed replenishment (fund office: all; a developer: its own); the threshold is shown and
edited beside the deposit standards; a 续筹 notice for a house that never paid is refused with the
reason naming the house, and the due house alone is printed. Screenshots: test-artifacts/renewal_*.png.
"""
from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any, Callable

import openpyxl
import pytest
from sqlalchemy import select

from app.models.payment import PAY_RENEW, Notice
from app.models.property import House
from tests.browser_support import LiveServer, browser_page, choose_in_box, goto, live_server  # noqa: F401
from tests.reports_support import pay, refund

pytestmark = pytest.mark.browser


def shot(page: Any, artifacts_dir: Path, name: str) -> None:
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts_dir / f"renewal_{name}.png"), full_page=True)


def _codes(page: Any) -> list[str]:
    return [c.strip() for c in page.locator("table tbody tr td:nth-child(4)").all_inner_texts()]


def test_renew_warning_list_threshold_and_a_refused_renew_notice(
        live_server: LiveServer, browser_page: Callable[..., Any],  # noqa: F811
        session: Any, demo: Any, artifacts_dir: Path, tmp_path: Path) -> None:
    due, full, never = session.scalars(select(House).where(House.building_id == demo.building_a.id)
                                       .order_by(House.id).limit(3)).all()
    pay(session, [due, full], ["1000.00", "1000.00"])
    refund(session, due, "800.00", status="paid")  # 20 % of the first deposit left
    base = live_server.url

    officer = browser_page("officer")
    goto(officer, f"{base}/reports/renew/?building_id={demo.building_a.id}")
    officer.wait_for_selector("table tbody tr")
    assert _codes(officer)[:1] == [due.code] and full.code not in _codes(officer)
    assert "续筹预警" in officer.content() and "建议续筹金额" in officer.content()
    assert "800.00" in officer.inner_text("table tbody tr:first-child")
    shot(officer, artifacts_dir, "01_warning_list_officer")

    goto(officer, f"{base}/fund/standards/list/")
    assert "30%" in officer.inner_text("#jm-renew-threshold")
    goto(officer, f"{base}/fund/renew-threshold/list/")
    shot(officer, artifacts_dir, "02_threshold_screen")
    assert officer.locator("td", has_text="30%").count() == 1

    other = browser_page("dev_b")
    goto(other, f"{base}/reports/renew/")
    assert due.code not in other.content()  # another developer's house is never listed

    english = browser_page("dev_a", lang="en")
    goto(english, f"{base}/reports/renew/")
    english.wait_for_selector("table tbody tr")
    assert due.code in _codes(english) and "Replenishment warnings" in english.content()
    assert "Proposed replenishment" in english.content()
    shot(english, artifacts_dir, "03_warning_list_developer_en")

    # 续筹 for the due house and a house that never paid: export, fill in, import, print.
    dev = browser_page("dev_a")
    goto(dev, f"{base}/payments/custom/")
    dev.select_option("#jm-type", PAY_RENEW)
    choose_in_box(dev, "#jm-area", demo.area_a.name)
    dev.click("#jm-pick-houses")
    dev.wait_for_selector("#hp-modal td.hp-cell")
    for house in (due, never):
        dev.click(f'#hp-modal td.hp-cell[title^="{house.code}"]')
    dev.click("#hp-modal .hp-confirm")
    dev.wait_for_selector(f'#jm-houses tr[data-id="{never.id}"]')
    with dev.expect_download() as download:
        dev.click("#jm-export")
    book = openpyxl.load_workbook(BytesIO(Path(download.value.path()).read_bytes()))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    amount_col = header.index("续筹金额") + 1
    proposed = {sheet.cell(row=r, column=1).value: sheet.cell(row=r, column=amount_col).value
                for r in range(2, sheet.max_row + 1)}
    assert float(proposed[due.code]) == 800 and proposed[never.code] in (None, "")
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row=row, column=1).value == never.code:
            sheet.cell(row=row, column=amount_col, value=500)
    filled = tmp_path / "续筹.xlsx"
    book.save(filled)
    dev.set_input_files("#jm-import-file", str(filled))
    dev.wait_for_selector("#jm-message .alert-success, #jm-message .alert")
    dev.click("#jm-print")
    dev.wait_for_selector("#jm-message .jm-error li")
    message = dev.inner_text("#jm-message")
    assert never.code in message and "从未交存首期维修资金" in message, message
    assert due.code not in message
    shot(dev, artifacts_dir, "04_renew_refused")
    session.expire_all()
    assert session.scalar(select(Notice.id).where(Notice.payment_type == PAY_RENEW)) is None

    dev.click(f'#jm-houses tr[data-id="{never.id}"] .jm-remove')
    dev.click("#jm-print")
    dev.wait_for_selector("#jm-result a, #jm-result table")
    shot(dev, artifacts_dir, "05_renew_printed")
    session.expire_all()
    notice = session.scalars(select(Notice).where(Notice.payment_type == PAY_RENEW)).one()
    assert [(line.house_id, str(line.amount)) for line in notice.lines] == [(due.id, "800.00")]
