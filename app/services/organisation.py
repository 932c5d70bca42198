"""开发建设单位 data: the rules for its fields, 信息变更 (§1.2.1) and the fund office's paper check.

Registration (``app.services.registration``) validates the same fields with the same rules.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.validators import (normalise_id_number, normalise_phone, normalise_text,
                                   normalise_uscc, validate_mobile, validate_person_name,
                                   validate_resident_id, validate_uscc)
from app.errors import NotFound, PermissionDenied, Problem, ValidationFailed
from app.models.base import utcnow
from app.models.codes import KIND_DISTRICT, CodeItem
from app.models.order import Attachment
from app.models.organisation import Organisation, OrganisationChange
from app.security.models import PlatformUser
from app.security.tenant import is_internal_user
from app.services import audit
from app.services.org_users import EMAIL_MAX, EMAIL_RE
from app.services.unit_of_work import transaction

#: Every field of an organisation a person enters, with its label, in form order.
ORG_FIELD_LABELS: dict[str, LazyString] = {
    "name": _l("Organisation name"),
    "uscc": _l("Unified social credit code"),
    "legal_rep": _l("Legal representative"),
    "legal_rep_id_no": _l("Legal representative's ID number"),
    "contact": _l("Contact person"),
    "phone": _l("Mobile phone"),
    "address": _l("Organisation address"),
    "district_code": _l("District"),
    "email": _l("E-mail"),
}
#: 信息变更 may change these; the 统一社会信用代码 identifies the organisation and never changes.
EDITABLE_FIELDS = ("name", "legal_rep", "legal_rep_id_no", "contact", "phone", "address",
                   "district_code", "email")
_MAX_LENGTH = {"name": 100, "address": 200, "email": EMAIL_MAX}
_NORMALISERS = {"uscc": normalise_uscc, "legal_rep_id_no": normalise_id_number,
                "phone": normalise_phone}


def normalise_org_value(field: str, value: Any) -> str:
    return _NORMALISERS.get(field, normalise_text)(value)


def district_items(session: Session) -> list[CodeItem]:
    """The Jiangmen districts of the code table, in display order."""
    return list(session.scalars(select(CodeItem).where(CodeItem.kind == KIND_DISTRICT,
                                                       CodeItem.active.is_(True))
                                .order_by(CodeItem.sort_order)))


def _field_problem(session: Session, field: str, value: str) -> Optional[Any]:
    """The reason ``value`` (already normalised) is not acceptable for ``field``, or None."""
    if field == "email":
        if value and (len(value) > EMAIL_MAX or not EMAIL_RE.match(value)):
            return _l("Please enter a valid e-mail address.")
        return None
    if not value:
        return _l("Please fill in %(label)s.", label=ORG_FIELD_LABELS[field])
    if field == "uscc":
        return validate_uscc(value)
    if field == "legal_rep_id_no":
        return validate_resident_id(value)
    if field in ("legal_rep", "contact"):
        return validate_person_name(value)
    if field == "phone":
        return validate_mobile(value)
    if field == "district_code":
        if value not in {item.code for item in district_items(session)}:
            return _l("Please choose a district of Jiangmen.")
        return None
    if len(value) > _MAX_LENGTH.get(field, 10_000):
        return _l("At most %(max)d characters.", max=_MAX_LENGTH[field])
    return None


def org_field_problems(session: Session, values: Mapping[str, str], *,
                       org_id: Optional[int] = None) -> list[Problem]:
    """Problems with normalised organisation ``values``, including clashes with other organisations."""
    problems = []
    for field, value in values.items():
        reason = _field_problem(session, field, value)
        if reason is not None:
            problems.append(Problem(field, reason))
    bad = {p.field for p in problems}
    for field, column in (("name", Organisation.name), ("uscc", Organisation.uscc)):
        value = values.get(field)
        if not value or field in bad:
            continue
        query = select(Organisation.id).where(column == value)
        if org_id is not None:
            query = query.where(Organisation.id != org_id)
        if session.scalar(query.limit(1)) is not None:
            message = (_l("An organisation with this name is already registered.") if field == "name"
                       else _l("An organisation with this unified social credit code is already "
                               "registered."))
            problems.append(Problem(field, message))
    return problems


def get_organisation(session: Session, org_id: Optional[int]) -> Organisation:
    org = session.get(Organisation, org_id) if org_id is not None else None
    if org is None:
        raise NotFound()
    return org


@transaction
def change_organisation(session: Session, org_id: int, changes: Mapping[str, Any],
                        user_id: int) -> Optional[OrganisationChange]:
    """Save 信息变更 at once and keep its before/after; returns None when nothing changed.

    ``changes`` maps field names to new values (unchanged fields may be included; only changed
    ones are validated and recorded). The user must belong to the organisation or be internal staff.
    """
    org = get_organisation(session, org_id)
    actor = session.get(PlatformUser, user_id)
    if actor is None or not (actor.org_id == org.id or is_internal_user(actor)):
        raise PermissionDenied()
    problems: list[Problem] = []
    values: dict[str, str] = {}
    for field, raw in changes.items():
        if field == "uscc":
            if normalise_uscc(raw) != org.uscc:
                problems.append(Problem("uscc", _l("The unified social credit code cannot be changed.")))
        elif field not in EDITABLE_FIELDS:
            problems.append(Problem(field, _l("This field cannot be changed here.")))
        else:
            value = normalise_org_value(field, raw)
            if value != (getattr(org, field) or ""):
                values[field] = value
    # Only what changes is judged, so data registered under older rules does not block a save.
    problems += org_field_problems(session, values, org_id=org.id)
    if problems:
        raise ValidationFailed(problems=problems)
    if not values:
        return None
    diff = [{"field": field, "label": str(ORG_FIELD_LABELS[field]),
             "before": getattr(org, field) or "", "after": value} for field, value in values.items()]
    for item in diff:
        # An empty optional e-mail is stored as NULL, like at registration.
        setattr(org, item["field"], item["after"] or (None if item["field"] == "email" else ""))
    change = OrganisationChange(org_id=org.id, changed_at=utcnow(), changed_by_id=actor.id,
                                changes=diff)
    session.add(change)
    session.flush()
    audit.record(session, "org.change", "organisation", org.id, user_id=actor.id, org_id=org.id,
                 detail={"change_id": change.id, "fields": [item["field"] for item in diff]})
    return change


def change_history(session: Session, org_id: int) -> list[OrganisationChange]:
    """The organisation's 信息变更, newest first."""
    return list(session.scalars(select(OrganisationChange)
                                .where(OrganisationChange.org_id == org_id)
                                .order_by(OrganisationChange.changed_at.desc(),
                                          OrganisationChange.id.desc())))


def registration_attachments(session: Session, org_id: int) -> list[Attachment]:
    """The 要件 uploaded at registration (attachments of the organisation, not of an order)."""
    return list(session.scalars(select(Attachment)
                                .where(Attachment.org_id == org_id, Attachment.order_id.is_(None))
                                .order_by(Attachment.id)))


@transaction
def set_papers_checked(session: Session, org_id: int, checked: bool, user_id: int) -> Organisation:
    """The fund office records that the paper copies of the registration 要件 were checked."""
    org = get_organisation(session, org_id)
    actor = session.get(PlatformUser, user_id)
    if actor is None or not is_internal_user(actor):
        raise PermissionDenied()
    if org.papers_checked == checked:
        return org
    org.papers_checked = checked
    org.papers_checked_at = utcnow() if checked else None
    org.papers_checked_by_id = actor.id if checked else None
    audit.record(session, "org.papers_checked" if checked else "org.papers_unchecked",
                 "organisation", org.id, user_id=actor.id, org_id=org.id)
    return org
