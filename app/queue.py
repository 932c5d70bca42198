"""The background queue: huey, configured from the app's config.

Long or periodic work runs in a consumer process (``huey_consumer app.worker.huey``, started by
``make run``), never in threads of the web process, so any number of web workers and machines
share one queue and a restart of the web process loses nothing that was queued:

* ``order_job``: an import or a trading-system fetch; the ``OrderJob`` row keeps its progress
  (``app.services.orders.jobs``), so the page polls it from any worker as before; a job running
  when its consumer is stopped is queued again for the next consumer;
* ``deliver_outbox``: pushes to the trading system; enqueued right after each commit that queued
  a push (``app.services.outbox.on_wake``) and run every minute by ``outbox_tick`` for retries;
* ``nightly_backup``: at ``BACKUP_AT`` local time;
* ``heartbeat``: the consumer says it is alive at start and every minute, for ``/health``.

Storage: Redis when ``HUEY_REDIS_URL`` (or ``REDIS_URL``) is set, otherwise a SQLite file
(``HUEY_SQLITE_PATH``, under instance/), which needs nothing installed. ``HUEY_IMMEDIATE`` runs
each task at once in the process that enqueues it (tests).
"""
from __future__ import annotations

import datetime as dt
import logging
import time
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Optional
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_app_context
from flask_babel import force_locale

from app.extensions import db
from app.services.health import QueueState

if TYPE_CHECKING:
    from huey import Huey, crontab

# huey is imported where it is used, not here: with redis and gevent, which it imports when they
# are installed, it is about 18 MB of every process, and a web worker that never queues anything
# (the app's ``extensions["queue"]`` is a ``LazyQueue``) need not carry it.

log = logging.getLogger(__name__)

EXTENSION = "queue"
HEARTBEAT_KEY = "jm:consumer-heartbeat"
LAST_ERROR_KEY = "jm:last-error:"
BACKUP_TASK = "nightly_backup"


def make_huey(config: Mapping[str, Any]) -> Huey:
    """The huey instance the config asks for (Redis, or the SQLite file)."""
    from huey import RedisHuey, SqliteHuey

    name = config.get("HUEY_NAME", "jm")
    immediate = bool(config.get("HUEY_IMMEDIATE"))
    # Task results are not kept: the job row and the outbox table are the record of the work.
    url = config.get("HUEY_REDIS_URL")
    if url:
        return RedisHuey(name, url=url, immediate=immediate, results=False)
    path = Path(config["HUEY_SQLITE_PATH"])
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(path), immediate=immediate, results=False)


def local_to_utc_crontab(at: str, zone: str, today: Optional[dt.date] = None) -> crontab:
    """A daily crontab (huey evaluates it in UTC) for ``at`` (HH:MM) local time of ``zone``."""
    from huey import crontab

    hour, minute = (int(part) for part in at.split(":", 1))
    day = today or dt.date.today()
    local = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZoneInfo(zone))
    utc = local.astimezone(dt.timezone.utc)
    return crontab(minute=str(utc.minute), hour=str(utc.hour))


class PlatformQueue:
    """The app's huey instance and its tasks; ``app.extensions["queue"]``."""

    def __init__(self, app: Flask) -> None:
        from huey import crontab
        from huey.signals import SIGNAL_INTERRUPTED

        self.app = app
        self.huey = make_huey(app.config)
        task, periodic = self.huey.task, self.huey.periodic_task
        self.order_job = task(name="order_job")(self._order_job)
        self.deliver_outbox = task(name="deliver_outbox")(self._deliver_outbox)
        periodic(crontab(minute="*"), name="outbox_tick")(self._outbox_tick)
        periodic(crontab(minute="*"), name="heartbeat")(self.beat)
        self.huey.on_startup(name="heartbeat")(self.beat)
        self.huey.signal(SIGNAL_INTERRUPTED)(self._requeue_interrupted)
        if app.config.get("BACKUP_NIGHTLY"):
            at = local_to_utc_crontab(app.config["BACKUP_AT"], app.config["BABEL_DEFAULT_TIMEZONE"])
            self.backup = periodic(at, name=BACKUP_TASK)(self._nightly_backup)

    @property
    def backend(self) -> str:
        from huey import RedisHuey

        return "redis" if isinstance(self.huey, RedisHuey) else "sqlite"

    # ------------------------------------------------------------ enqueueing (web process)

    def enqueue_order_job(self, job_id: int, kind: str, params: dict[str, Any], locale: str) -> None:
        self.order_job(job_id, kind, params, locale)

    def wake_outbox(self) -> None:
        """Deliver soon: a commit queued pushes. Several wakes in a row cost one empty run each."""
        if self.app.config.get("TRADE_BACKGROUND_DELIVERY"):
            self.deliver_outbox()

    # ------------------------------------------------------------ the tasks (consumer process)

    def _order_job(self, job_id: int, kind: str, params: dict[str, Any], locale: str) -> None:
        from app.services.orders import jobs

        with self.app.app_context():
            try:
                with force_locale(locale):
                    jobs.run(self.app.config, job_id, kind, params, db.session)
            finally:
                db.session.remove()

    def _requeue_interrupted(self, signal: str, task: Any, *args: Any, **kwargs: Any) -> None:
        """A consumer stopped (a restart) in the middle of an order job: queue it again for the next.

        Safe to run twice: the work stores nothing before its last transaction, which a stopped
        process never committed, and ``jobs.run`` skips a job that did finish meanwhile.
        """
        if task.name == "order_job":
            log.warning("order job %s interrupted by the consumer's stop; queued again", task.args[0])
            self.huey.enqueue(task)

    def _deliver_outbox(self) -> None:
        from app.services.outbox import run_delivery

        with self.app.app_context():
            try:
                report = run_delivery(db.session, self.app.config)
            finally:
                db.session.remove()
        if report is not None and report.due and report.delivered:
            self.deliver_outbox()  # a backlog that is moving: keep draining, no wait for the tick

    def _outbox_tick(self) -> None:
        if self.app.config.get("TRADE_BACKGROUND_DELIVERY"):
            self._deliver_outbox()

    def _nightly_backup(self) -> None:
        from app.services.backup.database import Tools
        from app.services.backup.schedule import nightly_backup

        config = self.app.config
        try:
            result = nightly_backup(config["SQLALCHEMY_DATABASE_URI"], config["UPLOAD_FOLDER"],
                                    config["BACKUP_DIR"], config["BACKUP_KEEP"],
                                    Tools(config["PG_DUMP_PATH"], config["PG_RESTORE_PATH"]))
        except Exception as exc:  # noqa: BLE001 - one failed night must not hide from /health
            log.exception("nightly backup failed")
            self.huey.put(LAST_ERROR_KEY + BACKUP_TASK, str(exc))
            return
        self.huey.delete(LAST_ERROR_KEY + BACKUP_TASK)
        if result is not None:
            log.info("nightly backup written: %s", result.path)

    def beat(self) -> None:
        self.huey.put(HEARTBEAT_KEY, time.time())

    # ------------------------------------------------------------ /health

    def state(self) -> QueueState:
        """What /health reports; never raises (an unreachable store is the answer)."""
        try:
            pending = self.huey.pending_count()
            scheduled = self.huey.scheduled_count()
            beat = self.huey.get(HEARTBEAT_KEY, peek=True)
            error = self.huey.get(LAST_ERROR_KEY + BACKUP_TASK, peek=True)
        except Exception as exc:  # noqa: BLE001 - e.g. Redis down
            return QueueState(self.backend, reachable=False, error=type(exc).__name__)
        silence = None if beat is None else max(time.time() - float(beat), 0.0)
        return QueueState(self.backend, reachable=True, pending=pending, scheduled=scheduled,
                          consumer_silence=silence, immediate=self.huey.immediate,
                          last_errors=[BACKUP_TASK] if error else [])


class LazyQueue:
    """``app.extensions["queue"]``: the app's ``PlatformQueue``, made (and huey imported) when
    first used; every attribute is the queue's. A commit that queued pushes wakes the outbox
    only when delivery runs in the background, so without that it makes no queue either."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._queue: Optional[PlatformQueue] = None
        self._lock = threading.Lock()

    @property
    def queue(self) -> PlatformQueue:
        if self._queue is None:
            with self._lock:  # two threads of a worker must not make two
                if self._queue is None:
                    self._queue = PlatformQueue(self.app)
        return self._queue

    def wake_outbox(self) -> None:
        if self.app.config.get("TRADE_BACKGROUND_DELIVERY"):
            self.queue.wake_outbox()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.queue, name)


def queue_of(app: Flask) -> PlatformQueue:
    return app.extensions[EXTENSION]


def _wake_current_app() -> None:
    """The outbox's after-commit hook: enqueue a delivery on the app of this context."""
    if has_app_context():
        queue = current_app.extensions.get(EXTENSION)
        if queue is not None:
            queue.wake_outbox()


def init_queue(app: Flask, *, lazy: bool = False) -> Any:
    """Install the app's queue: a ``PlatformQueue`` now, or (``lazy``, as ``create_app`` does)
    a ``LazyQueue`` that makes it when first used."""
    from app.services.outbox import on_wake

    queue = LazyQueue(app) if lazy else PlatformQueue(app)
    app.extensions[EXTENSION] = queue
    on_wake(_wake_current_app)
    return queue
