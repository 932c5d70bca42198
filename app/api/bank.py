"""Payment confirmation and its reversal (冲正) for bank systems: ``POST /api/v1/bank/confirm`` and
``POST /api/v1/bank/reversal``, signed, idempotent. Described for banks in docs/bank-api.md.

No user session or token: the bank signs each request with the shared secret BANK_HMAC_SECRET.

    X-Bank-Timestamp: 1767225600                      (Unix seconds, within BANK_SIGNATURE_WINDOW)
    X-Bank-Signature: hex(HMAC-SHA256(secret, timestamp + "." + raw body))

The timestamp is inside the signed text, so an old request cannot be replayed with a fresh
header; a repeated confirmation is harmless anyway (idempotent by bank serial number). Body:
``{"notice_number", "bank_serial", "channel": "bank"|"qiaodu"|"pos", "paid_on": "YYYY-MM-DD",
"amount": "1234.50"}``; the amount (text or JSON number) has at most two decimal places, anything
finer is refused like a wrong amount (422). Errors are JSON ``{"message", "problems"}`` with a translated message.

A reversal request ``{"reversal_serial", "notice_number", "bank_serial", "amount", "reason"}``
asks the fund office to take back the confirmation with ``bank_serial``; a fund officer approves
or rejects it. The same request again (same serial, same content) answers the reversal's current
state; the same serial with other content is refused (409).
"""
from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any, Mapping

from flask import current_app, jsonify, request
from flask_appbuilder import AppBuilder
from flask_appbuilder.api import BaseApi, expose
from flask_babel import lazy_gettext as _l

from app.domain.money import json_loads_exact
from app.errors import DomainError
from app.extensions import db
from app.models.reversal import PaymentReversal
from app.security.roles import RES_BANK
from app.services.payments.confirm import VIA_API, confirm
from app.services.payments.reversal import request_reversal
from app.views.errors import problem_response

SIGNATURE_HEADER = "X-Bank-Signature"
TIMESTAMP_HEADER = "X-Bank-Timestamp"
DEFAULT_WINDOW_SECONDS = 300
MAX_BODY = 16 * 1024


class BadSignature(DomainError):
    status = 401
    default_message = _l("The request signature is missing or wrong.")


class StaleRequest(DomainError):
    status = 401
    default_message = _l("The request timestamp is missing or too far from the server's time.")


class NotConfigured(DomainError):
    status = 503
    default_message = _l("Bank confirmation is not configured on this server.")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature a bank sends for ``body`` at ``timestamp`` (also used by tests and tools)."""
    message = timestamp.encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify(config: Mapping[str, Any], headers: Mapping[str, str], body: bytes,
           now: float | None = None) -> None:
    """Raise unless the request is signed with the shared secret within the time window."""
    secret = config.get("BANK_HMAC_SECRET") or ""
    if not secret:
        raise NotConfigured()
    timestamp = (headers.get(TIMESTAMP_HEADER) or "").strip()
    window = int(config.get("BANK_SIGNATURE_WINDOW", DEFAULT_WINDOW_SECONDS))
    if not timestamp.isdigit() or abs((now or time.time()) - int(timestamp)) > window:
        raise StaleRequest()
    given = (headers.get(SIGNATURE_HEADER) or "").strip().lower()
    if not hmac.compare_digest(given.encode("ascii", "replace"), sign(secret, timestamp, body).encode()):
        raise BadSignature()


class BankApi(BaseApi):
    resource_name = "bank"
    class_permission_name = RES_BANK
    openapi_spec_tag = "Bank"

    @expose("/confirm", methods=["POST"])
    def confirm(self) -> Any:
        """Confirm that a payment notice was paid.
        ---
        post:
          summary: Confirm a payment notice (signed with HMAC-SHA256, idempotent by bank serial)
          parameters:
          - in: header
            name: X-Bank-Timestamp
            required: true
            schema: {type: string}
          - in: header
            name: X-Bank-Signature
            required: true
            schema: {type: string}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [notice_number, bank_serial, channel, paid_on, amount]
                  properties:
                    notice_number: {type: string}
                    bank_serial: {type: string}
                    channel: {type: string, enum: [bank, qiaodu, pos]}
                    paid_on: {type: string, format: date}
                    amount: {type: string}
          responses:
            200:
              description: Paid (``replayed`` is true when this serial had already confirmed it)
            401:
              description: Missing or wrong signature, or a stale timestamp
            404:
              description: No notice with this number
            409:
              description: >-
                Already paid with another serial, the serial paid another notice, or the
                notice is void
            422:
              description: Invalid input (e.g. a mistyped notice number) or an amount that differs
        """
        try:
            data = _signed_body()
            result = confirm(db.session, data.get("notice_number"), data.get("bank_serial"),
                             data.get("channel"), data.get("paid_on"), data.get("amount"),
                             None, via=VIA_API)
        except DomainError as error:
            return problem_response(error)
        notice = result.notice
        return jsonify({"notice_number": notice.number, "status": notice.status,
                        "bank_serial": notice.bank_serial, "amount": f"{notice.total:.2f}",
                        "paid_on": notice.paid_on.isoformat() if notice.paid_on else None,
                        "replayed": result.replayed}), 200

    @expose("/reversal", methods=["POST"])
    def reversal(self) -> Any:
        """Ask for the reversal (冲正) of a confirmed payment.
        ---
        post:
          summary: Request a reversal (signed with HMAC-SHA256, idempotent by reversal serial)
          parameters:
          - in: header
            name: X-Bank-Timestamp
            required: true
            schema: {type: string}
          - in: header
            name: X-Bank-Signature
            required: true
            schema: {type: string}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [reversal_serial, notice_number, bank_serial, amount, reason]
                  properties:
                    reversal_serial: {type: string}
                    notice_number: {type: string}
                    bank_serial: {type: string}
                    amount: {type: string}
                    reason: {type: string}
          responses:
            200:
              description: >-
                The reversal and its state, pending until a fund officer approves or rejects
                it (``replayed`` is true when this serial had already asked for it)
            401:
              description: Missing or wrong signature, or a stale timestamp
            404:
              description: No notice with this number
            409:
              description: >-
                The notice is not paid, a reversal of it is already pending, or the serial was
                used for a different request
            422:
              description: Invalid input, or a bank serial or amount that is not the payment's
        """
        try:
            data = _signed_body()
            result = request_reversal(db.session, data.get("notice_number"), data.get("bank_serial"),
                                      data.get("reason"), None, via=VIA_API,
                                      serial=data.get("reversal_serial"), amount=data.get("amount"))
        except DomainError as error:
            return problem_response(error)
        return jsonify({**reversal_json(result.reversal), "replayed": result.replayed}), 200


def reversal_json(reversal: PaymentReversal) -> dict[str, Any]:
    """What a bank learns of a reversal: its state and the payment it takes back."""
    return {"reversal_serial": reversal.serial, "notice_number": reversal.notice.number,
            "bank_serial": reversal.bank_serial, "amount": f"{reversal.amount:.2f}",
            "reason": reversal.reason, "status": reversal.status,
            "decided_at": reversal.decided_at.isoformat() if reversal.decided_at else None}


def _signed_body() -> dict[str, Any]:
    """The request's JSON object, once its signature and timestamp are checked."""
    if (request.content_length or 0) > MAX_BODY:
        raise BadSignature()
    body = request.get_data(cache=False)
    verify(current_app.config, request.headers, body)
    return _decode(body)


def _decode(body: bytes) -> dict[str, Any]:
    try:
        # Numbers stay Decimal: "amount": 7201.801 must be refused, not rounded through float.
        data = json_loads_exact(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise DomainError(_l("The request body must be a JSON object.")) from exc
    if not isinstance(data, dict):
        raise DomainError(_l("The request body must be a JSON object."))
    return data


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_api(BankApi)
