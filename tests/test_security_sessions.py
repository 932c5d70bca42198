"""Sessions end on the server: logout, a new password, a deactivation and an admin reset.

A copied cookie or an issued JWT must stop working at once, in every worker (the state is in the
database, so a second app on the same database sees it too).
"""
from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.security.models import AuthSession, PlatformUser
from tests.conftest import DEMO_PASSWORD, build_test_app, login

NEW_PASSWORD = "Harden#2026x"
PAGE = "/org/info/"


def _copy(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of ``client``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def _signed_in(client: FlaskClient, url: str = PAGE) -> bool:
    response = client.get(url)
    if response.status_code in (302, 303):
        assert "/login" in response.headers["Location"]
        return False
    assert response.status_code == 200, response.status_code
    return True


def _tokens(app: Flask, username: str, password: str = DEMO_PASSWORD) -> tuple[dict, dict]:
    response = app.test_client().post("/api/v1/security/login", json={
        "username": username, "password": password, "provider": "db", "refresh": True})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    return ({"Authorization": f"Bearer {body['access_token']}"},
            {"Authorization": f"Bearer {body['refresh_token']}"})


def _api_works(app: Flask, access: dict) -> bool:
    status = app.test_client().get("/api/v1/house/", headers=access).status_code
    assert status in (200, 401), status
    return status == 200


def _refresh_works(app: Flask, refresh: dict) -> bool:
    status = app.test_client().post("/api/v1/security/refresh", headers=refresh).status_code
    assert status in (200, 401), status
    return status == 200


def _unsigned_session_token(user_id: int) -> str:
    """A token signed with the right key but issued before sessions existed: no session claim."""
    import datetime as dt

    import jwt
    from flask import current_app

    now = dt.datetime.now(dt.timezone.utc)
    return jwt.encode({"sub": str(user_id), "type": "access", "fresh": False, "iat": now, "nbf": now,
                       "jti": "old", "exp": now + dt.timedelta(minutes=5)},
                      current_app.config["SECRET_KEY"], algorithm="HS256")


def _user(session: Any, username: str) -> PlatformUser:
    session.expire_all()
    return session.scalar(select(PlatformUser).where(PlatformUser.username == username))


def test_a_copied_cookie_stops_working_after_logout(app: Flask, client_for: Any) -> None:
    browser = client_for("dev_a")
    thief = _copy(app, browser)
    assert _signed_in(thief)
    browser.get("/logout/")
    assert not _signed_in(browser)
    assert not _signed_in(thief)


def test_logout_ends_only_that_session(app: Flask, client_for: Any) -> None:
    first, second = client_for("dev_a"), client_for("dev_a")
    first.get("/logout/")
    assert not _signed_in(first)
    assert _signed_in(second)


def test_a_refreshed_access_token_keeps_its_login_and_unknown_tokens_are_refused(app: Flask) -> None:
    access, refresh = _tokens(app, "dev_a")
    assert _api_works(app, access)
    response = app.test_client().post("/api/v1/security/refresh", headers=refresh)
    assert response.status_code == 200
    assert _api_works(app, {"Authorization": f"Bearer {response.get_json()['access_token']}"})
    from flask_jwt_extended import create_access_token

    user_id = _user(db.session, "dev_a").id
    forged = create_access_token(identity=str(user_id), additional_claims={"jm_sid": "made-up"})
    without = create_access_token(identity=str(user_id))
    assert _api_works(app, {"Authorization": f"Bearer {without}"})  # a token of a new login
    assert not _api_works(app, {"Authorization": f"Bearer {forged}"})
    assert not _api_works(app, {"Authorization": f"Bearer {_unsigned_session_token(user_id)}"})


def test_own_password_change_ends_every_other_session_and_token(app: Flask, client_for: Any,
                                                               session: Any) -> None:
    changer, other_browser = client_for("dev_a"), client_for("dev_a")
    thief = _copy(app, other_browser)
    access, refresh = _tokens(app, "dev_a")
    assert _api_works(app, access) and _refresh_works(app, refresh)

    response = changer.post("/resetmypassword/form", data={"password": NEW_PASSWORD,
                                                           "conf_password": NEW_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)

    assert _signed_in(changer)  # the session that made the change goes on
    assert not _signed_in(other_browser)
    assert not _signed_in(thief)
    assert not _api_works(app, access)
    assert not _refresh_works(app, refresh)
    login(app.test_client(), "dev_a", NEW_PASSWORD)
    assert _user(session, "dev_a").id is not None


def test_admin_reset_ends_every_session_of_the_user(app: Flask, client_for: Any, admin_client: FlaskClient,
                                                    session: Any) -> None:
    victim = client_for("dev_a")
    access, refresh = _tokens(app, "dev_a")
    user = _user(session, "dev_a")
    response = admin_client.post(f"/resetpassword/form?pk={user.id}",
                                 data={"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD})
    assert response.status_code == 302
    assert not _signed_in(victim)
    assert not _api_works(app, access)
    assert not _refresh_works(app, refresh)
    assert _signed_in(admin_client, "/users/list/")  # the admin's own session is untouched


def test_rest_user_api_password_change_ends_the_users_sessions(app: Flask, client_for: Any,
                                                               api_headers: Any, session: Any) -> None:
    victim = client_for("dev_b")
    access, _refresh = _tokens(app, "dev_b")
    user = _user(session, "dev_b")
    response = app.test_client().put(f"/api/v1/security/users/{user.id}", headers=api_headers("admin"),
                                     json={"password": NEW_PASSWORD})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert not _signed_in(victim)
    assert not _api_works(app, access)


def test_deactivation_ends_every_session(app: Flask, client_for: Any, dev_a_client: FlaskClient,
                                         session: Any) -> None:
    staff = client_for("dev_a_staff")
    access, refresh = _tokens(app, "dev_a_staff")
    staff_id = _user(session, "dev_a_staff").id
    assert dev_a_client.post(f"/org/users/deactivate/{staff_id}").status_code == 302
    session.expire_all()
    assert session.scalar(select(AuthSession.key_hash).where(AuthSession.user_id == staff_id)) is None
    assert not _refresh_works(app, refresh)
    # re-activated, the old sessions stay ended
    assert dev_a_client.post(f"/org/users/activate/{staff_id}").status_code == 302
    assert not _signed_in(staff)
    assert not _api_works(app, access)


def test_a_logout_in_one_worker_ends_the_session_in_another(app: Flask, client_for: Any) -> None:
    """Two app instances on one database stand for two gunicorn workers."""
    other_worker = build_test_app(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                                  UPLOAD_FOLDER=app.config["UPLOAD_FOLDER"])
    browser = client_for("dev_a")
    elsewhere = other_worker.test_client()
    elsewhere.set_cookie("session", browser.get_cookie("session").value)
    assert _signed_in(elsewhere)
    browser.get("/logout/")
    assert not _signed_in(elsewhere)
    with other_worker.app_context():
        from app.extensions import db

        db.session.remove()
        db.engine.dispose()


def test_an_expired_session_is_refused(app: Flask, client_for: Any, session: Any) -> None:
    import datetime as dt

    browser = client_for("dev_a")
    assert _signed_in(browser)
    user_id = _user(session, "dev_a").id
    session.execute(AuthSession.__table__.update().where(AuthSession.user_id == user_id)
                    .values(expires_at=dt.datetime(2000, 1, 1)))
    session.commit()
    assert not _signed_in(browser)


def test_a_session_key_of_another_user_is_refused(app: Flask, client_for: Any, session: Any) -> None:
    """A cookie naming dev_b with dev_a's live session key (a forged or mixed-up cookie)."""
    browser = client_for("dev_a")
    with browser.session_transaction() as cookie:
        cookie["_user_id"] = str(_user(session, "dev_b").id)
    assert not _signed_in(browser)


def test_a_user_deactivated_behind_the_apps_back_is_refused(app: Flask, client_for: Any,
                                                            session: Any) -> None:
    """Even with its session row still there (a direct UPDATE skips the flush hook that ends it)."""
    browser = client_for("dev_a_staff")
    user_id = _user(session, "dev_a_staff").id
    session.execute(PlatformUser.__table__.update().where(PlatformUser.id == user_id).values(active=False))
    session.commit()
    assert session.scalar(select(AuthSession.key_hash).where(AuthSession.user_id == user_id))
    assert not _signed_in(browser)


def test_a_signed_in_request_loads_the_user_and_checks_its_session_in_one_statement(
        app: Flask, client_for: Any) -> None:
    from sqlalchemy import event

    browser = client_for("dev_a")
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert _signed_in(browser)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    touching = [s for s in seen if "auth_session" in s or "FROM ab_user " in s or "FROM ab_user\n" in s]
    assert len(touching) == 1 and "auth_session" in touching[0] and "ab_user_role" in touching[0], touching
