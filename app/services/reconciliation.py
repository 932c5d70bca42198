"""银行对账 (§7): import the bank's statement of a day, match it against the platform's
confirmations, let a clerk resolve each difference, and close the day (日结).

Columns are found by their header text in any order (as in the house template), in .xlsx/.xls or
CSV (UTF-8 or GBK). Every row is checked before anything is stored; importing the same file again
changes nothing; a closed day refuses every change. Entry points own their transaction.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.documents.excel.columns import CellInvalid, Column, ColumnType, code_key, make_parser
from app.documents.excel.errors import ExcelFileError
from app.documents.excel.reader import find_header, load_sheet
from app.errors import Conflict, DomainError, Problem, ValidationFailed
from app.models.base import ZERO, utcnow
from app.models.payment import CHANNELS, NOTICE_PAID, Notice
from app.models.reconciliation import (AMOUNT_DIFFERS, BANK_ONLY, ITEM_OK, ITEM_OPEN, ITEM_RESOLVED,
                                       MATCHED, PLATFORM_ONLY, STATEMENT_CLOSED, BankStatement,
                                       ReconItem, StatementLine)
from app.services.audit import record
from app.services.payments.confirm import VIA_TELLER, confirm
from app.services.payments.documents import CHANNEL_LABELS

MAX_ROWS = 20_000
MAX_CSV_BYTES = 10 * 1024 * 1024
#: Other names banks print for our channels.
CHANNEL_ALIASES = {"专户银行": "bank", "银行柜台": "bank", "柜台": "bank", "侨都之窗": "qiaodu",
                   "pos": "pos", "维修资金专用pos": "pos", "POS": "pos"}


def _commit_or_conflict(session: Session) -> None:
    """Commit; a concurrent import of the same day or a stale version becomes a Conflict (409)."""
    try:
        session.commit()
    except (IntegrityError, StaleDataError) as error:
        session.rollback()
        raise Conflict() from error


class DayClosed(DomainError):
    status = 409
    default_message = _l("This day is closed: its reconciliation cannot change.")


def statement_columns() -> list[Column]:
    return [
        Column(str(_l("Bank serial")), "bank_serial", ColumnType.TEXT, required=True, max_length=60),
        Column(str(_l("Notice number")), "notice_number", ColumnType.TEXT, max_length=24),
        Column(str(_l("Amount")), "amount", ColumnType.DECIMAL, required=True, minimum=Decimal("0.01"),
               money=True),
        Column(str(_l("Date")), "paid_on", ColumnType.TEXT, required=True),
        Column(str(_l("Channel")), "channel", ColumnType.TEXT),
    ]


#: Header texts accepted besides the English/Chinese labels above (what banks print).
HEADER_ALIASES = {
    "bank_serial": ("银行流水号", "流水号", "交易流水号"), "notice_number": ("通知单号", "交款通知单号"),
    "amount": ("金额", "交易金额", "交款金额"), "paid_on": ("日期", "交易日期", "交款日期"),
    "channel": ("渠道", "交款渠道"),
}


@dataclass
class ParsedLine:
    row_no: int
    bank_serial: str
    notice_number: Optional[str]
    amount: Decimal
    paid_on: dt.date
    channel: Optional[str]


def _table_of(data: bytes, file_name: str) -> list[list[Any]]:
    """The file's first sheet (or the CSV) as rows of cells."""
    if file_name.lower().endswith(".csv") or not data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        if not file_name.lower().endswith(".csv"):
            raise ExcelFileError(_l("Upload the statement as an Excel (.xlsx, .xls) or CSV file."))
        if len(data) > MAX_CSV_BYTES:
            raise ExcelFileError(_l("The file is too large."))
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ExcelFileError(_l("The CSV file is neither UTF-8 nor GBK text."))
        rows = list(csv.reader(io.StringIO(text)))
        if len(rows) > MAX_ROWS + 10:
            raise ExcelFileError(_l("The file has more than %(max)s rows.", max=MAX_ROWS))
        return [[cell.strip() for cell in row] for row in rows]
    sheet = load_sheet(data, max_rows=MAX_ROWS)
    return sheet.table


def _with_aliases(table: list[list[Any]], columns: list[Column]) -> list[list[Any]]:
    """Rename alias headers to the column headers so the shared header finder sees them."""
    known = {code_key(alias).strip("*"): c.header for c in columns
             for alias in HEADER_ALIASES.get(c.key, ())}
    return [[known.get(code_key(cell).strip("*"), cell) if isinstance(cell, str) and cell else cell
             for cell in row] if index < 10 else row for index, row in enumerate(table)]


_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]?\s*(\d{1,2})\s*[-/.月]?\s*(\d{1,2})\s*日?(?:[\sT].*)?$")


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    match = _DATE_RE.match(str(value).strip())
    if match:
        try:
            return dt.date(*(int(g) for g in match.groups()))
        except ValueError:
            pass
    raise CellInvalid(_l("Enter a date as YYYY-MM-DD."))


def _channel(value: Optional[str]) -> Optional[str]:
    if not value:
        return None
    if value in CHANNELS:
        return value
    labels = {code_key(str(label)): code for code, label in CHANNEL_LABELS.items()}
    found = CHANNEL_ALIASES.get(value) or CHANNEL_ALIASES.get(value.lower()) or labels.get(code_key(value))
    if found is None:
        raise CellInvalid(_l("Unknown channel; use the special-account bank, Qiaodu Window or POS."))
    return found


def parse_statement(data: bytes, file_name: str, day: dt.date) -> list[ParsedLine]:
    """Every line of the statement, or a ValidationFailed naming each bad cell (row and column)."""
    columns = statement_columns()
    table = _with_aliases(_table_of(data, file_name), columns)
    if not any(str(cell).strip() for row in table for cell in row):
        raise ExcelFileError(_l("The file is empty."))
    header_row, positions = find_header(table, columns, "1")
    parsers = {c.key: make_parser(c) for c in columns}
    problems: list[Problem] = []
    lines: list[ParsedLine] = []
    seen: dict[str, int] = {}
    for index, cells in enumerate(table[header_row + 1:], start=header_row + 2):
        raw = {key: (cells[pos] if pos < len(cells) else "") for key, pos in positions.items()}
        if not any(str(v).strip() for v in raw.values() if v is not None):
            continue
        values: dict[str, Any] = {}
        for column in columns:
            try:
                cell = raw[column.key]
                if column.key == "paid_on":  # a date cell, or text in one of the usual forms
                    value = None if cell in (None, "") else _date(cell)
                else:
                    value = parsers[column.key](cell)
                if value is None and column.required:
                    raise CellInvalid(_l("Required."))
                if column.key == "paid_on" and value is not None:
                    if value != day:
                        raise CellInvalid(_l("The statement is for %(day)s; this row is dated %(date)s.",
                                             day=day.isoformat(), date=value.isoformat()))
                if column.key == "channel":
                    value = _channel(value)
                values[column.key] = value
            except CellInvalid as error:
                problems.append(Problem(column.header, error.reason, row=index,
                                        value=raw[column.key] or None))
        serial = values.get("bank_serial")
        if serial and serial in seen:
            problems.append(Problem(columns[0].header, _l("The same bank serial is on row %(row)s too.",
                                                          row=seen[serial]), row=index, value=serial))
        elif serial:
            seen[serial] = index
        if len(values) == len(columns) and not problems:
            lines.append(ParsedLine(index, **values))
    if problems:
        raise ValidationFailed(_l("The statement was not imported: correct the marked cells."), problems)
    if not lines:
        raise ValidationFailed(_l("The statement has no transactions."),
                               [Problem(columns[0].header, _l("Required."))])
    return lines


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
    lines = parse_statement(data, file_name, day)
    try:
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
        _commit_or_conflict(session)
    except (IntegrityError, StaleDataError) as error:
        session.rollback()
        raise Conflict() from error
    except Exception:
        session.rollback()
        raise
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
    try:
        _match(session, statement)
        _commit_or_conflict(session)
    except Exception:
        session.rollback()
        raise
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
    try:
        item.state, item.note = ITEM_RESOLVED, note[:2000]
        item.resolved_at, item.resolved_by_id = utcnow(), user_id
        record(session, "reconcile_resolve", "ReconItem", item.id, user_id=user_id,
               detail={"day": statement.day.isoformat(), "kind": item.kind, "note": note[:200]})
        session.commit()
    except Exception:
        session.rollback()
        raise
    return item


def confirm_missing(session: Session, statement: BankStatement, item_id: int,
                    user_id: Optional[int]) -> ReconItem:
    """Confirm, from the bank's line, the payment of a notice the platform has not confirmed yet."""
    _writable(statement)
    item = next((i for i in statement.items if i.id == item_id and i.kind == BANK_ONLY), None)
    line = next((ln for ln in statement.lines if item and ln.bank_serial == item.bank_serial), None)
    if item is None or line is None or not line.notice_number:
        raise DomainError(_l("Only a bank line with a notice number can be confirmed from here."))
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
    try:
        statement.status = STATEMENT_CLOSED
        statement.closed_at, statement.closed_by_id = utcnow(), user_id
        record(session, "reconcile_close", "BankStatement", statement.id, user_id=user_id,
               detail={"day": statement.day.isoformat()})
        _commit_or_conflict(session)
    except Exception:
        session.rollback()
        raise
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
           "rematch", "resolve", "statement_columns", "summary"]
