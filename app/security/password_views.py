"""FAB's password screens and REST user API with the platform's password rule and its user name.

FAB checks a new password without knowing whose it is, so "must not contain the user name" cannot
be checked there. These subclasses keep FAB's class names, hence its endpoints and permission
names, and add the rule with the right user name.
"""
from __future__ import annotations

from typing import Any, Optional

from flask import abort, g, request
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget
from flask_appbuilder.security.forms import ResetPasswordForm as FabResetPasswordForm
from flask_appbuilder.security.sqla.apis.user.api import UserApi as FabUserApi
from flask_appbuilder.security.views import ResetMyPasswordView as FabResetMyPasswordView
from flask_appbuilder.security.views import ResetPasswordView as FabResetPasswordView
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError as SchemaError
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo

from app.extensions import db
from app.security.passwords import PasswordRule, password_problem


def _own_username(_form: Any) -> Optional[str]:
    return getattr(g.user, "username", None)


def _reset_target_username(_form: Any) -> Optional[str]:
    from app.security.models import PlatformUser
    from app.domain.ids import row_id as valid_id

    ident = valid_id(request.args.get("pk"))
    user = db.session.get(PlatformUser, ident) if ident else None
    return user.username if user is not None else None


def _password_field(username_of: Any, description: Any = None) -> PasswordField:
    return PasswordField(_l("Password"), description=description,
                         validators=[DataRequired(), PasswordRule(username_of)],
                         widget=BS3PasswordFieldWidget())


def _confirm_field(description: Any = None) -> PasswordField:
    return PasswordField(_l("Confirm Password"), description=description,
                         validators=[DataRequired(), EqualTo("password", message=_l("Passwords must match"))],
                         widget=BS3PasswordFieldWidget())


class ResetMyPasswordForm(FabResetPasswordForm):
    password = _password_field(_own_username)
    conf_password = _confirm_field()


class AdminResetPasswordForm(FabResetPasswordForm):
    password = _password_field(_reset_target_username)
    conf_password = _confirm_field()


class ResetMyPasswordView(FabResetMyPasswordView):
    form = ResetMyPasswordForm


class ResetPasswordView(FabResetPasswordView):
    """The admin's reset of another user's password; a missing or unknown ``pk`` is a 404."""

    form = AdminResetPasswordForm

    def form_get(self, form: Any) -> None:
        if _reset_target_username(form) is None:
            abort(404)

    def form_post(self, form: Any) -> None:
        if _reset_target_username(form) is None:
            abort(404)
        super().form_post(form)


def user_form_password_fields() -> dict[str, PasswordField]:
    """The admin user screen's password fields, checked against the user name typed beside them."""
    return {"password": _password_field(lambda form: form.username.data,
                                        _l("The user's password for authentication")),
            "conf_password": _confirm_field(_l("Please rewrite the user's password to confirm"))}


class UserApi(FabUserApi):
    """FAB's REST user API; a password is checked with the user's name (400, never a 500).

    Bearer token only: a browser session changing users through JSON would be a CSRF hole
    (tests/test_security_csrf.py), and the admin has the user screens for the browser.
    """

    allow_browser_login = False

    @staticmethod
    def _check(password: Optional[str], username: Optional[str]) -> None:
        if password:
            problem = password_problem(password, username)
            if problem:
                raise SchemaError({"password": [problem]})

    def pre_add(self, item: Any) -> None:
        self._check(item.password, item.username)
        super().pre_add(item)

    def pre_update(self, item: Any, data: Any) -> None:
        self._check((data or {}).get("password"), item.username)
        super().pre_update(item, data)
