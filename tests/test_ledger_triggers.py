"""The ledger is append-only in the database itself: triggers refuse UPDATE and DELETE on
ledger_entry whatever the path (raw SQL, bulk statements, the ORM), on SQLite and PostgreSQL, both
in a schema built by ``create_all`` (the table's DDL event) and in one built by the migrations."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, delete, func, inspect, select, text, update
from sqlalchemy.exc import IntegrityError

from app.models.ledger import APPEND_ONLY_MESSAGE, LedgerEntry
from app.models.property import House
from app.services.ledger import book_deposit
from tests.conftest import build_test_app
from tests.test_migrations import MIGRATIONS, _scratch_url

TRIGGERS_REVISION = "c0de00000014"
TRIGGERS = {"sqlite": {"ledger_entry_no_update", "ledger_entry_no_delete", "ledger_entry_totals"},
            "postgresql": {"ledger_entry_no_change", "ledger_entry_no_truncate", "ledger_entry_totals"}}


def _one_entry(session: Any, demo: Any) -> LedgerEntry:
    house = session.scalars(select(House).where(House.area_id == demo.area_a.id).order_by(House.id)).first()
    entry = book_deposit(session, house, Decimal("100.00"), notice_id=None, payment_type="first",
                         value_date=dt.date(2026, 3, 2))
    session.commit()
    return entry


def _triggers(conn: Any) -> set[str]:
    if conn.dialect.name == "postgresql":
        rows = conn.execute(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
                                 "AND tgrelid = 'ledger_entry'::regclass"))
    else:
        rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                 "AND tbl_name = 'ledger_entry'"))
    return set(rows.scalars())


def _refused(session: Any, statement: Any) -> None:
    with pytest.raises(IntegrityError, match="append-only"):
        session.execute(statement)
    session.rollback()


@pytest.mark.parametrize("sql", [
    "UPDATE ledger_entry SET amount = amount + 1",
    "UPDATE ledger_entry SET memo = 'edited' WHERE id = :id",
    "DELETE FROM ledger_entry WHERE id = :id",
    "DELETE FROM ledger_entry",
])
def test_raw_sql_cannot_change_or_remove_a_ledger_row(session: Any, demo: Any, sql: str) -> None:
    entry = _one_entry(session, demo)
    entry_id, amount = entry.id, entry.amount
    _refused(session, text(sql).bindparams(id=entry_id) if ":id" in sql else text(sql))
    row = session.execute(select(LedgerEntry.amount, LedgerEntry.memo)
                          .where(LedgerEntry.id == entry_id)).one()
    assert row.amount == amount and row.memo is None


def test_bulk_statements_bypassing_the_orm_hooks_are_refused_too(session: Any, demo: Any) -> None:
    entry = _one_entry(session, demo)
    _refused(session, update(LedgerEntry).where(LedgerEntry.id == entry.id)
             .values(amount=Decimal("0.01")).execution_options(synchronize_session=False))
    _refused(session, delete(LedgerEntry).where(LedgerEntry.id == entry.id)
             .execution_options(synchronize_session=False))
    assert session.scalar(select(func.sum(LedgerEntry.amount))) == Decimal("100.00")


def test_appending_still_works_and_the_message_says_why(session: Any, demo: Any) -> None:
    first = _one_entry(session, demo)
    second = _one_entry(session, demo)
    assert second.id != first.id
    assert session.scalar(select(func.count(LedgerEntry.id))) == 2
    with pytest.raises(IntegrityError) as caught:
        session.execute(text("DELETE FROM ledger_entry"))
    session.rollback()
    assert APPEND_ONLY_MESSAGE in str(caught.value)


def test_truncate_is_refused_on_postgresql(session: Any, demo: Any, is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("SQLite has no TRUNCATE")
    _one_entry(session, demo)
    _refused(session, text("TRUNCATE ledger_entry"))
    assert session.scalar(select(func.count(LedgerEntry.id))) == 1


def test_the_schema_built_by_create_all_has_the_triggers(session: Any) -> None:
    conn = session.connection()
    assert _triggers(conn) == TRIGGERS[conn.dialect.name]


def _insert_raw_entry(conn: Any) -> None:
    """One ledger row in an otherwise empty migrated database: foreign keys are not the point here."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET session_replication_role = replica"))
    conn.execute(text("INSERT INTO ledger_entry (org_id, house_id, kind, amount, booked_at) "
                      "VALUES (1, 1, 'deposit', 10.00, CURRENT_TIMESTAMP)"))
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET session_replication_role = origin"))


def test_the_migration_creates_the_triggers_and_its_downgrade_removes_them(_database: Any) -> None:
    """At the head the triggers exist: a later SQLite batch migration of ledger_entry (which
    rebuilds the table and so drops its triggers) must create them again, or this fails."""
    from flask_migrate import downgrade, upgrade

    url = _scratch_url(_database)
    app = build_test_app(SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        engine = create_engine(url)
        try:
            with engine.begin() as conn:
                dialect = conn.dialect.name
                assert _triggers(conn) == TRIGGERS[dialect]
                _insert_raw_entry(conn)
                # The migration seeds the manual's threshold.
                seeded = conn.execute(text("SELECT percent FROM renew_threshold")).scalars().all()
                assert [Decimal(str(p)) for p in seeded] == [Decimal("30")]
            for sql in ("UPDATE ledger_entry SET amount = 0", "DELETE FROM ledger_entry"):
                with pytest.raises(IntegrityError, match="append-only"), engine.begin() as conn:
                    conn.execute(text(sql))
            with engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM ledger_entry")).scalar() == 1
        finally:
            engine.dispose()
        from app.extensions import db

        db.session.remove()
        # Back to just before the revision that adds them, wherever the chain puts it.
        before = ScriptDirectory(MIGRATIONS).get_revision(TRIGGERS_REVISION).down_revision
        downgrade(directory=MIGRATIONS, revision=before)
        engine = create_engine(url)
        try:
            with engine.begin() as conn:
                assert _triggers(conn) == set()
                assert "renew_threshold" not in inspect(conn).get_table_names()
                conn.execute(text("DELETE FROM ledger_entry"))  # without the triggers it goes
        finally:
            engine.dispose()
        db.engine.dispose()
