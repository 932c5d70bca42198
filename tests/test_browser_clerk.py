"""Browser: messages name fields by their label and mark them; downloads keep their Chinese name.

On 房屋合同号设置, matching a row with a wrong ID number lists "第 1 行 证件号码 …" (never
``id_no``) and marks that cell; submitting without an agent lists 经办人 fields by label and marks
their inputs. The Excel export is saved under its Chinese file name (RFC 5987 ``filename*``).
Screenshots: test-artifacts/clerk_*.png.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from tests.browser_support import LiveServer, browser_page, choose_in_box, goto, live_server  # noqa: F401
from tests.test_browser_payments import edit_cell, pick_cells, signed_houses

pytestmark = pytest.mark.browser
RAW_NAMES = ("id_no", "agent_id_no", "agent_name", "agent_phone", "owner_name", "contract_no")


def shot(page: Any, artifacts_dir: Path, name: str) -> None:
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts_dir / f"clerk_{name}.png"), full_page=True)


def test_errors_name_and_mark_fields_and_downloads_keep_their_name(
        live_server: LiveServer, browser_page: Callable[..., Any],  # noqa: F811
        session: Any, demo: Any, artifacts_dir: Path) -> None:
    (house, contract), = signed_houses(session, demo.area_a.id, "1栋", 1)
    buyer = contract["buyers"][0]
    dev = browser_page("dev_a")
    goto(dev, f"{live_server.url}/contracts/")
    choose_in_box(dev, "#jm-area", demo.area_a.name)
    dev.click("#jm-pick-houses")
    dev.wait_for_selector("#hp-modal td.hp-cell")
    pick_cells(dev, [house.code])
    dev.click("#hp-modal .hp-confirm")
    dev.wait_for_selector("#jm-rows td.jm-editable")
    edit_cell(dev, 0, "owner_name", buyer["name"])
    edit_cell(dev, 0, "id_no", "110105194912310021")  # wrong check digit
    edit_cell(dev, 0, "contract_no", contract["contract_no"])

    dev.click("#jm-match")
    dev.wait_for_selector("#jm-message .jm-error li")
    message = dev.inner_text("#jm-message")
    assert "第 1 行 证件号码" in message
    assert not any(raw in message for raw in RAW_NAMES), message
    assert "jm-invalid" in dev.get_attribute('#jm-rows td[data-i="0"][data-field="id_no"]', "class")
    shot(dev, artifacts_dir, "01_row_error")

    edit_cell(dev, 0, "id_no", buyer["id_number"])
    dev.click("#jm-match")
    dev.wait_for_selector("#jm-rows .label-success")
    dev.click("#jm-submit")
    dev.wait_for_selector("#jm-bind-confirm.in")
    dev.wait_for_timeout(300)
    dev.click("#jm-bind-ok")
    dev.wait_for_selector("#jm-message .jm-error li")
    message = dev.inner_text("#jm-message")
    assert "经办人" in message and dev.locator("#jm-message .jm-error ul").count() == 1
    assert not any(raw in message for raw in RAW_NAMES), message
    for field in ("jm-agent-name", "jm-agent-phone", "jm-agent-id-no"):
        assert "jm-invalid" in dev.get_attribute(f"#{field}", "class"), field
        assert dev.locator(f"#{field}").evaluate("e => e.closest('.form-group').classList.contains('has-error')")
    shot(dev, artifacts_dir, "02_agent_errors")

    with dev.expect_download() as download:
        dev.click("#jm-export")
    name = download.value.suggested_filename
    assert name.startswith("房屋合同号-") and name.endswith(".xlsx"), name

    # The header parser itself, on the forms a server may send.
    parse = "h => JMForm.filename(h)"
    assert dev.evaluate(parse, "attachment; filename=x.xlsx; filename*=UTF-8''%E6%88%BF%E5%B1%8B.xlsx") == "房屋.xlsx"
    assert dev.evaluate(parse, "attachment; filename*=utf-8''%E6%B8%85%E5%86%8C.pdf") == "清册.pdf"
    assert dev.evaluate(parse, 'attachment; filename="a b.pdf"') == "a b.pdf"
    assert dev.evaluate(parse, "attachment") is None
