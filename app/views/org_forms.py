"""Form helpers the organisation screens share (开发商注册, 信息变更, 机构用户管理, the office list)."""
from __future__ import annotations

from typing import Iterable, Optional

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage
from wtforms import Form, SelectField, StringField

from app.errors import DomainError, Problem
from app.extensions import db
from app.services.attachments import UploadedFile
from app.services.organisation import ORG_FIELD_LABELS, district_items
from app.services.reference import CODE_TABLES
from app.views.errors import flash_domain_error

ATTACHMENT_LABELS = {code: (name, name_en) for code, name, name_en in CODE_TABLES["attachment_kind"]}


def ui_language() -> str:
    return "en" if str(get_locale() or "zh").startswith("en") else "zh"


def district_choices(blank: bool = True) -> list[tuple[str, str]]:
    """The Jiangmen districts for a select, named in the user's language."""
    english = ui_language() == "en"
    choices = [(item.code, item.name_en if english and item.name_en else item.name)
               for item in district_items(db.session)]
    return ([("", str(_l("Please choose")))] if blank else []) + choices


def attachment_kind_label(kind: str) -> str:
    zh, en = ATTACHMENT_LABELS.get(kind, (kind, kind))
    return en if ui_language() == "en" else zh


def attach_problems(form: Form, error: DomainError, extra: Optional[dict[str, list[str]]] = None
                    ) -> list[Problem]:
    """Put each problem under its form field (or into ``extra`` by field); return the others."""
    leftover = []
    for problem in error.problems:
        target = getattr(form, problem.field, None)
        if target is not None and hasattr(target, "errors"):
            target.errors = list(target.errors or []) + [str(problem.reason)]
        elif extra is not None and problem.field in extra:
            extra[problem.field].append(str(problem.reason))
        else:
            leftover.append(problem)
    return leftover


def flash_leftover(error: DomainError, leftover: Iterable[Problem]) -> None:
    """Flash the error's message and whatever could not be shown at a field."""
    flash_domain_error(type(error)(error.message, list(leftover)))


def read_upload(storage: Optional[FileStorage], max_mb: int) -> Optional[UploadedFile]:
    """Plain data of an uploaded file; reads at most one byte more than allowed."""
    if storage is None or (not storage.filename and not storage.content_length):
        return None
    data = storage.read(max_mb * 1024 * 1024 + 1)
    if not storage.filename and not data:
        return None
    return UploadedFile(filename=storage.filename or "", data=data)


class OrganisationForm(Form):
    """The organisation's own fields, shared by 开发商注册 and 信息变更."""

    name = StringField(ORG_FIELD_LABELS["name"])
    uscc = StringField(ORG_FIELD_LABELS["uscc"])
    legal_rep = StringField(ORG_FIELD_LABELS["legal_rep"])
    legal_rep_id_no = StringField(ORG_FIELD_LABELS["legal_rep_id_no"])
    contact = StringField(ORG_FIELD_LABELS["contact"])
    phone = StringField(ORG_FIELD_LABELS["phone"])
    address = StringField(ORG_FIELD_LABELS["address"])
    district_code = SelectField(ORG_FIELD_LABELS["district_code"], validate_choice=False)
    email = StringField(ORG_FIELD_LABELS["email"])
