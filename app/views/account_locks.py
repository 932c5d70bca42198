"""Fund office: accounts locked after too many failed logins, and the button that unlocks one."""
from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.errors import NotFound
from app.extensions import db
from app.security.roles import RES_ACCOUNT_LOCKS
from app.security.tenant import current_user
from app.services.lockout import locked_accounts, unlock
from app.services.org_users import person_name
from app.views.base import when
from app.views.menus import CATEGORY_FUND_OFFICE

REGISTER_ORDER = 63
MENU_LOCKED_ACCOUNTS = "Locked accounts"


class LockedAccountsView(BaseView):
    route_base = "/fund/locked-accounts"
    default_view = "list"
    class_permission_name = RES_ACCOUNT_LOCKS
    method_permission_name = {"list": "read", "unlock": "write"}

    @expose("/", methods=["GET"])
    @has_access
    def list(self) -> Any:
        rows = [{"id": user.id, "username": user.username, "name": person_name(user),
                 "organisation": user.organisation.name if user.organisation else "",
                 "locked_until": when(user.locked_until)} for user in locked_accounts(db.session)]
        return self.render_template("security/locked_accounts.html", rows=rows)

    @expose("/unlock/<int:pk>", methods=["POST"])
    @has_access
    def unlock(self, pk: int) -> Any:
        try:
            user = unlock(db.session, pk, actor_id=current_user().id)
        except NotFound:
            abort(404)
        flash(_("The account %(username)s has been unlocked.", username=user.username), "success")
        return redirect(url_for("LockedAccountsView.list"))


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view(LockedAccountsView(), MENU_LOCKED_ACCOUNTS, label=_l("Locked accounts"),
                        icon="fa-user-lock", category=CATEGORY_FUND_OFFICE)
