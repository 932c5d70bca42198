"""The business forms' area pickers (payments, 房屋合同号设置, orders, refund and review filters)
print only the chosen area (or developer) and ask for the others as the user types; the options
are the user's own, and a forged id of another organisation is refused, naming the field."""
from __future__ import annotations

import json
import re
from html import unescape
from typing import Any

import pytest
from sqlalchemy import select

from app.models.order import BusinessOrder
from app.models.property import PropertyArea
from app.security.tenant import Scope
from app.services.options import area_options, opening_area

#: The extra areas of organisation A: more than one page of options.
MANY = 30
PREFIX = "拣选区"


@pytest.fixture()
def many_areas(session: Any, demo: Any) -> list[PropertyArea]:
    areas = [PropertyArea(org_id=demo.org_a.id, code=f"PK{i:03d}", name=f"{PREFIX}{i:02d}号",
                          district_code=demo.area_a.district_code, address="江门市蓬江区拣选路1号")
             for i in range(MANY)]
    areas[-1].active = False
    session.add_all(areas)
    session.commit()
    return areas


def _box(html: str, box_id: str) -> str:
    """The HTML of one <select> (by id)."""
    found = re.search(rf'<select[^>]*id="{box_id}"[^>]*>.*?</select>', html, re.S)
    assert found, f"no #{box_id} on the page"
    return found.group(0)


def _options(select_html: str) -> list[str]:
    return [v for v in re.findall(r'<option value="([^"]*)"', select_html) if v]


# ---------------------------------------------------------------- the service

def test_opening_area_is_the_wanted_one_in_scope_or_the_only_one(session: Any, demo: Any,
                                                                many_areas: list[PropertyArea]) -> None:
    scope_a = Scope.for_user(demo.users["dev_a"])
    assert opening_area(session, scope_a, demo.area_a.id) == [(demo.area_a.id, demo.area_a.name)]
    assert opening_area(session, scope_a, demo.area_b.id) == []  # another organisation's: unnamed
    assert opening_area(session, scope_a, many_areas[-1].id) == []  # no longer in use
    assert opening_area(session, scope_a) == []  # many to choose from: none chosen for the user
    scope_b = Scope.for_user(demo.users["dev_b"])
    own_b = session.scalars(select(PropertyArea).where(PropertyArea.org_id == demo.org_b.id,
                                                       PropertyArea.active.is_(True))).all()
    assert opening_area(session, scope_b) == ([(own_b[0].id, own_b[0].name)] if len(own_b) == 1 else [])


def test_active_only_options_leave_out_retired_areas(session: Any, demo: Any,
                                                    many_areas: list[PropertyArea]) -> None:
    scope = Scope.for_user(demo.users["dev_a"])
    every = area_options(session, scope, PREFIX, page=2)
    in_use = area_options(session, scope, PREFIX, page=2, active_only=True)
    assert many_areas[-1].id in [i for i, _t in every.options]
    assert many_areas[-1].id not in [i for i, _t in in_use.options]
    assert len(area_options(session, scope, PREFIX, active_only=True).options) == 20


# ---------------------------------------------------------------- the option endpoint

def test_area_endpoint_answers_the_typed_text_in_scope(dev_a_client: Any, dev_b_client: Any,
                                                      demo: Any, many_areas: list[PropertyArea]) -> None:
    found = dev_a_client.get("/property/areas/options", query_string={"q": f"{PREFIX}1", "active": "1"})
    assert {row["id"] for row in found.get_json()["results"]} == {a.id for a in many_areas[10:20]}
    retired = many_areas[-1].name
    assert dev_a_client.get("/property/areas/options", query_string={"q": retired, "active": "1"}
                            ).get_json()["results"] == []
    assert [r["id"] for r in dev_a_client.get("/property/areas/options", query_string={"q": retired}
                                              ).get_json()["results"]] == [many_areas[-1].id]
    # Another organisation types the same: nothing of A's.
    assert dev_b_client.get("/property/areas/options", query_string={"q": PREFIX, "active": "1"}
                            ).get_json()["results"] == []


# ---------------------------------------------------------------- the pages print the chosen area only

@pytest.mark.parametrize("url", ["/payments/batch/", "/payments/owners/", "/payments/custom/",
                                 "/contracts/"])
def test_payment_and_contract_pages_print_only_the_chosen_area(dev_a_client: Any, demo: Any, url: str,
                                                               many_areas: list[PropertyArea]) -> None:
    html = dev_a_client.get(url).get_data(as_text=True)
    box = _box(html, "jm-area")
    assert "jm-ajax-select" in box and "/property/areas/options?active=1" in box
    assert _options(box) == [] and PREFIX not in html
    assert "请选择物业区域" in box  # the empty box says what to do (zh)

    chosen = many_areas[3]
    box = _box(dev_a_client.get(f"{url}?area={chosen.id}").get_data(as_text=True), "jm-area")
    assert _options(box) == [str(chosen.id)] and chosen.name in box and "selected" in box
    # ?area= of another organisation: neither chosen nor named
    other = dev_a_client.get(f"{url}?area={demo.area_b.id}").get_data(as_text=True)
    assert _options(_box(other, "jm-area")) == [] and demo.area_b.name not in other


def test_english_page_says_choose_a_property_area(dev_a_client: Any, many_areas: list[PropertyArea]) -> None:
    dev_a_client.get("/lang/en")
    html = dev_a_client.get("/payments/batch/").get_data(as_text=True)
    assert 'data-placeholder="Choose a property area"' in _box(html, "jm-area")


def _draft(dev_a_client: Any, slug: str, area_id: int) -> int:
    form = {"area_id": str(area_id), "agent_name": "李敏", "agent_phone": "13800138001",
            "agent_id_type": "01", "agent_id_no": "11010519491231002X", "reason": "核对", "action": "save"}
    response = dev_a_client.post(f"/order-form/{slug}", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return int(response.headers["Location"].rstrip("/").split("/")[-2])


@pytest.mark.parametrize("slug", ["building-change", "house-cancel", "area-change", "supplement"])
def test_order_forms_print_only_the_chosen_area(dev_a_client: Any, slug: str,
                                                many_areas: list[PropertyArea]) -> None:
    html = dev_a_client.get(f"/order-form/{slug}").get_data(as_text=True)
    box = _box(html, "f-area_id")
    assert "jm-ajax-select" in box and _options(box) == [] and PREFIX not in html


def test_a_draft_opens_with_its_area_named(dev_a_client: Any, session: Any,
                                           many_areas: list[PropertyArea]) -> None:
    chosen = many_areas[7]
    order_id = _draft(dev_a_client, "building-change", chosen.id)
    assert session.get(BusinessOrder, order_id).area_id == chosen.id
    html = dev_a_client.get(f"/order-form/{order_id}/edit").get_data(as_text=True)
    box = _box(html, "f-area_id")
    assert _options(box) == [str(chosen.id)] and chosen.name in box
    # The 批量修改 dialog's area box types for its destination: no area printed in it either.
    assert _options(_box(html, "m-area_id")) == []
    assert html.count(PREFIX) == 1


def test_area_change_opened_for_an_area_names_it(dev_a_client: Any, demo: Any,
                                                 many_areas: list[PropertyArea]) -> None:
    chosen = many_areas[5]
    box = _box(dev_a_client.get(f"/order-form/area-change?area_id={chosen.id}").get_data(as_text=True),
               "f-area_id")
    assert _options(box) == [str(chosen.id)] and 'data-reload="1"' in box
    other = dev_a_client.get(f"/order-form/area-change?area_id={demo.area_b.id}").get_data(as_text=True)
    assert _options(_box(other, "f-area_id")) == [] and demo.area_b.name not in other


# ---------------------------------------------------------------- forged ids are refused, naming the field

def test_a_forged_area_of_another_organisation_is_refused_naming_the_field(dev_a_client: Any, demo: Any,
                                                                            session: Any) -> None:
    form = {"area_id": str(demo.area_b.id), "agent_name": "李敏", "agent_phone": "13800138001",
            "agent_id_type": "01", "agent_id_no": "11010519491231002X", "reason": "核对",
            "action": "save"}
    response = dev_a_client.post("/order-form/building-change", data=form,
                                 headers={"X-Requested-With": "fetch"})
    assert response.status_code == 422
    problems = response.get_json()["problems"]
    assert {"field": "area_id", "label": "物业区域", "reason": "请选择本单位的物业区域。"} in problems
    page = dev_a_client.post("/order-form/building-change", data=form)
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and "请选择本单位的物业区域。" in html
    group = re.search(r'<div class="form-group has-error">\s*<label[^>]*for="f-area_id">([^<]*)</label>', html)
    assert group and group.group(1) == "物业区域"
    assert demo.area_b.name not in html  # the forged id is not named either
    assert session.scalar(select(BusinessOrder.id)) is None


def test_a_forged_destination_area_of_a_building_is_refused_naming_the_field(
        dev_a_client: Any, demo: Any, session: Any) -> None:
    order_id = _draft(dev_a_client, "building-change", demo.area_a.id)
    assert dev_a_client.post(f"/order-form/{order_id}/pick", json={"ids": [demo.building_a.id]}
                             ).status_code == 200
    answer = dev_a_client.post(f"/order-form/{order_id}/modify",
                               json={"seqs": None, "values": {"area_id": str(demo.area_b.id)}})
    assert answer.status_code == 422
    assert {"field": "area_id", "label": "物业区域", "reason": "请选择本单位的物业区域。"} \
        in answer.get_json()["problems"]
    dev_a_client.get("/lang/en")
    answer = dev_a_client.post(f"/order-form/{order_id}/modify",
                               json={"seqs": None, "values": {"area_id": str(demo.area_b.id)}})
    assert {"field": "area_id", "label": "Property area",
            "reason": "Choose one of your property areas."} in answer.get_json()["problems"]


def test_the_edit_dialog_names_the_lines_area(dev_a_client: Any, demo: Any) -> None:
    order_id = _draft(dev_a_client, "building-change", demo.area_a.id)
    dev_a_client.post(f"/order-form/{order_id}/pick", json={"ids": [demo.building_a.id]})
    html = dev_a_client.get(f"/order-form/{order_id}/edit").get_data(as_text=True)
    after = re.search(r'class="btn btn-xs btn-default jm-line-edit"[^>]*data-after="([^"]*)"', html)
    assert after and json.loads(unescape(after.group(1)))["area_id_label"] == demo.area_a.name


# ---------------------------------------------------------------- the list filters of refunds and orders

def test_refund_and_review_filters_print_only_the_chosen_developer_and_area(
        officer_client: Any, dev_a_client: Any, demo: Any, many_areas: list[PropertyArea]) -> None:
    for url in ("/refunds/", "/review/"):
        html = officer_client.get(url).get_data(as_text=True)
        assert demo.org_b.name not in html and PREFIX not in html
        assert "/office/organisations/options" in html
    html = officer_client.get(f"/refunds/?org_id={demo.org_b.id}&area_id={many_areas[2].id}").get_data(as_text=True)
    assert demo.org_b.name in html and many_areas[2].name in html
    html = officer_client.get(f"/review/?org_id={demo.org_b.id}").get_data(as_text=True)
    assert demo.org_b.name in html
    mine = dev_a_client.get("/my-refunds/").get_data(as_text=True)
    assert PREFIX not in mine and "/property/areas/options" in mine
