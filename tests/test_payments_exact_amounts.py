"""Money arriving as JSON is exact: no sub-cent amount is rounded, no number passes float."""
from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from app.api.bank import sign
from app.domain.money import json_loads_exact, to_exact_money
from app.models.ledger import LedgerEntry
from app.models.order import BusinessOrder
from app.models.payment import NOTICE_UNPAID, Notice
from app.models.property import House
from app.services.payments import issue_building_notices
from tests.reports_support import pay, refund
from app.services.payments.notices import local_today

URL = "/api/v1/bank/confirm"
SECRET = "test-bank-secret"  # TestConfig.BANK_HMAC_SECRET


@pytest.mark.parametrize("value, expected", [
    ("7201.80", Decimal("7201.80")), ("7201.8", Decimal("7201.80")), ("7,201", Decimal("7201.00")),
    (7201, Decimal("7201.00")), (Decimal("7201.80"), Decimal("7201.80")), ("¥7201.80元", Decimal("7201.80")),
])
def test_exact_amounts_are_accepted(value, expected):
    assert to_exact_money(value) == expected


@pytest.mark.parametrize("value", ["7201.801", "7201.800", Decimal("7201.801"), 7201.8, "abc", None,
                                   Decimal("NaN")])
def test_anything_finer_than_a_cent_or_a_float_is_refused(value):
    with pytest.raises(ValueError):
        to_exact_money(value)


def test_json_numbers_stay_decimal():
    data = json_loads_exact('{"amount": 7201.801, "n": 3, "big": 12345678901234567.89}')
    assert data == {"amount": Decimal("7201.801"), "n": 3, "big": Decimal("12345678901234567.89")}
    assert isinstance(data["amount"], Decimal)
    with pytest.raises(ValueError):
        json_loads_exact('{"amount": NaN}')


def _post_raw(client: Any, raw: bytes) -> Any:
    stamp = str(int(time.time()))
    return client.post(URL, data=raw, headers={"X-Bank-Timestamp": stamp,
                                               "X-Bank-Signature": sign(SECRET, stamp, raw),
                                               "Content-Type": "application/json"})


def _body(notice: Notice, amount_json: str) -> bytes:
    head = json.dumps({"notice_number": notice.number, "bank_serial": "BOC-9001",
                       "channel": "bank", "paid_on": local_today().isoformat()})
    return (head[:-1] + f', "amount": {amount_json}}}').encode()


@pytest.mark.parametrize("amount", ['"{total}1"', '{total}1', '"{total}0"'])
def test_the_bank_api_refuses_a_sub_cent_amount(anon_client, session, demo, amount):
    notice = issue_building_notices(session, demo.area_a, [demo.building_a.id],
                                    user_id=None).notices[0]
    response = _post_raw(anon_client, _body(notice, amount.format(total=f"{notice.total:.2f}")))
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["problems"][0]["field"] == "amount"
    session.expire_all()
    assert session.get(Notice, notice.id).status == NOTICE_UNPAID
    assert session.scalar(select(func.count(LedgerEntry.id))) == 0


def test_the_bank_api_accepts_an_exact_json_number(anon_client, session, demo):
    notice = issue_building_notices(session, demo.area_a, [demo.building_a.id],
                                    user_id=None).notices[0]
    response = _post_raw(anon_client, _body(notice, f"{notice.total:.2f}"))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["amount"] == f"{notice.total:.2f}"


def test_custom_notice_amounts_are_exact(dev_a_client, session, demo):
    ids = list(session.scalars(select(House.id).where(House.building_id == demo.building_a.id)
                               .order_by(House.id).limit(2)))
    houses = [session.get(House, i) for i in ids]
    pay(session, houses, ["5000.00", "5000.00"])  # due for 续筹: 20 % of the first deposit left
    for house in houses:
        refund(session, house, "4000.00", status="paid")
    notices_before = session.scalar(select(func.count(Notice.id)))
    refused = dev_a_client.post("/payments/custom/issue", data=json.dumps({
        "area_id": demo.area_a.id, "payment_type": "renew", "house_ids": ids,
        "amounts": {str(ids[0]): "1000.505", str(ids[1]): 10.005}}),
        content_type="application/json")
    assert refused.status_code == 422, refused.get_json()
    assert {p["field"] for p in refused.get_json()["problems"]} == {str(ids[0]), str(ids[1])}
    assert session.scalar(select(func.count(Notice.id))) == notices_before
    issued = dev_a_client.post("/payments/custom/issue", data=(
        '{"area_id": %d, "payment_type": "renew", "house_ids": [%d], "amounts": {"%d": 1000.5}}'
        % (demo.area_a.id, ids[0], ids[0])), content_type="application/json")
    assert issued.status_code == 200, issued.get_json()
    assert issued.get_json()["notices"][0]["total"] == "1000.50"


def test_the_order_api_refuses_a_sub_cent_price(app, api_headers, session, demo):
    raw = json.dumps({
        "type": "house_supplement", "area_id": demo.area_a.id, "deposit_time_point": "2026-05-01",
        "agent": {"name": "李敏", "phone": "13800138001", "id_type": "01",
                  "id_no": "11010519491231002X"},
        "houses": [{"building": "API栋", "floor": 1, "room": "101", "building_area": "80.00",
                    "use_code": "residential", "has_lift": False, "floors": 6,
                    "structure_code": "rc", "price": "PRICE"}]}).replace('"PRICE"', "1234567.891")
    before = session.scalar(select(func.count(BusinessOrder.id)))
    response = app.test_client().post("/api/v1/order/", data=raw, headers={
        **api_headers("dev_a"), "Content-Type": "application/json"})
    assert response.status_code == 422, response.get_data(as_text=True)
    assert "houses[0]" in response.get_data(as_text=True)
    assert session.scalar(select(func.count(BusinessOrder.id))) == before
