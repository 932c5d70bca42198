"""退款 (refunds), the fund office's side: review, payout, and the lists the screens show.

An approved business (房屋信息变更, 房屋注销, 拆分合并) leaves a refund record in state *pending*. A
fund officer approves it (opinion optional) or rejects it (opinion required), then records the
payout with the bank's serial number and the payout date: that books the house's negative
``ENTRY_REFUND`` ledger row, marks the refund *paid* and queues the house's deposit-status push to
the trading system, all in one transaction with an audit row. pending → approved → paid; pending
or approved → rejected.

Never more than the house holds: approval checks the amount against the house's balance less the
other approved refunds still waiting for their payout, and the payout checks it against the
balance again, both under the house's row lock. Two officers paying out the same refund at once
serialise on the refund row (``SELECT … FOR UPDATE`` on PostgreSQL); its version column refuses a
stale write and the ledger's unique (refund, kind) a second row, so exactly one payout is booked.
The same serial for the same refund again answers with the first result (a resubmitted form).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from app.documents.print_models import BankAccount, RefundForm, RefundLine
from app.domain.localtime import local_date, local_today
from app.domain.location import location_text
from app.errors import (Conflict, InvalidTransition, NotFound, PermissionDenied, Problem,
                        ValidationFailed, register_field_labels)
from app.models.base import ZERO, utcnow
from app.models.outbox import PRIORITY_URGENT
from app.models.payment import (REFUND_APPROVED, REFUND_PAID, REFUND_PENDING, REFUND_REJECTED,
                                Refund)
from app.models.property import House
from app.security.roles import APPROVE, CONFIRM, REJECT, RES_REFUND
from app.security.tenant import Scope
from app.services.audit import record
from app.services.ledger import book_refund, paid_amount
from app.services.orders.queries import Page
from app.services.orders.workflow import user_may
from app.services.outbox import enqueue_deposit_pushes
from app.services.payments.confirm import normalise_serial, serial_problem
from app.services.unit_of_work import in_unit_of_work, unit_of_work

STATUS_LABELS = {REFUND_PENDING: _l("Awaiting review"), REFUND_APPROVED: _l("Approved, awaiting payout"),
                 REFUND_PAID: _l("Paid out"), REFUND_REJECTED: _l("Refund rejected")}
#: Where each command may start from.
SOURCES = {"approve": (REFUND_PENDING,), "reject": (REFUND_PENDING, REFUND_APPROVED),
           "pay": (REFUND_APPROVED,)}
OPINION_MAX = 500

register_field_labels({"payout_serial": _l("Bank serial number of the payout"),
                       "payout_date": _l("Payout date")})


@dataclass(frozen=True)
class PayoutResult:
    """The paid refund; ``replayed`` when this exact payout had already been recorded."""

    refund: Refund
    replayed: bool


@dataclass
class RefundFilters:
    status: Optional[str] = None
    org_id: Optional[int] = None
    area_id: Optional[int] = None


def refund_number(refund: Refund) -> str:
    """The number the screens and the 退款申请表 give a refund: TK and its id."""
    return f"TK{refund.id:08d}"


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


# ---------------------------------------------------------------- reading

def list_refunds(session: Session, scope: Scope, filters: RefundFilters, *, page: int = 1,
                 per_page: int = 20) -> Page[Refund]:
    """Refunds the scope may see, waiting ones first (pending, then approved), newest first."""
    query = scope.apply(select(Refund).join(House, House.id == Refund.house_id), Refund)
    query = scope.apply(query, House)  # staff limited to some areas see those areas' refunds
    if filters.status:
        query = query.where(Refund.status == filters.status)
    if filters.org_id:
        query = query.where(Refund.org_id == filters.org_id)
    if filters.area_id:
        query = query.where(House.area_id == filters.area_id)
    total = session.scalar(query.with_only_columns(func.count(Refund.id)).order_by(None)) or 0
    waiting = case((Refund.status == REFUND_PENDING, 0), (Refund.status == REFUND_APPROVED, 1),
                   else_=2)
    items = session.scalars(
        query.options(selectinload(Refund.house).selectinload(House.building),
                      selectinload(Refund.house).selectinload(House.area),
                      selectinload(Refund.order), selectinload(Refund.organisation))
        .order_by(waiting, Refund.created_at.desc(), Refund.id.desc())
        .offset((page - 1) * per_page).limit(per_page)).all()
    return Page(items=items, total=total, page=page, per_page=per_page)


def house_refunds(session: Session, scope: Scope, house_id: int) -> list[Refund]:
    """Every refund of one house the scope may see, oldest first (the house page)."""
    return list(session.scalars(scope.apply(select(Refund), Refund)
                                .where(Refund.house_id == house_id).order_by(Refund.id)))


def available(session: Session, refund: Refund) -> Decimal:
    """What the house can still give back for this refund: its balance less the other approved
    refunds of the house that wait for their payout."""
    reserved = session.scalar(select(func.coalesce(func.sum(Refund.amount), 0)).where(
        Refund.house_id == refund.house_id, Refund.status == REFUND_APPROVED,
        Refund.id != refund.id))
    return paid_amount(session, refund.house_id) - Decimal(reserved or 0)


def refund_form(session: Session, refund: Refund) -> RefundForm:
    """The 退款申请表 of one refund: the house, what it paid, what is due now, what goes back."""
    from app.services.orders.documents import _agent, _org

    house, order = refund.house, refund.order
    paid = paid_amount(session, house.id)
    if refund.status == REFUND_PAID:
        paid += refund.amount  # the form shows the amount before the payout took it out
    line = RefundLine(house.code, location_text(house.building.name, house.unit, house.room,
                                                house.floor),
                      house.building_area, paid, max(paid - refund.amount, ZERO), refund.amount)
    applied = order.submitted_at if order is not None and order.submitted_at else refund.created_at
    return RefundForm(
        refund_number=refund_number(refund), order_number=order.number if order else "",
        org=_org(refund.organisation), area_name=house.area.name,
        reason=(order.reason if order is not None and order.reason else refund.reason) or "",
        lines=[line], account=BankAccount(bank_name=refund.bank_name or "",
                                          account_name=refund.account_name or "",
                                          account_number=refund.account_no or ""),
        agent=_agent(session, order) if order is not None else None,
        applied_on=local_date(applied))


def allowed_actions(refund: Refund, user: Any) -> list[str]:
    """The commands the screen should offer ``user`` for ``refund`` now."""
    return [a for a, verb in (("approve", APPROVE), ("reject", REJECT), ("pay", CONFIRM))
            if refund.status in SOURCES[a] and user_may(user, verb, RES_REFUND)]


# ---------------------------------------------------------------- commands

def approve(session: Session, refund_id: int, user: Any, *, opinion: Optional[str] = None,
            expected_version: Optional[int] = None) -> Refund:
    """Approve a pending refund; refused when the house no longer holds its amount."""
    text = _opinion(opinion, required=False)
    return _run(session, refund_id, user, "approve", APPROVE, expected_version,
                lambda refund: _approve(session, refund, user, text))


def reject(session: Session, refund_id: int, user: Any, *, opinion: Optional[str],
           expected_version: Optional[int] = None) -> Refund:
    """Reject a pending or approved refund, saying why; the money stays on the house."""
    text = _opinion(opinion, required=True)
    return _run(session, refund_id, user, "reject", REJECT, expected_version,
                lambda refund: _decide(session, refund, user, REFUND_REJECTED, text))


def record_payout(session: Session, refund_id: int, user: Any, *, bank_serial: Any,
                  paid_on: Any) -> PayoutResult:
    """Record that the bank paid an approved refund out: book it on the house's ledger once."""
    serial, day = _payout_input(bank_serial, paid_on)
    try:
        with unit_of_work(session):
            used = session.scalar(select(Refund).where(Refund.payout_serial == serial))
            if used is not None and used.id != refund_id:
                raise Conflict(_l("The bank serial number %(serial)s was already used for refund "
                                  "%(number)s.", serial=serial, number=refund_number(used)))
            refund = _load_for_update(session, refund_id)
            _check_permission(user, CONFIRM)
            if refund.status == REFUND_PAID:
                return _replay_or_refuse(refund, serial)
            _check_source(refund, "pay")
            _pay(session, refund, user, serial, day)
    except (IntegrityError, StaleDataError) as exc:
        return _after_race(session, refund_id, serial, exc)
    except OperationalError as exc:
        if "locked" in str(exc).lower():  # SQLite: the other writer held the database too long
            return _after_race(session, refund_id, serial, exc)
        raise
    return PayoutResult(refund, False)


# ---------------------------------------------------------------- the steps

def _run(session: Session, refund_id: int, user: Any, action: str, verb: str,
         expected_version: Optional[int], work: Any) -> Refund:
    """Lock the refund, check who and when, do ``work``, commit; a lost race is a Conflict."""
    try:
        with unit_of_work(session):
            refund = _load_for_update(session, refund_id)
            _check_permission(user, verb)
            if expected_version is not None and refund.version != expected_version:
                raise Conflict(_l("Refund %(number)s was changed by someone else since you "
                                  "opened it. Reload the page and check it again.",
                                  number=refund_number(refund)))
            _check_source(refund, action)
            work(refund)
            session.flush()
            return refund
    except (StaleDataError, IntegrityError) as exc:
        raise _lost_race(session, refund_id) from exc
    except OperationalError as exc:
        if "locked" in str(exc).lower():
            raise _lost_race(session, refund_id) from exc
        raise


def _load_for_update(session: Session, refund_id: int) -> Refund:
    refund = session.scalars(select(Refund).where(Refund.id == refund_id).with_for_update()
                             .execution_options(populate_existing=True)).one_or_none()
    if refund is None:
        raise NotFound(_l("There is no such refund."))
    return refund


def _lock_house(session: Session, refund: Refund) -> House:
    """The refund's house, row-locked: payouts and approvals of one house take turns."""
    return session.scalars(select(House).where(House.id == refund.house_id).with_for_update()
                           .execution_options(populate_existing=True)).one()


def _check_permission(user: Any, verb: str) -> None:
    if not user_may(user, verb, RES_REFUND):
        raise PermissionDenied()


def _check_source(refund: Refund, action: str) -> None:
    if refund.status not in SOURCES[action]:
        raise InvalidTransition(_l("Refund %(number)s is %(status)s: this action is not possible "
                                   "now. Reload the page.", number=refund_number(refund),
                                   status=status_label(refund.status)))


def _opinion(opinion: Optional[str], *, required: bool) -> Optional[str]:
    text = (opinion or "").strip()
    if required and not text:
        raise ValidationFailed(problems=[Problem("opinion", _l(
            "Say why the refund is rejected: the developer reads it."))])
    if len(text) > OPINION_MAX:
        raise ValidationFailed(problems=[Problem("opinion", _l(
            "%(field)s must be at most %(n)d characters.", field=_l("Opinion"), n=OPINION_MAX))])
    return text or None


def _over_balance(refund: Refund, house: House, room: Decimal) -> ValidationFailed:
    message = _l("The refund of %(amount)s yuan exceeds what house %(code)s holds (%(room)s yuan): "
                 "a refund can never take more than the house's balance.",
                 amount=f"{refund.amount:,.2f}", code=house.code, room=f"{max(room, ZERO):,.2f}")
    return ValidationFailed(message, [Problem("amount", message, value=refund.amount)])


def _approve(session: Session, refund: Refund, user: Any, opinion: Optional[str]) -> None:
    house = _lock_house(session, refund)
    _decide(session, refund, user, REFUND_APPROVED, opinion)
    session.flush()  # claimed first, then the balance read: see _pay
    room = available(session, refund)
    if refund.amount > room:
        raise _over_balance(refund, house, room)


def _decide(session: Session, refund: Refund, user: Any, status: str,
            opinion: Optional[str]) -> None:
    from_status = refund.status
    refund.status = status
    refund.opinion = opinion
    refund.reviewed_by_id = user.id
    refund.reviewed_at = utcnow()
    record(session, f"refund.{status}", "Refund", refund.id, user_id=user.id, org_id=refund.org_id,
           detail={"number": refund_number(refund), "from": from_status, "to": status,
                   "amount": f"{refund.amount:.2f}", "house_id": refund.house_id,
                   "opinion": opinion})


def _payout_input(bank_serial: Any, paid_on: Any) -> tuple[str, dt.date]:
    """Validate the payout form, every problem together."""
    problems: list[Problem] = []
    serial = normalise_serial(bank_serial)
    problem = serial_problem(serial, "payout_serial")
    if problem is not None:
        problems.append(problem)
    day: Optional[dt.date] = None
    if isinstance(paid_on, dt.date):
        day = paid_on
    elif isinstance(paid_on, str) and paid_on.strip():
        try:
            day = dt.date.fromisoformat(paid_on.strip())
        except ValueError:
            problems.append(Problem("payout_date", _l("Enter the payout date as a date such as "
                                                  "2026-03-01."), value=paid_on))
    else:
        problems.append(Problem("payout_date", _l("The payout date is required.")))
    if day is not None and day > local_today():
        problems.append(Problem("payout_date", _l("The payout date cannot be in the future."), value=day))
    if problems:
        raise ValidationFailed(problems=problems)
    assert day is not None
    return serial, day


def _pay(session: Session, refund: Refund, user: Any, serial: str, day: dt.date) -> None:
    reviewed = local_date(refund.reviewed_at)
    if reviewed is not None and day < reviewed:
        raise ValidationFailed(problems=[Problem("payout_date", _l(
            "The payout date is before the refund was approved (%(day)s).",
            day=reviewed.isoformat()), value=day)])
    house = _lock_house(session, refund)
    refund.status = REFUND_PAID
    refund.payout_serial = serial
    refund.paid_on = day
    refund.processed_at = utcnow()
    refund.processed_by_id = user.id
    # Claim the refund before reading the balance: a concurrent payout of it fails here (version
    # column), and from this write on no other payout of the house can commit before ours (the
    # row lock on PostgreSQL, the write lock on SQLite, which reads outside write transactions).
    session.flush()
    room = paid_amount(session, house.id)
    if refund.amount > room:
        raise _over_balance(refund, house, room)
    book_refund(session, house, refund.amount, refund_id=refund.id, order_id=refund.order_id,
                value_date=day, user_id=user.id, memo=serial)
    session.flush()
    enqueue_deposit_pushes(session, [house], reason="refund", priority=PRIORITY_URGENT)
    record(session, "refund.paid", "Refund", refund.id, user_id=user.id, org_id=refund.org_id,
           detail={"number": refund_number(refund), "amount": f"{refund.amount:.2f}",
                   "house_id": house.id, "bank_serial": serial, "paid_on": day.isoformat()})


def _replay_or_refuse(refund: Refund, serial: str) -> PayoutResult:
    if refund.payout_serial == serial:
        return PayoutResult(refund, True)
    raise Conflict(_l("Refund %(number)s was already paid out on %(day)s (bank serial %(serial)s).",
                      number=refund_number(refund),
                      day=refund.paid_on.isoformat() if refund.paid_on else "",
                      serial=refund.payout_serial or ""))


def _after_race(session: Session, refund_id: int, serial: str, exc: Exception) -> PayoutResult:
    """Someone recorded a payout at the same moment (our unit rolled back): answer as second."""
    if in_unit_of_work(session):
        raise Conflict() from exc
    refund = session.get(Refund, refund_id, populate_existing=True)
    if refund is not None and refund.status == REFUND_PAID:
        return _replay_or_refuse(refund, serial)
    used = session.scalar(select(Refund).where(Refund.payout_serial == serial)
                          .execution_options(populate_existing=True))
    if used is not None:
        raise Conflict(_l("The bank serial number %(serial)s was already used for refund "
                          "%(number)s.", serial=serial, number=refund_number(used))) from exc
    raise Conflict() from exc


def _lost_race(session: Session, refund_id: int) -> Conflict:
    if in_unit_of_work(session):
        return Conflict()
    refund = session.get(Refund, refund_id, populate_existing=True)
    if refund is None:
        return Conflict()
    return Conflict(_l("Refund %(number)s is already %(status)s. Reload the page.",
                       number=refund_number(refund), status=status_label(refund.status)))


__all__ = ["PayoutResult", "RefundFilters", "STATUS_LABELS", "allowed_actions", "approve",
           "available", "house_refunds", "list_refunds", "record_payout", "refund_form",
           "refund_number", "reject", "status_label"]
