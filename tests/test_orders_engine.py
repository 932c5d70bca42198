"""The order engine is general: a business registered in a few lines works over the generic form,
the REST API and the review screens, and the lists, buttons and API types come from the registry."""
from __future__ import annotations

from typing import Any, Iterator

import pytest
from sqlalchemy import select

from app.errors import Problem
from app.models.audit import AuditLog
from app.models.order import BusinessOrder
from app.services.audit import record
from app.services.orders import fields
from app.services.orders.types import OrderHandler, register_handler, registered_types, unregister_handler

AGENT_FORM = {"agent_name": "李敏", "agent_phone": "13800138001", "agent_id_type": "01",
              "agent_id_no": "11010519491231002X"}


class StubHandler(OrderHandler):
    """A whole business: a note typed in the form, required on submit, audited on approval."""

    type, code, slug, title, menu_name = "stub_test", "ZZ", "stub", "Stub business", "Stub"
    field_labels = {"note": "Note"}

    def read_fields(self, source: Any) -> dict[str, Any]:
        return {"note": fields.text(source.get("note"))}

    def apply_fields(self, session: Any, user: Any, order: Any, values: dict) -> list[Problem]:
        order.payload = {**(order.payload or {}), "note": values["note"]}
        return []

    def validate(self, session: Any, order: Any) -> list[Problem]:
        return [] if (order.payload or {}).get("note") else [Problem("note", "Required.")]

    def apply(self, session: Any, order: Any, user: Any) -> None:
        record(session, "stub_applied", "BusinessOrder", order.id, user_id=user.id,
               org_id=order.org_id, detail={"note": order.payload["note"]})


@pytest.fixture()
def stub() -> Iterator[StubHandler]:
    handler = register_handler(StubHandler())
    yield handler
    unregister_handler(handler.type)


def test_a_registered_business_runs_through_form_review_and_approval(
        stub, dev_a_client, officer_client, session):
    assert 'id="jm-new-stub"' in dev_a_client.get("/orders/").get_data(as_text=True)
    assert dev_a_client.get("/order-form/stub").status_code == 200
    refused = dev_a_client.post("/order-form/stub", data={**AGENT_FORM, "action": "submit"})
    assert refused.status_code == 422 and "Note" in refused.get_data(as_text=True)
    assert session.scalar(select(BusinessOrder.id).where(BusinessOrder.type == stub.type)) is None
    response = dev_a_client.post("/order-form/stub",
                                 data={**AGENT_FORM, "note": "hello", "action": "submit"})
    assert response.status_code == 302
    order = session.scalars(select(BusinessOrder).where(BusinessOrder.type == stub.type)).one()
    assert order.status == "submitted" and order.number.startswith("ZZ")
    queue = officer_client.get("/review/").get_data(as_text=True)
    assert order.number in queue and 'value="stub_test"' in queue
    officer_client.post(f"/review/{order.id}/accept", data={"version": order.version,
                                                             "papers_checked": "1"})
    session.expire_all()
    officer_client.post(f"/review/{order.id}/approve",
                        data={"version": session.get(BusinessOrder, order.id).version})
    session.expire_all()
    assert session.get(BusinessOrder, order.id).status == "approved"
    applied = session.scalars(select(AuditLog).where(AuditLog.action == "stub_applied")).one()
    assert applied.detail == {"note": "hello"}


def test_a_registered_business_is_an_api_type(stub, client_for, api_headers, app):
    client = app.test_client()
    headers = api_headers("dev_a")
    types = client.get("/api/v1/order/types", headers=headers).get_json()["result"]
    assert "stub_test" in {t["type"] for t in types}
    body = {"type": "stub_test", "note": "via api",
            "agent": {"name": "李敏", "phone": "13800138001", "id_type": "01",
                      "id_no": "11010519491231002X"}}
    created = client.post("/api/v1/order/", json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    order_id = created.get_json()["result"]["id"]
    submitted = client.post(f"/api/v1/order/{order_id}/submit", headers=headers)
    assert submitted.get_json()["result"]["status"] == "submitted"


def test_menus_buttons_and_role_permissions_come_from_the_registry(app):
    from app.security.roles import ROLE_DEV_PROPERTY, ROLE_TELLER, permissions_of
    from app.services.orders.types import handlers

    names = {h.menu_name for h in handlers()}
    assert {"Area collection", "Area change", "Building change", "House supplement"} <= names
    granted = set(permissions_of(ROLE_DEV_PROPERTY))
    assert {("menu_access", name) for name in names} <= granted
    assert not {("menu_access", name) for name in names} & set(permissions_of(ROLE_TELLER))
    with app.app_context():
        for name in names:
            assert app.appbuilder.menu.find(name) is not None


def test_a_slug_serves_one_business_only(stub):
    clash = StubHandler()
    clash.type = "stub_other"
    with pytest.raises(ValueError):
        register_handler(clash)


def test_a_business_missing_a_hook_of_its_mixins_is_refused():
    """A mixin's hooks (``required_hooks``) are checked when the business registers, not when a
    clerk first clicks the button that needs them."""
    from app.services.orders.house_picks import PickedHouses, PickedHousesSheet

    class Forgetful(PickedHouses, PickedHousesSheet, StubHandler):
        type, slug = "stub_forgetful", "stub-forgetful"

        def sheet_columns(self, session: Any, *, export: bool) -> list:
            return []

    with pytest.raises(TypeError, match="house_snapshot, sheet_after, sheet_rows"):
        register_handler(Forgetful())
    assert "stub_forgetful" not in registered_types()

    class Complete(Forgetful):
        def house_snapshot(self, house: Any, building_name: str) -> dict:
            return {}

        def sheet_after(self, session: Any, order: Any, after: dict, rows: Any) -> tuple:
            return after, []

        def sheet_rows(self, session: Any, order: Any) -> list:
            return []

    try:
        assert register_handler(Complete()).type == "stub_forgetful"
    finally:
        unregister_handler("stub_forgetful")
