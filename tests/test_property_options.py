"""Search-as-you-type options of the area and building filter boxes: scoped, paged, searched."""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select


def _ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.status_code
    return [row["id"] for row in response.get_json()["results"]]


def test_building_options_are_the_users_own(dev_a_client: Any, dev_b_client: Any, session: Any,
                                            demo: Any) -> None:
    from app.models.property import Building

    own_b = set(session.scalars(select(Building.id).where(Building.org_id == demo.org_b.id)))
    offered = _ids(dev_b_client.get("/property/buildings/options?q="))
    assert offered and set(offered) <= own_b
    assert demo.building_a.id not in offered
    # another organisation's area as a narrowing argument: nothing, not its buildings
    assert _ids(dev_b_client.get(f"/property/buildings/options?area_id={demo.area_a.id}")) == []
    # the label names the area, since building names repeat from area to area
    text = dev_a_client.get(f"/property/buildings/options?area_id={demo.area_a.id}").get_json()["results"][0]["text"]
    assert text.startswith(demo.area_a.name)


def test_options_search_by_typed_text_and_page(dev_a_client: Any, session: Any, demo: Any) -> None:
    from app.models.property import Building

    names = list(session.scalars(select(Building.name).where(Building.area_id == demo.area_a.id)))
    found = dev_a_client.get("/property/buildings/options", query_string={"q": names[0]}).get_json()
    assert found["results"] and all(names[0] in row["text"] for row in found["results"])
    assert _ids(dev_a_client.get("/property/buildings/options?q=no-such-building-xyz")) == []
    area = dev_a_client.get("/property/areas/options", query_string={"q": demo.area_a.name[:2]}).get_json()
    assert [row["id"] for row in area["results"]] == [demo.area_a.id]


def test_options_come_a_page_at_a_time(app: Any, dev_a_client: Any, session: Any, demo: Any) -> None:
    from app.models.property import Building
    from app.services.options import OPTIONS_PAGE

    session.add_all([Building(org_id=demo.org_a.id, area_id=demo.area_a.id, code=f"OPT{i:03d}",
                              name=f"选项{i:03d}栋") for i in range(OPTIONS_PAGE + 5)])
    session.commit()
    first = dev_a_client.get("/property/buildings/options?q=选项&page=1").get_json()
    second = dev_a_client.get("/property/buildings/options?q=选项&page=2").get_json()
    assert len(first["results"]) == OPTIONS_PAGE and first["pagination"]["more"] is True
    assert len(second["results"]) == 5 and second["pagination"]["more"] is False
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}


def test_options_need_the_read_permission(anon_client: Any, teller_client: Any) -> None:
    assert anon_client.get("/property/buildings/options").status_code in (401, 302)
    assert teller_client.get("/property/areas/options").status_code in (401, 403)


def test_audit_user_filter_asks_for_users_as_the_officer_types(officer_client: Any, dev_a_client: Any,
                                                               demo: Any) -> None:
    html = officer_client.get(f"/fund/audit/list/?_flt_0_user={demo.users['dev_b'].id}").get_data(as_text=True)
    select_html = re.search(r'jm-ajax-select\\" name=\\"user\\".*?/select', html)
    assert select_html, "no user box in the audit log's search form"
    assert re.findall(r'value=\\"(\d+)\\"', select_html.group(0)) == [str(demo.users["dev_b"].id)]
    found = officer_client.get("/fund/audit/user-options?q=dev_a").get_json()["results"]
    assert {row["id"] for row in found} == {demo.users["dev_a"].id, demo.users["dev_a_staff"].id}
    # developers have no audit log: no user list either
    assert dev_a_client.get("/fund/audit/user-options?q=dev").status_code in (401, 403)
