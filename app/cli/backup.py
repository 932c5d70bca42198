"""``flask backup create | verify | restore | prune``: backups from the command line."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.services.backup import (BackupError, Tools, create_backup, prune, restore_backup,
                                 verify_archive)

#: A database that cannot be reached is an operator's problem to read, not a traceback.
FAILURES = (BackupError, SQLAlchemyError, OSError)

backup_cli = AppGroup("backup", help="Backups: database snapshot, uploaded files and a manifest.")


def _tools() -> Tools:
    return Tools(current_app.config["PG_DUMP_PATH"], current_app.config["PG_RESTORE_PATH"])


@backup_cli.command("create")
@click.option("--to", "dest", type=click.Path(file_okay=False), default=None,
              help="Folder for the archive (default: BACKUP_DIR).")
def create_command(dest: Optional[str]) -> None:
    """Write one archive while the platform keeps serving and print its path."""
    config = current_app.config
    try:
        result = create_backup(config["SQLALCHEMY_DATABASE_URI"], config["UPLOAD_FOLDER"],
                               dest or config["BACKUP_DIR"], tools=_tools())
    except FAILURES as exc:
        raise click.ClickException(str(exc)) from exc
    manifest = result.manifest
    click.echo(f"backup: {result.path}")
    click.echo(f"schema {manifest['schema_revision']}, {sum(manifest['counts'].values())} rows, "
               f"ledger total {manifest['ledger_total']}, {len(manifest['members']) - 1} files")
    for name in manifest["missing_attachments"]:
        click.echo(f"warning: attachment file missing: {name}", err=True)


@backup_cli.command("verify")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
def verify_command(archive: str) -> None:
    """Check an archive against its manifest without restoring it (exit 1 if it fails)."""
    report = verify_archive(archive, tools=_tools())
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    if not report.ok:
        for problem in report.problems:
            click.echo(f"problem: {problem}", err=True)
        raise click.ClickException(f"{archive} failed verification")
    manifest = report.manifest
    click.echo(f"ok: schema {manifest['schema_revision']}, ledger total {manifest['ledger_total']}, "
               f"{len(manifest['members'])} members checked")


@backup_cli.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True,
              help="Replace a database and upload folder that are not empty (everything in them is lost).")
def restore_command(archive: str, force: bool) -> None:
    """Restore an archive into this instance's database and upload folder, then upgrade it."""
    from flask_migrate import upgrade

    from app.cli.db import bind_migrate

    bind_migrate(current_app)
    config = current_app.config
    migrations = config["MIGRATIONS_DIR"]
    db.session.remove()
    db.engine.dispose()  # the restore replaces the database under this process's pool
    try:
        report = restore_backup(archive, config["SQLALCHEMY_DATABASE_URI"], config["UPLOAD_FOLDER"],
                                migrations_dir=migrations, upgrade=lambda: upgrade(directory=migrations),
                                force=force, tools=_tools())
    except FAILURES as exc:
        raise click.ClickException(str(exc)) from exc
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    upgraded = " and upgraded to the current schema" if report.upgraded else ""
    click.echo(f"restored {Path(archive).name} (schema {report.archive_revision}){upgraded}; "
               f"{report.files} files")


@backup_cli.command("prune")
@click.option("--keep", type=int, default=None, help="Archives to keep (default: BACKUP_KEEP).")
def prune_command(keep: Optional[int]) -> None:
    """Delete all but the newest archives in BACKUP_DIR."""
    removed = prune(current_app.config["BACKUP_DIR"], keep or current_app.config["BACKUP_KEEP"])
    click.echo(f"deleted: {len(removed)}")


def register(app: Flask) -> None:
    app.cli.add_command(backup_cli)
