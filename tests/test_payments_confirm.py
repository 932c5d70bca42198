"""Bank confirmation: credits once, idempotent by bank serial, refuses void/unknown/wrong amounts.

The thread tests need PostgreSQL (row locks); run them with
``PGPORT=55471 bash scripts/test-postgres.sh tests/test_payments_confirm.py``.
"""
from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from typing import Any, Callable

import pytest
from sqlalchemy import func, select

from app.domain.localtime import local_today
from app.errors import DomainError, ValidationFailed
from app.models.ledger import LedgerEntry
from app.models.outbox import OutboxMessage
from app.models.payment import CHANNEL_BANK, CHANNEL_POS, NOTICE_PAID, NOTICE_VOID, Notice
from app.services.ledger import balances
from app.services.payments import confirm_payment, issue_building_notices, reissue_notice
from app.services.payments.confirm import (NoticeAlreadyPaid, NoticeNotFound, NoticeVoid,
                                           SerialAlreadyUsed, confirm)

TODAY = local_today()


def _notice(session, demo) -> Notice:
    return issue_building_notices(session, demo.area_a, [demo.building_a.id], user_id=None).notices[0]


def _ledger_rows(session) -> int:
    return session.scalar(select(func.count(LedgerEntry.id))) or 0


def test_confirm_credits_every_house_and_queues_pushes(session, demo):
    notice = _notice(session, demo)
    house_ids = [line.house_id for line in notice.lines]
    paid = confirm_payment(session, notice.number, "B202603010001", CHANNEL_BANK, TODAY,
                           notice.total, demo.users["teller"].id)
    assert paid.status == NOTICE_PAID and paid.bank_serial == "B202603010001"
    money = balances(session, house_ids)
    assert all(money[line.house_id].balance == line.amount for line in paid.lines)
    assert _ledger_rows(session) == len(house_ids)
    pushes = session.scalars(select(OutboxMessage).where(OutboxMessage.house_id.in_(house_ids))).all()
    assert len(pushes) == len(house_ids)
    assert {p.payload["status"] for p in pushes} == {"已交清"}


def test_the_same_confirmation_twice_counts_once(session, demo):
    notice = _notice(session, demo)
    first = confirm(session, notice.number, "SER-1", CHANNEL_BANK, TODAY, notice.total, None)
    again = confirm(session, notice.number.lower(), "SER-1", CHANNEL_BANK, TODAY,
                    str(notice.total), None, via="api")
    assert not first.replayed and again.replayed
    assert again.notice.id == notice.id
    assert _ledger_rows(session) == len(notice.lines)


def test_a_paid_notice_refuses_another_serial(session, demo):
    notice = _notice(session, demo)
    confirm_payment(session, notice.number, "SER-1", CHANNEL_BANK, TODAY, notice.total, None)
    with pytest.raises(NoticeAlreadyPaid):
        confirm_payment(session, notice.number, "SER-2", CHANNEL_POS, TODAY, notice.total, None)
    assert _ledger_rows(session) == len(notice.lines)


def test_a_serial_cannot_pay_two_notices(session, demo):
    first = _notice(session, demo)
    second = issue_building_notices(session, demo.area_a, [demo.building_a.id + 1], user_id=None).notices[0]
    confirm_payment(session, first.number, "SER-1", CHANNEL_BANK, TODAY, first.total, None)
    with pytest.raises(SerialAlreadyUsed):
        confirm_payment(session, second.number, "SER-1", CHANNEL_BANK, TODAY, second.total, None)
    session.refresh(second)
    assert second.status != NOTICE_PAID


def test_void_unknown_and_mistyped_notices_are_refused(session, demo):
    old = _notice(session, demo)
    reissue_notice(session, old, user_id=None)
    with pytest.raises(NoticeVoid):
        confirm_payment(session, old.number, "SER-1", CHANNEL_BANK, TODAY, old.total, None)
    from app.domain.numbering import notice_number

    with pytest.raises(NoticeNotFound):
        confirm_payment(session, notice_number(TODAY, 999_999), "SER-1", CHANNEL_BANK, TODAY,
                        Decimal("1.00"), None)
    typo = old.number[:-2] + old.number[-1] + old.number[-2]
    if typo != old.number:
        with pytest.raises(ValidationFailed) as caught:
            confirm_payment(session, typo, "SER-1", CHANNEL_BANK, TODAY, old.total, None)
        assert caught.value.problems[0].field == "notice_number"
    assert _ledger_rows(session) == 0


def test_a_different_amount_or_bad_input_changes_nothing(session, demo):
    notice = _notice(session, demo)
    with pytest.raises(ValidationFailed) as caught:
        confirm_payment(session, notice.number, "SER-1", CHANNEL_BANK, TODAY,
                        notice.total - Decimal("0.01"), None)
    assert caught.value.problems[0].field == "amount"
    with pytest.raises(ValidationFailed) as caught:
        confirm_payment(session, notice.number, "", "cash", TODAY + dt.timedelta(days=2), "abc", None)
    assert {p.field for p in caught.value.problems} == {"bank_serial", "channel", "paid_on", "amount"}
    session.refresh(notice)
    assert notice.status != NOTICE_PAID and _ledger_rows(session) == 0


def _race(app: Any, count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``count`` threads started together, each with its own session."""
    from app.extensions import db

    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                results[i] = work(i)
            except DomainError as error:
                results[i] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.postgres
def test_concurrent_confirmations_count_once(app, session, demo, is_postgres):
    if not is_postgres:
        pytest.skip("row locks need PostgreSQL")
    from app.extensions import db

    notice = _notice(session, demo)
    number, total, lines = notice.number, notice.total, len(notice.lines)
    same = _race(app, 4, lambda i: confirm(db.session, number, "SER-SAME", CHANNEL_BANK, TODAY, total, None))
    assert all(not isinstance(r, Exception) for r in same), same
    assert sorted(r.replayed for r in same) == [False, True, True, True]
    session.expire_all()
    assert _ledger_rows(session) == lines

    other = issue_building_notices(session, demo.area_a, [demo.building_a.id + 1],
                                   user_id=None).notices[0]
    number, total, other_lines = other.number, other.total, len(other.lines)
    serials = _race(app, 4, lambda i: confirm(db.session, number, f"SER-{i}", CHANNEL_BANK, TODAY,
                                                total, None))
    winners = [r for r in serials if not isinstance(r, Exception)]
    assert len(winners) == 1 and not winners[0].replayed
    assert all(isinstance(r, NoticeAlreadyPaid) for r in serials if isinstance(r, Exception))
    session.expire_all()
    assert _ledger_rows(session) == lines + other_lines


@pytest.mark.postgres
def test_reprint_racing_a_confirmation_never_leaves_both(app, session, demo, is_postgres):
    if not is_postgres:
        pytest.skip("row locks need PostgreSQL")
    from app.extensions import db
    from app.models.property import PropertyArea

    notice = _notice(session, demo)
    notice_id, number, total = notice.id, notice.number, notice.total

    def work(i: int) -> Any:
        if i == 0:
            return confirm(db.session, number, "SER-RACE", CHANNEL_BANK, TODAY, total, None)
        old = db.session.get(Notice, notice_id)
        db.session.get(PropertyArea, old.area_id)
        return reissue_notice(db.session, old, user_id=None)

    results = _race(app, 2, work)
    session.expire_all()
    old = session.get(Notice, notice_id)
    credited = _ledger_rows(session)
    if old.status == NOTICE_PAID:
        assert credited == len(old.lines)
        assert isinstance(results[1], DomainError)
    else:
        assert old.status == NOTICE_VOID and credited == 0
        assert isinstance(results[0], (NoticeVoid, DomainError))
