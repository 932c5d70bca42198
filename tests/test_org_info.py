"""信息变更 (§1.2.1): the Developer Admin edits its organisation; every save is kept with before/after."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app.errors import PermissionDenied, ValidationFailed
from app.models.organisation import OrganisationChange
from app.services.organisation import EDITABLE_FIELDS, change_organisation
from tests.test_org_support import count, field_errors, translated


def current_values(org: Any) -> dict[str, str]:
    return {field: getattr(org, field) or "" for field in EDITABLE_FIELDS}


def test_form_shows_own_organisation(dev_a_client, demo):
    page = dev_a_client.get("/org/info/").get_data(as_text=True)
    assert demo.org_a.name in page and demo.org_a.uscc in page
    assert demo.org_b.name not in page
    assert 'id="jm-org-info-save"' in page


def test_save_records_before_and_after_newest_first(dev_a_client, session, demo):
    org = demo.org_a
    old_phone, old_address = org.phone, org.address
    first = {**current_values(org), "phone": "13700000001", "address": "江门市蓬江区建设路1号"}
    response = dev_a_client.post("/org/info/", data=first)
    assert response.status_code == 302
    second = {**first, "district_code": "440705"}
    assert dev_a_client.post("/org/info/", data=second).status_code == 302

    session.expire_all()
    assert (org.phone, org.address, org.district_code) == ("13700000001", "江门市蓬江区建设路1号", "440705")
    changes = session.scalars(select(OrganisationChange).where(OrganisationChange.org_id == org.id)
                              .order_by(OrganisationChange.id)).all()
    assert len(changes) == 2
    assert [(c["field"], c["before"], c["after"]) for c in changes[0].changes] == [
        ("phone", old_phone, "13700000001"), ("address", old_address, "江门市蓬江区建设路1号")]
    assert changes[0].changed_by_id == demo.users["dev_a"].id and changes[0].changed_at
    assert [c["field"] for c in changes[1].changes] == ["district_code"]

    page = dev_a_client.get("/org/info/").get_data(as_text=True)
    history = page[page.index('id="jm-org-changes"'):]
    # newest first, districts shown by name
    assert history.index("新会区") < history.index("13700000001")
    assert old_phone in history


def test_noop_save_stores_nothing(dev_a_client, session, demo):
    before = count(session, OrganisationChange)
    response = dev_a_client.post("/org/info/", data=current_values(demo.org_a))
    assert response.status_code == 302
    assert count(session, OrganisationChange) == before


@pytest.mark.parametrize("field,value,msgid", [
    ("phone", "12345", "Mobile number must be 11 digits starting with 13 to 19."),
    ("name", "江门市锦江房地产开发有限公司", "An organisation with this name is already registered."),
    ("legal_rep_id_no", "440703197805120019", "ID number check digit is wrong."),
    ("email", "not-an-email", "Please enter a valid e-mail address."),
])
def test_invalid_change_is_refused_at_the_field(app, dev_a_client, session, demo, field, value, msgid):
    data = {**current_values(demo.org_a), field: value}
    response = dev_a_client.post("/org/info/", data=data)
    assert response.status_code == 422
    assert translated(app, msgid) in field_errors(response.get_data(as_text=True), field)
    session.expire_all()
    assert getattr(demo.org_a, field) != value
    assert count(session, OrganisationChange) == 0


def test_uscc_cannot_change(session, demo):
    dev_a = demo.users["dev_a"]
    with pytest.raises(ValidationFailed) as caught:
        change_organisation(session, demo.org_a.id, {"uscc": "91440705MA51Q8R367"}, dev_a.id)
    assert [p.field for p in caught.value.problems] == ["uscc"]
    # Posting it through the form is ignored: the code is not an editable field.
    assert change_organisation(session, demo.org_a.id, {"uscc": demo.org_a.uscc}, dev_a.id) is None


def test_service_refuses_another_organisations_user(session, demo):
    with pytest.raises(PermissionDenied):
        change_organisation(session, demo.org_a.id, {"phone": "13700000009"}, demo.users["dev_b"].id)


def test_staff_sees_read_only_and_cannot_save(dev_a_staff_client, session, demo):
    page = dev_a_staff_client.get("/org/info/").get_data(as_text=True)
    assert demo.org_a.name in page and 'id="jm-org-info-save"' not in page
    response = dev_a_staff_client.post("/org/info/", data={**current_values(demo.org_a),
                                                           "phone": "13700000002"})
    assert response.status_code == 403
    session.expire_all()
    assert demo.org_a.phone != "13700000002"


def test_internal_users_have_no_own_organisation(officer_client):
    assert officer_client.get("/org/info/").status_code == 404


def test_menu_entry_for_developer_admin(dev_a_client, officer_client):
    assert "/org/info/" in dev_a_client.get("/").get_data(as_text=True)
    assert "/org/info/" not in officer_client.get("/").get_data(as_text=True)
