"""Logs a collector can parse: one line per record, each with the request id and the user id.

``LOG_FORMAT=keyvalue`` (default) writes logfmt (``ts=… level=INFO request_id=… user_id=7 msg="…"``),
``LOG_FORMAT=json`` one JSON object per line. Every request gets an id (the caller's
``X-Request-ID`` when it is a plain token, else a new one), echoed in the response header, and one
access line (method, path, status, duration).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import re
import time
import uuid
from typing import Any

from flask import Flask, Response, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
_INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}\Z")
#: Extra record attributes written when present (the access line sets them).
EXTRA_KEYS = ("method", "path", "status", "duration_ms")
_BARE = re.compile(r"^[^\s\"=]+\Z")
access_log = logging.getLogger("app.access")


def _user_id() -> str:
    # Flask-Login keeps the loaded user in g; reading it here never queries the database.
    user = g.get("_login_user")
    user_id = getattr(user, "id", None)
    return str(user_id) if user_id is not None else "-"


class RequestContextFilter(logging.Filter):
    """Adds ``request_id`` and ``user_id`` to every record ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = g.get("request_id", "-")
            record.user_id = _user_id()
        else:
            record.request_id = getattr(record, "request_id", "-")
            record.user_id = getattr(record, "user_id", "-")
        return True


def record_fields(record: logging.LogRecord, formatter: logging.Formatter) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "ts": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds"),
        "level": record.levelname, "logger": record.name,
        "request_id": getattr(record, "request_id", "-"), "user_id": getattr(record, "user_id", "-"),
    }
    fields.update({key: getattr(record, key) for key in EXTRA_KEYS if hasattr(record, key)})
    fields["msg"] = record.getMessage()
    if record.exc_info:
        fields["exc"] = formatter.formatException(record.exc_info)
    return fields


def _logfmt_value(value: Any) -> str:
    text = str(value)
    return text if _BARE.match(text) else json.dumps(text, ensure_ascii=False)


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{key}={_logfmt_value(value)}"
                        for key, value in record_fields(record, self).items())


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(record_fields(record, self), ensure_ascii=False, default=str)


def make_formatter(kind: str) -> logging.Formatter:
    return JsonFormatter() if kind == "json" else KeyValueFormatter()


def configure_handler(handler: logging.Handler, kind: str) -> logging.Handler:
    handler.setFormatter(make_formatter(kind))
    if not any(isinstance(f, RequestContextFilter) for f in handler.filters):
        handler.addFilter(RequestContextFilter())
    return handler


def _start_request() -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if _INCOMING_ID.match(incoming) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _finish_request(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = g.get("request_id", "-")
    started = g.get("request_started")
    duration = round((time.perf_counter() - started) * 1000, 1) if started else None
    access_log.info("%s %s %s", request.method, request.path, response.status_code,
                    extra={"method": request.method, "path": request.path,
                           "status": response.status_code, "duration_ms": duration})
    return response


def init_request_logging(app: Flask) -> None:
    """One stream handler on the root logger in the configured format, and the request hooks."""
    root = logging.getLogger()
    root.setLevel(app.config.get("LOG_LEVEL", logging.INFO))
    ours = [h for h in root.handlers if getattr(h, "jm_platform", False)]
    if not ours:
        handler = logging.StreamHandler()
        handler.jm_platform = True  # type: ignore[attr-defined] - marks the handler as ours
        root.addHandler(handler)
        ours = [handler]
    for handler in ours:
        configure_handler(handler, app.config.get("LOG_FORMAT", "keyvalue"))
    # Access lines stay on whatever level another library sets the root to (Alembic: WARN).
    access_log.setLevel(logging.INFO)
    app.before_request(_start_request)
    app.after_request(_finish_request)
