"""Fund office → 开发建设单位: every organisation, its 要件, users, changes and the paper check."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_appbuilder.security.decorators import has_access_api
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from app.errors import DomainError
from app.extensions import db
from app.models.organisation import Organisation
from app.security.models import PlatformUser
from app.security.roles import RES_ORG_ADMIN
from app.security.tenant import current_scope, current_user, get_owned_or_404, scoped
from app.services.options import organisation_options
from app.services.org_users import list_org_users, person_name
from app.services.organisation import ORG_FIELD_LABELS, change_history, set_papers_checked
from app.views.base import options_answer
from app.views.menus import CATEGORY_FUND_OFFICE
from app.views.org_info import attachment_rows, change_rows
from app.views.org_users import user_row
from app.views.org_forms import district_choices, flash_leftover

REGISTER_ORDER = 30
MENU_DEVELOPERS = "Developers"
PAGE_SIZE = 25


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class OrgAdminView(BaseView):
    route_base = "/office/organisations"
    default_view = "list"
    class_permission_name = RES_ORG_ADMIN
    method_permission_name = {"list": "read", "show": "read", "papers": "write", "options": "read"}

    @expose("/options", methods=["GET"])
    @has_access_api
    def options(self) -> Any:
        """Options of the report screens' developer filter, as the officer types: ``?q=text&page=n``.

        Fund office only (the permission); a developer's report has no developer filter at all.
        """
        return options_answer(lambda text, page: organisation_options(db.session, current_scope(),
                                                                        text, page))

    @expose("/", methods=["GET"])
    @has_access
    def list(self) -> Any:
        q = (request.args.get("q") or "").strip()
        district = request.args.get("district") or ""
        papers = request.args.get("papers") or ""
        page = max(request.args.get("page", 1, type=int) or 1, 1)
        query = scoped(select(Organisation), Organisation)
        if q:
            pattern = _like(q)
            query = query.where(or_(*(column.ilike(pattern, escape="\\") for column in (
                Organisation.name, Organisation.uscc, Organisation.legal_rep, Organisation.contact,
                Organisation.phone))))
        if district:
            query = query.where(Organisation.district_code == district)
        if papers in ("yes", "no"):
            query = query.where(Organisation.papers_checked.is_(papers == "yes"))
        total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        orgs = list(db.session.scalars(query.order_by(Organisation.created_at.desc(),
                                                      Organisation.id.desc())
                                       .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
        user_counts = dict(db.session.execute(
            select(PlatformUser.org_id, func.count(PlatformUser.id))
            .where(PlatformUser.org_id.in_([o.id for o in orgs])).group_by(PlatformUser.org_id)).all())
        return self.render_template(
            "org/admin_list.html", orgs=orgs, total=total, page=page,
            pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1), q=q, district=district,
            papers=papers, districts=dict(district_choices(blank=False)), user_counts=user_counts,
        )

    @expose("/show/<int:pk>", methods=["GET"])
    @has_access
    def show(self, pk: int) -> Any:
        org = get_owned_or_404(db.session, Organisation, pk)
        checker = db.session.get(PlatformUser, org.papers_checked_by_id) if org.papers_checked_by_id else None
        districts = dict(district_choices(blank=False))
        details = [(label, districts.get(org.district_code, org.district_code)
                    if field == "district_code" else getattr(org, field) or "")
                   for field, label in ORG_FIELD_LABELS.items()]
        return self.render_template(
            "org/admin_show.html", org=org, details=details,
            checked_by=person_name(checker) if checker else "",
            attachments=attachment_rows(org.id),
            users=[user_row(u) for u in list_org_users(db.session, org.id)],
            history=change_rows(change_history(db.session, org.id)),
            can_write=self.appbuilder.sm.has_access("can_write", RES_ORG_ADMIN),
        )

    @expose("/papers/<int:pk>", methods=["POST"])
    @has_access
    def papers(self, pk: int) -> Any:
        org = get_owned_or_404(db.session, Organisation, pk)
        checked = request.form.get("checked") == "1"
        try:
            set_papers_checked(db.session, org.id, checked, current_user().id)
        except DomainError as error:
            flash_leftover(error, error.problems)
        else:
            flash(_("Paper documents marked as checked.") if checked
                  else _("Paper documents marked as not checked."), "success")
        return redirect(url_for("OrgAdminView.show", pk=org.id))


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view(OrgAdminView(), MENU_DEVELOPERS, label=_l("Developers"),
                        icon="fa-building", category=CATEGORY_FUND_OFFICE)
