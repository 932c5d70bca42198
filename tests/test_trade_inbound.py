"""The trading system asks a house's deposit status by its trading code (token-protected)."""
from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from sqlalchemy import select

from tests.conftest import build_test_app
from tests.reports_support import pay
from tests.test_trading_contract import REGISTRY

SCHEMA = "urn:trading-api#/webhooks/platformDepositStatus/get/responses/200/content/application~1json/schema"
URL = "/api/v1/trade/houses/{}/deposit-status"


def _client(app: Any, token: str = "inbound-secret") -> Any:
    served = build_test_app(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                            UPLOAD_FOLDER=app.config["UPLOAD_FOLDER"], TRADE_INBOUND_TOKEN=token)
    return served.test_client()


def test_status_answers_the_contract_shape_with_ledger_figures(app: Any, session: Any, demo: Any) -> None:
    from app.models.property import House

    house = session.scalar(select(House).where(House.org_id == demo.org_a.id,
                                               House.trade_house_code.is_not(None)).order_by(House.id))
    pay(session, [house], ["10.00"])
    answer = _client(app).get(URL.format(house.trade_house_code),
                              headers={"X-Platform-Token": "inbound-secret"})
    assert answer.status_code == 200
    body = answer.get_json()
    errors = list(Draft202012Validator({"$ref": SCHEMA}, registry=REGISTRY).iter_errors(body))
    assert not errors, [e.message for e in errors]
    assert (body["amount_paid"], body["status"]) == ("10.00", "部分交存")
    assert body["amount_due"] == f"{house.amount_due:.2f}"


def test_token_is_required_and_unknown_codes_are_not_found(app: Any, demo: Any, session: Any) -> None:
    from app.models.property import House

    code = session.scalar(select(House.trade_house_code).where(House.trade_house_code.is_not(None)))
    client = _client(app)
    assert client.get(URL.format(code)).status_code == 401
    assert client.get(URL.format(code), headers={"X-Platform-Token": "wrong"}).status_code == 401
    missing = client.get(URL.format("NO-SUCH-HOUSE"), headers={"X-Platform-Token": "inbound-secret"})
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    unconfigured = _client(app, token="").get(URL.format(code), headers={"X-Platform-Token": ""})
    assert unconfigured.status_code == 503
