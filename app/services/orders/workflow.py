"""The order workflow: the one state machine every business order goes through.

    draft ──submit──▶ submitted ──accept──▶ accepted ──approve──▶ approved
      ▲                 │   │                  │
      │                 │   └────reject────────┤
      └──── rejected ◀──┴──────────────────────┘   (the developer edits and submits again)
    draft / submitted / rejected ──withdraw──▶ withdrawn   (only before acceptance)
    draft ──complete──▶ approved   (a business the manual completes on 保存, without review)

Developers create, edit (draft or rejected), submit and withdraw orders of their own organisation;
fund officers accept, approve and reject. Every transition writes a history row (who, when, from,
to, opinion) and an audit entry, in the same transaction as the change.

House locks: existing houses an order changes are locked (``House.locked_by_order_id``) when it is
**submitted**, not when a draft is saved. A draft is private, unfinished work that may be abandoned
without anyone noticing; locking there would let a forgotten draft block a colleague indefinitely.
Saving a draft already reports houses that another order holds, so nobody prepares work in vain.
Locks are released on approval and withdrawal and kept on rejection, so the developer can correct
and resubmit the same houses.

Concurrency: the order row is read ``FOR UPDATE`` (PostgreSQL: the second officer waits, then sees
the first one's result) and ``BusinessOrder.version`` is a SQLAlchemy ``version_id_col``, so a
stale write matches no row (SQLite). Either way exactly one of two simultaneous approvals succeeds;
the other gets a ``Conflict`` saying who decided the order and when. The status change is flushed
before the business's work, so the loser finds out before applying thousands of houses.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable, Optional, TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, object_session
from sqlalchemy.orm.exc import StaleDataError

from app.domain.numbering import order_number
from app.errors import (Conflict, InvalidTransition, NotFound, PermissionDenied, Problem,
                        ValidationFailed)
from app.models.base import utcnow
from app.models.order import (ACCEPTED, APPROVED, DRAFT, REJECTED, SUBMITTED, WITHDRAWN,
                              BusinessOrder, OrderHistory)
from app.models.organisation import Organisation
from app.models.property import House
from app.security.roles import (ACCEPT, APPROVE, REJECT, RES_ORDER, RES_REVIEW, ROLE_ADMIN, SUBMIT,
                                WITHDRAW, WRITE)
from app.security.tenant import Scope, is_internal_user
from app.services.audit import record
from app.services.bulk import collector_paused
from app.services.orders import claims, staging
from app.services.orders.states import (EDITABLE, LOCAL_TZ, LOCKING, STATUS_LABELS,  # noqa: F401
                                        local_time, status_label, today_local)
from app.services.orders.types.base import OrderHandler, display_handler, handler_for
from app.services.unit_of_work import in_unit_of_work, unit_of_work

DEVELOPER = "developer"
OFFICER = "officer"
NUMBER_ATTEMPTS = 20
T = TypeVar("T")

@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    side: str
    permission: tuple[str, str]


TRANSITIONS: dict[str, Transition] = {t.action: t for t in (
    Transition("submit", frozenset({DRAFT, REJECTED}), SUBMITTED, DEVELOPER, (SUBMIT, RES_ORDER)),
    Transition("withdraw", frozenset({DRAFT, SUBMITTED, REJECTED}), WITHDRAWN, DEVELOPER,
               (WITHDRAW, RES_ORDER)),
    Transition("accept", frozenset({SUBMITTED}), ACCEPTED, OFFICER, (ACCEPT, RES_REVIEW)),
    Transition("approve", frozenset({ACCEPTED}), APPROVED, OFFICER, (APPROVE, RES_REVIEW)),
    Transition("reject", frozenset({SUBMITTED, ACCEPTED}), REJECTED, OFFICER, (REJECT, RES_REVIEW)),
    Transition("complete", frozenset({DRAFT}), APPROVED, DEVELOPER, (WRITE, RES_ORDER)),
)}
#: Transitions of the review (the others need none, or are the developer's own).
REVIEWED = frozenset({"submit", "accept", "approve", "reject"})


# ---------------------------------------------------------------- who may do what

def user_may(user: Any, verb: str, resource: str) -> bool:
    """Whether one of the user's roles holds ``verb`` on ``resource`` (Admin holds everything)."""
    if user is None:
        return False
    for role in user.roles:
        if role.name == ROLE_ADMIN:
            return True
        for pv in role.permissions:
            if pv.permission.name == verb and pv.view_menu.name == resource:
                return True
    return False


def _is_own(order: BusinessOrder, user: Any) -> bool:
    return not is_internal_user(user) and Scope.for_user(user).allows(order)


def may(order: BusinessOrder, action: str, user: Any) -> bool:
    """Whether ``user`` may perform ``action`` on ``order`` in its current status."""
    if action == "edit":
        return (order.status in EDITABLE and _is_own(order, user)
                and user_may(user, WRITE, RES_ORDER))
    if action == "delete":  # a draft never handed in; once submitted the order is on record
        return (order.status == DRAFT and order.submitted_at is None and _is_own(order, user)
                and user_may(user, WRITE, RES_ORDER))
    transition = TRANSITIONS[action]
    if order.status not in transition.sources:
        return False
    needs_review = display_handler(order.type).needs_review
    if (action in REVIEWED and not needs_review) or (action == "complete" and needs_review):
        return False
    if transition.side == DEVELOPER and not _is_own(order, user):
        return False
    if transition.side == OFFICER and not is_internal_user(user):
        return False
    return user_may(user, *transition.permission)


def allowed_actions(order: BusinessOrder, user: Any) -> list[str]:
    """The actions the screen should offer ``user`` for ``order``."""
    return [a for a in ("edit", "delete", *TRANSITIONS) if may(order, a, user)]


def check_may(order: BusinessOrder, action: str, user: Any) -> None:
    """Raise the right error when ``user`` may not perform ``action`` on ``order`` now."""
    if may(order, action, user):
        return
    side = DEVELOPER if action in ("edit", "delete") else TRANSITIONS[action].side
    if side == DEVELOPER and not _is_own(order, user):
        raise NotFound()
    if side == OFFICER and not is_internal_user(user):
        raise PermissionDenied()
    sources = {"edit": EDITABLE, "delete": frozenset({DRAFT})}.get(action) \
        or TRANSITIONS[action].sources
    if order.status not in sources:
        raise _status_error(order)
    if action in REVIEWED:
        raise InvalidTransition(_l("Orders of this business need no review: saving completes them."))
    if action == "complete":
        raise InvalidTransition(_l("Orders of this business are reviewed by the fund office."))
    raise PermissionDenied()


def _status_error(order: BusinessOrder) -> InvalidTransition:
    """Say what happened to the order, so the second of two officers knows why nothing changed."""
    session = object_session(order)
    last = session.scalars(
        select(OrderHistory).where(OrderHistory.order_id == order.id)
        .order_by(OrderHistory.at.desc(), OrderHistory.id.desc()).limit(1)
    ).first() if session is not None else None
    if last is not None and last.user is not None:
        return InvalidTransition(_l(
            "Order %(number)s is already %(status)s (by %(user)s at %(at)s). Reload the page.",
            number=order.number, status=STATUS_LABELS.get(order.status, order.status),
            user=last.user.display_name, at=local_time(last.at)))
    return InvalidTransition(_l("Order %(number)s is %(status)s: this action is not possible now.",
                                number=order.number,
                                status=STATUS_LABELS.get(order.status, order.status)))


# ---------------------------------------------------------------- numbers and creation

def next_sequence(session: Session, prefix: str) -> int:
    """1 + the highest sequence issued under ``prefix`` (type code + date); numbers are fixed-width."""
    highest = session.scalar(select(func.max(BusinessOrder.number))
                             .where(BusinessOrder.number.like(f"{prefix}%")))
    return int(highest[len(prefix):]) + 1 if highest else 1


def insert_with_number(session: Session, order: BusinessOrder, code: str,
                       day: Optional[dt.date] = None) -> None:
    """Give ``order`` the next number of the day and insert it (the caller commits).

    Two developers saving at the same moment may compute the same number; the unique constraint
    refuses the second insert with an ``IntegrityError`` and ``with_number_retry`` runs that
    user's whole action again, which then takes the next number. (No SAVEPOINT here: with
    pysqlite, releasing the outermost savepoint commits, which would break all-or-nothing.)
    """
    day = day or today_local()
    prefix = order_number(code, day, 1)[:-5]
    order.number = order_number(code, day, next_sequence(session, prefix))
    session.add(order)
    session.flush()


def _number_clash(error: IntegrityError) -> bool:
    text = str(error.orig).lower()
    return "business_order" in text and "number" in text


def with_number_retry(session: Session, action: Callable[[], T]) -> T:
    """Run ``action`` (which creates an order and commits) again when its number was taken."""
    for _attempt in range(NUMBER_ATTEMPTS):
        try:
            return action()
        except IntegrityError as error:  # the action's unit of work has rolled back
            if not _number_clash(error):
                raise
    raise Conflict(_l("No order number could be allocated; please try again."))


def add_history(session: Session, order: BusinessOrder, from_status: Optional[str], to_status: str,
                user: Any, opinion: Optional[str] = None) -> OrderHistory:
    entry = OrderHistory(order=order, from_status=from_status, to_status=to_status,
                         user_id=getattr(user, "id", None), at=utcnow(),
                         opinion=(opinion or "").strip() or None)
    session.add(entry)
    return entry


def create_order(session: Session, user: Any, order_type: str, *, org_id: int,
                 area_id: Optional[int] = None, reason: Optional[str] = None,
                 agent: Optional[dict[str, Optional[str]]] = None,
                 payload: Optional[dict[str, Any]] = None) -> BusinessOrder:
    """Add a new draft with its number and first history row (the caller commits)."""
    handler = handler_for(order_type)
    if is_internal_user(user) or getattr(user, "org_id", None) != org_id \
            or not user_may(user, WRITE, RES_ORDER):
        raise PermissionDenied()
    agent = agent or {}
    order = BusinessOrder(
        org_id=org_id, type=order_type, status=DRAFT, area_id=area_id, reason=reason,
        agent_name=agent.get("name"), agent_phone=agent.get("phone"),
        agent_id_type=agent.get("id_type"), agent_id_no=agent.get("id_no"),
        payload=payload or {}, created_by_id=user.id,
    )
    insert_with_number(session, order, handler.code)
    add_history(session, order, None, DRAFT, user)
    return order


# ---------------------------------------------------------------- transitions

def load_for_update(session: Session, order_id: int) -> BusinessOrder:
    """The order, row-locked until the transaction ends, with fresh values even if cached."""
    order = session.scalars(
        select(BusinessOrder).where(BusinessOrder.id == order_id)
        .with_for_update().execution_options(populate_existing=True)
    ).one_or_none()
    if order is None:
        raise NotFound()
    return order


def _run(session: Session, order_id: int, action: str, user: Any, *,
         opinion: Optional[str] = None, expected_version: Optional[int] = None,
         work: Optional[Callable[[BusinessOrder, OrderHandler], None]] = None) -> BusinessOrder:
    """The one transition routine: lock, check, claim, do the business's work, record, commit."""
    transition = TRANSITIONS[action]
    try:
        with unit_of_work(session):
            order = load_for_update(session, order_id)
            check_may(order, action, user)
            if expected_version is not None and order.version != expected_version:
                raise Conflict(_l("Order %(number)s was changed by someone else since you opened "
                                  "it. Reload the page and check it again.", number=order.number))
            handler = handler_for(order.type)
            from_status = order.status
            order.status = transition.target
            now = utcnow()
            if transition.target == SUBMITTED:
                order.submitted_at = now
            elif transition.target == ACCEPTED:
                order.accepted_at = now
            elif transition.target in (APPROVED, REJECTED, WITHDRAWN):
                order.decided_at = now
            session.flush()  # claim the order now: a concurrent transition fails here, not later
            if work is not None:
                work(order, handler)
            add_history(session, order, from_status, transition.target, user, opinion)
            record(session, f"order_{action}", "BusinessOrder", order.id,
                   user_id=getattr(user, "id", None), org_id=order.org_id,
                   detail={"number": order.number, "type": order.type, "from": from_status,
                           "to": transition.target, "opinion": (opinion or "").strip() or None})
            return order
    except StaleDataError as exc:
        raise _lost_race(session, order_id) from exc
    except IntegrityError as exc:
        # validate() ran under the row lock, so only another order's simultaneous change of the
        # register (e.g. the same area name approved a moment ago) lands here.
        message = None if in_unit_of_work(session) else claims.conflict_message(
            session, order_id, exc)
        raise Conflict(message or _l("The register was changed by another order at the same "
                                     "moment. Reload the page and try again.")) from exc
    except OperationalError as exc:
        if "locked" in str(exc).lower():  # SQLite: the other writer held the database too long
            raise _lost_race(session, order_id) from exc
        raise


def _lost_race(session: Session, order_id: int) -> Conflict:
    if in_unit_of_work(session):  # the enclosing unit rolls back; the session cannot be read now
        return Conflict()
    order = session.get(BusinessOrder, order_id, populate_existing=True)
    if order is None:
        return Conflict()
    return _status_error(order)


def submit(session: Session, order_id: int, user: Any, *,
           expected_version: Optional[int] = None) -> BusinessOrder:
    """Validate the whole order and hand it to the fund office; its existing houses get locked."""

    def work(order: BusinessOrder, handler: OrderHandler) -> None:
        problems = handler.validate(session, order) + staging.stale_lines(session, order, handler)
        if problems:
            raise ValidationFailed(_l("Order %(number)s cannot be submitted: %(n)d problems.",
                                      number=order.number, n=len(problems)), problems)
        lock_houses(session, order, handler.house_ids_to_lock(session, order))

    return _run(session, order_id, "submit", user, expected_version=expected_version, work=work)


def withdraw(session: Session, order_id: int, user: Any, *, opinion: Optional[str] = None,
             expected_version: Optional[int] = None) -> BusinessOrder:
    """The developer takes the order back before acceptance; its houses are free again."""

    def work(order: BusinessOrder, handler: OrderHandler) -> None:
        release_houses(session, order)

    return _run(session, order_id, "withdraw", user, opinion=opinion,
                expected_version=expected_version, work=work)


def accept(session: Session, order_id: int, user: Any, *, opinion: Optional[str] = None,
           papers_checked: bool = False, expected_version: Optional[int] = None) -> BusinessOrder:
    """受理: the papers were handed in at the window. The first acceptance for an organisation
    also needs the officer's confirmation of its registration papers (§1.1 step 5)."""

    def work(order: BusinessOrder, handler: OrderHandler) -> None:
        org = session.get(Organisation, order.org_id)
        if org is not None and not org.papers_checked:
            if not papers_checked:
                raise ValidationFailed(
                    _l("This is the first order of %(org)s: confirm that the paper copies of its "
                       "registration documents were checked.", org=org.name),
                    [Problem("papers_checked", _l("Please confirm the paper documents."))])
            org.papers_checked = True
            org.papers_checked_at = utcnow()
            org.papers_checked_by_id = user.id
            record(session, "papers_checked", "Organisation", org.id, user_id=user.id,
                   org_id=org.id, detail={"order": order.number})

    return _run(session, order_id, "accept", user, opinion=opinion,
                expected_version=expected_version, work=work)


def approve(session: Session, order_id: int, user: Any, *, opinion: Optional[str] = None,
            expected_version: Optional[int] = None) -> BusinessOrder:
    """审核通过: validate again (the register may have changed) and apply the whole order, or nothing."""

    return _run(session, order_id, "approve", user, opinion=opinion,
                expected_version=expected_version, work=_apply_work(session, user))


def complete(session: Session, order_id: int, user: Any) -> BusinessOrder:
    """A business without review (e.g. 物业区域变更) is checked and applied when it is saved."""
    return _run(session, order_id, "complete", user, work=_apply_work(session, user))


def _apply_work(session: Session, user: Any) -> Callable[[BusinessOrder, OrderHandler], None]:
    """Validate again (the register may have changed since the lines were staged), then apply."""

    def work(order: BusinessOrder, handler: OrderHandler) -> None:
        # Validation and application read the same lines, and keep thousands of them alive.
        with staging.lines_read_once(session), collector_paused():
            problems = handler.validate(session, order) + staging.stale_lines(session, order, handler)
            if problems:
                raise ValidationFailed(_l("Order %(number)s cannot be approved: %(n)d problems.",
                                          number=order.number, n=len(problems)), problems)
            lock_houses(session, order, handler.house_ids_to_lock(session, order))
            handler.apply(session, order, user)
        release_houses(session, order)

    return work


def reject(session: Session, order_id: int, user: Any, *, opinion: Optional[str],
           expected_version: Optional[int] = None) -> BusinessOrder:
    """退回 with the reason; the houses stay locked for the developer's corrected resubmission."""
    if not (opinion or "").strip():
        raise ValidationFailed(_l("Please give the reason for sending the order back."),
                               [Problem("opinion", _l("Required."))])
    return _run(session, order_id, "reject", user, opinion=opinion,
                expected_version=expected_version)


# ---------------------------------------------------------------- house locks

def lock_houses(session: Session, order: BusinessOrder, house_ids: list[int]) -> None:
    """Lock ``house_ids`` for ``order``; refuse, naming them, houses another order holds."""
    if not house_ids:
        return
    taken = houses_held_elsewhere(session, order, house_ids)
    if taken:
        raise ValidationFailed(
            _l("%(n)d houses are held by other unfinished orders.", n=len(taken)), taken)
    result = session.execute(
        update(House).where(House.id.in_(house_ids),
                            (House.locked_by_order_id.is_(None))
                            | (House.locked_by_order_id == order.id))
        .values(locked_by_order_id=order.id).execution_options(synchronize_session=False))
    if result.rowcount != len(set(house_ids)):
        raise Conflict(_l("Some of the houses were just taken by another order. Please try again."))


def release_houses(session: Session, order: BusinessOrder) -> None:
    session.execute(update(House).where(House.locked_by_order_id == order.id)
                    .values(locked_by_order_id=None).execution_options(synchronize_session=False))


def houses_held_elsewhere(session: Session, order: BusinessOrder, house_ids: list[int]
                          ) -> list[Problem]:
    """Problems naming the houses another unfinished order holds, and that order's number.

    Used when lines are picked and whenever a draft is saved (so nobody prepares work in vain),
    and again when the houses are locked on submit.
    """
    problems: list[Problem] = []
    ids = sorted(set(house_ids))
    for start in range(0, len(ids), 900):  # under every driver's bound-parameter limit
        rows = session.execute(
            select(House.code, BusinessOrder.number)
            .join(BusinessOrder, BusinessOrder.id == House.locked_by_order_id)
            .where(House.id.in_(ids[start:start + 900]),
                   House.locked_by_order_id != (order.id or 0)))
        problems += [Problem(code, _l("Held by order %(number)s.", number=number))
                     for code, number in rows]
    return problems
