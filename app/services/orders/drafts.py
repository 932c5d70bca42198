"""Creating and editing draft orders (and rejected ones, which the developer corrects)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app.domain.validators import normalise_id_number, normalise_phone, normalise_text
from app.errors import Conflict, Problem, ValidationFailed
from app.models.order import HOUSE_SUPPLEMENT, BusinessOrder
from app.models.property import PropertyArea
from app.security.tenant import Scope
from app.services.orders import staging, workflow
from app.services.orders.types import handler_for
from app.services.orders.types.area_collect import AREA_FIELDS


@dataclass
class AgentInput:
    """经办人 as typed in the form."""

    name: str = ""
    phone: str = ""
    id_type: str = "01"
    id_no: str = ""


@dataclass
class DraftInput:
    """The order-level fields of a draft; which ones count depends on the business."""

    agent: AgentInput = field(default_factory=AgentInput)
    reason: Optional[str] = None
    area_id: Optional[int] = None
    area: dict[str, Any] = field(default_factory=dict)
    deposit_time_point: Optional[str] = None


def _clean_area(values: dict[str, Any]) -> dict[str, Any]:
    cleaned = {}
    for key in AREA_FIELDS:
        value = normalise_text(values.get(key))
        cleaned[key] = normalise_phone(value) if key == "contact_phone" else value
    return cleaned


def _date_problem(text: Optional[str]) -> Optional[Problem]:
    if not text:
        return None
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return Problem("deposit_time_point", _l("Enter a date such as 2026-01-31."))
    return None


def save_draft(session: Session, user: Any, order_type: str, data: DraftInput, *,
               order_id: Optional[int] = None, expected_version: Optional[int] = None
               ) -> BusinessOrder:
    """Create a draft (no ``order_id``) or update an editable order; format problems refuse it."""
    if order_id is None:
        return workflow.with_number_retry(
            session, lambda: _save(session, user, order_type, data, None, None))
    return _save(session, user, order_type, data, order_id, expected_version)


def _save(session: Session, user: Any, order_type: str, data: DraftInput,
          order_id: Optional[int], expected_version: Optional[int]) -> BusinessOrder:
    handler = handler_for(order_type)
    try:
        if order_id is None:
            order = workflow.create_order(session, user, order_type, org_id=user.org_id)
        else:
            order = workflow.load_for_update(session, order_id)
            workflow.check_may(order, "edit", user)
            if expected_version is not None and order.version != expected_version:
                raise Conflict(_l("Order %(number)s was changed in another window. Reload it and "
                                  "enter your changes again.", number=order.number))
        problems = _apply_input(session, user, order, data)
        problems += handler.draft_problems(session, order)
        if problems:
            raise ValidationFailed(_l("Please correct the marked fields."), problems)
        session.commit()
        return order
    except BaseException:
        session.rollback()
        raise


def _apply_input(session: Session, user: Any, order: BusinessOrder, data: DraftInput
                 ) -> list[Problem]:
    problems: list[Problem] = []
    order.agent_name = normalise_text(data.agent.name) or None
    order.agent_phone = normalise_phone(data.agent.phone) or None
    order.agent_id_type = normalise_text(data.agent.id_type) or "01"
    order.agent_id_no = normalise_id_number(data.agent.id_no) or None
    order.reason = normalise_text(data.reason) or None
    payload = dict(order.payload or {})
    if order.type == HOUSE_SUPPLEMENT:
        area = session.get(PropertyArea, data.area_id) if data.area_id else None
        if data.area_id and (area is None or not Scope.for_user(user).allows(area)):
            problems.append(Problem("area_id", _l("Choose one of your property areas.")))
        elif order.area_id and area is not None and area.id != order.area_id \
                and staging.count_lines(session, order.id):
            problems.append(Problem("area_id", _l("Remove the houses first to choose another "
                                                  "property area.")))
        else:
            order.area_id = area.id if area is not None else None
    else:
        payload["area"] = {**(payload.get("area") or {}), **_clean_area(data.area)}
    problem = _date_problem(data.deposit_time_point)
    if problem is not None:
        problems.append(problem)
    else:
        payload["deposit_time_point"] = data.deposit_time_point or None
    order.payload = payload
    return problems


def remove_lines(session: Session, order_id: int, user: Any,
                 seqs: Optional[Iterable[int]] = None) -> int:
    """Take staged lines out of an editable order (all of them when ``seqs`` is None)."""
    try:
        order = workflow.load_for_update(session, order_id)
        workflow.check_may(order, "edit", user)
        removed = staging.delete_lines(session, order.id, seqs)
        if seqs is None:
            payload = dict(order.payload or {})
            payload["trade_project_ids"] = []
            order.payload = payload
        session.commit()
        return removed
    except BaseException:
        session.rollback()
        raise


def add_attachment(session: Session, order_id: int, user: Any, *, kind: str, filename: str,
                   data: bytes, upload_folder: str, max_mb: int,
                   allowed: Iterable[str] = ("pdf", "jpg", "jpeg", "png")) -> Any:
    """Attach a 要件 file to an editable order (validated by type and size, stored, committed)."""
    from app.models.codes import KIND_ATTACHMENT
    from app.services.attachments import (attachment_file_path, remove_stored_files,
                                          store_attachment, validate_upload)
    from app.services.reference import code_map

    order = workflow.load_for_update(session, order_id)
    try:
        workflow.check_may(order, "edit", user)
        problems = []
        if kind not in code_map(session, KIND_ATTACHMENT):
            problems.append(Problem("kind", _l("Choose the kind of document.")))
        problem = validate_upload(filename, data, max_mb=max_mb, allowed=allowed)
        if problem is not None:
            problems.append(problem)
        if problems:
            raise ValidationFailed(_l("The file was not attached."), problems)
        attachment = store_attachment(session, org_id=order.org_id, kind=kind, filename=filename,
                                      data=data, upload_folder=upload_folder, order_id=order.id,
                                      user_id=user.id)
    except BaseException:
        session.rollback()
        raise
    path = attachment_file_path(attachment, upload_folder)
    try:
        session.commit()
    except BaseException:
        session.rollback()
        remove_stored_files([path])
        raise
    return attachment


def remove_attachment(session: Session, order_id: int, attachment_id: int, user: Any,
                      upload_folder: str) -> None:
    """Take a file off an editable order; the file goes once the row is gone."""
    from app.errors import NotFound
    from app.models.order import Attachment
    from app.services.attachments import attachment_file_path, remove_stored_files

    order = workflow.load_for_update(session, order_id)
    try:
        workflow.check_may(order, "edit", user)
        attachment = session.get(Attachment, attachment_id)
        if attachment is None or attachment.order_id != order.id:
            raise NotFound()
        path = attachment_file_path(attachment, upload_folder)
        session.delete(attachment)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    remove_stored_files([path])
