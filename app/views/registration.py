"""开发商注册 (§1.1): the public registration page. No login, no reCAPTCHA, no e-mail step."""
from __future__ import annotations

from typing import Any, Iterable, Optional

from flask import current_app, redirect, request, session, url_for
from flask_appbuilder import AppBuilder, BaseView, expose
from flask_appbuilder.utils.limit import Limit
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from werkzeug.datastructures import FileStorage
from wtforms import BooleanField, Form, PasswordField, SelectField, StringField

from app.errors import DomainError, Problem, ValidationFailed
from app.extensions import db
from app.services.attachments import UploadedFile
from app.services.organisation import ORG_FIELD_LABELS, district_items
from app.services.reference import CODE_TABLES, REGISTRATION_ATTACHMENTS
from app.services.registration import RegistrationInput, register_developer
from app.views.errors import flash_domain_error

REGISTER_ORDER = 10
SESSION_KEY = "jm_registered"
DEFAULT_RATE_LIMIT = "10 per hour"
ATTACHMENT_LABELS = {code: (name, name_en) for code, name, name_en in CODE_TABLES["attachment_kind"]}


# --- helpers the organisation screens share ---------------------------------------------------

def ui_language() -> str:
    return "en" if str(get_locale() or "zh").startswith("en") else "zh"


def district_choices(blank: bool = True) -> list[tuple[str, str]]:
    """The Jiangmen districts for a select, named in the user's language."""
    english = ui_language() == "en"
    choices = [(item.code, item.name_en if english and item.name_en else item.name)
               for item in district_items(db.session)]
    return ([("", str(_l("Please choose")))] if blank else []) + choices


def attachment_kind_label(kind: str) -> str:
    zh, en = ATTACHMENT_LABELS.get(kind, (kind, kind))
    return en if ui_language() == "en" else zh


def attach_problems(form: Form, error: DomainError, extra: Optional[dict[str, list[str]]] = None
                    ) -> list[Problem]:
    """Put each problem under its form field (or into ``extra`` by field); return the others."""
    leftover = []
    for problem in error.problems:
        target = getattr(form, problem.field, None)
        if target is not None and hasattr(target, "errors"):
            target.errors = list(target.errors or []) + [str(problem.reason)]
        elif extra is not None and problem.field in extra:
            extra[problem.field].append(str(problem.reason))
        else:
            leftover.append(problem)
    return leftover


def flash_leftover(error: DomainError, leftover: Iterable[Problem]) -> None:
    """Flash the error's message and whatever could not be shown at a field."""
    flash_domain_error(type(error)(error.message, list(leftover)))


def read_upload(storage: Optional[FileStorage], max_mb: int) -> Optional[UploadedFile]:
    """Plain data of an uploaded file; reads at most one byte more than allowed."""
    if storage is None or (not storage.filename and not storage.content_length):
        return None
    data = storage.read(max_mb * 1024 * 1024 + 1)
    if not storage.filename and not data:
        return None
    return UploadedFile(filename=storage.filename or "", data=data)


# --- the page ---------------------------------------------------------------------------------

class OrganisationForm(Form):
    """The organisation's own fields, shared by 开发商注册 and 信息变更."""

    name = StringField(ORG_FIELD_LABELS["name"])
    uscc = StringField(ORG_FIELD_LABELS["uscc"])
    legal_rep = StringField(ORG_FIELD_LABELS["legal_rep"])
    legal_rep_id_no = StringField(ORG_FIELD_LABELS["legal_rep_id_no"])
    contact = StringField(ORG_FIELD_LABELS["contact"])
    phone = StringField(ORG_FIELD_LABELS["phone"])
    address = StringField(ORG_FIELD_LABELS["address"])
    district_code = SelectField(ORG_FIELD_LABELS["district_code"], validate_choice=False)
    email = StringField(ORG_FIELD_LABELS["email"])


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

    def _render(self, form: RegistrationForm, file_errors: dict[str, list[str]], status: int = 200
                ) -> Any:
        form.district_code.choices = district_choices()
        attachments = [{"kind": kind, "label": attachment_kind_label(kind),
                        "errors": file_errors.get(kind, [])} for kind in REGISTRATION_ATTACHMENTS]
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
        files = {kind: read_upload(request.files.get(kind), max_mb) for kind in REGISTRATION_ATTACHMENTS}
        try:
            org = register_developer(db.session, data, files,
                                     upload_folder=current_app.config["UPLOAD_FOLDER"], max_mb=max_mb)
        except ValidationFailed as error:
            leftover = attach_problems(form, error, file_errors)
            flash_leftover(error, leftover)
            # Passwords and files are never sent back to the browser.
            form.password.data = form.password_confirm.data = ""
            return self._render(form, file_errors, 422)
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
