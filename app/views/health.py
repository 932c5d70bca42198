"""``GET /health`` for load balancers and operators: no login, no data, 503 naming what failed."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from flask_appbuilder import AppBuilder

from app.extensions import db
from app.services.health import run_checks

blueprint = Blueprint("health", __name__)


@blueprint.get("/health")
def health() -> Response:
    queue = current_app.extensions.get("queue")
    config = current_app.config
    report = run_checks(db.engine, config["UPLOAD_FOLDER"], queue.state() if queue else None,
                        config["HEALTH_OUTBOX_MAX_LAG_SECONDS"],
                        config["HEALTH_QUEUE_MAX_SILENCE_SECONDS"])
    response = jsonify(report.to_dict())
    response.status_code = 200 if report.ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def register(appbuilder: AppBuilder) -> None:
    # register_all runs inside the app context of the app being built
    current_app.register_blueprint(blueprint)
