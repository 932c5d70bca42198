"""POST /api/v1/bank/reversal: signed like the confirmation, idempotent by reversal serial."""
from __future__ import annotations

import json
import time

from sqlalchemy import func, select

from app.api.bank import sign

from app.models.payment import NOTICE_PAID, NOTICE_UNPAID
from app.models.reversal import PaymentReversal
from app.services.payments.reversal import ReversalSerialUsed, approve_reversal
from tests.reversal_support import paid_notice, second_officer
from tests.test_payments_bank_api import SECRET

URL = "/api/v1/bank/reversal"


def body(notice, serial: str = "REV-0001", **changes):
    data = {"reversal_serial": serial, "notice_number": notice.number,
            "bank_serial": notice.bank_serial, "amount": f"{notice.total:.2f}",
            "reason": "柜员误确认"}
    data.update(changes)
    return data


def reversal_post(client, data, *, secret: str = SECRET, signature: str | None = None):
    raw = json.dumps(data).encode()
    stamp = str(int(time.time()))
    return client.post(URL, data=raw, headers={
        "X-Bank-Timestamp": stamp, "Content-Type": "application/json",
        "X-Bank-Signature": signature if signature is not None else sign(secret, stamp, raw)})


def _count(session) -> int:
    return session.scalar(select(func.count(PaymentReversal.id))) or 0


def test_a_signed_request_waits_for_an_officer_and_repeats_harmlessly(app, anon_client, session, demo):
    notice = paid_notice(session, demo)
    data = body(notice)
    first = reversal_post(anon_client, data)
    assert first.status_code == 200, first.get_json()
    answer = first.get_json()
    assert answer == {"reversal_serial": "REV-0001", "notice_number": notice.number,
                      "bank_serial": "BOC-PAY-1", "amount": f"{notice.total:.2f}",
                      "reason": "柜员误确认", "status": "pending", "decided_at": None,
                      "replayed": False}
    again = reversal_post(anon_client, data)
    assert again.status_code == 200 and again.get_json() == {**answer, "replayed": True}
    assert _count(session) == 1
    session.refresh(notice)
    assert notice.status == NOTICE_PAID  # a bank asks; an officer decides

    reversal = session.scalar(select(PaymentReversal))
    assert reversal.via == "api" and reversal.requested_by_id is None
    approve_reversal(session, reversal.id, demo.users["officer"].id)
    after = reversal_post(anon_client, data)
    assert after.status_code == 200
    assert after.get_json()["status"] == "approved" and after.get_json()["replayed"] is True
    session.refresh(notice)
    assert notice.status == NOTICE_UNPAID
    assert _count(session) == 1


def test_the_same_serial_with_other_content_is_refused(anon_client, session, demo):
    notice = paid_notice(session, demo)
    assert reversal_post(anon_client, body(notice)).status_code == 200
    changed = reversal_post(anon_client, body(notice, reason="另一个原因"))
    assert changed.status_code == 409
    assert changed.get_json()["message"] == str(ReversalSerialUsed.default_message)
    other = paid_notice(session, demo, serial="BOC-PAY-9", building_offset=1)
    assert reversal_post(anon_client, body(other)).status_code == 409
    # A second request for a notice whose reversal is pending, under a new serial, is refused too.
    pending = reversal_post(anon_client, body(notice, serial="REV-0002"))
    assert pending.status_code == 409
    assert _count(session) == 1


def test_signature_and_input_are_checked(anon_client, session, demo):
    notice = paid_notice(session, demo)
    data = body(notice)
    assert reversal_post(anon_client, data, secret="wrong").status_code == 401
    assert reversal_post(anon_client, data, signature="").status_code == 401
    wrong = reversal_post(anon_client, body(notice, amount="1.00", bank_serial="BOC-OTHER"))
    assert wrong.status_code == 422
    assert {p["field"] for p in wrong.get_json()["problems"]} == {"amount", "bank_serial"}
    missing = reversal_post(anon_client, {"notice_number": notice.number})
    assert missing.status_code == 422
    assert {p["field"] for p in missing.get_json()["problems"]} == {
        "reversal_serial", "bank_serial", "reason", "amount"}
    assert _count(session) == 0


def test_an_officer_still_checks_a_bank_request(app, anon_client, session, demo):
    """The bank is the maker of its request: any fund officer may be the checker."""
    notice = paid_notice(session, demo)
    assert reversal_post(anon_client, body(notice)).status_code == 200
    checker = second_officer(app, session)
    reversal = session.scalar(select(PaymentReversal))
    assert approve_reversal(session, reversal.id, checker.id).status == "approved"
