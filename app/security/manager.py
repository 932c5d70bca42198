"""The platform's security manager: our user model, rate-limited REST login, organisation checks."""
from __future__ import annotations

from typing import Any

from flask import current_app, flash, g, redirect, request
from flask_appbuilder import expose
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.decorators import no_cache
from flask_appbuilder.security.forms import LoginForm_db
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.utils import is_null_password
from flask_appbuilder.security.views import AuthDBView, UserDBModelView
from flask_appbuilder.utils.base import get_safe_redirect
from flask_appbuilder.utils.limit import Limit
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import login_user
from werkzeug.security import check_password_hash

from app.security.fab_views import (PlatformPermissionModelView, PlatformPermissionViewModelView,
                                    PlatformRoleModelView, PlatformViewMenuModelView)
from app.security.models import PlatformUser


def _auth_rate_limit() -> str:
    return current_app.config["AUTH_RATE_LIMIT"]


class RateLimitedSecurityApi(SecurityApi):
    """FAB limits only the login form; the JWT login is just as guessable, so limit it too."""

    limits = [Limit(limit_value=_auth_rate_limit, key_func=get_remote_address, methods=("POST",),
                    exempt_when=lambda: not current_app.config.get("AUTH_RATE_LIMITED", True))]


def _role_labels(roles: Any) -> str:
    # The labels live with the organisation-user screens; imported here to keep start-up order.
    from app.views.org_users import role_label

    return "、".join(role_label(role.name) for role in roles or [])


def _yes_no(value: Any) -> str:
    return str(_l("Yes") if value else _l("No"))


def _local_time(value: Any) -> str:
    from app.views.base import when

    return when(value)


class PlatformUserDBModelView(UserDBModelView):
    """Admin's user screen, with the organisation and phone of each user."""

    list_columns = ["username", "last_name", "first_name", "organisation", "roles", "active",
                    "last_login"]
    add_columns = ["username", "last_name", "first_name", "email", "phone", "organisation", "active",
                   "roles", "password", "conf_password"]
    edit_columns = ["username", "last_name", "first_name", "email", "phone", "organisation",
                    "active", "roles"]
    show_columns = ["username", "last_name", "first_name", "email", "phone", "organisation",
                    "active", "roles", "login_count", "last_login", "fail_login_count", "created_on"]
    show_fieldsets = None
    # FAB's labels are kept: a label_columns of our own would replace them all with English names.
    label_columns = {**UserDBModelView.label_columns, "organisation": _l("Organisation"),
                     "phone": _l("Phone")}
    formatters_columns = {
        "organisation": lambda value: value or "",
        "roles": lambda roles: _role_labels(roles),
        "active": lambda value: _yes_no(value),
        "last_login": lambda value: _local_time(value),
        "created_on": lambda value: _local_time(value),
    }


#: Why a login with the right password was refused (g.jm_login_refused), shown instead of FAB's
#: "invalid login": only someone who knows the password learns that the account exists.
LOGIN_REFUSALS = {
    "deactivated": _l("This account is deactivated. Please ask your organisation's administrator "
                      "(or the fund office) to activate it."),
    "organisation": _l("Your organisation's account is not active. Please contact the fund office."),
}


class PlatformAuthDBView(AuthDBView):
    """FAB's login form, with the 开发商注册 link, a precise refusal message, and no warning
    "Invalid redirect detected" at every login (FAB checks an absent ``next`` as if it were one)."""

    login_template = "security/login.html"

    @expose("/login/", methods=["GET", "POST"])
    @no_cache
    def login(self) -> Any:
        wanted = request.args.get("next")
        next_url = get_safe_redirect(wanted) if wanted else self.appbuilder.get_url_for_index
        if g.user is not None and g.user.is_authenticated:
            return redirect(next_url)
        form = LoginForm_db()
        if form.validate_on_submit():
            user = self.appbuilder.sm.auth_user_db(form.username.data, form.password.data)
            if not user:
                refusal = LOGIN_REFUSALS.get(g.pop("jm_login_refused", ""))
                flash(str(refusal or self.invalid_login_message), "warning")
                return redirect(self.appbuilder.get_url_for_login_with(wanted))
            login_user(user, remember=False)
            return redirect(next_url)
        return self.render_template(self.login_template, title=self.title, form=form,
                                    appbuilder=self.appbuilder)


class PlatformSecurityManager(SecurityManager):
    user_model = PlatformUser
    userdbmodelview = PlatformUserDBModelView
    authdbview = PlatformAuthDBView
    rolemodelview = PlatformRoleModelView
    permissionmodelview = PlatformPermissionModelView
    viewmenumodelview = PlatformViewMenuModelView
    permissionviewmodelview = PlatformPermissionViewModelView
    security_api = RateLimitedSecurityApi
    # FAB's user-statistics chart loads Google's chart JS from the internet (no config key for it).
    userstatschartview = None

    def auth_user_db(self, username: str, password: str) -> Any:
        """Refuse users of a suspended organisation as well as deactivated users."""
        user = super().auth_user_db(username, password)
        organisation = getattr(user, "organisation", None) if user else None
        if organisation is not None and organisation.status != "active":
            g.jm_login_refused = "organisation"
            return None
        if user is None and username and not is_null_password(password):
            known = self.find_user(username=username)
            # FAB refuses an inactive user before looking at the password: check it here, so the
            # message "deactivated" goes only to someone who proved to be that user.
            if known is not None and not known.is_active and known.password and \
                    check_password_hash(known.password, password):
                g.jm_login_refused = "deactivated"
        return user
