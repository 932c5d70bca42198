"""开发商注册 (§1.1): the public registration page. No login, no reCAPTCHA, no e-mail step."""
from __future__ import annotations

from typing import Any

from flask import current_app, redirect, request, session, url_for
from flask_appbuilder import AppBuilder, BaseView, expose
from flask_appbuilder.utils.limit import Limit
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from wtforms import BooleanField, PasswordField, StringField

from app.errors import ValidationFailed
from app.extensions import db
from app.services import pending_uploads
from app.services.reference import REGISTRATION_ATTACHMENTS
from app.services.org_users import PasswordHashing
from app.services.registration import RegistrationInput, register_developer
from app.views.org_forms import (OrganisationForm, attach_problems, attachment_kind_label,
                                 district_choices, flash_leftover, read_upload, ui_language)

REGISTER_ORDER = 10
SESSION_KEY = "jm_registered"
#: The visitor's pending-upload key: the documents of a refused try are kept for the next one.
UPLOADS_KEY = "jm_registration_uploads"
DEFAULT_RATE_LIMIT = "10 per hour"


class RegistrationForm(OrganisationForm):
    username = StringField(_l("Login user name"))
    password = PasswordField(_l("Password"))
    password_confirm = PasswordField(_l("Confirm password"))
    agreement = BooleanField(_l("I have read and accept the organisation registration agreement"))


def _registration_rate_limit() -> str:
    return current_app.config.get("REGISTRATION_RATE_LIMIT", DEFAULT_RATE_LIMIT)


class RegistrationView(BaseView):
    """Public: anyone may register an organisation. The POST is rate-limited per address."""

    route_base = "/register"
    default_view = "form"
    limits = [Limit(limit_value=_registration_rate_limit, key_func=get_remote_address,
                    methods=("POST",),
                    exempt_when=lambda: not current_app.config.get("RATELIMIT_ENABLED", True))]

    def _render(self, form: RegistrationForm, file_errors: dict[str, list[str]], status: int = 200,
                kept: dict[str, str] | None = None) -> Any:
        form.district_code.choices = district_choices()
        kept = kept or {}
        attachments = [{"kind": kind, "label": attachment_kind_label(kind),
                        "errors": file_errors.get(kind, []), "kept": kept.get(kind)}
                       for kind in REGISTRATION_ATTACHMENTS]
        body = self.render_template(
            "registration/form.html", form=form, attachments=attachments, language=ui_language(),
            max_mb=current_app.config["ATTACHMENT_MAX_MB"],
            extensions=current_app.config.get("ATTACHMENT_EXTENSIONS", ("pdf", "jpg", "jpeg", "png")),
        )
        return body, status

    @expose("/", methods=["GET", "POST"])
    def form(self) -> Any:
        form = RegistrationForm(request.form if request.method == "POST" else None)
        file_errors: dict[str, list[str]] = {kind: [] for kind in REGISTRATION_ATTACHMENTS}
        if request.method == "GET":
            return self._render(form, file_errors)
        max_mb = int(current_app.config["ATTACHMENT_MAX_MB"])
        data = RegistrationInput(
            **{name: form[name].data or "" for name in (
                "name", "uscc", "legal_rep", "legal_rep_id_no", "contact", "phone", "address",
                "district_code", "email", "username", "password", "password_confirm")},
            agreement_accepted=bool(form.agreement.data),
        )
        folder = current_app.config["UPLOAD_FOLDER"]
        key = session.get(UPLOADS_KEY) or ""
        files = {kind: read_upload(request.files.get(kind), max_mb) for kind in REGISTRATION_ATTACHMENTS}
        # A document not picked again is the one kept from the refused try, if any.
        files = {kind: upload or pending_uploads.load(folder, key, kind)
                 for kind, upload in files.items()}
        try:
            org = register_developer(db.session, data, files, upload_folder=folder, max_mb=max_mb,
                                     hashing=PasswordHashing.from_config(current_app.config))
        except ValidationFailed as error:
            leftover = attach_problems(form, error, file_errors)
            flash_leftover(error, leftover)
            # Passwords are never sent back to the browser; valid documents stay on the server.
            form.password.data = form.password_confirm.data = ""
            pending_uploads.sweep(folder)
            key = key or pending_uploads.new_key()
            session[UPLOADS_KEY] = key
            pending_uploads.keep(folder, key, {k: f for k, f in files.items() if not file_errors[k]},
                                 max_mb=max_mb)
            return self._render(form, file_errors, 422, pending_uploads.kept_names(folder, key))
        pending_uploads.discard(folder, session.pop(UPLOADS_KEY, ""))
        session[SESSION_KEY] = {"org": org.name, "username": data.username.strip()}
        return redirect(url_for("RegistrationView.done"))

    @expose("/done", methods=["GET"])
    def done(self) -> Any:
        registered = session.get(SESSION_KEY)
        if not registered:
            return redirect(url_for("RegistrationView.form"))
        return self.render_template("registration/done.html", registered=registered,
                                    login_url=self.appbuilder.get_url_for_login)


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view_no_menu(RegistrationView())
