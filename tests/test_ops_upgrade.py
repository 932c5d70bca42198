"""Upgrading keeps the money: a database at the PREVIOUS Alembic head, holding demo data, an order
with its history and attachment, notices and a confirmed payment, is upgraded to the newest head
and every balance and document is unchanged; downgrade is exercised too.

The data is made at the newest head with the app's own services (the models are newer than the
old schema), then its rows are copied into the old-schema database column by column, for the
tables and columns that schema has. With a single revision the "previous" head is that revision
(the upgrade has nothing to do) and the round trip goes through ``base``. The test also runs
over a copy of the migrations with one more revision on top (a table and a column), so the
previous-head path with its downgrade is exercised whatever the project's chain looks like.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_appbuilder import Model
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, inspect, select, text
from sqlalchemy.engine import Engine

from app.extensions import db
from app.models.base import built_on
from app.models.totals import BACKFILL_DML
from app.services.backup.database import facts_of
from tests.conftest import build_test_app
from tests.ops_support import (MIGRATIONS, drop_database, fresh_database_url, migrations_with_probe,
                               picture, put_money_and_documents)
from tests.test_group_totals import assert_totals_match

UPGRADE_DB = "jm_ops_upgrade"
#: Tables the database fills itself from the copied rows (app/models/totals.py).
KEPT_BY_TRIGGERS = ("area_totals", "building_totals")


def previous_and_head(migrations: str) -> tuple[str, str]:
    """The newest head and the one before it (itself when it is the only revision)."""
    script = ScriptDirectory(migrations)
    head = script.get_current_head()
    down = script.get_revision(head).down_revision
    if isinstance(down, tuple):  # a merge revision: either parent was a head before it
        down = sorted(down)[0]
    return (down or head), head


def copy_rows(source: Engine, target: Engine) -> dict[str, int]:
    """Copy every row of the tables (and columns) the target schema has; returns rows per table."""
    source_meta, target_meta = MetaData(), MetaData()
    source_meta.reflect(source)
    target_meta.reflect(target)
    copied: dict[str, int] = {}
    postgres = target.dialect.name == "postgresql"
    with source.connect() as src, target.begin() as dst:
        if postgres:  # rows arrive table by table; the foreign keys hold again once all are in
            dst.execute(text("SET session_replication_role = replica"))
        for table in target_meta.sorted_tables:
            if table.name in ("alembic_version", *KEPT_BY_TRIGGERS) or table.name not in source_meta.tables:
                continue
            origin = source_meta.tables[table.name]
            columns = [origin.c[c.name] for c in table.columns if c.name in origin.c]
            rows = [dict(row._mapping) for row in src.execute(select(*columns))]
            if rows:
                # Reference rows a migration seeded (the 续筹 threshold) are replaced by the source's.
                dst.execute(table.delete())
                dst.execute(table.insert(), rows)
            copied[table.name] = len(rows)
            if postgres and "id" in table.c and rows:
                dst.execute(text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :n)"),
                            {"t": table.name, "n": max(r["id"] for r in rows)})
        if postgres:
            dst.execute(text("SET session_replication_role = origin"))
        if KEPT_BY_TRIGGERS[0] in target_meta.tables:
            # Triggers (live on SQLite, off above on PostgreSQL) made them from some of the copied
            # rows: rebuilt from all of them, as the migration that adds them does.
            for name in KEPT_BY_TRIGGERS:
                dst.execute(text(f"DELETE FROM {name}"))
            for statement in BACKFILL_DML:
                dst.execute(text(statement))
    return copied


def _counts(url: str, tables: dict[str, int]) -> dict[str, int]:
    counts = facts_of(url).counts
    return {name: counts.get(name) for name in tables}


@pytest.fixture(params=["project", "project+probe"])
def migrations(request: Any, tmp_path: Path) -> str:
    return MIGRATIONS if request.param == "project" else str(migrations_with_probe(tmp_path))


def test_upgrading_from_the_previous_head_keeps_every_balance_and_document(
        app: Flask, session: Any, demo: Any, _database: Any, tmp_path: Path, migrations: str) -> None:
    put_money_and_documents(session, demo, app.config["UPLOAD_FOLDER"])
    expected = picture(session)
    assert expected["ledger"] and expected["history"] and expected["attachments"]
    source = db.engine
    previous, head = previous_and_head(migrations)
    url = fresh_database_url(_database, UPGRADE_DB, tmp_path)
    old = build_test_app(SQLALCHEMY_DATABASE_URI=url, UPLOAD_FOLDER=str(tmp_path / "uploads"))
    try:
        with old.app_context():
            upgrade(directory=migrations, revision=previous)
            copied = copy_rows(source, db.engine)
            assert copied["ledger_entry"] == len(expected["ledger"])
            at_previous = facts_of(url)
            assert at_previous.revision == previous

            upgrade(directory=migrations, revision=head)
            assert picture(db.session) == expected
            assert _counts(url, copied) == copied
            assert_totals_match(db.session, "upgraded with data")
            db.session.remove()

            if previous != head:
                downgrade(directory=migrations, revision=previous)
                back = facts_of(url)
                assert back.revision == previous and back.ledger_total == at_previous.ledger_total
                assert _counts(url, copied) == copied
                upgrade(directory=migrations, revision=head)
            else:
                _round_trip_through_base(source, migrations)
            assert picture(db.session) == expected
            assert_totals_match(db.session, "downgraded and upgraded again")
    finally:
        with old.app_context():
            db.session.remove()
            db.engine.dispose()
        drop_database(_database, UPGRADE_DB)


def _round_trip_through_base(source: Engine, migrations: str) -> None:
    """The only revision: downgrade removes every table, upgrade rebuilds the models' schema and
    that schema takes every row back."""
    db.session.remove()
    downgrade(directory=migrations, revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade(directory=migrations, revision="head")
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": built_on(conn.dialect.name)})
        assert compare_metadata(context, Model.metadata) == []
    copy_rows(source, db.engine)
