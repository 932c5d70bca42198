"""Two officers approve the same order at the same moment: exactly one wins, nothing is doubled.

Runs on SQLite and, through ``scripts/test-postgres.sh``, on PostgreSQL (row lock + version column).
"""
from __future__ import annotations

import threading
from typing import Any

from flask_babel import force_locale
from sqlalchemy import func, select

from app.errors import Conflict
from app.extensions import db
from app.models.order import APPROVED, OrderHistory
from app.models.property import House
from app.security.models import PlatformUser
from app.services.orders import workflow
from tests.test_orders_workflow import new_collect


def _race(app: Any, order_id: int, user_ids: list[int], action: Any) -> list[Any]:
    barrier = threading.Barrier(len(user_ids))
    results: list[Any] = [None] * len(user_ids)

    def run(index: int, user_id: int) -> None:
        with app.app_context():
            try:
                user = db.session.get(PlatformUser, user_id)
                barrier.wait(timeout=10)
                action(db.session, order_id, user)
                results[index] = "ok"
            except Conflict as error:
                with force_locale("en"):
                    results[index] = str(error.message)
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                results[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, uid)) for i, uid in enumerate(user_ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_simultaneous_approvals_exactly_one_succeeds(app, session, demo):
    dev, officer, admin = demo.users["dev_a"], demo.users["officer"], demo.users["admin"]
    order = new_collect(session, dev, houses=300)
    workflow.submit(session, order.id, dev)
    workflow.accept(session, order.id, officer, papers_checked=True)
    order_id, ids = order.id, [officer.id, admin.id]
    session.remove()

    results = _race(app, order_id, ids,
                    lambda s, oid, user: workflow.approve(s, oid, user, opinion="同意"))

    assert sorted(r == "ok" for r in results) == [False, True], results
    loser = next(r for r in results if r != "ok")
    assert isinstance(loser, str) and "already Approved" in loser, loser
    houses = session.scalar(select(func.count(House.id)).where(House.opened_by_order_id == order_id))
    assert houses == 300
    approvals = session.scalar(select(func.count(OrderHistory.id)).where(
        OrderHistory.order_id == order_id, OrderHistory.to_status == APPROVED))
    assert approvals == 1


def test_approve_and_reject_at_once_leave_one_decision(app, session, demo):
    dev, officer, admin = demo.users["dev_a"], demo.users["officer"], demo.users["admin"]
    order = new_collect(session, dev, houses=50)
    workflow.submit(session, order.id, dev)
    workflow.accept(session, order.id, officer, papers_checked=True)
    order_id, ids = order.id, [officer.id, admin.id]
    session.remove()

    def decide(s: Any, oid: int, user: Any) -> None:
        if user.username == "officer":
            workflow.approve(s, oid, user)
        else:
            workflow.reject(s, oid, user, opinion="资料不全")

    results = _race(app, order_id, ids, decide)
    assert sorted(r == "ok" for r in results) == [False, True], results
    decisions = session.scalar(select(func.count(OrderHistory.id)).where(
        OrderHistory.order_id == order_id, OrderHistory.from_status == "accepted"))
    assert decisions == 1
