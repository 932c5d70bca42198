"""The one transaction helper: commit on success, roll back and re-raise on any error, nesting joins
the outermost unit; and the request facts that audit rows carry."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.errors import ValidationFailed
from app.models.audit import AuditLog
from app.models.codes import CodeItem
from app.models.property import Owner
from app.services.audit import RequestFacts, attach_request_facts, record
from app.services.unit_of_work import flush_or_roll_back, transaction, unit_of_work

KIND = "uow_test"


def _codes(session: Any) -> list[str]:
    """What another connection would see: the committed rows only."""
    session.rollback()
    return sorted(session.scalars(select(CodeItem.code).where(CodeItem.kind == KIND)))


def _add(session: Any, code: str) -> CodeItem:
    item = CodeItem(kind=KIND, code=code, name=code)
    session.add(item)
    return item


def test_a_unit_commits_when_the_block_ends(session) -> None:
    with unit_of_work(session):
        _add(session, "a")
    assert _codes(session) == ["a"]


def test_a_unit_rolls_back_and_re_raises_any_error(session) -> None:
    with pytest.raises(ValidationFailed):
        with unit_of_work(session):
            _add(session, "a")
            session.flush()
            raise ValidationFailed()
    with pytest.raises(KeyError):
        with unit_of_work(session):
            _add(session, "b")
            raise KeyError("not a domain error")
    assert _codes(session) == []


def test_inner_units_join_the_outermost(session) -> None:
    with pytest.raises(ValidationFailed):
        with unit_of_work(session):
            with unit_of_work(session):
                _add(session, "inner")
            # The inner unit did not commit: the refusal below takes its row back too.
            raise ValidationFailed()
    assert _codes(session) == []
    with unit_of_work(session):
        with unit_of_work(session):
            _add(session, "inner")
        _add(session, "outer")
    assert _codes(session) == ["inner", "outer"]
    assert "unit_of_work_depth" not in session.info or session.info["unit_of_work_depth"] == 0


@transaction
def _save(session: Any, code: str, *, fail: bool = False) -> str:
    _add(session, code)
    if fail:
        raise ValidationFailed()
    return code


@transaction
def _save_both(session: Any, first: str, second: str, *, fail_second: bool) -> None:
    _save(session, first)
    _save(session, second, fail=fail_second)


def test_transaction_decorator_owns_the_commit(session) -> None:
    assert _save(session, "a") == "a"
    assert _save(session=session, code="b") == "b"
    with pytest.raises(ValidationFailed):
        _save(session, "c", fail=True)
    assert _codes(session) == ["a", "b"]


def test_a_composed_entry_point_leaves_nothing_behind_when_refused(session) -> None:
    with pytest.raises(ValidationFailed):
        _save_both(session, "first", "second", fail_second=True)
    assert _codes(session) == []
    _save_both(session, "first", "second", fail_second=False)
    assert _codes(session) == ["first", "second"]


def test_transaction_needs_a_session() -> None:
    with pytest.raises(TypeError, match="session"):
        _save("not a session", "a")


def test_a_commit_that_fails_is_rolled_back(session, demo) -> None:
    house_id = demo.house_a.id
    with pytest.raises(IntegrityError):
        with unit_of_work(session):
            _add(session, "kept-out")
            # An owner without an ID number breaks a NOT NULL constraint when the commit flushes.
            session.add(Owner(org_id=demo.org_a.id, house_id=house_id, seq=99, name="甲"))
    assert _codes(session) == []
    with unit_of_work(session):  # the session is usable again
        _add(session, "after")
    assert _codes(session) == ["after"]


def test_flush_or_roll_back_leaves_a_usable_session(session, demo) -> None:
    session.add(Owner(org_id=demo.org_a.id, house_id=demo.house_a.id, seq=98, name="甲"))
    with pytest.raises(IntegrityError):
        flush_or_roll_back(session)
    assert session.scalar(select(func.count(Owner.id)).where(Owner.seq == 98)) == 0


def test_audit_rows_carry_the_request_facts(session) -> None:
    attach_request_facts(session, RequestFacts(ip="203.0.113.7"))
    with unit_of_work(session):
        attached = record(session, "test.attached", "Test", None)
        explicit = record(session, "test.explicit", "Test", None, ip="198.51.100.2")
    assert (attached.ip, explicit.ip) == ("203.0.113.7", "198.51.100.2")


def test_a_request_records_its_client_address(dev_a_client, session, demo) -> None:
    url = f"/payments/owners/house/{demo.house_a.id}"
    answer = dev_a_client.post(url, environ_base={"REMOTE_ADDR": "192.0.2.44"}, json={"owners": [
        {"name": "张三", "id_type": "01", "id_no": "11010519491231002x", "phone": "13800138000"}]})
    assert answer.status_code == 200, answer.get_json()
    entry = session.scalar(select(AuditLog).where(AuditLog.action == "house.owners"))
    assert entry.ip == "192.0.2.44"
