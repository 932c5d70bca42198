"""The platform's security manager: our user model, rate-limited REST login, organisation checks."""
from __future__ import annotations

from typing import Any, Optional

from flask import current_app, flash, g, has_request_context, redirect, request
from flask import session as cookie
from flask_appbuilder import expose
from flask_appbuilder.api import expose as expose_api
from flask_appbuilder.api import safe
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.decorators import no_cache
from flask_appbuilder.security.forms import LoginForm_db
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.utils import is_null_password
from flask_appbuilder.security.views import AuthDBView, UserDBModelView
from flask_appbuilder.utils.base import get_safe_redirect
from flask_appbuilder.utils.limit import Limit
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import login_user
from sqlalchemy import and_, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash

from app.security import sessions
from app.security.fab_views import (PlatformPermissionModelView, PlatformPermissionViewModelView,
                                    PlatformRoleModelView, PlatformViewMenuModelView)
from app.security.models import PlatformUser
from app.security.password_views import (ResetMyPasswordView, ResetPasswordView, UserApi,
                                         user_form_password_fields)
from app.services import lockout


def _auth_rate_limit() -> str:
    return current_app.config["AUTH_RATE_LIMIT"]


class RateLimitedSecurityApi(SecurityApi):
    """FAB limits only the login form; the JWT login is just as guessable, so limit it too."""

    limits = [Limit(limit_value=_auth_rate_limit, key_func=get_remote_address, methods=("POST",),
                    exempt_when=lambda: not current_app.config.get("AUTH_RATE_LIMITED", True))]

    @expose_api("/login", methods=["POST"])
    @safe
    def login(self) -> Any:
        """FAB's JWT login; a locked account is told so instead of a bare "Not authorized"."""
        response = super().login()
        refusal = g.get("jm_login_refusal")
        if refusal and response.status_code == 401:
            return self.response(401, message=refusal)
        return response


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
                if not g.get("jm_login_refusal"):  # a locked account was told so already
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
    user_api = UserApi
    resetmypasswordview = ResetMyPasswordView
    resetpasswordview = ResetPasswordView
    # FAB's user-statistics chart loads Google's chart JS from the internet (no config key for it).
    userstatschartview = None

    def auth_user_db(self, username: str, password: str) -> Any:
        """FAB's password check behind the account lock; users of a suspended organisation and
        deactivated users are refused too. Every outcome goes to the audit log."""
        candidate = self._login_candidate(username)
        if candidate is not None:
            until = lockout.locked_until(self.session, candidate.id)
            if until is not None:
                lockout.register_refusal(self.session, candidate, username, "locked")
                self._tell_locked(until)
                return None
        user = super().auth_user_db(username, password)
        if user is None and (candidate is None or not candidate.is_active) and username:
            lockout.register_refusal(self.session, candidate, username,
                                     "unknown user" if candidate is None else "inactive")
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

    def exist_permission_on_roles(self, view_name: str, permission_name: str,
                                  role_ids: list[int]) -> bool:
        """Whether one of the roles holds the permission, from all the roles' permissions read
        once per request: a page checks every menu entry and button, one query each otherwise."""
        return (permission_name, view_name) in self._granted(tuple(sorted(set(role_ids))))

    def granted_for(self, role_ids: Any) -> frozenset[tuple[str, str]]:
        """Every (permission, view) the roles hold, as read once per request (the navbar's menu is
        kept under it: app/views/navbar.py)."""
        return self._granted(tuple(sorted(set(role_ids))))

    def _granted(self, role_ids: tuple[int, ...]) -> frozenset[tuple[str, str]]:
        # Kept in the request's environ, not in ``g``: an app context may outlive many requests
        # (tests, CLI), and a role's permissions may change between two of them.
        cache: dict[tuple[int, ...], frozenset[tuple[str, str]]] = (
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
            cache[role_ids] = frozenset((p, v) for p, v in rows)
        return cache[role_ids]

    def _login_candidate(self, username: Optional[str]) -> Any:
        """The account a login names, as FAB finds it (user name, else e-mail address)."""
        if not username:
            return None
        return self.find_user(username=username) or self.find_user(email=username)

    def _tell_locked(self, until: Any) -> None:
        from app.views.base import when

        message = _("This account is locked after too many failed logins. Try again after "
                    "%(time)s, or ask the fund office to unlock it.", time=when(until))
        g.jm_login_refusal = message
        if has_request_context() and not request.path.startswith("/api/"):
            flash(message, "danger")

    def on_user_login(self, user: Any) -> None:
        lockout.register_success(self.session, user)

    def on_user_login_failed(self, user: Any) -> None:
        until = lockout.register_failure(self.session, user,
                                         lockout.LockoutPolicy.from_config(current_app.config))
        if until is not None:
            self._tell_locked(until)

    # --- server-side sessions (app/security/sessions.py) ---------------------------------------

    def create_login_manager(self, app: Any) -> Any:
        login_manager = super().create_login_manager(app)
        sessions.install(app)
        return login_manager

    def create_jwt_manager(self, app: Any) -> Any:
        jwt_manager = super().create_jwt_manager(app)
        jwt_manager.additional_claims_loader(sessions.jwt_claims)
        return jwt_manager

    #: The user's roles, groups and areas every request reads (permissions, tenant scope): joined
    #: into the user's own query instead of one query per collection.
    USER_COLLECTIONS = (joinedload(PlatformUser.roles), joinedload(PlatformUser.groups),
                        joinedload(PlatformUser.areas))

    def get_user_by_id(self, pk: Any) -> Any:
        return self.session.get(self.user_model, pk, options=list(self.USER_COLLECTIONS))

    def _live_user(self, pk: Any, key: Any) -> Any:
        """The active user ``pk`` with its collections, only while its server-side session ``key``
        lives, in one statement: every signed-in request runs it."""
        try:
            user_id = int(pk)
        except (TypeError, ValueError):
            return None
        if not sessions.usable_key(key):
            return None
        user_model = self.user_model
        user = self.session.scalars(
            select(user_model).options(*self.USER_COLLECTIONS)
            .where(user_model.id == user_id, sessions.live(key, user_model.id))).unique().first()
        return user if user is not None and user.is_active else None

    def load_user(self, pk: Any) -> Any:
        """The cookie's user, only while its server-side session lives (logout ends it)."""
        return self._live_user(pk, cookie.get(sessions.SESSION_KEY))

    def load_user_jwt(self, _jwt_header: Any, jwt_data: dict) -> Any:
        """The token's user, only while the login that issued the token lives."""
        user = self._live_user(jwt_data.get("sub"), jwt_data.get(sessions.SID_CLAIM))
        if user is None:
            return None
        g.user = user  # as FAB does: its before_request cannot know the JWT's user
        return user
