"""物业区域采集 (§1.3.1) and 房屋补充 (§1.3.5): the order form.

Area data (or the chosen area and 交存时点) and the agent are an ordinary form (保存 / 保存并提交).
Houses come in by 接口获取 (a dialog listing this developer's trading-system projects) or by the
Excel template; both run as background jobs whose progress the page polls, so a 2,000-house
project or a 10,000-row sheet never freezes the page. Attachments are uploaded to the saved order.
"""
from __future__ import annotations

from decimal import Decimal
from io import BytesIO
from typing import Any, Optional

from flask import Response, abort, current_app, flash, jsonify, redirect, request, send_file, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_appbuilder.security.decorators import has_access_api
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.documents.excel import house_template
from app.errors import DomainError, Problem, ValidationFailed
from app.extensions import db
from app.integrations.trading import TradingClient
from app.models.codes import KIND_ATTACHMENT, KIND_DISTRICT, KIND_ID_TYPE
from app.models.order import AREA_COLLECT, BusinessOrder, OrderJob
from app.models.organisation import Organisation
from app.models.property import PropertyArea
from app.security.roles import RES_ORDER
from app.security.tenant import current_user, get_owned_or_404, scoped_select
from app.services.orders import drafts, intake, jobs, staging, workflow
from app.services.orders.drafts import AgentInput, DraftInput
from app.services.orders.types.area_collect import AREA_FIELDS, area_data
from app.services.orders.types.new_houses import Pricer, deposit_point
from app.services.reference import code_map
from app.views.errors import flash_domain_error
from app.views.menus import CATEGORY_PROPERTY
from app.views.orders_common import FORM_TYPES, order_context, type_label

#: The businesses come in the manual's order: 1.3.1 and 1.3.5 here, 1.3.9 in contracts.py (42),
#: then 我的业务单 (orders.py).
REGISTER_ORDER = 40
MENU_COLLECT = "Area collection"
MENU_SUPPLEMENT = "House supplement"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KIND_BY_TYPE = {order_type: kind for kind, order_type in FORM_TYPES.items()}


def _wants_json() -> bool:
    return request.headers.get("X-Requested-With") == "fetch" or request.args.get("ajax") == "1"


def _draft_input() -> DraftInput:
    form = request.form
    area_id: Optional[int]
    try:
        area_id = int(form.get("area_id") or 0) or None
    except ValueError:
        area_id = None
    return DraftInput(
        agent=AgentInput(name=form.get("agent_name", ""), phone=form.get("agent_phone", ""),
                         id_type=form.get("agent_id_type", "01"), id_no=form.get("agent_id_no", "")),
        reason=form.get("reason"), area_id=area_id,
        area={key: form.get(f"area.{key}", "") for key in AREA_FIELDS},
        deposit_time_point=(form.get("deposit_time_point") or "").strip() or None,
    )


def _values(order: Optional[BusinessOrder]) -> dict[str, Any]:
    """The form's values: the posted ones after a refusal, else the order's."""
    if request.method == "POST":
        return dict(request.form.items())
    if order is None:
        user = current_user()
        return {"agent_name": getattr(user, "display_name", ""), "agent_phone": user.phone or "",
                "agent_id_type": user.id_type or "01", "agent_id_no": user.id_no or ""}
    values = {"agent_name": order.agent_name or "", "agent_phone": order.agent_phone or "",
              "agent_id_type": order.agent_id_type or "01", "agent_id_no": order.agent_id_no or "",
              "reason": order.reason or "", "area_id": str(order.area_id or ""),
              "deposit_time_point": (order.payload or {}).get("deposit_time_point") or ""}
    values.update({f"area.{k}": str(v or "") for k, v in area_data(order).items()})
    return values


def _errors(error: Optional[DomainError]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for problem in (error.problems if error else []):
        errors.setdefault(problem.field, []).append(str(problem.reason))
    return errors


def _problem_json(error: DomainError) -> tuple[Response, int]:
    return jsonify(error.to_dict()), error.status


class OrderFormView(BaseView):
    route_base = "/order-form"
    default_view = "new"
    class_permission_name = RES_ORDER
    method_permission_name = {
        "new": "write", "create": "write", "edit": "write", "update": "write",
        "remove_lines": "write", "upload": "write", "delete_attachment": "write",
        "start_import": "write", "start_fetch": "write", "template": "read",
        "trade_projects": "read", "job": "read", "marked_copy": "read",
    }

    # ---------------------------------------------------------------- the form

    def _render(self, kind: str, order: Optional[BusinessOrder],
                error: Optional[DomainError] = None, status: int = 200) -> Any:
        order_type = FORM_TYPES[kind]
        context: dict[str, Any] = {}
        if order is not None:
            context = order_context(order, lines_endpoint="OrderFormView.edit")
            context["totals"] = _totals(order)
        areas = db.session.scalars(scoped_select(PropertyArea)
                                   .where(PropertyArea.active.is_(True))
                                   .order_by(PropertyArea.name)).all()
        body = self.render_template(
            "orders/form.html", kind=kind, order_type=order_type, title=type_label(order_type),
            form_order=order, values=_values(order), errors=_errors(error),
            area_fields=[(k, str(label), req) for k, (label, _n, req) in AREA_FIELDS.items()],
            districts=list(code_map(db.session, KIND_DISTRICT).items()),
            id_types=list(code_map(db.session, KIND_ID_TYPE).items()),
            attachment_kinds=list(code_map(db.session, KIND_ATTACHMENT).items()),
            areas=areas, is_collect=order_type == AREA_COLLECT, **context)
        return body, status

    @expose("/<kind>", methods=["GET"])
    @has_access
    def new(self, kind: str) -> Any:
        if kind not in FORM_TYPES:
            abort(404)
        return self._render(kind, None)

    @expose("/<kind>", methods=["POST"])
    @has_access
    def create(self, kind: str) -> Any:
        if kind not in FORM_TYPES:
            abort(404)
        return self._save(kind, None)

    @expose("/<int:pk>/edit", methods=["GET"])
    @has_access
    def edit(self, pk: int) -> Any:
        order = get_owned_or_404(db.session, BusinessOrder, pk)
        kind = KIND_BY_TYPE.get(order.type)
        if kind is None or not workflow.may(order, "edit", current_user()):
            return redirect(url_for("OrdersView.show", pk=pk))
        return self._render(kind, order)

    @expose("/<int:pk>/edit", methods=["POST"])
    @has_access
    def update(self, pk: int) -> Any:
        order = get_owned_or_404(db.session, BusinessOrder, pk)
        kind = KIND_BY_TYPE.get(order.type)
        if kind is None:
            abort(404)
        return self._save(kind, order)

    def _save(self, kind: str, order: Optional[BusinessOrder]) -> Any:
        """保存 / 保存并提交; the page's scripts save the same way before a fetch or import."""
        user = current_user()
        try:
            version = int(request.form.get("version") or 0) or None
        except ValueError:
            version = None
        try:
            saved = drafts.save_draft(db.session, user, FORM_TYPES[kind], _draft_input(),
                                      order_id=order.id if order else None,
                                      expected_version=version)
        except DomainError as error:
            if _wants_json():
                return _problem_json(error)
            flash_domain_error(type(error)(error.message, []))
            return self._render(kind, order, error, error.status)
        if _wants_json():
            return jsonify({"id": saved.id, "number": saved.number, "version": saved.version,
                            "edit_url": url_for("OrderFormView.edit", pk=saved.id)})
        if request.form.get("action") == "submit":
            try:
                workflow.submit(db.session, saved.id, user)
            except DomainError as error:
                flash_domain_error(error)
                return redirect(url_for("OrderFormView.edit", pk=saved.id))
            flash(_("Order %(number)s was submitted. Print the application form and bring the "
                    "documents to the fund office.", number=saved.number), "success")
            return redirect(url_for("OrdersView.show", pk=saved.id, submitted=1))
        flash(_("Order %(number)s was saved.", number=saved.number), "success")
        return redirect(url_for("OrderFormView.edit", pk=saved.id))

    # ---------------------------------------------------------------- lines

    @expose("/<int:pk>/lines/remove", methods=["POST"])
    @has_access
    def remove_lines(self, pk: int) -> Any:
        order = get_owned_or_404(db.session, BusinessOrder, pk)
        seqs = None if request.form.get("all") == "1" else [
            int(s) for s in request.form.getlist("seq") if s.isdigit()]
        try:
            removed = drafts.remove_lines(db.session, order.id, current_user(), seqs)
        except DomainError as error:
            flash_domain_error(error)
        else:
            flash(_("%(n)d lines were removed.", n=removed), "info")
        return redirect(url_for("OrderFormView.edit", pk=pk))

    # ---------------------------------------------------------------- attachments

    @expose("/<int:pk>/attachments", methods=["POST"])
    @has_access
    def upload(self, pk: int) -> Any:
        order = get_owned_or_404(db.session, BusinessOrder, pk)
        max_mb = int(current_app.config.get("ATTACHMENT_MAX_MB", 10))
        storage = request.files.get("file")
        data = storage.read(max_mb * 1024 * 1024 + 1) if storage else b""
        try:
            drafts.add_attachment(
                db.session, order.id, current_user(), kind=request.form.get("kind", ""),
                filename=storage.filename if storage else "", data=data,
                upload_folder=current_app.config["UPLOAD_FOLDER"], max_mb=max_mb,
                allowed=current_app.config.get("ATTACHMENT_EXTENSIONS", ("pdf", "jpg", "jpeg", "png")))
        except DomainError as error:
            # The upload form has two inputs: the reasons say which one without field keys.
            flash(str(error.message), "danger")
            for problem in error.problems:
                flash(str(problem.reason), "warning")
        else:
            flash(_("The file was attached."), "success")
        return redirect(url_for("OrderFormView.edit", pk=pk) + "#attachments")

    @expose("/<int:pk>/attachments/<int:att>/delete", methods=["POST"])
    @has_access
    def delete_attachment(self, pk: int, att: int) -> Any:
        order = get_owned_or_404(db.session, BusinessOrder, pk)
        try:
            drafts.remove_attachment(db.session, order.id, att, current_user(),
                                     current_app.config["UPLOAD_FOLDER"])
        except DomainError as error:
            flash_domain_error(error)
        return redirect(url_for("OrderFormView.edit", pk=pk) + "#attachments")

    # ---------------------------------------------------------------- template and import

    @expose("/template.xlsx", methods=["GET"])
    @has_access
    def template(self) -> Any:
        data = house_template(intake.house_codes(db.session))
        return send_file(BytesIO(data), mimetype=XLSX_MIMETYPE, as_attachment=True,
                         download_name=_("house-template.xlsx"), max_age=0)

    @expose("/<int:pk>/import", methods=["POST"])
    @has_access_api
    def start_import(self, pk: int) -> Any:
        order = get_owned_or_404(db.session, BusinessOrder, pk)
        storage = request.files.get("file")
        limit = int(current_app.config.get("IMPORT_MAX_MB", 50)) * 1024 * 1024
        data = storage.read(limit + 1) if storage else b""
        try:
            workflow.check_may(order, "edit", current_user())
            if not data:
                raise ValidationFailed(_("Please choose a file."), [Problem("file", _("Required."))])
            if len(data) > limit:
                raise ValidationFailed(_("The file is too large."), [])
            job = jobs.start(db.session, order, current_user(), "import", intake.import_work(
                order.id, current_user().id, data, storage.filename or "import.xlsx"))
        except DomainError as error:
            return _problem_json(error)
        return jsonify(jobs.job_status(job)), 202

    # ---------------------------------------------------------------- 接口获取

    @expose("/trade-projects", methods=["GET"])
    @has_access_api
    def trade_projects(self) -> Any:
        user = current_user()
        org = db.session.get(Organisation, user.org_id) if user.org_id else None
        if org is None:
            abort(404)
        try:
            with TradingClient.from_config(current_app.config) as client:
                projects = intake.list_trade_projects(db.session, client, org,
                                                      request.args.get("q"))
        except DomainError as error:
            return _problem_json(error)
        return jsonify({"items": projects})

    @expose("/<int:pk>/fetch", methods=["POST"])
    @has_access_api
    def start_fetch(self, pk: int) -> Any:
        order = get_owned_or_404(db.session, BusinessOrder, pk)
        body = request.get_json(silent=True) or {}
        project_ids = [str(p) for p in body.get("project_ids") or [] if str(p).strip()]
        config = current_app.config
        try:
            workflow.check_may(order, "edit", current_user())
            if not project_ids:
                raise ValidationFailed(_("Tick at least one project."), [])
            job = jobs.start(db.session, order, current_user(), "trade_fetch", intake.fetch_work(
                order.id, current_user().id, project_ids,
                lambda: TradingClient.from_config(config)))
        except DomainError as error:
            return _problem_json(error)
        return jsonify(jobs.job_status(job)), 202

    # ---------------------------------------------------------------- job progress

    @expose("/jobs/<int:job_id>", methods=["GET"])
    @has_access_api
    def job(self, job_id: int) -> Any:
        job = _owned_job(job_id)
        status = jobs.job_status(job)
        if job.result_name:
            status["marked_url"] = url_for("OrderFormView.marked_copy", job_id=job.id)
        return jsonify(status)

    @expose("/jobs/<int:job_id>/marked.xlsx", methods=["GET"])
    @has_access
    def marked_copy(self, job_id: int) -> Any:
        job = _owned_job(job_id)
        if not job.result_name:
            abort(404)
        try:
            path = intake.marked_copy_path(job.result_name)
        except ValueError:
            abort(404)
        if not path.is_file():
            abort(404)
        return send_file(path, mimetype=XLSX_MIMETYPE, as_attachment=True,
                         download_name=_("import-errors.xlsx"), max_age=0)


def _owned_job(job_id: int) -> OrderJob:
    job = get_owned_or_404(db.session, OrderJob, job_id)
    get_owned_or_404(db.session, BusinessOrder, job.order_id)  # area-limited staff
    return job


def _totals(order: BusinessOrder) -> dict[str, Any]:
    """Houses, floor area and amount due of the staged houses (the form's summary line)."""
    prices = Pricer(db.session, order)
    count, unpriced = 0, 0
    area, due = Decimal(0), Decimal(0)
    for _seq, data in staging.staged(db.session, order.id, staging.HOUSE):
        count += 1
        area += Decimal(data["building_area"])
        amount = prices.amount(data)
        if amount is None:
            unpriced += 1
        else:
            due += amount
    return {"houses": count, "area": f"{area:,.2f}", "due": f"{due:,.2f}", "unpriced": unpriced,
            "deposit_point": deposit_point(order)}


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view_no_menu(OrderFormView())
    appbuilder.add_link(MENU_COLLECT, href="/order-form/collect", icon="fa-plus-square",
                        label=_l("Property area collection"), category=CATEGORY_PROPERTY)
    appbuilder.add_link(MENU_SUPPLEMENT, href="/order-form/supplement", icon="fa-plus",
                        label=_l("House supplement"), category=CATEGORY_PROPERTY)
