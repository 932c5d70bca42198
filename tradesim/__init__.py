"""房地产交易系统 simulator: a small Flask service with its own SQLite storage.

It implements docs/trading-api.yaml for development, demos and tests. Run it with
``python -m tradesim --port 5001``; tests build it with ``create_app`` and serve it on a loopback port.
"""
from __future__ import annotations

import os
from typing import Any, Mapping

from flask import Flask, Response, g, jsonify
from werkzeug.exceptions import HTTPException

from tradesim import store
from tradesim.faults import FaultState

DEFAULT_DB = os.path.join("instance", "tradesim.sqlite")
DEFAULT_TOKEN = "dev-trade-token"  # matches config.Config.TRADE_TOKEN


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the simulator; settings come from ``config``, then the environment, then defaults.

    Keys: ``TRADESIM_DB`` (SQLite file, created and seeded on first start), ``TRADESIM_TOKEN``
    (value expected in ``X-Trade-Token``), ``TRADESIM_ADMIN_TOKEN`` (enables /_admin when set).
    """
    from tradesim import admin, api

    app = Flask(__name__)
    app.config.update(
        TRADESIM_DB=os.environ.get("TRADESIM_DB", DEFAULT_DB),
        TRADESIM_TOKEN=os.environ.get("TRADESIM_TOKEN", DEFAULT_TOKEN),
        TRADESIM_ADMIN_TOKEN=os.environ.get("TRADESIM_ADMIN_TOKEN", ""),
    )
    app.config.update(config or {})
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["tradesim_faults"] = FaultState()
    store.initialise(app.config["TRADESIM_DB"])

    app.register_blueprint(api.bp)
    app.register_blueprint(admin.bp)

    @app.get("/health")
    def health() -> Response:
        return jsonify({"status": "ok"})

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        # Every answer of the simulator is JSON in the contract's error shape, 404 and 405 included.
        return api.error_response(exc.code or 500, exc.name.lower().replace(" ", "_"),
                                  exc.description or exc.name)

    @app.teardown_appcontext
    def close_db(_exc: BaseException | None) -> None:
        db = g.pop("db", None)
        if db is not None:
            db.close()

    return app
