"""银行对账 screens (fund office): import a day's statement, the four lists, resolve, close the day."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.errors import DomainError, Problem, ValidationFailed
from app.extensions import db
from app.models.reconciliation import (AMOUNT_DIFFERS, BANK_ONLY, ITEM_OPEN, MATCHED, PLATFORM_ONLY,
                                       BankStatement)
from app.security.roles import RES_RECONCILE
from app.security.tenant import current_user
from app.documents.bank_statement import statement_columns
from app.services import reconciliation as recon
from app.services.payments.notices import local_today
from app.views.menus import CATEGORY_FUND_OFFICE

REGISTER_ORDER = 85
MENU_RECONCILE = "Bank reconciliation"
LISTS = [(AMOUNT_DIFFERS, _l("Amounts that differ")), (BANK_ONLY, _l("In the bank, not confirmed here")),
         (PLATFORM_ONLY, _l("Confirmed here, not in the bank")), (MATCHED, _l("Matched"))]


def _user_id() -> Any:
    return getattr(current_user(), "id", None)


def _statement(statement_id: int) -> BankStatement:
    if not 0 < statement_id < 2**31:
        abort(404)
    statement = db.session.get(BankStatement, statement_id)
    if statement is None:
        abort(404)
    return statement


class ReconciliationView(BaseView):
    """Read / write on BankReconciliation (fund officers)."""

    route_base = "/reconcile"
    class_permission_name = RES_RECONCILE
    base_permissions = ["can_read", "can_write"]
    method_permission_name = {"index": "read", "show": "read", "upload": "write", "resolve": "write",
                              "confirm_missing": "write", "rematch": "write", "close": "write"}

    def _index(self, error: Any = None, status: int = 200) -> Any:
        statements = db.session.scalars(select(BankStatement).order_by(BankStatement.day.desc()).limit(60))
        return self.render_template("reconcile/index.html", statements=list(statements), error=error,
                                    today=local_today().isoformat(),
                                    headers=[c.header for c in statement_columns()]), status

    @expose("/")
    @has_access
    def index(self) -> Any:
        return self._index()

    @expose("/import", methods=["POST"])
    @has_access
    def upload(self) -> Any:
        upload = request.files.get("file")
        try:
            day = dt.date.fromisoformat((request.form.get("day") or "").strip())
        except ValueError:
            return self._index(ValidationFailed(problems=[Problem("day", _l("Enter a date as YYYY-MM-DD."))]), 422)
        if upload is None or not upload.filename:
            return self._index(ValidationFailed(problems=[Problem("file", _l("Choose the statement file."))]), 422)
        try:
            statement = recon.import_statement(db.session, day, upload.filename, upload.read(), _user_id())
        except DomainError as error:
            return self._index(error, error.status)
        flash(_("Statement of %(day)s imported and matched.", day=day.isoformat()), "success")
        return redirect(url_for("ReconciliationView.show", statement_id=statement.id))

    @expose("/<int:statement_id>/")
    @has_access
    def show(self, statement_id: int) -> Any:
        statement = _statement(statement_id)
        items = {kind: [i for i in statement.items if i.kind == kind] for kind, _label in LISTS}
        return self.render_template("reconcile/show.html", statement=statement, lists=LISTS, items=items,
                                    summary=recon.summary(statement.items),
                                    open_count=sum(i.state == ITEM_OPEN for i in statement.items))

    def _act(self, statement_id: int, action: Any, done: str) -> Any:
        statement = _statement(statement_id)
        try:
            action(statement)
        except DomainError as error:
            flash(str(error.message) + "".join(f" {p}" for p in error.problems), "danger")
        else:
            flash(done, "success")
        return redirect(url_for("ReconciliationView.show", statement_id=statement_id))

    @expose("/<int:statement_id>/item/<int:item_id>/resolve", methods=["POST"])
    @has_access
    def resolve(self, statement_id: int, item_id: int) -> Any:
        note = request.form.get("note") or ""
        return self._act(statement_id, lambda s: recon.resolve(db.session, s, item_id, note, _user_id()),
                         _("The difference is resolved."))

    @expose("/<int:statement_id>/item/<int:item_id>/confirm", methods=["POST"])
    @has_access
    def confirm_missing(self, statement_id: int, item_id: int) -> Any:
        return self._act(statement_id, lambda s: recon.confirm_missing(db.session, s, item_id, _user_id()),
                         _("The payment was confirmed from the bank's line."))

    @expose("/<int:statement_id>/rematch", methods=["POST"])
    @has_access
    def rematch(self, statement_id: int) -> Any:
        return self._act(statement_id, lambda s: recon.rematch(db.session, s, _user_id()),
                         _("Matched again."))

    @expose("/<int:statement_id>/close", methods=["POST"])
    @has_access
    def close(self, statement_id: int) -> Any:
        return self._act(statement_id, lambda s: recon.close_day(db.session, s, _user_id()),
                         _("The day is closed."))


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view(ReconciliationView, MENU_RECONCILE, label=_l("Bank reconciliation"),
                        href="/reconcile/", icon="fa-balance-scale", category=CATEGORY_FUND_OFFICE)
