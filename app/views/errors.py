"""One place that turns domain errors into a flashed message (screens) or JSON (APIs)."""
from __future__ import annotations

import logging
from functools import wraps
from typing import Any, Callable, TypeVar

from flask import Flask, Response, current_app, flash, jsonify, redirect, render_template, request
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from app.errors import DomainError

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

#: Status → heading and explanation of the page a browser gets instead of werkzeug's English one.
#: A developer asking for another organisation's object gets the same 404 as for a missing one.
HTTP_ERROR_PAGES = {
    400: (_l("Bad request"), _l("The request contained arguments the platform cannot use.")),
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


def problem_response(error: DomainError) -> tuple[Response, int]:
    """The one JSON answer to a domain error, for every JSON endpoint: {message, problems}, status."""
    return jsonify(error.to_dict()), error.status


def json_errors(view: F) -> F:
    """Answer a domain error raised by ``view`` with ``problem_response``, whatever it accepts.

    Only the answer: the service that raised it has already rolled its unit of work back.
    """

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except DomainError as error:
            return problem_response(error)

    return wrapper  # type: ignore[return-value]


def http_error_page(error: HTTPException) -> Any:
    """The platform's own page for 403 / 404 / 500; APIs keep their usual answer."""
    status = error.code or 500
    if wants_json():
        return error
    heading, message = HTTP_ERROR_PAGES[status]
    if error.description and error.description != type(error).description:
        message = error.description  # our own explanation (e.g. which argument was refused)
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
            return problem_response(error)
        flash_domain_error(error)
        return redirect(request.referrer or "/")
