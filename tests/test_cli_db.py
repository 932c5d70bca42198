"""``flask db``: Flask-Migrate is bound by the command, not by every app (web workers never load
Alembic)."""
from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import text

from app import create_app
from app.extensions import db
from config import TestConfig

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def test_db_commands_bind_flask_migrate_when_they_run(tmp_path: Path) -> None:
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'cli.sqlite'}",
                     UPLOAD_FOLDER=str(tmp_path / "uploads"))
    assert "migrate" not in app.extensions
    runner = app.test_cli_runner()

    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "migrate" in app.extensions

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    with app.app_context():
        assert db.session.scalar(text("SELECT version_num FROM alembic_version")) == head
        db.session.remove()
        db.engine.dispose()
