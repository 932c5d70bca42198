"""房屋合同号设置 (§1.3.9) screen and the JSON calls of its script (app/static/js/contracts.js)."""
from __future__ import annotations

from io import BytesIO
from typing import Any

from flask import current_app, jsonify, request, send_file
from flask_appbuilder import AppBuilder, BaseView, expose
from flask_appbuilder.security.decorators import has_access, has_access_api
from flask_babel import lazy_gettext as _l

from app.domain.localtime import local_today
from app.domain.validators import ID_TYPES
from app.errors import Problem, ValidationFailed
from app.extensions import db
from app.integrations.trading import TradingClient
from app.security.roles import RES_ORDER
from app.services.contracts import (Agent, ContractRow, bind_contracts, export_contract_rows,
                                    import_contract_rows, match_rows, rows_for_houses)
from app.views.menus import CATEGORY_PROPERTY
from app.views.errors import json_errors
from app.views.payments import (XLSX_MIMETYPE, area_and_ids, chosen_area, json_body, owned_area,
                                uploaded_file, user_id)

# After the order businesses (app/views/orders.py, 40): the manual lists 房屋合同号设置 last (§1.3.9).
REGISTER_ORDER = 42
MENU_CONTRACTS = "Contract number setting"


def _rows(body: dict[str, Any]) -> list[ContractRow]:
    raw = body.get("rows")
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        raise ValidationFailed(problems=[Problem("rows", _l("A list is expected."))])
    return [ContractRow.from_mapping(r) for r in raw]


class ContractSettingView(BaseView):
    """Business-order permissions: read to prepare, write to match, submit to bind."""

    route_base = "/contracts"
    class_permission_name = RES_ORDER
    base_permissions = ["can_read", "can_write", "can_submit"]
    method_permission_name = {"setting": "read", "rows": "read", "export": "read",
                              "import_rows": "read", "match": "write", "submit": "submit"}

    @expose("/")
    @has_access
    def setting(self) -> Any:
        return self.render_template("contracts/setting.html", chosen_area=chosen_area(),
                                    id_types=[(k, str(v)) for k, v in ID_TYPES.items()])

    @expose("/rows", methods=["POST"])
    @has_access_api
    @json_errors
    def rows(self) -> Any:
        area, house_ids = area_and_ids("house_ids", "houses")
        return jsonify({"rows": rows_for_houses(db.session, area, house_ids)})

    @expose("/export", methods=["POST"])
    @has_access_api
    @json_errors
    def export(self) -> Any:
        """The rows on screen as .xlsx: house code and place from the register, the rest as typed."""
        body = json_body()
        area = owned_area(body.get("area_id"))
        typed = {row.house_id: row for row in _rows(body)}
        rows = [{**row, "owner_name": typed[row["house_id"]].owner_name,
                 "id_type": typed[row["house_id"]].id_type, "id_no": typed[row["house_id"]].id_no,
                 "contract_no": typed[row["house_id"]].contract_no}
                for row in rows_for_houses(db.session, area, typed.keys())]
        stamp = local_today().strftime("%Y%m%d")
        return send_file(BytesIO(export_contract_rows(rows)), mimetype=XLSX_MIMETYPE,
                         as_attachment=True, download_name=f"房屋合同号-{area.code}-{stamp}.xlsx")

    @expose("/import", methods=["POST"])
    @has_access_api
    @json_errors
    def import_rows(self) -> Any:
        area = owned_area(request.form.get("area_id"))
        return jsonify({"rows": import_contract_rows(db.session, area, uploaded_file())})

    @expose("/match", methods=["POST"])
    @has_access_api
    @json_errors
    def match(self) -> Any:
        body = json_body()
        area = owned_area(body.get("area_id"))
        with TradingClient.from_config(current_app.config) as client:
            outcomes = match_rows(db.session, area, _rows(body), client)
        return jsonify({"rows": [o.as_dict() for o in outcomes]})

    @expose("/submit", methods=["POST"])
    @has_access_api
    @json_errors
    def submit(self) -> Any:
        body = json_body()
        area = owned_area(body.get("area_id"))
        if body.get("confirmed") is not True:
            # Binding records the buyers as owners and tells the trading system: never by accident.
            raise ValidationFailed(_l("Confirm the binding first."))
        agent = Agent.from_mapping(body.get("agent") if isinstance(body.get("agent"), dict) else {})
        with TradingClient.from_config(current_app.config) as client:
            result = bind_contracts(db.session, area, _rows(body), client, agent=agent,
                                    user_id=user_id())
        return jsonify({"bound": [o.as_dict() for o in result.bound],
                        "not_matched": [o.as_dict() for o in result.not_matched]})


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view(ContractSettingView, MENU_CONTRACTS, label=_l("Contract number setting"),
                        href="/contracts/", icon="fa-file-signature", category=CATEGORY_PROPERTY)
