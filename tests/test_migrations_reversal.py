"""The reversal migration (c0de00000016) changes the ledger's unique key without losing what
protects the ledger: on SQLite the table is rebuilt, and triggers on it must survive."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import build_test_app
from tests.test_migrations import MIGRATIONS

TRIGGER = ("CREATE TRIGGER ledger_entry_no_delete BEFORE DELETE ON ledger_entry "
           "BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only'); END")


def test_sqlite_ledger_triggers_survive_the_key_change(_database, tmp_path):
    if _database.postgres:
        pytest.skip("PostgreSQL changes the key in place; only SQLite rebuilds the table")
    from flask_migrate import downgrade, upgrade

    url = f"sqlite:///{tmp_path / 'reversal.sqlite'}"
    app = build_test_app(SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="c0de00000012")
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text(TRIGGER))
        upgrade(directory=MIGRATIONS, revision="c0de00000016")
        with engine.connect() as conn:
            triggers = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                         "AND tbl_name = 'ledger_entry'")).scalars().all()
            columns = {row[1] for row in conn.execute(text("PRAGMA table_info(ledger_entry)"))}
        assert triggers == ["ledger_entry_no_delete"]
        assert {"notice_round", "reversal_id"} <= columns
        downgrade(directory=MIGRATIONS, revision="c0de00000012")
        with engine.connect() as conn:
            triggers = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                         "AND tbl_name = 'ledger_entry'")).scalars().all()
        assert triggers == ["ledger_entry_no_delete"]
        engine.dispose()
        from app.extensions import db

        db.engine.dispose()
