"""The order form of every business, routed by the business's slug: ``/order-form/<slug>``.

One page shell (header partial of the business, agent, lines with the business's ways of bringing
them in, attachments, 保存 / 保存并提交) serves every handler. Long work (接口获取 of a 2,000-house
project, a 10,000-row import) runs as background jobs whose progress the page polls, so the page
never freezes. Attachments are uploaded to the saved order.
"""
from __future__ import annotations

from io import BytesIO
from typing import Any, Optional

from flask import abort, current_app, flash, jsonify, redirect, request, send_file, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_appbuilder.security.decorators import has_access_api
from flask_babel import get_locale
from flask_babel import gettext as _

from app.documents.excel import house_template
from app.domain.ids import row_id
from app.errors import DomainError
from app.extensions import db
from app.models.codes import KIND_ATTACHMENT, KIND_ID_TYPE
from app.models.order import BusinessOrder, OrderJob
from app.models.organisation import Organisation
from app.security.roles import RES_ORDER
from app.security.tenant import current_scope, current_user, get_owned_or_404
from app.services.orders import drafts, intake, jobs, workflow
from app.services.orders.drafts import DraftInput
from app.services.options import area_labels
from app.services.orders.types import OrderHandler, handler_by_slug, handler_for, handlers
from app.views.base import code_choices
from app.views.errors import flash_domain_error, problem_response
from app.views.menus import CATEGORY_PROPERTY
from app.views.orders_common import order_context, type_label

#: The businesses come in the manual's order: 1.3.1–1.3.8 here, 1.3.9 in contracts.py (42),
#: then 我的业务单 (orders.py).
REGISTER_ORDER = 40
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _wants_json() -> bool:
    return request.headers.get("X-Requested-With") == "fetch" or request.args.get("ajax") == "1"


def _handler(slug: str) -> OrderHandler:
    handler = handler_by_slug(slug)
    if handler is None:
        abort(404)
    return handler


def _values(handler: OrderHandler, order: Optional[BusinessOrder]) -> dict[str, Any]:
    """The form's values: the posted ones after a refusal, else the order's (or the defaults)."""
    if request.method == "POST":
        return dict(request.form.items())
    if order is None:
        user = current_user()
        values = {"agent_name": getattr(user, "display_name", ""), "agent_phone": user.phone or "",
                  "agent_id_type": user.id_type or "01", "agent_id_no": user.id_no or ""}
    else:
        values = {"agent_name": order.agent_name or "", "agent_phone": order.agent_phone or "",
                  "agent_id_type": order.agent_id_type or "01",
                  "agent_id_no": order.agent_id_no or "", "reason": order.reason or ""}
    values.update(handler.form_values(db.session, current_user(), order, request.args))
    return values


def _chosen_area(values: dict[str, str]) -> list[tuple[int, str]]:
    """(id, name) of the form's area, for its box: the user types for the others (never printed)."""
    area_id = row_id(values.get("area_id"))
    return area_labels(db.session, current_scope(), [area_id]) if area_id else []


def _errors(error: Optional[DomainError]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for problem in (error.problems if error else []):
        errors.setdefault(problem.field, []).append(str(problem.reason))
    return errors


class OrderFormView(BaseView):
    route_base = "/order-form"
    default_view = "new"
    class_permission_name = RES_ORDER
    method_permission_name = {
        "new": "write", "create": "write", "edit": "write", "update": "write",
        "remove_lines": "write", "upload": "write", "delete_attachment": "write",
        "start_import": "write", "start_fetch": "write", "template": "read",
        "trade_projects": "read", "job": "read", "marked_copy": "read",
        "pick": "write", "modify": "write", "export_lines": "read",
    }

    # ---------------------------------------------------------------- the form

    def _render(self, handler: OrderHandler, order: Optional[BusinessOrder],
                error: Optional[DomainError] = None, status: int = 200) -> Any:
        user = current_user()
        context: dict[str, Any] = {"handler": handler}
        if order is not None:
            context = order_context(order, lines_endpoint="OrderFormView.edit")
        values = _values(handler, order)
        body = self.render_template(
            "orders/form.html", slug=handler.slug, title=type_label(handler.type),
            form_order=order, values=values, errors=_errors(error), chosen_area=_chosen_area(values),
            field_labels={k: str(v) for k, v in handler.field_labels.items()},
            id_types=code_choices(KIND_ID_TYPE), attachment_kinds=code_choices(KIND_ATTACHMENT),
            **handler.form_context(db.session, user, order), **context)
        return body, status

    @expose("/<slug>", methods=["GET"])
    @has_access
    def new(self, slug: str) -> Any:
        return self._render(_handler(slug), None)

    @expose("/<slug>", methods=["POST"])
    @has_access
    def create(self, slug: str) -> Any:
        return self._save(_handler(slug), None)

    @expose("/<int:pk>/edit", methods=["GET"])
    @has_access
    def edit(self, pk: int) -> Any:
        order = get_owned_or_404(db.session, BusinessOrder, pk)
        handler = handler_by_slug(_slug_of(order.type))
        if handler is None or not workflow.may(order, "edit", current_user()):
            return redirect(url_for("OrdersView.show", pk=pk))
        return self._render(handler, order)

    @expose("/<int:pk>/edit", methods=["POST"])
    @has_access
    def update(self, pk: int) -> Any:
        order = get_owned_or_404(db.session, BusinessOrder, pk)
        handler = handler_by_slug(_slug_of(order.type))
        if handler is None:
            abort(404)
        return self._save(handler, order)

    def _save(self, handler: OrderHandler, order: Optional[BusinessOrder]) -> Any:
        """保存 / 保存并提交; the page's scripts save the same way before a fetch or import."""
        user = current_user()
        try:
            version = int(request.form.get("version") or 0) or None
        except ValueError:
            version = None
        then = drafts.SUBMIT if request.form.get("action") == "submit" and not _wants_json() \
            else drafts.SAVE
        try:
            saved = drafts.save_draft(db.session, user, handler.type, DraftInput.read(request.form),
                                      order_id=order.id if order else None,
                                      expected_version=version, then=then,
                                      refuse_blank=not _wants_json())
        except DomainError as error:
            if _wants_json():
                return problem_response(error)
            flash_domain_error(type(error)(error.message, []))
            return self._render(handler, order, error, error.status)
        if _wants_json():
            return jsonify({"id": saved.id, "number": saved.number, "version": saved.version,
                            "edit_url": url_for("OrderFormView.edit", pk=saved.id)})
        if not handler.needs_review:
            flash(_("Order %(number)s was saved and completed.", number=saved.number), "success")
            return redirect(url_for("OrdersView.show", pk=saved.id))
        if then == drafts.SUBMIT:
            flash(_("Order %(number)s was submitted. Print the application form and bring the "
                    "documents to the fund office.", number=saved.number), "success")
            return redirect(url_for("OrdersView.show", pk=saved.id, submitted=1))
        flash(_("Order %(number)s was saved.", number=saved.number), "success")
        return redirect(url_for("OrderFormView.edit", pk=saved.id))

    # ---------------------------------------------------------------- existing rows (change lines)

    @expose("/<int:pk>/pick", methods=["POST"])
    @has_access_api
    def pick(self, pk: int) -> Any:
        """Add existing rows (e.g. the buildings ticked in the dialog) as change lines."""
        order = get_owned_or_404(db.session, BusinessOrder, pk)
        body = request.get_json(silent=True) or {}
        try:
            added = drafts.pick_rows(db.session, order.id, current_user(), body.get("ids") or [])
        except DomainError as error:
            return problem_response(error)
        return jsonify({"added": added})

    @expose("/<int:pk>/modify", methods=["POST"])
    @has_access_api
    def modify(self, pk: int) -> Any:
        """批量修改 (the given lines, or all) or the edit of one line's new values."""
        order = get_owned_or_404(db.session, BusinessOrder, pk)
        body = request.get_json(silent=True) or {}
        seqs = body.get("seqs")
        values = body.get("values") if isinstance(body.get("values"), dict) else {}
        try:
            changed = drafts.modify_lines(db.session, order.id, current_user(),
                                          None if seqs is None else seqs, values)
        except DomainError as error:
            return problem_response(error)
        return jsonify({"changed": changed})

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

    @expose("/<int:pk>/export.xlsx", methods=["GET"])
    @has_access
    def export_lines(self, pk: int) -> Any:
        """导出: the order's lines as the business's sheet, to edit and 导入 back."""
        order = get_owned_or_404(db.session, BusinessOrder, pk)
        try:
            data, name = handler_for(order.type).export_sheet(db.session, order)
        except DomainError as error:
            flash_domain_error(error)
            return redirect(url_for("OrderFormView.edit", pk=pk) + "#lines")
        return send_file(BytesIO(data), mimetype=XLSX_MIMETYPE, as_attachment=True,
                         download_name=name, max_age=0)

    @expose("/<int:pk>/import", methods=["POST"])
    @has_access_api
    def start_import(self, pk: int) -> Any:
        order = get_owned_or_404(db.session, BusinessOrder, pk)
        storage = request.files.get("file")
        try:
            # The file's stream, not its bytes: the service copies it to disk (and checks its size).
            job = intake.start_import(db.session, current_app._get_current_object(), order.id,
                                      current_user(), storage.stream if storage else b"",
                                      storage.filename if storage else "", locale=_locale())
        except DomainError as error:
            return problem_response(error)
        return jsonify(_status(job)), 202

    # ---------------------------------------------------------------- 接口获取

    @expose("/trade-projects", methods=["GET"])
    @has_access_api
    def trade_projects(self) -> Any:
        user = current_user()
        org = db.session.get(Organisation, user.org_id) if user.org_id else None
        if org is None:
            abort(404)
        try:
            with intake.trading_client(current_app.config) as client:
                projects = intake.list_trade_projects(db.session, client, org,
                                                      request.args.get("q"))
        except DomainError as error:
            return problem_response(error)
        return jsonify({"items": projects})

    @expose("/<int:pk>/fetch", methods=["POST"])
    @has_access_api
    def start_fetch(self, pk: int) -> Any:
        order = get_owned_or_404(db.session, BusinessOrder, pk)
        body = request.get_json(silent=True) or {}
        ids = body.get("project_ids") if isinstance(body.get("project_ids"), list) else []
        try:
            job = intake.start_fetch(db.session, current_app._get_current_object(), order.id,
                                     current_user(), ids, locale=_locale())
        except DomainError as error:
            return problem_response(error)
        return jsonify(_status(job)), 202

    # ---------------------------------------------------------------- job progress

    @expose("/jobs/<int:job_id>", methods=["GET"])
    @has_access_api
    def job(self, job_id: int) -> Any:
        return jsonify(_status(_owned_job(job_id)))

    @expose("/jobs/<int:job_id>/marked.xlsx", methods=["GET"])
    @has_access
    def marked_copy(self, job_id: int) -> Any:
        job = _owned_job(job_id)
        if not job.result_name:
            abort(404)
        try:
            path = intake.marked_copy_path(job.result_name, current_app.config["UPLOAD_FOLDER"])
        except ValueError:
            abort(404)
        if not path.is_file():
            abort(404)
        return send_file(path, mimetype=XLSX_MIMETYPE, as_attachment=True,
                         download_name=_("import-errors.xlsx"), max_age=0)


def _status(job: OrderJob) -> dict[str, Any]:
    """A job's progress for the page; a job the queue ran at once may already have failed."""
    status = jobs.job_status(job)
    if job.result_name:
        status["marked_url"] = url_for("OrderFormView.marked_copy", job_id=job.id)
    return status


def _owned_job(job_id: int) -> OrderJob:
    job = get_owned_or_404(db.session, OrderJob, job_id)
    get_owned_or_404(db.session, BusinessOrder, job.order_id)  # area-limited staff
    return job


def _locale() -> str:
    return str(get_locale() or current_app.config.get("BABEL_DEFAULT_LOCALE", "zh"))


def _slug_of(order_type: str) -> str:
    try:
        return handler_for(order_type).slug
    except LookupError:
        return ""


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view_no_menu(OrderFormView())
    for handler in handlers():
        appbuilder.add_link(handler.menu_name, href=f"/order-form/{handler.slug}",
                            icon=handler.menu_icon, label=handler.title, category=CATEGORY_PROPERTY)
