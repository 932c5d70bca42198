"""Tenant isolation of the payment, picker, contract and bank routes.

dev_b asks for dev_a's notices, areas, buildings and houses on every new route; each answer must
be a 404 (never a 200, never dev_a's data) and nothing of dev_a's may change.
"""
from __future__ import annotations

from io import BytesIO

import pytest
from sqlalchemy import func, select

from app.domain.localtime import local_today
from app.models.audit import AuditLog
from app.models.payment import NOTICE_UNPAID, Notice
from app.models.property import Owner
from app.services.payments import confirm_payment, issue_building_notices


@pytest.fixture()
def notices(session, demo) -> tuple[Notice, Notice]:
    """An unpaid and a paid notice of dev_a."""
    unpaid = issue_building_notices(session, demo.area_a, [demo.building_a.id], user_id=None).notices[0]
    paid = issue_building_notices(session, demo.area_a, [demo.building_a.id + 1], user_id=None).notices[0]
    confirm_payment(session, paid.number, "SER-A", "bank", local_today(), paid.total, None)
    return unpaid, paid


def test_dev_b_gets_404_for_every_object_of_dev_a(dev_b_client, session, demo, notices):
    unpaid, paid = notices
    a, b, h = demo.area_a.id, demo.building_a.id, demo.house_a.id
    gets = [
        f"/notices/show/{unpaid.id}", f"/notices/print/{unpaid.id}",
        f"/notices/print/{unpaid.id}?format=html",
        f"/notices/print/{demo.building_b.id},{unpaid.id}", f"/notices/proof/{paid.id}",
        f"/notices/proof/{paid.id}?format=html", f"/picker/area/{a}/buildings",
        f"/picker/building/{b}/houses",
    ]
    for url in gets:
        response = dev_b_client.get(url)
        assert response.status_code == 404, (url, response.status_code)
    posts = [
        ("/payments/batch/preview", {"area_id": a, "building_ids": [b]}),
        ("/payments/batch/issue", {"area_id": a, "building_ids": [b]}),
        ("/payments/houses", {"area_id": a, "house_ids": [h]}),
        ("/payments/owners/issue", {"area_id": a, "house_ids": [h]}),
        (f"/payments/owners/house/{h}", {"owners": [{
            "name": "张三", "id_type": "01", "id_no": "11010519491231002X", "phone": "13800138000"}]}),
        ("/payments/custom/export", {"area_id": a, "house_ids": [h]}),
        ("/payments/custom/issue", {"area_id": a, "payment_type": "first", "house_ids": [h]}),
        (f"/payments/notice/{unpaid.id}/reissue", {}),
        (f"/payments/notice/{unpaid.id}/void", {}),
        ("/contracts/rows", {"area_id": a, "house_ids": [h]}),
        ("/contracts/export", {"area_id": a, "rows": [{"house_id": h}]}),
        ("/contracts/match", {"area_id": a, "rows": [{"house_id": h}]}),
        ("/contracts/submit", {"area_id": a, "rows": [{"house_id": h}], "agent": {}}),
    ]
    for url, body in posts:
        response = dev_b_client.post(url, json=body)
        assert response.status_code == 404, (url, response.status_code)
    for url in ("/payments/custom/import", "/contracts/import"):
        response = dev_b_client.post(url, data={"area_id": str(a), "file": (BytesIO(b"x"), "x.xlsx")},
                                     content_type="multipart/form-data")
        assert response.status_code == 404, url
    session.expire_all()
    assert session.get(Notice, unpaid.id).status == NOTICE_UNPAID
    assert session.scalar(select(func.count(Notice.id))) == 2
    assert session.scalar(select(func.count(Owner.id)).where(Owner.house_id == h)) == 0
    assert session.scalar(select(func.count(AuditLog.id)).where(AuditLog.org_id == demo.org_b.id)) == 0


def test_dev_b_lists_and_pickers_show_nothing_of_dev_a(dev_b_client, demo, notices):
    unpaid, paid = notices
    page = dev_b_client.get("/notices/list/").get_data(as_text=True)
    assert unpaid.number not in page and paid.number not in page
    for url in ("/payments/batch/", "/payments/owners/", "/payments/custom/", "/contracts/"):
        html = dev_b_client.get(url).get_data(as_text=True)
        assert demo.area_a.name not in html and demo.area_b.name in html
    # dev_a's house ids sent with dev_b's own area are dropped, never shown.
    rows = dev_b_client.post("/payments/houses", json={"area_id": demo.area_b.id,
                                                       "house_ids": [demo.house_a.id]}).get_json()
    assert rows["houses"] == []
    answer = dev_b_client.post("/payments/owners/issue", json={"area_id": demo.area_b.id,
                                                               "house_ids": [demo.house_a.id]})
    assert answer.status_code == 422 and demo.house_a.code not in answer.get_data(as_text=True)
    answer = dev_b_client.post("/payments/batch/issue", json={"area_id": demo.area_b.id,
                                                              "building_ids": [demo.building_a.id]})
    assert answer.status_code == 422 and demo.building_a.name not in answer.get_data(as_text=True)


def test_dev_b_action_on_dev_a_notice_is_refused(dev_b_client, notices):
    unpaid, _paid = notices
    response = dev_b_client.post("/notices/action_post", data={"action": "print_selected",
                                                               "rowid": [str(unpaid.id)]})
    assert response.status_code == 404
