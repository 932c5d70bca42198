"""The outbox: pushes written with the business change, delivered exactly once in effect.

The trading system is the simulator served over real HTTP on a loopback port; "down" means its
server is stopped, so connections are refused.
"""
from __future__ import annotations

import datetime as dt
import threading
import time
from decimal import Decimal
from typing import Any, Iterator

import pytest
from sqlalchemy import func, select

from app.errors import InvalidTransition, NotFound, ValidationFailed
from app.extensions import db
from app.integrations.trading import TradingClient
from app.models.base import utcnow
from app.models.outbox import (OUTBOX_DELIVERED, OUTBOX_PARKED, OUTBOX_PENDING, PRIORITY_BULK,
                               PRIORITY_URGENT, OutboxMessage)
from app.models.property import HOUSE_CANCELLED, House
from app.services.outbox import (RetryPolicy, deliver_pending,
                                 deposit_status_of, enqueue_deposit_push, enqueue_deposit_pushes,
                                 outbox_counts, retry, retry_many, wake_deliverers)
from tradesim.testing import SimulatorServer

READ_TIMEOUT = 0.5
POLICY = RetryPolicy(max_attempts=4, base_seconds=10, max_delay_seconds=60)


@pytest.fixture()
def trade(sim: SimulatorServer) -> Iterator[SimulatorServer]:
    """The simulator, running, without faults or earlier pushes; restored after the test."""
    sim.start()
    sim.reset_faults()
    sim.clear_pushes()
    yield sim
    sim.start()
    sim.reset_faults()


@pytest.fixture()
def client(trade: SimulatorServer) -> Iterator[TradingClient]:
    with TradingClient(trade.url, trade.token, connect_timeout=0.5, read_timeout=READ_TIMEOUT,
                       retries=1, backoff_factor=0.01) as c:
        yield c


def linked_houses(session: Any, demo: Any, count: int) -> list[House]:
    houses = session.scalars(select(House).where(House.area_id == demo.area_a.id,
                                                 House.trade_house_code.is_not(None))
                             .order_by(House.id).limit(count)).all()
    assert len(houses) == count
    return list(houses)


def messages(session: Any) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_push_is_part_of_the_callers_transaction(session, demo) -> None:
    house = linked_houses(session, demo, 1)[0]
    enqueue_deposit_push(session, house, reason="test")
    session.rollback()
    assert session.scalar(select(func.count(OutboxMessage.id))) == 0

    house = session.get(House, house.id)
    message = enqueue_deposit_push(session, house, reason="contract bound")
    session.commit()
    [stored] = messages(session)
    assert stored.id == message.id and stored.status == OUTBOX_PENDING and stored.attempts == 0
    assert (stored.house_id, stored.org_id, stored.house_code) == (
        house.id, house.org_id, house.trade_house_code)
    payload = stored.payload
    assert payload["house_code"] == house.trade_house_code
    assert payload["amount_due"] == f"{house.amount_due:.2f}" and payload["amount_paid"] == "0.00"
    assert payload["status"] == "未交存" and payload["reason"] == "contract bound"
    assert dt.datetime.fromisoformat(payload["occurred_at"]).tzinfo is not None
    assert stored.next_attempt_at <= utcnow()


def test_payload_carries_the_paid_amount_and_status(session, demo) -> None:
    from app.services.ledger import book_deposit

    part, full, none = linked_houses(session, demo, 3)
    book_deposit(session, part, Decimal("100.00"), notice_id=None, payment_type="首期",
                 value_date=None)
    book_deposit(session, full, full.amount_due, notice_id=None, payment_type="首期",
                 value_date=None)
    session.flush()
    batch = enqueue_deposit_pushes(session, [part, full, none], reason="payment")
    single = enqueue_deposit_push(session, part, reason="payment")
    assert [(m.payload["amount_paid"], m.payload["status"]) for m in batch + [single]] == [
        ("100.00", "部分交存"), (f"{full.amount_due:.2f}", "已交清"), ("0.00", "未交存"),
        ("100.00", "部分交存")]


def test_every_push_gets_its_own_key(session, demo) -> None:
    houses = linked_houses(session, demo, 3)
    keys = {m.idempotency_key for m in enqueue_deposit_pushes(session, houses + houses, reason="x")}
    assert len(keys) == 6


def test_unlinked_house_is_not_pushed(session, demo) -> None:
    house = linked_houses(session, demo, 1)[0]
    house.trade_house_code = None
    with pytest.raises(ValidationFailed):
        enqueue_deposit_push(session, house, reason="x")
    assert enqueue_deposit_pushes(session, [house], reason="x") == []


def test_deposit_status_labels() -> None:
    house = House(amount_due=Decimal("100.00"), status="open")
    labels = [deposit_status_of(house, Decimal(p)) for p in ("0.00", "40.00", "100.00", "120.00")]
    assert labels == ["未交存", "部分交存", "已交清", "已交清"]
    house.status = HOUSE_CANCELLED
    assert deposit_status_of(house, Decimal("100.00")) == "已注销"


def test_delivery_reaches_the_trading_system(session, demo, client, trade) -> None:
    houses = linked_houses(session, demo, 3)
    enqueue_deposit_pushes(session, houses, reason="collected")
    session.commit()

    report = deliver_pending(session, client, policy=POLICY)
    assert (report.delivered, report.failed, report.parked, report.pending) == (3, 0, 0, 0)
    for message in messages(session):
        assert message.status == OUTBOX_DELIVERED and message.delivered_at is not None
        [received] = trade.pushes(key=message.idempotency_key)
        assert received["house_code"] == message.house_code and received["requests"] == 1
    assert deliver_pending(session, client, policy=POLICY).attempted == 0


def test_burst_while_down_arrives_exactly_once_when_back(session, demo, client, trade) -> None:
    houses = linked_houses(session, demo, 30)
    enqueue_deposit_pushes(session, houses, reason="payment confirmed")
    session.commit()
    keys = {m.idempotency_key for m in messages(session)}
    t0 = utcnow()

    trade.stop()
    down = deliver_pending(session, client, now=t0, policy=POLICY)
    assert (down.delivered, down.failed, down.parked) == (0, 30, 0)
    for message in messages(session):
        assert message.status == OUTBOX_PENDING and message.attempts == 1
        assert message.next_attempt_at == t0 + dt.timedelta(seconds=10)
        assert "Connection refused" in message.last_error
    assert deliver_pending(session, client, now=t0, policy=POLICY).attempted == 0  # backing off

    # Back up, but the first five answers get lost after the trading system stored the push.
    trade.start()
    trade.set_faults(fail_next=5, fail_mode="after")
    back = deliver_pending(session, client, now=t0 + dt.timedelta(seconds=11), policy=POLICY)
    assert (back.delivered, back.failed) == (25, 5)
    retried = [m for m in messages(session) if m.status == OUTBOX_PENDING]
    assert {m.attempts for m in retried} == {2} and all("HTTP 500" in m.last_error for m in retried)
    assert {m.next_attempt_at for m in retried} == {t0 + dt.timedelta(seconds=31)}

    done = deliver_pending(session, client, now=t0 + dt.timedelta(seconds=40), policy=POLICY)
    assert (done.delivered, done.failed, done.pending) == (5, 0, 0)
    assert all(m.status == OUTBOX_DELIVERED for m in messages(session))

    received = [p for key in keys for p in trade.pushes(key=key)]
    assert sorted(p["idempotency_key"] for p in received) == sorted(keys)  # none lost, none twice
    assert sorted(p["requests"] for p in received) == [1] * 25 + [2] * 5
    assert {p["house_code"] for p in received} == {h.trade_house_code for h in houses}


def test_failing_message_is_parked_then_retried_by_the_office(session, demo, client, trade) -> None:
    house = linked_houses(session, demo, 1)[0]
    message = enqueue_deposit_push(session, house, reason="x")
    session.commit()
    message_id = message.id
    trade.set_faults(fail_all=True)
    now = utcnow()
    for _ in range(POLICY.max_attempts):
        deliver_pending(session, client, now=now, policy=POLICY)
        now += POLICY.delay(POLICY.max_attempts)
    [message] = messages(session)
    assert message.id == message_id
    assert (message.status, message.attempts) == (OUTBOX_PARKED, POLICY.max_attempts)
    assert "HTTP 500 injected_failure" in message.last_error
    assert outbox_counts(session)[OUTBOX_PARKED] == 1
    assert deliver_pending(session, client, now=now, policy=POLICY).attempted == 0

    trade.reset_faults()
    retried = retry(session, message_id)
    assert (retried.status, retried.attempts) == (OUTBOX_PENDING, 0)
    assert deliver_pending(session, client, policy=POLICY).delivered == 1
    with pytest.raises(InvalidTransition):
        retry(session, message_id)
    with pytest.raises(NotFound):
        retry_many(session, [message_id + 1000])


def test_rejected_push_is_parked_at_once(session, demo, client, trade) -> None:
    house = linked_houses(session, demo, 1)[0]
    house.trade_house_code = "440799999999999999"
    enqueue_deposit_push(session, house, reason="x")
    session.commit()
    report = deliver_pending(session, client, policy=POLICY)
    assert (report.parked, report.failed) == (1, 0)
    [message] = messages(session)
    assert message.status == OUTBOX_PARKED and "house_not_found" in message.last_error


def test_slow_system_fails_the_run_within_the_timeout(session, demo, client, trade) -> None:
    enqueue_deposit_pushes(session, linked_houses(session, demo, 3), reason="x")
    session.commit()
    trade.set_faults(delay_seconds=READ_TIMEOUT * 6)
    started = time.monotonic()
    report = deliver_pending(session, client, policy=POLICY)
    elapsed = time.monotonic() - started
    assert report.failed == 3 and report.delivered == 0
    # One read timeout for the first message; the others are not each left to time out.
    assert elapsed < READ_TIMEOUT + 1.0
    assert all("timed out" in m.last_error.lower() for m in messages(session))


@pytest.mark.postgres
def test_two_deliverers_never_send_the_same_row(app, session, demo, trade, is_postgres) -> None:
    if not is_postgres:
        pytest.skip("row locks (FOR UPDATE SKIP LOCKED) need PostgreSQL")
    enqueue_deposit_pushes(session, linked_houses(session, demo, 12), reason="x")
    session.commit()
    keys = [m.idempotency_key for m in messages(session)]
    trade.set_faults(delay_seconds=0.1)  # each send holds its row lock for a while
    reports = []

    def deliverer() -> None:
        with app.app_context():
            with TradingClient(trade.url, trade.token, read_timeout=5) as c:
                # Small batches, so each deliverer meets rows the other one holds.
                reports.append(deliver_pending(db.session, c, policy=POLICY, batch_size=2))
            db.session.remove()

    threads = [threading.Thread(target=deliverer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sum(r.delivered for r in reports) == 12
    assert sum(r.delivered + r.skipped for r in reports) == 24  # each row: sent by one, skipped by the other
    assert all(r.delivered > 0 for r in reports)  # they really worked side by side
    assert [p["requests"] for k in keys for p in trade.pushes(key=k)] == [1] * 12


def test_cli_deliver_prints_a_summary(app, session, demo, trade, monkeypatch) -> None:
    enqueue_deposit_pushes(session, linked_houses(session, demo, 2), reason="x")
    session.commit()
    monkeypatch.setitem(app.config, "TRADE_BASE_URL", trade.url)
    monkeypatch.setitem(app.config, "TRADE_TOKEN", trade.token)
    result = app.test_cli_runner().invoke(args=["trade", "deliver"])
    assert result.exit_code == 0, result.output
    assert "delivered: 2" in result.output and "pending: 0" in result.output
    status = app.test_cli_runner().invoke(args=["trade", "status"])
    assert "delivered: 2" in status.output


def wait_until_delivered(session: Any, failure: str, seconds: float = 10) -> None:
    """Poll until the first outbox message is delivered; fail with ``failure`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while messages(session)[0].status != OUTBOX_DELIVERED:
        assert time.monotonic() < deadline, failure
        session.rollback()
        time.sleep(0.05)


def parked_message(session: Any, demo: Any) -> OutboxMessage:
    house = linked_houses(session, demo, 1)[0]
    message = enqueue_deposit_push(session, house, reason="x")
    message.status, message.attempts, message.last_error = OUTBOX_PARKED, 8, "HTTP 503 boom"
    session.commit()
    return message


# One logged-in client per test: the app fixture's app context is shared by the test's requests.
def test_office_sees_the_outbox_and_retries(session, demo, officer_client) -> None:
    message = parked_message(session, demo)
    message_id, house_code = message.id, message.house_code

    page = officer_client.get("/tradeoutboxview/list/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert house_code in html and "HTTP 503 boom" in html
    show = officer_client.get(f"/tradeoutboxview/show/{message_id}")
    assert show.status_code == 200 and message.idempotency_key in show.get_data(as_text=True)

    response = officer_client.post("/tradeoutboxview/action_post",
                                   data={"action": "retry", "rowid": [str(message_id)]})
    assert response.status_code in (302, 303)
    [again] = messages(session)
    assert (again.status, again.attempts) == (OUTBOX_PENDING, 0)


def test_developer_can_neither_see_nor_retry_the_outbox(session, demo, dev_a_client) -> None:
    message = parked_message(session, demo)
    assert message.org_id == demo.org_a.id  # even the developer's own house's push stays hidden
    assert dev_a_client.get("/tradeoutboxview/list/").status_code in (302, 403)
    assert dev_a_client.get(f"/tradeoutboxview/show/{message.id}").status_code in (302, 403)
    response = dev_a_client.post("/tradeoutboxview/action_post",
                                 data={"action": "retry", "rowid": [str(message.id)]})
    assert response.status_code in (302, 403)
    assert messages(session)[0].status == OUTBOX_PARKED


def test_pushes_go_in_batches_with_per_item_results(session, demo, client, trade) -> None:
    good = linked_houses(session, demo, 5)
    enqueue_deposit_pushes(session, good, reason="collected")
    session.commit()
    bad = enqueue_deposit_push(session, good[0], reason="x")
    bad.payload = {**bad.payload, "house_code": "440799999999999999"}  # unknown to the system
    session.commit()
    report = deliver_pending(session, client, policy=POLICY, batch_size=4)
    assert (report.delivered, report.parked, report.failed) == (5, 1, 0)
    # A batch is stored in one go with one receipt time: 6 pushes, 4 per request, 2 requests.
    received = trade.pushes()
    assert len(received) == 5 and len({p["received_at"] for p in received}) == 2
    parked = [m for m in messages(session) if m.status == OUTBOX_PARKED]
    assert [m.id for m in parked] == [bad.id] and "house_not_found" in parked[0].last_error


def test_urgent_pushes_overtake_a_bulk_backlog(session, demo, client, trade) -> None:
    houses = linked_houses(session, demo, 12)
    bulk = enqueue_deposit_pushes(session, houses[:10], reason="collected")
    session.commit()
    payment = enqueue_deposit_pushes(session, houses[10:11], reason="payment",
                                     priority=PRIORITY_URGENT)[0]
    contract = enqueue_deposit_push(session, houses[11], reason="contract bound")
    session.commit()
    assert {m.priority for m in bulk} == {PRIORITY_BULK}
    assert (payment.priority, contract.priority) == (PRIORITY_URGENT, PRIORITY_URGENT)

    report = deliver_pending(session, client, policy=POLICY, limit=3, batch_size=3)
    assert report.delivered == 3 and report.due == 9
    delivered = [m.id for m in messages(session) if m.status == OUTBOX_DELIVERED]
    assert delivered == [bulk[0].id, payment.id, contract.id]


def test_commit_wakes_the_deliverer_at_once(app, session, demo, trade, monkeypatch) -> None:
    # The queue runs tasks in this process (HUEY_IMMEDIATE): the commit's wake delivers before
    # commit() returns; tests/test_queue.py shows the same with a real consumer.
    monkeypatch.setitem(app.config, "TRADE_BASE_URL", trade.url)
    monkeypatch.setitem(app.config, "TRADE_TOKEN", trade.token)
    monkeypatch.setitem(app.config, "TRADE_BACKGROUND_DELIVERY", True)
    enqueue_deposit_push(session, linked_houses(session, demo, 1)[0], reason="payment")
    session.commit()
    assert messages(session)[0].status == OUTBOX_DELIVERED
    assert len(trade.pushes()) == 1


def test_rolled_back_push_does_not_wake(session, demo) -> None:
    from app.services import outbox

    woken: list[bool] = []

    def probe() -> None:
        woken.append(True)

    outbox.on_wake(probe)
    try:
        enqueue_deposit_push(session, linked_houses(session, demo, 1)[0], reason="x")
        session.rollback()
        session.commit()
        seen = [len(woken)]
        wake_deliverers()
        seen.append(len(woken))
    finally:
        outbox._wake_hooks.remove(probe)
    assert seen == [0, 1]
