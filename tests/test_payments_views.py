"""Payment screens per role, their JSON calls, printing, and the Bank Teller screen."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from app.domain.localtime import local_today
from app.models.audit import AuditLog
from app.models.ledger import LedgerEntry
from app.models.payment import NOTICE_PAID, NOTICE_UNPAID, NOTICE_VOID, Notice
from app.models.property import House, Owner
from app.services.payments import issue_building_notices
from tests.reports_support import pay, refund

PAGES = ["/payments/batch/", "/payments/owners/", "/payments/custom/", "/notices/list/",
         "/contracts/", "/bank/"]


def allowed(client: Any, url: str) -> bool:
    response = client.get(url)
    if response.status_code == 200:
        return True
    assert response.status_code in (302, 401, 403, 404), (url, response.status_code)
    return False


@pytest.mark.parametrize("username, expected", [
    ("dev_a", {"/payments/batch/", "/payments/owners/", "/payments/custom/", "/notices/list/",
               "/contracts/"}),
    ("dev_a_staff", {"/payments/batch/", "/payments/owners/", "/payments/custom/", "/notices/list/",
                     "/contracts/"}),
    ("officer", {"/notices/list/", "/bank/"}),
    ("teller", {"/bank/"}),
])
def test_each_role_reaches_exactly_its_pages(client_for, username, expected):
    client = client_for(username)
    assert {url for url in PAGES if allowed(client, url)} == expected


def test_visitors_are_sent_to_the_login(anon_client):
    for url in PAGES:
        response = anon_client.get(url)
        assert response.status_code in (302, 401), url
    assert anon_client.get("/picker/area/1/buildings").status_code == 401


def test_batch_preview_issue_and_print(dev_a_client, session, demo):
    body = {"area_id": demo.area_a.id, "building_ids": [demo.building_a.id]}
    preview = dev_a_client.post("/payments/batch/preview", json=body).get_json()
    building = preview["buildings"][0]
    assert building["houses"] == 72 and len(building["without_contract"]) == 72
    answer = dev_a_client.post("/payments/batch/issue", json=body).get_json()
    number = answer["notices"][0]["number"]
    html = dev_a_client.get(answer["print_url"] + "?format=html").get_data(as_text=True)
    assert number in html and "陆拾柒万" in html  # the total in Chinese capitals
    pdf = dev_a_client.get(answer["print_url"])
    assert pdf.status_code == 200 and pdf.data[:4] == b"%PDF"
    notice = session.scalar(select(Notice).where(Notice.number == number))
    show = dev_a_client.get(f"/notices/show/{notice.id}").get_data(as_text=True)
    assert number in show and "jm-reissue" in show


def test_domain_errors_come_back_as_json(dev_a_client, demo):
    response = dev_a_client.post("/payments/batch/issue",
                                 json={"area_id": demo.area_a.id, "building_ids": []})
    assert response.status_code == 422
    assert response.get_json()["message"]
    response = dev_a_client.post("/payments/owners/issue",
                                 json={"area_id": demo.area_a.id, "house_ids": [demo.house_a.id]})
    assert response.status_code == 422
    reasons = str(response.get_json()["problems"])
    assert "业主" in reasons or "owner" in reasons


def test_owner_editing_validates_every_field(dev_a_client, session, demo):
    url = f"/payments/owners/house/{demo.house_a.id}"
    bad = dev_a_client.post(url, json={"owners": [{"name": "", "id_type": "01",
                                                   "id_no": "110105194912310021", "phone": "12"}]})
    assert bad.status_code == 422
    assert {p["field"] for p in bad.get_json()["problems"]} == {"name", "id_no", "phone"}
    good = dev_a_client.post(url, json={"owners": [
        {"name": "张三", "id_type": "01", "id_no": "11010519491231002x", "phone": "13800138000"},
        {"name": "李四", "id_type": "02", "id_no": "E12345678", "phone": "0750-3501234"}]})
    assert good.status_code == 200, good.get_json()
    session.expire_all()
    owners = session.scalars(select(Owner).where(Owner.house_id == demo.house_a.id)
                             .order_by(Owner.seq)).all()
    assert [(o.name, o.id_no) for o in owners] == [("张三", "11010519491231002X"), ("李四", "E12345678")]
    assert session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "house.owners")) == 1
    answer = dev_a_client.post("/payments/owners/issue",
                               json={"area_id": demo.area_a.id, "house_ids": [demo.house_a.id]})
    assert answer.status_code == 200
    notice = session.scalar(select(Notice).where(Notice.number == answer.get_json()["notices"][0]["number"]))
    assert [p["name"] for p in notice.payers] == ["张三", "李四"]


def test_custom_renew_export_import_issue(dev_a_client, session, demo):
    from io import BytesIO

    import openpyxl

    houses = session.scalars(select(House).where(House.building_id == demo.building_a.id)
                             .order_by(House.id).limit(3)).all()
    ids = [h.id for h in houses]
    pay(session, houses, ["5000.00"] * 3)
    for house in houses:
        refund(session, house, "4000.00", status="paid")
    export = dev_a_client.post("/payments/custom/export", json={"area_id": demo.area_a.id, "house_ids": ids})
    assert export.status_code == 200 and export.data[:2] == b"PK"
    book = openpyxl.load_workbook(BytesIO(export.data))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    assert header[0] == "房屋编号" and header[-1] == "续筹金额"
    # Proposed: back to the first deposit.
    assert [sheet.cell(row=r, column=len(header)).value for r in range(2, 5)] == [4000] * 3
    for row in range(2, 5):
        sheet.cell(row=row, column=len(header), value="1,000.50")
    filled = BytesIO()
    book.save(filled)
    imported = dev_a_client.post("/payments/custom/import", data={
        "area_id": str(demo.area_a.id), "file": (BytesIO(filled.getvalue()), "renew.xlsx")},
        content_type="multipart/form-data")
    assert imported.status_code == 200, imported.get_json()
    amounts = imported.get_json()["amounts"]
    assert set(amounts.values()) == {"1000.50"}
    issued = dev_a_client.post("/payments/custom/issue", json={
        "area_id": demo.area_a.id, "payment_type": "renew", "house_ids": ids, "amounts": amounts})
    assert issued.status_code == 200, issued.get_json()
    assert issued.get_json()["notices"][0]["total"] == "3001.50"


def test_reissue_and_void_from_the_notice_page(dev_a_client, session, demo):
    notice = issue_building_notices(session, demo.area_a, [demo.building_a.id], user_id=None).notices[0]
    answer = dev_a_client.post(f"/payments/notice/{notice.id}/reissue").get_json()
    session.refresh(notice)
    assert notice.status == NOTICE_VOID and answer["notices"][0]["number"] != notice.number
    fresh = session.scalar(select(Notice).where(Notice.number == answer["notices"][0]["number"]))
    assert dev_a_client.post(f"/payments/notice/{fresh.id}/void", json={"reason": "test"}).status_code == 200
    again = dev_a_client.post(f"/payments/notice/{fresh.id}/void")
    assert again.status_code == 409


def test_officer_sees_notices_but_cannot_issue_or_reissue(officer_client, session, demo):
    notice = issue_building_notices(session, demo.area_a, [demo.building_a.id], user_id=None).notices[0]
    assert notice.number in officer_client.get("/notices/list/").get_data(as_text=True)
    response = officer_client.post("/payments/batch/issue",
                                   json={"area_id": demo.area_a.id, "building_ids": [demo.building_a.id]})
    assert response.status_code in (401, 403)
    assert officer_client.post(f"/payments/notice/{notice.id}/reissue").status_code in (401, 403)
    assert officer_client.get(f"/notices/print/{notice.id}?format=html").status_code == 200


def test_teller_looks_up_and_confirms(teller_client, session, demo):
    notice = issue_building_notices(session, demo.area_a, [demo.building_a.id], user_id=None).notices[0]
    number, total = notice.number, notice.total
    typo = number[:-1] + ("1" if number[-1] != "1" else "2")
    page = teller_client.get(f"/bank/?number={typo}")
    assert page.status_code == 422
    assert "校验" in page.get_data(as_text=True)
    page = teller_client.get(f"/bank/?number={number}").get_data(as_text=True)
    assert "jm-confirm-form" in page and f"{total:,.2f}" in page
    form = {"number": number, "bank_serial": "CCB-001", "channel": "bank",
            "paid_on": local_today().isoformat(), "amount": str(total - Decimal("1"))}
    wrong = teller_client.post("/bank/confirm", data=form)
    text = wrong.get_data(as_text=True)
    assert wrong.status_code == 422 and ("不一致" in text or "differs" in text)
    form["amount"] = str(total)
    done = teller_client.post("/bank/confirm", data=form)
    assert done.status_code == 302
    twice = teller_client.post("/bank/confirm", data=form, follow_redirects=True)
    text = twice.get_data(as_text=True)
    assert "未重复入账" in text or "nothing was counted twice" in text
    session.expire_all()
    assert session.scalar(select(Notice.status).where(Notice.number == number)) == NOTICE_PAID
    assert session.scalar(select(func.count(LedgerEntry.id))) == 72
    proof = teller_client.get(f"/bank/proof/{number}?format=html").get_data(as_text=True)
    assert "CCB-001" in proof and number in proof


def test_developer_reprints_the_proof_of_a_paid_notice(dev_a_client, session, demo):
    from app.services.payments import confirm_payment

    notice = issue_building_notices(session, demo.area_a, [demo.building_a.id], user_id=None).notices[0]
    assert dev_a_client.get(f"/notices/proof/{notice.id}").status_code == 404  # unpaid: no proof
    confirm_payment(session, notice.number, "SER-9", "pos", local_today(), notice.total, None)
    html = dev_a_client.get(f"/notices/proof/{notice.id}?format=html").get_data(as_text=True)
    assert "SER-9" in html and ("补打" in html or "REPRINT" in html)
    assert session.scalar(select(Notice.status).where(Notice.id == notice.id)) == NOTICE_PAID


def test_unpaid_stays_unpaid_without_confirmation(session, demo):
    notice = issue_building_notices(session, demo.area_a, [demo.building_a.id], user_id=None).notices[0]
    assert notice.status == NOTICE_UNPAID
    assert session.scalar(select(func.count(LedgerEntry.id))) == 0


def test_batch_issue_over_owner_notices_asks_first(dev_a_client, session, demo):
    from tests.test_payments_notices import owner_notice

    house = session.scalars(select(House).where(House.building_id == demo.building_a.id)
                            .order_by(House.id)).first()
    owner = owner_notice(session, demo, house)
    body = {"area_id": demo.area_a.id, "building_ids": [demo.building_a.id]}
    preview = dev_a_client.post("/payments/batch/preview", json=body).get_json()
    assert [n["number"] for n in preview["buildings"][0]["holding"]] == [owner.number]
    asked = dev_a_client.post("/payments/batch/issue", json=body)
    assert asked.status_code == 409
    assert asked.get_json()["decision"] == "held_notices"
    assert asked.get_json()["notices"][0]["payer_name"] == "王五"
    session.expire_all()
    assert session.get(Notice, owner.id).status == NOTICE_UNPAID
    kept = dev_a_client.post("/payments/batch/issue", json={**body, "held": "keep"}).get_json()
    assert kept["voided"] == [] and len(kept["skipped"]) == 1
    bogus = dev_a_client.post("/payments/batch/issue", json={**body, "held": "whatever"})
    assert bogus.status_code == 422


def test_teller_screen_says_jiaokuan_tongzhidan(teller_client, session, demo):
    notice = issue_building_notices(session, demo.area_a, [demo.building_a.id], user_id=None).notices[0]
    for typo in (notice.number[:-1] + ("1" if notice.number[-1] != "1" else "2"), "JK12"):
        html = teller_client.get(f"/bank/?number={typo}").get_data(as_text=True)
        assert "交款通知单" in html and "缴款通知书" not in html
