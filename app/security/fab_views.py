"""FAB's stock screens in the platform's words: roles, permissions and related drop-downs.

FAB lists the raw names ("can_read", "BusinessOrder", "menu_access") and labels a role's name
"Name", which the catalogue renders 姓名 (a person's name). Here every column says what it is and
every value is readable in both languages; the stored names do not change. Importing this module
(the security manager does) also gives FAB's "no choice" option a text, see
``label_blank_choices``.
"""
from __future__ import annotations

from typing import Any, Iterable

from flask import current_app, has_app_context
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.security.views import (PermissionModelView, PermissionViewModelView,
                                             RoleModelView, ViewMenuModelView)
from flask_appbuilder.widgets import ListWidget, ShowWidget
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.security import roles as r

VERB_LABELS: dict[str, Any] = {
    r.READ: _l("View"), r.WRITE: _l("Change"), r.SUBMIT: _l("Submit"),
    r.WITHDRAW: _l("Withdraw"), r.ACCEPT: _l("Accept"), r.APPROVE: _l("Approve"),
    r.REJECT: _l("Reject"), r.PRINT: _l("Print"), r.EXPORT: _l("Export"),
    r.CONFIRM: _l("Confirm payment"), r.RETRY: _l("Retry"), r.MENU_ACCESS: _l("Menu access"),
    "can_list": _l("List"), "can_show": _l("Show"), "can_add": _l("Add"), "can_edit": _l("Edit"),
    "can_delete": _l("Delete"), "can_download": _l("Download"), "can_get": _l("Read (API)"),
    "can_post": _l("Create (API)"), "can_put": _l("Update (API)"), "can_info": _l("Describe (API)"),
    "can_userinfo": _l("Own user info"), "can_this_form_get": _l("Open the form"),
    "can_this_form_post": _l("Send the form"),
    "can_add_role_permissions": _l("Add role permissions"),
    "can_list_role_permissions": _l("List role permissions"),
    "can_update_role_groups": _l("Change role groups"),
    "can_update_role_users": _l("Change role users"),
    "can_resetmypassword": _l("Reset my password"), "can_resetpasswords": _l("Reset passwords"),
    "can_userinfoedit": _l("Edit own user info"), "can_copyrole": _l("Copy roles"),
    # FAB's actions are permissions without the "can_" prefix
    "resetmypassword": _l("Reset my password"), "resetpasswords": _l("Reset passwords"),
    "userinfoedit": _l("Edit own user info"), "copyrole": _l("Copy roles"),
}
RESOURCE_LABELS: dict[str, Any] = {
    r.RES_ORGANISATION: _l("Organisation information"), r.RES_ORG_USERS: _l("Organisation users"),
    r.RES_ORG_ADMIN: _l("All organisations"), r.RES_AREA: _l("Property area"),
    r.RES_BUILDING: _l("Building"), r.RES_HOUSE: _l("House"), r.RES_ORDER: _l("Business order"),
    r.RES_REVIEW: _l("Order review"), r.RES_PAYMENT: _l("Payments"),
    r.RES_NOTICE: _l("Payment notices"), r.RES_BANK: _l("Payment confirmation"),
    r.RES_REFUND: _l("Refunds"), r.RES_STANDARD: _l("Deposit standards"),
    r.RES_CODES: _l("Code tables"), r.RES_AUDIT: _l("Audit log"),
    r.RES_OUTBOX: _l("Trading-system outbox"), r.RES_REPORTS: _l("Reports"),
    # FAB's own views and APIs
    "PlatformUserDBModelView": _l("Users"), "User": _l("Users"),
    "PlatformRoleModelView": _l("Roles"), "Role": _l("Roles"),
    "PlatformPermissionModelView": _l("Base permissions"), "Permission": _l("Base permissions"),
    "PlatformViewMenuModelView": _l("Views and menus"), "ViewMenu": _l("Views and menus"),
    "PlatformPermissionViewModelView": _l("Permissions on views"),
    "PermissionViewMenu": _l("Permissions on views"),
    "UserGroupModelView": _l("User groups"), "Group": _l("User groups"),
    "ResetMyPasswordView": _l("Reset my password"), "ResetPasswordView": _l("Reset passwords"),
    "UserInfoEditView": _l("Edit own user info"), "SwaggerView": _l("API documentation"),
    "MenuApi": _l("Menu (API)"), "OpenApi": _l("API description"),
}


def _humanise(name: str) -> str:
    """A readable form of a name nobody labelled: no underscores, no "can_" prefix."""
    words = name.removeprefix("can_").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def permission_label(name: str) -> str:
    label = VERB_LABELS.get(name)
    return str(label) if label is not None else _humanise(name)


def resource_label(name: str) -> str:
    """A resource (view menu): ours and FAB's by label, a menu entry by its menu label."""
    label = RESOURCE_LABELS.get(name)
    if label is None and has_app_context():
        item = current_app.appbuilder.menu.find(name)
        label = getattr(item, "label", None) or None
        if isinstance(label, str):  # a plain msgid rather than a lazy translation
            label = _(label)
    return str(label) if label is not None else _humanise(_(name))


def permission_view_label(pv: Any) -> str:
    return _("%(permission)s: %(resource)s",
             permission=permission_label(pv.permission.name if pv.permission else ""),
             resource=resource_label(pv.view_menu.name if pv.view_menu else ""))


def _permissions_text(pvs: Iterable[Any]) -> str:
    return "; ".join(sorted(permission_view_label(pv) for pv in pvs or []))


def _role_label(name: str) -> str:
    from app.views.org_users import role_label  # the role names live with the user screens

    return role_label(name)


class PlatformPermissionModelView(PermissionModelView):
    label_columns = {"name": _l("Permission")}
    formatters_columns = {"name": permission_label}


class PlatformViewMenuModelView(ViewMenuModelView):
    label_columns = {"name": _l("Screen or resource")}
    formatters_columns = {"name": resource_label}


class PlatformPermissionViewModelView(PermissionViewModelView):
    formatters_columns = {"permission": lambda p: permission_label(p.name) if p else "",
                          "view_menu": lambda v: resource_label(v.name) if v else ""}


class PlatformRoleModelView(RoleModelView):
    # FAB's role widgets print raw values; the standard ones apply the formatters below.
    list_widget = ListWidget
    show_widget = ShowWidget
    label_columns = {"name": _l("Role name"), "permissions": _l("Permissions")}
    formatters_columns = {"name": _role_label, "permissions": _permissions_text}


def label_blank_choices() -> None:
    """Give the "no choice" option of FAB's related drop-downs the text "Please choose".

    FAB offers it as ("__None", "") and WTForms (3.2 on) prints an option without text as its
    value, so every nullable related field and filter read "__None". Wrapping ``iter_choices``
    once fixes them all at the source, with or without select2.
    """
    original = QuerySelectField.iter_choices
    if getattr(original, "jm_labelled", False):
        return

    def iter_choices(self: QuerySelectField) -> Iterable[tuple]:
        for choice in original(self):
            if choice[0] == "__None" and not choice[1]:
                choice = (choice[0], str(_l("Please choose")), *choice[2:])
            yield choice

    iter_choices.jm_labelled = True  # type: ignore[attr-defined]
    QuerySelectField.iter_choices = iter_choices  # type: ignore[method-assign]


label_blank_choices()
