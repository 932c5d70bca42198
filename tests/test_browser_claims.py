"""Browser: the 接口获取 dialog shows which projects are taken (by a property area or by an
unfinished order) and fetching a taken project is refused with the reason; in Chinese and English.
Screenshots: test-artifacts/claims_*.png.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from app.models.order import AREA_COLLECT
from app.services.orders.drafts import AgentInput, DraftInput, save_draft
from tests.browser_support import LiveServer, browser_page, live_server  # noqa: F401

pytestmark = pytest.mark.browser

AGENT = AgentInput(name="李敏", phone="13800138001", id_type="01", id_no="11010519491231002X")


def holding_order(session: Any, demo: Any) -> str:
    """A draft collection that already fetched 华信·江畔花园 (P44070302)."""
    order = save_draft(session, demo.users["dev_a"], AREA_COLLECT, DraftInput(
        agent=AGENT, fields={"area": {"name": "江畔花园一期", "district_code": "440703",
                                      "address": "江门市蓬江区滨江大道168号"}}))
    order.payload = {**order.payload, "trade_project_ids": ["P44070302"]}
    session.commit()
    return order.number


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_project_dialog_marks_taken_projects_and_fetch_refuses_them(
        live_server: LiveServer, browser_page: Callable[..., Any],  # noqa: F811
        session: Any, demo: Any, artifacts_dir: Path, lang: str) -> None:
    number = holding_order(session, demo)
    dev = browser_page("dev_a", lang=None if lang == "zh" else lang, accept_dialogs=True)
    dev.goto(f"{live_server.url}/order-form/collect")
    dev.fill("#f-agent_name", "李敏")
    dev.fill("#f-agent_phone", "13800138001")
    dev.select_option("#f-agent_id_type", "01")
    dev.fill("#f-agent_id_no", "11010519491231002X")
    dev.click("#jm-trade-open")
    dev.wait_for_selector(".jm-project-check")
    rows = {dev.locator(".jm-project-check").nth(i).get_attribute("value"):
            dev.locator("#jm-trade-modal tbody tr").nth(i).inner_text()
            for i in range(dev.locator(".jm-project-check").count())}
    assert "华信·翠苑" in rows["P44070301"] and ("已采集" in rows["P44070301"]) == (lang == "zh")
    assert number in rows["P44070302"]
    assert "P44070303" in rows and "华信·商业中心" in rows["P44070303"]
    dev.screenshot(path=str(artifacts_dir / f"claims_{lang}_1_dialog.png"), full_page=True)

    dev.check(".jm-project-check[value=P44070302]")
    dev.click("#jm-trade-ok")
    dev.wait_for_selector("#jm-job-problems")
    problems = dev.inner_text("#jm-job-problems")
    assert "P44070302" in problems and number in problems
    dev.wait_for_timeout(800)  # let the progress bar finish its transition before the picture
    dev.screenshot(path=str(artifacts_dir / f"claims_{lang}_2_refused.png"), full_page=True)
