"""Outbox of pushes to the trading system (房地产交易系统).

A business change that the trading system must learn about (a house opened from the trading
system, a contract bound, a payment confirmed, a house cancelled) calls ``enqueue_deposit_push`` in
its own transaction, so the push exists exactly when the change does. ``deliver_pending`` sends
what is due, one message per transaction, with exponential back-off; a message that keeps failing
is parked for the fund office, who can ``retry`` it. Every message keeps one idempotency key for
all its resends, so the trading system never counts a push twice.
"""
from __future__ import annotations

import atexit
import datetime as dt
import logging
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable, Mapping

from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import InvalidTransition, NotFound, ValidationFailed
from app.integrations.trading import (TradingClient, TradingError, TradingNotConfigured,
                                      TradingRejected, TradingUnreachable)
from app.models.base import ZERO, utcnow
from app.models.outbox import OUTBOX_DELIVERED, OUTBOX_PARKED, OUTBOX_PENDING, OutboxMessage
from app.models.property import HOUSE_CANCELLED, HOUSE_CLOSED, House
from app.services.background import DaemonLoop
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
                         now: dt.datetime | None = None) -> OutboxMessage:
    """Add a push of ``house``'s deposit status to the caller's transaction (no commit).

    The house must be known to the trading system (``trade_house_code``); ``reason`` says which
    business caused the push and is shown on the outbox screen, not sent.
    """
    if not house.trade_house_code:
        raise ValidationFailed(_l("House %(code)s is not linked to the trading system.",
                                  code=house.code))
    if house.id is None:
        session.flush()  # a house opened in this same transaction needs its id for the row
    return _add_message(session, house, paid_amount(session, house.id), reason, now or utcnow())


def enqueue_deposit_pushes(session: Session, houses: Iterable[House], *, reason: str,
                           now: dt.datetime | None = None) -> list[OutboxMessage]:
    """Push every house that is linked to the trading system (the others are skipped).

    Paid amounts are read in one query for all houses, so a 2,000-house approval stays cheap.
    """
    linked = [h for h in houses if h.trade_house_code]
    if any(h.id is None for h in linked):
        session.flush()
    paid = balances(session, [h.id for h in linked])
    now = now or utcnow()
    return [_add_message(session, h, paid[h.id].paid, reason, now) for h in linked]


def _add_message(session: Session, house: House, paid: Decimal, reason: str,
                 now: dt.datetime) -> OutboxMessage:
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
        status=OUTBOX_PENDING, attempts=0, next_attempt_at=now, created_at=now,
    )
    session.add(message)
    return message


def deliver_pending(session: Session, client: TradingClient, *, now: dt.datetime | None = None,
                    limit: int = 100, policy: RetryPolicy | None = None) -> DeliveryReport:
    """Send up to ``limit`` due messages, oldest first, committing after each one.

    Each row is locked with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite has one writer anyway)
    while it is sent, so two deliverers never send the same row at once. When the trading system
    cannot be reached at all, the remaining due messages are marked failed without trying each.
    The function owns its transactions: give it a session without unsaved work.
    """
    now = now or utcnow()
    policy = policy or RetryPolicy()
    report = DeliveryReport()
    due_ids = session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OUTBOX_PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    ).all()
    unreachable: TradingError | None = None
    for message_id in due_ids:
        message = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == OUTBOX_PENDING,
                   OutboxMessage.next_attempt_at <= now)
            .with_for_update(skip_locked=True)
        ).one_or_none()
        if message is None:
            report.skipped += 1
            continue
        if unreachable is not None:
            _record_failure(message, unreachable, now, policy, report)
        else:
            unreachable = _send(message, client, now, policy, report)
        session.commit()
    report.pending = session.scalar(
        select(func.count(OutboxMessage.id)).where(OutboxMessage.status == OUTBOX_PENDING)) or 0
    session.commit()
    return report


def _send(message: OutboxMessage, client: TradingClient, now: dt.datetime, policy: RetryPolicy,
          report: DeliveryReport) -> TradingError | None:
    """Send one message and record the outcome; return the error if the system is unreachable."""
    try:
        client.push_deposit_status({k: message.payload.get(k) for k in PUSH_FIELDS},
                                   message.idempotency_key)
    except TradingRejected as exc:
        if exc.code == "unauthorized":  # our credentials, not this message: fix config, keep trying
            _record_failure(message, exc, now, policy, report)
        else:
            _park(message, exc.detail, report)
        return None
    except TradingError as exc:
        _record_failure(message, exc, now, policy, report)
        return exc if isinstance(exc, (TradingUnreachable, TradingNotConfigured)) else None
    except Exception as exc:  # noqa: BLE001 - one broken message must not stop the others
        log.exception("outbox message %s could not be sent", message.id)
        _record_failure(message, TradingError(detail=f"{type(exc).__name__}: {exc}"), now, policy,
                        report)
        return None
    message.status = OUTBOX_DELIVERED
    message.delivered_at = now
    message.attempts += 1
    report.delivered += 1
    return None


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


class BackgroundDeliverer(DaemonLoop):
    """A daemon thread running ``deliver_pending`` every ``interval_seconds`` in its own app context."""

    def __init__(self, app: Flask, interval_seconds: float) -> None:
        super().__init__("trade-outbox")
        self.app = app
        self.interval = interval_seconds

    def run_once(self) -> DeliveryReport | None:
        from app.extensions import db

        with self.app.app_context():
            try:
                with TradingClient.from_config(self.app.config) as client:
                    report = deliver_pending(db.session, client,
                                             policy=RetryPolicy.from_config(self.app.config))
            except TradingNotConfigured:
                log.warning("trading system not configured; outbox delivery skipped")
                return None
            finally:
                db.session.remove()
        if report.attempted:
            log.info("outbox: %s delivered, %s failed, %s parked, %s pending", report.delivered,
                     report.failed, report.parked, report.pending)
        return report

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # noqa: BLE001 - keep the thread alive across database hiccups
                log.exception("outbox delivery run failed")
            self._stop.wait(self.interval)


def start_background_deliverer(app: Flask, interval_seconds: float) -> BackgroundDeliverer:
    """Start (once per app) the background deliverer; it stops when the process exits."""
    existing = app.extensions.get("trade_deliverer")
    if existing is not None and existing.alive:
        return existing
    deliverer = BackgroundDeliverer(app, interval_seconds).start()
    app.extensions["trade_deliverer"] = deliverer
    atexit.register(deliverer.stop, 5.0)
    return deliverer
