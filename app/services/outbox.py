"""Outbox of pushes to the trading system (房地产交易系统).

A business change that the trading system must learn about (a house opened from the trading
system, a contract bound, a payment confirmed, a house cancelled) calls ``enqueue_deposit_push`` in
its own transaction, so the push exists exactly when the change does. ``deliver_pending`` sends
what is due in batch requests (one transaction per batch), most urgent first, with exponential
back-off; a message that keeps failing is parked for the fund office, who can ``retry`` it. Every
message keeps one idempotency key for all its resends, so the trading system never counts a push
twice.

Latency: committing a transaction that queued a push calls the ``on_wake`` hooks at once
(``after_commit``); the queue (``app/queue.py``) enqueues a delivery there, so a confirmed payment
reaches the trading system in about a second; the queue's minute tick remains for retries.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Iterable, Mapping

from flask_babel import lazy_gettext as _l
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app.errors import InvalidTransition, NotFound, ValidationFailed
from app.integrations.trading import (BatchPushResult, TradingClient, TradingError,
                                      TradingNotConfigured, TradingRejected, TradingUnreachable)
from app.models.base import ZERO, utcnow
from app.models.outbox import (OUTBOX_DELIVERED, OUTBOX_PARKED, OUTBOX_PENDING, PRIORITY_BULK,
                               PRIORITY_URGENT, OutboxMessage)
from app.models.property import HOUSE_CANCELLED, HOUSE_CLOSED, House
from app.services.ledger import (STATE_PAID, STATE_PARTLY_PAID, STATE_UNPAID, balances,
                                 deposit_state, paid_amount)
from app.services.unit_of_work import transaction

log = logging.getLogger(__name__)

KIND_DEPOSIT_STATUS = "deposit_status"

# Deposit statuses of the contract (docs/trading-api.yaml, DepositStatusPush.status)
DEPOSIT_UNPAID = "未交存"
DEPOSIT_PARTIAL = "部分交存"
DEPOSIT_PAID = "已交清"
DEPOSIT_CANCELLED = "已注销"

#: Payload fields sent to the trading system; the rest of a payload (the reason) stays here.
PUSH_FIELDS = ("house_code", "contract_no", "amount_due", "amount_paid", "status", "occurred_at")
LAST_ERROR_MAX = 2000
BATCH_SIZE = 100       # pushes per request: a 2,000-house approval is 20 requests
RUN_LIMIT = 200        # messages per run; each run starts again from the most urgent
_WAKE_FLAG = "outbox_wake"


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry: ``base * 2**(attempts-1)`` seconds, capped, then park."""

    max_attempts: int = 8
    base_seconds: float = 60.0
    max_delay_seconds: float = 3600.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "RetryPolicy":
        return cls(
            max_attempts=int(config.get("OUTBOX_MAX_ATTEMPTS", 8)),
            base_seconds=float(config.get("OUTBOX_BACKOFF_SECONDS", 60)),
            max_delay_seconds=float(config.get("OUTBOX_BACKOFF_MAX_SECONDS", 3600)),
        )

    def delay(self, attempts: int) -> dt.timedelta:
        """The wait after the ``attempts``-th failed attempt (1 → base, 2 → 2×base, …)."""
        seconds = self.base_seconds * 2 ** max(attempts - 1, 0)
        return dt.timedelta(seconds=min(seconds, self.max_delay_seconds))


@dataclass
class DeliveryReport:
    """What one ``deliver_pending`` run did."""

    delivered: int = 0
    failed: int = 0       # will be retried later
    parked: int = 0       # gave up; waits for a fund officer
    skipped: int = 0      # taken by another deliverer meanwhile
    pending: int = 0      # still pending after the run (due now or later)
    due: int = 0          # of those, due now: the next run should start at once
    errors: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.delivered + self.failed + self.parked


_STATE_LABELS = {STATE_UNPAID: DEPOSIT_UNPAID, STATE_PARTLY_PAID: DEPOSIT_PARTIAL,
                 STATE_PAID: DEPOSIT_PAID}


def deposit_status_of(house: House, amount_paid: Decimal) -> str:
    """The contract's status label for a house with this paid amount."""
    if house.status in (HOUSE_CANCELLED, HOUSE_CLOSED):
        return DEPOSIT_CANCELLED
    return _STATE_LABELS[deposit_state(house.amount_due, amount_paid)]


def enqueue_deposit_push(session: Session, house: House, *, reason: str,
                         now: dt.datetime | None = None,
                         priority: int = PRIORITY_URGENT) -> OutboxMessage:
    """Add a push of ``house``'s deposit status to the caller's transaction (no commit).

    The house must be known to the trading system (``trade_house_code``); ``reason`` says which
    business caused the push and is shown on the outbox screen, not sent. A single house's
    change (contract bound, payment) is urgent by default.
    """
    if not house.trade_house_code:
        raise ValidationFailed(_l("House %(code)s is not linked to the trading system.",
                                  code=house.code))
    if house.id is None:
        session.flush()  # a house opened in this same transaction needs its id for the row
    return _add_message(session, house, paid_amount(session, house.id), reason, now or utcnow(),
                        priority)


def enqueue_deposit_pushes(session: Session, houses: Iterable[House], *, reason: str,
                           now: dt.datetime | None = None,
                           priority: int = PRIORITY_BULK) -> list[OutboxMessage]:
    """Push every house that is linked to the trading system (the others are skipped).

    Paid amounts are read in one query for all houses, so a 2,000-house approval stays cheap.
    Many houses at once (an approval) are bulk by default: pass ``PRIORITY_URGENT`` for a change
    someone is waiting to see, such as a confirmed payment.
    """
    linked = [h for h in houses if h.trade_house_code]
    if any(h.id is None for h in linked):
        session.flush()
    paid = balances(session, [h.id for h in linked])
    now = now or utcnow()
    return [_add_message(session, h, paid[h.id].paid, reason, now, priority) for h in linked]


def _add_message(session: Session, house: House, paid: Decimal, reason: str,
                 now: dt.datetime, priority: int) -> OutboxMessage:
    paid = max(paid, ZERO)
    payload = {
        "house_code": house.trade_house_code,
        "contract_no": house.contract_no or None,
        "amount_due": f"{house.amount_due:.2f}",
        "amount_paid": f"{paid:.2f}",
        "status": deposit_status_of(house, paid),
        "occurred_at": now.replace(tzinfo=dt.timezone.utc).isoformat(),
        "reason": reason,
    }
    message = OutboxMessage(
        kind=KIND_DEPOSIT_STATUS, idempotency_key=f"dep-{uuid.uuid4().hex}", org_id=house.org_id,
        house_id=house.id, house_code=house.trade_house_code, payload=payload,
        status=OUTBOX_PENDING, attempts=0, next_attempt_at=now, created_at=now, priority=priority,
    )
    session.add(message)
    session.info[_WAKE_FLAG] = True  # see _wake_after_commit
    return message


# ------------------------------------------------------------------ waking the deliverer

_wake_hooks: list[Callable[[], None]] = []


def on_wake(hook: Callable[[], None]) -> None:
    """Call ``hook`` after every commit that queued a push (once per hook, however often added)."""
    if hook not in _wake_hooks:
        _wake_hooks.append(hook)


def wake_deliverers() -> None:
    """Tell the deliverers that pushes are waiting; a failing hook must not fail the commit."""
    for hook in list(_wake_hooks):
        try:
            hook()
        except Exception:  # noqa: BLE001 - the minute tick delivers what a failed wake did not
            log.exception("waking the outbox deliverer failed")


@event.listens_for(Session, "after_commit")
def _wake_after_commit(session: Session) -> None:
    if session.info.pop(_WAKE_FLAG, False):
        wake_deliverers()


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_WAKE_FLAG, None)


def deliver_pending(session: Session, client: TradingClient, *, now: dt.datetime | None = None,
                    limit: int = RUN_LIMIT, policy: RetryPolicy | None = None,
                    batch_size: int = BATCH_SIZE) -> DeliveryReport:
    """Send up to ``limit`` due messages, most urgent then oldest first, ``batch_size`` per request.

    Each batch's rows are locked with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite has one
    writer anyway) while they are sent and committed with their per-item results, so two
    deliverers never send the same row at once. When the trading system cannot be reached at
    all, the remaining due messages are marked failed without trying each batch.
    The function owns its transactions: give it a session without unsaved work.
    """
    now = now or utcnow()
    policy = policy or RetryPolicy()
    report = DeliveryReport()
    due_ids = session.scalars(
        _due(now).with_only_columns(OutboxMessage.id)
        .order_by(OutboxMessage.priority, OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    ).all()
    unreachable: TradingError | None = None
    for start in range(0, len(due_ids), max(batch_size, 1)):
        chunk = due_ids[start:start + max(batch_size, 1)]
        batch = session.scalars(
            _due(now).where(OutboxMessage.id.in_(chunk))
            .order_by(OutboxMessage.priority, OutboxMessage.next_attempt_at, OutboxMessage.id)
            .with_for_update(skip_locked=True)
        ).all()
        report.skipped += len(chunk) - len(batch)
        if batch and unreachable is not None:
            for message in batch:
                _record_failure(message, unreachable, now, policy, report)
        elif batch:
            unreachable = _send_batch(batch, client, now, policy, report)
        session.commit()
    report.pending = session.scalar(
        select(func.count(OutboxMessage.id)).where(OutboxMessage.status == OUTBOX_PENDING)) or 0
    report.due = session.scalar(_due(now).with_only_columns(func.count(OutboxMessage.id))) or 0
    session.commit()
    return report


def _due(now: dt.datetime):  # noqa: ANN202 - a Select of OutboxMessage
    return select(OutboxMessage).where(OutboxMessage.status == OUTBOX_PENDING,
                                       OutboxMessage.next_attempt_at <= now)


def _send_batch(batch: list[OutboxMessage], client: TradingClient, now: dt.datetime,
                policy: RetryPolicy, report: DeliveryReport) -> TradingError | None:
    """Send one batch and record each message's outcome; return the error if unreachable."""
    items = [(m.idempotency_key, {k: m.payload.get(k) for k in PUSH_FIELDS}) for m in batch]
    try:
        results = client.push_deposit_statuses(items)
    except TradingError as exc:
        for message in batch:
            if isinstance(exc, TradingRejected) and exc.code != "unauthorized":
                _park(message, exc.detail, report)  # the request itself was refused as malformed
            else:  # our credentials or the system's state, not these messages: try again later
                _record_failure(message, exc, now, policy, report)
        return exc if isinstance(exc, (TradingUnreachable, TradingNotConfigured)) else None
    except Exception as exc:  # noqa: BLE001 - a client bug must not stop the other batches
        log.exception("outbox batch of %s messages could not be sent", len(batch))
        error = TradingError(detail=f"{type(exc).__name__}: {exc}")
        for message in batch:
            _record_failure(message, error, now, policy, report)
        return None
    for message, result in zip(batch, results):
        _record_result(message, result, now, policy, report)
    return None


def _record_result(message: OutboxMessage, result: BatchPushResult, now: dt.datetime,
                   policy: RetryPolicy, report: DeliveryReport) -> None:
    if result.error is None:
        message.status = OUTBOX_DELIVERED
        message.delivered_at = now
        message.attempts += 1
        report.delivered += 1
    elif isinstance(result.error, TradingRejected) and result.error.code != "unauthorized":
        _park(message, result.error.detail, report)
    else:
        _record_failure(message, result.error, now, policy, report)


def _record_failure(message: OutboxMessage, error: TradingError, now: dt.datetime,
                    policy: RetryPolicy, report: DeliveryReport) -> None:
    message.attempts += 1
    message.last_error = error.detail[:LAST_ERROR_MAX]
    report.errors.append(f"#{message.id}: {error.detail}")
    if message.attempts >= policy.max_attempts:
        message.status = OUTBOX_PARKED
        report.parked += 1
        log.error("outbox message %s parked after %s attempts: %s", message.id, message.attempts,
                  error.detail)
        return
    message.next_attempt_at = now + policy.delay(message.attempts)
    report.failed += 1


def _park(message: OutboxMessage, detail: str, report: DeliveryReport) -> None:
    message.attempts += 1
    message.status = OUTBOX_PARKED
    message.last_error = detail[:LAST_ERROR_MAX]
    report.parked += 1
    report.errors.append(f"#{message.id}: {detail}")
    log.error("outbox message %s rejected by the trading system: %s", message.id, detail)


@transaction
def retry(session: Session, message_id: int, *, now: dt.datetime | None = None) -> OutboxMessage:
    """Fund-office action: send a pending or parked message again soon, attempts counted afresh."""
    return _retry_one(session, message_id, now or utcnow())


@transaction
def retry_many(session: Session, message_ids: Iterable[int], *,
               now: dt.datetime | None = None) -> list[OutboxMessage]:
    """``retry`` several messages in one transaction: all of them or, on an error, none."""
    now = now or utcnow()
    return [_retry_one(session, int(i), now) for i in message_ids]


def retry_parked(session: Session, *, now: dt.datetime | None = None) -> int:
    """Put every parked message back in the queue; returns how many."""
    ids = session.scalars(select(OutboxMessage.id)
                          .where(OutboxMessage.status == OUTBOX_PARKED)).all()
    return len(retry_many(session, ids, now=now))


def _retry_one(session: Session, message_id: int, now: dt.datetime) -> OutboxMessage:
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(_l("Outbox message %(id)s does not exist.", id=message_id))
    if message.status == OUTBOX_DELIVERED:
        raise InvalidTransition(_l("Outbox message %(id)s was already delivered.", id=message_id))
    message.status = OUTBOX_PENDING
    message.attempts = 0
    message.next_attempt_at = now
    return message


def outbox_counts(session: Session) -> dict[str, int]:
    """Number of messages per status, every status present."""
    rows = session.execute(select(OutboxMessage.status, func.count(OutboxMessage.id))
                           .group_by(OutboxMessage.status)).all()
    counts = {OUTBOX_PENDING: 0, OUTBOX_DELIVERED: 0, OUTBOX_PARKED: 0}
    counts.update({status: n for status, n in rows})
    return counts


def run_delivery(session: Session, config: Mapping[str, Any]) -> DeliveryReport | None:
    """One delivery run with the configured trading system and retry policy (the queue's task).

    None when the trading system is not configured.
    """
    try:
        with TradingClient.from_config(config) as client:
            report = deliver_pending(session, client, policy=RetryPolicy.from_config(config),
                                     batch_size=int(config.get("OUTBOX_BATCH_SIZE", BATCH_SIZE)))
    except TradingNotConfigured:
        log.warning("trading system not configured; outbox delivery skipped")
        return None
    if report.attempted:
        log.info("outbox: %s delivered, %s failed, %s parked, %s pending", report.delivered,
                 report.failed, report.parked, report.pending)
    return report
