"""The trading system asks a house's deposit status: ``GET /api/v1/trade/houses/<code>/deposit-status``.

No user: the trading system sends the shared token TRADE_INBOUND_TOKEN in ``X-Platform-Token``
(compared in constant time). Without a configured token the endpoint answers 503, so an
installation never runs it open. Answers the contract's DepositStatus (docs/trading-api.yaml,
``webhooks.platformDepositStatus``) or 404 for an unknown house code.
"""
from __future__ import annotations

import hmac
from typing import Any

from flask import current_app, jsonify, request
from flask_appbuilder import AppBuilder
from flask_appbuilder.api import BaseApi, expose

from app.extensions import db
from app.services.deposit_status import deposit_status

TOKEN_HEADER = "X-Platform-Token"


def _error(status: int, code: str, message: str) -> Any:
    return jsonify({"error": {"code": code, "message": message, "details": []}}), status


class TradeInboundApi(BaseApi):
    resource_name = "trade"
    openapi_spec_tag = "Trading system"

    @expose("/houses/<string:house_code>/deposit-status", methods=["GET"])
    def house_deposit_status(self, house_code: str) -> Any:
        """The deposit status of a house, by its trading-system house code.
        ---
        get:
          parameters:
          - in: path
            name: house_code
            required: true
            schema: {type: string}
          - in: header
            name: X-Platform-Token
            required: true
            schema: {type: string}
          responses:
            200:
              description: DepositStatus (house_code, contract_no, amount_due, amount_paid, status)
            401:
              description: Token missing or wrong
            404:
              description: No house has this code
            503:
              description: No token configured on the platform
        """
        expected = current_app.config.get("TRADE_INBOUND_TOKEN") or ""
        if not expected:
            return _error(503, "not_configured", "The platform has no token for the trading system.")
        given = request.headers.get(TOKEN_HEADER, "")
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return _error(401, "unauthorized", "The platform token is missing or wrong.")
        status = deposit_status(db.session, house_code)
        if status is None:
            return _error(404, "not_found", "No house has this trading-system house code.")
        return jsonify(status)


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_api(TradeInboundApi)
