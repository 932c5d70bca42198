"""The order screens per role: developers collect and supplement, officers review; nobody reaches
another organisation's order."""
from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

import pytest
from flask import Flask, g
from openpyxl import Workbook
from sqlalchemy import func, select

from app.documents.excel.house_sheet import HOUSE_HEADERS
from app.models.order import (APPROVED, AREA_COLLECT, DRAFT, REJECTED, SUBMITTED, BusinessOrder,
                              OrderJob)
from app.models.outbox import OutboxMessage
from app.models.property import House
from tradesim.testing import SimulatorServer

AGENT = {"agent_name": "李敏", "agent_phone": "13800138001", "agent_id_type": "01",
         "agent_id_no": "11010519491231002X"}


@pytest.fixture(autouse=True)
def fresh_user_per_request(app: Flask) -> Iterator[None]:
    """The ``app`` fixture keeps one app context (and ``g``) for the whole test; forget the user
    Flask-Login cached there so each client is served as its own user, as in production."""

    def forget_cached_user() -> None:
        g.pop("_login_user", None)

    funcs = app.before_request_funcs.setdefault(None, [])
    funcs.insert(0, forget_cached_user)
    yield
    funcs.remove(forget_cached_user)


@pytest.fixture(autouse=True)
def inline_jobs(app: Flask) -> Iterator[None]:
    app.config["ORDER_JOBS_INLINE"] = True
    yield
    app.config.pop("ORDER_JOBS_INLINE", None)


@pytest.fixture()
def trade(app: Flask, sim: SimulatorServer) -> Iterator[SimulatorServer]:
    saved = {k: app.config.get(k) for k in ("TRADE_BASE_URL", "TRADE_TOKEN", "TRADE_RETRIES")}
    app.config.update(TRADE_BASE_URL=sim.url, TRADE_TOKEN=sim.token, TRADE_RETRIES=0)
    yield sim
    app.config.update(saved)


def house_sheet(rows: list[dict[str, Any]]) -> bytes:
    """An .xlsx with the template's header and the given rows (keys are header texts)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "房屋信息"
    sheet.append(list(HOUSE_HEADERS))
    for row in rows:
        sheet.append([row.get(h) for h in HOUSE_HEADERS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sheet_rows(n: int, building: str = "1幢", floors: int = 6) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        floor = 1 + i // 4
        rows.append({"楼幢名称": building, "建筑结构": "混合结构", "建成年月": "2025-06", "总层数": floors,
                     "单元": "1", "楼层": floor, "房号": f"{floor}0{1 + i % 4}",
                     "建筑面积": 90.5, "房屋用途": "住宅", "电梯": "无", "销售状态": "未售"})
    return rows


def create_collect(client: Any, name: str = "新园小区", action: str = "save") -> Any:
    form = {"area.name": name, "area.district_code": "440703", "area.address": "江门市蓬江区新园路1号",
            "deposit_time_point": "2026-03-01", "action": action, **AGENT}
    return client.post("/order-form/collect", data=form)


def order_id_from(response: Any) -> int:
    match = re.search(r"/order-form/(\d+)/edit|/orders/(\d+)", response.headers["Location"])
    assert match, response.headers.get("Location")
    return int(match.group(1) or match.group(2))


def import_sheet(client: Any, order_id: int, data: bytes) -> dict[str, Any]:
    response = client.post(f"/order-form/{order_id}/import",
                           data={"file": (io.BytesIO(data), "houses.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 202, response.get_data(as_text=True)
    job = client.get(f"/order-form/jobs/{response.get_json()['id']}").get_json()
    return job


# ---------------------------------------------------------------- developer: collection by template

def test_collect_by_template_submit_print_and_approve(app, dev_a_client, officer_client, session):
    response = create_collect(dev_a_client)
    assert response.status_code == 302
    order_id = order_id_from(response)
    page = dev_a_client.get(f"/order-form/{order_id}/edit").get_data(as_text=True)
    assert "新园小区" in page and "jm-trade-open" in page

    job = import_sheet(dev_a_client, order_id, house_sheet(sheet_rows(10)))
    assert job["state"] == "done", job
    order = session.get(BusinessOrder, order_id)
    assert sum(1 for line in order.lines if line.target == "house") == 10

    response = dev_a_client.post(f"/orders/{order_id}/submit", data={})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(BusinessOrder, order_id).status == SUBMITTED
    shown = dev_a_client.get(f"/orders/{order_id}?submitted=1").get_data(as_text=True)
    assert "jm-print-now" in shown
    form_html = dev_a_client.get(f"/orders/{order_id}/print/application.html")
    assert form_html.status_code == 200 and "新园小区" in form_html.get_data(as_text=True)
    accounts = dev_a_client.get(f"/orders/{order_id}/print/accounts.html").get_data(as_text=True)
    assert "4,525.00" in accounts  # 10 × 90.5 m² × 50 yuan/m² (住宅, no lift)

    queue = officer_client.get("/review/").get_data(as_text=True)
    assert order.number in queue
    review = officer_client.get(f"/review/{order_id}").get_data(as_text=True)
    assert "jm-papers-checked" in review and "jm-lines-table" in review
    officer_client.post(f"/review/{order_id}/accept", data={"opinion": "材料齐全"})
    session.expire_all()
    assert session.get(BusinessOrder, order_id).status == SUBMITTED  # papers not confirmed
    officer_client.post(f"/review/{order_id}/accept", data={"papers_checked": "1"})
    officer_client.post(f"/review/{order_id}/approve", data={"opinion": "同意"})
    session.expire_all()
    order = session.get(BusinessOrder, order_id)
    assert order.status == APPROVED
    houses = session.scalars(select(House).where(House.opened_by_order_id == order_id)).all()
    assert len(houses) == 10 and all(h.amount_due == Decimal("4525.00") for h in houses)
    accounts = dev_a_client.get(f"/orders/{order_id}/print/accounts.html").get_data(as_text=True)
    assert houses[0].code in accounts


def test_bad_sheet_is_refused_with_rows_and_a_marked_copy(dev_a_client, session):
    order_id = order_id_from(create_collect(dev_a_client))
    rows = sheet_rows(3)
    rows[1]["建筑面积"] = "abc"
    job = import_sheet(dev_a_client, order_id, house_sheet(rows))
    assert job["state"] == "failed"
    assert any(p.get("row") == 3 for p in job["problems"]), job["problems"]
    marked = dev_a_client.get(f"/order-form/jobs/{job['id']}/marked.xlsx")
    assert marked.status_code == 200 and marked.data[:2] == b"PK"
    assert session.get(BusinessOrder, order_id).lines == []


def test_houses_already_in_the_order_are_refused_by_row(dev_a_client, session):
    order_id = order_id_from(create_collect(dev_a_client))
    assert import_sheet(dev_a_client, order_id, house_sheet(sheet_rows(4)))["state"] == "done"
    again = import_sheet(dev_a_client, order_id, house_sheet(sheet_rows(2)))
    assert again["state"] == "failed"
    assert [p["row"] for p in again["problems"]] == [2, 3]
    # the building line is not counted: the first house is 序号 1 of the houses table, as shown
    assert re.search(r"\b1\b", again["problems"][0]["reason"]), again["problems"][0]
    assert re.search(r"\b2\b", again["problems"][1]["reason"]), again["problems"][1]


# ---------------------------------------------------------------- developer: 接口获取

def test_trade_projects_and_fetch_fill_the_order(dev_a_client, session, trade):
    listing = dev_a_client.get("/order-form/trade-projects").get_json()
    ids = [p["project_id"] for p in listing["items"]]
    assert ids == ["P44070301", "P44070302", "P44070303"]
    assert listing["items"][0]["collected_as"]  # the demo area was collected from it
    order_id = order_id_from(create_collect(dev_a_client, name=""))
    response = dev_a_client.post(f"/order-form/{order_id}/fetch", json={"project_ids": ["P44070303"]})
    assert response.status_code == 202, response.get_data(as_text=True)
    job = dev_a_client.get(f"/order-form/jobs/{response.get_json()['id']}").get_json()
    assert job["state"] == "done", job
    order = session.get(BusinessOrder, order_id)
    houses = [line for line in order.lines if line.target == "house"]
    assert len(houses) == 50 and all(h.after["source"] == "trade" for h in houses)
    assert order.payload["area"]["name"] == "华信·商业中心"  # prefilled from the project
    assert order.payload["trade_project_ids"] == ["P44070303"]


def test_fetched_houses_are_pushed_to_the_outbox_on_approval(dev_a_client, officer_client, session,
                                                           trade):
    order_id = order_id_from(create_collect(dev_a_client, name="商业中心"))
    job_id = dev_a_client.post(f"/order-form/{order_id}/fetch",
                               json={"project_ids": ["P44070303"]}).get_json()["id"]
    assert session.get(OrderJob, job_id).state == "done"
    dev_a_client.post(f"/orders/{order_id}/submit")
    officer_client.post(f"/review/{order_id}/accept", data={"papers_checked": "1"})
    officer_client.post(f"/review/{order_id}/approve")
    session.expire_all()
    assert session.get(BusinessOrder, order_id).status == APPROVED
    pushes = session.scalar(select(func.count(OutboxMessage.id)).join(
        House, House.id == OutboxMessage.house_id).where(House.opened_by_order_id == order_id))
    assert pushes == 50


def test_trading_system_down_gives_a_clear_message(app, dev_a_client, monkeypatch):
    monkeypatch.setitem(app.config, "TRADE_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setitem(app.config, "TRADE_RETRIES", 0)
    response = dev_a_client.get("/order-form/trade-projects")
    assert response.status_code == 503
    assert response.get_json()["message"]


# ---------------------------------------------------------------- developer: supplement

def test_supplement_adds_houses_to_an_existing_area(dev_a_client, officer_client, session, demo):
    area = demo.area_a
    form = {"area_id": str(area.id), "deposit_time_point": "2026-04-01", "action": "save", **AGENT}
    order_id = order_id_from(dev_a_client.post("/order-form/supplement", data=form))
    job = import_sheet(dev_a_client, order_id, house_sheet(sheet_rows(4, building="9栋")))
    assert job["state"] == "done", job
    dev_a_client.post(f"/orders/{order_id}/submit")
    officer_client.post(f"/review/{order_id}/accept", data={"papers_checked": "1"})
    officer_client.post(f"/review/{order_id}/approve")
    session.expire_all()
    houses = session.scalars(select(House).where(House.opened_by_order_id == order_id)).all()
    assert len(houses) == 4 and {h.area_id for h in houses} == {area.id}
    assert all(str(h.deposit_time_point) == "2026-04-01" for h in houses)


def test_supplement_refuses_houses_already_in_the_area(dev_a_client, session, demo):
    existing = demo.house_a
    form = {"area_id": str(demo.area_a.id), "deposit_time_point": "2026-04-01", "action": "save",
            **AGENT}
    order_id = order_id_from(dev_a_client.post("/order-form/supplement", data=form))
    row = sheet_rows(1)[0]
    row.update({"楼幢名称": existing.building.name, "单元": existing.unit, "楼层": existing.floor,
                "房号": existing.room})
    job = import_sheet(dev_a_client, order_id, house_sheet([row]))
    assert job["state"] == "failed" and job["problems"][0]["row"] == 2


def test_supplement_cannot_use_another_organisations_area(dev_a_client, demo, session):
    form = {"area_id": str(demo.area_b.id), "deposit_time_point": "2026-04-01", "action": "save",
            **AGENT}
    response = dev_a_client.post("/order-form/supplement", data=form)
    assert response.status_code == 422
    assert session.scalar(select(func.count(BusinessOrder.id))) == 0


# ---------------------------------------------------------------- rejection, withdrawal, lists

def test_rejected_order_shows_the_opinion_and_can_be_resubmitted(dev_a_client, officer_client,
                                                                 session):
    order_id = order_id_from(create_collect(dev_a_client))
    import_sheet(dev_a_client, order_id, house_sheet(sheet_rows(2)))
    dev_a_client.post(f"/orders/{order_id}/submit")
    officer_client.post(f"/review/{order_id}/reject", data={"opinion": "请补充测绘报告"})
    session.expire_all()
    assert session.get(BusinessOrder, order_id).status == REJECTED
    listing = dev_a_client.get("/orders/").get_data(as_text=True)
    assert "请补充测绘报告" in listing
    edit = dev_a_client.get(f"/order-form/{order_id}/edit").get_data(as_text=True)
    assert "jm-rejected-opinion" in edit
    response = create_form_update(dev_a_client, order_id, action="submit")
    assert response.status_code == 302
    session.expire_all()
    assert session.get(BusinessOrder, order_id).status == SUBMITTED


def create_form_update(client: Any, order_id: int, action: str) -> Any:
    form = {"area.name": "新园小区", "area.district_code": "440703", "area.address": "新地址",
            "deposit_time_point": "2026-03-01", "action": action, **AGENT}
    return client.post(f"/order-form/{order_id}/edit", data=form)


def test_withdraw_from_the_order_page(dev_a_client, session):
    order_id = order_id_from(create_collect(dev_a_client))
    import_sheet(dev_a_client, order_id, house_sheet(sheet_rows(1)))
    dev_a_client.post(f"/orders/{order_id}/submit")
    dev_a_client.post(f"/orders/{order_id}/withdraw")
    session.expire_all()
    assert session.get(BusinessOrder, order_id).status == "withdrawn"


def test_refused_save_and_submit_stores_nothing_and_keeps_the_typed_values(dev_a_client, session):
    before = session.query(BusinessOrder).count()
    response = create_collect(dev_a_client, action="submit")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert session.query(BusinessOrder).count() == before  # no half order
    assert 'id="jm-form-errors"' in page
    assert "新园小区" in page



def test_invalid_fields_are_shown_at_the_field(dev_a_client, session):
    form = {"area.name": "x", "area.district_code": "440703", "area.address": "y",
            "action": "save", **AGENT, "agent_phone": "123"}
    response = dev_a_client.post("/order-form/collect", data=form)
    assert response.status_code == 422
    assert 'data-field="agent_phone"' in response.get_data(as_text=True)


def test_attachments_upload_download_and_remove(dev_a_client, dev_b_client, session):
    order_id = order_id_from(create_collect(dev_a_client))
    pdf = b"%PDF-1.4\n%test\n"
    dev_a_client.post(f"/order-form/{order_id}/attachments",
                      data={"kind": "survey_report", "file": (io.BytesIO(pdf), "测绘报告.pdf")},
                      content_type="multipart/form-data")
    order = session.get(BusinessOrder, order_id)
    from app.models.order import Attachment

    att = session.scalar(select(Attachment).where(Attachment.order_id == order_id))
    assert att is not None and att.original_name == "测绘报告.pdf"
    assert dev_a_client.get(f"/attachments/{att.id}").data == pdf
    assert dev_b_client.get(f"/attachments/{att.id}").status_code == 404
    dev_a_client.post(f"/order-form/{order_id}/attachments/{att.id}/delete")
    assert session.scalar(select(func.count(Attachment.id))
                          .where(Attachment.order_id == order.id)) == 0


def test_remove_lines(dev_a_client, session):
    order_id = order_id_from(create_collect(dev_a_client))
    import_sheet(dev_a_client, order_id, house_sheet(sheet_rows(5)))
    lines = session.get(BusinessOrder, order_id).lines
    houses = [line.seq for line in lines if line.target == "house"]
    dev_a_client.post(f"/order-form/{order_id}/lines/remove", data={"seq": [str(houses[0])]})
    session.expire_all()
    assert sum(1 for line in session.get(BusinessOrder, order_id).lines if line.target == "house") == 4
    dev_a_client.post(f"/order-form/{order_id}/lines/remove", data={"all": "1"})
    session.expire_all()
    assert session.get(BusinessOrder, order_id).lines == []


def test_review_queue_filters(dev_a_client, officer_client, demo):
    order_id = order_id_from(create_collect(dev_a_client))
    import_sheet(dev_a_client, order_id, house_sheet(sheet_rows(1)))
    dev_a_client.post(f"/orders/{order_id}/submit")
    own = officer_client.get(f"/review/?org_id={demo.org_a.id}&type={AREA_COLLECT}").get_data(as_text=True)
    other = officer_client.get(f"/review/?org_id={demo.org_b.id}").get_data(as_text=True)
    number = re.search(r"CJ\d{13}", own).group(0)
    assert number not in other
    assert number not in officer_client.get("/review/?status=approved").get_data(as_text=True)
    assert number in officer_client.get("/review/?date_from=2000-01-01").get_data(as_text=True)
    assert number not in officer_client.get("/review/?date_to=2000-01-01").get_data(as_text=True)


# ---------------------------------------------------------------- roles and tenants

def test_roles_reach_only_their_screens(dev_a_client, dev_a_staff_client, teller_client,
                                        officer_client):
    assert dev_a_client.get("/review/").status_code in (302, 403)
    assert teller_client.get("/orders/").status_code in (302, 403)
    assert teller_client.get("/review/").status_code in (302, 403)
    assert officer_client.get("/order-form/collect").status_code in (302, 403)
    assert dev_a_staff_client.get("/order-form/collect").status_code == 200
    menu = dev_a_client.get("/orders/").get_data(as_text=True)
    assert "/order-form/collect" in menu


def test_other_organisations_get_404_on_every_order_route(dev_a_client, dev_b_client, session,
                                                          app):
    order_id = order_id_from(create_collect(dev_a_client))
    import_sheet(dev_a_client, order_id, house_sheet(sheet_rows(2)))
    job_id = session.scalar(select(OrderJob.id).where(OrderJob.order_id == order_id))
    gets = [f"/orders/{order_id}", f"/orders/{order_id}/print/application.html",
            f"/orders/{order_id}/print/accounts.pdf", f"/order-form/{order_id}/edit",
            f"/order-form/jobs/{job_id}", f"/order-form/jobs/{job_id}/marked.xlsx"]
    posts = [f"/orders/{order_id}/submit", f"/orders/{order_id}/withdraw",
             f"/order-form/{order_id}/edit", f"/order-form/{order_id}/lines/remove",
             f"/order-form/{order_id}/attachments", f"/order-form/{order_id}/attachments/1/delete",
             f"/order-form/{order_id}/import", f"/order-form/{order_id}/fetch"]
    for url in gets:
        assert dev_b_client.get(url).status_code == 404, url
    for url in posts:
        assert dev_b_client.post(url, data={}).status_code == 404, url
    session.expire_all()
    assert session.get(BusinessOrder, order_id).status == DRAFT
    assert dev_a_client.get(f"/orders/{order_id}").status_code == 200
    # By number and address: a bare id ("1") could be part of any random text, a CSP nonce say.
    listing = dev_b_client.get("/orders/").get_data(as_text=True)
    number = session.get(BusinessOrder, order_id).number
    assert number not in listing and f'href="/orders/{order_id}"' not in listing


# ---------------------------------------------------------------- REST API

def test_api_creates_lists_and_submits_own_orders(app, api_headers, session, demo):
    headers = api_headers("dev_a")
    client = app.test_client()
    body = {"type": "house_supplement", "area_id": demo.area_a.id, "deposit_time_point": "2026-05-01",
            "agent": {"name": "李敏", "phone": "13800138001", "id_type": "01",
                      "id_no": "11010519491231002X"},
            "houses": [{"building": "API栋", "floor": 1, "room": "101", "building_area": "80.00",
                        "use_code": "residential", "has_lift": False, "floors": 6,
                        "structure_code": "rc"}]}
    created = client.post("/api/v1/order/", json=body, headers=headers)
    assert created.status_code == 201, created.get_data(as_text=True)
    order_id = created.get_json()["result"]["id"]
    listed = client.get("/api/v1/order/", headers=headers).get_json()
    assert order_id in [o["id"] for o in listed["result"]]
    detail = client.get(f"/api/v1/order/{order_id}", headers=headers).get_json()["result"]
    assert detail["houses"] == 1 and detail["status"] == "draft"
    submitted = client.post(f"/api/v1/order/{order_id}/submit", headers=headers)
    assert submitted.status_code == 200 and submitted.get_json()["result"]["status"] == "submitted"

    other = api_headers("dev_b")
    assert client.get(f"/api/v1/order/{order_id}", headers=other).status_code == 404
    assert client.post(f"/api/v1/order/{order_id}/withdraw", headers=other).status_code == 404
    assert order_id not in [o["id"] for o in client.get("/api/v1/order/", headers=other)
                            .get_json()["result"]]


def test_api_refuses_duplicate_houses_without_leaving_a_draft(app, api_headers, session, demo):
    house = demo.house_a
    body = {"type": "house_supplement", "area_id": demo.area_a.id, "deposit_time_point": "2026-05-01",
            "agent": {"name": "李敏", "phone": "13800138001", "id_no": "11010519491231002X"},
            "houses": [{"building": house.building.name, "unit": house.unit, "floor": house.floor,
                        "room": house.room, "building_area": "80", "use_code": "residential"}]}
    response = app.test_client().post("/api/v1/order/", json=body, headers=api_headers("dev_a"))
    assert response.status_code == 422
    assert response.get_json()["problems"][0]["field"] == "houses[0]"
    assert session.scalar(select(func.count(BusinessOrder.id))) == 0


def test_pdf_of_the_application_form(dev_a_client):
    order_id = order_id_from(create_collect(dev_a_client))
    import_sheet(dev_a_client, order_id, house_sheet(sheet_rows(3)))
    response = dev_a_client.get(f"/orders/{order_id}/print/application.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def test_lines_are_paged_and_shown_before_and_after(dev_a_client, officer_client, session, demo):
    from app.services.orders import staging

    order_id = order_id_from(create_collect(dev_a_client))
    staging.insert_lines(session, order_id, [(staging.BUILDING, staging.building_data(
        name="A座", floors=6))] + [(staging.HOUSE, staging.house_data(
            building="A座", floor=1 + i // 10, room=f"R{i:03d}", building_area="50.00",
            use_code="residential", has_lift=False, source="excel")) for i in range(120)])
    session.commit()
    page3 = dev_a_client.get(f"/orders/{order_id}?page=3").get_data(as_text=True)
    assert "R119" in page3 and "R000" not in page3 and 'data-total="120"' in page3
    buildings = officer_client.get(f"/review/{order_id}?lines=building").get_data(as_text=True)
    assert "A座" in buildings and 'data-total="1"' in buildings


def test_an_order_of_a_business_without_handler_is_still_shown(dev_a_client, officer_client,
                                                               session, demo):
    from app.models.order import OrderLine

    order = BusinessOrder(org_id=demo.org_a.id, number="BG2026010100001", type="retired_business",
                          status="submitted", area_id=demo.area_a.id, payload={})
    session.add(order)
    session.flush()
    session.add(OrderLine(order_id=order.id, seq=1, action="update", target="house",
                          target_id=demo.house_a.id, before={"room": "0101"}, after={"room": "0102"}))
    session.commit()
    shown = dev_a_client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "0101" in shown and "0102" in shown and "jm-changed" in shown
    assert officer_client.get(f"/review/{order.id}").status_code == 200
    assert "BG2026010100001" in officer_client.get("/review/").get_data(as_text=True)


# ---------------------------------------------------------------- what the QA pass found

def line_numbers(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<td class="jm-line-no">(\d+)</td>', page)]


def test_house_lines_are_numbered_from_one_with_units_and_separators(dev_a_client, officer_client,
                                                                     session):
    order_id = order_id_from(create_collect(dev_a_client))
    rows = sheet_rows(3)
    rows[0].update({"房屋总价": 1234567.8, "套内面积": 75.25})
    assert import_sheet(dev_a_client, order_id, house_sheet(rows))["state"] == "done"
    dev_a_client.post(f"/orders/{order_id}/submit")
    for page in (dev_a_client.get(f"/orders/{order_id}").get_data(as_text=True),
                 officer_client.get(f"/review/{order_id}").get_data(as_text=True)):
        assert line_numbers(page) == [1, 2, 3]  # the building is line 1 of the order, not shown here
        assert "建筑面积（㎡）" in page and "套内面积（㎡）" in page and "m²" not in page
        assert "1,234,567.80" in page and "75.25" in page
        assert "container-fluid" not in page and "body > .container" not in page
    buildings = dev_a_client.get(f"/orders/{order_id}?lines=building").get_data(as_text=True)
    assert line_numbers(buildings) == [1]


def test_line_numbers_continue_over_pages(dev_a_client, session):
    from app.services.orders import staging

    order_id = order_id_from(create_collect(dev_a_client))
    staging.insert_lines(session, order_id, [(staging.BUILDING, staging.building_data(
        name="A座", floors=6))] + [(staging.HOUSE, staging.house_data(
            building="A座", floor=1, room=f"R{i:03d}", building_area="50.00",
            use_code="residential", has_lift=False, source="excel")) for i in range(60)])
    session.commit()
    page2 = dev_a_client.get(f"/orders/{order_id}?page=2").get_data(as_text=True)
    assert line_numbers(page2) == list(range(51, 61))


def test_businesses_come_in_the_manuals_order_then_my_orders(dev_a_client):
    menu = dev_a_client.get("/").get_data(as_text=True)
    links = re.findall(r'href="(/[^"#]*)"', menu[menu.index('id="jm-menu"'):menu.index("navbar-right")])
    wanted = ["/order-form/collect", "/order-form/supplement", "/contracts/", "/orders/"]
    assert [link for link in links if link in wanted] == wanted


def test_an_attachment_needs_an_explicit_kind(dev_a_client, session):
    from app.models.order import Attachment

    order_id = order_id_from(create_collect(dev_a_client))
    form = dev_a_client.get(f"/order-form/{order_id}/edit").get_data(as_text=True)
    select_html = form[form.index('id="jm-upload-kind"'):]
    select_html = select_html[:select_html.index("</select>")]
    assert "required" in select_html and '<option value="" selected>' in select_html
    response = dev_a_client.post(f"/order-form/{order_id}/attachments",
                                 data={"file": (io.BytesIO(b"%PDF-1.4\n"), "测绘报告.pdf")},
                                 content_type="multipart/form-data", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "文件未上传。" in page and "请选择要件类型。" in page and "kind:" not in page
    assert session.scalar(select(func.count(Attachment.id))
                          .where(Attachment.order_id == order_id)) == 0


def test_small_attachments_show_a_readable_size(dev_a_client):
    order_id = order_id_from(create_collect(dev_a_client))
    dev_a_client.post(f"/order-form/{order_id}/attachments",
                      data={"kind": "survey_report",
                            "file": (io.BytesIO(b"%PDF-1.4\n" + b"x" * 391), "测绘报告.pdf")},
                      content_type="multipart/form-data")
    page = dev_a_client.get(f"/orders/{order_id}").get_data(as_text=True)
    assert '<td class="jm-attachment-size">400 B</td>' in page


def test_file_sizes() -> None:
    from app.views.orders_common import file_size

    assert [file_size(n) for n in (0, 400, 1023, 1024, 1536, 5 * 1024 * 1024 + 1)] == [
        "0 B", "400 B", "1023 B", "1.0 KB", "1.5 KB", "5.0 MB"]


def test_an_empty_or_too_large_upload_is_refused_and_leaves_no_file(app, dev_a_client, monkeypatch):
    """The route hands the upload's stream to the service, which copies it to disk (at most the
    limit and one byte) and checks its size there: nothing stays behind a refusal."""
    order_id = order_id_from(create_collect(dev_a_client))
    imports = Path(app.config["UPLOAD_FOLDER"]) / "imports"
    before = sorted(imports.glob("queued-*")) if imports.exists() else []

    def post(data: bytes) -> Any:
        return dev_a_client.post(f"/order-form/{order_id}/import",
                                 data={"file": (io.BytesIO(data), "houses.xlsx")},
                                 content_type="multipart/form-data")

    empty = post(b"")
    assert empty.status_code == 422 and empty.get_json()["problems"][0]["field"] == "file"
    monkeypatch.setitem(app.config, "IMPORT_MAX_MB", 1)
    large = post(house_sheet(sheet_rows(2)) + b"\0" * (1024 * 1024))
    assert large.status_code == 422 and "1 MB" in large.get_json()["message"]
    assert sorted(imports.glob("queued-*")) == before
    job = import_sheet(dev_a_client, order_id, house_sheet(sheet_rows(3)))
    assert job["state"] == "done", job
    assert sorted(imports.glob("queued-*")) == before
