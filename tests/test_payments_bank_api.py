"""POST /api/v1/bank/confirm: HMAC signature, time window, idempotency, JSON errors."""
from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import func, select

from app.api.bank import sign, verify
from app.domain.localtime import local_today
from app.models.ledger import LedgerEntry
from app.models.payment import NOTICE_PAID, Notice
from app.services.payments import issue_building_notices, reissue_notice

URL = "/api/v1/bank/confirm"
SECRET = "test-bank-secret"  # TestConfig.BANK_HMAC_SECRET


def post(client: Any, body: dict[str, Any], *, secret: str = SECRET, timestamp: str | None = None,
         signature: str | None = None) -> Any:
    raw = json.dumps(body).encode()
    stamp = timestamp if timestamp is not None else str(int(time.time()))
    headers = {"X-Bank-Timestamp": stamp,
               "X-Bank-Signature": signature if signature is not None else sign(secret, stamp, raw),
               "Content-Type": "application/json"}
    return client.post(URL, data=raw, headers=headers)


def payment(notice: Notice, serial: str = "BOC-0001", **changes: Any) -> dict[str, Any]:
    body = {"notice_number": notice.number, "bank_serial": serial, "channel": "qiaodu",
            "paid_on": local_today().isoformat(), "amount": f"{notice.total:.2f}"}
    body.update(changes)
    return body


def _notice(session, demo) -> Notice:
    return issue_building_notices(session, demo.area_a, [demo.building_a.id], user_id=None).notices[0]


def test_a_signed_confirmation_pays_once(anon_client, session, demo):
    notice = _notice(session, demo)
    first = post(anon_client, payment(notice))
    assert first.status_code == 200, first.get_json()
    assert first.get_json() == {"notice_number": notice.number, "status": NOTICE_PAID,
                                "bank_serial": "BOC-0001", "amount": f"{notice.total:.2f}",
                                "paid_on": local_today().isoformat(), "replayed": False}
    again = post(anon_client, payment(notice))
    assert again.status_code == 200 and again.get_json()["replayed"] is True
    other_serial = post(anon_client, payment(notice, "BOC-0002"))
    assert other_serial.status_code == 409
    assert session.scalar(select(func.count(LedgerEntry.id))) == len(notice.lines)


def test_signature_and_timestamp_are_checked(anon_client, session, demo):
    notice = _notice(session, demo)
    body = payment(notice)
    assert post(anon_client, body, secret="wrong").status_code == 401
    assert post(anon_client, body, signature="").status_code == 401
    old = str(int(time.time()) - 3600)
    assert post(anon_client, body, timestamp=old).status_code == 401
    assert post(anon_client, body, timestamp="soon").status_code == 401
    # A body changed after signing fails, even with the original signature.
    raw = json.dumps(body).encode()
    stamp = str(int(time.time()))
    tampered = json.dumps({**body, "amount": "1.00"}).encode()
    response = anon_client.post(URL, data=tampered, headers={
        "X-Bank-Timestamp": stamp, "X-Bank-Signature": sign(SECRET, stamp, raw),
        "Content-Type": "application/json"})
    assert response.status_code == 401
    assert response.get_json()["message"]
    assert session.scalar(select(func.count(LedgerEntry.id))) == 0


def test_errors_are_json_with_problems(anon_client, session, demo):
    notice = _notice(session, demo)
    wrong_amount = post(anon_client, payment(notice, amount="1.00"))
    assert wrong_amount.status_code == 422
    assert wrong_amount.get_json()["problems"][0]["field"] == "amount"
    typo = notice.number[:-1] + ("1" if notice.number[-1] != "1" else "2")
    assert post(anon_client, payment(notice, notice_number=typo)).status_code == 422
    from app.domain.numbering import notice_number

    unknown = post(anon_client, payment(notice, notice_number=notice_number(local_today(), 999_999)))
    assert unknown.status_code == 404
    reissue_notice(session, notice, user_id=None)
    void = post(anon_client, payment(notice))
    assert void.status_code == 409 and void.get_json()["message"]
    not_json = anon_client.post(URL, data=b"[1]", headers={
        "X-Bank-Timestamp": str(int(time.time())),
        "X-Bank-Signature": sign(SECRET, str(int(time.time())), b"[1]")})
    assert not_json.status_code == 400
    assert session.scalar(select(func.count(LedgerEntry.id))) == 0


def test_without_a_secret_the_endpoint_is_closed(app, anon_client, session, demo):
    notice = _notice(session, demo)
    app.config["BANK_HMAC_SECRET"] = ""
    try:
        assert post(anon_client, payment(notice)).status_code == 503
    finally:
        app.config["BANK_HMAC_SECRET"] = SECRET


def test_verify_accepts_exactly_the_signed_text():
    body = b'{"a": 1}'
    config = {"BANK_HMAC_SECRET": "s", "BANK_SIGNATURE_WINDOW": 60}
    stamp = "1767225600"
    verify(config, {"X-Bank-Timestamp": stamp, "X-Bank-Signature": sign("s", stamp, body)}, body,
           now=1767225630)
    import pytest

    from app.api.bank import BadSignature, StaleRequest

    with pytest.raises(StaleRequest):
        verify(config, {"X-Bank-Timestamp": stamp, "X-Bank-Signature": sign("s", stamp, body)}, body,
               now=1767225700)
    with pytest.raises(BadSignature):
        verify(config, {"X-Bank-Timestamp": stamp, "X-Bank-Signature": sign("s", "1767225601", body)},
               body, now=1767225630)
