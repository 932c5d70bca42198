"""Authentication hardening: rate limits, password rules, cookies, deactivation, FAB's own screens."""
from __future__ import annotations

from typing import Any, Callable

import pytest
from flask import Flask
from sqlalchemy import select

from tests.conftest import DEMO_PASSWORD, api_token, build_test_app, login

STRONG = "Jiangmen@2026x"


@pytest.fixture()
def limited_app(app: Flask, _database: Any) -> Flask:
    """Rate limiting on, three attempts a minute (a fresh app: fresh in-memory counters)."""
    return build_test_app(SQLALCHEMY_DATABASE_URI=_database.url, UPLOAD_FOLDER=app.config["UPLOAD_FOLDER"],
                          AUTH_RATE_LIMITED=True, RATELIMIT_ENABLED=True, AUTH_RATE_LIMIT="3 per minute")


def test_login_form_is_rate_limited(limited_app: Flask) -> None:
    client = limited_app.test_client()
    for _ in range(3):
        response = client.post("/login/", data={"username": "dev_a", "password": "Wrong@2026"})
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post("/login/", data={"username": "dev_a", "password": "Wrong@2026"}).status_code == 429
    # Even the right password waits for the window to pass.
    assert client.post("/login/", data={"username": "dev_a", "password": DEMO_PASSWORD}).status_code == 429


def test_rest_login_is_rate_limited(limited_app: Flask) -> None:
    client = limited_app.test_client()
    body = {"username": "dev_a", "password": "Wrong@2026", "provider": "db"}
    for _ in range(3):
        assert client.post("/api/v1/security/login", json=body).status_code == 401
    assert client.post("/api/v1/security/login", json=body).status_code == 429


def test_rate_limit_is_off_in_the_plain_test_config(anon_client: Any) -> None:
    for _ in range(5):
        anon_client.post("/login/", data={"username": "dev_a", "password": "Wrong@2026"})
    assert anon_client.post("/login/", data={"username": "dev_a", "password": DEMO_PASSWORD}).status_code == 302


def _add_user_form(session: Any, password: str, username: str) -> dict[str, Any]:
    from app.security.roles import ROLE_OFFICER
    from flask_appbuilder.security.sqla.models import Role

    role_id = session.scalar(select(Role.id).where(Role.name == ROLE_OFFICER))
    return {"username": username, "first_name": "测", "last_name": "试", "email": f"{username}@demo.invalid",
            "phone": "13800138123", "active": "y", "roles": [str(role_id)], "password": password,
            "conf_password": password}


@pytest.mark.parametrize("weak", ["short1!", "alllowercase", "NoDigitsOrSymbols", "12345678"])
def test_admin_user_form_enforces_password_complexity(admin_client: Any, session: Any, weak: str) -> None:
    from app.security.models import PlatformUser

    response = admin_client.post("/users/add", data=_add_user_form(session, weak, "weakling"))
    assert response.status_code == 200  # the form again, with the reason
    assert session.scalar(select(PlatformUser.id).where(PlatformUser.username == "weakling")) is None


def test_admin_user_form_accepts_a_strong_password(admin_client: Any, session: Any) -> None:
    from app.security.models import PlatformUser

    response = admin_client.post("/users/add", data=_add_user_form(session, STRONG, "strongling"))
    assert response.status_code == 302
    assert session.scalar(select(PlatformUser.id).where(PlatformUser.username == "strongling")) is not None


def test_reset_my_password_enforces_complexity(app: Flask, client_for: Callable) -> None:
    client = client_for("dev_b")
    weak = client.post("/resetmypassword/form", data={"password": "password", "conf_password": "password"})
    assert weak.status_code == 200
    login(app.test_client(), "dev_b")  # the old password still works

    strong = client.post("/resetmypassword/form", data={"password": STRONG, "conf_password": STRONG})
    assert strong.status_code == 302
    login(app.test_client(), "dev_b", STRONG)


def test_session_cookie_is_http_only_and_same_site_lax(anon_client: Any) -> None:
    response = anon_client.post("/login/", data={"username": "dev_a", "password": DEMO_PASSWORD})
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, response.headers
    assert "HttpOnly" in cookies[-1] and "SameSite=Lax" in cookies[-1]


def test_deactivated_user_loses_session_and_token(app: Flask, client_for: Callable, session: Any,
                                                  demo: Any) -> None:
    client = client_for("dev_b")
    token = api_token(app.test_client(), "dev_b")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/property/houses/list/").status_code == 200
    assert app.test_client().get("/api/v1/house/", headers=headers).status_code == 200

    demo.users["dev_b"].active = False
    session.commit()
    response = client.get("/property/houses/list/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert app.test_client().get("/api/v1/house/", headers=headers).status_code == 401
    refused = app.test_client().post("/login/", data={"username": "dev_b", "password": DEMO_PASSWORD})
    assert "/login" in refused.headers["Location"]


@pytest.mark.parametrize("url", ["/users/list/", "/roles/list/", "/groups/list/", "/permissions/list/",
                                 "/viewmenus/list/", "/permissionviews/list/", "/users/add",
                                 "/resetpassword/form"])
def test_developer_admin_cannot_see_fab_security_screens(dev_a_client: Any, url: str) -> None:
    assert dev_a_client.get(url).status_code in (302, 403)


def test_developer_menu_has_no_security_category(dev_a_client: Any, admin_client: Any) -> None:
    assert "/users/list/" not in dev_a_client.get("/").get_data(as_text=True)
    assert "/users/list/" in admin_client.get("/").get_data(as_text=True)


def test_user_statistics_chart_is_gone(app: Flask, admin_client: Any) -> None:
    """It loads Google's chart library from the internet; the platform runs on an intranet."""
    assert not [r.rule for r in app.url_map.iter_rules() if "userstatschart" in r.rule.lower()]
    assert "userstatschartview" not in admin_client.get("/").get_data(as_text=True)


def test_list_page_size_is_capped(dev_a_client: Any) -> None:
    html = dev_a_client.get("/property/houses/list/?psize_HouseView=100000").get_data(as_text=True)
    assert html.count("/property/houses/show/") == 100
