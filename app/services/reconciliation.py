"""银行对账 (§7): import the bank's statement of a day, match it against the platform's
confirmations, let a clerk resolve each difference, and close the day (日结).

The file is read by app.documents.bank_statement: every row is checked before anything is stored.
Importing the same file again changes nothing; a closed day refuses every change. Entry points own
their transaction.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from contextlib import contextmanager
from typing import Any, Iterable, Iterator, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.documents.bank_statement import parse_statement
from app.errors import Conflict, DomainError, Problem, ValidationFailed
from app.models.base import ZERO, utcnow
from app.models.payment import CHANNELS, NOTICE_PAID, Notice
from app.models.reconciliation import (AMOUNT_DIFFERS, BANK_ONLY, ITEM_OK, ITEM_OPEN, ITEM_RESOLVED,
                                       MATCHED, PLATFORM_ONLY, STATEMENT_CLOSED, BankStatement,
                                       ReconItem, StatementLine)
from app.services.audit import record
from app.services.unit_of_work import unit_of_work
from app.services.payments.confirm import VIA_TELLER, confirm
from app.services.payments.documents import CHANNEL_LABELS

@contextmanager
def _day_unit(session: Session) -> Iterator[None]:
    """One unit of work; a concurrent import of the same day or a stale version is a Conflict."""
    try:
        with unit_of_work(session):
            yield
    except (IntegrityError, StaleDataError) as error:
        raise Conflict() from error


class DayClosed(DomainError):
    status = 409
    default_message = _l("This day is closed: its reconciliation cannot change.")


def _writable(statement: BankStatement) -> None:
    if statement.status == STATEMENT_CLOSED:
        raise DayClosed()


def import_statement(session: Session, day: dt.date, file_name: str, data: bytes,
                     user_id: Optional[int]) -> BankStatement:
    """Store the day's statement and match it. The same file again is a no-op; another file for an
    open day replaces the lines (keeping the notes of differences that are still there)."""
    digest = hashlib.sha256(data).hexdigest()
    existing = session.scalar(select(BankStatement).where(BankStatement.day == day))
    if existing is not None:
        _writable(existing)
        if existing.file_sha256 == digest:
            return existing
    lines = parse_statement(data, file_name, day,
                            {code: str(label) for code, label in CHANNEL_LABELS.items()})
    with _day_unit(session):
        statement = existing or BankStatement(day=day)
        statement.file_name = file_name[:200]
        statement.file_sha256 = digest
        statement.bank_total = sum((line.amount for line in lines), ZERO)
        statement.bank_count = len(lines)
        statement.imported_at = utcnow()
        statement.imported_by_id = user_id
        statement.lines = [StatementLine(row_no=line.row_no, bank_serial=line.bank_serial,
                                         notice_number=line.notice_number, amount=line.amount,
                                         paid_on=line.paid_on, channel=line.channel) for line in lines]
        session.add(statement)
        session.flush()
        _match(session, statement)
        record(session, "reconcile_import", "BankStatement", statement.id, user_id=user_id,
               detail={"day": day.isoformat(), "file": file_name[:200], "lines": len(lines)})
    return statement


def _key(kind: str, serial: Optional[str], notice_id: Optional[int]) -> tuple:
    return kind, serial or "", notice_id or 0


def _match(session: Session, statement: BankStatement) -> None:
    """(Re)build the statement's items from its lines and the notices confirmed for its day."""
    lines = list(statement.lines)
    serials = [line.bank_serial for line in lines]
    numbers = [line.notice_number for line in lines if line.notice_number]
    candidates = list(session.scalars(select(Notice).where(
        Notice.status == NOTICE_PAID,
        or_(Notice.paid_on == statement.day, Notice.bank_serial.in_(serials or [""]),
            Notice.number.in_(numbers or [""])))))
    by_serial = {n.bank_serial: n for n in candidates if n.bank_serial}
    by_number = {n.number: n for n in candidates}
    notes = {_key(i.kind, i.bank_serial, i.notice_id): i for i in statement.items if i.state == ITEM_RESOLVED}
    items: list[ReconItem] = []
    used: set[int] = set()
    for line in lines:
        notice = by_serial.get(line.bank_serial) or (by_number.get(line.notice_number)
                                                     if line.notice_number else None)
        if notice is not None and notice.id in used:
            notice = None  # a second bank line for a notice already matched is the bank's alone
        if notice is None:
            kind = BANK_ONLY
        else:
            used.add(notice.id)
            kind = MATCHED if notice.total == line.amount else AMOUNT_DIFFERS
        items.append(ReconItem(kind=kind, state=ITEM_OK if kind == MATCHED else ITEM_OPEN,
                               bank_serial=line.bank_serial,
                               notice_number=notice.number if notice else line.notice_number,
                               notice_id=notice.id if notice else None, bank_amount=line.amount,
                               platform_amount=notice.total if notice else None))
    for notice in candidates:
        if notice.id not in used and notice.paid_on == statement.day:
            items.append(ReconItem(kind=PLATFORM_ONLY, state=ITEM_OPEN, bank_serial=notice.bank_serial,
                                   notice_number=notice.number, notice_id=notice.id,
                                   platform_amount=notice.total))
    for item in items:
        before = notes.get(_key(item.kind, item.bank_serial, item.notice_id))
        if before is not None:
            item.state, item.note = ITEM_RESOLVED, before.note
            item.resolved_at, item.resolved_by_id = before.resolved_at, before.resolved_by_id
    statement.items = items
    statement.matched_at = utcnow()


def rematch(session: Session, statement: BankStatement, user_id: Optional[int]) -> BankStatement:
    """Match again (after a missing payment was confirmed); resolved notes stay with their items."""
    _writable(statement)
    with _day_unit(session):
        _match(session, statement)
    return statement


def resolve(session: Session, statement: BankStatement, item_id: int, note: str,
            user_id: Optional[int]) -> ReconItem:
    """Explain one difference with a note; it then no longer keeps the day open."""
    _writable(statement)
    item = next((i for i in statement.items if i.id == item_id and i.state != ITEM_OK), None)
    if item is None:
        raise DomainError(_l("This difference does not exist."))
    note = (note or "").strip()
    if not note:
        raise ValidationFailed(problems=[Problem("note", _l("Write what was found out."))])
    with _day_unit(session):
        item.state, item.note = ITEM_RESOLVED, note[:2000]
        item.resolved_at, item.resolved_by_id = utcnow(), user_id
        record(session, "reconcile_resolve", "ReconItem", item.id, user_id=user_id,
               detail={"day": statement.day.isoformat(), "kind": item.kind, "note": note[:200]})
    return item


def confirm_missing(session: Session, statement: BankStatement, item_id: int,
                    user_id: Optional[int]) -> ReconItem:
    """Confirm, from the bank's line, the payment of a notice the platform has not confirmed yet."""
    _writable(statement)
    item = next((i for i in statement.items if i.id == item_id and i.kind == BANK_ONLY), None)
    line = next((ln for ln in statement.lines if item and ln.bank_serial == item.bank_serial), None)
    if item is None or line is None or not line.notice_number:
        raise DomainError(_l("Only a bank line with a notice number can be confirmed from here."))
    with _day_unit(session):  # the payment and the new match, or neither
        confirm(session, line.notice_number, line.bank_serial, line.channel or CHANNELS[0],
                line.paid_on.isoformat(), str(line.amount), user_id, via=VIA_TELLER)
        rematch(session, statement, user_id)
    return next(i for i in statement.items if i.bank_serial == line.bank_serial)


def close_day(session: Session, statement: BankStatement, user_id: Optional[int]) -> BankStatement:
    """日结: allowed only when every difference is resolved; afterwards the day cannot change."""
    _writable(statement)
    open_items = [i for i in statement.items if i.state == ITEM_OPEN]
    if open_items:
        raise DomainError(_l("%(count)s differences are still open; resolve them before closing the day.",
                             count=len(open_items)))
    with _day_unit(session):
        statement.status = STATEMENT_CLOSED
        statement.closed_at, statement.closed_by_id = utcnow(), user_id
        record(session, "reconcile_close", "BankStatement", statement.id, user_id=user_id,
               detail={"day": statement.day.isoformat()})
    return statement


def summary(items: Iterable[ReconItem]) -> dict[str, dict[str, Any]]:
    """Count, amounts and open count per kind, for the four lists' headings."""
    result = {kind: {"count": 0, "bank": ZERO, "platform": ZERO, "open": 0}
              for kind in (MATCHED, BANK_ONLY, PLATFORM_ONLY, AMOUNT_DIFFERS)}
    for item in items:
        entry = result[item.kind]
        entry["count"] += 1
        entry["bank"] += item.bank_amount or ZERO
        entry["platform"] += item.platform_amount or ZERO
        entry["open"] += item.state == ITEM_OPEN
    return result


__all__ = ["DayClosed", "close_day", "confirm_missing", "import_statement", "parse_statement",
           "rematch", "resolve", "summary"]
