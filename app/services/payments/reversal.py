"""冲正: reversing a bank confirmation, maker–checker.

A fund officer (or a bank system, through the signed API) asks for the reversal of a paid notice
with a reason; a second, different fund officer approves or rejects it. Approval, in one
transaction: a reversing ledger row per house (the negative of that confirmation's deposit row),
the notice back to unpaid (its confirmation fields cleared here and kept in the reversal record),
deposit-status pushes for the trading system's houses, audit rows. It is refused when money has
left a house since the payment (a refund paid, a transfer of a split or merge): its balance would
go below zero.

Guards against a double effect, as for confirmations: the reversal row is locked and its status
checked (``SELECT … FOR UPDATE`` on PostgreSQL), its version column, and the ledger's unique
(notice, house, kind, round). One notice has at most one pending reversal (a partial unique
index). A bank's request is idempotent by its reversal serial.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from app.domain.localtime import local_today
from app.domain.money import quantize_money, to_exact_money
from app.domain.numbering import parse_notice_number
from app.errors import (Conflict, InvalidTransition, NotFound, PermissionDenied, Problem,
                        ValidationFailed, register_field_labels)
from app.models.base import ZERO, utcnow
from app.models.ledger import ENTRY_DEPOSIT, LedgerEntry
from app.models.outbox import PRIORITY_URGENT
from app.models.payment import NOTICE_PAID, NOTICE_UNPAID, Notice
from app.models.property import House
from app.models.reversal import (REVERSAL_APPROVED, REVERSAL_PENDING, REVERSAL_REJECTED,
                                 PaymentReversal)
from app.services.audit import record
from app.services.ledger import balances, book_reversal
from app.services.outbox import enqueue_deposit_pushes
from app.services.payments.confirm import (SERIAL_RE, VIA_API, VIA_TELLER, NoticeNotFound,
                                           normalise_notice_number, normalise_serial)
from app.services.unit_of_work import in_unit_of_work, unit_of_work

REASON_MAX = 500
register_field_labels({"reason": _l("Reason for the reversal"),
                       "reversal_serial": _l("Reversal serial number")})
STATUS_LABELS = {REVERSAL_PENDING: _l("Waiting for approval"), REVERSAL_APPROVED: _l("Reversed"),
                 REVERSAL_REJECTED: _l("Rejected")}

__all__ = ["VIA_API", "VIA_TELLER", "ReversalResult", "approve_reversal", "reject_reversal",
           "request_reversal"]


class ReversalNotFound(NotFound):
    default_message = _l("There is no such reversal.")


class NoticeNotPaid(InvalidTransition):
    default_message = _l("Only a paid notice can be reversed.")


class ReversalAlreadyPending(Conflict):
    default_message = _l("A reversal of this notice is already waiting for approval.")


class SameOfficer(PermissionDenied):
    default_message = _l("You requested this reversal: a different fund officer must approve or "
                         "reject it.")


class ReversalDecided(InvalidTransition):
    default_message = _l("This reversal has already been decided.")


class ReversalSerialUsed(Conflict):
    default_message = _l("This reversal serial number was already used for a different request.")


@dataclass(frozen=True)
class ReversalResult:
    """The reversal; ``replayed`` when this exact bank request had already been recorded."""

    reversal: PaymentReversal
    replayed: bool


@dataclass(frozen=True)
class _Request:
    number: str
    bank_serial: str
    reason: str
    serial: Optional[str]
    amount: Optional[Decimal]


def _text(value: Any) -> str:
    return str(value or "").strip()


def _parse_request(notice_number: Any, bank_serial: Any, reason: Any, serial: Any, amount: Any,
                   via: str) -> _Request:
    """Validate every input, reporting all problems together. A bank must name its request
    (reversal serial) and the amount; an officer's form names the confirmation it saw."""
    problems: list[Problem] = []
    number = normalise_notice_number(notice_number)
    message = parse_notice_number(number)
    if message is not None:
        problems.append(Problem("notice_number", message, value=number or None))
    paid_serial = normalise_serial(bank_serial)
    if not paid_serial:
        problems.append(Problem("bank_serial", _l("The bank serial number is required.")))
    text = _text(reason)
    if not text:
        problems.append(Problem("reason", _l("Say why the payment is reversed.")))
    elif len(text) > REASON_MAX:
        problems.append(Problem("reason", _l("At most %(n)d characters.", n=REASON_MAX)))
    own_serial: Optional[str] = None
    value: Optional[Decimal] = None
    if via == VIA_API:
        own_serial = normalise_serial(serial)
        if not own_serial:
            problems.append(Problem("reversal_serial", _l("The reversal serial number is required.")))
        elif not SERIAL_RE.match(own_serial):
            problems.append(Problem("reversal_serial", _l(
                "The reversal serial number may hold at most 60 letters, digits and - _ . /"),
                value=own_serial))
        try:
            value = to_exact_money(amount)
        except ValueError as exc:
            problems.append(Problem("amount", exc.args[0] if exc.args else
                                    _l("Amount is missing or not a number.")))
    if problems:
        raise ValidationFailed(problems=problems)
    return _Request(number, paid_serial, text, own_serial, value)


def _same_request(reversal: PaymentReversal, wanted: _Request) -> bool:
    return (reversal.notice.number == wanted.number and reversal.bank_serial == wanted.bank_serial
            and reversal.amount == wanted.amount and reversal.reason == wanted.reason)


def _replay(session: Session, wanted: _Request) -> Optional[ReversalResult]:
    if wanted.serial is None:
        return None
    known = session.scalar(select(PaymentReversal).where(PaymentReversal.serial == wanted.serial)
                           .execution_options(populate_existing=True))
    if known is None:
        return None
    if not _same_request(known, wanted):
        raise ReversalSerialUsed()
    return ReversalResult(known, True)


def confirmed_round(session: Session, notice_id: int) -> int:
    """The round of the notice's current confirmation (its latest deposit rows)."""
    found = session.scalar(select(func.max(LedgerEntry.notice_round)).where(
        LedgerEntry.notice_id == notice_id, LedgerEntry.kind == ENTRY_DEPOSIT))
    return int(found or 1)


def _check_requestable(session: Session, notice: Notice, wanted: _Request) -> None:
    if notice.status != NOTICE_PAID:
        raise NoticeNotPaid()
    problems = []
    if notice.bank_serial != wanted.bank_serial:
        problems.append(Problem("bank_serial", _l(
            "Notice %(number)s was paid with bank serial %(serial)s, not this one.",
            number=notice.number, serial=notice.bank_serial or ""), value=wanted.bank_serial))
    if wanted.amount is not None and wanted.amount != notice.total:
        problems.append(Problem("amount", _l(
            "The amount %(given)s differs from the amount paid, %(total)s.",
            given=f"{wanted.amount:,.2f}", total=f"{notice.total:,.2f}"), value=wanted.amount))
    if problems:
        raise ValidationFailed(problems=problems)
    pending = session.scalar(select(PaymentReversal.id).where(
        PaymentReversal.notice_id == notice.id, PaymentReversal.status == REVERSAL_PENDING))
    if pending is not None:
        raise ReversalAlreadyPending()


def request_reversal(session: Session, notice_number: Any, bank_serial: Any, reason: Any,
                     user_id: Optional[int], *, via: str = VIA_TELLER, serial: Any = None,
                     amount: Any = None) -> ReversalResult:
    """Ask for the reversal of the notice's confirmation with ``bank_serial`` (the maker's step).

    ``via=VIA_API``: a bank's request, named by its reversal ``serial`` and stating the amount;
    the same request again answers the first result, the same serial with other content is
    refused.
    """
    wanted = _parse_request(notice_number, bank_serial, reason, serial, amount, via)
    try:
        with unit_of_work(session):
            replay = _replay(session, wanted)
            if replay is not None:
                return replay
            notice = session.scalar(select(Notice).where(Notice.number == wanted.number)
                                    .with_for_update().execution_options(populate_existing=True))
            if notice is None:
                raise NoticeNotFound()
            # The same bank request may have been stored while this one waited for the lock.
            replay = _replay(session, wanted)
            if replay is not None:
                return replay
            _check_requestable(session, notice, wanted)
            reversal = PaymentReversal(
                org_id=notice.org_id, notice_id=notice.id, serial=wanted.serial,
                status=REVERSAL_PENDING, reason=wanted.reason, via=via, requested_by_id=user_id,
                notice_round=confirmed_round(session, notice.id), bank_serial=notice.bank_serial,
                channel=notice.channel, paid_on=notice.paid_on, amount=notice.total,
                confirmed_at=notice.confirmed_at, confirmed_by_id=notice.confirmed_by_id,
                confirmed_via=notice.confirmed_via, created_at=utcnow())
            session.add(reversal)
            session.flush()
            record(session, "reversal.requested", "PaymentReversal", reversal.id, user_id=user_id,
                   org_id=notice.org_id,
                   detail={"number": notice.number, "bank_serial": notice.bank_serial,
                           "amount": str(notice.total), "reason": wanted.reason, "via": via,
                           "serial": wanted.serial})
    except (IntegrityError, ReversalAlreadyPending) as exc:
        # The same bank request, or another request for this notice, was stored a moment ago:
        # caught by the unique serial, or (where the database takes no row lock, SQLite) seen
        # as the notice's pending reversal once the other request had committed.
        if not in_unit_of_work(session):
            replay = _replay(session, wanted)
            if replay is not None:
                return replay
        if isinstance(exc, ReversalAlreadyPending):
            raise
        raise ReversalAlreadyPending() from exc
    return ReversalResult(reversal, False)


def _opinion(value: Any, *, required: bool) -> Optional[str]:
    text = _text(value)
    if required and not text:
        raise ValidationFailed(problems=[Problem("opinion", _l("Say why the reversal is rejected."))])
    if len(text) > REASON_MAX:
        raise ValidationFailed(problems=[Problem("opinion", _l("At most %(n)d characters.",
                                                                n=REASON_MAX))])
    return text or None


def _load_for_decision(session: Session, reversal_id: int, user_id: Optional[int]) -> PaymentReversal:
    reversal = session.scalar(select(PaymentReversal).where(PaymentReversal.id == reversal_id)
                              .with_for_update().execution_options(populate_existing=True))
    if reversal is None:
        raise ReversalNotFound()
    if reversal.status != REVERSAL_PENDING:
        raise _decided(reversal)
    if user_id is None:
        raise PermissionDenied()
    if reversal.requested_by_id == user_id:
        raise SameOfficer()
    return reversal


def _decided(reversal: PaymentReversal) -> ReversalDecided:
    label = STATUS_LABELS.get(reversal.status, reversal.status)
    return ReversalDecided(_l("This reversal has already been decided: %(status)s.", status=label))


def _lost_race(session: Session, reversal_id: int) -> Conflict:
    if in_unit_of_work(session):
        return Conflict()
    reversal = session.get(PaymentReversal, reversal_id, populate_existing=True)
    if reversal is None or reversal.status == REVERSAL_PENDING:
        return Conflict()
    return _decided(reversal)


def _decide(session: Session, reversal_id: int, work: Any) -> PaymentReversal:
    """Run ``work`` under the reversal's row lock; a concurrent decision becomes ReversalDecided."""
    try:
        with unit_of_work(session):
            return work()
    except (StaleDataError, IntegrityError) as exc:
        raise _lost_race(session, reversal_id) from exc
    except OperationalError as exc:
        if "locked" in str(exc).lower():  # SQLite: the other writer held the database too long
            raise _lost_race(session, reversal_id) from exc
        raise


def _deposit_rows(session: Session, reversal: PaymentReversal) -> list[LedgerEntry]:
    return list(session.scalars(select(LedgerEntry).where(
        LedgerEntry.notice_id == reversal.notice_id, LedgerEntry.kind == ENTRY_DEPOSIT,
        LedgerEntry.notice_round == reversal.notice_round).order_by(LedgerEntry.house_id)))


def _balance_problems(session: Session, deposits: list[LedgerEntry],
                      houses: dict[int, House]) -> list[Problem]:
    money = balances(session, houses)
    problems = []
    for row in deposits:
        balance = money[row.house_id].balance
        if balance < row.amount:
            problems.append(Problem(houses[row.house_id].code, _l(
                "The balance is %(balance)s, less than the %(amount)s to take back: money has left "
                "this house since the payment (a refund paid or a transfer).",
                balance=f"{balance:,.2f}", amount=f"{row.amount:,.2f}")))
    return problems


def approve_reversal(session: Session, reversal_id: int, user_id: Optional[int], *,
                     opinion: Any = None) -> PaymentReversal:
    """Approve a pending reversal (the checker's step, by another officer than the maker) and
    take the payment back; see the module docstring."""
    note = _opinion(opinion, required=False)

    def work() -> PaymentReversal:
        reversal = _load_for_decision(session, reversal_id, user_id)
        notice = session.scalar(select(Notice).where(Notice.id == reversal.notice_id)
                                .with_for_update().execution_options(populate_existing=True))
        if notice.status != NOTICE_PAID or notice.bank_serial != reversal.bank_serial:
            raise Conflict(_l("Notice %(number)s is no longer paid with bank serial %(serial)s; "
                              "this reversal cannot be approved.", number=notice.number,
                              serial=reversal.bank_serial))
        # Claimed before the balances are read: on SQLite reads do not wait for the other
        # writer, so a concurrent decision must fail here, not see this one's effect. A refusal
        # below rolls the claim back with everything else.
        reversal.status = REVERSAL_APPROVED
        reversal.decided_by_id = user_id
        reversal.decided_at = utcnow()
        reversal.opinion = note
        session.flush()  # claim the reversal now: a concurrent decision fails here
        deposits = _deposit_rows(session, reversal)
        booked = quantize_money(sum((d.amount for d in deposits), ZERO))
        if booked != reversal.amount:
            # Never take back more or less than was credited: the ledger must return to the cent.
            raise Conflict(_l("The ledger holds %(booked)s for this payment of %(amount)s; this "
                              "reversal cannot be approved.", booked=f"{booked:,.2f}",
                              amount=f"{reversal.amount:,.2f}"))
        # Locked in id order, so a refund or transfer of the same houses waits for this decision
        # (and two decisions never wait on each other).
        houses = {h.id: h for h in session.scalars(
            select(House).where(House.id.in_([d.house_id for d in deposits]))
            .order_by(House.id).with_for_update())}
        problems = _balance_problems(session, deposits, houses)
        if problems:
            raise ValidationFailed(_l(
                "The reversal cannot be approved: %(n)d houses no longer hold the money paid.",
                n=len(problems)), problems)
        today = local_today()
        for row in deposits:
            book_reversal(session, row, reversal_id=reversal.id, value_date=today,
                          user_id=user_id, memo=reversal.bank_serial)
        before = {"bank_serial": notice.bank_serial, "channel": notice.channel,
                  "paid_on": notice.paid_on.isoformat() if notice.paid_on else None,
                  "confirmed_via": notice.confirmed_via, "confirmed_by_id": notice.confirmed_by_id}
        notice.status = NOTICE_UNPAID
        notice.bank_serial = None
        notice.channel = None
        notice.paid_on = None
        notice.confirmed_at = None
        notice.confirmed_by_id = None
        notice.confirmed_via = None
        session.flush()
        enqueue_deposit_pushes(session, [houses[d.house_id] for d in deposits], reason="reversal",
                               priority=PRIORITY_URGENT)
        record(session, "reversal.approved", "PaymentReversal", reversal.id, user_id=user_id,
               org_id=reversal.org_id, detail={"number": notice.number, "amount": str(booked),
                                               "houses": len(deposits), "opinion": note})
        record(session, "notice.reversed", "Notice", notice.id, user_id=user_id,
               org_id=notice.org_id, detail={"number": notice.number, "reversal_id": reversal.id,
                                             "round": reversal.notice_round, "before": before})
        return reversal

    return _decide(session, reversal_id, work)


def reject_reversal(session: Session, reversal_id: int, user_id: Optional[int],
                    opinion: Any) -> PaymentReversal:
    """Reject a pending reversal with the reason (another officer than the maker); nothing moves."""
    note = _opinion(opinion, required=True)

    def work() -> PaymentReversal:
        reversal = _load_for_decision(session, reversal_id, user_id)
        reversal.status = REVERSAL_REJECTED
        reversal.decided_by_id = user_id
        reversal.decided_at = utcnow()
        reversal.opinion = note
        session.flush()
        record(session, "reversal.rejected", "PaymentReversal", reversal.id, user_id=user_id,
               org_id=reversal.org_id, detail={"number": reversal.notice.number, "opinion": note})
        return reversal

    return _decide(session, reversal_id, work)


# ------------------------------------------------------------------ what the screens show

def reversal_queue(session: Session, *, limit: int = 50) -> tuple[list[PaymentReversal],
                                                                  list[PaymentReversal]]:
    """The pending reversals (oldest first) and the latest decided ones."""
    load = (selectinload(PaymentReversal.notice), selectinload(PaymentReversal.requested_by),
            selectinload(PaymentReversal.decided_by))
    pending = session.scalars(select(PaymentReversal).options(*load)
                              .where(PaymentReversal.status == REVERSAL_PENDING)
                              .order_by(PaymentReversal.id))
    decided = session.scalars(select(PaymentReversal).options(*load)
                              .where(PaymentReversal.status != REVERSAL_PENDING)
                              .order_by(PaymentReversal.decided_at.desc(), PaymentReversal.id.desc())
                              .limit(limit))
    return list(pending), list(decided)


def pending_reversals(session: Session) -> int:
    """How many reversals wait for a checker (the fund office's home page)."""
    return session.scalar(select(func.count(PaymentReversal.id)).where(
        PaymentReversal.status == REVERSAL_PENDING)) or 0


def reversals_of(session: Session, notice_id: int) -> list[PaymentReversal]:
    return list(session.scalars(select(PaymentReversal).where(PaymentReversal.notice_id == notice_id)
                                .order_by(PaymentReversal.id.desc())))


@dataclass(frozen=True)
class HouseEffect:
    """One house of a reversal: what was paid, the balance now and after the reversal."""

    code: str
    house_id: int
    amount: Decimal
    balance: Decimal

    @property
    def after(self) -> Decimal:
        return self.balance - self.amount


def house_effects(session: Session, reversal: PaymentReversal) -> list[HouseEffect]:
    deposits = _deposit_rows(session, reversal)
    houses = {h.id: h for h in session.scalars(select(House).where(
        House.id.in_([d.house_id for d in deposits])))}
    money = balances(session, houses)
    return [HouseEffect(houses[d.house_id].code, d.house_id, d.amount, money[d.house_id].balance)
            for d in deposits]
