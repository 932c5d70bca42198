"""机构用户管理 (§1.2.2): the Developer Admin's own screens for its organisation's accounts.

Not FAB's user ModelView: every route that takes a user id first checks that the user belongs to
the current user's organisation (404 otherwise), and the rules are those of
``app.services.org_users``.
"""
from __future__ import annotations

from typing import Any, Optional

from flask import abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import Form, PasswordField, SelectField, SelectMultipleField, StringField

from app.domain.validators import ID_TYPES
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.security.models import PlatformUser
from app.security.roles import (ROLE_ADMIN, ROLE_DEV_ADMIN, ROLE_DEV_PAYMENT, ROLE_DEV_PROPERTY,
                                ROLE_OFFICER, ROLE_TELLER, RES_ORG_USERS)
from app.security.tenant import current_user, get_owned_or_404
from app.services.org_users import (OrgUserInput, PasswordHashing, active_admin_ids, add_org_user,
                                    get_org_user, grantable_roles, list_org_users, org_areas,
                                    person_name, set_user_active, update_org_user)
from app.views.menus import CATEGORY_ORGANISATION
from app.views.org_info import has_organisation
from app.views.org_forms import attach_problems, flash_leftover

REGISTER_ORDER = 21
MENU_ORG_USERS = "Organisation Users"

ROLE_LABELS = {
    ROLE_ADMIN: _l("Platform administrator"),
    ROLE_OFFICER: _l("Fund office"),
    ROLE_TELLER: _l("Special-account bank"),
    ROLE_DEV_ADMIN: _l("Developer administrator"),
    ROLE_DEV_PROPERTY: _l("Developer staff (property areas)"),
    ROLE_DEV_PAYMENT: _l("Developer staff (payments)"),
}


def role_label(name: str) -> str:
    return str(ROLE_LABELS.get(name, name))


def _hashing() -> PasswordHashing:
    return PasswordHashing.from_config(current_app.config)


class OrgUserForm(Form):
    username = StringField(_l("Login user name"))
    name = StringField(_l("Name"))
    phone = StringField(_l("Mobile phone"))
    id_type = SelectField(_l("ID type"), validate_choice=False)
    id_no = StringField(_l("ID number"))
    email = StringField(_l("E-mail"))
    roles = SelectMultipleField(_l("Roles"), validate_choice=False)
    area_ids = SelectMultipleField(_l("Limited to property areas"), validate_choice=False)
    password = PasswordField(_l("Password"))
    password_confirm = PasswordField(_l("Confirm password"))


def _form_input(form: OrgUserForm) -> OrgUserInput:
    return OrgUserInput(
        username=form.username.data or "", name=form.name.data or "", phone=form.phone.data or "",
        id_type=form.id_type.data or "", id_no=form.id_no.data or "", email=form.email.data or "",
        roles=list(form.roles.data or []), area_ids=list(form.area_ids.data or []),
        password=form.password.data or "", password_confirm=form.password_confirm.data or "",
    )


def _org_id() -> int:
    user = current_user()
    if user is None or user.org_id is None:
        abort(404)
    return user.org_id


def _own_user_or_404(pk: int) -> PlatformUser:
    """The user ``pk`` if it belongs to the current user's organisation, else 404."""
    org_id = _org_id()
    user = get_owned_or_404(db.session, PlatformUser, pk)
    try:
        return get_org_user(db.session, org_id, user.id)
    except NotFound:
        abort(404)


def user_row(user: PlatformUser) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "name": person_name(user),
            "phone": user.phone or "", "active": bool(user.active), "email": user.email,
            "id_type": str(ID_TYPES.get(user.id_type or "", "")) if user.id_no else "",
            "id_no": user.id_no or "", "roles": [role_label(r.name) for r in user.roles],
            "areas": [a.name for a in user.areas], "last_login": user.last_login}


class OrgUsersView(BaseView):
    route_base = "/org/users"
    default_view = "list"
    class_permission_name = RES_ORG_USERS
    method_permission_name = {"list": "read", "show": "read", "add": "write", "edit": "write",
                              "deactivate": "write", "activate": "write"}

    def _prepare(self, form: OrgUserForm, org_id: int) -> None:
        form.id_type.choices = [("", "")] + [(code, str(label)) for code, label in ID_TYPES.items()
                                             if code != "06"]
        form.roles.choices = [(role.name, role_label(role.name)) for role in grantable_roles(db.session)]
        form.area_ids.choices = [(str(a.id), a.name) for a in org_areas(db.session, org_id)]

    def _render_form(self, form: OrgUserForm, org_id: int, user: Optional[PlatformUser],
                     status: int = 200) -> Any:
        self._prepare(form, org_id)
        form.password.data = form.password_confirm.data = ""
        title = _("Modify user") if user else _("Add user")
        return self.render_template("org/user_form.html", form=form, user=user, title=title), status

    @expose("/", methods=["GET"])
    @has_access
    def list(self) -> Any:
        org_id = _org_id()
        rows = [user_row(u) for u in list_org_users(db.session, org_id)]
        admins = active_admin_ids(db.session, org_id)
        for row in rows:
            # The service refuses it anyway; do not offer what cannot succeed.
            row["last_admin"] = admins == {row["id"]}
        return self.render_template("org/users_list.html", rows=rows, me=current_user().id,
                                    can_write=self.appbuilder.sm.has_access("can_write", RES_ORG_USERS))

    @expose("/show/<int:pk>", methods=["GET"])
    @has_access
    def show(self, pk: int) -> Any:
        user = _own_user_or_404(pk)
        return self.render_template("org/user_show.html", row=user_row(user),
                                    can_write=self.appbuilder.sm.has_access("can_write", RES_ORG_USERS))

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self) -> Any:
        org_id = _org_id()
        form = OrgUserForm(request.form if request.method == "POST" else None)
        if request.method == "GET":
            form.id_type.data = "01"
            return self._render_form(form, org_id, None)
        try:
            user = add_org_user(db.session, org_id, _form_input(form), actor_id=current_user().id,
                                hashing=_hashing())
        except ValidationFailed as error:
            flash_leftover(error, attach_problems(form, error))
            return self._render_form(form, org_id, None, 422)
        flash(_("User %(username)s has been added.", username=user.username), "success")
        return redirect(url_for("OrgUsersView.list"))

    @expose("/edit/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk: int) -> Any:
        user = _own_user_or_404(pk)
        org_id = user.org_id
        if request.method == "GET":
            form = OrgUserForm(data={
                "username": user.username, "name": person_name(user), "phone": user.phone or "",
                "id_type": user.id_type or "01", "id_no": user.id_no or "",
                "email": "" if user.email.endswith(".invalid") else user.email,
                "roles": [r.name for r in user.roles], "area_ids": [str(a.id) for a in user.areas],
            })
            return self._render_form(form, org_id, user)
        form = OrgUserForm(request.form)
        form.username.data = user.username
        try:
            update_org_user(db.session, org_id, user.id, _form_input(form), actor_id=current_user().id,
                            hashing=_hashing())
        except ValidationFailed as error:
            flash_leftover(error, attach_problems(form, error))
            return self._render_form(form, org_id, user, 422)
        flash(_("User %(username)s has been modified.", username=user.username), "success")
        return redirect(url_for("OrgUsersView.list"))

    def _set_active(self, pk: int, active: bool) -> Any:
        user = _own_user_or_404(pk)
        try:
            set_user_active(db.session, user.org_id, user.id, active, actor_id=current_user().id)
        except ValidationFailed as error:
            flash_leftover(error, error.problems)
            return redirect(url_for("OrgUsersView.list"))
        if active:
            flash(_("User %(username)s has been activated.", username=user.username), "success")
        else:
            flash(_("User %(username)s has been deactivated and can no longer log in.",
                    username=user.username), "success")
        return redirect(url_for("OrgUsersView.list"))

    @expose("/deactivate/<int:pk>", methods=["POST"])
    @has_access
    def deactivate(self, pk: int) -> Any:
        return self._set_active(pk, False)

    @expose("/activate/<int:pk>", methods=["POST"])
    @has_access
    def activate(self, pk: int) -> Any:
        return self._set_active(pk, True)


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view(OrgUsersView(), MENU_ORG_USERS, label=_l("Organisation users"),
                        icon="fa-users", category=CATEGORY_ORGANISATION, menu_cond=has_organisation)
