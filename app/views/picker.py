"""JSON endpoints of the house picker (楼盘表); the dialog itself is app/templates/picker/.

Every id in a URL goes through the tenant check: another organisation's area or building is a 404.
"""
from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_appbuilder import AppBuilder, BaseView, expose
from flask_appbuilder.security.decorators import has_access_api

from app.extensions import db
from app.models.property import Building, PropertyArea
from app.security.roles import RES_HOUSE
from app.security.tenant import get_owned_or_404
from app.services.picker import area_buildings, building_houses


class HousePickerView(BaseView):
    """``/picker/area/<id>/buildings`` and ``/picker/building/<id>/houses`` (read on House)."""

    route_base = "/picker"
    class_permission_name = RES_HOUSE
    method_permission_name = {"buildings": "read", "houses": "read"}
    base_permissions = ["can_read"]

    @expose("/area/<int:area_id>/buildings")
    @has_access_api
    def buildings(self, area_id: int) -> Any:
        area = get_owned_or_404(db.session, PropertyArea, area_id)
        return jsonify({"area": {"id": area.id, "name": area.name},
                        "buildings": area_buildings(db.session, area)})

    @expose("/building/<int:building_id>/houses")
    @has_access_api
    def houses(self, building_id: int) -> Any:
        building = get_owned_or_404(db.session, Building, building_id)
        return jsonify(building_houses(db.session, building))


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view_no_menu(HousePickerView)
