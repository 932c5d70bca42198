"""Owners (业主) of a house, as the 业主交款列表 dialog edits them (§1.4.2).

Every field is required there (name, ID type, ID number, phone) and validated; the whole list of
a house is replaced at once, audited with before and after.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Mapping, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.validators import (normalise_id_number, normalise_phone, normalise_text,
                                   person_problems)
from app.errors import InvalidTransition, Problem, ValidationFailed
from app.models.audit import AuditLog
from app.models.property import HOUSE_OPEN, House, Owner
from app.services.audit import record
from app.services.unit_of_work import transaction

MAX_OWNERS = 20


@dataclass(frozen=True)
class OwnerData:
    """One owner as entered: every field already normalised."""

    name: str
    id_type: str
    id_no: str
    phone: str
    #: 份额 in percent, where the owners' shares are recorded (房屋权属批量变更); optional.
    share: Optional[Decimal] = None

    def as_dict(self) -> dict[str, str]:
        data = {"name": self.name, "id_type": self.id_type, "id_no": self.id_no, "phone": self.phone}
        if self.share is not None:
            data["share"] = f"{self.share:.2f}"
        return data


def owner_dict(owner: Owner) -> dict[str, Any]:
    return {"id": owner.id, "name": owner.name, "id_type": owner.id_type, "id_no": owner.id_no,
            "phone": owner.phone or ""}


def parse_owners(items: Iterable[Mapping[str, Any]]) -> list[OwnerData]:
    """Normalise and validate a list of owners; every problem is reported as "row.field"."""
    problems: list[Problem] = []
    owners: list[OwnerData] = []
    seen: dict[tuple[str, str], int] = {}
    items = list(items)
    if not items:
        raise ValidationFailed(_l("Enter at least one owner."))
    if len(items) > MAX_OWNERS:
        raise ValidationFailed(_l("A house can have at most %(n)d owners.", n=MAX_OWNERS))
    for row, item in enumerate(items, start=1):
        name = normalise_text(item.get("name"))
        id_type = normalise_text(item.get("id_type"))
        id_no = normalise_id_number(item.get("id_no"))
        phone = normalise_phone(item.get("phone"))
        for field, message in person_problems(name, phone, id_type, id_no):
            problems.append(Problem(field, message, row=row, value=item.get(field) or None))
        key = (id_type, id_no)
        if id_no and key in seen:
            problems.append(Problem("id_no", _l("The same person is listed twice (row %(other)d).",
                                                other=seen[key]), row=row))
        seen.setdefault(key, row)
        share, share_problem = _share(item.get("share"))
        if share_problem is not None:
            problems.append(Problem("share", share_problem, row=row, value=item.get("share")))
        owners.append(OwnerData(name, id_type, id_no, phone, share))
    shares = [o.share for o in owners if o.share is not None]
    if shares and sum(shares) > 100:
        problems.append(Problem("share", _l("The owners' shares add up to more than 100 percent.")))
    if problems:
        raise ValidationFailed(problems=problems)
    return owners


def _share(value: Any) -> tuple[Optional[Decimal], Optional[Any]]:
    """An owner's share in percent (empty: not recorded), or why it cannot be one."""
    text = normalise_text(value).rstrip("%")
    if not text:
        return None, None
    try:
        share = Decimal(text)
    except InvalidOperation:
        share = None
    if share is None or not share.is_finite() or not 0 < share <= 100 \
            or share != share.quantize(Decimal("0.01")):
        return None, _l("Enter the share as a percentage above 0 and at most 100, "
                        "with at most 2 decimals.")
    return share.quantize(Decimal("0.01")), None


@transaction
def replace_owners(session: Session, house: House, items: Iterable[Mapping[str, Any]], *,
                   user_id: Optional[int]) -> House:
    """Replace the owners of ``house`` with ``items`` (validated first; commits)."""
    owners = parse_owners(items)
    if house.status != HOUSE_OPEN:
        raise InvalidTransition(_l("The house account is cancelled or closed."))
    if house.locked_by_order_id:
        raise InvalidTransition(_l("The house is held by an unfinished business order."))
    before = [owner_dict(o) for o in house.owners]
    house.owners = [Owner(org_id=house.org_id, seq=i, name=o.name, id_type=o.id_type,
                          id_no=o.id_no, phone=o.phone) for i, o in enumerate(owners, start=1)]
    record(session, "house.owners", "House", house.id, user_id=user_id, org_id=house.org_id,
           detail={"before": before, "after": [o.as_dict() for o in owners]})
    return house


@dataclass(frozen=True)
class OwnershipPeriod:
    """Who owned a house from when until when, and the order that ended it (if any)."""

    owners: list[dict[str, Any]]
    since: Optional[dt.datetime]
    until: dt.datetime
    order_number: str


def ownership_history(session: Session, house: House) -> list[OwnershipPeriod]:
    """The house's earlier owners, newest first, read from the audit of every owner replacement
    (房屋权属批量变更 and the 业主交款列表 dialog both audit the list before and after)."""
    rows = session.scalars(select(AuditLog).where(
        AuditLog.action == "house.owners", AuditLog.object_type == "House",
        AuditLog.object_id == house.id).order_by(AuditLog.at, AuditLog.id)).all()
    periods = []
    since = house.opened_at
    for row in rows:
        detail = row.detail or {}
        periods.append(OwnershipPeriod(owners=list(detail.get("before") or []), since=since,
                                       until=row.at, order_number=str(detail.get("order") or "")))
        since = row.at
    return periods[::-1]
