"""/health up and down (database unreachable, upload folder read-only, no queue consumer, a lagging
outbox), and log lines carrying the request id and the user id in a parseable format."""
from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import shlex
import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest
from flask import Flask

from app.extensions import db
from app.models.outbox import OutboxMessage
from app.request_log import configure_handler
from tests.conftest import build_test_app

PARTS = {"database", "queue", "uploads", "outbox"}


def test_health_answers_without_login_and_without_data(anon_client: Any, demo: Any) -> None:
    response = anon_client.get("/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["failing"] == []
    assert set(body["checks"]) == PARTS and all(c["ok"] for c in body["checks"].values())
    assert body["checks"]["outbox"]["pending"] == 0
    text = response.get_data(as_text=True)
    assert demo.org_a.name not in text and demo.users["dev_a"].username not in text


def test_an_unreachable_database_gives_503_naming_it(is_postgres: bool, tmp_path: Path) -> None:
    url = ("postgresql://jm@127.0.0.1:9/jm_nowhere?connect_timeout=2" if is_postgres
           else f"sqlite:///{tmp_path / 'no-such-folder' / 'platform.sqlite'}")
    down = build_test_app(SQLALCHEMY_DATABASE_URI=url, UPLOAD_FOLDER=str(tmp_path / "uploads"))
    try:
        response = down.test_client().get("/health")
    finally:
        with down.app_context():
            db.engine.dispose()
    assert response.status_code == 503
    body = response.get_json()
    assert body["failing"] == ["database"]
    assert body["checks"]["outbox"] == {"ok": None, "skipped": "database"}
    assert body["checks"]["uploads"]["ok"] is True


@pytest.fixture()
def read_only_uploads(app: Flask) -> Iterator[Path]:
    """The upload folder made read-only for real: mode bits, or the immutable flag for root."""
    folder = Path(app.config["UPLOAD_FOLDER"])
    folder.chmod(0o555)
    immutable = False
    if os.geteuid() == 0:
        immutable = subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0
    try:
        probe = folder / "writable-probe"
        try:
            probe.write_bytes(b"x")
        except OSError:
            yield folder
        else:
            probe.unlink()
            pytest.skip("this file system lets the test user write into a read-only folder")
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o755)


def test_a_read_only_upload_folder_gives_503_naming_it(anon_client: Any, read_only_uploads: Path) -> None:
    response = anon_client.get("/health")
    assert response.status_code == 503
    body = response.get_json()
    assert body["failing"] == ["uploads"] and body["checks"]["uploads"]["error"]
    assert list(read_only_uploads.iterdir()) == []


def test_a_queue_without_consumer_gives_503_until_one_reports(app: Flask, anon_client: Any,
                                                              tmp_path: Path) -> None:
    from app.queue import PlatformQueue

    queued = build_test_app(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                            UPLOAD_FOLDER=app.config["UPLOAD_FOLDER"], HUEY_IMMEDIATE=False,
                            HUEY_SQLITE_PATH=str(tmp_path / "queue.sqlite"))
    try:
        client = queued.test_client()
        response = client.get("/health")
        assert response.status_code == 503
        body = response.get_json()
        assert body["failing"] == ["queue"]
        assert body["checks"]["queue"] == {"ok": False, "backend": "sqlite", "pending": 0,
                                           "scheduled": 0, "consumer_seen_seconds_ago": None}
        # A consumer's start (or its minute heartbeat) is seen by every web worker.
        PlatformQueue(queued).beat()
        body = client.get("/health").get_json()
        assert body["status"] == "ok" and body["checks"]["queue"]["consumer_seen_seconds_ago"] == 0
    finally:
        with queued.app_context():
            db.engine.dispose()


def test_an_outbox_far_behind_gives_503_with_its_lag(app: Flask, anon_client: Any, session: Any,
                                                     demo: Any) -> None:
    old = dt.datetime.utcnow() - dt.timedelta(hours=2)
    session.add(OutboxMessage(kind="deposit_status", idempotency_key="ops-health-lag", org_id=demo.org_a.id,
                              house_id=demo.house_a.id, payload={}, created_at=old, next_attempt_at=old))
    session.commit()
    response = anon_client.get("/health")
    assert response.status_code == 503
    outbox = response.get_json()["checks"]["outbox"]
    assert response.get_json()["failing"] == ["outbox"]
    assert outbox["pending"] == 1 and outbox["lag_seconds"] >= 7200 > outbox["max_lag_seconds"]

    limit = app.config["HEALTH_OUTBOX_MAX_LAG_SECONDS"]
    app.config["HEALTH_OUTBOX_MAX_LAG_SECONDS"] = 0  # report only
    try:
        relaxed = anon_client.get("/health")
    finally:
        app.config["HEALTH_OUTBOX_MAX_LAG_SECONDS"] = limit
    assert relaxed.status_code == 200 and relaxed.get_json()["checks"]["outbox"]["lag_seconds"] >= 7200


@pytest.fixture()
def access_lines() -> Iterator[callable]:
    """Log lines of ``app.access`` in a chosen format: ``start(kind)`` returns the stream."""
    logger = logging.getLogger("app.access")
    assert not logger.disabled, "something (logging.config?) switched the access log off"
    handlers: list[logging.Handler] = []

    def start(kind: str) -> io.StringIO:
        stream = io.StringIO()
        handler = configure_handler(logging.StreamHandler(stream), kind)
        logger.addHandler(handler)
        handlers.append(handler)
        return stream

    yield start
    for handler in handlers:
        logger.removeHandler(handler)


def test_log_lines_carry_request_id_and_user_id(client_for: Any, anon_client: Any, demo: Any,
                                                access_lines: Any) -> None:
    as_json = access_lines("json")
    as_pairs = access_lines("keyvalue")
    response = anon_client.get("/health", headers={"X-Request-ID": "lb-probe-1"})
    assert response.headers["X-Request-ID"] == "lb-probe-1"
    dev_a = client_for("dev_a")
    page = dev_a.get("/orders/")
    generated = page.headers["X-Request-ID"]
    assert len(generated) == 32 and generated != "lb-probe-1"
    forged = anon_client.get("/health", headers={"X-Request-ID": "bad id user_id=1"})
    assert forged.headers["X-Request-ID"] != "bad id user_id=1"

    records = [json.loads(line) for line in as_json.getvalue().splitlines()]
    by_id = {r["request_id"]: r for r in records}
    assert by_id["lb-probe-1"]["user_id"] == "-" and by_id["lb-probe-1"]["status"] == 200
    assert by_id[generated]["user_id"] == str(demo.users["dev_a"].id)
    assert by_id[generated]["path"] == "/orders/" and by_id[generated]["method"] == "GET"

    pairs = [dict(part.split("=", 1) for part in shlex.split(line))
             for line in as_pairs.getvalue().splitlines()]
    assert [p["request_id"] for p in pairs] == [r["request_id"] for r in records]
    mine = next(p for p in pairs if p["request_id"] == generated)
    assert mine["user_id"] == str(demo.users["dev_a"].id) and mine["msg"] == "GET /orders/ 200"
