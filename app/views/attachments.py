"""GET /attachments/<id>: a 要件 file, for any logged-in user allowed to see its owner.

A developer gets 404 for another organisation's file (and for an order's file outside its areas);
internal users see every file. The browser is given the original (Chinese) file name.
"""
from __future__ import annotations

from typing import Any

from flask import abort, current_app, redirect, request, send_file
from flask_appbuilder import AppBuilder, BaseView, expose

from app.extensions import db
from app.models.order import Attachment, BusinessOrder
from app.security.tenant import current_user, get_owned_or_404
from app.services.attachments import attachment_file_path


class AttachmentView(BaseView):
    route_base = "/attachments"
    default_view = "file"

    @expose("/<int:pk>", methods=["GET"])
    def file(self, pk: int) -> Any:
        if current_user() is None:
            return redirect(self.appbuilder.get_url_for_login_with(request.full_path.rstrip("?")))
        att = get_owned_or_404(db.session, Attachment, pk)
        if att.order_id is not None:
            # Staff limited to some areas must not reach an order's files of another area.
            get_owned_or_404(db.session, BusinessOrder, att.order_id)
        path = attachment_file_path(att, current_app.config["UPLOAD_FOLDER"])
        if not path.is_file():
            abort(404)
        response = send_file(path, mimetype=att.content_type, download_name=att.original_name,
                             as_attachment=request.args.get("download") == "1", max_age=0,
                             conditional=True, etag=att.sha256)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "private, no-store"
        return response


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view_no_menu(AttachmentView())
