"""信息变更 (§1.2.1): the Developer Admin edits its own organisation; every save is kept as history."""
from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l


from app.errors import ValidationFailed
from app.extensions import db
from app.models.organisation import Organisation, OrganisationChange
from app.security.roles import RES_ORGANISATION, WRITE
from app.security.tenant import current_user, get_owned_or_404
from app.services.org_users import person_name
from app.services.organisation import (EDITABLE_FIELDS, ORG_FIELD_LABELS, change_history,
                                       change_organisation, registration_attachments)
from app.views.menus import CATEGORY_ORGANISATION
from app.views.org_forms import (OrganisationForm, attach_problems, attachment_kind_label,
                                 district_choices, flash_leftover)

REGISTER_ORDER = 20
MENU_ORG_INFO = "Organisation Info"


OrgInfoForm = OrganisationForm


def change_rows(changes: list[OrganisationChange]) -> list[dict[str, Any]]:
    """History rows for a template: when, who, and each field's before/after in words."""
    districts = dict(district_choices(blank=False))
    rows = []
    for change in changes:
        items = []
        for item in change.changes or []:
            field = item.get("field", "")
            label = ORG_FIELD_LABELS.get(field, item.get("label", field))
            before, after = item.get("before", ""), item.get("after", "")
            if field == "district_code":
                before, after = districts.get(before, before), districts.get(after, after)
            items.append({"label": label, "before": before, "after": after})
        rows.append({"at": change.changed_at, "items": items,
                     "by": person_name(change.changed_by) if change.changed_by else ""})
    return rows


def attachment_rows(org_id: int) -> list[dict[str, Any]]:
    return [{"id": att.id, "kind": attachment_kind_label(att.kind), "name": att.original_name,
             "size": att.size, "at": att.created_at,
             "url": url_for("AttachmentView.file", pk=att.id)}
            for att in registration_attachments(db.session, org_id)]


def has_organisation() -> bool:
    """Menu condition: the 机构管理 screens serve users of a developer organisation only."""
    user = current_user()
    return user is not None and user.org_id is not None


def own_organisation() -> Organisation:
    """The organisation of the logged-in developer user; 404 for users without one."""
    user = current_user()
    if user is None or user.org_id is None:
        abort(404)
    return get_owned_or_404(db.session, Organisation, user.org_id)


class OrgInfoView(BaseView):
    route_base = "/org/info"
    default_view = "form"
    class_permission_name = RES_ORGANISATION
    method_permission_name = {"form": "read", "save": "write"}

    def _render(self, org: Organisation, form: OrgInfoForm, status: int = 200) -> Any:
        form.district_code.choices = district_choices()
        can_write = self.appbuilder.sm.has_access(WRITE, RES_ORGANISATION)
        body = self.render_template(
            "org/info.html", org=org, form=form, can_write=can_write,
            editable=EDITABLE_FIELDS, history=change_rows(change_history(db.session, org.id)),
            attachments=attachment_rows(org.id),
        )
        return body, status

    @expose("/", methods=["GET"])
    @has_access
    def form(self) -> Any:
        org = own_organisation()
        form = OrgInfoForm(obj=org)
        return self._render(org, form)

    @expose("/", methods=["POST"])
    @has_access
    def save(self) -> Any:
        org = own_organisation()
        form = OrgInfoForm(request.form)
        form.uscc.data = org.uscc
        changes = {field: form[field].data or "" for field in EDITABLE_FIELDS}
        try:
            change = change_organisation(db.session, org.id, changes, current_user().id)
        except ValidationFailed as error:
            flash_leftover(error, attach_problems(form, error))
            return self._render(org, form, 422)
        if change is None:
            flash(_("Nothing was changed."), "info")
        else:
            flash(_("The organisation information has been saved."), "success")
        return redirect(url_for("OrgInfoView.form"))


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view(OrgInfoView(), MENU_ORG_INFO, label=_l("Information change"),
                        icon="fa-edit", category=CATEGORY_ORGANISATION, menu_cond=has_organisation)
