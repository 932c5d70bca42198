"""The Alembic migrations build exactly the schema the models describe."""
from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_appbuilder import Model
from sqlalchemy import create_engine, inspect

from tests.conftest import build_test_app

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


def _scratch_url(_database) -> str:
    if _database.postgres:
        _database._admin('DROP DATABASE IF EXISTS "jm_migrations" WITH (FORCE)',
                         'CREATE DATABASE "jm_migrations"')
        return str(_database.admin_url.set(database="jm_migrations").render_as_string(False))
    return f"sqlite:///{_database.tmp / 'migrations.sqlite'}"


def test_upgrade_builds_the_models_schema_and_downgrade_removes_it(_database):
    from flask_migrate import downgrade, upgrade

    url = _scratch_url(_database)
    app = build_test_app(SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        engine = create_engine(url)
        with engine.connect() as conn:
            from app.models.base import built_on

            context = MigrationContext.configure(conn, opts={
                "compare_type": True, "include_object": built_on(conn.dialect.name)})
            diff = compare_metadata(context, Model.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        tables = set(inspect(engine).get_table_names())
        assert {"ab_user", "ab_role", "organisation", "house", "ledger_entry"} <= tables
        engine.dispose()
        downgrade(directory=MIGRATIONS, revision="base")
        engine = create_engine(url)
        with engine.connect() as conn:
            left = set(inspect(conn).get_table_names()) - {"alembic_version"}
        engine.dispose()
        assert left == set()
        from app.extensions import db

        db.engine.dispose()
