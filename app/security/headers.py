"""Security headers on every response: a Content-Security-Policy, framing, referrer and HSTS.

The pages load nothing from outside, so everything is limited to the platform's own origin.
Scripts run only from our static files or as inline blocks carrying this request's nonce (FAB's
templates already print ``csp_nonce()`` when it exists); inline event handlers are not allowed, so
confirmations use ``data-jm-confirm`` (app/static/js/confirm.js). Inline styles stay allowed: the
print views and FAB's widgets use them, and a style cannot run code.
"""
from __future__ import annotations

import secrets

from flask import Flask, current_app, g
from werkzeug.wrappers import Response

HSTS = "max-age=31536000; includeSubDomains"


def csp_nonce() -> str:
    """This request's script nonce (one per request, unguessable)."""
    nonce = g.get("_jm_csp_nonce")
    if nonce is None:
        nonce = g._jm_csp_nonce = secrets.token_urlsafe(18)
    return nonce


def content_security_policy(nonce: str) -> str:
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ])


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(csp_nonce()))
    headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def install(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.after_request(add_security_headers)
