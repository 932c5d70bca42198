"""Test-only admin endpoints: failure injection and read-back of received pushes.

They exist only when ``TRADESIM_ADMIN_TOKEN`` is set and answer 404 otherwise, so a simulator
started for a demo without that token cannot be switched into failure modes by anyone.
"""
from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request

from tradesim import store
from tradesim.api import conn, error_response

bp = Blueprint("trade_admin", __name__, url_prefix="/_admin")

ADMIN_HEADER = "X-Admin-Token"


@bp.before_request
def _admin_only() -> Response | None:
    expected = current_app.config.get("TRADESIM_ADMIN_TOKEN") or ""
    if not expected:
        abort(404)
    if not hmac.compare_digest(request.headers.get(ADMIN_HEADER, "").encode(), expected.encode()):
        return error_response(401, "unauthorized", "管理令牌无效或缺失")
    return None


def _faults():
    return current_app.extensions["tradesim_faults"]


@bp.get("/faults")
def get_faults() -> Response:
    return jsonify(_faults().snapshot())


@bp.put("/faults")
def set_faults() -> Response:
    body: Any = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error_response(400, "invalid_request", "请求体须为 JSON 对象")
    try:
        state = _faults().update(
            delay_seconds=_opt(body, "delay_seconds", (int, float)),
            fail_next=_opt(body, "fail_next", int),
            fail_all=_opt(body, "fail_all", bool),
            fail_mode=_opt(body, "fail_mode", str),
        )
    except (TypeError, ValueError) as exc:
        return error_response(400, "invalid_request", str(exc))
    return jsonify(state)


@bp.delete("/faults")
def reset_faults() -> Response:
    return jsonify(_faults().reset())


@bp.get("/pushes")
def list_pushes() -> Response:
    items = store.list_pushes(conn(), house_code=request.args.get("house_code"),
                              key=request.args.get("idempotency_key"))
    return jsonify({"items": items, "total": len(items)})


@bp.delete("/pushes")
def clear_pushes() -> Response:
    store.clear_pushes(conn())
    return jsonify({"items": [], "total": 0})


def _opt(body: dict[str, Any], field: str, kind: type | tuple[type, ...]) -> Any:
    """Return ``body[field]`` if present, checked against ``kind`` (bools are not numbers here)."""
    if field not in body:
        return None
    value = body[field]
    if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
        raise TypeError(f"{field} has the wrong type")
    return value
