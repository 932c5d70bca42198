"""物业区域管理 register screens: areas, buildings, houses (read-only, tenant-scoped, bounded)."""
from __future__ import annotations

import io
import json
import re
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, func, select


SHOW_LINK = re.compile(r"/property/houses/show/(\d+)")


def _house_ids(html: str) -> set[int]:
    return {int(i) for i in SHOW_LINK.findall(html)}


def _deposit(session: Any, house: Any, amount: str, memo: str = "首期交存") -> None:
    from app.models.ledger import LedgerEntry

    session.add(LedgerEntry(org_id=house.org_id, house_id=house.id, kind="deposit",
                            amount=Decimal(amount), payment_type="first", memo=memo))
    session.commit()


def test_area_list_shows_own_areas_with_counts_and_totals(dev_a_client: Any, session: Any, demo: Any) -> None:
    from app.models.property import HOUSE_OPEN, Building, House

    _deposit(session, demo.house_a, "1000.00")
    html = dev_a_client.get("/property/areas/list/").get_data(as_text=True)
    assert demo.area_a.name in html and demo.area_b.name not in html
    houses = session.scalar(select(func.count(House.id)).where(House.area_id == demo.area_a.id,
                                                               House.status == HOUSE_OPEN))
    buildings = session.scalar(select(func.count(Building.id)).where(Building.area_id == demo.area_a.id))
    due = session.scalar(select(func.sum(House.amount_due)).where(House.area_id == demo.area_a.id))
    cells = re.sub(r"\s+", " ", html)
    assert f"> {houses} <" in cells.replace("<td>", "> ").replace("</td>", " <")
    assert f"{Decimal(due):,.2f}" in html
    assert "1,000.00" in html
    assert f"> {buildings} <" in cells.replace("<td>", "> ").replace("</td>", " <")


def _statements(client: Any, url: str) -> tuple[list[str], str]:
    from app.extensions import db

    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        html = client.get(url).get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return statements, html


def test_house_list_paid_comes_from_the_ledger_without_n_plus_1(dev_a_client: Any, session: Any,
                                                                 demo: Any) -> None:
    _deposit(session, demo.house_a, "1234.56")
    small, _ = _statements(dev_a_client, "/property/houses/list/?psize_HouseView=10")
    large, html = _statements(dev_a_client, "/property/houses/list/?psize_HouseView=100")
    assert len(_house_ids(html)) == 100
    assert "1,234.56" in html
    assert len([s for s in large if "ledger_entry" in s]) == 1  # one aggregate for the page
    assert len(large) == len(small), "the number of queries grows with the page size (N+1)"


def test_area_list_figures_do_not_query_per_row(dev_a_client: Any) -> None:
    first, _ = _statements(dev_a_client, "/property/areas/list/?psize_PropertyAreaView=1")
    more, _ = _statements(dev_a_client, "/property/areas/list/?psize_PropertyAreaView=50")
    assert len(first) == len(more)


def test_ordering_by_a_figure_or_unknown_column_is_ignored(dev_a_client: Any) -> None:
    for column in ("paid_amount", "no_such_column", "balance"):
        response = dev_a_client.get(f"/property/houses/list/?_oc_HouseView={column}&_od_HouseView=asc")
        assert response.status_code == 200


@pytest.mark.parametrize("psize, expected", [("1000", 100), ("-5", 25), ("0", 25), ("40", 40)])
def test_page_size_is_bounded(dev_a_client: Any, psize: str, expected: int) -> None:
    html = dev_a_client.get(f"/property/houses/list/?psize_HouseView={psize}").get_data(as_text=True)
    assert len(_house_ids(html)) == expected


def test_non_numeric_page_arguments_are_refused(dev_a_client: Any) -> None:
    assert dev_a_client.get("/property/houses/list/?page_HouseView=x").status_code == 400
    assert dev_a_client.get("/property/houses/list/?psize_HouseView=all").status_code == 400


def test_house_keyword_finds_code_room_contract_and_owner(dev_a_client: Any, session: Any, demo: Any) -> None:
    from app.models.property import House, Owner

    other = session.scalars(select(House).where(House.area_id == demo.area_a.id).order_by(House.id.desc())).first()
    session.add(Owner(org_id=other.org_id, house_id=other.id, seq=1, name="欧阳小明",
                      id_type="01", id_no="440703199001011234"))
    other.contract_no = "HT2026-000777"
    session.commit()

    def found(keyword: str) -> set[int]:
        return _house_ids(dev_a_client.get("/property/houses/list/", query_string={"q": keyword})
                          .get_data(as_text=True))

    assert found("欧阳小明") == {other.id}
    assert found("440703199001011234") == {other.id}
    assert found("HT2026-000777") == {other.id}
    assert found(demo.house_a.code) == {demo.house_a.id}
    assert demo.house_a.id in found(demo.house_a.room)
    assert found("%") == set()  # LIKE wildcards are plain text


def test_keyword_never_reaches_another_organisation(dev_b_client: Any, demo: Any) -> None:
    html = dev_b_client.get("/property/houses/list/", query_string={"q": demo.house_a.code}).get_data(as_text=True)
    assert _house_ids(html) == set()


def test_house_show_has_owners_and_ledger(dev_a_client: Any, session: Any, demo: Any) -> None:
    from app.models.property import Owner

    session.add(Owner(org_id=demo.house_a.org_id, house_id=demo.house_a.id, seq=1, name="司徒静",
                      id_type="01", id_no="440703199001011234", phone="13800138011"))
    session.commit()
    _deposit(session, demo.house_a, "500.00", memo="通知单HX001")
    html = dev_a_client.get(f"/property/houses/show/{demo.house_a.id}").get_data(as_text=True)
    assert "司徒静" in html and "440703199001011234" in html
    assert 'id="jm-ledger"' in html and "500.00" in html and "通知单HX001" in html
    assert demo.house_a.code in html


def test_register_screens_are_read_only(app: Any, dev_a_client: Any, demo: Any) -> None:
    for base in ("/property/areas", "/property/buildings", "/property/houses"):
        assert dev_a_client.get(f"{base}/add").status_code == 404
        assert dev_a_client.post(f"{base}/edit/{demo.house_a.id}").status_code == 404
        assert dev_a_client.post(f"{base}/delete/{demo.house_a.id}").status_code == 404
        assert dev_a_client.get(f"{base}/download/x.pdf").status_code == 404
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert not any(e.startswith("Owner") for e in endpoints), "owners are shown only inside a house"


def test_other_organisation_gets_404(dev_b_client: Any, demo: Any) -> None:
    for url in (f"/property/areas/show/{demo.area_a.id}", f"/property/buildings/show/{demo.building_a.id}",
                f"/property/houses/show/{demo.house_a.id}"):
        assert dev_b_client.get(url).status_code == 404
    html = dev_b_client.get("/property/houses/list/?psize_HouseView=100").get_data(as_text=True)
    assert demo.house_a.code not in html and demo.house_b.code in html


def test_search_boxes_list_only_own_buildings_and_areas(dev_b_client: Any, demo: Any) -> None:
    """The building box prints no options (they come as the user types, from the scoped
    options endpoint, tests/test_property_options.py); another organisation's id in the filter is
    not named."""
    html = dev_b_client.get(f"/property/houses/list/?_flt_0_building={demo.building_a.id}"
                            f"&_flt_0_area={demo.area_a.id}").get_data(as_text=True)
    # FAB ships the search form's fields as JSON-escaped HTML inside a script.
    select = re.search(r'jm-ajax-select\\" name=\\"building\\".*?/select', html)
    assert select, "no building box in the search form"
    assert re.findall(r'value=\\"(\d+)\\"', select.group(0)) == []
    assert json.dumps(demo.area_a.name)[1:-1] not in html and demo.area_a.name not in html
    own = dev_b_client.get(f"/property/houses/list/?_flt_0_building={demo.building_b.id}").get_data(as_text=True)
    select = re.search(r'jm-ajax-select\\" name=\\"building\\".*?/select', own)
    assert re.findall(r'value=\\"(\d+)\\"', select.group(0)) == [str(demo.building_b.id)]


def test_area_show_lists_its_buildings(dev_a_client: Any, demo: Any) -> None:
    html = dev_a_client.get(f"/property/areas/show/{demo.area_a.id}").get_data(as_text=True)
    for building in demo.area_a.buildings:
        assert building.code in html


def test_export_applies_scope_and_filters(dev_a_client: Any, dev_b_client: Any, session: Any, demo: Any) -> None:
    from app.models.property import House

    response = dev_a_client.get("/property/houses/export/", query_string={"q": demo.house_a.code})
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "房屋编号"
    assert [r[0] for r in rows[1:]] == [demo.house_a.code]

    everything = load_workbook(io.BytesIO(dev_b_client.get("/property/houses/export/").data)).active
    codes = {r[0] for r in everything.iter_rows(min_row=2, values_only=True)}
    own = set(session.scalars(select(House.code).where(House.org_id == demo.org_b.id)))
    assert codes == own

    areas = load_workbook(io.BytesIO(dev_b_client.get("/property/areas/export/").data)).active
    assert [r[1] for r in areas.iter_rows(min_row=2, values_only=True)] == [demo.area_b.name]


def test_officer_sees_every_organisation(officer_client: Any, demo: Any) -> None:
    html = officer_client.get("/property/areas/list/").get_data(as_text=True)
    assert demo.area_a.name in html and demo.area_b.name in html
    assert officer_client.get(f"/property/houses/show/{demo.house_b.id}").status_code == 200


def test_teller_has_no_register_screens(teller_client: Any) -> None:
    assert teller_client.get("/property/houses/list/").status_code == 403


def test_english_labels(dev_a_client: Any) -> None:
    dev_a_client.get("/lang/en")
    html = dev_a_client.get("/property/houses/list/").get_data(as_text=True)
    assert "House No." in html and "Amount due" in html
    dev_a_client.get("/lang/zh")
    html = dev_a_client.get("/property/houses/list/").get_data(as_text=True)
    assert "房屋编号" in html and "应交金额" in html


def test_menus_lead_to_the_register_and_fund_office_screens(dev_a_client: Any, officer_client: Any,
                                                           teller_client: Any) -> None:
    dev_home = dev_a_client.get("/").get_data(as_text=True)
    for url in ("/property/areas/list/", "/property/buildings/list/", "/property/houses/list/"):
        assert url in dev_home
    assert "/fund/standards/list/" not in dev_home
    officer_home = officer_client.get("/").get_data(as_text=True)
    for url in ("/property/houses/list/", "/fund/standards/list/", "/fund/codes/list/", "/fund/audit/list/"):
        assert url in officer_home
    assert "/property/houses/list/" not in teller_client.get("/").get_data(as_text=True)


def test_export_uses_the_same_search_filters_as_the_list(dev_a_client: Any) -> None:
    query = "_flt_0_room=10&_flt_0_unit=1"  # FAB's search form: room starts with 10, unit starts with 1
    html = dev_a_client.get(f"/property/houses/list/?{query}&psize_HouseView=100").get_data(as_text=True)
    listed = int(re.search(r"</strong>\s*(\d+)", html[html.index("Record Count") if "Record Count" in html
                                                     else html.index("记录数"):]).group(1))
    assert 0 < listed < 100
    sheet = load_workbook(io.BytesIO(dev_a_client.get(f"/property/houses/export/?{query}").data)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == listed
    assert all(str(r[5]).startswith("10") and str(r[3]).startswith("1") for r in rows)


def test_staff_limited_to_an_area_sees_only_that_area(client_for: Any, session: Any, demo: Any) -> None:
    from app.models.property import Building, House, PropertyArea

    org = demo.org_a.id
    area = PropertyArea(org_id=org, code="44070399999", name="华信·二期", district_code="440703",
                        address="江门市蓬江区华信路90号")
    session.add(area)
    session.flush()
    building = Building(org_id=org, area_id=area.id, code="4407039999901", name="A栋", floors=3)
    session.add(building)
    session.flush()
    house = House(org_id=org, area_id=area.id, building_id=building.id, code="4407039999901000101",
                  unit="1", floor=1, room="101", building_area=Decimal("90.00"), use_code="residential",
                  has_lift=False, amount_due=Decimal("4500.00"))
    session.add(house)
    demo.users["dev_a_staff"].areas = [area]
    session.commit()

    staff = client_for("dev_a_staff")
    html = staff.get("/property/houses/list/").get_data(as_text=True)
    assert _house_ids(html) == {house.id}
    assert staff.get(f"/property/houses/show/{demo.house_a.id}").status_code == 404
    assert staff.get(f"/property/areas/show/{demo.area_a.id}").status_code == 404
    areas = staff.get("/property/areas/list/").get_data(as_text=True)
    assert "华信·二期" in areas and demo.area_a.code not in areas
