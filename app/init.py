"""The start-up steps of ``create_app``, one concern each."""
from __future__ import annotations

import importlib

from flask import Flask
from flask_appbuilder import AppBuilder

from app.discovery import iter_modules
from app.domain.ids import MAX_ID, fits_integer
from app.extensions import csrf, db


def init_logging(app: Flask) -> None:
    """Parseable log lines carrying the request id and user id (README "Health and logs")."""
    from app.request_log import init_request_logging

    init_request_logging(app)


def init_extensions(app: Flask) -> None:
    importlib.import_module("app.models")  # every model must be known to the metadata

    db.init_app(app)
    csrf.init_app(app)
    from pathlib import Path

    Path(app.config["UPLOAD_FOLDER"]).mkdir(parents=True, exist_ok=True)


def init_appbuilder(app: Flask) -> None:
    """A fresh AppBuilder per app, so several apps can live in one test process."""
    from app.views import register_all

    with app.app_context():
        appbuilder = AppBuilder()
        appbuilder.init_app(app, db.session)
        register_all(appbuilder)
        _exempt_rest_apis(app, appbuilder)
    from app import i18n

    i18n.install(app)  # translations looked up once per request and language


def _exempt_rest_apis(app: Flask, appbuilder: AppBuilder) -> None:
    """JSON APIs that authenticate only with a bearer token are not exposed to CSRF.

    An API that also accepts the browser session (``allow_browser_login``) keeps the CSRF check.
    """
    from flask_appbuilder.api import BaseApi

    for view in appbuilder.baseviews:
        if (isinstance(view, BaseApi) and view.blueprint is not None
                and not getattr(view, "allow_browser_login", False)):
            csrf.exempt(view.blueprint)


def init_error_handlers(app: Flask) -> None:
    from app.views.errors import register_error_handlers

    register_error_handlers(app)


def _beyond_integer(key: str, value: object) -> bool:
    if isinstance(value, int):
        return not fits_integer(value)
    is_id = key in ("pk", "id") or key.endswith("_id")
    return is_id and isinstance(value, str) and value.isdigit() and int(value) > MAX_ID


def init_request_guards(app: Flask) -> None:
    """An id beyond INTEGER is simply not found (PostgreSQL would raise instead), and crafted list,
    action and API arguments are a 400/404 (app/security/request_guard.py), on every route, FAB's
    own included; and the audit rows of a request carry its client address."""
    from flask import abort, request

    from app.services.audit import RequestFacts, attach_request_facts

    @app.before_request
    def _attach_request_facts() -> None:
        attach_request_facts(db.session, RequestFacts(ip=request.remote_addr))

    from app.security import request_guard

    request_guard.install(app)

    @app.url_value_preprocessor
    def _ids_within_integer(endpoint: str | None, values: dict | None) -> None:
        if values and any(_beyond_integer(key, value) for key, value in values.items()):
            abort(404)


def init_security_headers(app: Flask) -> None:
    from app.security import headers

    headers.install(app)


def init_cli(app: Flask) -> None:
    for module in iter_modules("app.cli"):
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


def init_queue(app: Flask) -> None:
    """The background queue (``app.extensions["queue"]``): order jobs, outbox delivery and the
    nightly backup run in its consumer process, not in threads of this one (``app/queue.py``)."""
    from app.queue import init_queue as install

    install(app, lazy=True)  # huey is imported by the first use, not by every worker
