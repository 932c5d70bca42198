"""The start-up steps of ``create_app``, one concern each."""
from __future__ import annotations

import importlib
import pkgutil
from typing import Iterator

from flask import Flask
from flask_appbuilder import AppBuilder

from app.extensions import csrf, db, migrate


def iter_modules(package_name: str) -> Iterator[object]:
    """Import every module of a package, in name order, so new modules register themselves."""
    package = importlib.import_module(package_name)
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            yield importlib.import_module(f"{package_name}.{info.name}")


def init_extensions(app: Flask) -> None:
    importlib.import_module("app.models")  # every model must be known to the metadata

    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
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


_INT_MAX = 2**31 - 1


def _beyond_integer(key: str, value: object) -> bool:
    if isinstance(value, int):
        return not -_INT_MAX <= value <= _INT_MAX
    is_id = key in ("pk", "id") or key.endswith("_id")
    return is_id and isinstance(value, str) and value.isdigit() and int(value) > _INT_MAX


def init_request_guards(app: Flask) -> None:
    """An id beyond INTEGER is simply not found (PostgreSQL would raise instead), and crafted list,
    action and API arguments are a 400/404 (app/security/request_guard.py), on every route, FAB's
    own included."""
    from flask import abort

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


def init_background(app: Flask) -> None:
    if not app.config.get("TRADE_BACKGROUND_DELIVERY") or app.config.get("TESTING"):
        return
    import os

    # Only the serving process (not `flask db upgrade` etc.) runs the deliverer.
    if os.environ.get("JM_SERVING") != "1":
        return
    from app.services.outbox import start_background_deliverer

    start_background_deliverer(app, app.config["TRADE_DELIVERY_INTERVAL"])
