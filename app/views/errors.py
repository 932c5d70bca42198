"""One place that turns domain errors into a flashed message (screens) or JSON (APIs)."""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, flash, jsonify, redirect, render_template, request
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from app.errors import DomainError

log = logging.getLogger(__name__)

#: Status → heading and explanation of the page a browser gets instead of werkzeug's English one.
#: A developer asking for another organisation's object gets the same 404 as for a missing one.
HTTP_ERROR_PAGES = {
    403: (_l("Access denied"), _l("Your account may not open this page.")),
    404: (_l("Page not found"), _l("The page does not exist, or your account may not open it.")),
    500: (_l("Something went wrong"), _l("The platform could not complete the request. Please try "
                                           "again later; if it happens again, tell the fund office.")),
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


MAX_FLASHED_PROBLEMS = 30  # the flash travels in the session cookie


def domain_error_html(error: DomainError, limit: int = MAX_FLASHED_PROBLEMS) -> Markup:
    """The error's message and, below it, one list of its problems, each named by its label."""
    items = Markup("").join(Markup('<li data-field="{}">{}</li>').format(p.field, str(p))
                            for p in error.problems[:limit])
    if len(error.problems) > limit:
        items += Markup("<li>… (+{})</li>").format(len(error.problems) - limit)
    html = Markup('<b class="jm-error-message">{}</b>').format(str(error.message))
    return html + (Markup('<ul class="jm-problems">{}</ul>').format(items) if items else "")


def flash_domain_error(error: DomainError) -> None:
    """Flash the error with all its problems as one message: one submit, one list."""
    flash(domain_error_html(error), "danger")


def http_error_page(error: HTTPException) -> Any:
    """The platform's own page for 403 / 404 / 500; APIs keep their usual answer."""
    status = error.code or 500
    if wants_json():
        return error
    heading, message = HTTP_ERROR_PAGES[status]
    try:
        return render_template("errors/http.html", appbuilder=current_app.appbuilder, status=status,
                               heading=heading, message=message), status
    except Exception:  # noqa: BLE001 - the error page must never fail in turn
        log.exception("error page for %s failed", status)
        return error


def register_error_handlers(app: Flask) -> None:
    for status in HTTP_ERROR_PAGES:
        app.register_error_handler(status, http_error_page)

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):  # noqa: ANN202 - Flask handler
        if wants_json():
            return jsonify(error.to_dict()), error.status
        flash_domain_error(error)
        return redirect(request.referrer or "/")
