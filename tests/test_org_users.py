"""机构用户管理 (§1.2.2): own organisation only, developer roles only, at least one active admin."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app.errors import NotFound, PermissionDenied, ValidationFailed
from app.security.models import PlatformUser
from app.security.roles import (ROLE_ADMIN, ROLE_DEV_ADMIN, ROLE_DEV_PAYMENT, ROLE_DEV_PROPERTY,
                                ROLE_OFFICER, ROLE_TELLER)
from app.services.org_users import OrgUserInput, add_org_user, set_user_active, update_org_user
from tests.conftest import DEMO_PASSWORD, api_token, login
from tests.test_org_support import count, field_errors, translated

PASSWORD = "Jingban#2026"


def new_user(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"username": "a_clerk", "name": "周小红", "phone": "13688880001",
                            "id_type": "01", "id_no": "", "email": "", "roles": [ROLE_DEV_PAYMENT],
                            "password": PASSWORD, "password_confirm": PASSWORD}
    data.update(changes)
    return data


def user_named(session: Any, username: str) -> PlatformUser | None:
    session.expire_all()
    return session.scalar(select(PlatformUser).where(PlatformUser.username == username))


def role_set(user: PlatformUser) -> set[str]:
    return {r.name for r in user.roles}


def edit_data(user: PlatformUser, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"name": f"{user.last_name}{user.first_name}",
                            "phone": user.phone or "13800138009",
                            "id_type": "01", "id_no": "", "email": "", "roles": sorted(role_set(user)),
                            "area_ids": [str(a.id) for a in user.areas]}
    data.update(changes)
    return data


def test_list_shows_only_own_users(dev_a_client, dev_b_client):
    page = dev_a_client.get("/org/users/").get_data(as_text=True)
    assert "dev_a_staff" in page and 'data-username="dev_a"' in page
    assert 'data-username="dev_b"' not in page and "officer" not in page
    assert "dev_a_staff" not in dev_b_client.get("/org/users/").get_data(as_text=True)


def test_add_user_with_roles_and_areas_who_can_log_in(app, dev_a_client, session, demo):
    response = dev_a_client.post("/org/users/add", data=new_user(
        roles=[ROLE_DEV_PROPERTY, ROLE_DEV_PAYMENT], area_ids=[str(demo.area_a.id)],
        id_no="440704199003071231"))
    assert response.status_code == 302, response.get_data(as_text=True)
    user = user_named(session, "a_clerk")
    assert user.org_id == demo.org_a.id and user.active
    assert role_set(user) == {ROLE_DEV_PROPERTY, ROLE_DEV_PAYMENT}
    assert [a.id for a in user.areas] == [demo.area_a.id]
    assert (user.last_name, user.first_name, user.phone, user.id_no) == ("周", "小红", "13688880001",
                                                                       "440704199003071231")
    login(app.test_client(), "a_clerk", PASSWORD)
    page = dev_a_client.get("/org/users/").get_data(as_text=True)
    assert "周小红" in page and demo.area_a.name in page


@pytest.mark.parametrize("role", [ROLE_ADMIN, ROLE_OFFICER, ROLE_TELLER])
def test_granting_an_internal_role_is_refused(app, dev_a_client, session, role):
    before = count(session, PlatformUser)
    response = dev_a_client.post("/org/users/add", data=new_user(roles=[ROLE_DEV_PAYMENT, role]))
    assert response.status_code == 422
    expected = translated(app, "Only the roles of a developer organisation can be granted.")
    assert expected in field_errors(response.get_data(as_text=True), "roles")
    assert count(session, PlatformUser) == before

    staff = user_named(session, "dev_a_staff")
    response = dev_a_client.post(f"/org/users/edit/{staff.id}", data=edit_data(staff, roles=[role]))
    assert response.status_code == 422
    assert role not in role_set(user_named(session, "dev_a_staff"))


def test_another_organisations_area_is_refused(dev_a_client, session, demo):
    response = dev_a_client.post("/org/users/add", data=new_user(area_ids=[str(demo.area_b.id)]))
    assert response.status_code == 422
    assert user_named(session, "a_clerk") is None


@pytest.mark.parametrize("changes,field", [
    ({"username": "dev_b"}, "username"),
    ({"username": "x"}, "username"),
    ({"password": "short"}, "password"),
    ({"password_confirm": "Other#2026"}, "password_confirm"),
    ({"phone": "2345"}, "phone"),
    ({"roles": []}, "roles"),
    ({"id_no": "440704199003071230"}, "id_no"),
])
def test_bad_input_is_refused_at_the_field(dev_a_client, session, changes, field):
    before = count(session, PlatformUser)
    response = dev_a_client.post("/org/users/add", data=new_user(**changes))
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), field)
    assert count(session, PlatformUser) == before


def test_modify_user_data_roles_and_areas(dev_a_client, session, demo):
    staff = user_named(session, "dev_a_staff")
    response = dev_a_client.post(f"/org/users/edit/{staff.id}", data=edit_data(
        staff, name="陈经办员", phone="13600000002", roles=[ROLE_DEV_PAYMENT],
        area_ids=[str(demo.area_a.id)]))
    assert response.status_code == 302
    staff = user_named(session, "dev_a_staff")
    assert (staff.last_name + staff.first_name, staff.phone) == ("陈经办员", "13600000002")
    assert role_set(staff) == {ROLE_DEV_PAYMENT}
    assert [a.id for a in staff.areas] == [demo.area_a.id]
    show = dev_a_client.get(f"/org/users/show/{staff.id}").get_data(as_text=True)
    assert "陈经办员" in show and demo.area_a.name in show


def test_other_organisation_user_ids_are_not_found(dev_b_client, session, demo):
    staff = user_named(session, "dev_a_staff")
    for url in (f"/org/users/show/{staff.id}", f"/org/users/edit/{staff.id}"):
        assert dev_b_client.get(url).status_code == 404
    response = dev_b_client.post(f"/org/users/edit/{staff.id}",
                                 data=edit_data(staff, roles=[ROLE_DEV_ADMIN], name="被篡改"))
    assert response.status_code == 404
    assert dev_b_client.post(f"/org/users/deactivate/{staff.id}").status_code == 404
    staff = user_named(session, "dev_a_staff")
    assert staff.active and staff.first_name != "被篡改" and ROLE_DEV_ADMIN not in role_set(staff)
    # internal users are not an organisation's users either
    officer = demo.users["officer"]
    assert dev_b_client.get(f"/org/users/edit/{officer.id}").status_code == 404
    assert dev_b_client.get("/org/users/show/999999").status_code == 404


def test_deactivated_user_cannot_log_in_and_sessions_stop(app, dev_a_client, client_for, session):
    staff_web = client_for("dev_a_staff")
    assert staff_web.get("/org/info/").status_code == 200
    token = api_token(app.test_client(), "dev_a_staff")
    jwt = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/menu/", headers=jwt).status_code != 401

    staff = user_named(session, "dev_a_staff")
    assert dev_a_client.post(f"/org/users/deactivate/{staff.id}").status_code == 302
    assert user_named(session, "dev_a_staff").active is False
    assert "jm-user-activate" in dev_a_client.get("/org/users/").get_data(as_text=True)

    refused = app.test_client().post("/login/", data={"username": "dev_a_staff",
                                                      "password": DEMO_PASSWORD})
    assert "/login" in refused.headers.get("Location", "/login")
    api = app.test_client().post("/api/v1/security/login", json={
        "username": "dev_a_staff", "password": DEMO_PASSWORD, "provider": "db"})
    assert api.status_code == 401
    # the open browser session and the issued token stop working
    assert staff_web.get("/org/info/").status_code == 302
    assert app.test_client().get("/api/v1/menu/", headers=jwt).status_code == 401

    assert dev_a_client.post(f"/org/users/activate/{staff.id}").status_code == 302
    login(app.test_client(), "dev_a_staff")


def test_last_active_admin_cannot_deactivate_self_or_drop_the_role(app, dev_a_client, session, demo):
    me = user_named(session, "dev_a")
    response = dev_a_client.post(f"/org/users/deactivate/{me.id}", follow_redirects=True)
    assert translated(app, "The organisation must keep at least one active Developer Admin.") in \
        response.get_data(as_text=True)
    assert user_named(session, "dev_a").active

    response = dev_a_client.post(f"/org/users/edit/{me.id}", data=edit_data(me, roles=[ROLE_DEV_PROPERTY]))
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "roles")
    assert role_set(user_named(session, "dev_a")) == {ROLE_DEV_ADMIN}

    # With a second active admin, the first may step down.
    staff = user_named(session, "dev_a_staff")
    assert dev_a_client.post(f"/org/users/edit/{staff.id}",
                             data=edit_data(staff, roles=[ROLE_DEV_ADMIN])).status_code == 302
    assert dev_a_client.post(f"/org/users/deactivate/{me.id}").status_code == 302
    assert user_named(session, "dev_a").active is False


def test_staff_cannot_manage_users(dev_a_staff_client, session):
    assert dev_a_staff_client.get("/org/users/").status_code == 403
    response = dev_a_staff_client.post("/org/users/add", data=new_user(roles=[ROLE_DEV_ADMIN]))
    assert response.status_code == 403
    assert user_named(session, "a_clerk") is None


def test_service_rules_without_screens(session, demo):
    dev_a, dev_b = demo.users["dev_a"], demo.users["dev_b"]
    staff = demo.users["dev_a_staff"]
    with pytest.raises(PermissionDenied):  # an actor of another organisation
        add_org_user(session, demo.org_a.id, OrgUserInput(**{k: v for k, v in new_user().items()}),
                     actor_id=dev_b.id)
    with pytest.raises(NotFound):
        set_user_active(session, demo.org_b.id, staff.id, False, actor_id=dev_b.id)
    with pytest.raises(ValidationFailed) as caught:
        update_org_user(session, demo.org_a.id, staff.id, OrgUserInput(
            name="陈经办", phone="13800138001", roles=[ROLE_DEV_PAYMENT], area_ids=["x"]),
            actor_id=dev_a.id)
    assert [p.field for p in caught.value.problems] == ["area_ids"]
    user = add_org_user(session, demo.org_a.id, OrgUserInput(**new_user(email="Clerk@Example.com")),
                        actor_id=dev_a.id)
    assert user.email == "Clerk@Example.com" and user.org_id == demo.org_a.id
    with pytest.raises(ValidationFailed):  # e-mail addresses are unique, whatever the case
        add_org_user(session, demo.org_a.id, OrgUserInput(**new_user(username="b_clerk",
                                                                     email="clerk@example.com")),
                     actor_id=dev_a.id)


def test_menu_entry(dev_a_client, dev_a_staff_client):
    assert "/org/users/" in dev_a_client.get("/").get_data(as_text=True)
    assert "/org/users/" not in dev_a_staff_client.get("/").get_data(as_text=True)
