"""Backup and restore end to end: a demo instance with money and documents is backed up through
the CLI, verified, restored into a fresh instance (a new SQLite folder, or a new PostgreSQL
database under ``scripts/test-postgres.sh``) and the restored app shows the same ledger, orders
with their history, notices and downloadable attachments. Tampered archives fail ``verify``;
restore refuses a non-empty target (unless --force) and a newer schema, and upgrades an older one.

PostgreSQL: ``PGPORT=55441 bash scripts/test-postgres.sh tests/test_ops_backup.py``.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import threading
import tarfile
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from flask import Flask
from flask_migrate import stamp
from sqlalchemy import create_engine, insert, inspect, text

from app.extensions import db
from app.models.audit import AuditLog
from app.services.backup import (SchemaTooNew, TargetNotEmpty, create_backup, restore_backup,
                                 verify_archive)
from app.services.backup.schema import head_revision
from tests.conftest import build_test_app, login
from tests.ops_support import (MIGRATIONS, OPINION, PDF, PROBE_REVISION, drop_database,
                               fresh_database_url, migrations_with_probe, picture,
                               put_money_and_documents)

RESTORE_DB = "jm_ops_restore"


@pytest.fixture()
def instance(app: Flask, session: Any, demo: Any) -> dict[str, Any]:
    """The test app's database with money and documents, stamped at the migrations' head."""
    made = put_money_and_documents(session, demo, app.config["UPLOAD_FOLDER"])
    session.remove()
    stamp(directory=MIGRATIONS, revision="head")
    made["picture"] = picture(db.session)
    return made


@pytest.fixture()
def target(_database: Any, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """``target()`` builds an app over an empty database and upload folder; dropped afterwards."""
    apps: list[Flask] = []

    def make() -> Flask:
        url = fresh_database_url(_database, RESTORE_DB, tmp_path)
        restored = build_test_app(SQLALCHEMY_DATABASE_URI=url,
                                  UPLOAD_FOLDER=str(tmp_path / "restored-uploads"))
        apps.append(restored)
        return restored

    yield make
    for restored in apps:
        with restored.app_context():
            db.session.remove()
            db.engine.dispose()
    drop_database(_database, RESTORE_DB)


def _cli(app: Flask, *args: str) -> Any:
    """Run ``flask <args>`` against ``app`` (the CLI uses the current app when there is one)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def _backup_with_cli(app: Flask, dest: Path) -> Path:
    result = _cli(app, "backup", "create", "--to", str(dest))
    assert result.exit_code == 0, result.output
    archives = sorted(dest.glob("jm-backup-*.tar.gz"))
    assert len(archives) == 1 and f"backup: {archives[0]}" in result.output
    return archives[0]


def _rewrite(archive: Path, dest: Path, change: Callable[[str, bytes], bytes | None]) -> Path:
    """Copy an archive member by member through ``change`` (None drops the member)."""
    with tarfile.open(archive, "r:gz") as src, tarfile.open(dest, "w:gz") as out:
        for info in src:
            data = change(info.name, src.extractfile(info).read())
            if data is not None:
                info.size = len(data)
                out.addfile(info, io.BytesIO(data))
    return dest


def test_backup_restores_into_a_fresh_instance_with_the_same_money_and_files(
        app: Flask, instance: dict, target: Callable[[], Flask], tmp_path: Path) -> None:
    archive = _backup_with_cli(app, tmp_path / "backups")
    verified = _cli(app, "backup", "verify", str(archive))
    assert verified.exit_code == 0 and verified.output.startswith("ok: schema"), verified.output
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["schema_revision"] == head_revision(MIGRATIONS)
    assert manifest["ledger_total"] == instance["picture"]["ledger_total"] != "0.00"
    assert manifest["counts"]["ledger_entry"] == len(instance["picture"]["ledger"]) > 0
    assert any(name.startswith("files/attachments/") for name in manifest["members"])

    restored = target()
    result = _cli(restored, "backup", "restore", str(archive))
    assert result.exit_code == 0, result.output
    with restored.app_context():
        assert picture(db.session) == instance["picture"]
    client = login(restored.test_client(), "dev_a")
    download = client.get(f"/attachments/{instance['attachment_id']}")
    assert download.status_code == 200 and download.data == PDF
    page = client.get(f"/orders/{instance['order_id']}")
    assert page.status_code == 200 and OPINION in page.get_data(as_text=True)

    again = _cli(restored, "backup", "restore", str(archive))
    assert again.exit_code != 0 and "--force" in again.output
    forced = _cli(restored, "backup", "restore", "--force", str(archive))
    assert forced.exit_code == 0, forced.output
    with restored.app_context():
        assert picture(db.session) == instance["picture"]


def test_a_tampered_or_damaged_archive_fails_verify(app: Flask, instance: dict, tmp_path: Path) -> None:
    archive = create_backup(app.config["SQLALCHEMY_DATABASE_URI"], app.config["UPLOAD_FOLDER"],
                            tmp_path).path
    assert verify_archive(archive).ok

    changed = _rewrite(archive, tmp_path / "changed.tar.gz",
                       lambda name, data: data.replace(b"backup test", b"forged text")
                       if name.startswith("files/attachments/") else data)
    report = verify_archive(changed)
    assert not report.ok and any(p.startswith("checksum mismatch: files/attachments/")
                                 for p in report.problems)
    result = _cli(app, "backup", "verify", str(changed))
    assert result.exit_code == 1 and "checksum mismatch" in result.output

    dropped = _rewrite(archive, tmp_path / "dropped.tar.gz",
                       lambda name, data: None if name.startswith("files/") else data)
    assert any(p.startswith("member missing: files/") for p in verify_archive(dropped).problems)

    def forge_snapshot(name: str, data: bytes) -> bytes:
        return data[:-4096] + bytes(4096) if name.startswith("database/") else data

    assert not verify_archive(_rewrite(archive, tmp_path / "db.tar.gz", forge_snapshot)).ok

    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    assert not verify_archive(cut).ok


def test_restore_refuses_a_non_empty_target_and_a_newer_schema(
        app: Flask, instance: dict, target: Callable[[], Flask], tmp_path: Path) -> None:
    archive = create_backup(app.config["SQLALCHEMY_DATABASE_URI"], app.config["UPLOAD_FOLDER"],
                            tmp_path / "a").path
    with pytest.raises(TargetNotEmpty):
        restore_backup(archive, app.config["SQLALCHEMY_DATABASE_URI"], app.config["UPLOAD_FOLDER"],
                       migrations_dir=MIGRATIONS, upgrade=_never)

    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'c0de0000beef'"))
    newer = create_backup(app.config["SQLALCHEMY_DATABASE_URI"], app.config["UPLOAD_FOLDER"],
                          tmp_path / "b").path
    restored = target()
    result = _cli(restored, "backup", "restore", "--force", str(newer))
    assert result.exit_code == 1 and "c0de0000beef" in result.output
    with pytest.raises(SchemaTooNew):
        restore_backup(newer, restored.config["SQLALCHEMY_DATABASE_URI"],
                       restored.config["UPLOAD_FOLDER"], migrations_dir=MIGRATIONS, upgrade=_never)
    with restored.app_context():
        assert inspect(db.engine).get_table_names() == []


def _never() -> None:
    raise AssertionError("no upgrade expected")


def test_an_archive_from_an_older_schema_is_upgraded_after_restoring(
        app: Flask, instance: dict, target: Callable[[], Flask], tmp_path: Path) -> None:
    from flask_migrate import upgrade

    archive = create_backup(app.config["SQLALCHEMY_DATABASE_URI"], app.config["UPLOAD_FOLDER"],
                            tmp_path / "a").path
    newer_code = migrations_with_probe(tmp_path)
    restored = target()
    with restored.app_context():
        report = restore_backup(archive, restored.config["SQLALCHEMY_DATABASE_URI"],
                                restored.config["UPLOAD_FOLDER"], migrations_dir=newer_code,
                                upgrade=lambda: upgrade(directory=str(newer_code)))
        assert report.upgraded and report.schema == "older" and report.files >= 1
        assert db.session.scalar(text("SELECT version_num FROM alembic_version")) == PROBE_REVISION
        assert "ops_upgrade_probe" in inspect(db.engine).get_table_names()
        assert picture(db.session) == instance["picture"]


def test_a_backup_taken_while_the_app_writes_is_a_consistent_snapshot(app: Flask, instance: dict,
                                                                      tmp_path: Path) -> None:
    """A writer keeps committing while the backup runs: the archive verifies (for SQLite its
    snapshot's counts equal the manifest's), and it holds some count between before and after."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    stop, written = threading.Event(), []

    def write() -> None:
        while not stop.is_set():
            with engine.begin() as conn:
                conn.execute(insert(AuditLog).values(at=dt.datetime.utcnow(), action="ops.test",
                                                     object_type="Test", object_id=len(written)))
            written.append(1)

    with engine.connect() as conn:
        before = conn.execute(text("SELECT COUNT(*) FROM audit_log")).scalar_one()
    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(written) < 5:  # the writer is really running when the backup starts
            stop.wait(0.01)
        result = create_backup(app.config["SQLALCHEMY_DATABASE_URI"], app.config["UPLOAD_FOLDER"],
                               tmp_path)
    finally:
        stop.set()
        writer.join()
    with engine.connect() as conn:
        after = conn.execute(text("SELECT COUNT(*) FROM audit_log")).scalar_one()
    engine.dispose()
    assert verify_archive(result.path).ok
    assert before < result.manifest["counts"]["audit_log"] <= after


def test_create_against_an_unreachable_database_says_so(is_postgres: bool, tmp_path: Path) -> None:
    url = ("postgresql://jm@127.0.0.1:9/jm_nowhere?connect_timeout=2" if is_postgres
           else f"sqlite:///{tmp_path / 'no-such-folder' / 'platform.sqlite'}")
    down = build_test_app(SQLALCHEMY_DATABASE_URI=url, UPLOAD_FOLDER=str(tmp_path / "uploads"))
    result = _cli(down, "backup", "create", "--to", str(tmp_path / "backups"))
    assert result.exit_code == 1 and result.output.startswith("Error:")
    assert not list((tmp_path / "backups").glob("jm-backup-*"))
