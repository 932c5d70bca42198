"""Security headers: CSP with a per-request nonce on every inline script, no inline handlers,
framing and referrer limits, HSTS only behind HTTPS (SESSION_COOKIE_SECURE)."""
from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from tests.conftest import build_test_app, login

#: Pages of each kind: lists, show pages, forms, FAB's screens, the login page, Swagger UI.
PAGES = {
    "admin": ["/", "/users/list/", "/users/add", "/roles/list/", "/swagger/v1", "/fund/standards/list/",
              "/resetmypassword/form", "/fund/locked-accounts/"],
    "dev_a": ["/", "/property/houses/list/", "/property/buildings/list/", "/org/users/", "/org/users/add",
              "/org/info/", "/payments/batch/", "/notices/list/", "/order-form/collect"],
    None: ["/login/", "/register/"],
}
SCRIPT = re.compile(r"<script\b([^>]*)>", re.I)
INLINE_HANDLER = re.compile(r"<[a-z][^>]*\s(on[a-z]+)\s*=", re.I)


def _nonce(policy: str) -> str:
    match = re.search(r"script-src [^;]*'nonce-([^']+)'", policy)
    assert match, policy
    return match.group(1)


def _inline_scripts_without_the_nonce(html: str, nonce: str) -> list[str]:
    bad = []
    for attrs in SCRIPT.findall(html):
        if "src=" in attrs or 'type="application/json"' in attrs:
            continue
        if f'nonce="{nonce}"' not in attrs:
            bad.append(attrs)
    return bad


@pytest.mark.parametrize("username", list(PAGES))
def test_every_inline_script_carries_the_nonce_and_no_inline_handlers(app: Flask, username: Any) -> None:
    client = login(app.test_client(), username) if username else app.test_client()
    for url in PAGES[username]:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        policy = response.headers["Content-Security-Policy"]
        nonce = _nonce(policy)
        html = response.get_data(as_text=True)
        assert not _inline_scripts_without_the_nonce(html, nonce), url
        assert not INLINE_HANDLER.findall(html), (url, INLINE_HANDLER.findall(html))
        assert "javascript:" not in html, url
        assert re.findall(r'(?:src|href)="(https?:)?//', html) == [], url  # nothing from outside


def test_the_policy_and_the_other_headers(anon_client: Any) -> None:
    first, second = anon_client.get("/login/"), anon_client.get("/login/")
    policy = first.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "object-src 'none'" in policy
    assert "frame-ancestors 'self'" in policy and "'unsafe-inline'" not in policy.split("style-src")[0]
    assert _nonce(policy) != _nonce(second.headers["Content-Security-Policy"])
    assert first.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert first.headers["Referrer-Policy"] == "same-origin"
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in first.headers
    assert "Content-Security-Policy" in anon_client.get("/api/v1/house/").headers  # JSON answers too


def test_hsts_when_the_session_cookie_is_secure(app: Flask) -> None:
    secure = build_test_app(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                            UPLOAD_FOLDER=app.config["UPLOAD_FOLDER"], SESSION_COOKIE_SECURE=True)
    response = secure.test_client().get("/login/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    with secure.app_context():
        from app.extensions import db

        db.session.remove()
        db.engine.dispose()
