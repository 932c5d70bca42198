"""The database half of a backup: a consistent snapshot, what it holds, and putting it back.

SQLite is copied through its online backup API, so the app keeps serving while it runs.
PostgreSQL is dumped by ``pg_dump`` in custom format inside a REPEATABLE READ transaction whose
snapshot ``pg_dump`` shares (``--snapshot``), so the counts written to the manifest describe
exactly the rows in the dump.
"""
from __future__ import annotations

import os
import sqlite3
import subprocess
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Optional

from sqlalchemy import create_engine, func, inspect, select, table, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.pool import NullPool

from app.domain.money import quantize_money
from app.models.base import Money
from app.services.backup.errors import BackupError, ToolFailed

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
VERSION_TABLE = "alembic_version"


@dataclass(frozen=True)
class DatabaseFacts:
    """What a database holds, as written to (and checked against) the manifest."""

    dialect: str
    revision: Optional[str]
    counts: dict[str, int]
    ledger_total: str
    attachment_names: list[str] = field(default_factory=list)

    def differences(self, manifest: dict) -> list[str]:
        """How these facts differ from a manifest's; empty when they agree."""
        found = []
        if self.revision != manifest.get("schema_revision"):
            found.append(f"schema revision {self.revision} != {manifest.get('schema_revision')}")
        if self.ledger_total != manifest.get("ledger_total"):
            found.append(f"ledger total {self.ledger_total} != {manifest.get('ledger_total')}")
        for name, count in sorted((manifest.get("counts") or {}).items()):
            if self.counts.get(name) != count:
                found.append(f"table {name}: {self.counts.get(name)} rows != {count}")
        return found


@dataclass(frozen=True)
class Tools:
    """The PostgreSQL client programs (config PG_DUMP_PATH, PG_RESTORE_PATH)."""

    pg_dump: str = "pg_dump"
    pg_restore: str = "pg_restore"


def dialect_of(url: str | URL) -> str:
    name = make_url(url).get_backend_name()
    if name not in (SQLITE, POSTGRESQL):
        raise BackupError(f"unsupported database: {name}")
    return name


def sqlite_path(url: str | URL) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def read_facts(conn: Connection, dialect: str) -> DatabaseFacts:
    """Row count of every table, the schema revision, the ledger total, the attachment names."""
    names = sorted(inspect(conn).get_table_names())
    counts = {name: conn.execute(select(func.count()).select_from(table(name))).scalar_one()
              for name in names}
    revision = None
    if VERSION_TABLE in names:
        revision = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
    total = Decimal(0)
    if "ledger_entry" in names:
        query = text("SELECT COALESCE(SUM(amount), 0) AS total FROM ledger_entry").columns(total=Money)
        total = conn.execute(query).scalar_one()
    attachments: list[str] = []
    if "attachment" in names:
        attachments = sorted(conn.execute(text("SELECT stored_name FROM attachment")).scalars())
    return DatabaseFacts(dialect, revision, counts, str(quantize_money(Decimal(total))), attachments)


def facts_of(url: str | URL) -> DatabaseFacts:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return read_facts(conn, dialect_of(url))
    finally:
        engine.dispose()


def is_empty(url: str | URL) -> bool:
    """True for a database without tables (a missing SQLite file counts as empty)."""
    if dialect_of(url) == SQLITE and not sqlite_path(url).exists():
        return True
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return not inspect(conn).get_table_names()
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------------------------
# snapshot
# ---------------------------------------------------------------------------------------------

def _sqlite_copy(source: Path, target: Path) -> None:
    """Page-by-page copy through SQLite's backup API: consistent even while others write."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
    finally:
        dst.close()
        src.close()


def snapshot(url: str | URL, dest: Path, tools: Tools) -> DatabaseFacts:
    """Write a consistent copy of the database to ``dest`` and return what it holds."""
    if dialect_of(url) == SQLITE:
        source = sqlite_path(url)
        if not source.exists():
            raise BackupError(f"database file not found: {source}")
        _sqlite_copy(source, dest)
        return facts_of(f"sqlite:///{dest}")
    return _dump_postgres(make_url(url), dest, tools)


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and an environment carrying it."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(args: list[str], env: dict[str, str]) -> None:
    try:
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise ToolFailed(f"{args[0]} not found; install the PostgreSQL client programs") from exc
    if done.returncode != 0:
        raise ToolFailed(f"{Path(args[0]).name} failed: {done.stderr.strip()[:2000]}")


def _dump_postgres(url: URL, dest: Path, tools: Tools) -> DatabaseFacts:
    dsn, env = _libpq(url)
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                snapshot_id = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                facts = read_facts(conn, POSTGRESQL)
                _run([tools.pg_dump, "--format=custom", f"--snapshot={snapshot_id}", "--no-owner",
                      "--no-privileges", f"--file={dest}", f"--dbname={dsn}"], env)
    finally:
        engine.dispose()
    return facts


def check_dump(path: Path, dialect: str, tools: Tools) -> list[str]:
    """Problems with a snapshot file, found without restoring it anywhere."""
    if dialect == SQLITE:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            return [f"database snapshot unreadable: {exc}"]
        finally:
            conn.close()
        return [] if result == "ok" else [f"database snapshot damaged: {result}"]
    try:
        _run([tools.pg_restore, "--list", str(path)], dict(os.environ))
    except ToolFailed as exc:
        return [f"database dump unreadable: {exc.detail}"]
    return []


# ---------------------------------------------------------------------------------------------
# restore
# ---------------------------------------------------------------------------------------------

def clear(url: str | URL) -> None:
    """Remove every table of the target (``restore --force``)."""
    if dialect_of(url) == SQLITE:
        path = sqlite_path(url)
        # A journal left beside a new file would be replayed into it: remove them together.
        for suffix in ("", "-wal", "-shm", "-journal"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        return
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def load(url: str | URL, snapshot_file: Path, tools: Tools) -> None:
    """Put a snapshot into an empty target database."""
    if dialect_of(url) == SQLITE:
        target = sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(snapshot_file, target)
        return
    dsn, env = _libpq(make_url(url))
    _run([tools.pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
          f"--dbname={dsn}", str(snapshot_file)], env)
