"""退款管理 and 我的退款 screens: queue, filters, the refund page, approve / reject / payout by POST
with CSRF, errors named by their labels, printing, and the developer's tenant-filtered view."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from app.domain.localtime import local_today
from app.models.ledger import ENTRY_REFUND, LedgerEntry
from app.models.payment import REFUND_APPROVED, REFUND_PAID, REFUND_PENDING, REFUND_REJECTED, Refund
from app.services import refunds
from tests.refunds_support import cancelled_with_refunds
from tests.test_security_csrf import csrf_app, logged_in, token_of  # noqa: F401

TODAY = local_today().isoformat()


def _status(session, refund_id: int) -> str:
    session.expire_all()
    return session.get(Refund, refund_id).status


def test_queue_lists_and_filters_refunds(officer_client, session, demo):
    a, b = cancelled_with_refunds(session, demo, ["1234.56", "7.00"])
    refunds.approve(session, b.id, demo.users["officer"])
    page = officer_client.get("/refunds/").get_data(as_text=True)
    assert refunds.refund_number(a) in page and refunds.refund_number(b) in page
    assert "1,234.56" in page and demo.org_a.name in page and demo.area_a.name in page
    page = officer_client.get(f"/refunds/?status={REFUND_APPROVED}").get_data(as_text=True)
    assert refunds.refund_number(b) in page and refunds.refund_number(a) not in page
    page = officer_client.get(f"/refunds/?area_id={demo.area_b.id}").get_data(as_text=True)
    assert refunds.refund_number(a) not in page and "没有符合条件的退款" in page
    page = officer_client.get(f"/refunds/?org_id={demo.org_a.id}&status=nonsense").get_data(as_text=True)
    assert refunds.refund_number(a) in page and refunds.refund_number(b) in page


def test_refund_page_shows_house_money_account_and_source(officer_client, session, demo):
    refund = cancelled_with_refunds(session, demo, ["1234.56"])[0]
    response = officer_client.get(f"/refunds/{refund.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for text in (refund.house.code, "1,234.56", "6216610200001234567", "中国银行江门分行",
                 refund.order.number, "jm-refund-approve", "jm-refund-reject", 'name="csrf_token"'):
        assert text in page, text
    assert "jm-refund-pay-form" not in page  # a payout needs the approval first


def test_approve_reject_and_payout_by_post(officer_client, session, demo):
    a, b = cancelled_with_refunds(session, demo, ["100.00", "50.00"])
    assert officer_client.get(f"/refunds/{a.id}/approve").status_code == 405
    response = officer_client.post(f"/refunds/{a.id}/approve",
                                   data={"opinion": "同意", "version": str(a.version)})
    assert response.status_code == 302 and _status(session, a.id) == REFUND_APPROVED
    page = officer_client.get(f"/refunds/{a.id}").get_data(as_text=True)
    assert "jm-refund-pay-form" in page and "同意" in page

    # Errors are named by the field's label, shown at the field, and nothing is stored.
    response = officer_client.post(f"/refunds/{a.id}/pay",
                                   data={"payout_serial": "", "payout_date": "2999-01-01"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "退款银行流水号" in page and "退款日期: 退款日期不能晚于今天。" in page
    assert 'data-field="payout_date"' in page and _status(session, a.id) == REFUND_APPROVED

    response = officer_client.post(f"/refunds/{a.id}/pay",
                                   data={"payout_serial": "BK20261130001", "payout_date": TODAY})
    assert response.status_code == 302 and _status(session, a.id) == REFUND_PAID
    assert session.scalar(select(func.sum(LedgerEntry.amount)).where(
        LedgerEntry.kind == ENTRY_REFUND, LedgerEntry.refund_id == a.id)) == Decimal("-100.00")
    page = officer_client.get(f"/refunds/{a.id}").get_data(as_text=True)
    assert "BK20261130001" in page and "已登记支付" in page and "jm-refund-pay-form" not in page

    response = officer_client.post(f"/refunds/{b.id}/reject", data={"opinion": ""})
    assert response.status_code == 422
    assert "意见: " in response.get_data(as_text=True)
    assert _status(session, b.id) == REFUND_PENDING
    response = officer_client.post(f"/refunds/{b.id}/reject", data={"opinion": "账户不符"})
    assert response.status_code == 302 and _status(session, b.id) == REFUND_REJECTED


def test_stale_version_is_refused_with_a_message(officer_client, session, demo):
    refund = cancelled_with_refunds(session, demo, ["10.00"])[0]
    response = officer_client.post(f"/refunds/{refund.id}/approve",
                                   data={"version": str(refund.version + 1)})
    assert response.status_code == 409
    assert "刷新" in response.get_data(as_text=True)
    assert _status(session, refund.id) == REFUND_PENDING


def test_commands_need_the_csrf_token(csrf_app, session, demo):  # noqa: F811
    refund = cancelled_with_refunds(session, demo, ["10.00"])[0]
    client = logged_in(csrf_app, "officer")
    assert client.post(f"/refunds/{refund.id}/approve", data={}).status_code == 400
    assert _status(session, refund.id) == REFUND_PENDING
    token = token_of(client, f"/refunds/{refund.id}")
    assert client.post(f"/refunds/{refund.id}/approve", data={"csrf_token": token}).status_code == 302
    assert _status(session, refund.id) == REFUND_APPROVED


def test_refund_form_prints(officer_client, dev_a_client, session, demo):
    refund = cancelled_with_refunds(session, demo, ["1234.56"])[0]
    html = officer_client.get(f"/refunds/{refund.id}/print.html").get_data(as_text=True)
    assert refunds.refund_number(refund) in html and "6216610200001234567" in html
    assert "1,234.56" in html and refund.house.code in html
    pdf = dev_a_client.get(f"/my-refunds/{refund.id}/print.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    assert officer_client.get(f"/refunds/{refund.id}/print.doc").status_code == 404


def test_developer_sees_own_refunds_and_states_only(dev_a_client, dev_b_client, session, demo):
    refund = cancelled_with_refunds(session, demo, ["88.00"])[0]
    refunds.approve(session, refund.id, demo.users["officer"])
    page = dev_a_client.get("/my-refunds/").get_data(as_text=True)
    assert refunds.refund_number(refund) in page and "已审核，待支付" in page
    page = dev_a_client.get(f"/my-refunds/{refund.id}").get_data(as_text=True)
    assert "88.00" in page and "jm-refund-decide-form" not in page and "jm-refund-pay-form" not in page
    house_page = dev_a_client.get(f"/property/houses/show/{refund.house_id}").get_data(as_text=True)
    assert "jm-house-refunds" in house_page and f"/my-refunds/{refund.id}" in house_page
    assert refunds.refund_number(refund) not in dev_b_client.get("/my-refunds/").get_data(as_text=True)
    for url in (f"/my-refunds/{refund.id}", f"/my-refunds/{refund.id}/print.html"):
        assert dev_b_client.get(url).status_code == 404
    # The office's queue and commands are not the developer's.
    assert dev_a_client.get("/refunds/").status_code == 403
    assert dev_a_client.post(f"/refunds/{refund.id}/pay",
                             data={"payout_serial": "X1", "payout_date": TODAY}).status_code == 403
    assert _status(session, refund.id) == REFUND_APPROVED


def test_menus(officer_client, dev_a_client):
    assert "/refunds/" in officer_client.get("/refunds/").get_data(as_text=True)
    assert "退款管理" in officer_client.get("/").get_data(as_text=True)
    home = dev_a_client.get("/").get_data(as_text=True)
    assert "我的退款" in home and "退款管理" not in home
