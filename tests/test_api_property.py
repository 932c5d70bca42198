"""REST read API of the register: /api/v1/{organization,area,building,house}/ under the tenant filter."""
from __future__ import annotations

import re
from typing import Any, Callable

import pytest
from sqlalchemy import func, select

from tests.conftest import DEMO_PASSWORD

RESOURCES = ("organization", "area", "building", "house")


@pytest.mark.parametrize("username", ["admin", "officer", "teller", "dev_a", "dev_a_staff", "dev_b"])
def test_jwt_login_works_for_every_demo_account(anon_client: Any, username: str) -> None:
    response = anon_client.post("/api/v1/security/login",
                                json={"username": username, "password": DEMO_PASSWORD, "provider": "db"})
    assert response.status_code == 200
    assert response.get_json()["access_token"]


def test_jwt_login_refuses_a_wrong_password(anon_client: Any) -> None:
    response = anon_client.post("/api/v1/security/login",
                                json={"username": "dev_a", "password": "Wrong@2026", "provider": "db"})
    assert response.status_code == 401


def _ids_of(demo: Any, org: str) -> dict[str, int]:
    org_obj = getattr(demo, f"org_{org}")
    return {"organization": org_obj.id, "area": getattr(demo, f"area_{org}").id,
            "building": getattr(demo, f"building_{org}").id, "house": getattr(demo, f"house_{org}").id}


def test_developer_lists_only_its_own_rows(anon_client: Any, api_headers: Callable, session: Any,
                                           demo: Any) -> None:
    from app.models.property import House

    headers = api_headers("dev_b")
    response = anon_client.get("/api/v1/house/?q=(page_size:100)", headers=headers)
    body = response.get_json()
    assert response.status_code == 200
    assert body["count"] == session.scalar(select(func.count(House.id)).where(House.org_id == demo.org_b.id))
    assert {row["area_id"] for row in body["result"]} == {demo.area_b.id}
    for resource in ("organization", "area", "building"):
        rows = anon_client.get(f"/api/v1/{resource}/", headers=headers).get_json()["result"]
        assert rows and demo.org_a.name not in str(rows) and demo.area_a.name not in str(rows)


@pytest.mark.parametrize("resource", RESOURCES)
def test_another_organisations_id_is_404(anon_client: Any, api_headers: Callable, demo: Any,
                                         resource: str) -> None:
    headers = api_headers("dev_b")
    assert anon_client.get(f"/api/v1/{resource}/{_ids_of(demo, 'a')[resource]}", headers=headers).status_code == 404
    own = anon_client.get(f"/api/v1/{resource}/{_ids_of(demo, 'b')[resource]}", headers=headers)
    assert own.status_code == 200 and own.get_json()["id"] == _ids_of(demo, "b")[resource]


def test_filtering_on_another_organisations_area_finds_nothing(anon_client: Any, api_headers: Callable,
                                                              demo: Any) -> None:
    query = f"(filters:!((col:area_id,opr:eq,value:{demo.area_a.id})))"
    body = anon_client.get(f"/api/v1/house/?q={query}", headers=api_headers("dev_b")).get_json()
    assert body["count"] == 0 and body["result"] == []


def test_officer_reads_every_organisation(anon_client: Any, api_headers: Callable, demo: Any) -> None:
    headers = api_headers("officer")
    assert anon_client.get(f"/api/v1/house/{demo.house_a.id}", headers=headers).status_code == 200
    assert anon_client.get(f"/api/v1/house/{demo.house_b.id}", headers=headers).status_code == 200
    assert anon_client.get("/api/v1/organization/", headers=headers).get_json()["count"] >= 2


def test_house_payload_has_money_as_exact_text(anon_client: Any, api_headers: Callable, demo: Any) -> None:
    body = anon_client.get(f"/api/v1/house/{demo.house_a.id}", headers=api_headers("dev_a")).get_json()
    house = body["result"]
    assert house["code"] == demo.house_a.code
    assert str(house["amount_due"]) == f"{demo.house_a.amount_due:.2f}"
    assert house["area"]["name"] == demo.area_a.name


def test_page_size_is_capped(app: Any, anon_client: Any, api_headers: Callable) -> None:
    body = anon_client.get("/api/v1/house/?q=(page_size:1000)", headers=api_headers("officer")).get_json()
    assert len(body["result"]) == app.config["FAB_API_MAX_PAGE_SIZE"] == 100
    assert body["count"] > 100


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_only_reads_are_routed(anon_client: Any, api_headers: Callable, demo: Any, method: str) -> None:
    headers = api_headers("admin")
    for url in ("/api/v1/house/", f"/api/v1/house/{demo.house_a.id}"):
        response = getattr(anon_client, method)(url, json={"code": "X"}, headers=headers)
        assert response.status_code == 405, (method, url)


def test_info_lists_no_related_rows(anon_client: Any, api_headers: Callable, demo: Any) -> None:
    for resource in RESOURCES:
        text = anon_client.get(f"/api/v1/{resource}/_info", headers=api_headers("dev_b")).get_data(as_text=True)
        assert '"values"' not in text or '"values":[]' in text.replace(" ", "")
        for sentinel in (demo.org_a.uscc, demo.area_a.code, demo.house_a.code):
            assert sentinel not in text


def test_without_a_token_or_permission_there_is_no_data(anon_client: Any, api_headers: Callable) -> None:
    assert anon_client.get("/api/v1/house/").status_code == 401
    assert anon_client.get("/api/v1/house/", headers=api_headers("teller")).status_code == 403


def test_openapi_spec_and_local_swagger_ui(anon_client: Any, admin_client: Any, api_headers: Callable) -> None:
    spec = anon_client.get("/api/v1/_openapi", headers=api_headers("admin")).get_json()
    for resource in RESOURCES:
        paths = spec["paths"]
        assert f"/api/v1/{resource}/" in paths and f"/api/v1/{resource}/{{pk}}" in paths
        assert set(paths[f"/api/v1/{resource}/{{pk}}"]) == {"get"} == set(paths[f"/api/v1/{resource}/"])
    page = admin_client.get("/swagger/v1")
    assert page.status_code == 200
    scripts = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page.get_data(as_text=True))
    assert scripts and not [s for s in scripts if s.startswith(("http:", "https:", "//"))], scripts
