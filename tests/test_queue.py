"""The background queue (app/queue.py): order jobs, outbox delivery and the nightly backup run in
a huey consumer process, on the SQLite store by default or on Redis (``-m redis``, started by
scripts/test-redis.sh).

The consumer here is the real one (``huey_consumer app.worker.huey`` in a subprocess, as
``make run`` starts it) over the test's database; the web side is the test app with its queue
switched from immediate mode (TestConfig) to the real store.
"""
from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.models.order import JOB_DONE, OrderLine
from app.models.outbox import OUTBOX_DELIVERED, OutboxMessage
from app.queue import BACKUP_TASK, PlatformQueue, init_queue, local_to_utc_crontab, make_huey
from app.services.backup.schedule import archives
from app.services.outbox import enqueue_deposit_push
from tests.conftest import DEMO_PASSWORD, build_test_app, login
from tests.test_orders_views import create_collect, house_sheet, order_id_from, sheet_rows
from tests.test_trading_outbox import linked_houses
from tradesim.testing import SimulatorServer

ROOT = Path(__file__).resolve().parent.parent
CONSUMER = Path(sys.executable).parent / "huey_consumer"
#: Generous: the consumer builds the whole app before its first task, on a shared 2-core machine.
WAIT_SECONDS = 90
QUEUE_KEYS = ("HUEY_IMMEDIATE", "HUEY_REDIS_URL", "HUEY_SQLITE_PATH", "HUEY_NAME",
              "TRADE_BACKGROUND_DELIVERY", "TRADE_BASE_URL", "TRADE_TOKEN", "BACKUP_DIR")


def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL", "")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set (scripts/test-redis.sh starts a Redis)")
    return url


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def queued(request: pytest.FixtureRequest, app: Flask, tmp_path: Path) -> Iterator[PlatformQueue]:
    """The app's queue on a real store (SQLite file, or Redis), restored afterwards."""
    url = redis_url() if request.param == "redis" else ""
    saved = {key: app.config.get(key) for key in QUEUE_KEYS}
    saved_queue = app.extensions["queue"]
    app.config.update(HUEY_IMMEDIATE=False, HUEY_REDIS_URL=url,
                      HUEY_SQLITE_PATH=str(tmp_path / "queue.sqlite"),
                      HUEY_NAME=f"jm-test-{uuid.uuid4().hex[:12]}")
    queue = init_queue(app)
    try:
        yield queue
    finally:
        queue.huey.flush()
        app.config.update(saved)
        app.extensions["queue"] = saved_queue


@contextmanager
def consumer(app: Flask, tmp_path: Path, *, periodic: bool = True) -> Iterator[subprocess.Popen]:
    """``huey_consumer app.worker.huey`` in its own process, configured like the test app."""
    config = app.config
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JM_INSTANCE_DIR": str(tmp_path / "instance"),
           "SECRET_KEY": config["SECRET_KEY"], "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"],
           "UPLOAD_FOLDER": config["UPLOAD_FOLDER"], "HUEY_NAME": config["HUEY_NAME"],
           "HUEY_REDIS_URL": config["HUEY_REDIS_URL"], "REDIS_URL": "",
           "HUEY_SQLITE_PATH": config["HUEY_SQLITE_PATH"], "BACKUP_NIGHTLY": "false",
           "TRADE_BASE_URL": config["TRADE_BASE_URL"], "TRADE_TOKEN": config["TRADE_TOKEN"],
           "TRADE_BACKGROUND_DELIVERY": "true" if config["TRADE_BACKGROUND_DELIVERY"] else "false"}
    args = [str(CONSUMER), "app.worker.huey", "--workers", "1", "--worker-type", "thread"]
    if not periodic:
        args.append("--no-periodic")
    tmp_path.mkdir(parents=True, exist_ok=True)
    log = (tmp_path / "consumer.log").open("wb")
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def wait_for(condition: Callable[[], bool], what: str, log: Path) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen; consumer log:\n{log.read_text(errors='replace')}")
        time.sleep(0.2)


def queued_uploads(app: Flask) -> list[Path]:
    return sorted((Path(app.config["UPLOAD_FOLDER"]) / "imports").glob("queued-*"))


# ---------------------------------------------------------------- storage and schedule

def test_the_store_is_a_sqlite_file_by_default_and_redis_when_a_url_is_set(tmp_path: Path) -> None:
    sqlite = make_huey({"HUEY_SQLITE_PATH": str(tmp_path / "q" / "queue.sqlite")})
    assert type(sqlite).__name__ == "SqliteHuey" and sqlite.storage.filename.endswith("queue.sqlite")
    assert type(make_huey({"HUEY_REDIS_URL": "redis://127.0.0.1:1/0"})).__name__ == "RedisHuey"
    # REDIS_URL alone moves the queue and the per-address login limit to Redis.
    env = {**os.environ, "JM_INSTANCE_DIR": str(tmp_path / "instance"), "SECRET_KEY": "k" * 32,
           "REDIS_URL": "redis://127.0.0.1:6390/2", "HUEY_REDIS_URL": "", "RATELIMIT_STORAGE_URI": ""}
    env.pop("RATELIMIT_STORAGE_URI")
    out = subprocess.run([sys.executable, "-c", "import config; c = config.Config; "
                          "print(c.HUEY_REDIS_URL, c.RATELIMIT_STORAGE_URI, c.HUEY_SQLITE_PATH)"],
                         cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout.split()
    assert out == ["redis://127.0.0.1:6390/2", "redis://127.0.0.1:6390/2",
                   str(tmp_path / "instance" / "queue.sqlite")]


def test_periodic_tasks_deliver_every_minute_and_back_up_at_local_time(app: Flask) -> None:
    # 02:30 in Asia/Shanghai is 18:30 UTC; huey reads crontabs in UTC.
    assert local_to_utc_crontab("02:30", "Asia/Shanghai")(dt.datetime(2026, 3, 1, 18, 30))
    huey = app.extensions["queue"].huey

    def due(at: dt.datetime) -> set[str]:
        return {task.name for task in huey.read_periodic(at)}

    assert due(dt.datetime(2026, 3, 1, 18, 30)) == {"outbox_tick", "heartbeat", BACKUP_TASK}
    assert due(dt.datetime(2026, 3, 1, 18, 31)) == {"outbox_tick", "heartbeat"}


def test_a_failed_backup_shows_on_health_until_the_next_good_one(queued: PlatformQueue, app: Flask,
                                                                  anon_client: Any,
                                                                  tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    app.config["BACKUP_DIR"] = str(not_a_folder)
    queued.beat()
    queued._nightly_backup()
    body = anon_client.get("/health").get_json()
    assert body["checks"]["queue"]["last_errors"] == [BACKUP_TASK]
    app.config["BACKUP_DIR"] = str(tmp_path / "backups")
    queued._nightly_backup()
    assert len(archives(tmp_path / "backups")) == 1
    assert "last_errors" not in anon_client.get("/health").get_json()["checks"]["queue"]


# ---------------------------------------------------------------- order jobs

def test_in_immediate_mode_the_import_is_done_within_the_request(app: Flask,
                                                                  dev_a_client: Any) -> None:
    order_id = order_id_from(create_collect(dev_a_client))
    response = dev_a_client.post(f"/order-form/{order_id}/import",
                                 data={"file": (io.BytesIO(house_sheet(sheet_rows(3))), "h.xlsx")},
                                 content_type="multipart/form-data")
    assert response.status_code == 202 and response.get_json()["state"] == JOB_DONE
    assert queued_uploads(app) == []


def test_an_import_queued_before_a_restart_is_done_by_the_next_consumer(
        queued: PlatformQueue, app: Flask, dev_a_client: Any, session: Any, tmp_path: Path) -> None:
    order_id = order_id_from(create_collect(dev_a_client))
    response = dev_a_client.post(f"/order-form/{order_id}/import",
                                 data={"file": (io.BytesIO(house_sheet(sheet_rows(6))), "h.xlsx")},
                                 content_type="multipart/form-data")
    assert response.status_code == 202
    job = response.get_json()
    assert (job["state"], job["done"]) == ("running", 0)
    assert len(queued_uploads(app)) == 1
    # The web process restarts: a new process's queue object finds the job in the store.
    restarted = PlatformQueue(app)
    assert restarted.huey.pending_count() == 1

    def finished() -> bool:
        return dev_a_client.get(f"/order-form/jobs/{job['id']}").get_json()["state"] != "running"

    with consumer(app, tmp_path):
        wait_for(finished, "the queued import", tmp_path / "consumer.log")
    status = dev_a_client.get(f"/order-form/jobs/{job['id']}").get_json()
    assert status["state"] == JOB_DONE, status
    assert "6" in status["message"]
    session.expire_all()
    lines = session.scalar(select(func.count(OrderLine.id)).where(OrderLine.order_id == order_id))
    assert lines == 7  # the building and its six houses
    assert queued_uploads(app) == [] and restarted.huey.pending_count() == 0


# ---------------------------------------------------------------- the outbox

def test_a_commit_wakes_the_consumer_which_delivers_the_push(
        queued: PlatformQueue, app: Flask, session: Any, demo: Any, sim: SimulatorServer,
        tmp_path: Path) -> None:
    sim.start()
    sim.reset_faults()
    sim.clear_pushes()
    app.config.update(TRADE_BACKGROUND_DELIVERY=True, TRADE_BASE_URL=sim.url, TRADE_TOKEN=sim.token)
    # Without the periodic tick, only the commit's wake can make the consumer deliver.
    with consumer(app, tmp_path, periodic=False):
        wait_for(lambda: queued.state().consumer_silence is not None, "the consumer's start",
                 tmp_path / "consumer.log")
        message = enqueue_deposit_push(session, linked_houses(session, demo, 1)[0], reason="payment")
        session.commit()
        message_id = message.id

        def delivered() -> bool:
            session.expire_all()
            return session.get(OutboxMessage, message_id).status == OUTBOX_DELIVERED

        wait_for(delivered, "the woken delivery", tmp_path / "consumer.log")
    assert [p["house_code"] for p in sim.pushes()] == [message.house_code]


# ---------------------------------------------------------------- shared state of several workers

def test_lockout_and_sessions_are_shared_by_workers_through_the_database(app: Flask) -> None:
    """Two workers (two apps on one database): failures in both add up to a lock, and a logout
    in one ends the session in the other. No Redis is needed for either: both live in rows."""
    overrides = {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                 "UPLOAD_FOLDER": app.config["UPLOAD_FOLDER"], "LOCKOUT_MAX_FAILURES": 4}
    first, second = build_test_app(**overrides), build_test_app(**overrides)
    try:
        browser = login(first.test_client(), "dev_a")
        copy = second.test_client()
        copy.set_cookie("session", browser.get_cookie("session").value)
        assert copy.get("/org/info/").status_code == 200
        browser.get("/logout/")
        assert copy.get("/org/info/").status_code in (302, 303)

        for worker in (first, second, first, second):
            worker.test_client().post("/login/", data={"username": "dev_a_staff",
                                                       "password": "Wrong#2026x"})
        refused = second.test_client().post("/login/", data={"username": "dev_a_staff",
                                                             "password": DEMO_PASSWORD})
        assert "/login" in refused.headers.get("Location", "/login")
    finally:
        for worker in (first, second):
            with worker.app_context():
                db.engine.dispose()


@pytest.mark.redis
def test_the_per_address_login_limit_counts_across_workers_in_redis(app: Flask) -> None:
    url = redis_url()
    overrides = {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                 "UPLOAD_FOLDER": app.config["UPLOAD_FOLDER"], "AUTH_RATE_LIMITED": True,
                 "RATELIMIT_ENABLED": True, "AUTH_RATE_LIMIT": "3 per minute",
                 "RATELIMIT_STORAGE_URI": url, "RATELIMIT_KEY_PREFIX": f"jm-{uuid.uuid4().hex}"}
    first, second = build_test_app(**overrides), build_test_app(**overrides)
    try:
        statuses = [worker.test_client().post("/login/", data={"username": "dev_a",
                                                               "password": "Wrong#2026x"}).status_code
                    for worker in (first, second, first, second)]
    finally:
        for worker in (first, second):
            with worker.app_context():
                db.engine.dispose()
    # Three attempts in all, whichever worker took them; the fourth is refused by either.
    assert 429 not in statuses[:3]
    assert statuses[3] == 429


def test_a_fetch_running_when_its_consumer_stops_is_done_by_the_next_one(
        queued: PlatformQueue, app: Flask, dev_a_client: Any, session: Any, sim: SimulatorServer,
        tmp_path: Path) -> None:
    from app.models.order import OrderJob

    sim.start()
    sim.clear_pushes()
    app.config.update(TRADE_BASE_URL=sim.url, TRADE_TOKEN=sim.token)
    order_id = order_id_from(create_collect(dev_a_client, name=""))
    sim.set_faults(delay_seconds=6)  # the project's houses come slowly: time to stop the consumer
    try:
        job_id = dev_a_client.post(f"/order-form/{order_id}/fetch",
                                   json={"project_ids": ["P44070303"]}).get_json()["id"]

        def fetching() -> bool:
            session.expire_all()
            return "P44070303" in (session.get(OrderJob, job_id).message or "")

        with consumer(app, tmp_path) as first:
            wait_for(fetching, "the fetch's start", tmp_path / "consumer.log")
            first.terminate()  # SIGTERM: huey stops at once, interrupting the running job
            first.wait(60)
    finally:
        sim.reset_faults()
    session.expire_all()
    assert session.get(OrderJob, job_id).state == "running"
    # Queued again, for whichever consumer comes next (beside the periodic tasks it had queued).
    assert [t.args[0] for t in queued.huey.pending() if t.name == "order_job"] == [job_id]

    def finished() -> bool:
        session.expire_all()
        return session.get(OrderJob, job_id).state != "running"

    with consumer(app, tmp_path / "second"):
        wait_for(finished, "the second consumer's fetch", tmp_path / "second" / "consumer.log")
    job = session.get(OrderJob, job_id)
    assert job.state == JOB_DONE, job.message
    lines = session.scalar(select(func.count(OrderLine.id)).where(OrderLine.order_id == order_id,
                                                                 OrderLine.target == "house"))
    assert lines == 50
