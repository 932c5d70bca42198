"""Is this process able to serve? Each check answers for one part, by name, without any data.

Parts: ``database`` (a round trip), ``queue`` (the background queue answers and a consumer has
reported lately), ``uploads`` (the upload folder takes a file) and ``outbox`` (how far pushes to the trading system
are behind). /health answers 503 naming every part that failed.
"""
from __future__ import annotations

import datetime as dt
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from app.models.base import utcnow
from app.models.outbox import OUTBOX_PARKED, OUTBOX_PENDING, OutboxMessage


@dataclass
class Check:
    ok: Optional[bool]  # None: not checked (its prerequisite failed)
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class HealthReport:
    checks: dict[str, Check]

    @property
    def failing(self) -> list[str]:
        return [name for name, check in self.checks.items() if check.ok is False]

    @property
    def ok(self) -> bool:
        return not self.failing

    def to_dict(self) -> dict[str, Any]:
        return {"status": "ok" if self.ok else "fail", "failing": self.failing,
                "checks": {name: {"ok": c.ok, **c.detail} for name, c in self.checks.items()}}


def check_database(engine: Engine) -> Check:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure to talk to the database is the answer
        return Check(False, {"error": type(exc).__name__})
    return Check(True)


def check_upload_folder(folder: str | os.PathLike[str]) -> Check:
    """Write, read back and delete a small file: permission bits alone do not tell (root, ro mounts)."""
    probe = Path(folder) / f".health-{uuid.uuid4().hex}"
    try:
        probe.write_bytes(b"ok")
        readable = probe.read_bytes() == b"ok"
    except OSError as exc:
        return Check(False, {"error": exc.strerror or type(exc).__name__})
    finally:
        try:
            probe.unlink()
        except OSError:
            pass
    return Check(readable)


@dataclass
class QueueState:
    """What the queue (``app/queue.py``) says of itself; ``consumer_silence`` is the seconds since a
    consumer last reported (None: never)."""

    backend: str
    reachable: bool
    pending: int = 0
    scheduled: int = 0
    consumer_silence: Optional[float] = None
    immediate: bool = False
    last_errors: list[str] = field(default_factory=list)
    error: Optional[str] = None


def check_queue(state: Optional[QueueState], max_silence_seconds: int) -> Check:
    """The store must answer, and (unless tasks run in the enqueuing process) a consumer must have
    reported within ``max_silence_seconds``: otherwise queued imports and pushes wait forever."""
    if state is None:
        return Check(None, {"skipped": "no queue"})
    if not state.reachable:
        return Check(False, {"backend": state.backend, "error": state.error})
    detail: dict[str, Any] = {"backend": state.backend, "pending": state.pending,
                              "scheduled": state.scheduled}
    if state.immediate:
        detail["mode"] = "immediate"
        return Check(True, detail)
    detail["consumer_seen_seconds_ago"] = (None if state.consumer_silence is None
                                           else int(state.consumer_silence))
    if state.last_errors:
        detail["last_errors"] = sorted(state.last_errors)
    alive = state.consumer_silence is not None and state.consumer_silence <= max_silence_seconds
    return Check(alive, detail)


def check_outbox(engine: Engine, max_lag_seconds: int, now: Optional[dt.datetime] = None) -> Check:
    """Pending and parked pushes and the age of the oldest pending one; fails past
    ``max_lag_seconds`` unless that is 0."""
    now = now or utcnow()
    try:
        with engine.connect() as conn:
            pending, oldest = conn.execute(
                select(func.count(OutboxMessage.id), func.min(OutboxMessage.created_at))
                .where(OutboxMessage.status == OUTBOX_PENDING)).one()
            parked = conn.execute(select(func.count(OutboxMessage.id))
                                  .where(OutboxMessage.status == OUTBOX_PARKED)).scalar_one()
    except Exception as exc:  # noqa: BLE001 - e.g. a schema without the outbox table
        return Check(False, {"error": type(exc).__name__})
    lag = max(int((now - oldest).total_seconds()), 0) if oldest is not None else 0
    # 0 (or less) reports the lag without ever failing on it.
    return Check(max_lag_seconds <= 0 or lag <= max_lag_seconds, {"pending": pending, "parked": parked, "lag_seconds": lag,
                                          "max_lag_seconds": max_lag_seconds})


def run_checks(engine: Engine, upload_folder: str | os.PathLike[str], queue: Optional[QueueState],
               outbox_max_lag_seconds: int, queue_max_silence_seconds: int = 180) -> HealthReport:
    database = check_database(engine)
    outbox = (check_outbox(engine, outbox_max_lag_seconds) if database.ok
              else Check(None, {"skipped": "database"}))
    return HealthReport({"database": database, "queue": check_queue(queue, queue_max_silence_seconds),
                         "uploads": check_upload_folder(upload_folder), "outbox": outbox})
