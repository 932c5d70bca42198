"""The platform's security manager: our user model, rate-limited REST login, organisation checks."""
from __future__ import annotations

from typing import Any

from flask import current_app, g
from flask import session as cookie
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import UserDBModelView
from flask_appbuilder.utils.limit import Limit
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address

from app.security import sessions
from app.security.password_views import (ResetMyPasswordView, ResetPasswordView, UserApi,
                                         user_form_password_fields)
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
    add_form_extra_fields = user_form_password_fields()
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


class PlatformSecurityManager(SecurityManager):
    user_model = PlatformUser
    userdbmodelview = PlatformUserDBModelView
    security_api = RateLimitedSecurityApi
    user_api = UserApi
    resetmypasswordview = ResetMyPasswordView
    resetpasswordview = ResetPasswordView
    # FAB's user-statistics chart loads Google's chart JS from the internet (no config key for it).
    userstatschartview = None

    def auth_user_db(self, username: str, password: str) -> Any:
        """Refuse users of a suspended organisation as well as deactivated users."""
        user = super().auth_user_db(username, password)
        organisation = getattr(user, "organisation", None) if user else None
        if organisation is not None and organisation.status != "active":
            return None
        return user

    # --- server-side sessions (app/security/sessions.py) ---------------------------------------

    def create_login_manager(self, app: Any) -> Any:
        login_manager = super().create_login_manager(app)
        sessions.install(app)
        return login_manager

    def create_jwt_manager(self, app: Any) -> Any:
        jwt_manager = super().create_jwt_manager(app)
        jwt_manager.additional_claims_loader(sessions.jwt_claims)
        return jwt_manager

    def _active_user(self, pk: Any) -> Any:
        try:
            return SecurityManager.load_user(self, int(pk))
        except (TypeError, ValueError):
            return None

    def load_user(self, pk: Any) -> Any:
        """The cookie's user, only while its server-side session lives (logout ends it)."""
        user = self._active_user(pk)
        if user is None or not sessions.is_live(self.session, cookie.get(sessions.SESSION_KEY), user.id):
            return None
        return user

    def load_user_jwt(self, _jwt_header: Any, jwt_data: dict) -> Any:
        """The token's user, only while the login that issued the token lives."""
        user = self._active_user(jwt_data.get("sub"))
        if user is None or not sessions.is_live(self.session, jwt_data.get(sessions.SID_CLAIM), user.id):
            return None
        g.user = user  # as FAB does: its before_request cannot know the JWT's user
        return user
