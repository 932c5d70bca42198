"""Bank confirmation of a notice: credit every house on it, once.

Idempotent by bank serial number: the same serial confirming the same notice again returns the
first result and books nothing; a serial already used for another notice is refused. Two
confirmations at the same moment serialise on the notice row (``SELECT … FOR UPDATE`` on
PostgreSQL); the notice's version column and the ledger's unique (notice, house, kind) are the
second and third guards, so no path counts a payment twice. A confirmation reversed (冲正, see
reversal.py) puts the notice back to unpaid; the next confirmation books the notice's next round.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from app.domain.localtime import local_today
from app.domain.money import to_exact_money
from app.domain.numbering import parse_notice_number
from app.errors import Conflict, InvalidTransition, NotFound, Problem, ValidationFailed
from app.models.base import ZERO, utcnow
from app.models.outbox import PRIORITY_URGENT
from app.models.payment import CHANNELS, NOTICE_PAID, NOTICE_UNPAID, NOTICE_VOID, Notice, NoticeLine
from app.models.reversal import REVERSAL_APPROVED, PaymentReversal
from app.services.audit import record
from app.services.ledger import book_deposit
from app.services.outbox import enqueue_deposit_pushes
from app.services.unit_of_work import unit_of_work

VIA_TELLER = "teller"
VIA_API = "api"
#: A bank serial number (also a bank's reversal serial): letters, digits and - _ . /
SERIAL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_./-]{0,59}\Z", re.ASCII)


class NoticeNotFound(NotFound):
    default_message = _l("There is no notice with this number.")


class NoticeVoid(InvalidTransition):
    default_message = _l("This notice is void and cannot be paid.")


class NoticeAlreadyPaid(Conflict):
    default_message = _l("This notice has already been paid.")


class SerialAlreadyUsed(Conflict):
    default_message = _l("This bank serial number has already been used for another payment.")


@dataclass(frozen=True)
class ConfirmResult:
    """The paid notice; ``replayed`` when this exact confirmation had already been recorded."""

    notice: Notice
    replayed: bool


def normalise_notice_number(value: Any) -> str:
    return "".join(unicodedata.normalize("NFKC", str(value or "")).split()).upper()


def normalise_serial(value: Any) -> str:
    return unicodedata.normalize("NFKC", str(value or "")).strip()


def serial_problem(serial: str, field: str) -> Optional[Problem]:
    """What is wrong with a (normalised) bank serial number entered in ``field``, if anything."""
    if not serial:
        return Problem(field, _l("The bank serial number is required."))
    if not SERIAL_RE.match(serial):
        return Problem(field, _l("The bank serial number may hold at most 60 letters, digits and "
                                 "- _ . /"), value=serial)
    return None


def _parse(notice_number: Any, bank_serial: Any, channel: Any, paid_on: Any, amount: Any
           ) -> tuple[str, str, str, dt.date, Decimal]:
    """Validate every input, reporting all problems together."""
    problems: list[Problem] = []
    number = normalise_notice_number(notice_number)
    message = parse_notice_number(number)
    if message is not None:
        problems.append(Problem("notice_number", message, value=number or None))
    serial = normalise_serial(bank_serial)
    problem = serial_problem(serial, "bank_serial")
    if problem is not None:
        problems.append(problem)
    if channel not in CHANNELS:
        problems.append(Problem("channel", _l("Choose the payment channel.")))
    day: Optional[dt.date] = None
    if isinstance(paid_on, dt.datetime):
        day = paid_on.date()
    elif isinstance(paid_on, dt.date):
        day = paid_on
    elif isinstance(paid_on, str) and paid_on.strip():
        try:
            day = dt.date.fromisoformat(paid_on.strip())
        except ValueError:
            problems.append(Problem("paid_on", _l("The payment date must be a date such as 2026-03-01."),
                                    value=paid_on))
    else:
        problems.append(Problem("paid_on", _l("The payment date is required.")))
    if day is not None and day > local_today():
        problems.append(Problem("paid_on", _l("The payment date cannot be in the future."), value=day))
    value: Optional[Decimal] = None
    try:
        value = to_exact_money(amount)
    except ValueError as exc:
        reason = exc.args[0] if exc.args else _l("Amount is missing or not a number.")
        problems.append(Problem("amount", reason))
    if value is not None and value <= ZERO:
        problems.append(Problem("amount", _l("The amount must be greater than zero."), value=value))
    if problems:
        raise ValidationFailed(problems=problems)
    assert day is not None and value is not None
    return number, serial, str(channel), day, value


def _replay_or_refuse(notice: Notice, serial: str, amount: Decimal) -> ConfirmResult:
    """A notice found paid: the same confirmation again is answered with the first result."""
    if notice.bank_serial == serial and notice.total == amount:
        return ConfirmResult(notice, True)
    if notice.bank_serial == serial:
        raise Conflict(_l("This bank serial number was already confirmed for this notice with "
                          "amount %(amount)s.", amount=f"{notice.total:,.2f}"))
    raise NoticeAlreadyPaid(_l("This notice was already paid on %(day)s (bank serial %(serial)s).",
                               day=notice.paid_on.isoformat() if notice.paid_on else "",
                               serial=notice.bank_serial or ""))


def _check_serial(session: Session, serial: str, number: str, amount: Decimal) -> Optional[ConfirmResult]:
    used = session.scalar(select(Notice).where(Notice.bank_serial == serial))
    if used is None:
        return None
    if used.number != number:
        raise SerialAlreadyUsed()
    return _replay_or_refuse(used, serial, amount)


def confirm(session: Session, notice_number: Any, bank_serial: Any, channel: Any, paid_on: Any,
            amount: Any, user_id: Optional[int], *, via: str = VIA_TELLER) -> ConfirmResult:
    """Confirm that a notice was paid: book a deposit for every house on it, mark it paid, queue
    the deposit-status pushes, all in one transaction. See the module docstring for the rules."""
    number, serial, channel, day, value = _parse(notice_number, bank_serial, channel, paid_on, amount)
    try:
        with unit_of_work(session):
            replay = _check_serial(session, serial, number, value)
            if replay is not None:
                return replay
            notice = session.scalar(
                select(Notice).where(Notice.number == number).with_for_update()
                .execution_options(populate_existing=True))
            if notice is None:
                raise NoticeNotFound()
            if notice.status == NOTICE_PAID:
                return _replay_or_refuse(notice, serial, value)
            if notice.status == NOTICE_VOID:
                raise NoticeVoid()
            _check_amount_and_date(notice, value, day)
            _book(session, notice, serial, channel, day, user_id, via)
    except (IntegrityError, StaleDataError) as exc:
        # Someone confirmed at the same moment (the unit of work rolled back): answer as if we
        # had come second.
        return _after_race(session, number, serial, value, exc)
    return ConfirmResult(notice, False)


def confirm_payment(session: Session, notice_number: Any, bank_serial: Any, channel: Any,
                    paid_on: Any, amount: Any, user_id: Optional[int], *,
                    via: str = VIA_TELLER) -> Notice:
    """``confirm`` returning only the paid notice."""
    return confirm(session, notice_number, bank_serial, channel, paid_on, amount, user_id,
                   via=via).notice


def _check_amount_and_date(notice: Notice, amount: Decimal, day: dt.date) -> None:
    problems = []
    if amount != notice.total:
        problems.append(Problem("amount", _l(
            "The amount %(paid)s differs from the notice total %(total)s.",
            paid=f"{amount:,.2f}", total=f"{notice.total:,.2f}"), value=amount))
    created = notice.created_at.date() if notice.created_at else None
    if created is not None and day < created - dt.timedelta(days=1):
        problems.append(Problem("paid_on", _l("The payment date is before the notice was issued."),
                                value=day))
    if problems:
        raise ValidationFailed(problems=problems)


def next_round(session: Session, notice_id: int) -> int:
    """The round the notice's next confirmation books: 1, or one more per approved reversal."""
    reversed_ = session.scalar(select(func.count(PaymentReversal.id)).where(
        PaymentReversal.notice_id == notice_id, PaymentReversal.status == REVERSAL_APPROVED))
    return 1 + int(reversed_ or 0)


def _book(session: Session, notice: Notice, serial: str, channel: str, day: dt.date,
          user_id: Optional[int], via: str) -> None:
    lines = list(session.scalars(select(NoticeLine).where(NoticeLine.notice_id == notice.id)
                                 .options(selectinload(NoticeLine.house))))
    notice_round = next_round(session, notice.id)
    for line in lines:
        book_deposit(session, line.house, line.amount, notice_id=notice.id,
                     payment_type=notice.payment_type, value_date=day, user_id=user_id,
                     memo=serial, notice_round=notice_round)
    notice.status = NOTICE_PAID
    notice.bank_serial = serial
    notice.channel = channel
    notice.paid_on = day
    notice.confirmed_at = utcnow()
    notice.confirmed_by_id = user_id
    notice.confirmed_via = via
    session.flush()
    enqueue_deposit_pushes(session, [line.house for line in lines], reason="payment",
                           priority=PRIORITY_URGENT)
    record(session, "notice.paid", "Notice", notice.id, user_id=user_id, org_id=notice.org_id,
           detail={"number": notice.number, "bank_serial": serial, "channel": channel,
                   "paid_on": day.isoformat(), "amount": str(notice.total), "via": via,
                   "houses": len(lines), "round": notice_round})


def _after_race(session: Session, number: str, serial: str, amount: Decimal,
                exc: Exception) -> ConfirmResult:
    notice = session.scalar(select(Notice).where(Notice.number == number)
                            .execution_options(populate_existing=True))
    if notice is not None and notice.status == NOTICE_PAID:
        return _replay_or_refuse(notice, serial, amount)
    used = session.scalar(select(Notice).where(Notice.bank_serial == serial)
                          .execution_options(populate_existing=True))
    if used is not None:
        raise SerialAlreadyUsed() from exc
    if notice is not None and notice.status == NOTICE_UNPAID:
        raise Conflict() from exc
    raise NoticeVoid() from exc


def find_notice(session: Session, notice_number: Any) -> Notice:
    """Look a notice up by its number for the Bank screen; a mistyped number says what is wrong."""
    number = normalise_notice_number(notice_number)
    message = parse_notice_number(number)
    if message is not None:
        raise ValidationFailed(message, [Problem("notice_number", message, value=number or None)])
    notice = session.scalar(select(Notice).where(Notice.number == number))
    if notice is None:
        raise NoticeNotFound()
    return notice
