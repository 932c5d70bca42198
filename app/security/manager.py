"""The platform's security manager: our user model, rate-limited REST login, organisation checks."""
from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, request
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import UserDBModelView
from flask_appbuilder.utils.limit import Limit
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from sqlalchemy import and_

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


class PlatformSecurityManager(SecurityManager):
    user_model = PlatformUser
    userdbmodelview = PlatformUserDBModelView
    security_api = RateLimitedSecurityApi
    # FAB's user-statistics chart loads Google's chart JS from the internet (no config key for it).
    userstatschartview = None

    def auth_user_db(self, username: str, password: str) -> Any:
        """Refuse users of a suspended organisation as well as deactivated users."""
        user = super().auth_user_db(username, password)
        organisation = getattr(user, "organisation", None) if user else None
        if organisation is not None and organisation.status != "active":
            return None
        return user

    def exist_permission_on_roles(self, view_name: str, permission_name: str,
                                  role_ids: list[int]) -> bool:
        """Whether one of the roles holds the permission, from all the roles' permissions read
        once per request: a page checks every menu entry and button, one query each otherwise."""
        return (permission_name, view_name) in self._granted(tuple(sorted(set(role_ids))))

    def _granted(self, role_ids: tuple[int, ...]) -> set[tuple[str, str]]:
        # Kept in the request's environ, not in ``g``: an app context may outlive many requests
        # (tests, CLI), and a role's permissions may change between two of them.
        cache: dict[tuple[int, ...], set[tuple[str, str]]] = (
            request.environ.setdefault("jm.granted", {}) if has_request_context() else {})
        if role_ids not in cache:
            from flask_appbuilder.security.sqla.models import assoc_permissionview_role

            pv, perm, menu = self.permissionview_model, self.permission_model, self.viewmenu_model
            rows = (self.session.query(perm.name, menu.name)
                    .select_from(pv)
                    .join(assoc_permissionview_role,
                          and_(pv.id == assoc_permissionview_role.c.permission_view_id))
                    .join(perm, perm.id == pv.permission_id)
                    .join(menu, menu.id == pv.view_menu_id)
                    .filter(assoc_permissionview_role.c.role_id.in_(role_ids)))
            cache[role_ids] = {(p, v) for p, v in rows}
        return cache[role_ids]
