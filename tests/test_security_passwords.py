"""One password rule on every path that sets a password, "must not contain the user name" included."""
from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import select
from werkzeug.security import check_password_hash

from app.security.models import PlatformUser
from app.security.passwords import password_problem
from app.security.roles import ROLE_DEV_PAYMENT, ROLE_OFFICER
from tests.conftest import DEMO_PASSWORD

#: For dev_a: strong by complexity, but with the user name in it (any case).
WITH_NAME = "xDEV_A#2026"
TOO_SIMPLE = "short1!"
GOOD = "Harden#2026x"
NAME_MESSAGE = "The password must not contain the user name."
NAME_MESSAGE_ZH = "密码不能包含用户名"


def _stored_hash(session: Any, username: str) -> str:
    session.expire_all()
    return session.scalar(select(PlatformUser.password).where(PlatformUser.username == username))


def _refused_with_name_message(response: Any) -> bool:
    text = response.get_data(as_text=True)
    return NAME_MESSAGE in text or NAME_MESSAGE_ZH in text


def test_the_rule() -> None:
    assert password_problem(GOOD, "dev_a") is None
    assert password_problem(WITH_NAME, "dev_a") is not None
    assert password_problem(WITH_NAME, None) is None
    assert password_problem(TOO_SIMPLE, "dev_a") is not None


@pytest.mark.parametrize("password", [WITH_NAME, TOO_SIMPLE])
def test_self_service_reset(client_for: Any, session: Any, password: str) -> None:
    client = client_for("dev_a")
    before = _stored_hash(session, "dev_a")
    response = client.post("/resetmypassword/form", data={"password": password, "conf_password": password})
    assert response.status_code == 200
    assert _stored_hash(session, "dev_a") == before
    if password == WITH_NAME:
        assert _refused_with_name_message(response)
    ok = client.post("/resetmypassword/form", data={"password": GOOD, "conf_password": GOOD})
    assert ok.status_code == 302
    assert check_password_hash(_stored_hash(session, "dev_a"), GOOD)


@pytest.mark.parametrize("password", [WITH_NAME, TOO_SIMPLE])
def test_admin_reset(admin_client: FlaskClient, session: Any, demo: Any, password: str) -> None:
    user_id = demo.users["dev_a"].id
    before = _stored_hash(session, "dev_a")
    response = admin_client.post(f"/resetpassword/form?pk={user_id}",
                                 data={"password": password, "conf_password": password})
    assert response.status_code == 200
    assert _stored_hash(session, "dev_a") == before
    if password == WITH_NAME:
        assert _refused_with_name_message(response)


def test_admin_reset_of_no_user_is_not_found(admin_client: FlaskClient) -> None:
    for query in ("", "?pk=abc", "?pk=999999"):
        assert admin_client.get(f"/resetpassword/form{query}").status_code == 404
        assert admin_client.post(f"/resetpassword/form{query}",
                                 data={"password": GOOD, "conf_password": GOOD}).status_code == 404


def test_admin_user_screen(admin_client: FlaskClient, session: Any) -> None:
    role_id = session.scalar(select(Role.id).where(Role.name == ROLE_OFFICER))
    data = {"username": "clerk9", "first_name": "测", "last_name": "试", "email": "clerk9@demo.invalid",
            "phone": "13800138123", "active": "y", "roles": [str(role_id)], "password": "Clerk9#2026",
            "conf_password": "Clerk9#2026"}
    response = admin_client.post("/users/add", data=data)
    assert response.status_code == 200 and _refused_with_name_message(response)
    assert session.scalar(select(PlatformUser.id).where(PlatformUser.username == "clerk9")) is None


def _api_user(session: Any, username: str, password: str) -> dict[str, Any]:
    role_id = session.scalar(select(Role.id).where(Role.name == ROLE_OFFICER))
    return {"username": username, "first_name": "测", "last_name": "试", "email": f"{username}@demo.invalid",
            "active": True, "roles": [role_id], "password": password}


@pytest.mark.parametrize("password", ["Clerk7#2026", TOO_SIMPLE])
def test_rest_user_api_create(app: Flask, api_headers: Any, session: Any, password: str) -> None:
    response = app.test_client().post("/api/v1/security/users/", headers=api_headers("admin"),
                                      json=_api_user(session, "clerk7", password))
    assert response.status_code == 400, response.get_data(as_text=True)
    assert "password" in response.get_json()["message"]
    assert session.scalar(select(PlatformUser.id).where(PlatformUser.username == "clerk7")) is None
    good = app.test_client().post("/api/v1/security/users/", headers=api_headers("admin"),
                                  json=_api_user(session, "clerk7", GOOD))
    assert good.status_code == 201, good.get_data(as_text=True)


@pytest.mark.parametrize("password", [WITH_NAME, TOO_SIMPLE])
def test_rest_user_api_change(app: Flask, api_headers: Any, session: Any, demo: Any, password: str) -> None:
    before = _stored_hash(session, "dev_a")
    response = app.test_client().put(f"/api/v1/security/users/{demo.users['dev_a'].id}",
                                     headers=api_headers("admin"), json={"password": password})
    assert response.status_code == 400, response.get_data(as_text=True)
    assert _stored_hash(session, "dev_a") == before


def test_organisation_user_screen(dev_a_client: FlaskClient, session: Any) -> None:
    data = {"username": "a_clerk", "name": "周小红", "phone": "13688880001", "id_type": "01", "id_no": "",
            "email": "", "roles": [ROLE_DEV_PAYMENT], "password": "A_Clerk#2026",
            "password_confirm": "A_Clerk#2026"}
    response = dev_a_client.post("/org/users/add", data=data)
    assert response.status_code == 422 and _refused_with_name_message(response)
    staff = session.scalar(select(PlatformUser).where(PlatformUser.username == "dev_a_staff"))
    before = staff.password
    edit = dev_a_client.post(f"/org/users/edit/{staff.id}", data={
        "name": "员工", "phone": staff.phone or "13800138009", "id_type": "01", "roles": [r.name for r in staff.roles],
        "password": "Dev_A_Staff#1", "password_confirm": "Dev_A_Staff#1"})
    assert edit.status_code == 422 and _refused_with_name_message(edit)
    assert _stored_hash(session, "dev_a_staff") == before


def test_registration_service() -> None:
    from app.services.org_users import password_problems

    problems = password_problems("Newdev#2026", "Newdev#2026", username="newdev")
    assert [str(p.reason) for p in problems] == [NAME_MESSAGE]


def test_cli_create_admin(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["security", "create-admin", "--username", "root2",
                                 "--password", "Root2#2026", "--email", "root2@demo.invalid"])
    assert result.exit_code != 0
    assert NAME_MESSAGE in result.output or NAME_MESSAGE_ZH in result.output
    # the demo password itself passes the rule for every demo user
    for username in ("admin", "officer", "teller", "dev_a", "dev_a_staff", "dev_b"):
        assert password_problem(DEMO_PASSWORD, username) is None
