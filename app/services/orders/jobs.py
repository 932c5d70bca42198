"""Long work on an order (importing a big sheet, fetching a 2,000-house project) off the request.

The request creates an ``OrderJob`` row and enqueues the job on the background queue
(``app/queue.py``) with plain values only (ids, the stored upload's name); a consumer process runs
it with its own session and reports progress by updating the job row on a separate connection, so
the page's polls (from any worker) see it. A queued job waits in the queue's store, so a restart
of the web process does not lose it. The work writes its result in one short transaction at its
end; until then it only reads, which keeps the progress updates from waiting on its locks. With
``ORDER_JOBS_INLINE`` set (tests, scripts) the work runs inside the request.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.errors import Conflict, DomainError, Problem
from app.extensions import db
from app.models.base import utcnow
from app.models.order import JOB_DONE, JOB_FAILED, JOB_RUNNING, BusinessOrder, OrderJob
from app.services.unit_of_work import unit_of_work

log = logging.getLogger(__name__)
MAX_STORED_PROBLEMS = 500
#: A job still "running" after this long died with its process (a restart): it no longer blocks.
STALE_MINUTES = 30


@dataclass
class JobOutcome:
    message: str
    problems: list[Problem] = field(default_factory=list)
    result_name: Optional[str] = None


class JobRefused(DomainError):
    """The work found problems and stored nothing; ``result_name`` is a marked copy, if any."""

    status = 422
    default_message = _l("Nothing was stored.")

    def __init__(self, message: Any = None, problems: Any = None,
                 result_name: Optional[str] = None) -> None:
        super().__init__(message, problems)
        self.result_name = result_name


#: The work: (session, progress) -> outcome; raise a DomainError to fail the job with its message.
Work = Callable[[Session, "Progress"], JobOutcome]


class Progress:
    """Writes ``done`` / ``total`` / ``message`` to the job row, committed on its own connection."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id

    def __call__(self, done: int, total: int, message: Any = "") -> None:
        with db.engine.begin() as conn:
            conn.execute(update(OrderJob).where(OrderJob.id == self.job_id)
                         .values(done=done, total=total, message=str(message)))


def purge_finished(session: Session, upload_folder: str, keep_days: int) -> int:
    """Delete finished jobs older than ``keep_days`` and their marked error copies.

    A refused import keeps its marked copy for the user to download for ``keep_days``
    (``IMPORT_KEEP_DAYS``); after that neither the row nor the file is needed.
    """
    from app.services.attachments import remove_stored_files
    from app.services.orders.intake import marked_copy_path

    cutoff = utcnow() - dt.timedelta(days=keep_days)
    with unit_of_work(session):
        old = session.execute(select(OrderJob.id, OrderJob.result_name).where(
            OrderJob.state != JOB_RUNNING, OrderJob.created_at < cutoff)).all()
        if old:
            session.execute(delete(OrderJob).where(OrderJob.id.in_([i for i, _n in old]))
                            .execution_options(synchronize_session=False))
    remove_stored_files([marked_copy_path(name, upload_folder) for _i, name in old if name])
    return len(old)


def start(session: Session, order: BusinessOrder, user: Any, kind: str, params: dict[str, Any], *,
          app: Any, locale: str) -> OrderJob:
    """Record the job, then queue it (or run it inline when configured).

    ``kind`` and ``params`` (plain JSON values) name the work (``intake.job_work``); ``app`` gives
    the config and the queue; ``locale`` is the language the job's messages are written in.
    One job per order at a time: two imports racing each other would both pass their checks.
    """
    purge_finished(session, app.config["UPLOAD_FOLDER"], int(app.config.get("IMPORT_KEEP_DAYS", 7)))
    recent = utcnow() - dt.timedelta(minutes=STALE_MINUTES)
    with unit_of_work(session):
        busy = session.scalar(select(OrderJob.id).where(OrderJob.order_id == order.id,
                                                        OrderJob.state == JOB_RUNNING,
                                                        OrderJob.created_at > recent))
        if busy is not None:
            raise Conflict(_l("Another import or fetch for this order is still running; wait "
                              "until it has finished."))
        job = OrderJob(org_id=order.org_id, order_id=order.id, user_id=user.id, kind=kind,
                       state=JOB_RUNNING, done=0, total=0)
        session.add(job)
    if app.config.get("ORDER_JOBS_INLINE"):
        run(app.config, job.id, kind, params, session)
    else:
        try:
            app.extensions["queue"].enqueue_order_job(job.id, kind, params, locale)
        except Exception:
            # The queue's store is down: the job must not stay "running" and block the order.
            log.exception("order job %s could not be queued", job.id)
            _finish(job.id, JOB_FAILED, str(_l("The operation failed unexpectedly. Please try "
                                                "again.")), [], None)
            raise
    session.refresh(job)
    return job


def run(config: Mapping[str, Any], job_id: int, kind: str, params: dict[str, Any],
        session: Session) -> None:
    """Do the job (the queue's task, or inline) and record its outcome on its row."""
    from app.services.orders.intake import job_work

    with db.engine.connect() as conn:  # as Progress: the work's session starts clean below
        state = conn.scalar(select(OrderJob.state).where(OrderJob.id == job_id))
    if state != JOB_RUNNING:
        return  # finished meanwhile (a restarted consumer's second try), or gone
    try:
        work = job_work(kind, params, config)
        with unit_of_work(session):  # the work's reads and its staging, refused as one
            outcome = work(session, Progress(job_id))
        _finish(job_id, JOB_DONE, outcome.message, outcome.problems, outcome.result_name)
    except DomainError as error:
        _finish(job_id, JOB_FAILED, str(error.message), error.problems,
                getattr(error, "result_name", None))
    except Exception:  # noqa: BLE001 - a background job has nobody else to tell
        log.exception("order job %s failed", job_id)
        _finish(job_id, JOB_FAILED, str(_l("The operation failed unexpectedly. Please try again.")),
                [], None)
    finally:
        from app.services.orders.intake import discard_queued_upload

        discard_queued_upload(kind, params, config)


def _finish(job_id: int, state: str, message: str, problems: list[Problem],
            result_name: Optional[str]) -> None:
    stored = [p.to_dict() for p in problems[:MAX_STORED_PROBLEMS]]
    with db.engine.begin() as conn:
        conn.execute(update(OrderJob).where(OrderJob.id == job_id).values(
            state=state, message=message, problems=stored or None, result_name=result_name,
            finished_at=utcnow()))


def job_status(job: OrderJob) -> dict[str, Any]:
    """What the page's progress poll gets back."""
    return {"id": job.id, "kind": job.kind, "state": job.state, "done": job.done,
            "total": job.total, "message": job.message or "", "problems": job.problems or [],
            "problem_count": len(job.problems or []), "has_marked_copy": bool(job.result_name),
            "order_id": job.order_id}
