"""Creating and editing draft orders (and rejected ones, which the developer corrects).

The order-level fields every business has (the agent 经办人 and the reason) are handled here; the
business's own header fields go through its handler (``read_fields`` / ``apply_fields``). "Save" and
"save and submit" are one call each, in one unit of work: a refused submit leaves no new draft.
A business completed on saving (no review) is applied in the same unit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.domain.validators import normalise_id_number, normalise_phone, normalise_text
from app.errors import Conflict, Problem, ValidationFailed
from app.models.order import BusinessOrder
from app.services.orders import staging, workflow
from app.services.orders.types import handler_for
from app.services.unit_of_work import unit_of_work


@dataclass
class AgentInput:
    """经办人 as typed in the form."""

    name: str = ""
    phone: str = ""
    id_type: str = "01"
    id_no: str = ""

    @classmethod
    def read(cls, source: Mapping[str, Any]) -> "AgentInput":
        """From a form (``agent_name`` …) or a JSON object (``{"agent": {"name": …}}``)."""
        nested = source.get("agent")
        if isinstance(nested, Mapping):
            return cls(name=str(nested.get("name") or ""), phone=str(nested.get("phone") or ""),
                       id_type=str(nested.get("id_type") or "01"),
                       id_no=str(nested.get("id_no") or ""))
        return cls(name=str(source.get("agent_name") or ""),
                   phone=str(source.get("agent_phone") or ""),
                   id_type=str(source.get("agent_id_type") or "01"),
                   id_no=str(source.get("agent_id_no") or ""))


@dataclass
class DraftInput:
    """A draft's fields: the common ones and the business's own (``fields``, see its handler)."""

    agent: AgentInput = field(default_factory=AgentInput)
    reason: Optional[str] = None
    fields: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def read(cls, source: Mapping[str, Any]) -> "DraftInput":
        reason = source.get("reason")
        return cls(agent=AgentInput.read(source), reason=None if reason is None else str(reason),
                   fields=source)


#: What to do after saving: nothing, submit to the fund office, or complete (no-review businesses).
SAVE = "save"
SUBMIT = "submit"


def save_draft(session: Session, user: Any, order_type: str, data: DraftInput, *,
               order_id: Optional[int] = None, expected_version: Optional[int] = None,
               then: str = SAVE, incoming: Any = None, refuse_blank: bool = False
               ) -> BusinessOrder:
    """Create a draft (no ``order_id``) or update an editable order, then submit it if asked.

    ``incoming`` (an ``intake.Incoming``) are new houses to stage with the save. Format problems
    refuse the save; problems of the houses or of the submit refuse everything, so nothing is
    stored. A business that needs no review is completed by every save.
    """
    if order_id is None:
        if refuse_blank and incoming is None and _blank(handler_for(order_type).read_fields(data.fields)):
            # An order is numbered only once it holds something (no empty drafts piling up).
            raise ValidationFailed(_l("Fill in the form first: an empty order is not saved."), [])
        return workflow.with_number_retry(
            session, lambda: _save(session, user, order_type, data, None, None, then, incoming))
    return _save(session, user, order_type, data, order_id, expected_version, then, incoming)


def _save(session: Session, user: Any, order_type: str, data: DraftInput,
          order_id: Optional[int], expected_version: Optional[int], then: str,
          incoming: Any) -> BusinessOrder:
    handler = handler_for(order_type)
    with unit_of_work(session):
        if order_id is None:
            order = workflow.create_order(session, user, order_type, org_id=user.org_id)
        else:
            order = workflow.load_for_update(session, order_id)
            workflow.check_may(order, "edit", user)
            if expected_version is not None and order.version != expected_version:
                raise Conflict(_l("Order %(number)s was changed in another window. Reload it and "
                                  "enter your changes again.", number=order.number))
        problems = _apply_common(order, data)
        problems += handler.apply_fields(session, user, order, handler.read_fields(data.fields))
        problems += handler.draft_problems(session, order)
        if problems:
            raise ValidationFailed(_l("Please correct the marked fields."), problems)
        session.flush()
        if incoming is not None:
            _stage_incoming(session, user, order, incoming)
        if not handler.needs_review:
            workflow.complete(session, order.id, user)
        elif then == SUBMIT:
            workflow.submit(session, order.id, user)
        return order


def _blank(values: Any) -> bool:
    if isinstance(values, Mapping):
        return all(_blank(v) for v in values.values())
    return values in (None, "")


def _stage_incoming(session: Session, user: Any, order: BusinessOrder, incoming: Any) -> None:
    from app.services.orders import intake

    problems = intake.incoming_problems(session, order, incoming)
    if problems:
        raise ValidationFailed(_l("%(n)d houses cannot join this order.", n=len(problems)),
                               [Problem(label, reason) for _i, label, reason in problems])
    intake.stage(session, order.id, user, incoming)


def _apply_common(order: BusinessOrder, data: DraftInput) -> list[Problem]:
    order.agent_name = normalise_text(data.agent.name) or None
    order.agent_phone = normalise_phone(data.agent.phone) or None
    order.agent_id_type = normalise_text(data.agent.id_type) or "01"
    order.agent_id_no = normalise_id_number(data.agent.id_no) or None
    order.reason = normalise_text(data.reason) or None
    return []


def delete_draft(session: Session, order_id: int, user: Any, upload_folder: str) -> str:
    """Delete a draft that was never submitted, with its lines, files and jobs; returns its number.

    The number stays unused (order numbers are never reissued); the audit log keeps the deletion.
    """
    from app.models.order import Attachment, OrderJob, OrderLine
    from app.services.attachments import attachment_file_path, remove_stored_files
    from app.services.audit import record
    from app.services.orders.intake import marked_copy_path

    with unit_of_work(session):
        order = workflow.load_for_update(session, order_id)
        workflow.check_may(order, "delete", user)
        files = [attachment_file_path(a, upload_folder) for a in session.scalars(
            select(Attachment).where(Attachment.order_id == order.id))]
        files += [marked_copy_path(name, upload_folder) for name in session.scalars(
            select(OrderJob.result_name).where(OrderJob.order_id == order.id,
                                               OrderJob.result_name.is_not(None)))]
        for model in (OrderLine, OrderJob, Attachment):
            session.execute(delete(model).where(model.order_id == order.id)
                            .execution_options(synchronize_session=False))
        number = order.number
        record(session, "order_deleted", "BusinessOrder", order.id, user_id=user.id,
               org_id=order.org_id, detail={"number": number, "type": order.type})
        session.delete(order)
    remove_stored_files(files)
    return number


def pick_rows(session: Session, order_id: int, user: Any, ids: Iterable[Any]) -> int:
    """Add existing rows of the register (picked in the dialog) to an editable order."""
    wanted = _ids(ids)
    with unit_of_work(session):
        order = workflow.load_for_update(session, order_id)
        workflow.check_may(order, "edit", user)
        if not wanted:
            raise ValidationFailed(_l("Tick at least one row."), [])
        return handler_for(order.type).pick(session, user, order, wanted)


def modify_lines(session: Session, order_id: int, user: Any, seqs: Optional[Iterable[Any]],
                 values: Mapping[str, Any]) -> int:
    """批量修改 of the given lines (all lines when ``seqs`` is None), or one line's new values."""
    with unit_of_work(session):
        order = workflow.load_for_update(session, order_id)
        workflow.check_may(order, "edit", user)
        chosen = None if seqs is None else _ids(seqs)
        return handler_for(order.type).modify(session, user, order, chosen, dict(values))


def _ids(values: Iterable[Any]) -> list[int]:
    result = []
    for value in values if isinstance(values, (list, tuple)) else []:
        try:
            number = int(str(value))
        except ValueError:
            continue
        if 0 < number < 2**31:
            result.append(number)
    return sorted(set(result))


def remove_lines(session: Session, order_id: int, user: Any,
                 seqs: Optional[Iterable[int]] = None) -> int:
    """Take staged lines out of an editable order (all of them when ``seqs`` is None)."""
    with unit_of_work(session):
        order = workflow.load_for_update(session, order_id)
        workflow.check_may(order, "edit", user)
        removed = staging.delete_lines(session, order.id, seqs)
        if seqs is None:
            payload = dict(order.payload or {})
            payload["trade_project_ids"] = []
            order.payload = payload
        return removed


def add_attachment(session: Session, order_id: int, user: Any, *, kind: str, filename: str,
                   data: bytes, upload_folder: str, max_mb: int,
                   allowed: Iterable[str] = ("pdf", "jpg", "jpeg", "png")) -> Any:
    """Attach a 要件 file to an editable order (validated by type and size, stored, committed)."""
    from app.models.codes import KIND_ATTACHMENT
    from app.services.attachments import (attachment_file_path, remove_stored_files,
                                          store_attachment, validate_upload)
    from app.services.reference import code_map

    stored: list[Any] = []
    try:
        with unit_of_work(session):
            order = workflow.load_for_update(session, order_id)
            workflow.check_may(order, "edit", user)
            problems = []
            if kind not in code_map(session, KIND_ATTACHMENT):
                problems.append(Problem("kind", _l("Choose the kind of document.")))
            problem = validate_upload(filename, data, max_mb=max_mb, allowed=allowed)
            if problem is not None:
                problems.append(problem)
            if problems:
                raise ValidationFailed(_l("The file was not attached."), problems)
            attachment = store_attachment(session, org_id=order.org_id, kind=kind,
                                          filename=filename, data=data,
                                          upload_folder=upload_folder, order_id=order.id,
                                          user_id=user.id)
            stored.append(attachment_file_path(attachment, upload_folder))
    except BaseException:
        remove_stored_files(stored)  # no orphan file when the row was not committed
        raise
    return attachment


def remove_attachment(session: Session, order_id: int, attachment_id: int, user: Any,
                      upload_folder: str) -> None:
    """Take a file off an editable order; the file goes once the row is gone."""
    from app.errors import NotFound
    from app.models.order import Attachment
    from app.services.attachments import attachment_file_path, remove_stored_files

    with unit_of_work(session):
        order = workflow.load_for_update(session, order_id)
        workflow.check_may(order, "edit", user)
        attachment = session.get(Attachment, attachment_id)
        if attachment is None or attachment.order_id != order.id:
            raise NotFound()
        path = attachment_file_path(attachment, upload_folder)
        session.delete(attachment)
    remove_stored_files([path])
