"""``flask security sync`` and ``flask security create-admin``."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.security.passwords import password_problem
from app.security.sync import sync_roles

security_cli = AppGroup("security", help="Roles, permissions and administrator accounts.")


@security_cli.command("sync")
def sync_command() -> None:
    """Create the platform's roles and write their permissions from code."""
    counts = sync_roles(current_app.appbuilder.sm)
    for role, count in counts.items():
        click.echo(f"{role}: {count} permissions")


@security_cli.command("create-admin")
@click.option("--username", default="admin", show_default=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--email", default="admin@jiangmen.invalid", show_default=True)
def create_admin_command(username: str, password: str, email: str) -> None:
    """Create a platform administrator."""
    problem = password_problem(password, username)
    if problem:
        raise click.ClickException(problem)
    sm = current_app.appbuilder.sm
    if sm.find_user(username=username):
        raise click.ClickException(f"user {username} exists")
    role = sm.find_role(sm.auth_role_admin)
    user = sm.add_user(username, "管理员", "平台", email, role, password=password)
    if not user:
        raise click.ClickException("could not create the administrator")
    click.echo(f"administrator {username} created")


def register(app: Flask) -> None:
    app.cli.add_command(security_cli)
