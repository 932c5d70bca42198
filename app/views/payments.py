"""交款管理 screens (§1.4): 开发建设单位批量交款, 代打交款通知单, 自定义交款, and the JSON
calls their scripts make. Every area, house and notice id from the browser goes through the tenant check.
"""
from __future__ import annotations

from decimal import Decimal
from io import BytesIO
from typing import Any, Optional

from flask import abort, jsonify, request, send_file, url_for
from flask_appbuilder import AppBuilder, BaseView, expose
from flask_appbuilder.security.decorators import has_access, has_access_api
from flask_babel import lazy_gettext as _l

from app.domain.localtime import local_today
from app.domain.ids import row_id
from app.domain.money import json_loads_exact, to_exact_money
from app.domain.validators import ID_TYPES
from app.errors import Problem, ValidationFailed
from app.extensions import db
from app.models.payment import Notice
from app.models.property import House, PropertyArea
from app.security.roles import RES_PAYMENT
from app.security.tenant import current_scope, current_user, get_owned_or_404
from app.services.options import opening_area
from app.services.owners import owner_dict, replace_owners
from app.services.payments import (IssueResult, issue_building_notices, issue_custom_notices,
                                   issue_owner_notices, preview_buildings, reissue_notice,
                                   void_notice)
from app.services.payments.houses import export_renew_sheet, house_rows, import_renew_amounts
from app.services.payments.notices import HELD_ASK, PAYMENT_TYPE_LABELS, PAYMENT_TYPES
from app.views.errors import json_errors
from app.views.menus import CATEGORY_PAYMENT

REGISTER_ORDER = 40
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def json_body() -> dict[str, Any]:
    """The request's JSON object, numbers with a fraction as Decimal (amounts never pass float)."""
    try:
        body = json_loads_exact(request.get_data(cache=True))
    except ValueError:
        abort(400)
    if not isinstance(body, dict):
        abort(400)
    return body


def user_id() -> Optional[int]:
    return getattr(current_user(), "id", None)


def owned_area(value: Any) -> PropertyArea:
    return get_owned_or_404(db.session, PropertyArea, value)


def id_list(value: Any, field: str) -> list[int]:
    """A list of positive ints from the browser, or a 422 naming the field."""
    if not isinstance(value, list):
        raise ValidationFailed(problems=[Problem(field, _l("A list is expected."))])
    try:
        ids = [int(v) for v in value]
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(problems=[Problem(field, _l("A list is expected."))]) from exc
    return [i for i in ids if i > 0]


def area_and_ids(key: str, field: str) -> tuple[PropertyArea, list[int]]:
    """The JSON body's property area (404 unless the user's), then its id list under ``key``."""
    body = json_body()
    return owned_area(body.get("area_id")), id_list(body.get(key), field)


def uploaded_file() -> bytes:
    """The bytes of the form's ``file``, or a 422 asking for it."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationFailed(problems=[Problem("file", _l("Choose the filled-in Excel file."))])
    return upload.read()


def chosen_area() -> list[tuple[int, str]]:
    """The area the page's area box opens with (``?area=<id>``, or the user's only one); the box
    asks for the others as the user types (a city has hundreds of areas: none is printed)."""
    return opening_area(db.session, current_scope(), row_id(request.args.get("area")))


def issue_answer(result: IssueResult) -> dict[str, Any]:
    ids = result.notice_ids
    return {
        "notices": [{"id": n.id, "number": n.number, "total": f"{n.total:.2f}",
                     "houses": len(n.lines)} for n in result.notices],
        "voided": result.voided,
        "skipped": [{"code": s.house_code, "location": s.location, "reason": s.reason}
                    for s in result.skipped],
        "print_url": url_for("NoticeView.print_notices", ids=",".join(map(str, ids))),
        "list_url": url_for("NoticeView.list"),
    }


class PaymentsView(BaseView):
    """The developer's payment businesses (permission read / write / print on Payment)."""

    route_base = "/payments"
    class_permission_name = RES_PAYMENT
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {
        "batch": "read", "batch_preview": "read", "batch_issue": "write",
        "owners": "read", "house_rows": "read", "owners_save": "write", "owners_issue": "write",
        "custom": "read", "custom_export": "read", "custom_import": "read", "custom_issue": "write",
        "notice_reissue": "write", "notice_void": "write",
    }

    def _page(self, template: str, **context: Any) -> Any:
        return self.render_template(template, chosen_area=chosen_area(), **context)

    # ------------------------------------------------------------------ §1.4.1

    @expose("/batch/")
    @has_access
    def batch(self) -> Any:
        return self._page("payments/batch.html")

    @expose("/batch/preview", methods=["POST"])
    @has_access_api
    @json_errors
    def batch_preview(self) -> Any:
        area, building_ids = area_and_ids("building_ids", "buildings")
        previews = preview_buildings(db.session, area, building_ids)
        return jsonify({"buildings": [{
            "id": p.building_id, "name": p.name, "houses": p.unpaid_houses,
            "total": f"{p.total:.2f}", "without_contract": p.without_contract,
            "skipped": [{"code": s.house_code, "location": s.location, "reason": s.reason}
                        for s in p.skipped],
            "holding": [n.to_dict() for n in p.holding]} for p in previews]})

    @expose("/batch/issue", methods=["POST"])
    @has_access_api
    @json_errors
    def batch_issue(self) -> Any:
        area, building_ids = area_and_ids("building_ids", "buildings")
        held = str(json_body().get("held") or HELD_ASK)
        result = issue_building_notices(db.session, area, building_ids, user_id=user_id(),
                                        held=held)
        return jsonify(issue_answer(result))

    # ------------------------------------------------------------------ §1.4.2

    @expose("/owners/")
    @has_access
    def owners(self) -> Any:
        return self._page("payments/owners.html", id_types=[(k, str(v)) for k, v in ID_TYPES.items()])

    @expose("/houses", methods=["POST"])
    @has_access_api
    @json_errors
    def house_rows(self) -> Any:
        area, house_ids = area_and_ids("house_ids", "houses")
        return jsonify({"houses": house_rows(db.session, area, house_ids)})

    @expose("/owners/house/<int:house_id>", methods=["POST"])
    @has_access_api
    @json_errors
    def owners_save(self, house_id: int) -> Any:
        house = get_owned_or_404(db.session, House, house_id)
        owners = json_body().get("owners")
        if not isinstance(owners, list) or not all(isinstance(o, dict) for o in owners):
            raise ValidationFailed(problems=[Problem("owners", _l("A list is expected."))])
        replace_owners(db.session, house, owners, user_id=user_id())
        return jsonify({"house_id": house.id, "owners": [owner_dict(o) for o in house.owners]})

    @expose("/owners/issue", methods=["POST"])
    @has_access_api
    @json_errors
    def owners_issue(self) -> Any:
        area, house_ids = area_and_ids("house_ids", "houses")
        result = issue_owner_notices(db.session, area, house_ids, user_id=user_id())
        return jsonify(issue_answer(result))

    # ------------------------------------------------------------------ §1.4.3

    @expose("/custom/")
    @has_access
    def custom(self) -> Any:
        return self._page("payments/custom.html",
                          payment_types=[(k, str(PAYMENT_TYPE_LABELS[k])) for k in PAYMENT_TYPES])

    @expose("/custom/export", methods=["POST"])
    @has_access_api
    @json_errors
    def custom_export(self) -> Any:
        area, house_ids = area_and_ids("house_ids", "houses")
        data = export_renew_sheet(db.session, area, house_ids)
        stamp = local_today().strftime("%Y%m%d")
        return send_file(BytesIO(data), mimetype=XLSX_MIMETYPE, as_attachment=True,
                         download_name=f"续筹交款-{area.code}-{stamp}.xlsx")

    @expose("/custom/import", methods=["POST"])
    @has_access_api
    @json_errors
    def custom_import(self) -> Any:
        area = owned_area(request.form.get("area_id"))
        amounts = import_renew_amounts(db.session, area, uploaded_file())
        return jsonify({"amounts": {str(k): f"{v:.2f}" for k, v in amounts.items()},
                        "houses": house_rows(db.session, area, amounts.keys())})

    @expose("/custom/issue", methods=["POST"])
    @has_access_api
    @json_errors
    def custom_issue(self) -> Any:
        body = json_body()
        area = owned_area(body.get("area_id"))
        payment_type = str(body.get("payment_type") or "")
        amounts = _amounts(body.get("amounts"), id_list(body.get("house_ids"), "houses"))
        result = issue_custom_notices(db.session, area, payment_type, amounts, user_id=user_id())
        return jsonify(issue_answer(result))

    # ------------------------------------------------------------------ notice list actions

    @expose("/notice/<int:notice_id>/reissue", methods=["POST"])
    @has_access_api
    @json_errors
    def notice_reissue(self, notice_id: int) -> Any:
        notice = get_owned_or_404(db.session, Notice, notice_id)
        return jsonify(issue_answer(reissue_notice(db.session, notice, user_id=user_id())))

    @expose("/notice/<int:notice_id>/void", methods=["POST"])
    @has_access_api
    @json_errors
    def notice_void(self, notice_id: int) -> Any:
        notice = get_owned_or_404(db.session, Notice, notice_id)
        body = request.get_json(silent=True) or {}
        reason = str(body.get("reason") or "")[:200] if isinstance(body, dict) else ""
        void_notice(db.session, notice, reason=reason, user_id=user_id())
        return jsonify({"id": notice.id, "number": notice.number, "status": notice.status})


def _amounts(raw: Any, house_ids: list[int]) -> dict[int, Optional[Decimal]]:
    """house id → amount (None: what is still due) from the browser's {id: "123.45"}."""
    given = raw if isinstance(raw, dict) else {}
    amounts: dict[int, Optional[Decimal]] = {}
    problems = []
    for house_id in house_ids:
        value = given.get(str(house_id))
        if value in (None, ""):
            amounts[house_id] = None
            continue
        try:
            amounts[house_id] = to_exact_money(value)
        except ValueError as exc:
            problems.append(Problem(str(house_id), exc.args[0]))
    if problems:
        raise ValidationFailed(problems=problems)
    return amounts


MENU_BATCH = "Developer batch payment"
MENU_OWNERS = "Payment notices for owners"
MENU_CUSTOM = "Custom payment"


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view(PaymentsView, MENU_BATCH, label=_l("Developer batch payment"),
                        href="/payments/batch/", icon="fa-layer-group", category=CATEGORY_PAYMENT)
    appbuilder.add_link(MENU_OWNERS, label=_l("Payment notices for owners"), href="/payments/owners/",
                        icon="fa-user-friends", category=CATEGORY_PAYMENT)
    appbuilder.add_link(MENU_CUSTOM, label=_l("Custom payment"), href="/payments/custom/",
                        icon="fa-sliders-h", category=CATEGORY_PAYMENT)
