"""``flask db …``: Flask-Migrate's commands, with Alembic loaded only when one of them runs.

Alembic (with Mako) adds about 9 MB to a process; every web worker would carry it without ever
migrating. ``bind_migrate`` binds Flask-Migrate to an app on first need: the ``db`` group below,
``flask backup restore`` and whatever calls Flask-Migrate's functions (tests, scripts).
"""
from __future__ import annotations

from typing import Any, Optional

import click
from flask import Flask
from flask.cli import ScriptInfo

from app.extensions import db

MIGRATE_OPTIONS = {"render_as_batch": True, "compare_type": True}


def bind_migrate(app: Flask) -> None:
    """Bind Flask-Migrate to ``app`` once (``app.extensions["migrate"]``)."""
    if "migrate" not in app.extensions:
        from flask_migrate import Migrate

        Migrate(app, db, directory=app.config["MIGRATIONS_DIR"], **MIGRATE_OPTIONS)


class _DbCommands(click.Group):
    """Stands in for Flask-Migrate's ``db`` group: running it binds Flask-Migrate and hands the
    arguments to the real group, which parses its own options and runs its command."""

    def make_context(self, info_name: Optional[str], args: list[str],
                     parent: Optional[click.Context] = None, **extra: Any) -> click.Context:
        bind_migrate(parent.ensure_object(ScriptInfo).load_app())
        from flask_migrate.cli import db as group

        return group.make_context(info_name, args, parent=parent, **extra)


def register(app: Flask) -> None:
    app.cli.add_command(_DbCommands("db", help="Perform database migrations."))
