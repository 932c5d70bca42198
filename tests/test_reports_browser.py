"""Browser: the dashboards and every report as fund officer and developer, and a reconciliation day.

Charts must be drawn by the vendored ECharts (a canvas in every chart box), labels Chinese, and no
request may leave the platform. Screenshots go to test-artifacts/reports_*.png.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlparse

import pytest
from sqlalchemy import select

from tests.browser_support import LiveServer, browser_page, goto, live_server  # noqa: F401
from tests.reports_support import pay, refund

pytestmark = pytest.mark.browser

REPORT_TITLES = {"deposits": "交存统计", "arrears": "欠缴清单", "renew": "续筹预警", "journal": "交款流水",
                 "orders": "业务单统计", "refunds": "退款台账"}


def _data(session: Any, demo: Any) -> None:
    from app.models.property import House
    from app.services.payments.notices import local_today

    today = local_today()
    for org_building, channel in ((demo.building_a, "bank"), (demo.building_b, "qiaodu")):
        houses = list(session.scalars(select(House).where(House.building_id == org_building.id)
                                      .order_by(House.id).limit(12)))
        for n, start in enumerate(range(0, 12, 3)):
            batch = houses[start:start + 3]
            pay(session, batch, [str(h.amount_due) for h in batch],
                channel=("bank", "qiaodu", "pos")[n % 3] if channel == "bank" else channel,
                day=today - dt.timedelta(days=n * 2))
        refund(session, houses[0], str(houses[0].amount_due * 8 / 10), status="paid")
    from app.models.order import BusinessOrder
    from app.models.outbox import OutboxMessage
    from app.models.payment import Notice

    now = dt.datetime.utcnow()
    for n, (org, area, days, status) in enumerate(((demo.org_a, demo.area_a, 1, "submitted"),
                                                   (demo.org_a, demo.area_a, 10, "accepted"),
                                                   (demo.org_b, demo.area_b, 40, "submitted"),
                                                   (demo.org_a, demo.area_a, 0, "draft"))):
        session.add(BusinessOrder(org_id=org.id, number=f"RPTB{n}", type=("house_change", "house_cancel")[n % 2],
                                  status=status, area_id=area.id, submitted_at=now - dt.timedelta(days=days)))
    session.add(OutboxMessage(kind="deposit_status", idempotency_key="rpt-browser-1", org_id=demo.org_a.id,
                              house_id=demo.house_a.id, house_code=demo.house_a.code, payload={},
                              status="PARKED"))
    session.add(Notice(org_id=demo.org_a.id, number="TUNPAID00001", area_id=demo.area_a.id,
                       payer_type="developer", payer_name="测试", payment_type="first",
                       total=demo.house_a.amount_due, status="unpaid"))
    session.commit()


def _watch_requests(page: Any, base: str) -> list[str]:
    outside: list[str] = []
    host = urlparse(base).netloc
    page.on("request", lambda request: outside.append(request.url)
            if urlparse(request.url).netloc not in (host, "") and not request.url.startswith("data:") else None)
    return outside


def test_dashboards_and_reports_as_officer_and_developer(
        live_server: LiveServer, browser_page: Callable[..., Any],  # noqa: F811
        session: Any, demo: Any, artifacts_dir: Path) -> None:
    _data(session, demo)
    base = live_server.url
    for user, keys in (("officer", ["district", "developer", "payments", "orders", "outbox"]),
                       ("dev_a", ["areas", "open_orders", "unpaid_notices"])):
        page = browser_page(user)
        outside = _watch_requests(page, base)
        goto(page, f"{base}/dashboard/")
        page.wait_for_load_state("networkidle")
        for key in keys:
            box = page.locator(f"#jm-chart-{key}")
            assert box.locator("canvas").count() >= 1, f"chart {key} not drawn for {user}"
        assert "仪表盘" in page.content()
        page.screenshot(path=str(artifacts_dir / f"reports_dashboard_{user}.png"), full_page=True)
        first = keys[0]
        page.click(f"#jm-table-btn-{first}")
        assert page.locator(f"#jm-chart-table-{first}").is_visible()
        link = page.locator(f"#jm-chart-table-{first} a").first
        link.click()
        page.wait_for_load_state("networkidle")
        assert "/reports/deposits/" in page.url
        assert page.locator("#jm-report-table tfoot").count() == 1
        for name, title in REPORT_TITLES.items():
            goto(page, f"{base}/reports/{name}/")
            assert page.locator("h3").inner_text() == title
            assert page.locator("#jm-report-table").is_visible()
            page.screenshot(path=str(artifacts_dir / f"reports_{name}_{user}.png"), full_page=True)
            if user == "dev_a":
                assert demo.org_b.name not in page.content() and demo.area_b.name not in page.content()
        goto(page, f"{base}/reports/deposits/?level=building")
        with page.expect_download() as download:
            page.click("#jm-report-export")
        assert download.value.suggested_filename.endswith(".xlsx")
        goto(page, f"{base}/reports/arrears/print?format=html&letters=1&building_id="
                   f"{(demo.building_a if user == 'dev_a' else demo.building_b).id}")
        page.screenshot(path=str(artifacts_dir / f"reports_reminder_{user}.png"), full_page=True)
        assert "催交通知" in page.content()
        goto(page, f"{base}/reports/deposits/print?format=html&level=building")
        assert page.locator(".report-sheet tr.total").count() == 1
        page.screenshot(path=str(artifacts_dir / f"reports_print_deposits_{user}.png"), full_page=True)
        assert outside == [], f"requests leaving the platform: {outside}"


def test_reconciliation_screens(live_server: LiveServer, browser_page: Callable[..., Any],  # noqa: F811
                                session: Any, demo: Any, artifacts_dir: Path, tmp_path: Path) -> None:
    from app.models.property import House

    day = dt.date(2026, 3, 2)
    houses = list(session.scalars(select(House).where(House.building_id == demo.building_a.id)
                                  .order_by(House.id).limit(3)))
    ok = pay(session, houses[:1], ["100.00"], day=day, serial="S-OK")
    differs = pay(session, houses[1:2], ["200.00"], day=day, serial="S-DIFF")
    pay(session, houses[2:3], ["300.00"], day=day, serial="S-PLATFORM")
    statement = tmp_path / "对账单.csv"
    statement.write_text("银行流水号,通知单号,金额,日期,渠道\n"
                         f"S-OK,{ok.number},100.00,2026-03-02,专户银行\n"
                         f"S-DIFF,{differs.number},210.00,2026-03-02,POS\n"
                         "S-BANK,,55.00,2026-03-02,侨都之窗\n", encoding="utf-8")
    page = browser_page("officer")
    goto(page, f"{live_server.url}/reconcile/")
    page.fill("#r-day", day.isoformat())
    page.set_input_files("#r-file", str(statement))
    page.click("#r-import")
    page.wait_for_load_state("networkidle")
    assert page.locator("#jm-list-amount_differs").inner_text().count("S-DIFF") == 1
    assert page.locator("#jm-close-day").is_disabled()
    page.screenshot(path=str(artifacts_dir / "reports_reconcile_open.png"), full_page=True)
    while page.locator("tr.jm-item-open input[name=note]").count():
        page.locator("tr.jm-item-open input[name=note]").first.fill("已与银行核实")
        page.locator("tr.jm-item-open button:has-text('处理')").first.click()
        page.wait_for_load_state("networkidle")
    page.click("#jm-close-day")
    page.wait_for_load_state("networkidle")
    assert page.locator("#jm-day-closed").is_visible()
    page.screenshot(path=str(artifacts_dir / "reports_reconcile_closed.png"), full_page=True)
