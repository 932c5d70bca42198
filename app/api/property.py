"""Read-only REST API of the register: organisations, property areas, buildings, houses.

``/api/v1/<organization|area|building|house>/`` (list) and ``/<id>`` (get), JWT from
``/api/v1/security/login``. Every query runs under the tenant filter: a developer sees its own
organisation only and gets 404 for another's id. Page size is capped by FAB_API_MAX_PAGE_SIZE.
"""
from __future__ import annotations

from typing import Any

from flask import Response
from flask_appbuilder import AppBuilder, ModelRestApi
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.domain.ids import row_id
from app.models.organisation import Organisation
from app.models.property import Building, House, PropertyArea
from app.security.roles import REST_API_METHODS, RES_AREA, RES_BUILDING, RES_HOUSE, RES_ORGANISATION
from app.security.tenant import tenant_filters


#: Labels shared by the four resources (the same texts as the screens).
LABELS = {
    "id": _l("ID"), "org_id": _l("Organisation ID"), "area_id": _l("Property area ID"),
    "building_id": _l("Building ID"), "area.name": _l("Property area"), "building.name": _l("Building"),
    "uscc": _l("Unified social credit code"), "legal_rep": _l("Legal representative"),
    "contact": _l("Contact person"), "phone": _l("Phone"), "address": _l("Address"),
    "district_code": _l("District"), "email": _l("E-mail"), "status": _l("Status"),
    "papers_checked": _l("Paper documents checked"), "created_at": _l("Created"), "code": _l("Code"),
    "project_name": _l("Project name"), "presale_permit_no": _l("Pre-sale permit No."),
    "land_use_cert_no": _l("Land use certificate No."), "planned_households": _l("Planned households"),
    "total_building_area": _l("Total building area (m²)"), "contact_phone": _l("Contact phone"),
    "trade_project_ids": _l("Trading-system project"), "active": _l("In use"),
    "structure_code": _l("Building structure"), "built_ym": _l("Completed (year-month)"),
    "floors": _l("Floors"), "trade_building_code": _l("Trading-system building code"),
    "unit": _l("Unit"), "floor": _l("Floor"), "room": _l("Room"),
    "building_area": _l("Building area (m²)"), "inner_area": _l("Inner area (m²)"),
    "use_code": _l("House use"), "has_lift": _l("Lift"), "sales_status": _l("Sales status"),
    "price": _l("House price"), "amount_due": _l("Amount due"), "standard_text": _l("Deposit standard"),
    "deposit_time_point": _l("Deposit time point"), "opened_at": _l("Account opened"),
    "source": _l("Source"), "trade_house_code": _l("Trading-system house code"),
    "contract_no": _l("Contract No."), "contract_bound_at": _l("Contract bound"), "closed_at": _l("Closed"),
}


class TenantReadApi(ModelRestApi):
    """GET only, tenant-filtered. Add/edit column lists are kept to one plain column so ``_info``
    never lists related rows (FAB would list every row of a related table there)."""

    include_route_methods = {"get", "get_list", "info"}
    method_permission_name = REST_API_METHODS
    base_filters = tenant_filters()
    label_columns = LABELS
    description_columns = {"code": _l("Code")}
    add_columns = edit_columns = ["name"]

    def get_headless(self, pk: Any, **kwargs: Any) -> Response:
        if row_id(pk) is None:  # past INTEGER range PostgreSQL would fail instead of "not found"
            return self.response_404()
        return super().get_headless(pk, **kwargs)


class OrganisationApi(TenantReadApi):
    resource_name = "organization"
    datamodel = SQLAInterface(Organisation)
    class_permission_name = RES_ORGANISATION
    label_columns = {**LABELS, "name": _l("Developer")}
    description_columns = {"name": _l("Developer")}
    list_columns = ["id", "name", "uscc", "district_code", "contact", "phone", "status",
                    "papers_checked"]
    show_columns = ["id", "name", "uscc", "legal_rep", "contact", "phone", "address",
                    "district_code", "email", "status", "papers_checked", "created_at"]
    search_columns = ["name", "uscc", "district_code", "status"]
    order_columns = ["id", "name", "uscc"]


class PropertyAreaApi(TenantReadApi):
    resource_name = "area"
    datamodel = SQLAInterface(PropertyArea)
    class_permission_name = RES_AREA
    label_columns = {**LABELS, "name": _l("Property area name")}
    description_columns = {"name": _l("Property area name")}
    list_columns = ["id", "org_id", "code", "name", "district_code", "address", "active"]
    show_columns = ["id", "org_id", "code", "name", "district_code", "address", "project_name",
                    "presale_permit_no", "land_use_cert_no", "planned_households",
                    "total_building_area", "contact", "contact_phone", "trade_project_ids", "active",
                    "created_at"]
    search_columns = ["code", "name", "district_code", "address", "active"]
    order_columns = ["id", "code", "name"]


class BuildingApi(TenantReadApi):
    resource_name = "building"
    datamodel = SQLAInterface(Building)
    class_permission_name = RES_BUILDING
    label_columns = {**LABELS, "name": _l("Building name")}
    description_columns = {"name": _l("Building name")}
    list_columns = ["id", "area_id", "code", "name", "structure_code", "built_ym", "floors"]
    show_columns = ["id", "org_id", "area_id", "area.name", "code", "name", "structure_code",
                    "built_ym", "floors", "address", "trade_building_code", "created_at"]
    search_columns = ["code", "name", "area_id", "structure_code", "floors"]
    order_columns = ["id", "code", "name", "floors"]


class HouseApi(TenantReadApi):
    resource_name = "house"
    datamodel = SQLAInterface(House)
    class_permission_name = RES_HOUSE
    list_columns = ["id", "area_id", "building_id", "code", "unit", "floor", "room", "building_area",
                    "use_code", "has_lift", "sales_status", "status", "amount_due", "contract_no"]
    show_columns = ["id", "org_id", "area_id", "area.name", "building_id", "building.name", "code",
                    "unit", "floor", "room", "address", "building_area", "inner_area", "use_code",
                    "has_lift", "sales_status", "price", "status", "amount_due", "standard_text",
                    "deposit_time_point", "opened_at", "source", "trade_house_code", "contract_no",
                    "contract_bound_at", "closed_at"]
    search_columns = ["code", "area_id", "building_id", "unit", "floor", "room", "use_code",
                      "sales_status", "status", "contract_no"]
    order_columns = ["id", "code", "floor", "room", "amount_due"]
    add_columns = edit_columns = ["code"]


def register(appbuilder: AppBuilder) -> None:
    for api in (OrganisationApi, PropertyAreaApi, BuildingApi, HouseApi):
        appbuilder.add_api(api)
