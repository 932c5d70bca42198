"""``flask demo load --password PW`` and ``flask codes load``."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.extensions import db
from app.security.passwords import password_problem
from app.security.sync import sync_roles
from app.services.demo import DEMO_USERS, load_demo
from app.services.reference import seed_reference_data

demo_cli = AppGroup("demo", help="Demo data.")
codes_cli = AppGroup("codes", help="Code tables and example deposit standards.")


@demo_cli.command("load")
@click.option("--password", required=True, help="Password of every demo account.")
def load_command(password: str) -> None:
    """Create the demo accounts, developers and property areas (idempotent)."""
    problem = next(filter(None, (password_problem(password, user[0]) for user in DEMO_USERS)), None)
    if problem:
        raise click.ClickException(problem)
    sync_roles(current_app.appbuilder.sm)
    for line in load_demo(db.session, current_app.appbuilder.sm, password):
        click.echo(f"created {line}")
    click.echo("demo accounts: " + ", ".join(u[0] for u in DEMO_USERS))


@codes_cli.command("load")
def codes_command() -> None:
    """Insert missing code-table rows and, on an empty table, the example deposit standards."""
    added = seed_reference_data(db.session)
    click.echo(f"reference data: {added} rows added")


def register(app: Flask) -> None:
    app.cli.add_command(demo_cli)
    app.cli.add_command(codes_cli)
