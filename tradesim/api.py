"""The trading system's public endpoints, as written down in docs/trading-api.yaml."""
from __future__ import annotations

import datetime as dt
import hmac
import re
import sqlite3
import time
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request

from tradesim import store

bp = Blueprint("trade_api", __name__, url_prefix="/api/v1")

TOKEN_HEADER = "X-Trade-Token"
KEY_HEADER = "Idempotency-Key"
DEPOSIT_STATUSES = ("未交存", "部分交存", "已交清", "已注销")
MAX_MATCH_ITEMS = 500
MAX_PUSH_ITEMS = 500
BATCH_ENDPOINT = "trade_api.push_deposit_statuses"

_USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")
_KEY_RE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_AMOUNT_RE = re.compile(r"^\d{1,12}(\.\d{1,2})?$")


class ApiError(Exception):
    """An error answered as ``{"error": {"code", "message", "details"}}`` with an HTTP status."""

    def __init__(self, status: int, code: str, message: str, details: list[dict] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or []


def error_response(status: int, code: str, message: str, details: list[dict] | None = None) -> Response:
    response = jsonify({"error": {"code": code, "message": message, "details": details or []}})
    response.status_code = status
    return response


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> Response:
    return error_response(exc.status, exc.code, exc.message, exc.details)


def conn() -> sqlite3.Connection:
    if "db" not in g:
        g.db = store.connect(current_app.config["TRADESIM_DB"])
    return g.db


@bp.before_request
def _faults_and_auth() -> Response | None:
    faults = current_app.extensions["tradesim_faults"]
    if request.endpoint == BATCH_ENDPOINT:
        # A batch is delayed as one request but fails item by item (see push_deposit_statuses).
        delay = faults.delay()
        if delay:
            time.sleep(delay)
        return _check_token()
    decision = faults.decide()
    if decision.delay_seconds:
        time.sleep(decision.delay_seconds)
    refused = _check_token()
    if refused is not None:
        return refused
    if decision.fail_before:
        return error_response(500, "injected_failure", "交易系统内部错误（模拟）")
    g.fail_after = decision.fail_after
    return None


def _check_token() -> Response | None:
    given = request.headers.get(TOKEN_HEADER, "")
    if not hmac.compare_digest(given.encode(), current_app.config["TRADESIM_TOKEN"].encode()):
        return error_response(401, "unauthorized", "令牌无效或缺失")
    return None


@bp.after_request
def _fail_after(response: Response) -> Response:
    if g.get("fail_after") and response.status_code < 500:
        return error_response(500, "injected_failure", "交易系统内部错误（模拟）")
    return response


@bp.get("/developers/<uscc>/projects")
def list_projects(uscc: str) -> Response:
    if not _USCC_RE.match(uscc):
        raise ApiError(400, "invalid_request", "统一社会信用代码格式不正确",
                       [{"field": "uscc", "reason": "须为18位代码"}])
    query = (request.args.get("q") or "").strip() or None
    items = store.list_projects(conn(), uscc, query)
    return jsonify({"items": items, "total": len(items)})


@bp.get("/projects/<project_id>/houses")
def project_houses(project_id: str) -> Response:
    project = store.get_project(conn(), project_id)
    owner = request.args.get("developer_uscc")
    if project is None or (owner and owner != project["developer_uscc"]):
        raise ApiError(404, "project_not_found", "项目不存在")
    buildings = store.project_buildings(conn(), project_id)
    project["building_count"] = len(buildings)
    project["house_count"] = sum(len(b["houses"]) for b in buildings)
    return jsonify({"project": project, "buildings": buildings})


@bp.post("/contracts/match")
def match_contracts() -> Response:
    body = _json_object()
    items = body.get("items")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_MATCH_ITEMS:
        raise ApiError(400, "invalid_request", "items 须为1至500项的列表",
                       [{"field": "items", "reason": "1..500 items"}])
    developer = body.get("developer_uscc")
    results = [_match_one(i, item, developer) for i, item in enumerate(items)]
    return jsonify({"results": results})


def _match_one(index: int, item: Any, developer: str | None) -> dict[str, Any]:
    """Match one item; without a house code the contract's own house is returned when it matches."""
    required = ("owner_name", "id_number", "contract_no")
    values = ({f: str(item.get(f) or "").strip() for f in (*required, "house_code")}
              if isinstance(item, dict) else {})
    house_code = values.get("house_code", "")
    result = {"index": index, "house_code": house_code or None,
              "contract_no": values.get("contract_no", ""), "matched": False, "house_address": None}
    if not values or not all(values[f] for f in required):
        return result | {"reason_code": "invalid_item", "reason": "业主姓名、证件号码、合同号均须填写"}
    if house_code:
        house = store.find_house(conn(), house_code)
        if house is None or (developer and house["developer_uscc"] != developer):
            return result | {"reason_code": "house_not_found", "reason": "交易系统中没有该房屋"}
    contract = store.find_contract(conn(), values["contract_no"])
    if contract is None or (developer and contract["developer_uscc"] != developer):
        return result | {"reason_code": "contract_not_found", "reason": "交易系统中没有该合同号"}
    if house_code and contract["house_code"] != house_code:
        return result | {"reason_code": "contract_house_mismatch", "reason": "该合同号不属于此房屋"}
    id_number = values["id_number"].upper()
    if not any(b["name"] == values["owner_name"] and b["id_number"].upper() == id_number
               for b in contract["buyers"]):
        return result | {"reason_code": "owner_mismatch", "reason": "业主姓名或证件号码与合同买受人不符"}
    return result | {"matched": True, "house_code": contract["house_code"],
                     "house_address": contract["house_address"], "reason_code": None, "reason": None}


@bp.post("/deposit-statuses")
def push_deposit_status() -> Response:
    key = _idempotency_key(request.headers.get(KEY_HEADER, ""), KEY_HEADER)
    body = _deposit_body(_json_object())
    existing = store.find_push(conn(), key)
    if existing is not None:
        return _receipt(*_replay(existing, key, body))
    _check_house(body)
    push, created = store.store_push(conn(), key, body, _now())
    if not created:
        return _receipt(*_replay(push, key, body))
    return _receipt(push, duplicate=False, status=201)


@bp.post("/deposit-statuses/batch")
def push_deposit_statuses() -> Response:
    """Many pushes in one request, each with its own key and its own result, stored together.

    Each item is judged exactly as ``push_deposit_status`` would judge it alone; injected faults
    (``fail_next``/``fail_all``) hit items, so a failed item is one push to resend, not the batch.
    """
    items = _json_object().get("items")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_PUSH_ITEMS:
        raise ApiError(400, "invalid_request", "items 须为1至500项的列表",
                       [{"field": "items", "reason": "1..500 items"}])
    faults = current_app.extensions["tradesim_faults"]
    results: list[dict[str, Any]] = [{} for _ in items]
    to_store: list[tuple[int, str, dict[str, Any], bool]] = []
    for index, item in enumerate(items):
        key = item.get("idempotency_key") if isinstance(item, dict) else None
        try:
            key = _idempotency_key(key, "idempotency_key")
            push = item.get("push") if isinstance(item, dict) else None
            body = _deposit_body(push if isinstance(push, dict) else {})
            decision = faults.decide()
            if decision.fail_before:
                raise ApiError(500, "injected_failure", "交易系统内部错误（模拟）")
            existing = store.find_push(conn(), key)
            if existing is not None:
                results[index] = _item(index, key, *_replay(existing, key, body))
                continue
            _check_house(body)
            to_store.append((index, key, body, decision.fail_after))
        except ApiError as exc:
            results[index] = _item_error(index, key, exc)
    stored = store.store_pushes(conn(), [(k, b) for _i, k, b, _f in to_store], _now())
    for (index, key, body, fail_after), (push, created) in zip(to_store, stored):
        try:
            if fail_after:
                raise ApiError(500, "injected_failure", "交易系统内部错误（模拟）")
            results[index] = (_item(index, key, push, duplicate=False, status=201) if created
                              else _item(index, key, *_replay(push, key, body)))
        except ApiError as exc:
            results[index] = _item_error(index, key, exc)
    return jsonify({"results": results})


def _idempotency_key(key: Any, field: str) -> str:
    if not isinstance(key, str) or not _KEY_RE.match(key):
        raise ApiError(400, "invalid_request", "缺少或无效的幂等键",
                       [{"field": field, "reason": "1-64 chars [A-Za-z0-9._:-]"}])
    return key


def _check_house(body: dict[str, Any]) -> None:
    house = store.find_house(conn(), body["house_code"])
    if house is None:
        raise ApiError(404, "house_not_found", "交易系统中没有该房屋")
    if body["contract_no"] is not None and body["contract_no"] != house["contract_no"]:
        raise ApiError(422, "contract_mismatch", "合同号与该房屋的合同不符")


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")


def _replay(push: dict[str, Any], key: str, body: dict[str, Any]) -> tuple[dict[str, Any], bool, int]:
    if push["body_hash"] != store.body_hash(body):
        raise ApiError(409, "idempotency_conflict", "同一幂等键已用于内容不同的推送")
    store.record_replay(conn(), key)
    return push, True, 200


def _receipt_body(push: dict[str, Any], duplicate: bool) -> dict[str, Any]:
    return {"push_id": push["push_id"], "idempotency_key": push["idempotency_key"],
            "house_code": push["house_code"], "received_at": push["received_at"],
            "applied": bool(push["applied"]), "duplicate": duplicate}


def _receipt(push: dict[str, Any], duplicate: bool, status: int) -> Response:
    response = jsonify(_receipt_body(push, duplicate))
    response.status_code = status
    return response


def _item(index: int, key: str, push: dict[str, Any], duplicate: bool,
          status: int) -> dict[str, Any]:
    return {"index": index, "idempotency_key": key, "status": status,
            "receipt": _receipt_body(push, duplicate), "error": None}


def _item_error(index: int, key: Any, exc: ApiError) -> dict[str, Any]:
    return {"index": index, "idempotency_key": key if isinstance(key, str) else None,
            "status": exc.status, "receipt": None,
            "error": {"code": exc.code, "message": exc.message, "details": exc.details}}


@bp.get("/houses/<house_code>/deposit-status")
def get_deposit_status(house_code: str) -> Response:
    status = store.deposit_status(conn(), house_code)
    if status is None:
        raise ApiError(404, "deposit_status_not_found", "尚未收到该房屋的维修资金交存信息")
    return jsonify(status)


def _json_object() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_request", "请求体须为 JSON 对象")
    return body


def _deposit_body(raw: dict[str, Any]) -> dict[str, Any]:
    """Validate a push body; return it normalised (amounts with 2 places, time in UTC)."""
    problems: list[dict[str, str]] = []
    house_code = raw.get("house_code")
    if not isinstance(house_code, str) or not house_code.strip():
        problems.append({"field": "house_code", "reason": "必填"})
    contract_no = raw.get("contract_no")
    if contract_no is not None and (not isinstance(contract_no, str) or not contract_no.strip()):
        problems.append({"field": "contract_no", "reason": "须为非空字符串或 null"})
    amounts = {f: _amount(raw.get(f), f, problems) for f in ("amount_due", "amount_paid")}
    if raw.get("status") not in DEPOSIT_STATUSES:
        problems.append({"field": "status", "reason": "须为 " + "/".join(DEPOSIT_STATUSES)})
    occurred_at = _timestamp(raw.get("occurred_at"), problems)
    if problems:
        raise ApiError(400, "invalid_request", "推送内容不完整或格式错误", problems)
    return {"house_code": house_code.strip(), "contract_no": contract_no.strip() if contract_no else None,
            **amounts, "status": raw["status"], "occurred_at": occurred_at}


def _amount(value: Any, field: str, problems: list[dict[str, str]]) -> str:
    if not isinstance(value, str) or not _AMOUNT_RE.match(value):
        problems.append({"field": field, "reason": "须为不超过两位小数的非负金额字符串"})
        return ""
    try:
        return str(Decimal(value).quantize(Decimal("0.01")))
    except InvalidOperation:
        problems.append({"field": field, "reason": "金额无效"})
        return ""


def _timestamp(value: Any, problems: list[dict[str, str]]) -> str:
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        problems.append({"field": "occurred_at", "reason": "须为带时区的 ISO 8601 时间"})
        return ""
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="microseconds")
