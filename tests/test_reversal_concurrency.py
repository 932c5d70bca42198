"""Two officers approve the same reversal at the same moment: exactly one effect.

Runs on SQLite and, through ``scripts/test-postgres.sh``, on PostgreSQL (row lock + version column
+ the ledger's unique (notice, house, kind, round)).
"""
from __future__ import annotations

from typing import Any

import pytest

from sqlalchemy import func, select

from app.models.audit import AuditLog
from app.models.ledger import ENTRY_REVERSAL, LedgerEntry
from app.models.payment import NOTICE_UNPAID, Notice
from app.models.reversal import REVERSAL_APPROVED, PaymentReversal
from app.services.payments.reversal import approve_reversal, reject_reversal, request_reversal
from tests.reversal_support import ledger_sum, paid_notice, second_officer
from tests.test_orders_concurrency import _race


def _pending(app, session, demo) -> tuple[int, int, list[int], list[int]]:
    """A paid notice with a pending reversal by the demo officer; two other officers to decide."""
    notice = paid_notice(session, demo)
    reversal = request_reversal(session, notice.number, notice.bank_serial, "误确认",
                                demo.users["officer"].id).reversal
    checkers = [second_officer(app, session).id, demo.users["admin"].id]
    return reversal.id, notice.id, [line.house_id for line in notice.lines], checkers


def test_two_simultaneous_approvals_take_the_payment_back_once(app, session, demo):
    reversal_id, notice_id, house_ids, checkers = _pending(app, session, demo)
    session.remove()

    results = _race(app, reversal_id, checkers,
                    lambda s, rid, user: approve_reversal(s, rid, user.id, opinion="同意"))

    assert sorted(r == "ok" for r in results) == [False, True], results
    loser = next(r for r in results if r != "ok")
    assert isinstance(loser, str) and "already been decided" in loser, loser
    assert session.scalar(select(func.count(LedgerEntry.id)).where(
        LedgerEntry.kind == ENTRY_REVERSAL)) == len(house_ids)
    assert ledger_sum(session, house_ids) == 0
    assert session.get(Notice, notice_id).status == NOTICE_UNPAID
    assert session.get(PaymentReversal, reversal_id).status == REVERSAL_APPROVED
    assert session.scalar(select(func.count(AuditLog.id)).where(
        AuditLog.action == "reversal.approved")) == 1


def test_approve_and_reject_at_once_leave_one_decision(app, session, demo):
    reversal_id, notice_id, house_ids, checkers = _pending(app, session, demo)
    total = ledger_sum(session, house_ids)
    approver = checkers[0]
    session.remove()

    def decide(s: Any, rid: int, user: Any) -> None:
        if user.id == approver:
            approve_reversal(s, rid, user.id)
        else:
            reject_reversal(s, rid, user.id, "核实为正常付款")

    results = _race(app, reversal_id, checkers, decide)
    assert sorted(r == "ok" for r in results) == [False, True], results
    reversal = session.get(PaymentReversal, reversal_id)
    reversed_rows = session.scalar(select(func.count(LedgerEntry.id)).where(
        LedgerEntry.kind == ENTRY_REVERSAL))
    if reversal.status == REVERSAL_APPROVED:
        assert reversed_rows == len(house_ids) and ledger_sum(session, house_ids) == 0
    else:
        assert reversed_rows == 0 and ledger_sum(session, house_ids) == total


def test_the_same_bank_request_at_once_is_recorded_once(app, session, demo):
    import threading

    from app.errors import DomainError
    from app.extensions import db

    notice = paid_notice(session, demo)
    number, serial, total = notice.number, notice.bank_serial, f"{notice.total:.2f}"
    session.remove()
    count = 3
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                results[index] = request_reversal(
                    db.session, number, serial, "付错通知单", None, via="api",
                    serial="BOC-REV-RACE", amount=total).replayed
            except DomainError as error:
                results[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == [False, True, True], results
    assert session.scalar(select(func.count(PaymentReversal.id))) == 1


def test_the_same_bank_request_stored_while_this_one_checks_is_a_replay(app, session, demo,
                                                                        monkeypatch, is_postgres):
    """The race the threads above hit only now and then, made certain: the same bank request
    commits between this one's look-up by serial and its check of the notice (SQLite takes no
    row lock to keep them apart). The notice's pending reversal is then this very request's,
    and the answer is the stored one, not "a reversal is already pending"."""
    if is_postgres:
        pytest.skip("PostgreSQL's row lock on the notice keeps the other request out until this one ends")
    import threading

    from app.extensions import db
    from app.services.payments import reversal as service

    notice = paid_notice(session, demo)
    number, serial, total = notice.number, notice.bank_serial, f"{notice.total:.2f}"
    session.remove()
    original = service._check_requestable
    first: list[Any] = []
    started: list[bool] = []

    def other_request_commits_first(session_: Any, notice_: Any, wanted: Any) -> None:
        if not started:  # only the request under test lets the other one in; that one checks as usual
            started.append(True)
            def other() -> None:
                with app.app_context():
                    try:
                        first.append(request_reversal(db.session, number, serial, "付错通知单", None,
                                                      via="api", serial="BOC-REV-SEEN",
                                                      amount=total).replayed)
                    finally:
                        db.session.remove()
            # Another connection, as another worker would be; this one holds no write lock yet.
            thread = threading.Thread(target=other)
            thread.start()
            thread.join(timeout=30)
        original(session_, notice_, wanted)

    monkeypatch.setattr(service, "_check_requestable", other_request_commits_first)
    with app.app_context():
        result = request_reversal(db.session, number, serial, "付错通知单", None, via="api",
                                  serial="BOC-REV-SEEN", amount=total)
        assert first == [False]
        assert result.replayed is True
        assert db.session.scalar(select(func.count(PaymentReversal.id)).where(
            PaymentReversal.serial == "BOC-REV-SEEN")) == 1
        db.session.remove()
