"""House picker endpoints per role; the dialog renders on the pages that include it."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("username, status", [("dev_a", 200), ("dev_a_staff", 200), ("officer", 200),
                                              ("teller", 403), ("dev_b", 404)])
def test_picker_data_per_role(client_for, demo, username, status):
    client = client_for(username)
    buildings = client.get(f"/picker/area/{demo.area_a.id}/buildings")
    houses = client.get(f"/picker/building/{demo.building_a.id}/houses")
    assert (buildings.status_code, houses.status_code) == (status, status)
    if status == 200:
        assert [b["id"] for b in buildings.get_json()["buildings"]][0] == demo.building_a.id
        data = houses.get_json()
        assert data["columns"][:3] == ["id", "code", "unit"] and len(data["houses"]) == 72


def test_unknown_ids_are_404(dev_a_client):
    assert dev_a_client.get("/picker/area/999999/buildings").status_code == 404
    assert dev_a_client.get("/picker/building/999999/houses").status_code == 404


def test_pages_include_the_dialog_once(dev_a_client):
    html = dev_a_client.get("/payments/owners/").get_data(as_text=True)
    assert html.count('id="hp-modal"') == 1
    assert "/static/js/picker.js" in html and 'id="hp-i18n"' in html
    assert 'data-houses-url="/picker/building/987654321/houses"' in html
