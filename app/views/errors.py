"""One place that turns domain errors into a flashed message (screens) or JSON (APIs)."""
from __future__ import annotations

from flask import Flask, flash, jsonify, redirect, request

from app.errors import DomainError


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def flash_domain_error(error: DomainError) -> None:
    """Flash the error and each of its problems, as the screens show them."""
    flash(str(error.message), "danger")
    for problem in error.problems[:50]:
        flash(str(problem), "warning")
    if len(error.problems) > 50:
        flash(f"… (+{len(error.problems) - 50})", "warning")


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):  # noqa: ANN202 - Flask handler
        if wants_json():
            return jsonify(error.to_dict()), error.status
        flash_domain_error(error)
        return redirect(request.referrer or "/")
