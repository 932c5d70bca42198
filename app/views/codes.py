"""Fund office: 代码表 (code tables: districts, structures, house uses, ID types, ...).

Codes are referenced by text from the register, so a code and its table never change once
created; officers rename, reorder or deactivate items instead of deleting them.
"""
from __future__ import annotations

from typing import Any

from flask_appbuilder import AppBuilder
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import BooleanField, SelectField
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from app.extensions import db
from app.models.codes import (KIND_ATTACHMENT, KIND_DISTRICT, KIND_HOUSE_USE, KIND_ID_TYPE,
                              KIND_PAYMENT_TYPE, KIND_SALES_STATUS, KIND_STRUCTURE, CodeItem)
from app.security.roles import MODEL_VIEW_METHODS, RES_CODES
from app.views.base import AuditedMixin, PlatformModelView, yes_no
from app.views.menus import CATEGORY_FUND_OFFICE

REGISTER_ORDER = 61

KIND_LABELS = {
    KIND_DISTRICT: _l("Districts"),
    KIND_STRUCTURE: _l("Building structures"),
    KIND_HOUSE_USE: _l("House uses"),
    KIND_ID_TYPE: _l("ID document types"),
    KIND_SALES_STATUS: _l("Sales states"),
    KIND_PAYMENT_TYPE: _l("Payment types"),
    KIND_ATTACHMENT: _l("Document kinds"),
}


def _unique_code(form: Any, field: Any) -> None:
    """A code appears once per table (checked here so the user sees a message, not a DB error)."""
    taken = db.session.scalar(select(CodeItem.id).where(CodeItem.kind == form.kind.data,
                                                        CodeItem.code == (field.data or "").strip()))
    if taken is not None:
        raise ValidationError(str(_l("This code already exists in the table.")))


def _flags() -> dict[str, Any]:
    # FAB makes a non-nullable boolean "required", so an unticked box would never validate.
    return {
        "active": BooleanField(_l("In use"), default=True,
                               description=_l("Items not in use are no longer offered in forms.")),
        "residential": BooleanField(_l("Residential tier"),
                                    description=_l("House uses only: the residential deposit tier applies.")),
    }


class CodeItemView(AuditedMixin, PlatformModelView):
    route_base = "/fund/codes"
    datamodel = SQLAInterface(CodeItem)
    class_permission_name = RES_CODES
    method_permission_name = MODEL_VIEW_METHODS
    include_route_methods = {"list", "show", "add", "edit"}
    audit_object_type = "CodeItem"
    base_order = ("kind", "asc")
    page_size = 50

    list_title = _l("Code tables")
    show_title = _l("Code")
    add_title = _l("Add code")
    edit_title = _l("Edit code")
    list_columns = ["kind", "code", "name", "name_en", "sort_order", "active", "residential"]
    show_columns = list_columns
    add_columns = ["kind", "code", "name", "name_en", "sort_order", "active", "residential"]
    edit_columns = ["name", "name_en", "sort_order", "active", "residential"]
    search_columns = ["kind", "code", "name", "name_en", "active"]
    label_columns = {
        "kind": _l("Code table"), "code": _l("Code"), "name": _l("Chinese name"),
        "name_en": _l("English name"), "sort_order": _l("Order"), "active": _l("In use"),
        "residential": _l("Residential tier"),
    }
    description_columns = {
        "code": _l("Stored in the register; it cannot be changed later."),
        "active": _l("Items not in use are no longer offered in forms."),
        "residential": _l("House uses only: the residential deposit tier applies."),
    }
    formatters_columns = {"kind": lambda v: str(KIND_LABELS.get(v, v)), "active": yes_no,
                          "residential": yes_no}
    validators_columns = {
        "code": [DataRequired(), Length(max=30), Regexp(r"^\S+$", message=_l("No spaces in a code.")),
                 _unique_code],
        "name": [DataRequired(), Length(max=60)],
        "name_en": [Length(max=80)],
    }
    add_form_extra_fields = {
        "kind": SelectField(_l("Code table"), choices=list(KIND_LABELS.items()), validators=[DataRequired()]),
        **_flags(),
    }
    edit_form_extra_fields = _flags()
    search_form_extra_fields = {
        "kind": SelectField(_l("Code table"), choices=list(KIND_LABELS.items())),
    }

    def pre_add(self, item: CodeItem) -> None:
        item.code = item.code.strip()
        item.name_en = item.name_en or ""
        super().pre_add(item)


def register(appbuilder: AppBuilder) -> None:
    appbuilder.add_view(CodeItemView, "Code tables", label=_l("Code tables"), icon="fa-list-ol",
                        category=CATEGORY_FUND_OFFICE)
